/**
 * What only the SQLite store has: a file that outlives the process, its
 * schema, its pragmas, and the faults of a real database file. The behaviour
 * every store shares is in `contract/SnapshotStoreContract.ts`.
 */
import { randomBytes } from "node:crypto"
import { chmodSync, closeSync, fstatSync, mkdirSync, openSync, writeFileSync, writeSync } from "node:fs"
import { join } from "node:path"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Context, Effect, Layer, Option, String as Str } from "effect"
import { PersistenceError } from "../src/Errors.js"
import { SnapshotStore } from "../src/SnapshotStore.js"
import * as SqlSnapshotStore from "../src/SqlSnapshotStore.js"
import { runRecord, stepRecord, storedState } from "./contract/SnapshotStoreContract.js"
import { tempDir } from "./support.js"

const t0 = 1_700_000_000_000


/** Runs `f` with a store on `filename`, opening the file before and closing it after. */
const withStore = <A, E>(
  options: SqlSnapshotStore.LayerOptions,
  f: (store: SnapshotStore["Type"]) => Effect.Effect<A, E>
): Effect.Effect<A, E | PersistenceError> =>
  Effect.flatMap(SnapshotStore, f).pipe(Effect.provide(SqlSnapshotStore.layer(options)))

/** Opens the file with a separate better-sqlite3 connection for the duration of `f`. */
const withRaw = <A>(filename: string, f: (db: Database.Database) => A, options: Database.Options = {}): A => {
  const db = new Database(filename, options)
  try {
    return f(db)
  } finally {
    db.close()
  }
}

/** A populated database: one run with two steps, a snapshot after the first, then closed. */
const populate = (filename: string) =>
  withStore({ filename }, (s) =>
    Effect.gen(function*() {
      yield* s.createRun(runRecord("r1"), storedState({ input: { n: 1 } }))
      yield* s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 1, snapshot: storedState({ input: { n: 1 }, k1: 1 }) })
      yield* s.appendStep(stepRecord("r1", 2), { updatedAt: t0 + 2 })
    }))

const expectPersistenceError = (error: unknown, reason: PersistenceError["reason"], path: string | undefined) => {
  expect(error).toBeInstanceOf(PersistenceError)
  const e = error as PersistenceError
  expect(e.reason).toBe(reason)
  expect(e.path).toBe(path)
  expect(e.detail.length).toBeGreaterThan(0)
  if (path !== undefined) expect(e.message).toContain(path)
  return e
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0

describe("SqlSnapshotStore", () => {
  describe("schema and file", () => {
    it.scoped("creates prefixed tables; migrations are idempotent across openings of the same file", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* withStore({ filename }, (s) => s.createRun(runRecord("r1"), storedState({ a: 1 })))
        // a second and a third opening run no migration again and see the data
        yield* withStore({ filename }, (s) => s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 1 }))
        const run = yield* withStore({ filename }, (s) => s.getRun("r1"))
        expect(Option.getOrThrow(run).seq).toBe(1)

        withRaw(filename, (db) => {
          const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all()
          expect(tables).toEqual(["weft_migrations", "weft_runs", "weft_signals", "weft_snapshots", "weft_steps"])
          const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'weft_%' ORDER BY name")
            .pluck().all()
          expect(indexes).toEqual([
            "weft_runs_created_at",
            "weft_runs_expiry",
            "weft_runs_status",
            "weft_runs_template",
            "weft_runs_wake_at",
            "weft_signals_run"
          ])
          expect(db.prepare("SELECT migration_id, name FROM weft_migrations ORDER BY migration_id").raw().all()).toEqual([
            [1, "create_tables"],
            [2, "create_signals"],
            [3, "advance_cursor_trigger"],
            [4, "run_timeout"],
            [5, "wake_at"]
          ])
        })
      }))

    it.scoped("a file at schema version 1 is upgraded by migrations 2 to 5, its runs intact", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* withStore({ filename }, (s) =>
          Effect.zipRight(
            s.createRun(runRecord("r1"), storedState({ a: 1 })),
            s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 1 })
          ))
        // turn the file back into what version 1 created
        withRaw(filename, (db) => {
          db.exec("DROP TABLE weft_signals")
          db.exec("DROP TRIGGER weft_steps_advance")
          db.exec("ALTER TABLE weft_runs DROP COLUMN timeout_ms")
          db.exec("DROP INDEX weft_runs_wake_at")
          db.exec("ALTER TABLE weft_runs DROP COLUMN wake_at")
          db.prepare("DELETE FROM weft_migrations WHERE migration_id >= 2").run()
        })
        const signals = yield* withStore({ filename }, (s) =>
          Effect.gen(function*() {
            expect(Option.getOrThrow(yield* s.getRun("r1")).seq).toBe(1)
            expect(yield* s.recordSignal({ runId: "r1", name: "approval", payload: { ok: true }, receivedAt: t0 })).toBe(
              "recorded"
            )
            // migration 3's trigger advances the cursor of an upgraded file too
            yield* s.appendStep(stepRecord("r1", 2), { updatedAt: stepRecord("r1", 2).endedAt })
            expect(Option.getOrThrow(yield* s.getRun("r1")).seq).toBe(2)
            // a run recorded before migration 4 has no stored timeout
            expect(Option.getOrThrow(yield* s.getRun("r1")).timeoutMillis).toBeUndefined()
            return yield* s.signals("r1")
          }))
        expect(signals.map((signal) => signal.payload)).toEqual([{ ok: true }])
        withRaw(filename, (db) =>
          expect(db.prepare("SELECT migration_id FROM weft_migrations ORDER BY migration_id").pluck().all()).toEqual([1, 2, 3, 4, 5]))
      }))

    it.scoped("the file is in WAL mode", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* withStore({ filename }, (s) =>
          Effect.gen(function*() {
            yield* s.createRun(runRecord("r1"), storedState({}))
            // while the store is open, another connection sees WAL mode
            expect(withRaw(filename, (db) => db.pragma("journal_mode", { simple: true }))).toBe("wal")
          }))
        // journal_mode = WAL is persistent in the file
        expect(withRaw(filename, (db) => db.pragma("journal_mode", { simple: true }))).toBe("wal")
      }))

    it.scoped("data survives closing and reopening the file, and the file passes integrity_check", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        const final = storedState({ input: { n: 1 }, k1: 1, k2: 2, k3: 3 }, t0 + 10)
        const before = yield* withStore({ filename }, (s) =>
          Effect.gen(function*() {
            yield* s.createRun(runRecord("r1", { templateName: "ingest" }), storedState({ input: { n: 1 } }))
            yield* s.createRun(runRecord("r2", { createdAt: t0 + 5 }), storedState({}))
            yield* s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 1, snapshot: storedState({ input: { n: 1 }, k1: 1 }) })
            yield* s.appendStep(stepRecord("r1", 2, { status: "failed", error: { tag: "E", message: "m" } }), {
              updatedAt: t0 + 2
            })
            yield* s.appendStep(stepRecord("r1", 3), { updatedAt: t0 + 3 })
            yield* s.claim("r1", "A", t0, t0 + 60_000)
            yield* s.setStatus("r2", { status: "completed", updatedAt: t0 + 9, expiresAt: t0 + 99, snapshot: final })
            return {
              load1: yield* s.load("r1"),
              load2: yield* s.load("r2"),
              steps: yield* s.steps("r1"),
              list: yield* s.list({})
            }
          }))
        const after = yield* withStore({ filename }, (s) =>
          Effect.gen(function*() {
            return {
              load1: yield* s.load("r1"),
              load2: yield* s.load("r2"),
              steps: yield* s.steps("r1"),
              list: yield* s.list({})
            }
          }))
        expect(after).toEqual(before)
        const loaded = Option.getOrThrow(after.load1)
        expect(loaded.snapshotSeq).toBe(1)
        expect(loaded.stepsAfterSnapshot.map((step) => step.seq)).toEqual([2, 3])
        expect(loaded.completedStepKeys).toEqual(["flow/s1", "flow/s3"])
        expect(Option.getOrThrow(after.load2).snapshot).toEqual(final)
        // the lease survived as well: another owner is refused
        const claim = yield* withStore({ filename }, (s) => s.claim("r1", "B", t0 + 1, t0 + 2))
        expect(claim).toEqual({ claimed: false, owner: "A", leaseUntil: t0 + 60_000 })

        yield* withStore({ filename }, (s) => s.collectExpired(t0 + 100))
        expect(withRaw(filename, (db) => db.pragma("integrity_check", { simple: true }))).toBe("ok")
        expect(withRaw(filename, (db) => db.prepare("SELECT COUNT(*) FROM weft_snapshots").pluck().get())).toBe(1)
      }))

    it.effect("layerClient runs on an existing SqlClient, whatever its name transforms", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(runRecord("r1"), storedState({ some_key: { nested_value: 1 } }))
        yield* s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 1 })
        const loaded = Option.getOrThrow(yield* s.load("r1"))
        expect(loaded.run).toEqual(runRecord("r1", { seq: 1, updatedAt: t0 + 1 }))
        expect(loaded.snapshot).toEqual(storedState({ some_key: { nested_value: 1 } }))
        expect(loaded.stepsAfterSnapshot).toEqual([stepRecord("r1", 1)])
      }).pipe(
        Effect.provide(
          SqlSnapshotStore.layerClient().pipe(
            Layer.provide(
              SqliteClient.layer({
                filename: ":memory:",
                transformResultNames: Str.snakeToCamel,
                transformQueryNames: Str.camelToSnake
              })
            ),
            Layer.orDie
          )
        )
      ))

    it.scoped("layerClient over a SqliteClient names the client's file in its errors", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* populate(filename)
        withRaw(filename, (db) => db.prepare("UPDATE weft_snapshots SET state = '[' WHERE run_id = 'r1'").run())
        const context = yield* Layer.build(
          SqlSnapshotStore.layerClient().pipe(Layer.provide(SqliteClient.layer({ filename })), Layer.orDie)
        )
        const error = yield* Effect.flip(Context.get(context, SnapshotStore).load("r1"))
        expectPersistenceError(error, "decode", filename)
      }))
  })

  describe("checkpoints", () => {
    it.scoped("appendStep without a snapshot neither reads nor rewrites the stored state", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* withStore({ filename }, (s) =>
          Effect.gen(function*() {
            yield* s.createRun(runRecord("r1"), storedState({ big: "x".repeat(10_000) }))
            // make the stored state unreadable: a checkpoint that read it would fail
            withRaw(filename, (db) => db.prepare("UPDATE weft_snapshots SET state = 'not json {' WHERE run_id = 'r1'").run())
            yield* s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 1 })
            yield* s.appendStep(stepRecord("r1", 2), { updatedAt: t0 + 2 })
            expect(Option.getOrThrow(yield* s.getRun("r1")).seq).toBe(2)
            // a run recorded before migration 4 has no stored timeout
            expect(Option.getOrThrow(yield* s.getRun("r1")).timeoutMillis).toBeUndefined()
            const row = withRaw(filename, (db) => db.prepare("SELECT seq, state FROM weft_snapshots WHERE run_id = 'r1'").get())
            expect(row).toEqual({ seq: 0, state: "not json {" })
            // a stored value that cannot be read back is a decode error naming the file
            const error = yield* Effect.flip(s.load("r1"))
            expectPersistenceError(error, "decode", filename)
            expect(error.operation).toBe("load")
            // a checkpoint with a snapshot replaces it, and the run loads again
            const snapshot = storedState({ big: "y", k1: 1, k2: 2, k3: 3 }, t0 + 3)
            yield* s.appendStep(stepRecord("r1", 3), { updatedAt: t0 + 3, snapshot })
            const loaded = Option.getOrThrow(yield* s.load("r1"))
            expect(loaded.snapshot).toEqual(snapshot)
            expect(loaded.snapshotSeq).toBe(3)
          }))
      }))

    it.scoped("a step record that cannot be read back is a decode error", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* populate(filename)
        withRaw(filename, (db) => {
          db.prepare("UPDATE weft_steps SET delta = '{\"set\": 1' WHERE run_id = 'r1' AND seq = 2").run()
          db.prepare("UPDATE weft_steps SET error = '{\"tag\": 1}' WHERE run_id = 'r1' AND seq = 1").run()
        })
        yield* withStore({ filename }, (s) =>
          Effect.gen(function*() {
            expectPersistenceError(yield* Effect.flip(s.steps("r1")), "decode", filename)
            expectPersistenceError(yield* Effect.flip(s.load("r1")), "decode", filename)
            // the run record itself is still readable
            expect(Option.isSome(yield* s.getRun("r1"))).toBe(true)
          }))
      }))

    it.scoped("a failed checkpoint changes nothing: step, cursor and snapshot are one transaction", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* withStore({ filename }, (s) =>
          Effect.gen(function*() {
            yield* s.createRun(runRecord("r1"), storedState({ v: 0 }))
            yield* s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 1 })
            // the same seq again violates the primary key, after the cursor was moved
            const error = yield* Effect.flip(
              s.appendStep(stepRecord("r1", 1, { stepKey: "other" }), {
                updatedAt: t0 + 99,
                snapshot: storedState({ v: 99 })
              })
            )
            const failure = expectPersistenceError(error, "unknown", filename)
            expect(failure.operation).toBe("appendStep")
            expect(failure.detail).toContain("SQLITE_CONSTRAINT")
            const run = Option.getOrThrow(yield* s.getRun("r1"))
            expect(run.updatedAt).toBe(t0 + 1)
            const loaded = Option.getOrThrow(yield* s.load("r1"))
            expect(loaded.snapshotSeq).toBe(0)
            expect(loaded.snapshot).toEqual(storedState({ v: 0 }))
            expect((yield* s.steps("r1")).map((step) => step.stepKey)).toEqual(["flow/s1"])
          }))
      }))

    it.scoped("a run id is never reused: createRun on an existing id fails and keeps the run", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* populate(filename)
        yield* withStore({ filename }, (s) =>
          Effect.gen(function*() {
            const error = yield* Effect.flip(s.createRun(runRecord("r1", { templateName: "other" }), storedState({})))
            expectPersistenceError(error, "unknown", filename)
            expect(error.detail).toContain("already exists")
            const loaded = Option.getOrThrow(yield* s.load("r1"))
            expect(loaded.run.templateName).toBe("order_processing")
            expect(loaded.run.seq).toBe(2)
            expect(loaded.snapshotSeq).toBe(1)
          }))
      }))

    it.scoped("claims are atomic across connections to the same file", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* populate(filename)
        // two independent connections, as two processes would have
        const a = Context.get(yield* Layer.build(SqlSnapshotStore.layer({ filename })), SnapshotStore)
        const b = Context.get(yield* Layer.build(SqlSnapshotStore.layer({ filename })), SnapshotStore)
        const results = yield* Effect.all([
          a.claim("r1", "A", t0, t0 + 1000),
          b.claim("r1", "B", t0, t0 + 1000)
        ], { concurrency: 2 })
        expect(results.filter((r) => r.claimed)).toHaveLength(1)
        const winner = results[0]?.claimed === true ? "A" : "B"
        const loser = winner === "A" ? b : a
        expect(yield* loser.claim("r1", winner === "A" ? "B" : "A", t0 + 999, t0 + 2000)).toEqual({
          claimed: false,
          owner: winner,
          leaseUntil: t0 + 1000
        })
        // the lease passes: the other connection takes it over
        expect(yield* loser.claim("r1", winner === "A" ? "B" : "A", t0 + 1000, t0 + 2000)).toEqual({ claimed: true })
        expect(withRaw(filename, (db) => db.prepare("SELECT owner FROM weft_runs WHERE run_id = 'r1'").pluck().get()))
          .toBe(winner === "A" ? "B" : "A")
      }))
  })

  describe("faults", () => {
    it.scoped("a file of text that is not a database: the layer fails with corrupt, naming the file", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        writeFileSync(filename, "this is not a database, just some text\n".repeat(200))
        const error = yield* Effect.flip(withStore({ filename }, (s) => s.getRun("r1")))
        const e = expectPersistenceError(error, "corrupt", filename)
        expect(e.detail).toContain("not a database")
        // nothing was written over the file
        expect(withRaw(filename, () => true, { readonly: true })).toBe(true)
      }))

    it.scoped("a file of random bytes: the layer fails with corrupt", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        writeFileSync(filename, randomBytes(16_384))
        expectPersistenceError(yield* Effect.flip(withStore({ filename }, (s) => s.list({}))), "corrupt", filename)
        // also when opened read-only
        expectPersistenceError(
          yield* Effect.flip(withStore({ filename, readonly: true }, (s) => s.list({}))),
          "corrupt",
          filename
        )
      }))

    it.scoped("a database whose pages were overwritten: corrupt", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* populate(filename)
        // keep page 1 (header and schema), scribble over every page after it
        const fd = openSync(filename, "r+")
        const size = fstatSync(fd).size
        expect(size).toBeGreaterThan(4096)
        writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096)
        closeSync(fd)
        const error = yield* Effect.flip(withStore({ filename }, (s) => s.load("r1")))
        expectPersistenceError(error, "corrupt", filename)
      }))

    it.scoped("a read-only database: reads work, writes fail with read-only", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* populate(filename)
        chmodSync(filename, 0o444)
        // root ignores file permissions, so there the file is also opened
        // read-only by the driver; otherwise the permissions alone do it
        yield* withStore({ filename, readonly: isRoot }, (s) =>
          Effect.gen(function*() {
            const loaded = Option.getOrThrow(yield* s.load("r1"))
            expect(loaded.run.seq).toBe(2)
            const append = yield* Effect.flip(s.appendStep(stepRecord("r1", 3), { updatedAt: t0 + 3 }))
            expect(expectPersistenceError(append, "read-only", filename).operation).toBe("appendStep")
            const claim = yield* Effect.flip(s.claim("r1", "A", t0, t0 + 1000))
            expect(expectPersistenceError(claim, "read-only", filename).operation).toBe("claim")
            const create = yield* Effect.flip(s.createRun(runRecord("r2"), storedState({})))
            expect(expectPersistenceError(create, "read-only", filename).operation).toBe("createRun")
            // nothing changed
            expect(Option.getOrThrow(yield* s.getRun("r1")).seq).toBe(2)
            // a run recorded before migration 4 has no stored timeout
            expect(Option.getOrThrow(yield* s.getRun("r1")).timeoutMillis).toBeUndefined()
            expect((yield* s.list({})).map((r) => r.runId)).toEqual(["r1"])
          }))
      }))

    it.scoped("the readonly option: reads work, writes fail with read-only, whatever the file's permissions", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* populate(filename)
        yield* withStore({ filename, readonly: true }, (s) =>
          Effect.gen(function*() {
            expect((yield* s.steps("r1")).length).toBe(2)
            const error = yield* Effect.flip(s.setStatus("r1", { status: "completed", updatedAt: t0 + 9 }))
            expectPersistenceError(error, "read-only", filename)
            expect(Option.getOrThrow(yield* s.getRun("r1")).status).toBe("running")
          }))
      }))

    it.scoped("opening a file that does not exist read-only fails with unavailable", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "missing.db")
        const error = yield* Effect.flip(withStore({ filename, readonly: true }, (s) => s.list({})))
        expectPersistenceError(error, "unavailable", filename)
      }))

    it.scoped("a database locked by another connection: writes fail with locked after busyTimeout", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        yield* populate(filename)
        yield* withStore({ filename, busyTimeout: 50 }, (s) =>
          Effect.gen(function*() {
            const other = new Database(filename, { timeout: 10 })
            other.exec("BEGIN EXCLUSIVE")
            const started = Date.now()
            const append = yield* Effect.flip(s.appendStep(stepRecord("r1", 3), { updatedAt: t0 + 3 }))
            const waited = Date.now() - started
            const failure = expectPersistenceError(append, "locked", filename)
            expect(failure.operation).toBe("appendStep")
            expect(failure.detail).toContain("SQLITE_BUSY")
            // it waited for the lock for about busyTimeout, not the driver's 5 s default
            expect(waited).toBeGreaterThanOrEqual(40)
            expect(waited).toBeLessThan(2000)
            expectPersistenceError(yield* Effect.flip(s.claim("r1", "A", t0, t0 + 1)), "locked", filename)
            expectPersistenceError(yield* Effect.flip(s.collectExpired(t0)), "locked", filename)
            // in WAL mode readers are not blocked by a writer
            expect(Option.getOrThrow(yield* s.getRun("r1")).seq).toBe(2)
            // a run recorded before migration 4 has no stored timeout
            expect(Option.getOrThrow(yield* s.getRun("r1")).timeoutMillis).toBeUndefined()
            other.exec("ROLLBACK")
            other.close()
            // once the lock is gone the store works again, and the failed step left no trace
            yield* s.appendStep(stepRecord("r1", 3), { updatedAt: t0 + 3 })
            expect((yield* s.steps("r1")).map((step) => step.seq)).toEqual([1, 2, 3])
          }))
      }))

    it.scoped("opening a new file another connection holds exclusively fails with locked", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "weft.db")
        const other = new Database(filename, { timeout: 10 })
        other.exec("CREATE TABLE other (x)")
        other.exec("BEGIN EXCLUSIVE")
        const error = yield* Effect.flip(withStore({ filename, busyTimeout: 20 }, (s) => s.list({})))
        other.exec("ROLLBACK")
        other.close()
        expectPersistenceError(error, "locked", filename)
        // and opens once it is free
        expect(yield* withStore({ filename }, (s) => s.list({}))).toEqual([])
      }))

    it.scoped("a directory path: the layer fails with unavailable, naming the path", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const folder = join(dir, "a-folder")
        mkdirSync(folder)
        const error = yield* Effect.flip(withStore({ filename: folder }, (s) => s.list({})))
        expectPersistenceError(error, "unavailable", folder)
        expect(error.operation).toBe("open")
      }))

    it.scoped("a file in a folder that does not exist: unavailable", () =>
      Effect.gen(function*() {
        const filename = join(yield* tempDir, "no", "such", "folder", "weft.db")
        const error = yield* Effect.flip(withStore({ filename }, (s) => s.list({})))
        expectPersistenceError(error, "unavailable", filename)
      }))
  })
})
