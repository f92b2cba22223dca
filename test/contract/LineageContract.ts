/**
 * The store contract of a run's lineage in columns (memory, SQLite,
 * PostgreSQL): a fork's `forkedFrom` / `forkedAfter` / `migratedFrom`
 * recorded by `createRun` and read back, `retarget` recording the version
 * the run was on in the same write, and `list({ forkedFrom })`.
 * Registered by `suite` in `SnapshotStoreContract.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import { SnapshotStore } from "../../src/SnapshotStore.js"
import { newRun, stepRecord, storedState, t0 } from "./SnapshotStoreContract.js"

const owner = "engine-a"
// a function: this module and the contract import each other, so `t0` is read when a test runs
const claimFor = () => ({ owner, leaseUntil: t0 + 60_000 })

const lineageOf = (run: { readonly forkedFrom?: unknown; readonly forkedAfter?: unknown; readonly migratedFrom?: unknown }) => ({
  forkedFrom: run.forkedFrom ?? null,
  forkedAfter: run.forkedAfter ?? null,
  migratedFrom: run.migratedFrom ?? null
})

/** Registers the lineage cases for one store implementation. */
export const lineageSuite = <E>(name: string, layer: Layer.Layer<SnapshotStore, E>): void => {
  describe(`SnapshotStore lineage contract: ${name}`, () => {
    it.effect("a fork's lineage is recorded with it and read back by getRun, load and list; other runs have none", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(newRun("orig"), storedState({}), null)
        // ids and steps are data: NUL, the escape character and non-BMP text read back equal
        const step = "flow/\u0000step\u0001 \u{1F600}"
        yield* s.createRun(
          newRun("fork-1", { createdAt: t0 + 1, forkedFrom: "orig", forkedAfter: step, migratedFrom: "order_processing@1.0.0" }),
          storedState({}),
          claimFor()
        )
        const expected = { forkedFrom: "orig", forkedAfter: step, migratedFrom: "order_processing@1.0.0" }
        expect(lineageOf(Option.getOrThrow(yield* s.getRun("fork-1")))).toEqual(expected)
        expect(lineageOf(Option.getOrThrow(yield* s.load("fork-1")).run)).toEqual(expected)
        expect((yield* s.list({ runIdPrefix: "fork-" })).map(lineageOf)).toEqual([expected])
        expect(lineageOf(Option.getOrThrow(yield* s.getRun("orig")))).toEqual({ forkedFrom: null, forkedAfter: null, migratedFrom: null })
      }).pipe(Effect.provide(layer)))

    it.effect("list({ forkedFrom }) gives the run's own forks, newest first, combined with the other fields", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const original = "\u0000orig"
        yield* s.createRun(newRun(original), storedState({}), null)
        yield* s.createRun(newRun("other"), storedState({}), null)
        yield* s.createRun(newRun("f1", { createdAt: t0 + 1, forkedFrom: original, forkedAfter: "a" }), storedState({}), claimFor())
        yield* s.createRun(newRun("f2", { createdAt: t0 + 2, forkedFrom: original, forkedAfter: "b" }), storedState({}), null)
        yield* s.createRun(newRun("g1", { createdAt: t0 + 3, forkedFrom: "other", forkedAfter: "a" }), storedState({}), null)
        // a fork of a fork is not a fork of the original
        yield* s.createRun(newRun("f1.1", { createdAt: t0 + 4, forkedFrom: "f1", forkedAfter: "a" }), storedState({}), null)
        const ids = (runs: ReadonlyArray<{ readonly runId: string }>) => runs.map((run) => run.runId)
        expect(ids(yield* s.list({ forkedFrom: original }))).toEqual(["f2", "f1"])
        expect(ids(yield* s.list({ forkedFrom: "other" }))).toEqual(["g1"])
        expect(ids(yield* s.list({ forkedFrom: "f1" }))).toEqual(["f1.1"])
        expect(ids(yield* s.list({ forkedFrom: "orig" }))).toEqual([])
        expect(ids(yield* s.list({ forkedFrom: original, status: "queued" }))).toEqual(["f2"])
        expect(ids(yield* s.list({ forkedFrom: original, limit: 1 }))).toEqual(["f2"])
        expect(ids(yield* s.list({ forkedFrom: original, after: { createdAt: t0 + 2, runId: "f2" } }))).toEqual(["f1"])
      }).pipe(Effect.provide(layer)))

    it.effect("retarget records the version the run was on, with the new one; a refused retarget records neither", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = (yield* s.createRun(newRun("m"), storedState({}), claimFor()))!
        const v2 = { name: "order_processing", version: "2.0.0", fingerprint: null }
        const stale = { ...lease, generation: lease.generation + 1 }
        yield* Effect.flip(s.retarget(stepRecord("m", 1, { stepKey: "~migrate/1" }), stale, v2))
        expect(lineageOf(Option.getOrThrow(yield* s.getRun("m"))).migratedFrom).toBe(null)
        yield* s.retarget(stepRecord("m", 1, { stepKey: "~migrate/1" }), lease, v2)
        expect(Option.getOrThrow(yield* s.getRun("m"))).toMatchObject({ templateVersion: "2.0.0", migratedFrom: "order_processing@1.0.0" })
        yield* s.retarget(stepRecord("m", 2, { stepKey: "~migrate/2" }), lease, { ...v2, version: "3" })
        expect(Option.getOrThrow(yield* s.getRun("m"))).toMatchObject({ templateVersion: "3", migratedFrom: "order_processing@2.0.0" })
      }).pipe(Effect.provide(layer)))
  })
}
