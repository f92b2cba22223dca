/**
 * The HTTP API and the web view over a hand-made `Engine` (no store in
 * context, nothing executed): what they show of runs is what the engine
 * tells, and what they do goes through it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { Http } from "weftjs/http"
import { allTemplates, makeClient } from "./fixtures.js"
import { fakeEngine, fakeRuns } from "./fakeEngine.js"

const serveFake = Effect.gen(function*() {
  const held = fakeRuns()
  const context = yield* Layer.build(
    Http.layer({ templates: allTemplates, port: 0 }).pipe(Layer.provide(fakeEngine(held)), Layer.orDie)
  )
  const { url } = Context.get(context, Http.Server)
  return { held, url, client: yield* makeClient(url) }
})

describe("the HTTP API over a fake Engine (no store anywhere)", () => {
  it.scopedLive("lists, shows and traces the engine's runs, with what each step wrote; signals and cancels through it", () =>
    Effect.gen(function*() {
      const { client, held, url } = yield* serveFake
      const page = yield* client.runs.list({ urlParams: {} })
      expect(page.runs.map((run) => [run.runId, run.status])).toEqual([["fake-waiting", "suspended"], ["fake-done", "completed"]])
      const detail = yield* client.runs.get({ path: { runId: "fake-done" } })
      expect(detail.state).toEqual({ name: "fay", times: 1, greeting: "hello fay", loud: "HELLO FAY" })
      expect(detail.position).toEqual({ lastStep: "shout", completedSteps: 2 })
      const trace = yield* client.runs.trace({ path: { runId: "fake-done" } })
      expect(trace.map((e) => [e.step, e.delta])).toEqual([
        ["greet", { set: { greeting: "hello fay" }, unset: [] }],
        ["shout", { set: { loud: "HELLO FAY" }, unset: [] }]
      ])
      expect(yield* Effect.flip(client.runs.trace({ path: { runId: "nope" } }))).toBeInstanceOf(Http.RunNotFound)
      const waiting = yield* client.runs.get({ path: { runId: "fake-waiting" } })
      expect(waiting.waitingFor).toEqual({ runId: "fake-waiting", step: "approval", signal: "approval", deadline: null })
      yield* client.runs.signal({ path: { runId: "fake-waiting", signal: "approval" }, payload: { approved: true, by: "x" } })
      expect(held.signals).toEqual([{ runId: "fake-waiting", name: "approval", payload: { approved: true, by: "x" } }])
      const cancelled = yield* client.runs.cancel({ path: { runId: "fake-waiting" } })
      expect(cancelled.status).toBe("cancelled")
      expect(held.cancelled).toEqual(["fake-waiting"])
      // the web view's page and script are served as well
      const html = yield* Effect.promise(() => fetch(`${url}/runs/fake-done`).then((r) => r.text()))
      expect(html).toContain(`<script src="/assets/app.js"></script>`)
      const script = yield* Effect.promise(() => fetch(`${url}/assets/app.js`).then((r) => r.status))
      expect(script).toBe(200)
    }))
})
