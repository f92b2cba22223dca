/**
 * How the SQLite store keeps a run's cursor (`seq`, `updated_at`): four
 * ways to write a checkpoint row, each against a plain INSERT of the same
 * row, on raw better-sqlite3 (WAL, NORMAL), 1 row and 10 rows per commit:
 *
 * - `trigger`: fenced INSERT, an AFTER INSERT trigger updates the run (weft 0.1);
 * - `insert+update`: fenced INSERT, then an UPDATE of the run's cursor;
 * - `update+insert`: the UPDATE is the fence, then a plain INSERT;
 * - `insert only`: fenced INSERT (`INSERT … SELECT … FROM runs WHERE generation = ?`),
 *   the cursor read from the last step row when the run is read (what the store does).
 */
import Database from "better-sqlite3"
import { delta } from "./floor.js"
import * as F from "./fixtures.js"
import * as S from "./stats.js"

export interface Options {
  readonly reps: number
  readonly warmup: number
  readonly rows: number
}

export interface Row {
  readonly variant: string
  readonly batch: number
  readonly perRow: S.Summary
  readonly ratio: S.Summary
}

const columns = "run_id, seq, step_key, step_name, status, attempts, started_at, ended_at, delta, error, idem"
const fenced = `INSERT INTO steps (${columns}) SELECT ?, ?, 'k', 'n', 'completed', 1, 1, 2, ?, NULL, 'i'
FROM runs WHERE run_id = ? AND status = 'running' AND generation = ?`

type Writer = (db: Database.Database) => (runId: string, seq: number, payload: string) => void

const variants: ReadonlyArray<readonly [string, Writer]> = [
  ["plain insert", (db) => {
    const s = db.prepare(`INSERT INTO plain (${columns}) VALUES (?, ?, 'k', 'n', 'completed', 1, 1, 2, ?, NULL, 'i')`)
    return (r, q, p) => s.run(r, q, p)
  }],
  ["trigger", (db) => {
    db.exec(`CREATE TRIGGER advance AFTER INSERT ON steps BEGIN
      UPDATE runs SET seq = NEW.seq, updated_at = NEW.ended_at WHERE run_id = NEW.run_id; END`)
    const s = db.prepare(fenced)
    return (r, q, p) => s.run(r, q, p, r, 1)
  }],
  ["insert+update", (db) => {
    const s = db.prepare(fenced)
    const u = db.prepare("UPDATE runs SET seq = ?, updated_at = ? WHERE run_id = ?")
    return (r, q, p) => {
      if (s.run(r, q, p, r, 1).changes === 1) u.run(q, 2, r)
    }
  }],
  ["update+insert", (db) => {
    const u = db.prepare("UPDATE runs SET seq = ?, updated_at = ? WHERE run_id = ? AND status = 'running' AND generation = ?")
    const s = db.prepare(`INSERT INTO steps (${columns}) VALUES (?, ?, 'k', 'n', 'completed', 1, 1, 2, ?, NULL, 'i')`)
    return (r, q, p) => {
      if (u.run(q, 2, r, 1).changes === 1) s.run(r, q, p)
    }
  }],
  ["insert only", (db) => {
    const s = db.prepare(fenced)
    return (r, q, p) => s.run(r, q, p, r, 1)
  }]
]

const open = (file: string): Database.Database => {
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  const table = (name: string) =>
    `CREATE TABLE ${name} (run_id TEXT NOT NULL, seq INTEGER NOT NULL, step_key TEXT, step_name TEXT, status TEXT,
      attempts INTEGER, started_at INTEGER, ended_at INTEGER, delta TEXT, error TEXT, idem TEXT, PRIMARY KEY (run_id, seq))`
  db.exec(`CREATE TABLE runs (run_id TEXT PRIMARY KEY, status TEXT, generation INTEGER, seq INTEGER, updated_at INTEGER);
    ${table("steps")}; ${table("plain")}`)
  const insert = db.prepare("INSERT INTO runs VALUES (?, 'running', 1, 0, 0)")
  for (let i = 0; i < 10; i++) insert.run(`run-${i}-${"0".repeat(24)}`)
  return db
}

const sample = (writer: Writer, batch: number, rows: number) => (): Promise<S.Time> => {
  const file = F.tmpDb("cursor")
  const db = open(file)
  try {
    const write = writer(db)
    const begin = db.prepare("BEGIN IMMEDIATE")
    const commit = db.prepare("COMMIT")
    const payloads = Array.from({ length: rows }, (_, i) => JSON.stringify(delta(i)))
    const stop = S.stopwatch()
    for (let n = 0, seq = 1; n < rows; n += batch, seq++) {
      begin.run()
      for (let k = 0; k < batch; k++) write(`run-${k}-${"0".repeat(24)}`, seq, payloads[n + k]!)
      commit.run()
    }
    return Promise.resolve(S.mapTime(stop(), (t) => t / rows))
  } finally {
    db.close()
    F.removeDb(file)
  }
}

export const run = async (options: Options): Promise<ReadonlyArray<Row>> => {
  const rows: Array<Row> = []
  for (const batch of [1, 10]) {
    const samples = await S.interleave(options.reps, options.warmup, variants.map(([, w]) => sample(w, batch, options.rows)))
    const plain = samples[0]!.map((t) => t.cpu)
    variants.forEach(([variant], i) => {
      const cpu = samples[i]!.map((t) => t.cpu)
      rows.push({ variant, batch, perRow: S.summarize(cpu), ratio: S.summarize(S.pairedRatios(cpu, plain)) })
    })
  }
  return rows
}

export const print = (rows: ReadonlyArray<Row>): void => {
  console.log("\n## Checkpoint statement: how the run's cursor is kept (raw better-sqlite3, WAL NORMAL, CPU per row)")
  console.log(`${S.padEnd("variant", 14)} ${S.pad("rows/commit", 11)}  ${S.padEnd("CPU/row", 34)} vs plain insert (paired)`)
  for (const row of rows) {
    console.log(
      `${S.padEnd(row.variant, 14)} ${S.pad(String(row.batch), 11)}  ${S.padEnd(S.show(row.perRow, S.us), 34)} ${
        S.show(row.ratio, S.x)
      }`
    )
  }
}
