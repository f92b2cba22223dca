/**
 * The connection weft owns: its pragmas, that it is the only one, and that
 * the `SqlClient` on it and the hot path never interleave in a transaction.
 */
import { describe, expect, it } from "@effect/vitest"
import { readdirSync, readlinkSync } from "node:fs"
import { Effect, Exit, Fiber, Option } from "effect"
import { newRun, storedState, stepRecord, t0 } from "../contract/SnapshotStoreContract.js"
import { tempFile } from "../support.js"
import { open } from "./fixtures.js"

const owner = "engine-a"

/** How many of this process's file descriptors are open on `path` itself. */
const descriptorsOn = (path: string): number =>
  readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path
    } catch {
      return false
    }
  }).length

describe("SQLite connection", () => {
  it.scoped("WAL, synchronous NORMAL by default or FULL, and the busy timeout are set", () =>
    Effect.gen(function*() {
      const normal = yield* open(yield* tempFile, { busyTimeoutMillis: 5000 })
      expect(normal.connection.db.pragma("journal_mode", { simple: true })).toBe("wal")
      expect(normal.connection.db.pragma("synchronous", { simple: true })).toBe(1)
      expect(normal.connection.db.pragma("busy_timeout", { simple: true })).toBe(5000)
      const full = yield* open(yield* tempFile, { synchronous: "FULL", busyTimeoutMillis: 250 })
      expect(full.connection.db.pragma("synchronous", { simple: true })).toBe(2)
      expect(full.connection.db.pragma("busy_timeout", { simple: true })).toBe(250)
    }))

  it.scoped.skipIf(process.platform !== "linux")("the store opens one connection: the file is open once", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const before = descriptorsOn(file)
      const { store } = yield* open(file)
      const lease = (yield* store.createRun(newRun("r1"), storedState({ a: 1 }), { owner, leaseUntil: t0 + 60_000 }))!
      yield* store.appendStep(stepRecord("r1", 1), lease)
      expect((yield* store.list({})).length).toBe(1) // through the SqlClient
      expect(Option.isSome(yield* store.load("r1"))).toBe(true) // through the hot path
      expect(before).toBe(0)
      expect(descriptorsOn(file)).toBe(1)
    }))

  it.scoped("the SqlClient and the hot path share the connection; hot-path writes wait for its open transaction", () =>
    Effect.gen(function*() {
      const { connection, store } = yield* open(yield* tempFile)
      const sql = connection.client
      yield* sql`CREATE TABLE scratch (n INTEGER)`
      // a client transaction that is rolled back, with a hot-path write attempted while it is open
      const started = yield* Effect.makeLatch(false)
      const proceed = yield* Effect.makeLatch(false)
      const transaction = yield* sql.withTransaction(
        Effect.gen(function*() {
          yield* sql`INSERT INTO scratch (n) VALUES (1)`
          yield* started.open
          yield* proceed.await
          return yield* Effect.fail("roll back" as const)
        })
      ).pipe(Effect.exit, Effect.fork)
      yield* started.await
      const create = yield* Effect.fork(store.createRun(newRun("r1"), storedState({}), null))
      yield* Effect.yieldNow({ priority: 1 })
      // the hot-path write waits: it is not run inside the client's transaction
      expect(Option.isNone(yield* Fiber.poll(create))).toBe(true)
      yield* proceed.open
      expect(Exit.isFailure(yield* Fiber.join(transaction))).toBe(true)
      expect(yield* Fiber.join(create)).toBeNull()
      // the client's write was rolled back, the store's is there, read through either path
      expect(yield* sql`SELECT COUNT(*) AS n FROM scratch`).toEqual([{ n: 0 }])
      expect(yield* sql`SELECT run_id, status FROM weft_runs`).toEqual([{ run_id: "r1", status: "queued" }])
      expect(Option.getOrThrow(yield* store.getRun("r1")).status).toBe("queued")
    }))
})
