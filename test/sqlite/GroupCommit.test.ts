/**
 * Group commit: concurrent checkpoints share one transaction; a bad row
 * fails only its caller; a failed commit fails every caller of its batch.
 */
import { describe, expect, it } from "@effect/vitest"
import { rmSync } from "node:fs"
import { Effect, Either, Option } from "effect"
import type { Lease } from "../../src/SnapshotStore.js"
import { newRun, stepRecord, storedState, t0 } from "../contract/SnapshotStoreContract.js"
import { tempFile } from "../support.js"
import { open } from "./fixtures.js"

const owner = "engine-a"
const leaseUntil = t0 + 60_000

const withRuns = (file: string, count: number) =>
  Effect.gen(function*() {
    const opened = yield* open(file)
    const leases: Array<Lease> = []
    for (let i = 0; i < count; i++) {
      leases.push((yield* opened.store.createRun(newRun(`r${i}`), storedState({}), { owner, leaseUntil }))!)
    }
    return { ...opened, leases }
  })

describe("SQLite group commit", () => {
  it.scoped("concurrent checkpoints of 10 runs are committed in one transaction", () =>
    Effect.gen(function*() {
      const { connection, leases, store } = yield* withRuns(yield* tempFile, 10)
      const commits = connection.stats.commits
      yield* Effect.all(leases.map((lease, i) => store.appendStep(stepRecord(`r${i}`, 1), lease)), {
        concurrency: "unbounded"
      })
      expect(connection.stats.commits - commits).toBe(1)
      expect(connection.stats.batches.at(-1)).toBe(10)
      for (let i = 0; i < 10; i++) expect(Option.getOrThrow(yield* store.getRun(`r${i}`)).seq).toBe(1)
      // a lone checkpoint is a batch of one, committed at once
      yield* store.appendStep(stepRecord("r0", 2), leases[0]!)
      expect(connection.stats.batches.at(-1)).toBe(1)
      expect(connection.stats.commits - commits).toBe(2)
    }))

  it.scoped("a bad row in a batch fails only its caller", () =>
    Effect.gen(function*() {
      const { connection, leases, store } = yield* withRuns(yield* tempFile, 4)
      yield* store.appendStep(stepRecord("r3", 1), leases[3]!)
      yield* store.cancel("r2", t0 + 1, null)
      const commits = connection.stats.commits
      const results = yield* Effect.all(
        [
          store.appendStep(stepRecord("r0", 1), leases[0]!),
          store.appendStep(stepRecord("r1", 1), { owner, generation: 7 }), // a stale lease
          store.appendStep(stepRecord("r2", 1), leases[2]!), // a cancelled run
          store.appendStep(stepRecord("r3", 1), leases[3]!), // seq 1 recorded already
          store.appendStep(stepRecord("r3", 2), leases[3]!)
        ].map(Effect.either),
        { concurrency: "unbounded" }
      )
      expect(connection.stats.commits - commits).toBe(1)
      expect(connection.stats.batches.at(-1)).toBe(5)
      const tags = results.map((r) => Either.isRight(r) ? "ok" : r.left._tag)
      expect(tags).toEqual(["ok", "LeaseLost", "RunCancelled", "PersistenceError", "ok"])
      const duplicate = results[3]!
      expect(Either.isLeft(duplicate) && duplicate.left.message).toContain("step 1 of run \"r3\" is recorded already")
      expect((yield* store.steps("r0")).length).toBe(1)
      expect((yield* store.steps("r1")).length).toBe(0)
      expect((yield* store.steps("r2")).length).toBe(0)
      expect((yield* store.steps("r3")).map((s) => s.seq)).toEqual([1, 2])
      // alone (one row, no transaction around it), the same refusals
      const alone = yield* Effect.flip(store.appendStep(stepRecord("r3", 2), leases[3]!))
      expect(alone.message).toContain("step 2 of run \"r3\" is recorded already")
      expect((yield* Effect.flip(store.appendStep(stepRecord("r2", 1), leases[2]!)))._tag).toBe("RunCancelled")
    }))

  it.scoped("a commit that fails fails every caller of its batch, and nothing is acknowledged", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const { leases, store } = yield* withRuns(file, 3)
      rmSync(file)
      const results = yield* Effect.all(
        leases.map((lease, i) => Effect.either(store.appendStep(stepRecord(`r${i}`, 1), lease))),
        { concurrency: "unbounded" }
      )
      for (const result of results) {
        expect(Either.isLeft(result) && result.left._tag === "PersistenceError" && result.left.reason).toBe(
          "unavailable"
        )
      }
    }))

  it.scoped("a snapshot given with a checkpoint is written in its batch", () =>
    Effect.gen(function*() {
      const { leases, store } = yield* withRuns(yield* tempFile, 2)
      yield* Effect.all([
        store.appendStep(stepRecord("r0", 1), leases[0]!, storedState({ k1: 1 }, t0 + 1500)),
        store.appendStep(stepRecord("r1", 1), leases[1]!)
      ], { concurrency: "unbounded" })
      const loaded = Option.getOrThrow(yield* store.load("r0"))
      expect([loaded.snapshotSeq, loaded.snapshot.entries.k1?.value, loaded.stepsAfterSnapshot.length]).toEqual([1, 1, 0])
      expect(Option.getOrThrow(yield* store.load("r1")).snapshotSeq).toBe(0)
    }))
})
