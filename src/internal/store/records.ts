/**
 * The records a `SnapshotStore` keeps and exchanges: a run's record, its
 * state and deltas, step records, claims, signals, filters. Part of the
 * public `SnapshotStore` module, which re-exports them.
 *
 * @internal
 */
import type { RunStatus } from "../../SnapshotStore.js"

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
}

/**
 * The claim an engine holds on a run: every write it makes carries it.
 *
 * @since 0.2.0
 * @category models
 */
export interface Lease {
  readonly owner: string
  readonly generation: number
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
 * The outcome of a claim: the lease and the run as claimed, or why not.
 *
 * @since 0.1.0
 * @category models
 */
export type ClaimResult =
  | { readonly claimed: true; readonly lease: Lease; readonly run: RunRecord }
  | {
    readonly claimed: false
    /** `"held"`: a live lease of another owner; `"finished"`: a final status; `"not-found"`. */
    readonly reason: "held" | "finished" | "not-found"
    readonly owner: string | null
    readonly leaseUntil: number | null
  }

/** The queue of a run started without one: it executes in any engine that knows its template. */
export const defaultQueue = "default"

/**
 * Which runs {@link SnapshotStore} `claimNext` may take.
 *
 * @since 0.2.0
 * @category models
 */
export interface ClaimFilter {
  /** Only runs of these templates (name and version): an engine claims only what it can execute. */
  readonly templates: ReadonlyArray<{ readonly name: string; readonly version: string }>
  /**
   * `queued` runs of these queues are claimed too (a worker); without it,
   * only runs that need recovery or are due.
   */
  readonly queues?: ReadonlyArray<string> | undefined
  /**
   * Orphaned and due runs (see `claimNext`) only of these queues; of every
   * queue when absent. An engine takes up only the runs of the queues it may
   * execute: `default` (runs started without a queue), and a worker's own.
   */
  readonly recoverQueues?: ReadonlyArray<string> | undefined
  /**
   * Owners the caller knows to be dead (processes of its machine that have
   * exited): their `running` runs are orphaned at once, whatever their
   * lease, as with `claim`'s `takeOverFrom`.
   */
  readonly takeOverFrom?: ReadonlyArray<string> | undefined
  /** At most this many. */
  readonly limit: number
}

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
 * The outcome of a cancellation: the ids cancelled (the run and its active
 * descendants), or why nothing was.
 *
 * @since 0.2.0
 * @category models
 */
export type CancelResult =
  | { readonly _tag: "Cancelled"; readonly runIds: ReadonlyArray<string> }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Finished"; readonly status: RunStatus }

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
}
