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
   */
  readonly appendStep: (
    step: StepRecord,
    options: { readonly updatedAt: number; readonly snapshot?: StoredState | undefined }
  ) => Effect.Effect<void, PersistenceError>
  /** Set a run's status (and error, expiry), optionally with a final snapshot. */
  readonly setStatus: (
    runId: string,
    update: {
      readonly status: RunStatus
      readonly updatedAt: number
      readonly error?: ErrorSummary | null | undefined
      readonly expiresAt?: number | null | undefined
      readonly snapshot?: StoredState | undefined
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
}>() {}

interface MemoryRun {
  readonly record: RunRecord
  readonly snapshotSeq: number
  readonly snapshot: StoredState
  readonly steps: ReadonlyArray<StepRecord>
  readonly owner: { readonly id: string; readonly leaseUntil: number } | null
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
  const runs = yield* Ref.make(new Map<string, MemoryRun>())
  const update = (runId: string, f: (run: MemoryRun) => MemoryRun) =>
    Ref.update(runs, (map) => {
      const run = map.get(runId)
      if (run === undefined) return map
      const next = new Map(map)
      next.set(runId, f(run))
      return next
    })
  const get = (runId: string) => Effect.map(Ref.get(runs), (map) => Option.fromNullable(map.get(runId)))

  return SnapshotStore.of({
    createRun: (record, state) =>
      Ref.update(runs, (map) =>
        new Map(map).set(record.runId, { record, snapshotSeq: 0, snapshot: state, steps: [], owner: null })),
    appendStep: (step, { snapshot, updatedAt }) =>
      update(step.runId, (run) => ({
        ...run,
        record: { ...run.record, seq: step.seq, updatedAt },
        steps: [...run.steps, step],
        ...(snapshot === undefined ? {} : { snapshot, snapshotSeq: step.seq })
      })),
    setStatus: (runId, u) =>
      update(runId, (run) => ({
        ...run,
        record: {
          ...run.record,
          status: u.status,
          updatedAt: u.updatedAt,
          ...(u.error === undefined ? {} : { error: u.error }),
          ...(u.expiresAt === undefined ? {} : { expiresAt: u.expiresAt })
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
    steps: (runId) => Effect.map(get(runId), (run) => Option.isSome(run) ? run.value.steps : []),
    list: (filter) =>
      Effect.map(Ref.get(runs), (map) => {
        const all = Array.from(map.values(), (run) => run.record).filter((r) =>
          (filter.templateName === undefined || r.templateName === filter.templateName) &&
          (filter.status === undefined || r.status === filter.status) &&
          (filter.createdAfter === undefined || r.createdAt >= filter.createdAfter) &&
          (filter.createdBefore === undefined || r.createdAt < filter.createdBefore)
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
        return [{ claimed: true }, new Map(map).set(runId, { ...run, owner: { id: owner, leaseUntil } })]
      }),
    release: (runId, owner) =>
      update(runId, (run) => run.owner?.id === owner ? { ...run, owner: null } : run),
    collectExpired: (now) =>
      Ref.modify(runs, (map) => {
        const next = new Map(map)
        let deleted = 0
        for (const [id, run] of map) {
          const { expiresAt, status } = run.record
          if (isFinished(status) && expiresAt !== null && expiresAt < now) {
            next.delete(id)
            deleted++
          }
        }
        return [deleted, next]
      })
  })
})

/**
 * An in-memory store: for tests, and for programs that switch persistence off.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<SnapshotStore> = Layer.effect(SnapshotStore, makeMemory)
