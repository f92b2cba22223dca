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
 * `cancelled`) is never overwritten.
 *
 * @since 0.1.0
 */
import { Context, Layer } from "effect"
import type { Effect, Option, Scope, Stream } from "effect"
import type { LeaseLost, PersistenceError, RunCancelled } from "./Errors.js"
import { makeMemoryStore } from "./internal/store/memory.js"
import { isFinal as isFinalStatus } from "./internal/store/status.js"

/**
 * The life cycle of a run: `queued` (recorded, waiting for a worker),
 * `running` (executing, or claimable when its lease has passed),
 * `suspended` (waiting for a signal or a deadline, held by nobody), and the
 * final `completed`, `failed`, `cancelled`.
 *
 * @since 0.1.0
 * @category models
 */
export type RunStatus = "queued" | "running" | "suspended" | "completed" | "failed" | "cancelled"

/**
 * Every status, in life-cycle order.
 *
 * @since 0.2.0
 * @category constants
 */
export const statuses: ReadonlyArray<RunStatus> = ["queued", "running", "suspended", "completed", "failed", "cancelled"]

/**
 * Whether a status is final: a run that has it is never claimed, executed,
 * signalled or changed again (except by collection).
 *
 * @since 0.2.0
 * @category guards
 */
export const isFinal: (status: RunStatus) => status is "completed" | "failed" | "cancelled" = isFinalStatus

export type {
  CancelResult,
  ClaimFilter,
  ClaimResult,
  Cursor,
  Ending,
  ErrorSummary,
  Lease,
  LoadedRun,
  NewRun,
  Pause,
  RecordSignalResult,
  RunFilter,
  RunRecord,
  SignalRecord,
  StateDelta,
  StepRecord,
  StepStatus,
  StoredEntry,
  StoredState,
  WaitingFor
} from "./internal/store/records.js"
import type {
  CancelResult,
  ClaimFilter,
  ClaimResult,
  Ending,
  Lease,
  LoadedRun,
  NewRun,
  Pause,
  RecordSignalResult,
  RunFilter,
  RunRecord,
  SignalRecord,
  StepRecord,
  StoredState
} from "./internal/store/records.js"

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
   * run that is not final, and that nobody holds (no owner, a lease that has
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
   * Claims up to `filter.limit` top-level runs that need an engine, oldest
   * first, each as {@link claim} does: runs `running` with no live lease
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
  ) => Effect.Effect<ReadonlyArray<{ readonly runId: string; readonly generation: number }>, PersistenceError>
  /**
   * Records a step and advances the run's cursor to its seq, and, when given,
   * writes a full snapshot at that seq, atomically; only while `lease` holds
   * the `running` run. Otherwise writes nothing and fails with
   * `RunCancelled` (the run was cancelled) or `LeaseLost`.
   */
  readonly appendStep: (
    step: StepRecord,
    lease: Lease,
    snapshot?: StoredState | undefined
  ) => Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost>
  /**
   * Stops executing a run without ending it, releasing the claim: suspended
   * (with its wake-up time and what it waits for) or released (`running`
   * with no owner: any engine may claim it at once). Adds `elapsedMillis`
   * to the run's elapsed time. Only while `lease` holds the `running` run
   * (else `RunCancelled` / `LeaseLost`, nothing written).
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
   * never overwritten.
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
   */
  readonly cancel: (runId: string, now: number, expiresAt: number | null) => Effect.Effect<CancelResult, PersistenceError>
  /** Loads a run for resuming. */
  readonly load: (runId: string) => Effect.Effect<Option.Option<LoadedRun>, PersistenceError>
  /** A run's record only. */
  readonly getRun: (runId: string) => Effect.Effect<Option.Option<RunRecord>, PersistenceError>
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
