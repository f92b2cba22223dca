/**
 * A file written by weft 0.1 (its migrations 1–5) is brought to the current
 * schema when opened, without losing a run: statuses, cursors, steps,
 * snapshots, signals, errors and timeouts stay; a 0.1 child run gets its
 * parent and root from the parent id 0.1 kept in its state.
 */
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Effect, Option } from "effect"
import { latestMigration, migrations as schemaMigrations } from "../../src/internal/sql/schema.js"
import { newRun, stepRecord, storedState, t0 } from "../contract/SnapshotStoreContract.js"
import { tempFile } from "../support.js"
import { legacyDdl, open } from "./fixtures.js"

const legacyState = (values: Record<string, unknown>) => JSON.stringify(storedState(values))

/** Writes a weft 0.1 database: its schema and a few runs of every kind. */
const writeLegacy = (file: string): void => {
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.exec(legacyDdl)
  const run = db.prepare(`INSERT INTO weft_runs (run_id, template_name, template_version, status, seq, created_at,
    updated_at, expires_at, error, owner, lease_until, timeout_ms, wake_at) VALUES (?, 'order', '1', ?, 0, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const snapshot = db.prepare(`INSERT INTO weft_snapshots (run_id, seq, state) VALUES (?, 0, ?)`)
  const step = db.prepare(`INSERT INTO weft_steps (run_id, seq, step_key, step_name, status, attempts, started_at,
    ended_at, delta, error, idempotency_key) VALUES (?, ?, ?, ?, 'completed', 1, ?, ?, ?, NULL, ?)`)
  const parent = (id: string) => ({ "~durable/~parent": id })
  run.run("top", "running", t0, t0, null, null, "old-engine", t0 + 1000, 300_000, null)
  snapshot.run("top", legacyState({ a: 1 }))
  for (const seq of [1, 2]) {
    step.run("top", seq, `order/s${seq}`, `s${seq}`, t0 + seq * 10, t0 + seq * 10 + 5, JSON.stringify({ set: {}, unset: [] }), `top/order/s${seq}`)
  }
  run.run("top/sub", "suspended", t0 + 1, t0 + 1, null, null, null, null, null, t0 + 5000)
  snapshot.run("top/sub", legacyState({ ...parent("top"), b: 2 }))
  run.run("top/sub/deep", "running", t0 + 2, t0 + 2, null, null, null, null, null, null)
  snapshot.run("top/sub/deep", legacyState(parent("top/sub")))
  run.run("done", "completed", t0 + 3, t0 + 9, t0 + 99_000, null, null, null, null, null)
  snapshot.run("done", legacyState({}))
  run.run("bad", "failed", t0 + 4, t0 + 9, null, JSON.stringify({ tag: "Boom", message: "no" }), null, null, 60_000, null)
  snapshot.run("bad", legacyState({}))
  run.run("orphan", "running", t0 + 5, t0 + 5, null, null, null, null, null, null)
  snapshot.run("orphan", legacyState(parent("collected-long-ago")))
  db.prepare(`INSERT INTO weft_signals (run_id, name, payload, received_at, consumed_by) VALUES ('top/sub', 'go', '{"ok":true}', ?, NULL)`)
    .run(t0 + 7)
  db.close()
}

describe("SQLite migrations", () => {
  it.scoped("a weft 0.1 file is upgraded without losing a run, and works as a current one", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      writeLegacy(file)
      const { connection, store } = yield* open(file)
      const version = connection.db.prepare("SELECT MAX(migration_id) AS v FROM weft_migrations").get()
      expect(version).toEqual({ v: latestMigration })
      // the 0.1 trigger is gone; the history's triggers (migration 11) are the only ones
      const triggers = connection.db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all()
      expect(triggers).toEqual([{ name: "weft_runs_history" }, { name: "weft_runs_history_created" }])

      const get = (id: string) => Effect.map(store.getRun(id), Option.getOrThrow)
      const top = yield* get("top")
      expect(top).toMatchObject({
        status: "running",
        seq: 2,
        updatedAt: t0 + 25,
        owner: "old-engine",
        leaseUntil: t0 + 1000,
        generation: 0,
        timeoutMillis: 300_000,
        elapsedMillis: 0,
        parentId: null,
        rootId: "top",
        queue: "default",
        wakeAt: null,
        waitingFor: null,
        traceContext: null
      })
      expect(yield* get("top/sub")).toMatchObject({ status: "suspended", parentId: "top", rootId: "top", wakeAt: t0 + 5000 })
      expect(yield* get("top/sub/deep")).toMatchObject({ parentId: "top/sub", rootId: "top" })
      expect(yield* get("orphan")).toMatchObject({ parentId: null, rootId: "orphan" })
      expect(yield* get("done")).toMatchObject({ status: "completed", expiresAt: t0 + 99_000, timeoutMillis: 0, updatedAt: t0 + 9 })
      expect((yield* get("bad")).error).toEqual({ tag: "Boom", message: "no" })
      expect((yield* store.steps("top")).map((s) => s.stepKey)).toEqual(["order/s1", "order/s2"])
      const sub = Option.getOrThrow(yield* store.load("top/sub"))
      expect(sub.snapshot.entries.b?.value).toBe(2)
      expect(yield* store.signals("top/sub")).toEqual([
        { runId: "top/sub", name: "go", payload: { ok: true }, receivedAt: t0 + 7, consumedBy: null }
      ])
      expect((yield* store.list({ rootId: "top" })).map((r) => r.runId).sort()).toEqual(["top", "top/sub", "top/sub/deep"])

      // the runs go on under the current contract
      const taken = yield* store.claim("top", "engine-a", t0 + 2000, t0 + 60_000)
      expect(taken.claimed && taken.lease).toEqual({ owner: "engine-a", generation: 1 })
      if (taken.claimed) yield* store.appendStep(stepRecord("top", 3), taken.lease)
      expect((yield* get("top")).seq).toBe(3)
      expect(yield* store.createRun(newRun("new"), storedState({}), null)).toBeNull()
      expect((yield* get("new")).status).toBe("queued")
      const cancelled = yield* store.cancel("top", t0 + 3000, null)
      expect(cancelled._tag === "Cancelled" && [...cancelled.runIds].sort()).toEqual(["top", "top/sub", "top/sub/deep"])
    }))

  it.scoped("opening a current file again migrates nothing; every index is there", () =>
    Effect.gen(function*() {
      const file = yield* tempFile
      yield* Effect.scoped(Effect.flatMap(open(file), ({ store }) => store.createRun(newRun("r1"), storedState({}), null)))
      const { connection, store } = yield* open(file)
      const migrations = connection.db.prepare("SELECT migration_id FROM weft_migrations ORDER BY migration_id")
        .pluck().all()
      expect(migrations).toEqual(Object.keys(schemaMigrations).map((key) => Number.parseInt(key, 10)).sort((a, b) => a - b))
      expect(migrations.at(-1)).toBe(latestMigration)
      const indexes = connection.db.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'weft_runs' AND name LIKE 'weft_%' ORDER BY name"
      ).pluck().all()
      expect(indexes).toEqual([
        "weft_runs_active",
        "weft_runs_created",
        "weft_runs_expiry",
        "weft_runs_forked_from",
        "weft_runs_parent",
        "weft_runs_queued",
        "weft_runs_root",
        "weft_runs_wake_at"
      ])
      expect(Option.isSome(yield* store.getRun("r1"))).toBe(true)
    }))
})
