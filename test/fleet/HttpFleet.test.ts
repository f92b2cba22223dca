/**
 * The fleet endpoints of the HTTP API through its typed client, against a
 * real server over SQLite: a run's history; the runs list filtered by search
 * attributes and run-id prefix (a bad condition is a 400 naming it).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { awaitStatus, setup, sqliteStore } from "../http/fixtures.js"

describe("HTTP fleet endpoints", () => {
  it.scopedLive("a run's history: created, started, steps, wait, signal, wake-up, end", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(sqliteStore)
      const { runId } = yield* client.runs.start({
        payload: { template: "expense_approval", input: { amount: 12, requester: "ann" }, runId: "hist-1" }
      })
      yield* awaitStatus(client, runId, "suspended")
      yield* client.runs.signal({ path: { runId, signal: "approval" }, payload: { approved: true, by: "bob" } })
      yield* awaitStatus(client, runId, "completed")
      const history = yield* client.fleet.history({ path: { runId } })
      expect(history.status).toBe("completed")
      const tags = history.entries.map((e) => e._tag)
      expect(tags[0]).toBe("Created")
      expect(tags).toContain("Suspended")
      expect(tags.at(-1)).toBe("Ended")
      const signal = history.entries.find((e) => e._tag === "Signal")
      expect(signal).toMatchObject({ name: "approval", payload: { approved: true, by: "bob" } })
      const missing = yield* Effect.flip(client.fleet.history({ path: { runId: "nope" } }))
      expect(missing._tag).toBe("RunNotFound")
      // metrics, workers, queues of the same server
      const metrics = yield* client.fleet.metrics({ urlParams: {} })
      expect(metrics.total).toBe(1)
      expect(metrics.byStatus).toEqual({ completed: 1 })
      expect(metrics.templates[0]).toMatchObject({ template: "expense_approval@1", total: 1, failureRate: 0 })
      expect(metrics.steps.map((s) => s.step)).toEqual(["approval", "request_approval", "settle"])
      expect(metrics.steps.every((s) => s.durationMs.count === 1 && s.durationMs.p50 !== null)).toBe(true)
      expect(yield* client.fleet.workers()).toEqual([])
      expect(yield* client.fleet.queues()).toEqual([])
    }), 30_000)

  it.scopedLive("the runs list by run-id prefix; a bad where is a 400 naming it", () =>
    Effect.gen(function*() {
      const { client, url } = yield* setup(sqliteStore)
      for (const id of ["ord-1", "ord-2", "other-1"]) {
        yield* client.runs.start({ payload: { template: "hello", input: { name: id, times: 1 }, runId: id } })
      }
      yield* awaitStatus(client, "ord-2", "completed")
      const page = yield* client.runs.list({ urlParams: { prefix: "ord-" } })
      expect(page.runs.map((r) => r.runId).sort()).toEqual(["ord-1", "ord-2"])
      const none = yield* client.runs.list({ urlParams: { where: [{ key: "orderId", op: "=", value: 4711 }] } })
      expect(none.runs).toEqual([])
      const bad = yield* Effect.promise(() => fetch(`${url}/api/runs?where=${encodeURIComponent("orderId")}`))
      expect(bad.status).toBe(400)
      expect(yield* Effect.promise(() => bad.text())).toContain("expected key<op>value")
    }), 30_000)
})
