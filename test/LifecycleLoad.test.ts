/**
 * `lifecycle.load`: a run's records come with its load while the run has no
 * snapshot after its start (the steps after its snapshot at seq 0 are all
 * of them); only a run with a later snapshot has its records read apart.
 * The records are the store's `steps` either way.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { SnapshotStore } from "weftjs"
import { load } from "../src/internal/run/lifecycle.js"
import type { RunEnv } from "../src/internal/run/context.js"
import { newRun, stepRecord, storedState, t0 } from "./contract/SnapshotStoreContract.js"

describe("lifecycle.load", () => {
  it.effect("reads the records apart only when the run has a snapshot after its start", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      let stepsRead = 0
      const env = { store: { ...store, steps: (runId: string) => (stepsRead++, store.steps(runId)) } } as unknown as RunEnv
      const lease = (yield* store.createRun(newRun("r"), storedState({ n: 0 }), { owner: "me", leaseUntil: t0 + 60_000 }))!

      const fresh = yield* load(env, "r")
      expect([fresh.records, stepsRead]).toEqual([[], 0])

      yield* store.appendStep(stepRecord("r", 1), lease)
      yield* store.appendStep(stepRecord("r", 2), lease)
      const early = yield* load(env, "r")
      expect(stepsRead).toBe(0)
      expect(early.records).toEqual(yield* store.steps("r"))
      expect(early.records.map((s) => s.seq)).toEqual([1, 2])

      yield* store.appendStep(stepRecord("r", 3), lease, storedState({ n: 3 }, t0 + 3500))
      yield* store.appendStep(stepRecord("r", 4), lease)
      const later = yield* load(env, "r")
      expect(stepsRead).toBe(1)
      expect(later.loaded.stepsAfterSnapshot.map((s) => s.seq)).toEqual([4])
      expect(later.records).toEqual(yield* store.steps("r"))
      expect(later.records.map((s) => s.seq)).toEqual([1, 2, 3, 4])
    }))
})
