/**
 * The floors every figure is measured against, in the same process:
 *
 * - raw better-sqlite3: one row committed per transaction (an autocommit
 *   INSERT, prepared once) on a WAL file, `synchronous` NORMAL or FULL, the
 *   row as large as a checkpoint row of the store benchmark;
 * - a plain Effect chain: the benchmark's step function chained with
 *   `Effect.gen`, per step.
 */
import Database from "better-sqlite3"
import { Effect } from "effect"
import * as F from "./fixtures.js"
import * as S from "./stats.js"

export type Sync = "NORMAL" | "FULL"

/** A raw database with a table shaped like `weft_steps`. */
export const openRaw = (file: string, sync: Sync): Database.Database => {
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${sync}`)
  db.exec(`CREATE TABLE IF NOT EXISTS raw_steps (run_id TEXT NOT NULL, seq INTEGER NOT NULL, step_key TEXT NOT NULL,
    step_name TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, started_at INTEGER NOT NULL,
    ended_at INTEGER NOT NULL, delta TEXT NOT NULL, error TEXT, idempotency_key TEXT NOT NULL, PRIMARY KEY (run_id, seq))`)
  return db
}

/** A checkpoint's delta as the benchmark's steps write it (~200 bytes of JSON). */
export const delta = (tick: number) => {
  const out = F.work(tick)
  const entry = (value: unknown) => ({ value, writtenAt: 1_700_000_000_000 + tick, expiresAt: null })
  return { set: { tick: entry(out.tick), note: entry(out.note) }, unset: [] }
}

let rawRun = 0

/** Time of `rows` single-row commits: the floor, per row after dividing. */
export const rawCommits = (db: Database.Database, rows: number) => (): Promise<S.Time> => {
  const insert = db.prepare("INSERT INTO raw_steps VALUES (?, ?, ?, ?, 'completed', 1, ?, ?, ?, NULL, ?)")
  const runId = `raw-${++rawRun}-${"0".repeat(24)}`
  const payloads = Array.from({ length: rows }, (_, i) => JSON.stringify(delta(i)))
  const stop = S.stopwatch()
  for (let seq = 1; seq <= rows; seq++) {
    insert.run(runId, seq, `bench/s${seq}`, `s${seq}`, seq, seq + 1, payloads[seq - 1]!, `${runId}/bench/s${seq}`)
  }
  return Promise.resolve(stop())
}

/** Time of `steps` steps of a plain Effect chain. */
export const plainChain = (steps: number) => {
  const program = F.plainChain(steps)
  return async (): Promise<S.Time> => {
    const stop = S.stopwatch()
    await Effect.runPromise(program)
    return stop()
  }
}
