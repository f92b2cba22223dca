/**
 * Group commit on PostgreSQL: checkpoints of concurrent runs share one
 * statement (one transaction: their rows carry one `xmin`); a checkpoint
 * whose fence does not hold is refused for its run only; a checkpoint the
 * server refuses (a duplicate) fails only its caller, the others being
 * written one by one; a connection lost in the middle of a batch fails
 * every caller of the batch, nothing being written, and the same
 * checkpoints go through afterwards.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Option } from "effect"
import pg from "pg"
import { Pg } from "weftjs/pg"
import type { Lease } from "../../src/SnapshotStore.js"
import { newRun, stepRecord, storedState, t0 } from "../contract/SnapshotStoreContract.js"
import { backendsOf, describePg, query, type Scratch, terminate, unique } from "./support.js"

const owner = "engine-a"
const leaseUntil = t0 + 60_000

/** A store in a fresh schema with `count` runs created claimed. */
const withRuns = (scratch: Scratch, count: number) =>
  Effect.gen(function*() {
    const schema = `g_${unique()}`
    const app = `weft-test-${unique()}`
    const store = yield* Pg.make({ url: scratch.url, schema, applicationName: app })
    const leases: Array<Lease> = []
    for (let i = 0; i < count; i++) {
      leases.push((yield* store.createRun(newRun(`r${i}`), storedState({}), { owner, leaseUntil }))!)
    }
    return { store, leases, schema, app }
  })

/** The transaction ids that wrote the step rows of these runs, by run. */
const writers = (scratch: Scratch, schema: string, runIds: ReadonlyArray<string>) =>
  Effect.promise(() =>
    query(scratch.url, `SELECT run_id, xmin::text AS xid FROM ${schema}.weft_steps WHERE run_id = ANY($1) ORDER BY run_id`, [
      runIds
    ])
  ).pipe(Effect.map((rows) => new Map(rows.map((r) => [String(r.run_id), String(r.xid)]))))

const ids = (count: number) => Array.from({ length: count }, (_, i) => `r${i}`)

describePg("PostgreSQL group commit", (scratch) => {
  it.scopedLive("concurrent checkpoints of 10 runs are written by one transaction; a lone one alone", () =>
    Effect.gen(function*() {
      const { leases, schema, store } = yield* withRuns(scratch, 10)
      yield* Effect.all(leases.map((lease, i) => store.appendStep(stepRecord(`r${i}`, 1), lease)), {
        concurrency: "unbounded"
      })
      const xids = yield* writers(scratch, schema, ids(10))
      expect(xids.size).toBe(10)
      expect(new Set(xids.values()).size).toBe(1)
      for (let i = 0; i < 10; i++) expect(Option.getOrThrow(yield* store.getRun(`r${i}`)).seq).toBe(1)
      // a lone checkpoint, in a transaction of its own
      yield* store.appendStep(stepRecord("r0", 2), leases[0]!)
      const rows = yield* Effect.promise(() =>
        query(scratch.url, `SELECT seq, xmin::text AS xid FROM ${schema}.weft_steps WHERE run_id = 'r0' ORDER BY seq`)
      )
      expect(rows.map((r) => r.seq)).toEqual(["1", "2"])
      expect(rows[1]!.xid).not.toBe(rows[0]!.xid)
      expect(Option.getOrThrow(yield* store.getRun("r0")).seq).toBe(2)
    }))

  it.scopedLive("a refused checkpoint in a batch fails only its caller: stale lease, cancelled run", () =>
    Effect.gen(function*() {
      const { leases, schema, store } = yield* withRuns(scratch, 5)
      yield* store.cancel("r2", t0 + 1, null)
      const results = yield* Effect.all(
        [
          store.appendStep(stepRecord("r0", 1), leases[0]!),
          store.appendStep(stepRecord("r1", 1), { owner, generation: 7 }), // a stale lease
          store.appendStep(stepRecord("r2", 1), leases[2]!), // a cancelled run
          store.appendStep(stepRecord("r3", 1), leases[3]!),
          store.appendStep(stepRecord("r4", 1), leases[4]!)
        ].map(Effect.either),
        { concurrency: "unbounded" }
      )
      expect(results.map((r) => Either.isRight(r) ? "ok" : r.left._tag)).toEqual([
        "ok",
        "LeaseLost",
        "RunCancelled",
        "ok",
        "ok"
      ])
      const xids = yield* writers(scratch, schema, ids(5))
      expect([...xids.keys()]).toEqual(["r0", "r3", "r4"])
      // the others were written together, in the batch the refused ones were part of
      expect(new Set(xids.values()).size).toBe(1)
      expect(Option.getOrThrow(yield* store.getRun("r1")).seq).toBe(0)
      expect(Option.getOrThrow(yield* store.getRun("r2")).status).toBe("cancelled")
    }))

  it.scopedLive("a checkpoint the server refuses (recorded already) fails only its caller; the others are written", () =>
    Effect.gen(function*() {
      const { leases, schema, store } = yield* withRuns(scratch, 4)
      yield* store.appendStep(stepRecord("r3", 1), leases[3]!)
      const before = (yield* writers(scratch, schema, ["r3"])).get("r3")
      const results = yield* Effect.all(
        [
          store.appendStep(stepRecord("r0", 1), leases[0]!),
          store.appendStep(stepRecord("r1", 1), leases[1]!),
          store.appendStep(stepRecord("r2", 1), leases[2]!),
          store.appendStep(stepRecord("r3", 1), leases[3]!) // seq 1 recorded already
        ].map(Effect.either),
        { concurrency: "unbounded" }
      )
      expect(results.map((r) => Either.isRight(r) ? "ok" : r.left._tag)).toEqual(["ok", "ok", "ok", "PersistenceError"])
      const duplicate = results[3]!
      if (Either.isLeft(duplicate) && duplicate.left._tag === "PersistenceError") {
        expect(duplicate.left.reason).toBe("duplicate")
        expect(duplicate.left.message).toContain("step 1 of run \"r3\" is recorded already")
      }
      const xids = yield* writers(scratch, schema, ids(4))
      expect([...xids.keys()]).toEqual(["r0", "r1", "r2", "r3"])
      // r3's row is the first one, untouched
      expect(xids.get("r3")).toBe(before)
      for (let i = 0; i < 3; i++) expect(Option.getOrThrow(yield* store.getRun(`r${i}`)).seq).toBe(1)
      expect(Option.getOrThrow(yield* store.getRun("r3")).seq).toBe(1)
      // the batch went again one by one: each in its own transaction
      expect(new Set([xids.get("r0"), xids.get("r1"), xids.get("r2")]).size).toBe(3)
    }))

  it.scopedLive("a connection lost in the middle of a batch fails each caller, transiently; nothing is written", () =>
    Effect.gen(function*() {
      const { app, leases, schema, store } = yield* withRuns(scratch, 4)
      // another session holds r3's row: the batch waits for it in the middle of its statement
      const holder = new pg.Client({ connectionString: scratch.url })
      holder.on("error", () => undefined)
      yield* Effect.acquireRelease(
        Effect.promise(async () => {
          await holder.connect()
          await holder.query("BEGIN")
          await holder.query(`SELECT 1 FROM ${schema}.weft_runs WHERE run_id = 'r3' FOR UPDATE`)
        }),
        () => Effect.promise(() => holder.end().catch(() => undefined))
      )
      const batch = Effect.all(
        leases.map((lease, i) => Effect.either(store.appendStep(stepRecord(`r${i}`, 1), lease))),
        { concurrency: "unbounded" }
      )
      const fiber = yield* Effect.fork(batch)
      let waiting: ReadonlyArray<Record<string, unknown>> = []
      for (let i = 0; i < 500 && waiting.length === 0; i++) {
        yield* Effect.sleep("20 millis")
        waiting = (yield* backendsOf(scratch, app)).filter((r) => r.wait_event_type === "Lock")
      }
      expect(waiting.length).toBe(1)
      yield* terminate(waiting.map((r) => r.pid))
      const results = yield* Fiber.join(fiber)
      for (const result of results) {
        expect(Either.isLeft(result)).toBe(true)
        if (Either.isLeft(result) && result.left._tag === "PersistenceError") {
          expect(result.left.reason).toBe("unavailable")
          expect(result.left.transient).toBe(true)
        } else expect.fail(`expected a PersistenceError, got ${JSON.stringify(result)}`)
      }
      expect((yield* writers(scratch, schema, ids(4))).size).toBe(0)
      yield* Effect.promise(() => holder.query("ROLLBACK"))
      // the same checkpoints, tried again (as the engine does), go through on a new connection, together
      yield* Effect.all(leases.map((lease, i) => store.appendStep(stepRecord(`r${i}`, 1), lease)), {
        concurrency: "unbounded"
      })
      const xids = yield* writers(scratch, schema, ids(4))
      expect(xids.size).toBe(4)
      expect(new Set(xids.values()).size).toBe(1)
    }))
})
