/**
 * The PostgreSQL store beyond the contract: two applications in one
 * database, wake-ups through LISTEN/NOTIFY, a connection killed in the
 * middle of an operation, many claimers on separate connections, hostile
 * names, an unreachable or read-only server.
 */
import { expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Option, Queue, Stream } from "effect"
import pg from "pg"
import { Pg } from "weftjs/pg"
import type { Service } from "../../src/SnapshotStore.js"
import { newRun, stepRecord, storedState, t0 } from "../contract/SnapshotStoreContract.js"
import { migrations as schemaMigrations } from "../../src/internal/sql/schema.js"
import { backendsOf, describePg, query, type Scratch, terminate, unique } from "./support.js"

const owner = "engine-a"
const lease60 = t0 + 60_000
const known = [{ name: "order_processing", version: "1.0.0" }]

/** A store in the scratch database, named `app` on the server (to find its backends). */
const open = (scratch: Scratch, options: Partial<Pg.StoreOptions> = {}) =>
  Pg.make({ url: scratch.url, applicationName: `weft-test-${unique()}`, ...options })

/** Waits until `f` gives a value, polling every 20 ms, for at most 10 s. */
const eventually = <A>(what: string, f: Effect.Effect<A | undefined>): Effect.Effect<A> => {
  const poll: Effect.Effect<A> = Effect.flatMap(
    f,
    (a) => a !== undefined ? Effect.succeed(a) : Effect.zipRight(Effect.sleep("20 millis"), poll)
  )
  return poll.pipe(
    Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error(`timed out waiting for ${what}`) }),
    Effect.orDie
  )
}

/** The wake-ups of a store, as a queue the test takes from. */
const subscribe = (store: Service) =>
  Effect.gen(function*() {
    expect(store.wakeups).toBeDefined()
    const stream = yield* store.wakeups!
    const woken = yield* Queue.unbounded<void>()
    yield* Effect.forkScoped(Stream.runForEach(stream, () => Queue.offer(woken, undefined)))
    return woken
  })

/** The next wake-up within `within`, as `true`; `false` when none came. */
const wokenWithin = (woken: Queue.Queue<void>, within: Duration.DurationInput) =>
  Effect.map(Effect.timeout(Queue.take(woken), within), () => true).pipe(
    Effect.catchTag("TimeoutException", () => Effect.succeed(false))
  )

describePg("PostgreSQL store", (scratch) => {
  it.scopedLive("two applications in one database (schemas, prefixes) see only their own runs", () =>
    Effect.gen(function*() {
      const apps = [
        yield* open(scratch, { schema: "app_a" }),
        yield* open(scratch, { schema: "app_b" }),
        yield* open(scratch, { schema: "app_b", prefix: "other_" }),
        yield* open(scratch)
      ]
      for (const [i, store] of apps.entries()) {
        yield* store.createRun(newRun("same-id", { templateName: `app-${i}` }), storedState({ i }), { owner, leaseUntil: lease60 })
        yield* store.createRun(newRun(`own-${i}`), storedState({}), null)
      }
      for (const [i, store] of apps.entries()) {
        const runs = yield* store.list({})
        expect(runs.map((r) => r.runId).sort()).toEqual([`own-${i}`, "same-id"])
        expect(Option.getOrThrow(yield* store.getRun("same-id")).templateName).toBe(`app-${i}`)
        expect(Option.getOrThrow(yield* store.load("same-id")).snapshot.entries.i?.value).toBe(i)
        const claimed = yield* store.claimNext("w", t0, lease60, { templates: known, queues: ["default"], limit: 10 })
        expect(claimed.map((c) => c.run.runId)).toEqual([`own-${i}`])
      }
      const tables = yield* Effect.promise(() =>
        query(scratch.url, "SELECT table_schema || '.' || table_name AS t FROM information_schema.tables WHERE table_name LIKE '%runs' ORDER BY 1")
      )
      expect(tables.map((r) => r.t)).toEqual(
        expect.arrayContaining(["app_a.weft_runs", "app_b.other_runs", "app_b.weft_runs", "public.weft_runs"])
      )
    }))

  it.scopedLive("opening a store again, from several processes at once, keeps its runs (migrations run once)", () =>
    Effect.gen(function*() {
      const schema = `s_${unique()}`
      const first = yield* open(scratch, { schema })
      yield* first.createRun(newRun("kept"), storedState({ a: 1 }), null)
      const again = yield* Effect.all(Array.from({ length: 4 }, () => open(scratch, { schema })), { concurrency: "unbounded" })
      for (const store of again) expect(Option.isSome(yield* store.getRun("kept"))).toBe(true)
      const fresh = `s_${unique()}`
      const together = yield* Effect.all(Array.from({ length: 4 }, () => open(scratch, { schema: fresh })), {
        concurrency: "unbounded"
      })
      yield* together[0]!.createRun(newRun("r"), storedState({}), null)
      expect((yield* together[3]!.list({})).length).toBe(1)
      const migrations = yield* Effect.promise(() => query(scratch.url, `SELECT count(*)::int AS n FROM ${fresh}.weft_migrations`))
      // each migration the code has, once
      expect(migrations[0]?.n).toBe(Object.keys(schemaMigrations).length)
    }))

  it.scopedLive("ids with NUL, the escape character and lone surrogates read back equal; pages by cursor lose none", () =>
    Effect.gen(function*() {
      const store = yield* open(scratch, { schema: `s_${unique()}` })
      const ids = ["a", "a\u0000", "a\u0001", "a\u0001\u0002", "a\u0001\u0003d800", "a\ud800", "b\udc00x", "a\u0000\u0000", "😀"]
      for (const id of ids) {
        const lease = (yield* store.createRun(newRun(id, { queue: id }), storedState({ [id]: id }), { owner: id, leaseUntil: lease60 }))!
        yield* store.appendStep(stepRecord(id, 1, { stepKey: id, stepName: id, idempotencyKey: id }), lease)
        yield* store.recordSignal({ runId: id, name: id, payload: id, receivedAt: t0 })
        expect(Option.getOrThrow(yield* store.takeSignal(id, id, id, lease)).consumedBy).toBe(id)
      }
      for (const id of ids) {
        const loaded = Option.getOrThrow(yield* store.load(id))
        expect([loaded.run.runId, loaded.run.queue, loaded.run.owner, loaded.run.rootId]).toEqual([id, id, id, id])
        expect(loaded.snapshot.entries[id]?.value).toBe(id)
        expect(loaded.completedStepKeys).toEqual([id])
        const [step] = yield* store.steps(id)
        expect([step?.stepKey, step?.stepName, step?.idempotencyKey]).toEqual([id, id, id])
        expect((yield* store.signals(id)).map((g) => [g.name, g.consumedBy])).toEqual([[id, id]])
        expect((yield* store.list({ queue: id })).map((r) => r.runId)).toEqual([id])
      }
      expect((yield* store.heartbeat("a\u0000", lease60 + 1)).map((r) => r.runId)).toEqual(["a\u0000"])
      const seen: Array<string> = []
      let after: { createdAt: number; runId: string } | undefined
      for (;;) {
        const page = yield* store.list({ limit: 2, after })
        if (page.length === 0) break
        seen.push(...page.map((r) => r.runId))
        const last = page[page.length - 1]!
        after = { createdAt: last.createdAt, runId: last.runId }
      }
      expect([...seen].sort()).toEqual([...ids].sort())
    }))

  it.scopedLive("hostile schema and prefix names are refused with a typed error; nothing is created", () =>
    Effect.gen(function*() {
      for (const options of [{ schema: "a\"; DROP TABLE x; --" }, { prefix: "weft-" }, { schema: "" }, { prefix: "p".repeat(25) }]) {
        const error = yield* Effect.flip(open(scratch, options))
        expect(error._tag).toBe("PersistenceError")
        expect(error.detail).toContain("not a plain name")
      }
    }))

  it.scopedLive("a run queued, released or signalled wakes a listener on another connection; other work does not", () =>
    Effect.gen(function*() {
      const schema = `s_${unique()}`
      const listener = yield* open(scratch, { schema })
      const writer = yield* open(scratch, { schema })
      const neighbour = yield* open(scratch, { schema: `s_${unique()}` })
      const woken = yield* subscribe(listener)
      // the listener says once that it (re)connected: whatever was sent before is to be looked for
      expect(yield* wokenWithin(woken, "5 seconds")).toBe(true)

      const started = Date.now()
      yield* writer.createRun(newRun("queued"), storedState({}), null)
      expect(yield* wokenWithin(woken, "5 seconds")).toBe(true)
      const latency = Date.now() - started

      const lease = (yield* writer.createRun(newRun("claimed"), storedState({}), { owner, leaseUntil: lease60 }))!
      yield* neighbour.createRun(newRun("elsewhere"), storedState({}), null)
      expect(yield* wokenWithin(woken, "300 millis")).toBe(false)

      yield* writer.pause("claimed", lease, { _tag: "Release" }, { updatedAt: t0, elapsedMillis: 0 })
      expect(yield* wokenWithin(woken, "5 seconds")).toBe(true)
      expect(yield* writer.recordSignal({ runId: "queued", name: "go", payload: 1, receivedAt: t0 })).toBe("recorded")
      expect(yield* wokenWithin(woken, "5 seconds")).toBe(true)
      expect(latency).toBeLessThan(1000)
    }))

  it.scopedLive("the LISTEN connection comes back after it is killed, and wakes again", () =>
    Effect.gen(function*() {
      const schema = `s_${unique()}`
      const app = `weft-test-${unique()}`
      const listener = yield* open(scratch, { schema, applicationName: app })
      const writer = yield* open(scratch, { schema })
      const woken = yield* subscribe(listener)
      expect(yield* wokenWithin(woken, "5 seconds")).toBe(true)
      const listening = yield* eventually(
        "the LISTEN connection",
        Effect.map(backendsOf(scratch, `${app} (listen)`), (rows) => rows.length > 0 ? rows : undefined)
      )
      yield* terminate(listening.map((r) => r.pid))
      // re-opened: it says so (notifications may have been missed meanwhile)
      expect(yield* wokenWithin(woken, "10 seconds")).toBe(true)
      yield* writer.createRun(newRun("after"), storedState({}), null)
      expect(yield* wokenWithin(woken, "5 seconds")).toBe(true)
    }))

  it.scopedLive("a connection killed mid-operation is a transient PersistenceError; the store keeps working", () =>
    Effect.gen(function*() {
      const schema = `s_${unique()}`
      const app = `weft-test-${unique()}`
      const store = yield* open(scratch, { schema, applicationName: app })
      const lease = (yield* store.createRun(newRun("r1"), storedState({}), { owner, leaseUntil: lease60 }))!
      // another session holds the run's row: the checkpoint waits for it, in the middle of its statement
      const holder = new pg.Client({ connectionString: scratch.url })
      holder.on("error", () => undefined)
      yield* Effect.acquireRelease(
        Effect.promise(async () => {
          await holder.connect()
          await holder.query("BEGIN")
          await holder.query(`SELECT 1 FROM ${schema}.weft_runs WHERE run_id = 'r1' FOR UPDATE`)
        }),
        () => Effect.promise(() => holder.end().catch(() => undefined))
      )
      /** Runs `operation` until it waits for the held row, kills its backend, and gives its error. */
      const killedWhileWaiting = <A, E>(operation: Effect.Effect<A, E>) =>
        Effect.gen(function*() {
          const fiber = yield* Effect.fork(operation)
          const waiting = yield* eventually(
            "a backend waiting for the row lock",
            Effect.map(backendsOf(scratch, app), (rows) => {
              const blocked = rows.filter((r) => r.wait_event_type === "Lock")
              return blocked.length > 0 ? blocked : undefined
            })
          )
          yield* terminate(waiting.map((r) => r.pid))
          return yield* Effect.flip(Fiber.join(fiber))
        })
      // a statement on its own
      const error = yield* killedWhileWaiting(store.appendStep(stepRecord("r1", 1), lease))
      expect(error._tag).toBe("PersistenceError")
      if (error._tag === "PersistenceError") {
        expect(error.reason).toBe("unavailable")
        expect(error.transient).toBe(true)
        expect(error.operation).toBe("appendStep")
        expect(error.path).toContain(scratch.database)
        expect(error.detail).toContain("57P01")
      }
      // a transaction (its rollback fails too, on the dead connection)
      const inTransaction = yield* killedWhileWaiting(
        store.recordSignal({ runId: "r1", name: "go", payload: 1, receivedAt: t0 })
      )
      expect([inTransaction._tag, inTransaction.reason, inTransaction.operation]).toEqual([
        "PersistenceError",
        "unavailable",
        "recordSignal"
      ])
      yield* Effect.promise(() => holder.query("ROLLBACK"))
      // nothing was written by the killed statement; the same checkpoint goes through on a new connection
      expect(yield* store.steps("r1")).toEqual([])
      expect(yield* store.signals("r1")).toEqual([])
      yield* store.appendStep(stepRecord("r1", 1), lease)
      expect((yield* store.steps("r1")).length).toBe(1)
      // every connection of the pool killed while idle: the next operations open new ones
      yield* terminate((yield* backendsOf(scratch, app)).map((r) => r.pid))
      yield* Effect.sleep("100 millis")
      expect(Option.getOrThrow(yield* store.getRun("r1")).seq).toBe(1)
      yield* store.appendStep(stepRecord("r1", 2), lease)
      expect(Option.getOrThrow(yield* store.getRun("r1")).seq).toBe(2)
    }))

  it.scopedLive("10 claimers on separate connections share 200 queued runs: each run claimed exactly once", () =>
    Effect.gen(function*() {
      const schema = `s_${unique()}`
      const seed = yield* open(scratch, { schema, maxConnections: 4 })
      yield* Effect.forEach(
        Array.from({ length: 200 }, (_, i) => i),
        (i) => seed.createRun(newRun(`q-${String(i).padStart(3, "0")}`, { createdAt: t0 + i }), storedState({}), null),
        { concurrency: 4, discard: true }
      )
      const claimers = yield* Effect.all(Array.from({ length: 10 }, () => open(scratch, { schema, maxConnections: 1 })))
      const claimed = yield* Effect.all(
        claimers.map((store, w) =>
          Effect.gen(function*() {
            const mine: Array<{ runId: string; generation: number; owner: string | null }> = []
            for (;;) {
              const batch = yield* store.claimNext(`w${w}`, t0, lease60, { templates: known, queues: ["default"], limit: 3 })
              if (batch.length === 0) return mine
              for (const c of batch) mine.push({ runId: c.run.runId, generation: c.lease.generation, owner: c.run.owner })
            }
          })
        ),
        { concurrency: "unbounded" }
      )
      const all = claimed.flat()
      expect(all.length).toBe(200)
      expect(new Set(all.map((c) => c.runId)).size).toBe(200)
      expect(all.every((c) => c.generation === 1)).toBe(true)
      claimed.forEach((mine, w) => expect(mine.every((c) => c.owner === `w${w}`)).toBe(true))
      // more than one claimer got work: they ran side by side
      expect(claimed.filter((mine) => mine.length > 0).length).toBeGreaterThan(1)
      const running = yield* seed.list({ status: "running" })
      expect(running.length).toBe(200)
    }))

  it.scopedLive("an unreachable server is a PersistenceError of reason unavailable", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Pg.make({ url: "postgres://root@127.0.0.1:1/test", connectTimeout: Duration.seconds(2) })
      )
      expect(error._tag).toBe("PersistenceError")
      expect(error.reason).toBe("unavailable")
      expect(error.operation).toBe("open")
      expect(error.path).toBe("postgresql://root@127.0.0.1:1/test")
    }))
})

describePg("PostgreSQL store on a read-only database", (scratch) => {
  it.scopedLive("writes fail with a PersistenceError of reason read-only; reads work", () =>
    Effect.gen(function*() {
      const app = `weft-test-${unique()}`
      const store = yield* open(scratch, { applicationName: app })
      yield* store.createRun(newRun("r1"), storedState({}), null)
      yield* Effect.promise(() =>
        query(scratch.url, `ALTER DATABASE ${scratch.database} SET default_transaction_read_only = on`)
      )
      // connections opened from now on are read-only (as on a standby)
      yield* terminate((yield* backendsOf(scratch, app)).map((r) => r.pid))
      yield* Effect.sleep("100 millis")
      expect(Option.isSome(yield* store.getRun("r1"))).toBe(true)
      const error = yield* Effect.flip(store.createRun(newRun("r2"), storedState({}), null))
      expect(error.reason).toBe("read-only")
      expect(error.detail).toContain("25006")
      expect(error.transient).toBe(false)
    }))
})
