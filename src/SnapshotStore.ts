/**
 * Where runs are persisted: the contract every store implements (in memory
 * here, SQLite in `weftjs/sqlite`, PostgreSQL in `weftjs/pg`), and the
 * records it keeps.
 *
 * A run is one record (its status, cursor, lease and lineage), an initial
 * snapshot of its state, then one step record per checkpoint (the step's
 * output delta, its attempts and timing) and, from time to time, a full
 * snapshot so that loading stays cheap. Values are stored *encoded*
 * (JSON-safe, produced by each key's Schema): a store never sees a typed
 * value.
 *
 * **Claims and fencing.** An engine executes a run only while it holds the
 * run's claim: an owner id, a lease (renewed by one heartbeat per engine)
 * and a generation that every claim increments. Every write an executing
 * engine makes carries its {@link Lease}; a store applies it only when the
 * run is still `running` under that generation, so an engine that lost the
 * run (a paused process, an expired lease taken over by another engine)
 * changes nothing: its write fails with `LeaseLost` (or `RunCancelled` when
 * the run was cancelled). A final status (`completed`, `failed`,
 * `cancelled`) is never overwritten, with one explicit exception:
 * `reopen`, which a re-run (`engine.rerun`) calls to continue a failed or
 * cancelled run from its last checkpoint, atomically and under a new
 * generation.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import type { Effect, Option, Scope, Stream } from "effect"
import type { LeaseLost, PersistenceError, RunCancelled } from "./Errors.js"
import { makeMemoryStore } from "./internal/memory/store.js"
import { all as allStatuses, type Final, isFinal as isFinalStatus, type RunStatus as Status } from "./RunStatus.js"
import type { FollowUp, ScheduleDefinition, ScheduleRecord, TriggeredBy } from "./internal/store/triggers.js"
import type {
  HistoryRecord,
  QueueStats,
  SearchCondition,
  SearchUpdate,
  SearchValue,
  StepSample,
  WorkerInHand,
  WorkerRecord
} from "./internal/store/fleet.js"
import type { ClaimFilter, ClaimResult, Lease } from "./internal/store/claims.js"
import type { CancelResult, PausedFrom, PauseResult, UnpauseResult } from "./internal/store/control.js"

export type {
  CancelResult,
  ClaimFilter,
  ClaimResult,
  FollowUp,
  HistoryRecord,
  Lease,
  PausedFrom,
  PauseResult,
  QueueStats,
  ScheduleDefinition,
  ScheduleRecord,
  SearchCondition,
  SearchUpdate,
  SearchValue,
  StepSample,
  TriggeredBy,
  UnpauseResult,
  WorkerInHand,
  WorkerRecord
}

/**
 * A run's status; see the `RunStatus` module.
 *
 * @since 0.1.0
 * @category models
 */
export type RunStatus = Status

/**
 * Every status, in life-cycle order (the same as `RunStatus.all`).
 *
 * @since 0.2.0
 * @category constants
 */
export const statuses: ReadonlyArray<RunStatus> = allStatuses

/**
 * Whether a status is final: a run that has it is never claimed, executed,
 * signalled or changed again (except by collection). The same as `RunStatus.isFinal`.
 *
 * @since 0.2.0
 * @category guards
 */
export const isFinal: (status: RunStatus) => status is Final = isFinalStatus

/**
 * One state value as stored: its encoded value and its time metadata
 * (epoch milliseconds; `expiresAt: null` means it never expires).
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredEntry {
  readonly value: unknown
  readonly writtenAt: number
  readonly expiresAt: number | null
}

/**
 * What one step changed in the state: keys written and keys removed.
 *
 * @since 0.1.0
 * @category models
 */
export interface StateDelta {
  readonly set: Readonly<Record<string, StoredEntry>>
  readonly unset: ReadonlyArray<string>
}

/**
 * A whole state, as stored.
 *
 * @since 0.1.0
 * @category models
 */
export interface StoredState {
  readonly entries: Readonly<Record<string, StoredEntry>>
  readonly createdAt: number
  readonly updatedAt: number
}

/**
 * A JSON-safe summary of an error, kept in traces and run records. `data`
 * holds the error's own fields (JSON-safe ones), so that a process that did
 * not run the step can rebuild an error with the same `_tag` and fields.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorSummary {
  readonly tag: string
  readonly message: string
  readonly data?: Readonly<Record<string, unknown>> | undefined
}

/**
 * What a suspended run waits for.
 *
 * @since 0.2.0
 * @category models
 */
export interface WaitingFor {
  /** The run that waits: the run itself, or a child run of one of its sub-flows. */
  readonly runId: string
  /** The key of the waiting step. */
  readonly step: string
  /** The signal it waits for; `null` for a durable sleep of a child run. */
  readonly signal: string | null
}

/**
 * One run's record.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunRecord {
  readonly runId: string
  readonly templateName: string
  readonly templateVersion: string
  readonly status: RunStatus
  /** The sequence number of the last recorded step (0 before any). */
  readonly seq: number
  readonly createdAt: number
  readonly updatedAt: number
  /** When a finished run may be collected (epoch ms), `null` for never. */
  readonly expiresAt: number | null
  /** A summary of the error that failed the run. */
  readonly error: ErrorSummary | null
  /** The whole run's timeout in milliseconds (0: none), fixed when the run was created. */
  readonly timeoutMillis: number
  /**
   * Execution time the run has used so far towards its timeout (ms): added
   * at each heartbeat of the engine executing it (how far its lease moved)
   * and when an engine stops executing it (suspension, release, end: the
   * rest), so that a killed process loses one beat interval of it at most.
   */
  readonly elapsedMillis: number
  /**
   * When an engine should take the run up again (epoch ms): a suspended
   * run's wait deadline, or the time a signal for it arrived; `null` when
   * nothing is due.
   */
  readonly wakeAt: number | null
  /** What a suspended run waits for; `null` when it is not suspended. */
  readonly waitingFor: WaitingFor | null
  /** The run whose sub-flow this run is; `null` for a top-level run. */
  readonly parentId: string | null
  /** The top-level run of its lineage (itself for a top-level run). */
  readonly rootId: string
  /** The queue a worker claims it from (`"default"` unless started on another). */
  readonly queue: string
  /** The engine that holds the run's claim, `null` when none does. */
  readonly owner: string | null
  /** Until when the owner's lease holds (epoch ms). */
  readonly leaseUntil: number | null
  /** Incremented by every claim: the fencing token writes carry. */
  readonly generation: number
  /** The W3C trace context of the run's span (OpenTelemetry), so that a resume continues its trace. */
  readonly traceContext: string | null
  /**
   * A digest of the structure of the template the run was started with
   * (its nodes, names, keys, Schemas and policies); `null` for a run
   * recorded before weft stored it. An engine whose template of that name
   * and version has another structure refuses the run (`TemplateMismatch`).
   */
  readonly templateFingerprint: string | null
  /** Its priority within its queue: higher is claimed first (default 0). */
  readonly priority?: number | undefined
  /**
   * How many times in a row it was taken up after its execution died (a
   * claim of a `running` run whose owner's lease had passed, or whose owner
   * was known dead); back to 0 when an execution stops cleanly (suspends or
   * hands it back). See the `maxRecoveryAttempts` setting.
   */
  readonly recoveryAttempts?: number | undefined
  /**
   * Run control: on a `paused` run, the status it returns to when unpaused;
   * on a `running` run, `"running"` means a pause was asked of the engine
   * executing it (it hands the run back, `paused`, at its next checkpoint);
   * `null` otherwise.
   */
  readonly pausedFrom?: PausedFrom | null | undefined
  /**
   * What started the run by itself (a schedule's tick, a webhook delivery,
   * another run's end); `null` (or absent) for a run somebody started.
   */
  readonly triggeredBy?: TriggeredBy | null | undefined
  /**
   * A fork: the run it was forked from (`engine.fork`); `null` (or absent)
   * for a run that is not a fork.
   *
   * @since 0.4.0
   */
  readonly forkedFrom?: string | null | undefined
  /**
   * A fork: the step of the original run after which it starts (as the
   * original's trace names it); `null` (or absent) otherwise.
   *
   * @since 0.4.0
   */
  readonly forkedAfter?: string | null | undefined
  /**
   * The template version (`name@version`) the run came from when it was
   * last migrated (`retarget`), or forked onto another version; `null` (or
   * absent) for a run still on the version it started with.
   *
   * @since 0.4.0
   */
  readonly migratedFrom?: string | null | undefined
}

/**
 * What a new run is recorded with (the rest of its {@link RunRecord} starts
 * empty: no steps, no error, no owner unless claimed at once).
 *
 * @since 0.2.0
 * @category models
 */
export interface NewRun {
  readonly runId: string
  readonly templateName: string
  readonly templateVersion: string
  readonly createdAt: number
  readonly timeoutMillis: number
  readonly parentId: string | null
  readonly rootId: string
  readonly queue: string
  readonly traceContext: string | null
  /** A digest of the template's structure (see {@link RunRecord.templateFingerprint}). */
  readonly templateFingerprint?: string | null | undefined
  /** Its priority within its queue (default 0): higher is claimed first. */
  readonly priority?: number | undefined
  /** What started it by itself (see {@link RunRecord.triggeredBy}). */
  readonly triggeredBy?: TriggeredBy | null | undefined
  /** The run's search attributes from its input (see {@link SearchValue}), recorded with it. */
  readonly search?: Readonly<Record<string, SearchValue>> | undefined
  /** A fork's original run (see {@link RunRecord.forkedFrom}). */
  readonly forkedFrom?: string | null | undefined
  /** A fork's step (see {@link RunRecord.forkedAfter}). */
  readonly forkedAfter?: string | null | undefined
  /** A fork onto another version: the original's (see {@link RunRecord.migratedFrom}). */
  readonly migratedFrom?: string | null | undefined
}

/**
 * What happened to a step.
 *
 * @since 0.1.0
 * @category models
 */
export type StepStatus = "completed" | "skipped" | "fallback" | "failed"

/**
 * One step's checkpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepRecord {
  readonly runId: string
  /** 1, 2, 3, ... in the order the steps ended. */
  readonly seq: number
  /** Unique within the run: the step's path, e.g. `process_control/validate_inputs`. */
  readonly stepKey: string
  readonly stepName: string
  readonly status: StepStatus
  readonly attempts: number
  readonly startedAt: number
  readonly endedAt: number
  readonly delta: StateDelta
  readonly error: ErrorSummary | null
  /** Stable across re-executions of the same step of the same run: `<run id>/<step key>`. */
  readonly idempotencyKey: string
}

/**
 * A run as loaded for resuming: its record, its latest full snapshot, the
 * step records after that snapshot (to apply in order), and the keys of all
 * steps that completed.
 *
 * @since 0.1.0
 * @category models
 */
export interface LoadedRun {
  readonly run: RunRecord
  readonly snapshotSeq: number
  readonly snapshot: StoredState
  readonly stepsAfterSnapshot: ReadonlyArray<StepRecord>
  readonly completedStepKeys: ReadonlyArray<string>
}

/**
 * The queue of a run started without one: it executes in any engine that
 * knows its template.
 *
 * @since 0.3.0
 * @category constants
 */
export const defaultQueue = "default"

/**
 * A signal sent to a run (`Engine.signal`): its payload as encoded by the
 * Schema of the `waitForSignal` that awaits it.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignalRecord {
  readonly runId: string
  readonly name: string
  /** The payload, encoded (JSON-safe). */
  readonly payload: unknown
  readonly receivedAt: number
  /** The key of the step that consumed it; `null` while it is pending. */
  readonly consumedBy: string | null
}

/**
 * The outcome of recording a signal: `"recorded"`, or why nothing was
 * written (no such run; the run has ended; a signal of that name is already
 * pending for it).
 *
 * @since 0.1.0
 * @category models
 */
export type RecordSignalResult = "recorded" | "not-found" | "run-ended" | "already-pending"

/**
 * A position in a listing: the last record of the previous page.
 *
 * @since 0.2.0
 * @category models
 */
export interface Cursor {
  readonly createdAt: number
  readonly runId: string
}

/**
 * What `endedRuns` found: the runs that ended, and the ids that name no run.
 *
 * @since 0.2.0
 * @category models
 */
export interface EndedRuns {
  readonly ended: ReadonlyArray<RunRecord>
  readonly missing: ReadonlyArray<string>
}

/**
 * Which runs to list. Every field is optional; they combine with "and".
 * Runs come newest first (by `createdAt`, then `runId`, descending).
 *
 * @since 0.1.0
 * @category models
 */
export interface RunFilter {
  readonly templateName?: string | undefined
  readonly status?: RunStatus | ReadonlyArray<RunStatus> | undefined
  /** Runs created at or after this time (epoch ms). */
  readonly createdAfter?: number | undefined
  /** Runs created before this time (epoch ms). */
  readonly createdBefore?: number | undefined
  /** Runs that are due at or before this time: `wakeAt <= wakeBefore` (suspended runs only). */
  readonly wakeBefore?: number | undefined
  /** Runs an engine could claim at this time: queued, suspended and due, or running with no live lease. */
  readonly claimableAt?: number | undefined
  readonly queue?: string | undefined
  /** Child runs of this run. */
  readonly parentId?: string | undefined
  /** Runs of this lineage (the top-level run and every descendant). */
  readonly rootId?: string | undefined
  /**
   * Forks of this run (runs whose {@link RunRecord.forkedFrom} is it; not
   * the forks of its forks).
   *
   * @since 0.4.0
   */
  readonly forkedFrom?: string | undefined
  /** Runs whose id starts with this. */
  readonly runIdPrefix?: string | undefined
  /** Runs whose search attributes satisfy every condition (see `Template.make`'s `searchAttributes`). */
  readonly where?: ReadonlyArray<SearchCondition> | undefined
  /** Only runs after this position (the next page). */
  readonly after?: Cursor | undefined
  readonly limit?: number | undefined
}

/**
 * How a run stops executing in an engine without ending: suspended (it
 * waits for a signal or a deadline) or released (handed back, claimable at
 * once by any engine).
 *
 * @since 0.2.0
 * @category models
 */
export type Pause =
  | {
    readonly _tag: "Suspend"
    readonly wakeAt: number | null
    readonly waitingFor: WaitingFor
  }
  | { readonly _tag: "Release" }

/**
 * How a run ends.
 *
 * @since 0.2.0
 * @category models
 */
export interface Ending {
  readonly status: "completed" | "failed"
  readonly error: ErrorSummary | null
  /** When the finished run may be collected; `null` for never. */
  readonly expiresAt: number | null
  /** Runs recorded with the end, in the same transaction (event triggers); see {@link FollowUp}. */
  readonly followUps?: ReadonlyArray<FollowUp> | undefined
}

/**
 * The persistence service: what every store implements. Every operation
 * fails with a `PersistenceError` when the store cannot do it; a transient
 * one (`reason` `"locked"` or `"unavailable"`) may be retried.
 *
 * @since 0.1.0
 * @category services
 */
export interface Service {
  /**
   * Records a new run with its initial state (the snapshot at seq 0), in one
   * transaction. With `claim`, the run is recorded `running` and claimed by
   * `claim.owner` at once (generation 1), and the lease is returned;
   * without, it is recorded `queued` and `null` is returned. A run id that
   * exists already is a `PersistenceError` of reason `"duplicate"`, and
   * nothing is written.
   */
  readonly createRun: (
    run: NewRun,
    state: StoredState,
    claim: { readonly owner: string; readonly leaseUntil: number } | null
  ) => Effect.Effect<Lease | null, PersistenceError>
  /**
   * Claims a run for `owner` until `leaseUntil`, in one atomic step: only a
   * run that is not final nor paused (nor asked to pause), and that nobody holds (no owner, a lease that has
   * passed `now`, or the owner `takeOverFrom`, one the caller knows to be
   * dead). The generation is incremented and the status becomes `running`.
   */
  readonly claim: (
    runId: string,
    owner: string,
    now: number,
    leaseUntil: number,
    takeOverFrom?: string | undefined
  ) => Effect.Effect<ClaimResult, PersistenceError>
  /**
   * Claims up to `filter.limit` top-level runs that need an engine, highest
   * priority first, then oldest, each as {@link claim} does (never a paused
   * run, nor one a pause was asked of: an orphaned one of those becomes
   * `paused`): runs `running` with no live lease
   * (their engine died or handed them back), `suspended` runs that are due
   * (`wakeAt <= now`: a deadline passed, a signal arrived), and, with
   * `filter.queues`, `queued` runs of those queues. Only runs of
   * `filter.templates`. Concurrent callers never claim the same run.
   */
  readonly claimNext: (
    owner: string,
    now: number,
    leaseUntil: number,
    filter: ClaimFilter
  ) => Effect.Effect<ReadonlyArray<{ readonly lease: Lease; readonly run: RunRecord }>, PersistenceError>
  /**
   * The owners holding a live lease (past `now`) on some `running` run:
   * an engine looks among them for dead processes of its machine, whose
   * runs it may take over at once (`claimNext`'s `takeOverFrom`).
   */
  readonly holders: (now: number) => Effect.Effect<ReadonlyArray<string>, PersistenceError>
  /**
   * Renews the lease of every `running` run `owner` holds, in one statement,
   * adding to each run's elapsed time how far its lease moved (the
   * execution time since its claim or last beat: the owner accounts for it
   * when the run stops, see `pause`),
   * and returns them: a run the owner thought it held and that is missing
   * was taken over or cancelled.
   */
  readonly heartbeat: (
    owner: string,
    leaseUntil: number
  ) => Effect.Effect<
    ReadonlyArray<{ readonly runId: string; readonly generation: number; readonly pauseAsked?: boolean | undefined }>,
    PersistenceError
  >
  /**
   * Pauses a run that is not final, in one atomic step: a queued or
   * suspended run (its deadline and what it waits for kept), or a running
   * one that nobody holds, becomes `paused` at once; a running one under a
   * live lease is marked (`pausedFrom: "running"`) and its owner learns it
   * from `heartbeat` (`pauseAsked`): its next `pause` (hand-back or
   * suspension) records it `paused`. A paused run is never claimed, and a
   * signal for it is recorded and marks it due for when it is unpaused.
   */
  readonly pauseRun: (runId: string, now: number) => Effect.Effect<PauseResult, PersistenceError>
  /**
   * Unpauses a run: back to the status it had (queued; suspended with its
   * deadline and wake-up time, claimable at once if they passed meanwhile;
   * running with no owner: claimable at once), or a pause asked of its
   * executing engine is withdrawn.
   */
  readonly unpauseRun: (runId: string, now: number) => Effect.Effect<UnpauseResult, PersistenceError>
  /**
   * Records a step and advances the run's cursor to its seq, and, when given,
   * writes a full snapshot at that seq and the changes of the run's search
   * attributes, atomically; only while `lease` holds the `running` run.
   * Otherwise writes nothing and fails with `RunCancelled` (the run was
   * cancelled) or `LeaseLost`.
   */
  readonly appendStep: (
    step: StepRecord,
    lease: Lease,
    snapshot?: StoredState | undefined,
    search?: SearchUpdate | undefined
  ) => Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost>
  /**
   * Stops executing a run without ending it, releasing the claim: suspended
   * (with its wake-up time and what it waits for) or released (`running`
   * with no owner: any engine may claim it at once). Adds `elapsedMillis`
   * to the run's elapsed time. Only while `lease` holds the `running` run
   * (else `RunCancelled` / `LeaseLost`, nothing written). A run a pause was
   * asked of (`pauseRun`) is recorded `paused` instead, returning to
   * `suspended` (with its wake-up time) or `running` when unpaused. Either
   * way its count of recovery attempts goes back to 0.
   */
  readonly pause: (
    runId: string,
    lease: Lease,
    pause: Pause,
    at: { readonly updatedAt: number; readonly elapsedMillis: number }
  ) => Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost>
  /**
   * Ends a run (`completed` or `failed`, with its error and expiry), releasing
   * its claim, in one statement; only while `lease` holds the `running` run
   * (else `RunCancelled` / `LeaseLost`, nothing written). A final status is
   * never overwritten. The ending's `followUps` are recorded in the same
   * transaction (an existing run id is left as it is).
   */
  readonly finish: (
    runId: string,
    lease: Lease,
    ending: Ending,
    at: { readonly updatedAt: number; readonly elapsedMillis: number }
  ) => Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost>
  /**
   * Cancels a run that is not final, and every descendant of it that is not
   * final, in one transaction (`expiresAt` as given); claims are dropped.
   * `followUps` are recorded in the same transaction, only when the run is
   * cancelled by this call.
   */
  readonly cancel: (
    runId: string,
    now: number,
    expiresAt: number | null,
    followUps?: ReadonlyArray<FollowUp> | undefined
  ) => Effect.Effect<CancelResult, PersistenceError>
  /**
   * Re-opens a `failed` or `cancelled` top-level run for a re-run, in one
   * atomic step: `running`, claimed by `owner` until `leaseUntil`, its
   * generation incremented, its error, expiry, wake-up and elapsed time
   * cleared (its steps, state and signals are kept: the re-run continues
   * from its last checkpoint). The only write that changes a final status.
   * A run that is not failed or cancelled is not touched: `"held"` when it
   * is active, `"finished"` when it completed.
   */
  readonly reopen: (
    runId: string,
    owner: string,
    now: number,
    leaseUntil: number
  ) => Effect.Effect<ClaimResult, PersistenceError>
  /**
   * Moves a claimed run to another version of its template (a migration):
   * records `step` (the migration's checkpoint) and sets the run's template
   * name, version and fingerprint, and its `migratedFrom` to the version it
   * was on (`name@version`), atomically; only while `lease` holds the
   * `running` run (else `RunCancelled` / `LeaseLost`, nothing written).
   */
  readonly retarget: (
    step: StepRecord,
    lease: Lease,
    template: { readonly name: string; readonly version: string; readonly fingerprint: string | null }
  ) => Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost>
  /**
   * A run's first state (its input, as recorded by `createRun`), kept when
   * later full snapshots replace it, so that its state after any step can
   * be rebuilt from its step records' deltas; none for a run that does not
   * exist, or whose first state was replaced before the store kept it (a
   * run recorded by an older weft).
   */
  readonly initialState: (runId: string) => Effect.Effect<Option.Option<StoredState>, PersistenceError>
  /** Loads a run for resuming. */
  readonly load: (runId: string) => Effect.Effect<Option.Option<LoadedRun>, PersistenceError>
  /** A run's record only. */
  readonly getRun: (runId: string) => Effect.Effect<Option.Option<RunRecord>, PersistenceError>
  /**
   * Of `runIds`, in one read whatever their number: the records of the runs
   * that have ended (`completed`, `failed`, `cancelled`), and the ids that
   * name no run; a run still going on is in neither. How an engine learns,
   * for every run awaited in it, which ended elsewhere. Optional: an engine
   * over a store without it reads each run with `getRun`.
   */
  readonly endedRuns?: ((runIds: ReadonlyArray<string>) => Effect.Effect<EndedRuns, PersistenceError>) | undefined
  /** A run's search attributes (empty when it has none, or no such run). */
  readonly searchAttributes: (runId: string) => Effect.Effect<Readonly<Record<string, SearchValue>>, PersistenceError>
  /** A run's stored history (claims, hand-backs, suspensions, cancellations), oldest first. */
  readonly history: (runId: string) => Effect.Effect<ReadonlyArray<HistoryRecord>, PersistenceError>
  /** Records (inserts or replaces) a worker's row: when it starts, at each beat, when it stops. */
  readonly recordWorker: (worker: WorkerRecord) => Effect.Effect<void, PersistenceError>
  /** Every recorded worker, with the runs it holds now; `forget` deletes rows whose lease passed before it with no run in hand. */
  readonly workers: (forget?: number | undefined) => Effect.Effect<ReadonlyArray<WorkerInHand>, PersistenceError>
  /** The active runs by queue (top-level and child runs alike). */
  readonly queueStats: Effect.Effect<ReadonlyArray<QueueStats>, PersistenceError>
  /** Up to `limit` step records of the runs created in `[since, until)`, newest runs first, with their template. */
  readonly stepSample: (since: number, until: number, limit: number) => Effect.Effect<ReadonlyArray<StepSample>, PersistenceError>
  /** All step records of a run, in order: its trace. */
  readonly steps: (runId: string) => Effect.Effect<ReadonlyArray<StepRecord>, PersistenceError>
  /** Runs matching a filter, newest first. */
  readonly list: (filter: RunFilter) => Effect.Effect<ReadonlyArray<RunRecord>, PersistenceError>
  /**
   * Deletes finished runs whose `expiresAt` is before `now`, with their
   * steps, snapshots and signals. Never touches a run that is not final.
   * Returns how many runs were deleted.
   */
  readonly collectExpired: (now: number) => Effect.Effect<number, PersistenceError>
  /**
   * Records a signal for a run, in one atomic step that checks the run
   * exists, is not final, and has no pending signal of that name; and marks
   * the run's top-level run due (`wakeAt` = `receivedAt`, when suspended),
   * so that an engine takes it up.
   */
  readonly recordSignal: (signal: Omit<SignalRecord, "consumedBy">) => Effect.Effect<RecordSignalResult, PersistenceError>
  /**
   * Consumes a signal for the step `stepKey`: the one it already consumed
   * (so a step re-executed after a crash gets the same signal), else the
   * oldest pending signal of that name, now marked as consumed by `stepKey`;
   * only while `lease` holds the `running` run (else `RunCancelled` /
   * `LeaseLost`).
   */
  readonly takeSignal: (
    runId: string,
    name: string,
    stepKey: string,
    lease: Lease
  ) => Effect.Effect<Option.Option<SignalRecord>, PersistenceError | RunCancelled | LeaseLost>
  /** Every signal of a run (pending and consumed), in the order received. */
  readonly signals: (runId: string) => Effect.Effect<ReadonlyArray<SignalRecord>, PersistenceError>
  /**
   * Saves a schedule's definition: a new one (`"created"`), or, with
   * `replace`, over an existing one of that name (`"updated"`: its paused
   * flag and tick history are kept); without `replace` an existing one is
   * left as it is (`"exists"`).
   */
  readonly saveSchedule: (
    definition: ScheduleDefinition,
    options: { readonly replace: boolean; readonly now: number }
  ) => Effect.Effect<"created" | "updated" | "exists", PersistenceError>
  /** Every schedule, by name. */
  readonly schedules: Effect.Effect<ReadonlyArray<ScheduleRecord>, PersistenceError>
  /** Pauses or resumes a schedule; `false` when there is none of that name. */
  readonly pauseSchedule: (name: string, paused: boolean, now: number) => Effect.Effect<boolean, PersistenceError>
  /** Deletes a schedule (its runs stay); `false` when there is none of that name. */
  readonly deleteSchedule: (name: string) => Effect.Effect<boolean, PersistenceError>
  /**
   * Records that a schedule's tick was handled: `lastTick` moves forward to
   * `tick` (never back) and, when given, `lastRunId` becomes `runId` (the
   * run of that tick, or of a buffered one started later).
   */
  readonly markTick: (name: string, tick: number, runId: string | null) => Effect.Effect<void, PersistenceError>
  /**
   * Sets a schedule's buffered tick to `next` if it is `expected` now
   * (compare and set); says whether it did.
   */
  readonly swapBuffered: (
    name: string,
    expected: number | null,
    next: number | null
  ) => Effect.Effect<boolean, PersistenceError>
  /**
   * A stream of hints that claimable work may have appeared (a run queued or
   * released, a signal recorded), published by any process sharing the
   * store; `undefined` when the store cannot tell (engines then poll).
   */
  readonly wakeups?: Effect.Effect<Stream.Stream<void>, never, Scope.Scope> | undefined
  /**
   * `false` for a store whose runs end with the process (in memory): an
   * engine over it then neither polls for runs to take up nor waits, when it
   * stops, for runs to finish so as to hand them back. Default `true`.
   */
  readonly durable?: boolean | undefined
}

/**
 * The persistence service's tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class SnapshotStore extends Context.Tag("weft/SnapshotStore")<SnapshotStore, Service>() {}

/**
 * Builds an in-memory store. Every call gives a store with runs of its own.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<Service> = makeMemoryStore

/**
 * An in-memory store: for tests, and for programs that switch persistence off.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<SnapshotStore> = Layer.effect(SnapshotStore, makeMemory)
