/**
 * Where runs are persisted. The runner writes one record per run, then one
 * step record per completed step (a checkpoint: the step's output delta, its
 * attempts and timing) in a single transaction that also advances the run's
 * cursor, and from time to time a full state snapshot so that loading a run
 * stays cheap.
 *
 * Values are stored *encoded* (JSON-safe, produced by each key's Schema); the
 * store never sees a typed value.
 *
 * Implementations: {@link layerMemory} here (tests, persistence switched off)
 * and `SqlSnapshotStore` (SQLite, the default for real programs).
 *
 * @since 0.1.0
 */
import { Context, Effect, Layer, Option, Ref } from "effect"
import type { PersistenceError } from "./Errors.js"
import { RunCancelled } from "./Errors.js"

/**
 * The life cycle of a run.
 *
 * @since 0.1.0
 * @category models
 */
export type RunStatus = "running" | "suspended" | "completed" | "failed" | "cancelled"

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
  /**
   * The whole run's timeout in milliseconds (0: none), fixed when the run
   * started, so that a run resumed by another process keeps it. Absent on
   * runs recorded before weft stored it: they get the `workflowTimeout`
   * setting of the process that resumes them.
   */
  readonly timeoutMillis?: number | undefined
  /**
   * When the wait a suspended run is at times out (epoch ms): absent when it
   * waits without a deadline, and whenever the run is not suspended.
   */
  readonly wakeAt?: number | undefined
}

/**
 * A JSON-safe summary of an error, kept in traces and run records.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorSummary {
  readonly tag: string
  readonly message: string
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
  /** Stable across re-executions of the same step of the same run. */
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
 * The outcome of a claim.
 *
 * @since 0.1.0
 * @category models
 */
export type ClaimResult =
  | { readonly claimed: true }
  | { readonly claimed: false; readonly owner: string | null; readonly leaseUntil: number | null }

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
 * Which runs to list. Every field is optional; they combine with "and".
 *
 * @since 0.1.0
 * @category models
 */
export interface RunFilter {
  readonly templateName?: string | undefined
  readonly status?: RunStatus | undefined
  /** Runs created at or after this time (epoch ms). */
  readonly createdAfter?: number | undefined
  /** Runs created before this time (epoch ms). */
  readonly createdBefore?: number | undefined
  /** Suspended runs whose wait times out at or before this time (epoch ms). */
  readonly wakeBefore?: number | undefined
  readonly limit?: number | undefined
}

/**
 * The persistence service used by the runner.
 *
 * @since 0.1.0
 * @category services
 */
export class SnapshotStore extends Context.Tag("weft/SnapshotStore")<SnapshotStore, {
  /** Record a new run with its initial state (snapshot at seq 0). */
  readonly createRun: (run: RunRecord, state: StoredState) => Effect.Effect<void, PersistenceError>
  /**
   * In one transaction: record a step, advance the run's cursor to its seq
   * and `updatedAt`, and, when given, write a full snapshot at that seq.
   * Writes nothing for a run that does not exist, and fails with
   * `RunCancelled`, writing nothing, for a run that has been cancelled (so
   * that an engine executing a run cancelled from another process learns it
   * at its next checkpoint).
   */
  readonly appendStep: (
    step: StepRecord,
    options: { readonly updatedAt: number; readonly snapshot?: StoredState | undefined }
  ) => Effect.Effect<void, PersistenceError | RunCancelled>
  /**
   * Set a run's status (and error, expiry), optionally with a final snapshot.
   * A `cancelled` run is final: it is left unchanged.
   */
  readonly setStatus: (
    runId: string,
    update: {
      readonly status: RunStatus
      readonly updatedAt: number
      readonly error?: ErrorSummary | null | undefined
      readonly expiresAt?: number | null | undefined
      readonly snapshot?: StoredState | undefined
      /** With status `suspended`: when its wait times out (absent or null: never). Any other status clears it. */
      readonly wakeAt?: number | null | undefined
    }
  ) => Effect.Effect<void, PersistenceError>
  /** Load a run for resuming. */
  readonly load: (runId: string) => Effect.Effect<Option.Option<LoadedRun>, PersistenceError>
  /** A run's record only. */
  readonly getRun: (runId: string) => Effect.Effect<Option.Option<RunRecord>, PersistenceError>
  /** All step records of a run, in order: its trace. */
  readonly steps: (runId: string) => Effect.Effect<ReadonlyArray<StepRecord>, PersistenceError>
  /** Runs matching a filter, newest first. */
  readonly list: (filter: RunFilter) => Effect.Effect<ReadonlyArray<RunRecord>, PersistenceError>
  /**
   * Take exclusive ownership of a run until `leaseUntil` (epoch ms), in one
   * atomic step. Succeeds when the run has no owner, is already owned by
   * `owner`, its lease has passed `now`, or its owner is `takeOverFrom` (an
   * owner the caller knows to be dead). Otherwise reports who holds it. A run
   * that does not exist is reported as held by nobody: `{ claimed: false, owner: null }`.
   */
  readonly claim: (
    runId: string,
    owner: string,
    now: number,
    leaseUntil: number,
    takeOverFrom?: string | undefined
  ) => Effect.Effect<ClaimResult, PersistenceError>
  /** Give up ownership (no-op when `owner` does not hold it). */
  readonly release: (runId: string, owner: string) => Effect.Effect<void, PersistenceError>
  /**
   * Delete finished runs (`completed`, `failed`, `cancelled`) whose
   * `expiresAt` is before `now`, with their steps and snapshots. Never touches
   * `running` or `suspended` runs. Returns how many runs were deleted.
   */
  readonly collectExpired: (now: number) => Effect.Effect<number, PersistenceError>
  /**
   * Record a signal for a run, in one atomic step that checks the run exists,
   * is `running` or `suspended`, and has no pending signal of that name.
   */
  readonly recordSignal: (
    signal: Omit<SignalRecord, "consumedBy">
  ) => Effect.Effect<RecordSignalResult, PersistenceError>
  /**
   * Consume a signal for the step `stepKey`: the one it already consumed (so
   * a step re-executed after a crash gets the same signal), else the oldest
   * pending signal of that name, now marked as consumed by `stepKey`.
   */
  readonly takeSignal: (
    runId: string,
    name: string,
    stepKey: string
  ) => Effect.Effect<Option.Option<SignalRecord>, PersistenceError>
  /** Every signal of a run (pending and consumed), in the order received. */
  readonly signals: (runId: string) => Effect.Effect<ReadonlyArray<SignalRecord>, PersistenceError>
}>() {}

interface MemoryRun {
  readonly record: RunRecord
  readonly snapshotSeq: number
  readonly snapshot: StoredState
  /** Appended to in place (a checkpoint is O(1)); handed out as copies. */
  readonly steps: Array<StepRecord>
  readonly owner: { readonly id: string; readonly leaseUntil: number } | null
  readonly signals: ReadonlyArray<SignalRecord>
}

const isFinished = (status: RunStatus): boolean =>
  status === "completed" || status === "failed" || status === "cancelled"

/**
 * Builds an in-memory store. Every call to `makeMemory` has its own runs.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: Effect.Effect<SnapshotStore["Type"]> = Effect.gen(function*() {
  // The map is private to this store and only changed inside Ref.update /
  // Ref.modify, so it is changed in place: no operation copies every run held.
  const runs = yield* Ref.make(new Map<string, MemoryRun>())
  const update = (runId: string, f: (run: MemoryRun) => MemoryRun) =>
    Ref.update(runs, (map) => {
      const run = map.get(runId)
      if (run === undefined) return map
      return map.set(runId, f(run))
    })
  const get = (runId: string) => Effect.map(Ref.get(runs), (map) => Option.fromNullable(map.get(runId)))

  return SnapshotStore.of({
    createRun: (record, state) =>
      Ref.update(runs, (map) =>
        map.set(record.runId, { record, snapshotSeq: 0, snapshot: state, steps: [], owner: null, signals: [] })),
    appendStep: (step, { snapshot, updatedAt }) =>
      Effect.flatMap(
        Ref.modify(runs, (map): [boolean, Map<string, MemoryRun>] => {
          const run = map.get(step.runId)
          if (run === undefined) return [false, map]
          if (run.record.status === "cancelled") return [true, map]
          run.steps.push(step)
          return [false, map.set(step.runId, {
            ...run,
            record: { ...run.record, seq: step.seq, updatedAt },
            ...(snapshot === undefined ? {} : { snapshot, snapshotSeq: step.seq })
          })]
        }),
        (cancelled) => cancelled ? Effect.fail(new RunCancelled({ runId: step.runId })) : Effect.void
      ),
    setStatus: (runId, u) =>
      update(runId, (run) => run.record.status === "cancelled" ? run : ({
        ...run,
        record: {
          ...run.record,
          status: u.status,
          updatedAt: u.updatedAt,
          ...(u.error === undefined ? {} : { error: u.error }),
          ...(u.expiresAt === undefined ? {} : { expiresAt: u.expiresAt }),
          wakeAt: u.status === "suspended" && typeof u.wakeAt === "number" ? u.wakeAt : undefined
        },
        ...(u.snapshot === undefined ? {} : { snapshot: u.snapshot, snapshotSeq: run.record.seq })
      })),
    load: (runId) =>
      Effect.map(get(runId), Option.map((run): LoadedRun => ({
        run: run.record,
        snapshotSeq: run.snapshotSeq,
        snapshot: run.snapshot,
        stepsAfterSnapshot: run.steps.filter((s) => s.seq > run.snapshotSeq),
        completedStepKeys: run.steps.filter((s) => s.status !== "failed").map((s) => s.stepKey)
      }))),
    getRun: (runId) => Effect.map(get(runId), Option.map((run) => run.record)),
    steps: (runId) => Effect.map(get(runId), (run) => Option.isSome(run) ? run.value.steps.slice() : []),
    list: (filter) =>
      Effect.map(Ref.get(runs), (map) => {
        const all = Array.from(map.values(), (run) => run.record).filter((r) =>
          (filter.templateName === undefined || r.templateName === filter.templateName) &&
          (filter.status === undefined || r.status === filter.status) &&
          (filter.createdAfter === undefined || r.createdAt >= filter.createdAfter) &&
          (filter.createdBefore === undefined || r.createdAt < filter.createdBefore) &&
          (filter.wakeBefore === undefined ||
            (r.status === "suspended" && r.wakeAt !== undefined && r.wakeAt <= filter.wakeBefore))
        ).sort((a, b) => b.createdAt - a.createdAt)
        return filter.limit === undefined ? all : all.slice(0, filter.limit)
      }),
    claim: (runId, owner, now, leaseUntil, takeOverFrom) =>
      Ref.modify(runs, (map): [ClaimResult, Map<string, MemoryRun>] => {
        const run = map.get(runId)
        if (run === undefined) return [{ claimed: false, owner: null, leaseUntil: null }, map]
        const held = run.owner
        if (held !== null && held.id !== owner && held.leaseUntil > now && held.id !== takeOverFrom) {
          return [{ claimed: false, owner: held.id, leaseUntil: held.leaseUntil }, map]
        }
        return [{ claimed: true }, map.set(runId, { ...run, owner: { id: owner, leaseUntil } })]
      }),
    release: (runId, owner) =>
      update(runId, (run) => run.owner?.id === owner ? { ...run, owner: null } : run),
    collectExpired: (now) =>
      Ref.modify(runs, (map) => {
        let deleted = 0
        for (const [id, run] of map) {
          const { expiresAt, status } = run.record
          if (isFinished(status) && expiresAt !== null && expiresAt < now) {
            map.delete(id)
            deleted++
          }
        }
        return [deleted, map]
      }),
    recordSignal: (signal) =>
      Ref.modify(runs, (map): [RecordSignalResult, Map<string, MemoryRun>] => {
        const run = map.get(signal.runId)
        if (run === undefined) return ["not-found", map]
        if (isFinished(run.record.status)) return ["run-ended", map]
        if (run.signals.some((s) => s.name === signal.name && s.consumedBy === null)) return ["already-pending", map]
        const signals = [...run.signals, { ...signal, consumedBy: null }]
        return ["recorded", map.set(signal.runId, { ...run, signals })]
      }),
    takeSignal: (runId, name, stepKey) =>
      Ref.modify(runs, (map): [Option.Option<SignalRecord>, Map<string, MemoryRun>] => {
        const run = map.get(runId)
        if (run === undefined) return [Option.none(), map]
        const taken = run.signals.find((s) => s.name === name && s.consumedBy === stepKey)
        if (taken !== undefined) return [Option.some(taken), map]
        const index = run.signals.findIndex((s) => s.name === name && s.consumedBy === null)
        if (index < 0) return [Option.none(), map]
        const consumed = { ...run.signals[index]!, consumedBy: stepKey }
        const signals = run.signals.map((s, i) => i === index ? consumed : s)
        return [Option.some(consumed), map.set(runId, { ...run, signals })]
      }),
    signals: (runId) => Effect.map(get(runId), (run) => Option.isSome(run) ? run.value.signals : [])
  })
})

/**
 * An in-memory store: for tests, and for programs that switch persistence off.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<SnapshotStore> = Layer.effect(SnapshotStore, makeMemory)
