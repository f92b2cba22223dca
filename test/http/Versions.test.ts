/**
 * The HTTP API of runs that outlive their code (issue 21): a run's state
 * after a step, a re-run and a fork, through the typed client against a
 * real server, over memory and SQLite.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { Step, Template } from "weftjs"
import * as fc from "fast-check"
import { Http } from "weftjs/http"
import { decodePatch } from "../../src/http/internal/codec.js"
import type { NodesOf } from "../../src/internal/types/positions.js"
import {
  approval,
  awaitStatus,
  Decision,
  hello,
  memoryStore,
  requestApproval,
  setup,
  sqliteStore,
  type StoreLayer
} from "./fixtures.js"

const suite = (name: string, store: StoreLayer) =>
  describe(`HTTP API of versions over ${name}`, () => {
    it.scopedLive("GET /runs/:id/state?at= gives the state after a step; an unknown step is a 404 naming it", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({ payload: { template: "hello", input: { name: "ada", times: 2 } } })
        yield* awaitStatus(client, runId, "completed")
        const after = yield* client.runs.state({ path: { runId }, urlParams: { at: "greet" } })
        expect(after).toEqual({ runId, step: "greet", state: { name: "ada", times: 2, greeting: "hello ada, hello ada" } })
        const missing = yield* Effect.flip(client.runs.state({ path: { runId }, urlParams: { at: "ship" } }))
        expect(missing).toBeInstanceOf(Http.StepNotFound)
        expect(missing.message).toContain("ship")
      }))

    it.scopedLive("POST /runs/:id/rerun goes on from the failed step; a completed run is a 409", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({ payload: { template: "payment", input: { amount: 9 } } })
        yield* awaitStatus(client, runId, "failed")
        const accepted = yield* client.runs.rerun({ path: { runId } })
        expect(accepted.runId).toBe(runId)
        yield* awaitStatus(client, runId, "failed")
        const trace = yield* client.runs.trace({ path: { runId } })
        // validate_order is not run again; the first failure stays in the trace
        expect(trace.map((e) => `${e.step}:${e.status}`)).toEqual(["validate_order:completed", "charge:failed", "charge:failed"])
        const { runId: done } = yield* client.runs.start({ payload: { template: "hello", input: { name: "b", times: 1 } } })
        yield* awaitStatus(client, done, "completed")
        expect(yield* Effect.flip(client.runs.rerun({ path: { runId: done } }))).toBeInstanceOf(Http.RunNotResumable)
      }))

    it.scopedLive("POST /runs/:id/fork starts a run from a step's state with a patch; a bad patch is a 400 naming the key", () =>
      Effect.gen(function*() {
        const { client } = yield* setup(store)
        const { runId } = yield* client.runs.start({ payload: { template: "hello", input: { name: "ada", times: 1 } } })
        yield* awaitStatus(client, runId, "completed")
        const fork = yield* client.runs.fork({ path: { runId }, payload: { after: "greet", patch: { greeting: "hi" }, runId: "f1" } })
        expect(fork.runId).toBe("f1")
        yield* awaitStatus(client, "f1", "completed")
        const result = yield* client.runs.result({ path: { runId: "f1" } })
        expect(result.state).toEqual({ name: "ada", times: 1, greeting: "hi", loud: "HI" })
        // its lineage, in its record; the original's forks listed by it
        expect((yield* client.runs.get({ path: { runId: "f1" } })).run).toMatchObject({ forkedFrom: runId, forkedAfter: "greet" })
        const forks = yield* client.runs.list({ urlParams: { forkedFrom: runId } })
        expect(forks.runs.map((run) => run.runId)).toEqual(["f1"])
        expect((yield* client.runs.list({ urlParams: { forkedFrom: "f1" } })).runs).toEqual([])
        expect((yield* client.runs.get({ path: { runId } })).run.forkedFrom).toBeUndefined()
        const bad = yield* Effect.flip(client.runs.fork({ path: { runId }, payload: { after: "greet", patch: { greting: "x", times: 9 } } }))
        expect(bad).toBeInstanceOf(Http.InvalidPatch)
        expect(bad.message).toContain("greting")
        expect(bad.message).toContain("times")
      }))

    it.scopedLive("POST /migrations applies a migration the server knows; a dry run writes nothing; an unknown one is a 404", () =>
      Effect.gen(function*() {
        // the fixture's wait, typed as the node it is in its template
        const wait = approval.steps[1] as NodesOf<typeof approval>[1]
        const settleIn = Step.make({
          name: "settle",
          requires: { approval: Decision, currency: Schema.String },
          provides: { outcome: Schema.Literal("paid", "rejected"), decidedBy: Schema.String },
          run: ({ approval: decision }) =>
            Effect.succeed({ outcome: decision.approved ? "paid" as const : "rejected" as const, decidedBy: decision.by })
        })
        const approval2 = Template.make({ name: "expense_approval", version: "2", steps: [requestApproval, wait, settleIn] })
        const toV2 = Template.migration(approval, approval2, (at) => [at(wait, wait, () => ({ currency: "EUR" }))])
        const { client } = yield* setup(store, { migrations: [toV2] })
        const { runId } = yield* client.runs.start({
          payload: { template: "expense_approval", input: { amount: 5, requester: "ada" } }
        })
        yield* awaitStatus(client, runId, "suspended")
        const dry = yield* client.runs.migrate({ payload: { from: "expense_approval@1", to: "expense_approval@2", dryRun: true } })
        expect(dry.runs.map((r) => [r.runId, r.result, r.from, r.to])).toEqual([[runId, "migrated", "approval", "approval"]])
        expect((yield* client.runs.get({ path: { runId } })).run.templateVersion).toBe("1")
        const done = yield* client.runs.migrate({
          payload: { from: "expense_approval@1", to: "expense_approval@2", status: "suspended" }
        })
        expect(done.runs.map((r) => r.result)).toEqual(["migrated"])
        expect((yield* client.runs.get({ path: { runId } })).run.templateVersion).toBe("2")
        const unknown = yield* Effect.flip(client.runs.migrate({ payload: { from: "expense_approval@2", to: "expense_approval@3" } }))
        expect(unknown).toBeInstanceOf(Http.NotFound)
        // the template's state described key by key, and where its runs can go
        const detail = yield* client.templates.get({ path: { name: "expense_approval" }, urlParams: { version: "1" } })
        expect(detail.migrations).toEqual(["expense_approval@2"])
        expect(Object.keys((detail.state?.properties ?? {}) as object).sort()).toEqual(
          ["amount", "approval", "approvalRequest", "decidedBy", "outcome", "requester"]
        )
        expect((detail.state?.properties as Record<string, unknown>).amount).toMatchObject({ type: "number" })
        // a fork onto v2 through the declared migration records where it came from; an undeclared target is a 404
        const { runId: second } = yield* client.runs.start({
          payload: { template: "expense_approval", version: "1", input: { amount: 6, requester: "bob" } }
        })
        yield* awaitStatus(client, second, "suspended")
        const onto = yield* client.runs.fork({
          path: { runId: second },
          payload: { after: "request_approval", runId: "onto-v2", to: "expense_approval@2" }
        })
        expect((yield* client.runs.get({ path: { runId: onto.runId } })).run).toMatchObject({
          templateVersion: "2",
          forkedFrom: second,
          forkedAfter: "request_approval",
          migratedFrom: "expense_approval@1"
        })
        const nowhere = yield* Effect.flip(client.runs.fork({ path: { runId: second }, payload: { after: "request_approval", to: "expense_approval@9" } }))
        expect(nowhere).toBeInstanceOf(Http.NotFound)
      }))
  })

suite("memory", memoryStore)
suite("sqlite", sqliteStore)

describe("decoding a fork's patch (property)", () => {
  it("accepts exactly the patches whose every key is the template's and decodes, and names every bad key otherwise", () =>
    fc.assert(
      fc.property(
        fc.record({ times: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 6, max: 99 }), fc.string({ maxLength: 3 })) }, {
          requiredKeys: []
        }),
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !["name", "times", "greeting", "loud", "__proto__"].includes(k)),
          fc.jsonValue(),
          { maxKeys: 2 }
        ),
        fc.option(fc.string({ maxLength: 6 }), { nil: undefined }),
        (known, unknown, greeting) => {
          const patch: Record<string, unknown> = { ...unknown, ...known, ...(greeting === undefined ? {} : { greeting }) }
          const decoded = decodePatch(hello, patch)
          const badTimes = "times" in known && !(typeof known.times === "number" && known.times >= 1 && known.times <= 5)
          const bad = [...Object.keys(unknown), ...(badTimes ? ["times"] : [])]
          if (bad.length === 0) {
            expect(decoded).toEqual(Either.right(patch))
          } else {
            expect(Either.isLeft(decoded)).toBe(true)
            if (Either.isLeft(decoded)) expect(new Set(decoded.left.map((issue) => String(issue.path[0])))).toEqual(new Set(bad))
          }
        }
      ),
      { numRuns: 300 }
    ))
})
