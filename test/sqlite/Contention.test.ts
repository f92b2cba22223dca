/**
 * Another process holding the write lock: the store's writes (those that
 * read first included) take the lock up front (`BEGIN IMMEDIATE`) and wait
 * for it within the busy timeout instead of failing with SQLITE_BUSY; past
 * the timeout, the failure is a transient `"locked"`.
 *
 * These tests wait for real: SQLite itself waits for the other process.
 */
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Deferred, Effect, Fiber, Option } from "effect"
import { PersistenceError } from "../../src/Errors.js"
import { newRun, stepRecord, storedState, t0 } from "../contract/SnapshotStoreContract.js"
import { tempFile } from "../support.js"
import { lockHolder, node, open } from "./fixtures.js"

const owner = "engine-a"
const claim = { owner, leaseUntil: t0 + 60_000 }

/** Starts a process that holds the file's write lock `ms` milliseconds; returns once it holds it. */
const holdLock = (file: string, ms: number) =>
  Effect.gen(function*() {
    const locked = yield* Deferred.make<void>()
    const child = yield* Effect.fork(node(lockHolder(file, ms), {
      onLine: (line) => line === "locked" && Deferred.unsafeDone(locked, Effect.void)
    }))
    yield* Deferred.await(locked)
    return child
  })

/** Whether another connection holds the file's write lock now (a probe that does not wait). */
const lockHeld = (file: string): boolean => {
  const probe = new Database(file, { timeout: 0 })
  try {
    probe.exec("BEGIN IMMEDIATE")
    probe.exec("ROLLBACK")
    return false
  } catch {
    return true
  } finally {
    probe.close()
  }
}

describe("SQLite under contention", () => {
  it.scoped("writes that read first wait for another process's write lock within the busy timeout", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const { store } = yield* open(file, { busyTimeoutMillis: 10_000 })
      const lease = (yield* store.createRun(newRun("r1"), storedState({}), claim))!
      const child = yield* holdLock(file, 3000)
      // the lock is held when the writes begin (3 s: time enough for a loaded machine to get here)
      expect(lockHeld(file)).toBe(true)
      // read-then-write operations: each would fail at once with SQLITE_BUSY in a deferred transaction
      expect(yield* store.recordSignal({ runId: "r1", name: "go", payload: 1, receivedAt: t0 })).toBe("recorded")
      expect(Option.getOrThrow(yield* store.takeSignal("r1", "go", "flow/w", lease)).payload).toBe(1)
      yield* store.appendStep(stepRecord("r1", 1), lease)
      expect((yield* store.claim("r1", "engine-b", t0 + 1, t0 + 2)).claimed).toBe(false)
      expect((yield* store.cancel("r1", t0 + 2, null))._tag).toBe("Cancelled")
      const exit = yield* Fiber.join(child)
      expect([exit.code, exit.stdout.includes("released")]).toEqual([0, true])
    }), 60_000)

  it.scoped("past the busy timeout, a write fails with a transient locked error, and succeeds once the lock is free", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const { store } = yield* open(file, { busyTimeoutMillis: 0 })
      yield* store.createRun(newRun("r1"), storedState({}), claim)
      // held until the process is killed
      const child = yield* holdLock(file, 60_000)
      const error = yield* Effect.flip(store.recordSignal({ runId: "r1", name: "go", payload: 1, receivedAt: t0 }))
      expect(error).toBeInstanceOf(PersistenceError)
      expect([error.reason, error.transient]).toEqual(["locked", true])
      expect(error.message).toContain("SQLITE_BUSY")
      yield* Fiber.interrupt(child)
      expect(yield* store.recordSignal({ runId: "r1", name: "go", payload: 1, receivedAt: t0 })).toBe("recorded")
    }), 60_000)
})
