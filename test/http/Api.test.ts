/**
 * The HTTP API through its typed client (`HttpApiClient`), against a real
 * server on a free port, over an in-memory store and over SQLite: one suite,
 * run against both.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Exit, Layer, Schema, Scope } from "effect"
import { Engine, Errors, Step, Template } from "weftjs"
import { Http } from "weftjs/http"
import {
  allTemplates,
  awaitStatus,
  engineOver,
  failing,
  hello,
  makeClient,
  memoryStore,
  otherEngine,
  readEvents,
  setup,
  slow,
  slowGate,
  sqliteStore,
  type StoreLayer
} from "./fixtures.js"

const suite = (name: string, store: StoreLayer) =>
  describe(`HTTP API over ${name}`, () => {
    it.scopedLive("lists its templates, and gives one with its Schemas as JSON Schema and its graph", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const templates = yield* client.templates.list()
        expect(templates.map((t) => `${t.name}@${t.version}`)).toEqual([
          "hello@1",
          "slow_pipeline@1",
          "expense_approval@1",
          "payment@1",
          "reminder@2",
          "parent_flow@1",
          "child_approval@1"
        ])
        const detail = yield* client.templates.get({ path: { name: "expense_approval" }, urlParams: {} })
        expect(detail.requires).toEqual(["amount", "requester"])
        expect(detail.signals).toEqual(["approval"])
        expect(detail.input).toMatchObject({
          type: "object",
          required: ["amount", "requester"],
          properties: { amount: { type: "number" }, requester: { type: "string" } }
        })
        expect(detail.waits).toHaveLength(1)
        expect(detail.waits[0]).toMatchObject({ signal: "approval", key: "approval", timeoutMs: null, hasDefault: false })
        expect(detail.waits[0]!.schema).toMatchObject({
          type: "object",
          required: ["approved", "by"],
          properties: { approved: { type: "boolean" }, comment: { type: "string" } }
        })
        expect(detail.graph.nodes.map((n) => `${n._tag}:${n.key}`)).toEqual([
          "Step:request_approval",
          "Wait:approval",
          "Step:settle"
        ])
        const svg = yield* client.templates.diagram({ path: { name: "parent_flow" }, urlParams: { version: "1" } })
        expect(svg).toMatch(/^<svg /)
        expect(svg).toContain(`data-kind="subflow"`)
        const missing = yield* Effect.flip(client.templates.get({ path: { name: "hello" }, urlParams: { version: "9" } }))
        expect(missing).toBeInstanceOf(Http.TemplateNotFound)
        expect(missing.message).toBe(`This server serves no template "hello" at version "9"`)
      }))

    it.scopedLive("starts a run (201 with its id) that completes; then its detail, trace with outputs, and result", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const [started, response] = yield* client.runs.start({
          payload: { template: "hello", input: { name: "ann", times: 2 } },
          withResponse: true
        })
        expect(response.status).toBe(201)
        const detail = yield* awaitStatus(client, started.runId, "completed")
        expect(detail.run).toMatchObject({ runId: started.runId, templateName: "hello", templateVersion: "1", error: null })
        expect(detail.state).toEqual({ name: "ann", times: 2, greeting: "hello ann, hello ann", loud: "HELLO ANN, HELLO ANN" })
        expect(detail.position).toEqual({ lastStep: "shout", completedSteps: 2 })
        const trace = yield* client.runs.trace({ path: { runId: started.runId } })
        expect(trace.map((e) => [e.step, e.status, e.attempts])).toEqual([["greet", "completed", 1], ["shout", "completed", 1]])
        expect(trace[0]!.delta).toEqual({ set: { greeting: "hello ann, hello ann" }, unset: [] })
        const result = yield* client.runs.result({ path: { runId: started.runId } })
        expect(result.state).toEqual(detail.state)
      }))

    it.scopedLive("decodes the input from its JSON form, and encodes the result back (a date as an ISO string)", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({
          payload: { template: "reminder", input: { due: "2030-05-02T10:00:00.000Z" } }
        })
        yield* awaitStatus(client, runId, "completed")
        const result = yield* client.runs.result({ path: { runId } })
        expect(result.state).toEqual({ due: "2030-05-02T10:00:00.000Z", reminder: "2030-05-01T10:00:00.000Z" })
      }))

    it.scopedLive("refuses bad input with a 400 naming every bad key, and records nothing", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const error = yield* Effect.flip(client.runs.start({
          payload: { template: "hello", input: { name: 42, times: 9, extra: true } }
        }))
        expect(error).toBeInstanceOf(Http.InvalidInput)
        if (!(error instanceof Http.InvalidInput)) return
        expect(error.keys).toEqual(["name", "times"])
        expect(error.message).toContain(`Invalid input for template "hello"`)
        const missing = yield* Effect.flip(client.runs.start({ payload: { template: "hello", input: {} } }))
        expect(missing).toMatchObject({ _tag: "InvalidInput", keys: ["name", "times"] })
        const notObject = yield* Effect.flip(client.runs.start({ payload: { template: "hello", input: [1] } }))
        expect(notObject).toMatchObject({ _tag: "InvalidInput", keys: ["(root)"] })
        const page = yield* client.runs.list({ urlParams: {} })
        expect(page.runs).toEqual([])
        const unknown = yield* Effect.flip(client.runs.start({ payload: { template: "nope", input: {} } }))
        expect(unknown).toBeInstanceOf(Http.TemplateNotFound)
      }))

    it.scopedLive("refuses a run id in use (409) and answers 404 for a run it does not have", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        yield* client.runs.start({ payload: { template: "hello", input: { name: "a", times: 1 }, runId: "order-1" } })
        const again = yield* Effect.flip(
          client.runs.start({ payload: { template: "hello", input: { name: "b", times: 1 }, runId: "order-1" } })
        )
        expect(again).toBeInstanceOf(Http.RunAlreadyExists)
        const missing = yield* Effect.flip(client.runs.get({ path: { runId: "nope" } }))
        expect(missing).toBeInstanceOf(Http.RunNotFound)
        expect(missing.message).toBe(`No run with id "nope"`)
        expect(yield* Effect.flip(client.runs.trace({ path: { runId: "nope" } }))).toBeInstanceOf(Http.RunNotFound)
        expect(yield* Effect.flip(client.runs.cancel({ path: { runId: "nope" } }))).toBeInstanceOf(Http.RunNotFound)
      }))

    it.scopedLive("lists runs with filters, and pages through them with the cursor", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const ids: Array<string> = []
        // started back to back: several share a millisecond, which the cursor tells apart by id
        for (let i = 0; i < 7; i++) {
          const { runId } = yield* client.runs.start({ payload: { template: "hello", input: { name: `n${i}`, times: 1 } } })
          ids.push(runId)
        }
        const failed = yield* client.runs.start({ payload: { template: "payment", input: { amount: 5 } } })
        for (const id of ids) yield* awaitStatus(client, id, "completed")
        yield* awaitStatus(client, failed.runId, "failed")

        const seen: Array<string> = []
        let cursor: string | undefined = undefined
        for (let pages = 0; pages < 10; pages++) {
          const page: typeof Http.RunPage.Type = yield* client.runs.list({
            urlParams: { template: "hello", limit: 3, ...(cursor === undefined ? {} : { cursor }) }
          })
          expect(page.runs.length).toBeLessThanOrEqual(3)
          seen.push(...page.runs.map((r) => r.runId))
          if (page.nextCursor === null) break
          cursor = page.nextCursor
        }
        const whole = yield* client.runs.list({ urlParams: { template: "hello", limit: 500 } })
        expect(seen).toEqual(whole.runs.map((r) => r.runId))
        expect([...seen].sort()).toEqual([...ids].sort())

        const onlyFailed = yield* client.runs.list({ urlParams: { status: "failed" } })
        expect(onlyFailed.runs.map((r) => r.runId)).toEqual([failed.runId])
        expect(onlyFailed.runs[0]!.error).toEqual({ tag: "PaymentDeclined", message: "the payment was declined: card expired" })
        const all = yield* client.runs.list({ urlParams: {} })
        const newest = all.runs[0]!
        const since = yield* client.runs.list({ urlParams: { since: newest.createdAt } })
        expect(since.runs.every((r) => r.createdAt >= newest.createdAt)).toBe(true)
        const until = yield* client.runs.list({ urlParams: { until: newest.createdAt } })
        expect(until.runs.every((r) => r.createdAt < newest.createdAt)).toBe(true)
        expect(since.runs.length + until.runs.length).toBe(8)
        const iso = yield* client.runs.list({ urlParams: { since: new Date(0).getTime() } })
        expect(iso.runs).toHaveLength(8)
      }))

    it.scopedLive("signals a suspended run: a bad payload is a 400 naming its keys; a good one resumes it", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({
          payload: { template: "expense_approval", input: { amount: 120, requester: "bob" } }
        })
        yield* awaitStatus(client, runId, "suspended")
        const bad = yield* Effect.flip(
          client.runs.signal({ path: { runId, signal: "approval" }, payload: { approved: "yes", by: "" } })
        )
        expect(bad).toBeInstanceOf(Http.InvalidSignalPayload)
        if (!(bad instanceof Http.InvalidSignalPayload)) return
        expect(bad.keys).toEqual(["approved", "by"])
        const unknown = yield* Effect.flip(client.runs.signal({ path: { runId, signal: "nope" }, payload: {} }))
        expect(unknown).toMatchObject({ _tag: "SignalRejected", reason: "not-awaited" })
        const [accepted, response] = yield* client.runs.signal({
          path: { runId, signal: "approval" },
          payload: { approved: true, by: "carol" },
          withResponse: true
        })
        expect(response.status).toBe(202)
        expect(accepted).toEqual({ runId, signal: "approval" })
        const done = yield* awaitStatus(client, runId, "completed")
        expect(done.state).toMatchObject({ outcome: "paid", decidedBy: "carol" })
        const late = yield* Effect.flip(
          client.runs.signal({ path: { runId, signal: "approval" }, payload: { approved: true, by: "dan" } })
        )
        expect(late).toMatchObject({ _tag: "SignalRejected", reason: "run-ended" })
      }))

    it.scopedLive("signals a sub-flow's child run through its id, which holds a slash", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({ payload: { template: "parent_flow", input: { amount: 3 } } })
        yield* awaitStatus(client, runId, "suspended")
        const child = `${runId}/ask`
        const detail = yield* awaitStatus(client, child, "suspended")
        expect(detail.run).toMatchObject({ templateName: "child_approval", rootId: runId })
        yield* client.runs.signal({ path: { runId: child, signal: "approval" }, payload: { approved: false, by: "eve" } })
        yield* awaitStatus(client, child, "completed")
        const done = yield* awaitStatus(client, runId, "completed")
        expect(done.state).toMatchObject({ outcome: "rejected", decidedBy: "eve" })
      }))

    it.scopedLive("cancels a suspended run; cancelling it again, or resuming it, is a 409", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({
          payload: { template: "expense_approval", input: { amount: 1, requester: "x" } }
        })
        yield* awaitStatus(client, runId, "suspended")
        const cancelled = yield* client.runs.cancel({ path: { runId } })
        expect(cancelled.status).toBe("cancelled")
        const again = yield* Effect.flip(client.runs.cancel({ path: { runId } }))
        expect(again).toMatchObject({ _tag: "RunNotResumable", status: "cancelled" })
        const resumed = yield* Effect.flip(client.runs.resume({ path: { runId } }))
        expect(resumed).toMatchObject({ _tag: "RunNotResumable" })
        const result = yield* Effect.flip(client.runs.result({ path: { runId } }))
        expect(result).toMatchObject({ _tag: "RunNotCompleted", status: "cancelled" })
      }))

    it.scopedLive("pauses a suspended run (a signal is recorded, it stays paused) and unpauses it; a 409 when it is not paused", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({
          payload: { template: "expense_approval", input: { amount: 1, requester: "x" }, priority: 2 }
        })
        yield* awaitStatus(client, runId, "suspended")
        const paused = yield* client.runs.pause({ path: { runId } })
        expect([paused.status, paused.pausedFrom, paused.priority]).toEqual(["paused", "suspended", 2])
        expect(paused.waitingFor?.signal).toBe("approval")
        yield* client.runs.signal({ path: { runId, signal: "approval" }, payload: { approved: true, by: "eve" } })
        expect((yield* client.runs.get({ path: { runId } })).run.status).toBe("paused")
        const unpaused = yield* client.runs.unpause({ path: { runId } })
        expect(unpaused.pausedFrom).toBeNull()
        yield* awaitStatus(client, runId, "completed")
        const again = yield* Effect.flip(client.runs.unpause({ path: { runId } }))
        expect(again).toMatchObject({ _tag: "RunNotPaused", status: "completed" })
        const ended = yield* Effect.flip(client.runs.pause({ path: { runId } }))
        expect(ended).toMatchObject({ _tag: "RunNotPausable", reason: "finished" })
        expect(yield* Effect.flip(client.runs.pause({ path: { runId: "nope" } }))).toBeInstanceOf(Http.RunNotFound)
      }))

    it.scopedLive("shows a failed run's error; its result is a 409 naming its status", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({ payload: { template: "payment", input: { amount: 9 } } })
        const detail = yield* awaitStatus(client, runId, "failed")
        expect(detail.run.error).toEqual({ tag: "PaymentDeclined", message: "the payment was declined: card expired" })
        const trace = yield* client.runs.trace({ path: { runId } })
        expect(trace.map((e) => [e.step, e.status, e.attempts, e.error?.tag ?? null])).toEqual([
          ["validate_order", "completed", 1, null],
          ["charge", "failed", 2, "PaymentDeclined"]
        ])
        const result = yield* Effect.flip(client.runs.result({ path: { runId } }))
        expect(result).toBeInstanceOf(Http.RunNotCompleted)
        expect(result.message).toContain("failed")
      }))

    it.scopedLive("resumes a suspended run in the background (202); a signal then ends it", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({
          payload: { template: "expense_approval", input: { amount: 2, requester: "y" } }
        })
        yield* awaitStatus(client, runId, "suspended")
        const [record, response] = yield* client.runs.resume({ path: { runId }, withResponse: true })
        expect(response.status).toBe(202)
        expect(record.runId).toBe(runId)
        yield* client.runs.signal({ path: { runId, signal: "approval" }, payload: { approved: true, by: "z" } })
        yield* awaitStatus(client, runId, "completed")
      }))

    it.scopedLive("streams one run's progress as Server-Sent Events, ending with the run", () =>
      Effect.gen(function*() {
        const { client, url } = yield* setup(store)
        const { runId } = yield* client.runs.start({ payload: { template: "slow_pipeline", input: { item: "x" } } })
        const events = yield* readEvents(`${url}/api/runs/${encodeURIComponent(runId)}/events`, () => false)
        const tags = events.map((e) => e.event)
        expect(tags[0]).toBe("RunUpdated")
        expect(tags).toContain("StepCompleted")
        const last = events[events.length - 1]!
        expect(last.event).toBe("RunUpdated")
        expect(last.data).toMatchObject({ _tag: "RunUpdated", run: { runId, status: "completed" } })
        // a finished run's stream says so at once, through the typed client too
        const text = yield* client.events.run({ path: { runId } })
        expect(text).toContain("event: RunUpdated")
        expect(text).toContain(`"status":"completed"`)
      }))

    it.scopedLive("a run's stream opened in the middle of a step starts with that step's start", () =>
      Effect.gen(function*() {
        const { client, url } = yield* setup(store)
        // check_item is held until the end of the test: it stays in flight
        yield* slowGate.close
        yield* Effect.addFinalizer(() => slowGate.open)
        const startedCheck = (events: ReadonlyArray<{ readonly event: string; readonly data: unknown }>) =>
          events.some((e) => e.event === "StepStarted" && (e.data as { step: string }).step === "check_item")
        const watching = yield* Effect.fork(readEvents(`${url}/api/events`, startedCheck))
        yield* Effect.sleep("200 millis")
        const { runId } = yield* client.runs.start({ payload: { template: "slow_pipeline", input: { item: "x" } } })
        expect(startedCheck(yield* watching)).toBe(true)
        // opened after check_item started: its start comes first, not at the next event (there is none until the gate opens)
        const events = yield* readEvents(`${url}/api/runs/${encodeURIComponent(runId)}/events`, startedCheck)
        expect(events.map((e) => e.event)).toEqual(["RunUpdated", "StepStarted"])
        expect(events[1]!.data).toMatchObject({ _tag: "StepStarted", runId, step: "check_item" })
      }))

    it.scopedLive("streams every run's progress, including runs another process executes (by polling the store)", () =>
      Effect.gen(function*() {
        const { client, url, store: storeContext } = yield* setup(store)
        const other = yield* otherEngine(storeContext)
        const reading = yield* Effect.fork(readEvents(`${url}/api/events`, (events) =>
          events.some((e) =>
            e.event === "RunUpdated" &&
            (e.data as { run: { templateName: string; status: string } }).run.templateName === "payment" &&
            (e.data as { run: { status: string } }).run.status === "failed"
          ) && events.some((e) => e.event === "RunCompleted")))
        yield* Effect.sleep("300 millis")
        yield* client.runs.start({ payload: { template: "hello", input: { name: "here", times: 1 } } })
        // the other engine's events never reach this server: only its store does
        yield* other.start(failing, { amount: 4 })
        const events = yield* reading
        expect(events.map((e) => e.event)).toContain("RunStarted")
        expect(events.some((e) => e.event === "RunFailed")).toBe(false)
      }))

    it.scopedLive("streams the progress of a run another process executes, ending with it", () =>
      Effect.gen(function*() {
        const { url, store: storeContext } = yield* setup(store)
        const other = yield* otherEngine(storeContext)
        const handle = yield* other.start(slow, { item: "elsewhere" })
        const events = yield* readEvents(`${url}/api/runs/${encodeURIComponent(handle.runId)}/events`, () => false)
        // no event of the other engine reaches this server: only the records it writes
        expect(events.every((e) => e.event === "RunUpdated")).toBe(true)
        const seqs = events.map((e) => (e.data as { run: { seq: number } }).run.seq)
        expect(seqs.length).toBeGreaterThanOrEqual(2)
        expect(events[events.length - 1]!.data).toMatchObject({ run: { runId: handle.runId, status: "completed", seq: 3 } })
      }))
  })

suite("an in-memory store", memoryStore)
suite("SQLite", sqliteStore)

describe("HTTP API: what it refuses, and why, in words", () => {
  it.scopedLive("a run id that is blank, holds U+0000 or a lone surrogate: 400 naming the reason; nothing is written", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(memoryStore)
      const start = (runId: string) =>
        Effect.flip(client.runs.start({ payload: { template: "hello", input: { name: "a", times: 1 }, runId } }))
      const cases: ReadonlyArray<readonly [string, string]> = [
        [" ", "it is blank (only white space)"],
        ["\t \n", "it is blank (only white space)"],
        ["nul\u0000", "it holds the character U+0000 (NUL)"],
        ["a\uD800b", "it is not well-formed UTF-16 (it holds a lone surrogate)"]
      ]
      for (const [runId, reason] of cases) {
        const error = yield* start(runId)
        expect(error).toBeInstanceOf(Http.InvalidRunId)
        expect(error.message).toBe(`Invalid run id ${JSON.stringify(runId)}: ${reason}`)
      }
      expect((yield* client.runs.list({ urlParams: {} })).runs).toEqual([])
    }))

  it.scopedLive("a Schema's complaint: the path and what was expected, in words, never a dump of the type", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(memoryStore)
      const input = yield* Effect.flip(client.runs.start({
        payload: { template: "expense_approval", input: { amount: "12", requester: "bob" } }
      }))
      expect(input._tag).toBe("InvalidInput")
      expect(input.message).toBe(`Invalid input for template "expense_approval": amount: expected a number, got "12"`)
      if (!(input instanceof Http.InvalidInput)) return
      expect(input.issues).toEqual([{ path: ["amount"], message: `expected a number, got "12"` }])
      const { runId } = yield* client.runs.start({
        payload: { template: "expense_approval", input: { amount: 12, requester: "bob" } }
      })
      yield* awaitStatus(client, runId, "suspended")
      const payload = yield* Effect.flip(client.runs.signal({ path: { runId, signal: "approval" }, payload: [] }))
      expect(payload._tag).toBe("InvalidSignalPayload")
      expect(payload.message).toContain("(root): expected an object, got an empty array")
      expect(payload.message).not.toMatch(/readonly|Expected|actual/)
      const fields = yield* Effect.flip(
        client.runs.signal({ path: { runId, signal: "approval" }, payload: { approved: "yes", by: "" } })
      )
      if (!(fields instanceof Http.InvalidSignalPayload)) return expect(fields).toBeInstanceOf(Http.InvalidSignalPayload)
      expect(fields.issues).toEqual([
        { path: ["approved"], message: `expected a boolean, got "yes"` },
        { path: ["by"], message: `expected a string at least 1 character(s) long, got ""` }
      ])
    }))
})

describe("HTTP API: weft's own errors, declared with their status", () => {
  it.scopedLive("go out as JSON { _tag, message, ...fields } with their status, and come back as weft's errors", () =>
    Effect.gen(function*() {
      const { url, client } = yield* setup(memoryStore)
      const json = (path: string, init?: RequestInit) =>
        Effect.promise(async () => {
          const response = await fetch(`${url}${path}`, init)
          return { status: response.status, body: (await response.json()) as Record<string, unknown> }
        })
      const post = (path: string, body: unknown) =>
        json(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })
      expect(yield* json("/api/runs/nope")).toEqual({
        status: 404,
        body: { _tag: "RunNotFound", runId: "nope", message: `No run with id "nope"` }
      })
      const input = yield* post("/api/runs", { template: "hello", input: { name: 1 } })
      expect(input.status).toBe(400)
      expect(input.body).toMatchObject({ _tag: "InvalidInput", template: "hello", keys: ["name", "times"] })
      expect(input.body.message).toContain(`Invalid input for template "hello": name: expected a string, got 1`)
      const runId = yield* post("/api/runs", { template: "hello", input: { name: "a", times: 1 }, runId: " " })
      expect(runId).toMatchObject({ status: 400, body: { _tag: "InvalidRunId", reason: "blank" } })
      const { runId: done } = yield* client.runs.start({ payload: { template: "hello", input: { name: "a", times: 1 } } })
      yield* awaitStatus(client, done, "completed")
      const cancel = yield* post(`/api/runs/${done}/cancel`, {})
      expect(cancel).toMatchObject({ status: 409, body: { _tag: "RunNotResumable", runId: done, status: "completed" } })
      expect(cancel.body.message).toBe(`Run "${done}" is completed and cannot be resumed`)
      const signal = yield* post(`/api/runs/${done}/signals/approval`, {})
      expect(signal).toMatchObject({ status: 409, body: { _tag: "SignalRejected", reason: "run-ended" } })
      // the typed client reads them back as weft's errors
      const missing = yield* Effect.flip(client.runs.get({ path: { runId: "nope" } }))
      expect(missing).toBeInstanceOf(Errors.RunNotFound)
      // the OpenAPI document names them under their status
      const spec = yield* json("/api/openapi.json")
      const responses = (path: string, method: string) =>
        ((spec.body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)[path]![method]!)
          .responses
      const refs = (response: unknown) => JSON.stringify(response)
      expect(refs(responses("/api/runs", "post")["400"])).toMatch(/InvalidInput[\s\S]*InvalidRunId|InvalidRunId[\s\S]*InvalidInput/)
      expect(refs(responses("/api/runs/{runId}", "get")["404"])).toContain("RunNotFound")
      expect(refs(responses("/api/runs/{runId}/cancel", "post")["409"])).toContain("RunNotResumable")
      expect(refs(responses("/api/runs/{runId}/result", "get")["409"])).toMatch(/RunNotCompleted/)
      expect(refs(responses("/api/runs/{runId}/resume", "post")["409"])).toMatch(/RunAlreadyActive/)
      expect(refs(responses("/api/runs", "get")["503"])).toContain("PersistenceError")
      const schemas = JSON.stringify((spec.body.components as { schemas: unknown }).schemas)
      expect(schemas).toContain(`"RunNotFound"`)
    }))
})

describe("HTTP API: a template's input as JSON Schema", () => {
  it.scopedLive("a key read by two steps with equal Schemas has that Schema once; unequal ones are an allOf", () =>
    Effect.gen(function*() {
      const first = Step.make({
        name: "first",
        requires: { amount: Schema.Number, limit: Schema.Number },
        provides: { a: Schema.Number },
        run: ({ amount }) => Effect.succeed({ a: amount })
      })
      const second = Step.make({
        name: "second",
        requires: { amount: Schema.Number, limit: Schema.Number.pipe(Schema.positive()), a: Schema.Number },
        provides: { b: Schema.Number },
        run: ({ a }) => Effect.succeed({ b: a })
      })
      const twice = Template.make({ name: "twice", version: "1", steps: [first, second] })
      const context = yield* Layer.build(
        Http.layer({ templates: [twice], port: 0 }).pipe(Layer.provide(Engine.layerMemory), Layer.orDie)
      )
      const client = yield* makeClient(Context.get(context, Http.Server).url)
      const detail = yield* client.templates.get({ path: { name: "twice" }, urlParams: {} })
      const properties = (detail.input as { properties: Record<string, unknown> }).properties
      expect(properties.amount).toEqual({ type: "number" })
      expect(properties.limit).toEqual({ allOf: [{ type: "number" }, expect.objectContaining({ type: "number" })] })
    }))
})

describe("HTTP API over an engine alone (its store not in context)", () => {
  it.scopedLive("shows a run's state from the engine, and its trace with what each step wrote", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(
        Http.layer({ templates: allTemplates, port: 0 }).pipe(Layer.provide(Engine.layerMemory), Layer.orDie)
      )
      const client = yield* makeClient(Context.get(context, Http.Server).url)
      const done = yield* client.runs.start({ payload: { template: "reminder", input: { due: "2031-01-02T00:00:00.000Z" } } })
      const detail = yield* awaitStatus(client, done.runId, "completed")
      expect(detail.state).toEqual({ due: "2031-01-02T00:00:00.000Z", reminder: "2031-01-01T00:00:00.000Z" })
      const trace = yield* client.runs.trace({ path: { runId: done.runId } })
      expect(trace.map((e) => [e.step, e.status, e.delta])).toEqual([
        ["schedule", "completed", { set: { reminder: "2031-01-01T00:00:00.000Z" }, unset: [] }]
      ])
      const waiting = yield* client.runs.start({
        payload: { template: "expense_approval", input: { amount: 1, requester: "a" } }
      })
      const suspended = yield* awaitStatus(client, waiting.runId, "suspended")
      expect(suspended.state).toEqual({ amount: 1, requester: "a", approvalRequest: "a asks to spend 1" })
      expect(suspended.waitingFor).toMatchObject({ runId: waiting.runId, step: "approval", signal: "approval", deadline: null })
    }))
})

describe("HTTP API without a list of templates", () => {
  it.scopedLive("serves the templates registered in the engine", () =>
    Effect.gen(function*() {
      const engine = Engine.layerMemory.pipe(
        Layer.tap((context) => Context.get(context, Engine.Engine).register(hello)),
        Layer.orDie
      )
      const context = yield* Layer.build(Http.layer({ port: 0 }).pipe(Layer.provide(engine), Layer.orDie))
      const client = yield* makeClient(Context.get(context, Http.Server).url)
      expect((yield* client.templates.list()).map((t) => `${t.name}@${t.version}`)).toEqual(["hello@1"])
      const { runId } = yield* client.runs.start({ payload: { template: "hello", input: { name: "x", times: 1 } } })
      yield* awaitStatus(client, runId, "completed")
    }))
})

describe("HTTP API documents", () => {
  it.scopedLive("serves its OpenAPI document, and an API reference page that loads nothing from a CDN", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      const spec = yield* Effect.promise(() =>
        fetch(`${url}/api/openapi.json`).then((r) =>
          r.json() as Promise<{
            readonly openapi: string
            readonly paths: Record<string, Record<string, { readonly responses: Record<string, unknown> }>>
          }>
        )
      )
      expect(spec.openapi).toBe("3.1.0")
      expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining([
        "/api/templates",
        "/api/templates/{name}",
        "/api/runs",
        "/api/runs/{runId}",
        "/api/runs/{runId}/trace",
        "/api/runs/{runId}/result",
        "/api/runs/{runId}/signals/{signal}",
        "/api/runs/{runId}/cancel",
        "/api/runs/{runId}/resume",
        "/api/runs/{runId}/events",
        "/api/events"
      ]))
      expect(spec.paths["/api/runs"]!.post!.responses["201"]).toBeDefined()
      expect(spec.paths["/api/runs"]!.post!.responses["400"]).toBeDefined()
      const docs = yield* Effect.promise(() => fetch(`${url}/docs`).then((r) => r.text()))
      // the reference page's script is inline (HttpApiScalar.layer, not layerCdn), and its fonts are not fetched;
      // the browser test checks that opening it requests nothing from another host
      expect(docs.includes(`id="api-reference"`)).toBe(true)
      expect(/<script[^>]+src=/.test(docs)).toBe(false)
      expect(docs.includes(`"withDefaultFonts":false`)).toBe(true)
    }))


  it.live("stops at once, event streams open or not", () =>
    Effect.gen(function*() {
      const scope = yield* Scope.make()
      const store = yield* Layer.buildWithScope(memoryStore, scope)
      const context = yield* Layer.buildWithScope(
        Http.layer({ templates: allTemplates, port: 0 }).pipe(Layer.provide(engineOver(store))),
        scope
      ).pipe(Effect.orDie)
      const { url } = Context.get(context, Http.Server)
      const reading = yield* Effect.fork(readEvents(`${url}/api/events`, () => false))
      yield* Effect.sleep("200 millis")
      const started = Date.now()
      yield* Scope.close(scope, Exit.void)
      yield* reading
      // an open stream that held the server would hold it for good (it never ends by itself): a bound far
      // above a loaded machine's few seconds, below the keep-alive's 15 s
      expect(Date.now() - started).toBeLessThan(12_000)
      const refused = yield* Effect.promise(() => fetch(`${url}/api/templates`).then(() => "answered", () => "refused"))
      expect(refused).toBe("refused")
    }))
})

