/**
 * A run's cursor on PostgreSQL, kept at read time: a checkpoint writes its
 * step row (and snapshot) under a `FOR SHARE` lock of the run's row and
 * leaves the row as it was; the run's `seq` and the step part of its
 * `updatedAt` are read from its last step row by every read of a run (get,
 * load, list, claim), the later of the row's own and the step's. The fence
 * holds as before: a checkpoint of a stale owner that waits for a claim's
 * transaction is refused once the claim commits, alone or in a batch.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Option } from "effect"
import pg from "pg"
import { Pg } from "weftjs/pg"
import type { Lease } from "../../src/SnapshotStore.js"
import { newRun, stepRecord, storedState, t0 } from "../contract/SnapshotStoreContract.js"
import { describePg, query, type Scratch, unique } from "./support.js"

const owner = "engine-a"
const leaseUntil = t0 + 60_000

/** A store in a fresh schema with `count` runs created claimed. */
const withRuns = (scratch: Scratch, count: number) =>
  Effect.gen(function*() {
    const schema = `c_${unique()}`
    const store = yield* Pg.make({ url: scratch.url, schema, applicationName: `weft-test-${unique()}` })
    const leases: Array<Lease> = []
    for (let i = 0; i < count; i++) {
      leases.push((yield* store.createRun(newRun(`r${i}`), storedState({}), { owner, leaseUntil }))!)
    }
    return { store, leases, schema }
  })

/** The run's row as stored: its own `seq` and `updated_at`, and the transaction that last wrote it. */
const rowOf = (scratch: Scratch, schema: string, runId: string) =>
  Effect.promise(() =>
    query(scratch.url, `SELECT seq, updated_at, xmin::text AS xid FROM ${schema}.weft_runs WHERE run_id = $1`, [runId])
  ).pipe(Effect.map((rows) => rows[0]!))

/** Until a backend of the server waits for a lock (the checkpoint behind the claim's transaction). */
const lockWaited = (scratch: Scratch) =>
  Effect.promise(async () => {
    for (;;) {
      const rows = await query(scratch.url, `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`)
      if (Number(rows[0]!.n) > 0) return
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })

describePg("PostgreSQL run cursor", (scratch) => {
  it.scopedLive("a checkpoint leaves the run's row as it was; every read of the run has the last step's seq and end", () =>
    Effect.gen(function*() {
      const { leases, schema, store } = yield* withRuns(scratch, 2)
      const before = yield* rowOf(scratch, schema, "r0")
      yield* store.appendStep(stepRecord("r0", 1), leases[0]!)
      yield* store.appendStep(stepRecord("r0", 2), leases[0]!, storedState({ k: 2 }, t0 + 2500))
      const after = yield* rowOf(scratch, schema, "r0")
      expect(after).toEqual(before)
      expect(after.seq).toBe("0")

      const endOf2 = stepRecord("r0", 2).endedAt
      const run = Option.getOrThrow(yield* store.getRun("r0"))
      expect([run.seq, run.updatedAt]).toEqual([2, endOf2])
      const loaded = Option.getOrThrow(yield* store.load("r0"))
      expect([loaded.run.seq, loaded.run.updatedAt, loaded.snapshotSeq]).toEqual([2, endOf2, 2])
      const listed = yield* store.list({ templateName: "order_processing" })
      expect(listed.map((r) => [r.runId, r.seq, r.updatedAt]).sort()).toEqual([["r0", 2, endOf2], ["r1", 0, t0]])

      // a claim (the lease passed) and a re-run read the cursor too
      const claimed = yield* store.claim("r0", "engine-b", leaseUntil + 1, leaseUntil + 60_000)
      expect(claimed.claimed && [claimed.run.seq, claimed.run.updatedAt]).toEqual([2, endOf2])
      const [next] = yield* store.claimNext("engine-c", leaseUntil + 1, leaseUntil + 60_000, {
        templates: [{ name: "order_processing", version: "1.0.0" }],
        queues: ["default"],
        limit: 10
      })
      expect([next!.run.runId, next!.run.seq]).toEqual(["r1", 0])
    }))

  it.scopedLive("the later of the row's own cursor (an earlier weft's, a pause's time) and the last step's", () =>
    Effect.gen(function*() {
      const { leases, schema, store } = yield* withRuns(scratch, 1)
      yield* store.appendStep(stepRecord("r0", 1), leases[0]!)
      // as an earlier weft left it: the row's cursor moved with its checkpoints, ahead of the step rows read here
      yield* Effect.promise(() => query(scratch.url, `UPDATE ${schema}.weft_runs SET seq = 3, updated_at = $1`, [t0 + 9000]))
      const run = Option.getOrThrow(yield* store.getRun("r0"))
      expect([run.seq, run.updatedAt]).toEqual([3, t0 + 9000])
      yield* store.appendStep(stepRecord("r0", 4), leases[0]!)
      const later = Option.getOrThrow(yield* store.getRun("r0"))
      expect([later.seq, later.updatedAt]).toEqual([4, t0 + 9000])
      yield* store.appendStep(stepRecord("r0", 9), leases[0]!)
      const last = Option.getOrThrow(yield* store.getRun("r0"))
      expect([last.seq, last.updatedAt]).toEqual([9, stepRecord("r0", 9).endedAt])
    }))

  it.scopedLive("a stale owner's checkpoint waiting for a claim's transaction is refused once it commits, alone or batched", () =>
    Effect.gen(function*() {
      const { leases, schema, store } = yield* withRuns(scratch, 4)
      const other = new pg.Client({ connectionString: scratch.url })
      yield* Effect.acquireRelease(Effect.promise(() => other.connect()), () => Effect.promise(() => other.end()))
      /** Another owner's claim of `runId`, committed once `checkpoints` wait for its lock. */
      const claimedWhile = <A>(runId: string, checkpoints: Effect.Effect<A>) =>
        Effect.gen(function*() {
          yield* Effect.promise(() => other.query("BEGIN"))
          yield* Effect.promise(() =>
            other.query(`UPDATE ${schema}.weft_runs SET generation = generation + 1, owner = 'engine-b' WHERE run_id = $1`, [
              runId
            ])
          )
          const fiber = yield* Effect.fork(checkpoints)
          yield* lockWaited(scratch)
          yield* Effect.promise(() => other.query("COMMIT"))
          return yield* Fiber.join(fiber)
        })
      const alone = yield* claimedWhile("r0", Effect.either(store.appendStep(stepRecord("r0", 1), leases[0]!)))
      expect(Either.isLeft(alone) && alone.left._tag).toBe("LeaseLost")
      const batch = yield* claimedWhile(
        "r1",
        Effect.all([1, 2, 3].map((i) => Effect.either(store.appendStep(stepRecord(`r${i}`, 1), leases[i]!))), {
          concurrency: "unbounded"
        })
      )
      expect(batch.map((r) => Either.isRight(r) ? "ok" : r.left._tag)).toEqual(["LeaseLost", "ok", "ok"])
      const steps = yield* Effect.promise(() =>
        query(scratch.url, `SELECT run_id, xmin::text AS xid FROM ${schema}.weft_steps ORDER BY run_id`)
      )
      expect(steps.map((r) => r.run_id)).toEqual(["r2", "r3"])
      // written by one statement: the batch waited for r1's lock with the others in it
      expect(steps[0]!.xid).toBe(steps[1]!.xid)
    }))
})
