/**
 * File-system faults of the SQLite store: the file removed or replaced
 * while open, read-only files and folders, a missing folder, a file that is
 * not a database, a duplicate run id; each a PersistenceError whose reason
 * and message say what is wrong.
 */
import { describe, expect, it } from "@effect/vitest"
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { Effect, Option } from "effect"
import { PersistenceError } from "../../src/Errors.js"
import { Sqlite } from "weftjs/sqlite"
import { newRun, stepRecord, storedState, t0 } from "../contract/SnapshotStoreContract.js"
import { tempDir, tempFile } from "../support.js"
import { node, open } from "./fixtures.js"
import { built } from "../build.js"

const owner = "engine-a"
const claim = { owner, leaseUntil: t0 + 60_000 }

const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => {
    expect(error).toBeInstanceOf(PersistenceError)
    return error as PersistenceError
  })

/**
 * Opens a store on each file as a user who cannot write what root can (a
 * child as `nobody` when we are root), and gives each outcome.
 */
const openAsUser = (files: ReadonlyArray<string>) =>
  Effect.map(
    node(
      [built("test/sqlite/openAs.ts"), ...files],
      process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}
    ),
    (output) => {
      const lines = output.stdout.trim().split("\n").filter((line) => line.startsWith("{"))
      if (lines.length !== files.length) throw new Error(`the child printed: ${output.stdout} ${output.stderr}`)
      return lines.map((line) =>
        JSON.parse(line) as { readonly ok: boolean; readonly reason?: string; readonly message?: string }
      )
    }
  )

describe("SQLite faults", () => {
  it.scoped("the file removed while open: every operation fails as unavailable, naming it", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const { store } = yield* open(file)
      const lease = (yield* store.createRun(newRun("r1"), storedState({}), claim))!
      rmSync(file)
      const heartbeat = yield* failure(store.heartbeat(owner, t0 + 120_000))
      expect([heartbeat.reason, heartbeat.transient, heartbeat.path]).toEqual(["unavailable", true, file])
      expect(heartbeat.message).toContain("the database file was removed while the store had it open")
      const append = yield* failure(store.appendStep(stepRecord("r1", 1), lease))
      expect(append.reason).toBe("unavailable")
      expect(append.message).toContain("was removed")
      expect((yield* failure(store.createRun(newRun("r2"), storedState({}), null))).reason).toBe("unavailable")
    }))

  it.scoped("the file replaced by another while open: unavailable, naming it", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      const other = join(dirname(file), "other.db")
      const { store } = yield* open(file)
      const lease = (yield* store.createRun(newRun("r1"), storedState({}), claim))!
      yield* Effect.scoped(Effect.flatMap(open(other), ({ store }) => store.createRun(newRun("x"), storedState({}), null)))
      renameSync(other, file)
      const error = yield* failure(store.appendStep(stepRecord("r1", 1), lease))
      expect(error.reason).toBe("unavailable")
      expect(error.message).toContain("was replaced by another file")
      expect((yield* failure(store.heartbeat(owner, t0 + 1))).reason).toBe("unavailable")
    }))

  it.scoped("a duplicate run id is reason duplicate, with a message that says so", () =>
    Effect.gen(function*() {
      const { store } = yield* open(yield* tempFile)
      yield* store.createRun(newRun("r1"), storedState({}), null)
      const error = yield* failure(store.createRun(newRun("r1"), storedState({}), claim))
      expect([error.reason, error.transient]).toEqual(["duplicate", false])
      expect(error.message).toContain(`a run with id "r1" already exists`)
    }))

  it.scoped("a missing folder, a folder given as the file, a file that is not a database", () =>
    Effect.gen(function*() {
      const dir = yield* tempDir
      const missing = yield* failure(Sqlite.make({ filename: join(dir, "no", "such", "runs.db") }))
      expect(missing.reason).toBe("unavailable")
      expect(missing.message).toContain(`the folder ${join(dir, "no", "such")} does not exist`)
      mkdirSync(join(dir, "adir"))
      const folder = yield* failure(Sqlite.make({ filename: join(dir, "adir") }))
      expect(folder.message).toContain("is a folder, not a database file")
      writeFileSync(join(dir, "notes.db"), "these are notes, not a database ".repeat(100))
      const corrupt = yield* failure(Sqlite.make({ filename: join(dir, "notes.db") }))
      expect(corrupt.reason).toBe("corrupt")
      expect(corrupt.message).toContain("not a weft database")
    }))

  it.scoped("opened read-only: reads work, writes fail as read-only", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      yield* Effect.scoped(Effect.flatMap(open(file), ({ store }) => store.createRun(newRun("r1"), storedState({}), null)))
      const store = yield* Sqlite.make({ filename: file, readonly: true })
      expect(Option.getOrThrow(yield* store.getRun("r1")).status).toBe("queued")
      const error = yield* failure(store.createRun(newRun("r2"), storedState({}), null))
      expect(error.reason).toBe("read-only")
      expect(error.message).toContain("read-only")
    }))

  it.effect.skipIf(process.platform === "win32")("a read-only file or folder is reason read-only, and the message says which", () =>
    Effect.scoped(Effect.gen(function*() {
      const dir = yield* tempDir
      chmodSync(dir, 0o777)
      // a database file nobody may write
      const file = join(dir, "runs.db")
      yield* Effect.scoped(Effect.flatMap(open(file), ({ store }) => store.createRun(newRun("x"), storedState({}), null)))
      chmodSync(file, 0o444)
      // a folder nobody may write: no new file, no -wal/-shm beside an existing one
      const locked = join(dir, "locked")
      mkdirSync(locked)
      const inLocked = join(locked, "runs.db")
      writeFileSync(inLocked, "")
      chmodSync(inLocked, 0o666)
      chmodSync(locked, 0o555)
      const [readOnlyFile, newInLocked, existingInLocked] = yield* openAsUser([file, join(locked, "new.db"), inLocked])
      expect([readOnlyFile?.ok, readOnlyFile?.reason]).toEqual([false, "read-only"])
      expect(readOnlyFile?.message).toContain(`the database file is read-only (no write permission on ${file})`)
      for (const outcome of [newInLocked, existingInLocked]) {
        expect([outcome?.ok, outcome?.reason]).toEqual([false, "read-only"])
        expect(outcome?.message).toContain(`the folder ${locked} cannot be written`)
      }
      chmodSync(locked, 0o755)
    })), 60_000)
})
