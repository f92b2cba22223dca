/**
 * What the PostgreSQL store's semantics (`./store/`) need of its SQL: its
 * queries (over stored text and raw rows), how it stores text, how its
 * faults read, and how it tells that claimable work appeared.
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import type { Effect, Scope, Stream } from "effect"
import type { PersistenceError } from "../../../Errors.js"
import type {
  NewRun,
  PausedFrom,
  PauseResult,
  RecordSignalResult,
  RunFilter,
  RunStatus,
  StepRecord,
  UnpauseResult
} from "../../../SnapshotStore.js"
import type { Row, RowDecodeError } from "../schema.js"
import type { ScheduleQueries } from "./schedules.js"

/** A new run's row. */
export interface InsertRun {
  readonly run: NewRun
  readonly status: "queued" | "running"
  readonly owner: string | null
  readonly leaseUntil: number | null
  readonly generation: number
  /** The initial state, as JSON text (the snapshot at seq 0). */
  readonly state: string
  /** Its search attributes, as the JSON text of `[{ name, t, n }]` (encoded text), if any. */
  readonly search: string | undefined
}

/** A step's row, and the fence it is written under. */
export interface InsertStep {
  readonly step: StepRecord
  readonly delta: string
  readonly error: string | null
  readonly generation: number
  /** A full snapshot at the step's seq, as JSON text. */
  readonly snapshot: string | undefined
  /** Search attributes set (JSON text of `[{ name, t, n }]`) and removed (encoded names), if any changed. */
  readonly search: { readonly set: string; readonly unset: ReadonlyArray<string> } | undefined
}

/** What `claim` and `recordSignal` need to know of a run. */
export interface StatusRow {
  readonly status: RunStatus
  readonly owner: string | null
  readonly leaseUntil: number | null
  readonly rootId: string
  readonly pausedFrom: PausedFrom | null
}

/** The record filter with its text encoded. */
export type StoredFilter = RunFilter

/**
 * The SQL of one database. Every text parameter is already encoded; every
 * row is returned as the driver gives it.
 */
export interface Queries {
  /** Inserts the run and its snapshot at seq 0; `false` when the run id exists (nothing written). */
  readonly insertRun: (p: InsertRun) => Effect.Effect<boolean, SqlError>
  readonly claim: (p: {
    readonly runId: string
    readonly owner: string
    readonly now: number
    readonly leaseUntil: number
    readonly takeOverFrom: string | null
  }) => Effect.Effect<Row | undefined, SqlError>
  readonly statusOf: (runId: string) => Effect.Effect<StatusRow | undefined, SqlError | RowDecodeError>
  /** Claims the candidates in one atomic step; concurrent callers never get one run twice. */
  readonly claimNext: (p: {
    readonly owner: string
    readonly now: number
    readonly leaseUntil: number
    readonly templates: ReadonlyArray<{ readonly name: string; readonly version: string }>
    readonly queues: ReadonlyArray<string>
    /** Orphaned and due runs only of these queues; of every queue when `null`. */
    readonly recoverQueues: ReadonlyArray<string> | null
    /** Owners known dead: their running runs are orphaned whatever their lease. */
    readonly takeOverFrom: ReadonlyArray<string>
    readonly limit: number
    /** Orphaned runs taken up this many times already are ended failed instead (dead letters); none when `null`. */
    readonly maxRecoveryAttempts: number | null
    readonly deadExpiresAt: number | null
    /** A queue's rate limit: its starts counted and recorded under a lock of the queue (see `ClaimFilter`). */
    readonly rateLimit: { readonly queue: string; readonly limit: number; readonly periodMillis: number } | null
  }) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  /** The distinct owners of running runs whose lease lives past `now`. */
  readonly holders: (now: number) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  readonly heartbeat: (owner: string, leaseUntil: number) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  /** Writes the step (and snapshot) while the fence holds; `false` when it does not (nothing written). */
  readonly appendStep: (p: InsertStep) => Effect.Effect<boolean, SqlError>
  readonly pause: (p: {
    readonly runId: string
    readonly generation: number
    readonly status: "running" | "suspended"
    readonly updatedAt: number
    readonly elapsedMillis: number
    readonly wakeAt: number | null
    readonly waitingFor: string | null
  }) => Effect.Effect<boolean, SqlError>
  /** Ends the run while the fence holds, and records the follow-up runs in the same transaction. */
  readonly finish: (p: {
    readonly runId: string
    readonly generation: number
    readonly status: "completed" | "failed"
    readonly error: string | null
    readonly expiresAt: number | null
    readonly updatedAt: number
    readonly elapsedMillis: number
  }, followUps: ReadonlyArray<InsertRun>) => Effect.Effect<boolean, SqlError>
  /**
   * Cancels the run and its active descendants if the run is active; the ids cancelled (none otherwise).
   * The follow-up runs are recorded in the same transaction when it was.
   */
  readonly cancel: (
    runId: string,
    now: number,
    expiresAt: number | null,
    followUps: ReadonlyArray<InsertRun>
  ) => Effect.Effect<ReadonlyArray<unknown>, SqlError>
  /** The schedules' queries. */
  readonly schedules: ScheduleQueries
  readonly selectRun: (runId: string) => Effect.Effect<Row | undefined, SqlError>
  /** `asked` (each of `runIds`) with the run's `status`, `NULL` when no run has that id. */
  readonly statusesOf: (runIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  /** The rows of the runs `runIds` (those that exist). */
  readonly selectRuns: (runIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  /** The run's row with its snapshot (`snapshot_seq`, `snapshot_state`). */
  readonly selectLoad: (runId: string) => Effect.Effect<Row | undefined, SqlError>
  /** Every step row of a run in order, with `delta` only for those after `afterSeq`. */
  readonly stepsForLoad: (runId: string, afterSeq: number) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  readonly steps: (runId: string) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  readonly list: (filter: StoredFilter) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  readonly collectExpired: (now: number) => Effect.Effect<number, SqlError>
  /** Records the signal if none of its name is pending, marking the root due; checks the run first. */
  readonly recordSignal: (p: {
    readonly runId: string
    readonly name: string
    readonly payload: string
    readonly receivedAt: number
  }) => Effect.Effect<RecordSignalResult, SqlError | RowDecodeError>
  /** `held: false` when the fence does not hold; else the signal the step owns or just took, if any. */
  readonly takeSignal: (p: {
    readonly runId: string
    readonly generation: number
    readonly name: string
    readonly stepKey: string
  }) => Effect.Effect<{ readonly held: boolean; readonly signal: Row | undefined }, SqlError>
  readonly signals: (runId: string) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  /** Pauses the run under a lock of its row (see `SnapshotStore`'s `pauseRun`). */
  readonly pauseRun: (runId: string, now: number) => Effect.Effect<PauseResult, SqlError | RowDecodeError>
  /** Unpauses the run; its status row read when nothing was paused. */
  readonly unpauseRun: (runId: string, now: number) => Effect.Effect<UnpauseResult, SqlError | RowDecodeError>
  /** A run's first state (JSON text), if kept. */
  readonly initialState: (runId: string) => Effect.Effect<Row | undefined, SqlError>
  /** Re-opens a failed or cancelled top-level run, claimed; its row, or nothing when it is not one. */
  readonly reopen: (p: {
    readonly runId: string
    readonly owner: string
    readonly now: number
    readonly leaseUntil: number
  }) => Effect.Effect<Row | undefined, SqlError>
  /** Writes the step and moves the run to another template while the fence holds; `false` when it does not. */
  readonly retarget: (
    p: InsertStep & { readonly templateName: string; readonly templateVersion: string; readonly templateFingerprint: string | null }
  ) => Effect.Effect<boolean, SqlError>
  readonly searchOf: (runId: string) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  readonly historyOf: (runId: string) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  /** A fleet statement (`fleetSql`) with its named values (text encoded). */
  readonly fleet: (
    name: "recordWorker" | "workers" | "forgetWorkers" | "queueStats" | "stepSample",
    values: Readonly<Record<string, unknown>>
  ) => Effect.Effect<ReadonlyArray<Row>, SqlError>
}

/** One database's way of storing runs. */
export interface Dialect {
  readonly queries: Queries
  /** A string as stored in a text column, and back (identity where text holds any string). */
  readonly encode: (s: string) => string
  readonly decode: (s: string) => string
  /** The database, as errors name it (a server and database; never a password). */
  readonly path: string
  /** A fault of the database as a `PersistenceError` of `operation`. */
  readonly fromError: (operation: string, cause: unknown) => PersistenceError
  /**
   * Whether a fault happened before the statement was sent (a pooled
   * connection found dead): the operation is then tried again, at most
   * {@link unsentRetries} times, on another connection.
   */
  readonly unsent: (cause: unknown) => boolean
  /** Hints that claimable work appeared, from any process sharing the database. */
  readonly wakeups?: Effect.Effect<Stream.Stream<void>, never, Scope.Scope> | undefined
}

/** How many times an operation whose statement could not be sent is tried again. */
export const unsentRetries = 3
