/**
 * The SQL tables of the run stores and their migrations, shared by the
 * SQLite store (`weftjs/sqlite`) and the PostgreSQL one (`weftjs/pg`): each
 * migration is an `Effect` over the generic `SqlClient` that picks its DDL
 * with `sql.onDialectOrElse`, run by `@effect/sql`'s `Migrator` and recorded
 * in `weft_migrations`.
 *
 * Tables (all prefixed `weft_`):
 * - `weft_runs`: one row per run: status, cursor (`seq`, `updated_at`),
 *   claim (`owner`, `lease_until`, `generation`: the fencing token), lineage
 *   (`parent_id`, `root_id`; a fork's `forked_from`, `forked_after`; `migrated_from`), `queue`, timing,
 *   what it waits for;
 * - `weft_steps`: one row per checkpoint, keyed by `(run_id, seq)`;
 * - `weft_snapshots`: each run's latest full state and the `seq` it was taken at (and its first
 *   state, once a later snapshot replaced it);
 * - `weft_signals`: signals sent to runs, pending until a step consumes them;
 * - `weft_queue_starts`: when queued runs of each queue started, for rate limits (kept one period).
 *
 * History: migrations 1–5 are the tables of weft 0.1, SQLite only (no 0.1
 * database exists on PostgreSQL, where they do nothing). Migration 6 brings a
 * 0.1 SQLite file to the current runs table (a table rebuild, since the
 * status CHECK constraint gains `queued`) without losing a run, deriving
 * each 0.1 child run's parent and root from its state; on PostgreSQL it
 * creates every table at its current shape. Later migrations are written for
 * both dialects.
 *
 * JSON columns (`error`, `waiting_for`, `delta`, `state`, `payload`) are
 * `TEXT` on both dialects: `JSONB` would refuse `\u0000` in strings and
 * reorder keys, and a value must read back as it was written. Times are epoch
 * milliseconds in `BIGINT` columns (PostgreSQL returns them as strings: the
 * row readers of `./rows.ts`, re-exported here, accept both).
 *
 * @internal
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Context, Effect } from "effect"
import * as RunStatus from "../../RunStatus.js"
import type { SignalRecord } from "../../SnapshotStore.js"
import { queueStarts, runsV2, runsV3, statusesV3, v3Copied } from "./controlSchema.js"
import { fleetTables, historyTriggerPg, historyTriggerSqlite } from "./fleetSchema.js"
import { backfillLineage, lineageDdl } from "./lineageSchema.js"
import { schedulesTable } from "./triggersSchema.js"

// -----------------------------------------------------------------------------
// names
// -----------------------------------------------------------------------------

/** The tables' names. */
export const tables = {
  runs: "weft_runs",
  steps: "weft_steps",
  snapshots: "weft_snapshots",
  signals: "weft_signals",
  starts: "weft_queue_starts",
  schedules: "weft_schedules",
  search: "weft_search",
  history: "weft_history",
  workers: "weft_workers",
  migrations: "weft_migrations"
} as const

/** The columns of `weft_runs`, in the order the row readers expect them (`SELECT ${runColumns}`). */
export const runColumns = "run_id, template_name, template_version, status, seq, created_at, updated_at, " +
  "expires_at, error, timeout_ms, elapsed_ms, wake_at, waiting_for, parent_id, root_id, queue, owner, " +
  "lease_until, generation, trace_context, template_fingerprint, priority, recovery_attempts, paused_from, triggered_by, " +
  "forked_from, forked_after, migrated_from"

/** The columns of `weft_schedules`, in the order {@link toScheduleRecord} reads them. */
export const scheduleColumns = "name, template_name, template_version, cron, time_zone, input, overlap, catch_up, " +
  "catch_up_max, queue, paused, created_at, updated_at, last_tick, last_run_id, buffered_tick"

/** The columns of `weft_steps`. */
export const stepColumns =
  "run_id, seq, step_key, step_name, status, attempts, started_at, ended_at, delta, error, idempotency_key"

/** The columns of `weft_signals` a {@link SignalRecord} is read from. */
export const signalColumns = "run_id, name, payload, received_at, consumed_by"

const sqlList = (statuses: ReadonlyArray<RunStatus.RunStatus>): string => `(${statuses.map((s) => `'${s}'`).join(", ")})`

/** The statuses of an active run, as an SQL list: `('queued', 'running', 'suspended')`. */
export const activeStatuses = sqlList(RunStatus.active)

/** The statuses a finished run has, as an SQL list: `('completed', 'failed', 'cancelled')`. */
export const finalStatuses = sqlList(RunStatus.final)

// -----------------------------------------------------------------------------
// migrations
// -----------------------------------------------------------------------------

type Migration = Effect.Effect<void, SqlError, SqlClient.SqlClient>

/**
 * The prefix of every table and index name the migrations create and
 * {@link migrate} records them in (default `weft_`): another prefix gives a
 * second, independent set of tables in the same database or schema
 * (`weftjs/pg`'s `prefix` option). Provide it around {@link migrate}.
 */
export class TablePrefix extends Context.Reference<TablePrefix>()("weft/sql/TablePrefix", {
  defaultValue: () => "weft_"
}) {}

/** A migration statement with its `weft_` names under `prefix`. */
const renamed = (statement: string, prefix: string): string =>
  prefix === "weft_" ? statement : statement.replace(/\bweft_/g, prefix)

/** Runs one migration's statements in order, on the client without name transforms. */
const statements = (
  build: (sql: SqlClient.SqlClient) => {
    readonly sqlite: ReadonlyArray<string>
    readonly pg: ReadonlyArray<string>
  }
): Migration =>
  Effect.flatMap(Effect.all([SqlClient.SqlClient, TablePrefix]), ([client, prefix]) => {
    const sql = client.withoutTransforms()
    const ddl = build(sql)
    const chosen = sql.onDialectOrElse({
      sqlite: () => ddl.sqlite,
      pg: () => ddl.pg,
      orElse: () => ddl.sqlite
    })
    return Effect.forEach(chosen, (statement) => sql.unsafe(renamed(statement, prefix)), { discard: true })
  })

/** The statuses of a run that is not final, as the SQL term the partial index of active runs is defined by. */
export const activeTerm = `status IN ${activeStatuses}`

/** The active statuses of weft 0.2 and 0.3 (before `paused`), as migration 6 wrote its partial index. */
const activeTermV2 = `status IN ('queued', 'running', 'suspended')`

/**
 * The indexes of `weft_runs` v2. Every index is one more B-tree page written
 * when a run is created or changes status (with 10 plain indexes, creating a
 * run cost ~4× a 1-row commit), so most are partial: a run is in an index
 * only while a query can look for it there.
 *
 * - `created`: `list`, newest first, paged by `(created_at, run_id)` (every run);
 * - `active`: runs not final, by status then age: `claimNext` (queued,
 *   orphaned, due), `heartbeat` (an owner's running runs), `list` by an
 *   active status; a query uses it by repeating {@link activeTerm};
 * - `wake_at`: suspended runs by due time (`claimNext`, `list({ wakeBefore })`);
 * - `expiry`: finished runs with an expiry (`collectExpired`);
 * - `parent`, `root`: child runs by parent (cancel's cascade, `list({ parentId })`)
 *   and by top-level run (`list({ rootId })`, with the top-level run itself by its key).
 */
const runIndexesOf = (active: string): ReadonlyArray<string> => [
  `CREATE INDEX IF NOT EXISTS weft_runs_created ON weft_runs (created_at, run_id)`,
  `CREATE INDEX IF NOT EXISTS weft_runs_active ON weft_runs (status, created_at, run_id) WHERE ${active}`,
  `CREATE INDEX IF NOT EXISTS weft_runs_wake_at ON weft_runs (wake_at) WHERE status = 'suspended'`,
  `CREATE INDEX IF NOT EXISTS weft_runs_expiry ON weft_runs (expires_at) WHERE expires_at IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS weft_runs_parent ON weft_runs (parent_id) WHERE parent_id IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS weft_runs_root ON weft_runs (root_id) WHERE parent_id IS NOT NULL`
]

/** The indexes of `weft_runs` as migration 6 made them (its text never changes). */
const runIndexesV2 = runIndexesOf(activeTermV2)

/**
 * The indexes of `weft_runs` now: those of v2 with `paused` among the active
 * statuses, and `queued`: queued runs of a queue, highest priority first,
 * then oldest (`claimNext` of a worker).
 */
export const runIndexes: ReadonlyArray<string> = [
  ...runIndexesOf(activeTerm),
  `CREATE INDEX IF NOT EXISTS weft_runs_queued ON weft_runs (queue, priority DESC, created_at, run_id) WHERE status = 'queued'`
]

/** The state key under which weft 0.1 kept a child run's parent id. */
const legacyParentPath = `'$.entries."~durable/~parent".value'`

/**
 * Every migration, for `Migrator.fromRecord`. Never edit one that was
 * released: add the next.
 */
export const migrations: Record<string, Migration> = {
  "1_create_tables": statements(() => ({
    sqlite: [
      `CREATE TABLE IF NOT EXISTS weft_runs (
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
)`,
      `CREATE TABLE IF NOT EXISTS weft_steps (
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
)`,
      `CREATE TABLE IF NOT EXISTS weft_snapshots (
  run_id TEXT PRIMARY KEY NOT NULL,
  seq INTEGER NOT NULL,
  state TEXT NOT NULL
)`,
      `CREATE INDEX IF NOT EXISTS weft_runs_created_at ON weft_runs (created_at)`,
      `CREATE INDEX IF NOT EXISTS weft_runs_template ON weft_runs (template_name, created_at)`,
      `CREATE INDEX IF NOT EXISTS weft_runs_status ON weft_runs (status, created_at)`,
      `CREATE INDEX IF NOT EXISTS weft_runs_expiry ON weft_runs (status, expires_at)`
    ],
    pg: []
  })),
  "2_create_signals": statements(() => ({
    sqlite: [
      `CREATE TABLE IF NOT EXISTS weft_signals (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  consumed_by TEXT
)`,
      `CREATE INDEX IF NOT EXISTS weft_signals_run ON weft_signals (run_id, name, id)`
    ],
    pg: []
  })),
  "3_advance_cursor_trigger": statements(() => ({
    sqlite: [
      `CREATE TRIGGER IF NOT EXISTS weft_steps_advance AFTER INSERT ON weft_steps
BEGIN
  UPDATE weft_runs SET seq = NEW.seq, updated_at = NEW.ended_at WHERE run_id = NEW.run_id;
END`
    ],
    pg: []
  })),
  "4_run_timeout": statements(() => ({
    sqlite: [`ALTER TABLE weft_runs ADD COLUMN timeout_ms BIGINT`],
    pg: []
  })),
  "5_wake_at": statements(() => ({
    sqlite: [
      `ALTER TABLE weft_runs ADD COLUMN wake_at BIGINT`,
      `CREATE INDEX IF NOT EXISTS weft_runs_wake_at ON weft_runs (status, wake_at)`
    ],
    pg: []
  })),
  /**
   * The runs table of weft 0.2: status `queued`, claims with a generation,
   * lineage columns, queue, elapsed time, what a run waits for, its trace
   * context. The cursor is advanced by the checkpoint's own fenced UPDATE,
   * so the 0.1 trigger goes.
   */
  "6_runs_v2": statements(() => ({
    sqlite: [
      `DROP TRIGGER IF EXISTS weft_steps_advance`,
      runsV2("weft_runs_v2", "INTEGER"),
      `INSERT INTO weft_runs_v2 (run_id, template_name, template_version, status, seq, created_at, updated_at,
  expires_at, error, timeout_ms, elapsed_ms, wake_at, waiting_for, parent_id, root_id, queue, owner, lease_until,
  generation, trace_context)
SELECT r.run_id, r.template_name, r.template_version, r.status, r.seq, r.created_at, r.updated_at,
  r.expires_at, r.error, COALESCE(r.timeout_ms, 0), 0, CASE WHEN r.status = 'suspended' THEN r.wake_at END, NULL,
  (SELECT json_extract(s.state, ${legacyParentPath}) FROM weft_snapshots s
    WHERE s.run_id = r.run_id AND json_valid(s.state)),
  r.run_id, 'default', r.owner, r.lease_until, 0, NULL
FROM weft_runs r`,
      // a parent id that names no run (collected) is no parent
      `UPDATE weft_runs_v2 SET parent_id = NULL
WHERE parent_id IS NOT NULL AND (typeof(parent_id) <> 'text' OR parent_id NOT IN (SELECT run_id FROM weft_runs_v2))`,
      `WITH RECURSIVE lineage(run_id, root_id, depth) AS (
  SELECT run_id, run_id, 0 FROM weft_runs_v2 WHERE parent_id IS NULL
  UNION ALL
  SELECT r.run_id, l.root_id, l.depth + 1 FROM weft_runs_v2 r JOIN lineage l ON r.parent_id = l.run_id
  WHERE l.depth < 1000
)
UPDATE weft_runs_v2 SET root_id = (SELECT l.root_id FROM lineage l WHERE l.run_id = weft_runs_v2.run_id)
WHERE parent_id IS NOT NULL AND run_id IN (SELECT run_id FROM lineage)`,
      `DROP TABLE weft_runs`,
      `ALTER TABLE weft_runs_v2 RENAME TO weft_runs`,
      ...runIndexesV2
    ],
    pg: [
      runsV2("weft_runs", "BIGINT"),
      `CREATE TABLE weft_steps (
  run_id TEXT NOT NULL,
  seq BIGINT NOT NULL,
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
)`,
      `CREATE TABLE weft_snapshots (
  run_id TEXT PRIMARY KEY NOT NULL,
  seq BIGINT NOT NULL,
  state TEXT NOT NULL
)`,
      `CREATE TABLE weft_signals (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  consumed_by TEXT
)`,
      `CREATE INDEX IF NOT EXISTS weft_signals_run ON weft_signals (run_id, name, id)`,
      ...runIndexesV2
    ]
  })),
  /** A digest of the structure of each run's template (`NULL` for runs recorded before: not checked). */
  "7_template_fingerprint": statements(() => ({
    sqlite: [`ALTER TABLE weft_runs ADD COLUMN template_fingerprint TEXT`],
    pg: [`ALTER TABLE weft_runs ADD COLUMN IF NOT EXISTS template_fingerprint TEXT`]
  })),
  /**
   * Run control: status `paused` (SQLite: a table rebuild, since the status
   * CHECK constraint changes; PostgreSQL: the constraint dropped and added
   * again), what a paused run returns to (`paused_from`; on a `running` run,
   * a pause asked of the engine executing it), its priority, and how many
   * times it was taken up after its execution died (`recovery_attempts`).
   * The partial index of active runs is made again with `paused` in its term.
   * And the starts of queued runs by queue, for rate limits.
   */
  "8_run_control": statements(() => ({
    sqlite: [
      runsV3("weft_runs_v3", "INTEGER"),
      `INSERT INTO weft_runs_v3 (${v3Copied})
SELECT ${v3Copied} FROM weft_runs`,
      `DROP TABLE weft_runs`,
      `ALTER TABLE weft_runs_v3 RENAME TO weft_runs`,
      ...runIndexes,
      ...queueStarts("INTEGER")
    ],
    pg: [
      `ALTER TABLE weft_runs DROP CONSTRAINT IF EXISTS weft_runs_status_check`,
      `ALTER TABLE weft_runs ADD CONSTRAINT weft_runs_status_check CHECK (status IN ${statusesV3})`,
      `ALTER TABLE weft_runs ADD COLUMN IF NOT EXISTS priority INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE weft_runs ADD COLUMN IF NOT EXISTS recovery_attempts INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE weft_runs ADD COLUMN IF NOT EXISTS paused_from TEXT CHECK (paused_from IN ('queued', 'running', 'suspended'))`,
      `DROP INDEX IF EXISTS weft_runs_active`,
      ...runIndexes,
      ...queueStarts("BIGINT")
    ]
  })),
  /**
   * Runs that start themselves: what started a run (`triggered_by`, JSON:
   * a schedule's tick, a webhook delivery, another run's end) and the
   * stored schedules. A column added, never a table rebuilt.
   */
  "9_triggers": statements(() => ({
    sqlite: [`ALTER TABLE weft_runs ADD COLUMN triggered_by TEXT`, schedulesTable("INTEGER")],
    pg: [`ALTER TABLE weft_runs ADD COLUMN IF NOT EXISTS triggered_by TEXT`, schedulesTable("BIGINT")]
  })),
  /**
   * A run's first state, kept when its first full snapshot replaces it (`NULL` while the snapshot at seq 0
   * is still the first state), so that its state after any step can be rebuilt from its deltas.
   */
  "10_versions": statements(() => ({
    sqlite: [`ALTER TABLE weft_snapshots ADD COLUMN initial TEXT`],
    pg: [`ALTER TABLE weft_snapshots ADD COLUMN IF NOT EXISTS initial TEXT`]
  })),
  "11_fleet": statements(() => ({
    sqlite: fleetTables("INTEGER", "REAL").concat(historyTriggerSqlite),
    pg: fleetTables("BIGINT", "DOUBLE PRECISION").concat(
      // a run-id prefix (`LIKE 'p%'`) on an index whatever the database's collation
      `CREATE INDEX IF NOT EXISTS weft_runs_prefix ON weft_runs (run_id text_pattern_ops)`,
      historyTriggerPg
    )
  })),
  /** A run's lineage in columns (`forked_from`, `forked_after`, `migrated_from`), backfilled from the runs' states. */
  "12_lineage": Effect.zipRight(
    statements(() => lineageDdl),
    Effect.flatMap(Effect.all([SqlClient.SqlClient, TablePrefix]), ([client, prefix]) =>
      backfillLineage(client, {
        runs: renamed(tables.runs, prefix),
        steps: renamed(tables.steps, prefix),
        snapshots: renamed(tables.snapshots, prefix)
      }))
  )
}

/** The id of the newest migration: the schema version a store needs. */
export const latestMigration: number = Object.keys(migrations).reduce(
  (max, key) => Math.max(max, Number.parseInt(key, 10)),
  0
)

/** The schema version recorded in a database (0 when it has no migrations table). */
export const schemaVersion: Effect.Effect<number, SqlError, SqlClient.SqlClient> = Effect.flatMap(
  Effect.all([SqlClient.SqlClient, TablePrefix]),
  ([client, prefix]) => {
    const sql = client.withoutTransforms()
    return sql<{ readonly id: unknown }>`SELECT MAX(migration_id) AS id FROM ${sql(renamed(tables.migrations, prefix))}`.pipe(
      Effect.map((rows) => Number(rows[0]?.id ?? 0)),
      Effect.catchAll(() => Effect.succeed(0))
    )
  }
)

/**
 * Brings the database in context to the current schema. The migrator skips
 * silently when another connection records the same migrations first: the
 * version is checked after, and a database still behind fails with a
 * `MigrationError` of reason `"locked"` (retry it). A database ahead of this
 * code (written by a newer weft) is a `MigrationError` of reason `"bad-state"`.
 */
export const migrate: Effect.Effect<void, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = Effect.gen(
  function*() {
    const prefix = yield* TablePrefix
    yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: renamed(tables.migrations, prefix) })
    const current = yield* schemaVersion
    if (current < latestMigration) {
      return yield* new Migrator.MigrationError({
        reason: "locked",
        message: `the schema is at version ${current}, expected ${latestMigration}: ` +
          "another connection is migrating the database, or it cannot be written"
      })
    }
    if (current > latestMigration) {
      return yield* new Migrator.MigrationError({
        reason: "bad-state",
        message: `the schema is at version ${current}, newer than this weft knows (${latestMigration}): ` +
          "upgrade weft to open this database"
      })
    }
  }
)

// the row readers live in ./rows.ts; re-exported here, where the stores have always found them
export {
  errorJson,
  type Row,
  RowDecodeError,
  toJson,
  toRunRecord,
  toScheduleRecord,
  toSignalRecord,
  toStepRecord,
  toStoredState
} from "./rows.js"
