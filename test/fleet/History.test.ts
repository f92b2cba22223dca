/**
 * `engine.history`: one ordered list of what happened to a run, on memory,
 * SQLite and PostgreSQL stores: started (claimed by its engine), steps with
 * attempts and outcome, the wait, the signal with its payload, the wake-up
 * claim, the end; a cancelled run's cancellation; an unknown run is
 * `RunNotFound`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { Engine, History, Settings, SnapshotStore } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { expenseApproval } from "../approvalFixture.js"
import { describePg, freshStore } from "../pg/support.js"
import { tempFile } from "../support.js"


const suite = <E>(name: string, store: Layer.Layer<SnapshotStore.SnapshotStore, E>) => {
  const live = Layer.provideMerge(Engine.layer, Layer.merge(store, Settings.layerWith({ pollInterval: Duration.millis(50) })))
  describe(`engine.history (${name})`, () => {
    it.scopedLive("a run that waits for a signal: started, step, suspended, signal, woken up, steps, completed", () =>
      Effect.gen(function*() {
        const engine = yield* Engine.Engine
        yield* engine.register(expenseApproval)
        const handle = yield* engine.start(expenseApproval, { amount: 120, requester: "ann" }, { runId: "exp-1" })
        yield* Effect.repeat(engine.status("exp-1"), { until: (r) => r.status === "suspended" })
        yield* engine.signal("exp-1", "approval", { approved: true, by: "bob" })
        yield* handle.await
        const history = yield* engine.history("exp-1")
        expect(history.status).toBe("completed")
        const tags = history.entries.map((e) => e._tag)
        expect(tags[0]).toBe("Created")
        expect(tags.at(-1)).toBe("Ended")
        const lines = history.entries.map(History.describe)
        expect(lines[1]).toMatch(/^started by .+, generation 1$/)
        const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line))
        const order = [
          at(/^step request_approval completed \(1 attempt/),
          at(/^suspended: waits for signal approval at /),
          at(/^signal approval received \{"approved":true,"by":"bob"\} \(consumed by /),
          at(/^woken up and claimed by .+, generation 2$/),
          at(/^step settle completed/),
          at(/^completed$/)
        ]
        expect(order.every((i) => i > 0), lines.join("\n")).toBe(true)
        expect(order, lines.join("\n")).toEqual([...order].sort((a, b) => a - b))
        expect([...order].sort((a, b) => a - b)).toEqual(order)
        for (let i = 1; i < history.entries.length; i++) {
          expect(history.entries[i]!.at).toBeGreaterThanOrEqual(history.entries[i - 1]!.at)
        }
      }).pipe(Effect.provide(live)), 30_000)

    it.scopedLive("a cancelled run's history ends with its cancellation; an unknown run is RunNotFound", () =>
      Effect.gen(function*() {
        const engine = yield* Engine.Engine
        yield* engine.register(expenseApproval)
        yield* engine.start(expenseApproval, { amount: 5, requester: "cy" }, { runId: "exp-2" })
        yield* Effect.repeat(engine.status("exp-2"), { until: (r) => r.status === "suspended" })
        yield* engine.cancel("exp-2")
        const history = yield* engine.history("exp-2")
        expect(history.entries.at(-1)?._tag).toBe("Cancelled")
        expect((yield* Effect.flip(engine.history("nope")))._tag).toBe("RunNotFound")
      }).pipe(Effect.provide(live)), 30_000)
  })
}

suite("memory", SnapshotStore.layerMemory)
suite("sqlite", Layer.unwrapScoped(Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename }))))
describePg("PostgreSQL", (scratch) => suite("postgresql", freshStore(scratch)))
