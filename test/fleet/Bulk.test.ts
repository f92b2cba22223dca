/**
 * Bulk cancellation by filter (dry run first) and export, through the
 * engine on SQLite, and through the HTTP API: only active matching runs are
 * cancelled; an export is one JSON document whose state is the run's.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { Engine, Settings, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { awaitApproval, requestApproval, settle } from "../approvalFixture.js"
import { awaitStatus, setup, sqliteStore } from "../http/fixtures.js"
import { tempFile } from "../support.js"

const approvals = Template.make({
  name: "approvals",
  version: "1",
  steps: [requestApproval, awaitApproval, settle],
  searchAttributes: ["requester", "amount"]
})

const live = Layer.provideMerge(
  Engine.layer,
  Layer.merge(
    Layer.unwrapScoped(Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename }))),
    Settings.layerWith({ pollInterval: Duration.millis(20) })
  )
)

describe("bulk cancel and export", () => {
  it.scopedLive("cancel every suspended run of a requester: a dry run counts, then they are cancelled; others untouched", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.register(approvals)
      for (const [id, requester, amount] of [["a1", "ann", 10], ["a2", "ann", 500], ["b1", "bob", 10]] as const) {
        yield* engine.start(approvals, { amount, requester }, { runId: id })
      }
      for (const id of ["a1", "a2", "b1"]) yield* Effect.repeat(engine.status(id), { until: (r) => r.status === "suspended" })
      const filter = { where: [{ key: "requester", op: "=", value: "ann" }] } as const
      const dry = yield* engine.cancelMatching(filter, { dryRun: true })
      expect(dry).toEqual({ dryRun: true, matched: 2, cancelled: [] })
      expect((yield* engine.status("a1")).status).toBe("suspended")
      const done = yield* engine.cancelMatching(filter)
      expect(done.matched).toBe(2)
      expect([...done.cancelled].sort()).toEqual(["a1", "a2"])
      expect((yield* engine.status("a2")).status).toBe("cancelled")
      expect((yield* engine.status("b1")).status).toBe("suspended")
      // nothing active matches any more
      expect((yield* engine.cancelMatching(filter, { dryRun: true })).matched).toBe(0)

      const doc = yield* engine.export("b1")
      expect(doc.run.runId).toBe("b1")
      expect(doc.searchAttributes).toEqual({ amount: 10, requester: "bob" })
      expect(doc.history.entries[0]!._tag).toBe("Created")
      expect(doc.steps.map((s) => s.stepName)).toContain("request_approval")
      expect(doc.state.entries.approvalRequest!.value).toBe("bob asks to spend 10")
      expect(JSON.parse(JSON.stringify(doc))).toEqual(doc)
      expect((yield* Effect.flip(engine.export("nope")))._tag).toBe("RunNotFound")
    }).pipe(Effect.provide(live)), 30_000)

  it.scopedLive("over HTTP: cancel-matching by prefix (dry run, then for real) and by selected ids; export", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(sqliteStore)
      for (const id of ["x-1", "x-2", "y-1"]) {
        yield* client.runs.start({ payload: { template: "expense_approval", input: { amount: 1, requester: "z" }, runId: id } })
      }
      for (const id of ["x-1", "x-2", "y-1"]) yield* awaitStatus(client, id, "suspended")
      expect(yield* client.fleet.cancelMatching({ payload: { prefix: "x-", dryRun: true } })).toEqual({
        dryRun: true,
        matched: 2,
        cancelled: []
      })
      const done = yield* client.fleet.cancelMatching({ payload: { prefix: "x-" } })
      expect([...done.cancelled].sort()).toEqual(["x-1", "x-2"])
      const selected = yield* client.fleet.cancelMatching({ payload: { runIds: ["y-1"] } })
      expect(selected.cancelled).toEqual(["y-1"])
      const refused = yield* Effect.flip(client.fleet.cancelMatching({ payload: {} }))
      expect(refused._tag).toBe("BadRequest")
      const doc = yield* client.fleet.export({ path: { runId: "y-1" } })
      expect((doc.run as { status: string }).status).toBe("cancelled")
    }), 30_000)
})
