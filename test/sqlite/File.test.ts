/**
 * What only a database file has: it outlives the store, it is shared with
 * other connections, and it can be damaged. (Ported from the 0.1 store's
 * tests, for the new contract.)
 */
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { randomBytes } from "node:crypto"
import { closeSync, fstatSync, openSync, writeFileSync, writeSync } from "node:fs"
import { Effect, Option } from "effect"
import { PersistenceError } from "../../src/Errors.js"
import { latestMigration } from "../../src/internal/sql/schema.js"
import type { Service } from "../../src/SnapshotStore.js"
import { Sqlite } from "weftjs/sqlite"
import { newRun, stepRecord, storedState, t0 } from "../contract/SnapshotStoreContract.js"
import { tempFile } from "../support.js"
import { legacyDdl, open } from "./fixtures.js"

const owner = "engine-a"
const claim = { owner, leaseUntil: t0 + 60_000 }

/** Runs `f` on a store over `file`, opened before and closed after. */
const withStore = <A, E>(file: string, f: (store: Service) => Effect.Effect<A, E>, busyTimeoutMillis = 5000) =>
  Effect.scoped(Effect.flatMap(open(file, { busyTimeoutMillis }), ({ store }) => f(store)))

/** Runs `f` on a separate better-sqlite3 connection to `file`. */
const withRaw = <A>(file: string, f: (db: Database.Database) => A, options: Database.Options = {}): A => {
  const db = new Database(file, options)
  try {
    return f(db)
  } finally {
    db.close()
  }
}

/** One run with two steps and a snapshot after the first, then closed. */
const populate = (file: string) =>
  withStore(file, (s) =>
    Effect.gen(function*() {
      const lease = (yield* s.createRun(newRun("r1"), storedState({ input: { n: 1 } }), claim))!
      yield* s.appendStep(stepRecord("r1", 1), lease, storedState({ input: { n: 1 }, k1: 1 }, t0 + 1500))
      yield* s.appendStep(stepRecord("r1", 2), lease)
      return lease
    }))

const failure = <A, E, R>(effect: Effect.Effect<A, E, R>, reason: PersistenceError["reason"], path: string) =>
  Effect.map(Effect.flip(effect), (error) => {
    expect(error).toBeInstanceOf(PersistenceError)
    const e = error as PersistenceError
    expect([e.reason, e.path]).toEqual([reason, path])
    expect(e.message).toContain(path)
    return e
  })

describe("SQLite file", () => {
  it.scoped("the tables are prefixed, WAL is kept in the file, and data survives reopening intact", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const lease = yield* populate(file)
      const read = (s: Service) =>
        Effect.all({ load: s.load("r1"), steps: s.steps("r1"), list: s.list({}), signals: s.signals("r1") })
      const before = yield* withStore(file, (s) =>
        Effect.zipRight(s.recordSignal({ runId: "r1", name: "go", payload: [1], receivedAt: t0 }), read(s)))
      const after = yield* withStore(file, read)
      expect(after).toEqual(before)
      expect(Option.getOrThrow(after.load).stepsAfterSnapshot.map((s) => s.seq)).toEqual([2])
      // the claim survived as well: another owner is refused, the holder writes on
      yield* withStore(file, (s) =>
        Effect.gen(function*() {
          expect((yield* s.claim("r1", "engine-b", t0 + 1, t0 + 2)).claimed).toBe(false)
          yield* s.appendStep(stepRecord("r1", 3), lease)
        }))
      const tables = withRaw(file, (db) =>
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all())
      expect(tables).toEqual(["weft_migrations", "weft_runs", "weft_schedules", "weft_signals", "weft_snapshots", "weft_steps"])
      expect(withRaw(file, (db) => db.pragma("journal_mode", { simple: true }))).toBe("wal")
      expect(withRaw(file, (db) => db.pragma("integrity_check", { simple: true }))).toBe("ok")
    }))

  it.scoped("a file at schema version 1 (weft 0.1's first tables) is brought to the current version", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      // migration 1 of weft 0.1: the runs, steps and snapshots tables, recorded as version 1
      const v1 = legacyDdl.slice(0, legacyDdl.indexOf("CREATE TABLE weft_signals"))
        .replace(/, \(2, [^;]*;/, ";")
      withRaw(file, (db) => {
        db.exec(v1)
        db.prepare(`INSERT INTO weft_runs (run_id, template_name, template_version, status, seq, created_at, updated_at)
          VALUES ('old', 'order', '1', 'suspended', 0, ?, ?)`).run(t0, t0)
        db.prepare("INSERT INTO weft_snapshots (run_id, seq, state) VALUES ('old', 0, ?)").run(JSON.stringify(storedState({ a: 1 })))
      })
      yield* withStore(file, (s) =>
        Effect.gen(function*() {
          expect(Option.getOrThrow(yield* s.getRun("old"))).toMatchObject({ status: "suspended", rootId: "old", timeoutMillis: 0 })
          expect(yield* s.recordSignal({ runId: "old", name: "go", payload: 1, receivedAt: t0 + 1 })).toBe("recorded")
        }))
      expect(withRaw(file, (db) => db.prepare("SELECT MAX(migration_id) FROM weft_migrations").pluck().get())).toBe(
        latestMigration
      )
    }))

  it.scoped("a checkpoint without a snapshot neither reads nor rewrites the stored state", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      yield* withStore(file, (s) =>
        Effect.gen(function*() {
          const lease = (yield* s.createRun(newRun("r1"), storedState({ big: "x".repeat(10_000) }), claim))!
          // an unreadable stored state: a checkpoint that read it would fail
          withRaw(file, (db) => db.prepare("UPDATE weft_snapshots SET state = 'not json {' WHERE run_id = 'r1'").run())
          yield* s.appendStep(stepRecord("r1", 1), lease)
          yield* s.appendStep(stepRecord("r1", 2), lease)
          expect(Option.getOrThrow(yield* s.getRun("r1")).seq).toBe(2)
          const error = yield* failure(s.load("r1"), "decode", file)
          expect([error.operation, error.message]).toEqual(["load", expect.stringContaining("weft_snapshots.state")])
          // a checkpoint with a snapshot replaces it, and the run loads again
          const snapshot = storedState({ big: "y", k3: 3 }, t0 + 3500)
          yield* s.appendStep(stepRecord("r1", 3), lease, snapshot)
          expect(Option.getOrThrow(yield* s.load("r1")).snapshot).toEqual(snapshot)
        }))
    }))

  it.scoped("a step record that cannot be read back is a decode error; the run record still reads", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      yield* populate(file)
      withRaw(file, (db) => db.prepare("UPDATE weft_steps SET error = '{\"tag\": 1}' WHERE run_id = 'r1' AND seq = 2").run())
      yield* withStore(file, (s) =>
        Effect.gen(function*() {
          expect((yield* failure(s.steps("r1"), "decode", file)).message).toContain("weft_steps.error")
          yield* failure(s.load("r1"), "decode", file)
          expect(Option.isSome(yield* s.getRun("r1"))).toBe(true)
        }))
    }))

  it.scoped("a refused checkpoint changes nothing: no step, no snapshot", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const lease = yield* populate(file)
      yield* withStore(file, (s) =>
        Effect.gen(function*() {
          const error = yield* Effect.flip(s.appendStep(stepRecord("r1", 2, { stepKey: "other" }), lease, storedState({ v: 99 })))
          expect(error._tag).toBe("PersistenceError")
          const loaded = Option.getOrThrow(yield* s.load("r1"))
          expect([loaded.snapshotSeq, loaded.run.seq, loaded.snapshot.entries.v]).toEqual([1, 2, undefined])
          expect((yield* s.steps("r1")).map((step) => step.stepKey)).toEqual(["flow/s1", "flow/s2"])
        }))
    }))

  it.scoped("claims are exclusive across connections to the same file", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      yield* withStore(file, (s) => s.createRun(newRun("r1"), storedState({}), null))
      const a = (yield* open(file)).store
      const b = (yield* open(file)).store
      const results = yield* Effect.all([a.claim("r1", "A", t0, t0 + 1000), b.claim("r1", "B", t0, t0 + 1000)], {
        concurrency: 2
      })
      expect(results.filter((r) => r.claimed)).toHaveLength(1)
      const [winner, loser, loserName] = results[0]!.claimed ? ["A", b, "B"] as const : ["B", a, "A"] as const
      expect(yield* loser.claim("r1", loserName, t0 + 999, t0 + 2000)).toMatchObject({ claimed: false, reason: "held", owner: winner })
      const taken = yield* loser.claim("r1", loserName, t0 + 1000, t0 + 2000)
      expect(taken.claimed && taken.lease.generation).toBe(2)
    }))

  it.scoped("a file of random bytes, or a database whose pages were overwritten: corrupt", () =>
    Effect.gen(function*() {
      const random = yield* tempFile
      writeFileSync(random, randomBytes(16_384))
      yield* failure(Sqlite.make({ filename: random }), "corrupt", random)
      yield* failure(Sqlite.make({ filename: random, readonly: true }), "corrupt", random)
      const scribbled = `${random}.2`
      yield* populate(scribbled)
      // keep page 1 (header and schema), scribble over every page after it
      const fd = openSync(scribbled, "r+")
      const size = fstatSync(fd).size
      writeSync(fd, Buffer.alloc(size - 4096, 0xa5), 0, size - 4096, 4096)
      closeSync(fd)
      yield* failure(Effect.scoped(Effect.flatMap(Sqlite.make({ filename: scribbled }), (s) => s.load("r1"))), "corrupt", scribbled)
    }))

  it.scoped("opening a missing file read-only is unavailable", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      yield* failure(Sqlite.make({ filename: file, readonly: true }), "unavailable", file)
    }))

  it.scoped("a lock another connection holds: writes fail as locked after the busy timeout, reads go on", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const lease = yield* populate(file)
      const { store } = yield* open(file, { busyTimeoutMillis: 50 })
      const other = new Database(file, { timeout: 10 })
      other.exec("BEGIN EXCLUSIVE")
      const append = yield* failure(store.appendStep(stepRecord("r1", 3), lease), "locked", file)
      expect([append.operation, append.transient]).toEqual(["appendStep", true])
      yield* failure(store.claim("r1", "B", t0, t0 + 1), "locked", file)
      yield* failure(store.collectExpired(t0), "locked", file)
      // in WAL mode readers are not blocked by a writer
      expect(Option.getOrThrow(yield* store.getRun("r1")).seq).toBe(2)
      other.exec("ROLLBACK")
      other.close()
      yield* store.appendStep(stepRecord("r1", 3), lease)
      expect((yield* store.steps("r1")).map((step) => step.seq)).toEqual([1, 2, 3])
    }))

  it.scoped("opening a new file another connection holds exclusively fails as locked, then opens", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const other = new Database(file, { timeout: 10 })
      other.exec("CREATE TABLE other (x)")
      other.exec("BEGIN EXCLUSIVE")
      const error = yield* Effect.flip(Effect.scoped(open(file, { busyTimeoutMillis: 20 })))
      other.exec("ROLLBACK")
      other.close()
      expect(error.reason).toBe("locked")
      expect(yield* withStore(file, (s) => s.list({}))).toEqual([])
    }))
})
