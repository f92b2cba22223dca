/**
 * What the SQLite store's own tests share: a store opened with its
 * connection in view, child processes that hold a file's write lock or open
 * a store as another user, and the DDL of weft 0.1.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { Effect } from "effect"
import type { ConnectionOptions } from "../../src/internal/sql/sqlite/connection.js"
import { openStore } from "../../src/internal/sql/sqlite/make.js"

/** A store on `filename` with its connection; the file is checked at every write (`fileCheckMillis: 0`). */
export const open = (filename: string, overrides: Partial<ConnectionOptions> = {}) =>
  openStore({
    filename,
    readonly: false,
    busyTimeoutMillis: 5000,
    synchronous: "NORMAL",
    fileCheckMillis: 0,
    ...overrides
  })

const projectRoot = fileURLToPath(new URL("../..", import.meta.url))

/** A child Node process: its exit code and what it printed. */
export interface ChildOutput {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `node <args>` from the project root; `onLine` sees each line of its
 * stdout as it comes. Interrupting it kills the process and waits for its end. `uid`/`gid` run it as another user (needs root).
 */
export const node = (
  args: ReadonlyArray<string>,
  options: { readonly onLine?: (line: string) => void; readonly uid?: number; readonly gid?: number } = {}
): Effect.Effect<ChildOutput> =>
  Effect.async<ChildOutput>((resume) => {
    const child = spawn(process.execPath, [...args], {
      cwd: projectRoot,
      stdio: ["ignore", "pipe", "pipe"],
      ...(options.uid === undefined ? {} : { uid: options.uid }),
      ...(options.gid === undefined ? {} : { gid: options.gid })
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      const text = chunk.toString()
      stdout += text
      for (const line of text.split("\n")) if (line !== "") options.onLine?.(line)
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const closed = new Promise<void>((done) => child.on("close", () => done()))
    child.on("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    // interrupted: killed, and waited for (its locks are gone when this ends)
    return Effect.promise(() => {
      child.kill("SIGKILL")
      return closed
    })
  })

/**
 * A script for `node --input-type=module -e`: opens `file` with its own
 * connection, takes the write lock (`BEGIN IMMEDIATE`), prints `locked`,
 * holds it `ms` milliseconds, commits and exits.
 */
export const lockHolder = (file: string, ms: number): ReadonlyArray<string> => [
  "--input-type=module",
  "-e",
  `import Database from "better-sqlite3"
const db = new Database(${JSON.stringify(file)})
db.exec("BEGIN IMMEDIATE")
db.exec("UPDATE weft_runs SET queue = queue")
process.stdout.write("locked\\n")
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms})
db.exec("COMMIT")
db.close()
process.stdout.write("released\\n")`
]

/** The tables weft 0.1 wrote (its migrations 1–5), with its migrations table. */
export const legacyDdl = `
CREATE TABLE weft_migrations (migration_id integer PRIMARY KEY NOT NULL, created_at datetime NOT NULL DEFAULT current_timestamp, name VARCHAR(255) NOT NULL);
INSERT INTO weft_migrations (migration_id, name) VALUES (1, 'create_tables'), (2, 'create_signals'), (3, 'advance_cursor_trigger'), (4, 'run_timeout'), (5, 'wake_at');
CREATE TABLE weft_runs (
  run_id TEXT PRIMARY KEY NOT NULL,
  template_name TEXT NOT NULL,
  template_version TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'suspended', 'completed', 'failed', 'cancelled')),
  seq INTEGER NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  expires_at BIGINT,
  error TEXT,
  owner TEXT,
  lease_until BIGINT
);
CREATE TABLE weft_steps (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  step_key TEXT NOT NULL,
  step_name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('completed', 'skipped', 'fallback', 'failed')),
  attempts INTEGER NOT NULL,
  started_at BIGINT NOT NULL,
  ended_at BIGINT NOT NULL,
  delta TEXT NOT NULL,
  error TEXT,
  idempotency_key TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE TABLE weft_snapshots (run_id TEXT PRIMARY KEY NOT NULL, seq INTEGER NOT NULL, state TEXT NOT NULL);
CREATE INDEX weft_runs_created_at ON weft_runs (created_at);
CREATE INDEX weft_runs_template ON weft_runs (template_name, created_at);
CREATE INDEX weft_runs_status ON weft_runs (status, created_at);
CREATE INDEX weft_runs_expiry ON weft_runs (status, expires_at);
CREATE TABLE weft_signals (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, name TEXT NOT NULL, payload TEXT NOT NULL, received_at BIGINT NOT NULL, consumed_by TEXT);
CREATE INDEX weft_signals_run ON weft_signals (run_id, name, id);
CREATE TRIGGER weft_steps_advance AFTER INSERT ON weft_steps
BEGIN
  UPDATE weft_runs SET seq = NEW.seq, updated_at = NEW.ended_at WHERE run_id = NEW.run_id;
END;
ALTER TABLE weft_runs ADD COLUMN timeout_ms BIGINT;
ALTER TABLE weft_runs ADD COLUMN wake_at BIGINT;
CREATE INDEX weft_runs_wake_at ON weft_runs (status, wake_at);
`
