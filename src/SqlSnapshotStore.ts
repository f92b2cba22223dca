/**
 * A `SnapshotStore` on SQL: the durable default, on an embedded SQLite file
 * through `@effect/sql-sqlite-node`.
 *
 * Three tables, all prefixed `weft_` (and a `weft_migrations` table for the
 * schema version):
 *
 * - `weft_runs`: one row per run, with its cursor (`seq`) and its lease
 *   (`owner`, `lease_until`);
 * - `weft_steps`: one row per step checkpoint (its delta, attempts, timing),
 *   keyed by `(run_id, seq)`;
 * - `weft_snapshots`: the latest full state of each run and the `seq` it was
 *   taken at;
 * - `weft_signals` (migration 2): signals sent to runs, pending until a
 *   `waitForSignal` step consumes them.
 *
 * A checkpoint (`appendStep`) is one transaction that inserts the step row
 * and advances the run's cursor; it reads and writes the whole state only
 * when it is given a snapshot, so its cost follows the size of the step's
 * delta. Loading a run reads its latest snapshot and only the steps recorded
 * after it.
 *
 * Every fault of the database is a {@link PersistenceError} naming the
 * operation, the file and the driver's message, with a `reason` taken from
 * the SQLite result code: `SQLITE_BUSY` / `SQLITE_LOCKED` are `"locked"`,
 * `SQLITE_READONLY` is `"read-only"`, `SQLITE_CORRUPT` / `SQLITE_NOTADB` are
 * `"corrupt"`, `SQLITE_CANTOPEN` (and I/O, full-disk and permission errors)
 * are `"unavailable"`; a stored value that cannot be read back is `"decode"`.
 *
 * @since 0.1.0
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { Duration, Effect, Layer, Option, Schema } from "effect"
import { PersistenceError, RunCancelled } from "./Errors.js"
import {
  type ClaimResult,
  type ErrorSummary,
  type LoadedRun,
  type RunFilter,
  type RecordSignalResult,
  type RunRecord,
  type SignalRecord,
  SnapshotStore,
  type StepRecord
} from "./SnapshotStore.js"

// -----------------------------------------------------------------------------
// options
// -----------------------------------------------------------------------------

/**
 * Options of {@link make} and {@link layerClient}.
 *
 * @since 0.1.0
 * @category models
 */
export interface MakeOptions {
  /**
   * The database file, reported in every `PersistenceError`. Defaults to the
   * file of the `SqliteClient` in context, when there is one.
   */
  readonly path?: string | undefined
}

/**
 * Options of {@link layer}.
 *
 * @since 0.1.0
 * @category models
 */
export interface LayerOptions {
  /** The SQLite database file (created when missing), or `":memory:"`. */
  readonly filename: string
  /**
   * Open the file read-only: reads work, every write fails with a
   * `PersistenceError` of reason `"read-only"`. The schema must already be
   * current. Default `false`.
   */
  readonly readonly?: boolean | undefined
  /** How long a statement waits for a lock held by another connection. Default 5 seconds. */
  readonly busyTimeout?: Duration.DurationInput | undefined
  /** `PRAGMA synchronous`; `"NORMAL"` (the default) is safe with WAL. */
  readonly synchronous?: "OFF" | "NORMAL" | "FULL" | "EXTRA" | undefined
}

// -----------------------------------------------------------------------------
// schema
// -----------------------------------------------------------------------------

const runsTable = "weft_runs"
const stepsTable = "weft_steps"
const snapshotsTable = "weft_snapshots"
const signalsTable = "weft_signals"
const migrationsTable = "weft_migrations"

const finishedStatuses = ["completed", "failed", "cancelled"] as const

const migrations = {
  "1_create_tables": Effect.gen(function*() {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(runsTable)} (
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
)`
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(stepsTable)} (
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
)`
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(snapshotsTable)} (
  run_id TEXT PRIMARY KEY NOT NULL,
  seq INTEGER NOT NULL,
  state TEXT NOT NULL
)`
    // list: newest first, optionally by template or status
    yield* sql`CREATE INDEX IF NOT EXISTS weft_runs_created_at ON ${sql(runsTable)} (created_at)`
    yield* sql`CREATE INDEX IF NOT EXISTS weft_runs_template ON ${sql(runsTable)} (template_name, created_at)`
    yield* sql`CREATE INDEX IF NOT EXISTS weft_runs_status ON ${sql(runsTable)} (status, created_at)`
    // collectExpired: status IN (finished) AND expires_at < now
    yield* sql`CREATE INDEX IF NOT EXISTS weft_runs_expiry ON ${sql(runsTable)} (status, expires_at)`
  }),
  "2_create_signals": Effect.gen(function*() {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    yield* sql`CREATE TABLE IF NOT EXISTS ${sql(signalsTable)} (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at BIGINT NOT NULL,
  consumed_by TEXT
)`
    // takeSignal and signals: by run and name, in the order received
    yield* sql`CREATE INDEX IF NOT EXISTS weft_signals_run ON ${sql(signalsTable)} (run_id, name, id)`
  }),
  // A checkpoint is one INSERT: the run's cursor advances in the same
  // statement, so atomically, through this trigger.
  "3_advance_cursor_trigger": Effect.gen(function*() {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    yield* sql`CREATE TRIGGER IF NOT EXISTS weft_steps_advance AFTER INSERT ON ${sql(stepsTable)}
BEGIN
  UPDATE ${sql(runsTable)} SET seq = NEW.seq, updated_at = NEW.ended_at WHERE run_id = NEW.run_id;
END`
  }),
  // the whole run's timeout, kept for resumes in other processes (NULL: not recorded)
  "4_run_timeout": Effect.gen(function*() {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    yield* sql`ALTER TABLE ${sql(runsTable)} ADD COLUMN timeout_ms BIGINT`
  }),
  // when a suspended run's wait times out, so that any engine can find the runs that are due
  "5_wake_at": Effect.gen(function*() {
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    yield* sql`ALTER TABLE ${sql(runsTable)} ADD COLUMN wake_at BIGINT`
    yield* sql`CREATE INDEX IF NOT EXISTS weft_runs_wake_at ON ${sql(runsTable)} (status, wake_at)`
  })
}

const latestMigration = Object.keys(migrations).reduce((max, key) => Math.max(max, Number.parseInt(key, 10)), 0)

// -----------------------------------------------------------------------------
// rows
// -----------------------------------------------------------------------------

/** An integer column: a number (SQLite) or a numeric string (PostgreSQL `BIGINT`). */
const Int = Schema.Union(Schema.Number, Schema.NumberFromString)

const ErrorSummarySchema = Schema.Struct({ tag: Schema.String, message: Schema.String })

const StoredEntrySchema = Schema.Struct({
  value: Schema.Unknown,
  writtenAt: Schema.Number,
  expiresAt: Schema.NullOr(Schema.Number)
})

const StoredStateSchema = Schema.Struct({
  entries: Schema.Record({ key: Schema.String, value: StoredEntrySchema }),
  createdAt: Schema.Number,
  updatedAt: Schema.Number
})

const StateDeltaSchema = Schema.Struct({
  set: Schema.Record({ key: Schema.String, value: StoredEntrySchema }),
  unset: Schema.Array(Schema.String)
})

const ErrorColumn = Schema.NullOr(Schema.parseJson(ErrorSummarySchema))

const RunRow = Schema.Struct({
  run_id: Schema.String,
  template_name: Schema.String,
  template_version: Schema.String,
  status: Schema.Literal("running", "suspended", "completed", "failed", "cancelled"),
  seq: Int,
  created_at: Int,
  updated_at: Int,
  expires_at: Schema.NullOr(Int),
  error: ErrorColumn,
  timeout_ms: Schema.NullOr(Int),
  wake_at: Schema.NullOr(Int)
})

const StepRow = Schema.Struct({
  run_id: Schema.String,
  seq: Int,
  step_key: Schema.String,
  step_name: Schema.String,
  status: Schema.Literal("completed", "skipped", "fallback", "failed"),
  attempts: Int,
  started_at: Int,
  ended_at: Int,
  delta: Schema.parseJson(StateDeltaSchema),
  error: ErrorColumn,
  idempotency_key: Schema.String
})

const SnapshotRow = Schema.Struct({
  seq: Int,
  state: Schema.parseJson(StoredStateSchema)
})

const SignalRow = Schema.Struct({
  run_id: Schema.String,
  name: Schema.String,
  payload: Schema.parseJson(Schema.Unknown),
  received_at: Int,
  consumed_by: Schema.NullOr(Schema.String)
})

const toSignalRecord = (row: typeof SignalRow.Type): SignalRecord => ({
  runId: row.run_id,
  name: row.name,
  payload: row.payload,
  receivedAt: row.received_at,
  consumedBy: row.consumed_by
})

const OwnerRow = Schema.Struct({
  owner: Schema.NullOr(Schema.String),
  lease_until: Schema.NullOr(Int)
})

const runColumns =
  "run_id, template_name, template_version, status, seq, created_at, updated_at, expires_at, error, timeout_ms, wake_at"
const stepColumns =
  "run_id, seq, step_key, step_name, status, attempts, started_at, ended_at, delta, error, idempotency_key"

const toRunRecord = (row: typeof RunRow.Type): RunRecord => ({
  runId: row.run_id,
  templateName: row.template_name,
  templateVersion: row.template_version,
  status: row.status,
  seq: row.seq,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  expiresAt: row.expires_at,
  error: row.error,
  ...(row.timeout_ms === null ? {} : { timeoutMillis: row.timeout_ms }),
  ...(row.wake_at === null ? {} : { wakeAt: row.wake_at })
})

const toStepRecord = (row: typeof StepRow.Type): StepRecord => ({
  runId: row.run_id,
  seq: row.seq,
  stepKey: row.step_key,
  stepName: row.step_name,
  status: row.status,
  attempts: row.attempts,
  startedAt: row.started_at,
  endedAt: row.ended_at,
  delta: row.delta,
  error: row.error,
  idempotencyKey: row.idempotency_key
})

// -----------------------------------------------------------------------------
// errors
// -----------------------------------------------------------------------------

/** The SQLite result code of a driver error (`SQLITE_BUSY`, ...), looking through `cause`s. */
const sqliteErrorOf = (u: unknown): { readonly code: string; readonly message: string } | undefined => {
  let current = u
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const code: unknown = (current as { readonly code?: unknown }).code
    if (typeof code === "string" && code.startsWith("SQLITE_")) {
      const message: unknown = (current as { readonly message?: unknown }).message
      return { code, message: typeof message === "string" ? message : code }
    }
    current = (current as { readonly cause?: unknown }).cause
  }
  return undefined
}

/** The innermost message of an error chain (the driver's, not the SQL client's wrapper). */
const innermostMessage = (u: unknown): string | undefined => {
  let message: string | undefined
  let current = u
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const m: unknown = (current as { readonly message?: unknown }).message
    if (typeof m === "string" && m.length > 0) message = m
    current = (current as { readonly cause?: unknown }).cause
  }
  return message
}

/** better-sqlite3 raises a `TypeError` for a closed connection or a missing directory. */
const isConnectionGone = (message: string): boolean =>
  message.includes("database connection is not open") || message.includes("directory does not exist")

type Reason = PersistenceError["reason"]

const reasonOfCode = (code: string): Reason => {
  const base = code.split("_").slice(0, 2).join("_")
  switch (base) {
    case "SQLITE_BUSY":
    case "SQLITE_LOCKED":
      return "locked"
    case "SQLITE_READONLY":
      return "read-only"
    case "SQLITE_CORRUPT":
    case "SQLITE_NOTADB":
      return "corrupt"
    case "SQLITE_CANTOPEN":
    case "SQLITE_IOERR":
    case "SQLITE_FULL":
    case "SQLITE_PERM":
    case "SQLITE_NOLFS":
      return "unavailable"
    default:
      return "unknown"
  }
}

/** Maps a driver fault (a `SqlError`, or a defect thrown by the driver) to a `PersistenceError`. */
const fromDriver = (
  operation: string,
  path: string | undefined,
  cause: unknown,
  fallback: Reason = "unknown"
): PersistenceError => {
  const sqlite = sqliteErrorOf(cause)
  const detail = sqlite?.message ?? innermostMessage(cause) ?? String(cause)
  const reason = sqlite !== undefined
    ? reasonOfCode(sqlite.code)
    : isConnectionGone(detail)
    ? "unavailable"
    : fallback
  return new PersistenceError({
    operation,
    reason,
    path,
    detail: sqlite === undefined ? detail : `${detail} (${sqlite.code})`,
    cause
  })
}

/** A defect that comes from the driver (rather than from a bug): it carries a SQLite code or names the connection. */
const isDriverDefect = (defect: unknown): boolean =>
  sqliteErrorOf(defect) !== undefined ||
  (defect instanceof Error && isConnectionGone(innermostMessage(defect) ?? ""))

// -----------------------------------------------------------------------------
// constructors
// -----------------------------------------------------------------------------

/**
 * Builds a store on the `SqlClient` in context, creating its tables (with
 * `@effect/sql`'s migrator, recorded in `weft_migrations`) when they are
 * missing. The SQL is written for SQLite; the client's name transforms are
 * not used.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  options: MakeOptions = {}
): Effect.Effect<SnapshotStore["Type"], PersistenceError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sqlite = yield* Effect.serviceOption(SqliteClient.SqliteClient)
    const path = options.path ?? Option.getOrUndefined(Option.map(sqlite, (client) => client.config.filename))
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()

    /** Runs one store operation: every driver fault becomes a `PersistenceError` of `operation`. */
    const guard = <A, R>(operation: string, effect: Effect.Effect<A, SqlError | PersistenceError, R>) =>
      effect.pipe(
        Effect.mapError((error) => error._tag === "PersistenceError" ? error : fromDriver(operation, path, error)),
        Effect.catchSomeDefect((defect) =>
          isDriverDefect(defect) ? Option.some(Effect.fail(fromDriver(operation, path, defect))) : Option.none()
        )
      )

    const decode = <A, I>(operation: string, schema: Schema.Schema<A, I>) => {
      const decodeUnknown = Schema.decodeUnknown(schema)
      return (input: unknown): Effect.Effect<A, PersistenceError> =>
        Effect.mapError(decodeUnknown(input), (error) =>
          new PersistenceError({
            operation,
            reason: "decode",
            path,
            detail: `a stored value could not be read back: ${error.message}`,
            cause: error
          }))
    }

    const json = (operation: string, what: string, value: unknown): Effect.Effect<string, PersistenceError> =>
      Effect.try({
        try: () => {
          const text = JSON.stringify(value)
          if (typeof text !== "string") throw new TypeError(`${what} is not JSON-serialisable`)
          return text
        },
        catch: (cause) =>
          new PersistenceError({
            operation,
            reason: "unknown",
            path,
            detail: `${what} cannot be stored as JSON: ${cause instanceof Error ? cause.message : String(cause)}`,
            cause
          })
      })

    const errorJson = (operation: string, error: ErrorSummary | null) =>
      error === null ? Effect.succeed(null) : json(operation, "the error summary", error)

    const writeSnapshot = (runId: string, seq: number, stateJson: string) =>
      sql`INSERT INTO ${sql(snapshotsTable)} (run_id, seq, state) VALUES (${runId}, ${seq}, ${stateJson})
ON CONFLICT (run_id) DO UPDATE SET seq = excluded.seq, state = excluded.state`

    // --- migrations --------------------------------------------------------

    const migrate = Effect.gen(function*() {
      yield* Migrator.make({})({ loader: Migrator.fromRecord(migrations), table: migrationsTable })
      // The migrator skips silently when it cannot record its migrations
      // (another connection is migrating, or the file is read-only): check.
      const rows = yield* sql<{ readonly id: unknown }>`SELECT MAX(migration_id) AS id FROM ${sql(migrationsTable)}`
      const current = Number(rows[0]?.id ?? 0)
      if (current < latestMigration) {
        return yield* new PersistenceError({
          operation: "migrate",
          reason: "locked",
          path,
          detail: `the schema is at version ${current}, expected ${latestMigration}: ` +
            "another connection holds the database, or it cannot be written"
        })
      }
    }).pipe(
      Effect.catchTag("MigrationError", (error) =>
        Effect.fail(
          new PersistenceError({
            operation: "migrate",
            reason: error.reason === "locked" ? "locked" : "unknown",
            path,
            detail: error.message,
            cause: error
          })
        )),
      // a failing migration is a defect of the migrator, wrapping our SqlError
      Effect.catchAllDefect((defect) =>
        Effect.fail(
          defect instanceof Migrator.MigrationError
            ? fromDriver("migrate", path, defect.cause ?? defect)
            : fromDriver("migrate", path, defect)
        )
      )
    )

    yield* guard("migrate", migrate).pipe(
      Effect.retry({ times: 3, while: (error) => error.reason === "locked" })
    )

    // --- queries -----------------------------------------------------------

    const selectRun = (operation: string, runId: string) =>
      Effect.flatMap(
        sql`SELECT ${sql.literal(runColumns)} FROM ${sql(runsTable)} WHERE run_id = ${runId}`,
        (rows) =>
          rows[0] === undefined
            ? Effect.succeed(Option.none<RunRecord>())
            : Effect.map(decode(operation, RunRow)(rows[0]), (row) => Option.some(toRunRecord(row)))
      )

    const decodeSteps = (operation: string, rows: ReadonlyArray<unknown>) =>
      Effect.forEach(rows, (row) => Effect.map(decode(operation, StepRow)(row), toStepRecord))

    const createRun: SnapshotStore["Type"]["createRun"] = (run, state) =>
      guard(
        "createRun",
        Effect.gen(function*() {
          const stateJson = yield* json("createRun", "the state", state)
          const error = yield* errorJson("createRun", run.error)
          yield* sql.withTransaction(Effect.gen(function*() {
            // a run id is never reused: an existing run is left as it is
            const inserted = yield* sql`INSERT INTO ${sql(runsTable)} ${
              sql.insert({
                run_id: run.runId,
                template_name: run.templateName,
                template_version: run.templateVersion,
                status: run.status,
                seq: run.seq,
                created_at: run.createdAt,
                updated_at: run.updatedAt,
                expires_at: run.expiresAt,
                error,
                owner: null,
                lease_until: null,
                timeout_ms: run.timeoutMillis ?? null
              })
            } ON CONFLICT (run_id) DO NOTHING RETURNING run_id`
            if (inserted.length === 0) {
              return yield* new PersistenceError({
                operation: "createRun",
                reason: "unknown",
                path,
                detail: `a run with id "${run.runId}" already exists`
              })
            }
            yield* writeSnapshot(run.runId, 0, stateJson)
          }))
        })
      )

    /**
     * Inserts a step row if its run exists and is not cancelled; the trigger
     * advances the run's cursor in the same statement. Returns whether a row
     * was inserted.
     */
    const insertStep = (step: StepRecord, delta: string, error: string | null) =>
      Effect.map(
        sql`INSERT INTO ${sql(stepsTable)} (${sql.literal(stepColumns)})
SELECT ${step.runId}, ${step.seq}, ${step.stepKey}, ${step.stepName}, ${step.status}, ${step.attempts}, ${step.startedAt},
${step.endedAt}, ${delta}, ${error}, ${step.idempotencyKey}
WHERE EXISTS (SELECT 1 FROM ${sql(runsTable)} WHERE run_id = ${step.runId} AND status <> ${"cancelled"})
RETURNING seq`,
        (rows) => rows.length > 0
      )

    /** After a step was dropped: was it because its run is cancelled (rather than unknown)? */
    const isCancelled = (runId: string) =>
      Effect.map(sql`SELECT run_id FROM ${sql(runsTable)} WHERE run_id = ${runId}`, (rows) => rows.length > 0)

    const appendStep: SnapshotStore["Type"]["appendStep"] = (step, options) =>
      Effect.flatMap(guard(
        "appendStep",
        Effect.gen(function*() {
          const delta = yield* json("appendStep", "the step's delta", step.delta)
          const error = yield* errorJson("appendStep", step.error)
          if (options.snapshot === undefined && options.updatedAt === step.endedAt) {
            // the common case: one statement, atomic on its own
            if (yield* insertStep(step, delta, error)) return false
            return yield* isCancelled(step.runId)
          }
          const snapshot = options.snapshot === undefined
            ? undefined
            : yield* json("appendStep", "the snapshot", options.snapshot)
          return yield* sql.withTransaction(Effect.gen(function*() {
            if (!(yield* insertStep(step, delta, error))) return yield* isCancelled(step.runId)
            yield* sql`UPDATE ${sql(runsTable)} SET updated_at = ${options.updatedAt} WHERE run_id = ${step.runId}`
            if (snapshot !== undefined) yield* writeSnapshot(step.runId, step.seq, snapshot)
            return false
          }))
        })
      ), (cancelled) => cancelled ? Effect.fail(new RunCancelled({ runId: step.runId })) : Effect.void)

    const setStatus: SnapshotStore["Type"]["setStatus"] = (runId, update) =>
      guard(
        "setStatus",
        Effect.gen(function*() {
          const error = update.error === undefined ? undefined : yield* errorJson("setStatus", update.error)
          const snapshot = update.snapshot === undefined
            ? undefined
            : yield* json("setStatus", "the snapshot", update.snapshot)
          const changes: Record<string, unknown> = { status: update.status, updated_at: update.updatedAt }
          if (error !== undefined) changes.error = error
          if (update.expiresAt !== undefined) changes.expires_at = update.expiresAt
          changes.wake_at = update.status === "suspended" && typeof update.wakeAt === "number" ? update.wakeAt : null
          yield* sql.withTransaction(Effect.gen(function*() {
            // a cancelled run is final
            const rows = yield* sql<{ readonly seq: unknown }>`UPDATE ${sql(runsTable)} SET ${sql.update(changes)}
WHERE run_id = ${runId} AND status <> ${"cancelled"} RETURNING seq`
            const row = rows[0]
            if (row !== undefined && snapshot !== undefined) {
              yield* writeSnapshot(runId, Number(row.seq), snapshot)
            }
          }))
        })
      )

    const load: SnapshotStore["Type"]["load"] = (runId) =>
      guard(
        "load",
        sql.withTransaction(Effect.gen(function*() {
          const run = yield* selectRun("load", runId)
          if (Option.isNone(run)) return Option.none<LoadedRun>()
          const snapshotRows = yield* sql`SELECT seq, state FROM ${sql(snapshotsTable)} WHERE run_id = ${runId}`
          if (snapshotRows[0] === undefined) {
            return yield* new PersistenceError({
              operation: "load",
              reason: "corrupt",
              path,
              detail: `run "${runId}" has no snapshot`
            })
          }
          const snapshot = yield* decode("load", SnapshotRow)(snapshotRows[0])
          const stepRows = yield* sql`SELECT ${sql.literal(stepColumns)} FROM ${sql(stepsTable)}
WHERE run_id = ${runId} AND seq > ${snapshot.seq} ORDER BY seq`
          const stepsAfterSnapshot = yield* decodeSteps("load", stepRows)
          const keyRows = yield* sql<{ readonly step_key: unknown }>`SELECT step_key FROM ${sql(stepsTable)}
WHERE run_id = ${runId} AND status <> ${"failed"} ORDER BY seq`
          const completedStepKeys = keyRows.map((row) => String(row.step_key))
          return Option.some<LoadedRun>({
            run: run.value,
            snapshotSeq: snapshot.seq,
            snapshot: snapshot.state,
            stepsAfterSnapshot,
            completedStepKeys
          })
        }))
      )

    const getRun: SnapshotStore["Type"]["getRun"] = (runId) => guard("getRun", selectRun("getRun", runId))

    const steps: SnapshotStore["Type"]["steps"] = (runId) =>
      guard(
        "steps",
        Effect.flatMap(
          sql`SELECT ${sql.literal(stepColumns)} FROM ${sql(stepsTable)} WHERE run_id = ${runId} ORDER BY seq`,
          (rows) => decodeSteps("steps", rows)
        )
      )

    const list: SnapshotStore["Type"]["list"] = (filter: RunFilter) =>
      guard(
        "list",
        Effect.gen(function*() {
          const where = sql.and([
            ...(filter.templateName === undefined ? [] : [sql`template_name = ${filter.templateName}`]),
            ...(filter.status === undefined ? [] : [sql`status = ${filter.status}`]),
            ...(filter.createdAfter === undefined ? [] : [sql`created_at >= ${filter.createdAfter}`]),
            ...(filter.createdBefore === undefined ? [] : [sql`created_at < ${filter.createdBefore}`]),
            ...(filter.wakeBefore === undefined
              ? []
              : [sql`status = ${"suspended"}`, sql`wake_at <= ${filter.wakeBefore}`])
          ])
          const limit = filter.limit === undefined
            ? sql.literal("")
            : sql`LIMIT ${Math.max(0, Math.floor(filter.limit))}`
          const rows = yield* sql`SELECT ${sql.literal(runColumns)} FROM ${sql(runsTable)} WHERE ${where}
ORDER BY created_at DESC, run_id DESC ${limit}`
          return yield* Effect.forEach(rows, (row) => Effect.map(decode("list", RunRow)(row), toRunRecord))
        })
      )

    const claim: SnapshotStore["Type"]["claim"] = (runId, owner, now, leaseUntil, takeOverFrom) =>
      guard(
        "claim",
        sql.withTransaction(Effect.gen(function*() {
          const claimable = sql.or([
            sql`owner IS NULL`,
            sql`owner = ${owner}`,
            sql`lease_until <= ${now}`,
            ...(takeOverFrom === undefined ? [] : [sql`owner = ${takeOverFrom}`])
          ])
          // one statement decides: no other connection can claim in between
          const claimed = yield* sql`UPDATE ${sql(runsTable)} SET owner = ${owner}, lease_until = ${leaseUntil}
WHERE run_id = ${runId} AND ${claimable} RETURNING run_id`
          if (claimed.length > 0) return { claimed: true } satisfies ClaimResult
          // still inside the transaction that holds the write lock: who holds it
          const held = yield* sql`SELECT owner, lease_until FROM ${sql(runsTable)} WHERE run_id = ${runId}`
          if (held[0] === undefined) return { claimed: false, owner: null, leaseUntil: null } satisfies ClaimResult
          const row = yield* decode("claim", OwnerRow)(held[0])
          return { claimed: false, owner: row.owner, leaseUntil: row.lease_until } satisfies ClaimResult
        }))
      )

    const release: SnapshotStore["Type"]["release"] = (runId, owner) =>
      guard(
        "release",
        Effect.asVoid(
          sql`UPDATE ${sql(runsTable)} SET owner = NULL, lease_until = NULL WHERE run_id = ${runId} AND owner = ${owner}`
        )
      )

    const collectExpired: SnapshotStore["Type"]["collectExpired"] = (now) =>
      guard(
        "collectExpired",
        sql.withTransaction(Effect.gen(function*() {
          const expired = sql`SELECT run_id FROM ${sql(runsTable)}
WHERE status IN ${sql.in(finishedStatuses)} AND expires_at < ${now}`
          yield* sql`DELETE FROM ${sql(stepsTable)} WHERE run_id IN (${expired})`
          yield* sql`DELETE FROM ${sql(snapshotsTable)} WHERE run_id IN (${expired})`
          yield* sql`DELETE FROM ${sql(signalsTable)} WHERE run_id IN (${expired})`
          const deleted = yield* sql`DELETE FROM ${sql(runsTable)}
WHERE status IN ${sql.in(finishedStatuses)} AND expires_at < ${now} RETURNING run_id`
          return deleted.length
        }))
      )

    const signalColumns = "run_id, name, payload, received_at, consumed_by"

    const recordSignal: SnapshotStore["Type"]["recordSignal"] = (signal) =>
      guard(
        "recordSignal",
        Effect.gen(function*() {
          const payload = yield* json("recordSignal", "the signal's payload", signal.payload)
          return yield* sql.withTransaction(Effect.gen(function*() {
            // the write lock first, so that the checks and the insert are one step
            const touched = yield* sql<{ readonly status: unknown }>`UPDATE ${sql(runsTable)} SET run_id = run_id
WHERE run_id = ${signal.runId} RETURNING status`
            const status = touched[0]?.status
            if (status === undefined) return "not-found" satisfies RecordSignalResult
            if (status !== "running" && status !== "suspended") return "run-ended" satisfies RecordSignalResult
            const pending = yield* sql`SELECT id FROM ${sql(signalsTable)}
WHERE run_id = ${signal.runId} AND name = ${signal.name} AND consumed_by IS NULL LIMIT 1`
            if (pending.length > 0) return "already-pending" satisfies RecordSignalResult
            yield* sql`INSERT INTO ${sql(signalsTable)} ${
              sql.insert({
                run_id: signal.runId,
                name: signal.name,
                payload,
                received_at: signal.receivedAt,
                consumed_by: null
              })
            }`
            return "recorded" satisfies RecordSignalResult
          }))
        })
      )

    const takeSignal: SnapshotStore["Type"]["takeSignal"] = (runId, name, stepKey) =>
      guard(
        "takeSignal",
        sql.withTransaction(Effect.gen(function*() {
          const taken = yield* sql`SELECT ${sql.literal(signalColumns)} FROM ${sql(signalsTable)}
WHERE run_id = ${runId} AND name = ${name} AND consumed_by = ${stepKey} ORDER BY id LIMIT 1`
          if (taken[0] !== undefined) {
            return Option.some(toSignalRecord(yield* decode("takeSignal", SignalRow)(taken[0])))
          }
          const consumed = yield* sql`UPDATE ${sql(signalsTable)} SET consumed_by = ${stepKey}
WHERE id = (SELECT id FROM ${sql(signalsTable)}
  WHERE run_id = ${runId} AND name = ${name} AND consumed_by IS NULL ORDER BY id LIMIT 1)
RETURNING ${sql.literal(signalColumns)}`
          if (consumed[0] === undefined) return Option.none<SignalRecord>()
          return Option.some(toSignalRecord(yield* decode("takeSignal", SignalRow)(consumed[0])))
        }))
      )

    const signals: SnapshotStore["Type"]["signals"] = (runId) =>
      guard(
        "signals",
        Effect.flatMap(
          sql`SELECT ${sql.literal(signalColumns)} FROM ${sql(signalsTable)} WHERE run_id = ${runId} ORDER BY id`,
          (rows) => Effect.forEach(rows, (row) => Effect.map(decode("signals", SignalRow)(row), toSignalRecord))
        )
      )

    return SnapshotStore.of({
      recordSignal,
      takeSignal,
      signals,
      createRun,
      appendStep,
      setStatus,
      load,
      getRun,
      steps,
      list,
      claim,
      release,
      collectExpired
    })
  })

// -----------------------------------------------------------------------------
// layers
// -----------------------------------------------------------------------------

/**
 * A store on the `SqlClient` already in context (no driver is opened; the
 * connection's pragmas are left as they are). Its tables are created when
 * missing.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerClient = (
  options: MakeOptions = {}
): Layer.Layer<SnapshotStore, PersistenceError, SqlClient.SqlClient> => Layer.effect(SnapshotStore, make(options))

const synchronousModes = ["OFF", "NORMAL", "FULL", "EXTRA"] as const
const maxBusyMillis = 2 ** 31 - 1

/**
 * A store on a SQLite file: opens it with `@effect/sql-sqlite-node`, sets
 * `journal_mode = WAL`, `synchronous = NORMAL` and a `busy_timeout`, and
 * creates the tables when missing. The file is closed when the layer's scope
 * ends. Failing to open the file (a directory, a missing folder, a file that
 * is not a database, a locked or read-only one) is a `PersistenceError`
 * naming the file.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: LayerOptions): Layer.Layer<SnapshotStore, PersistenceError> =>
  Layer.scoped(
    SnapshotStore,
    Effect.gen(function*() {
      const path = options.filename
      const readonly = options.readonly === true
      const client = yield* SqliteClient.make({
        filename: options.filename,
        readonly,
        // WAL is set below, where its failure is an error rather than a defect
        disableWAL: true
      }).pipe(
        Effect.catchAllDefect((defect) => Effect.fail(fromDriver("open", path, defect, "unavailable")))
      )
      const busyMillis = Math.min(
        maxBusyMillis,
        Math.max(0, Math.round(Duration.toMillis(options.busyTimeout ?? Duration.seconds(5))))
      )
      const synchronous = synchronousModes.find((mode) => mode === options.synchronous) ?? "NORMAL"
      yield* Effect.gen(function*() {
        yield* client`PRAGMA busy_timeout = ${client.literal(String(busyMillis))}`
        if (!readonly) {
          yield* client`PRAGMA journal_mode = WAL`
          yield* client`PRAGMA synchronous = ${client.literal(synchronous)}`
        } else {
          // reading the schema fails here already on a file that is not a database
          yield* client`SELECT COUNT(*) AS n FROM sqlite_master`
        }
      }).pipe(
        Effect.mapError((error) => fromDriver("open", path, error, "unavailable")),
        Effect.catchSomeDefect((defect) =>
          isDriverDefect(defect) ? Option.some(Effect.fail(fromDriver("open", path, defect))) : Option.none()
        )
      )
      return yield* Effect.provideService(make({ path }), SqlClient.SqlClient, client)
    })
  ).pipe(Layer.provide(Reactivity.layer))
