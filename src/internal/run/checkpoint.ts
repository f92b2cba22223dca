/**
 * Persistence of a step: one checkpoint per step (its delta, attempts and
 * timing), written under the run's claim (fenced), with a full snapshot from
 * time to time so that loading stays cheap, and retried when the store fails
 * transiently.
 *
 * @internal
 */
import { Cause, Duration, Effect, Exit, Option, Schedule } from "effect"
import type { LeaseLost, PersistenceError, RunCancelled } from "../../Errors.js"
import type { SearchUpdate, StateDelta, StepRecord, StoredEntry, StoredState } from "../../SnapshotStore.js"
import { syncOf } from "../store/syncAppend.js"
import type { RunContext } from "./context.js"
import { idempotencyKey } from "./keys.js"
import { searchKeys, searchUpdate } from "./search.js"

// the search attributes of a new run, for the run's creation (lifecycle.ts)
export { initialSearch } from "./search.js"

/** Full snapshots are written once the deltas since the last one weigh this much, or the state's size. */
const minSnapshotBytes = 64 * 1024

/**
 * How a write that failed transiently (busy, I/O, connection lost) is tried
 * again: exponential from 20 ms, at most 2 s apart, 12 times (about 12 s).
 */
export const transientRetry: Schedule.Schedule<unknown, PersistenceError> = Schedule.exponential("20 millis").pipe(
  Schedule.modifyDelay((delay) => Duration.min(delay, Duration.seconds(2))),
  Schedule.intersect(Schedule.recurs(12))
)

/** Retry options: a schedule and which errors to retry. */
export interface RetryOptions<E> {
  readonly schedule: Schedule.Schedule<unknown, E>
  readonly while: (error: E) => boolean
}

/** `Effect.retry(effect, options)` taken up after `effect` failed once with `first`. */
const retryFrom = <A, E, R>(first: E, effect: Effect.Effect<A, E, R>, options: RetryOptions<E>): Effect.Effect<A, E, R> => {
  let replayed = false
  const again = Effect.suspend(() => {
    if (replayed) return effect
    replayed = true
    return Effect.fail(first)
  })
  return Effect.retry(again, options)
}

/**
 * `Effect.retry`, free until the first attempt fails: a retry driver costs
 * ~10 µs to set up, more than a whole step, so it is built only then. Runs
 * `first` (the first attempt, built apart: it may be under way), then, after
 * it fails, goes on exactly as `Effect.retry(again, options)` would have
 * from that failure (the schedule and `while` see it first; the first
 * attempt sees the default iteration metadata, as under `Effect.retry`).
 */
export const retryAfter = <A, E, R>(
  first: Effect.Effect<A, E, R>,
  again: Effect.Effect<A, E, R>,
  options: RetryOptions<E>
): Effect.Effect<A, E, R> => Effect.catchAll(first, (error) => retryFrom(error, again, options))

const transientOptions: RetryOptions<unknown> = {
  schedule: transientRetry as Schedule.Schedule<unknown, unknown>,
  while: (error) => isTransient(error)
}

/** Runs a store write, trying it again while it fails transiently (nothing is set up until it fails). */
export const retryTransient = <A, E, R>(write: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.catchAll(
    write,
    (first) => isTransient(first) ? retryFrom(first, write, transientOptions as RetryOptions<E>) : Effect.fail(first)
  )

/** Whether an error is a transient store failure. */
export const isTransient = (error: unknown): error is PersistenceError =>
  typeof error === "object" && error !== null && (error as { readonly _tag?: unknown })._tag === "PersistenceError" &&
  (error as PersistenceError).transient

/** A checkpoint as the interpreter describes it: a step record before the store numbers it. */
export type Checkpoint = Omit<StepRecord, "runId" | "seq" | "idempotencyKey">

/** The typed values of a delta's written keys, with their sizes. */
export type Written = ReadonlyMap<string, { readonly value: unknown; readonly size: number }>

const noWrites: Written = new Map()

/**
 * Appends one checkpoint: records it in the store under the run's claim,
 * then applies its delta to the in-memory state. Checkpoints of one run are
 * serialized while flow views run concurrently, and not interruptible, so
 * that the in-memory cursor always matches the store's. Fails with
 * `RunCancelled` or `LeaseLost` (nothing written) when the run is no longer
 * this engine's, and with a `PersistenceError` when the store stays
 * unavailable.
 */
export const checkpoint = (
  ctx: RunContext,
  input: Checkpoint,
  written: Written = noWrites
): Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost> => {
  const guarded = Effect.uninterruptible(Effect.suspend(() => write(ctx, input, written)))
  return ctx.root.concurrentViews > 0 ? lockOf(ctx.root).withPermits(1)(guarded) : guarded
}

/**
 * {@link checkpoint}, for a caller that runs the checkpoint at once (it is
 * building the effect it executes next, from the run's state now): the
 * record is built now, unless flow views run concurrently (then it waits for
 * the run's lock, and is built when it has it).
 */
export const checkpointNow = (
  ctx: RunContext,
  input: Checkpoint,
  written: Written = noWrites
): Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost> =>
  ctx.root.concurrentViews > 0 ? checkpoint(ctx, input, written) : Effect.uninterruptible(write(ctx, input, written))

/**
 * {@link checkpointNow}, written at once when it can be: the run's own
 * context, no flow view running, and a store that records the step
 * synchronously now (see `syncAppend.ts`). Returns `undefined` when the
 * checkpoint was recorded and applied, else the effect that records it
 * (the store would not write it at once, or failed: a transient failure is
 * retried as {@link checkpoint} retries it).
 */
export const checkpointSync = (
  ctx: RunContext,
  input: Checkpoint,
  written: Written = noWrites
): Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost> | undefined => {
  const sync = ctx.root === ctx && ctx.concurrentViews === 0 ? syncOf(ctx.env.store) : undefined
  if (sync === undefined) return checkpointNow(ctx, input, written)
  const pending = prepare(ctx, input, written)
  const exit = sync(pending.record, ctx.lease, pending.snapshot, pending.search)
  if (exit === undefined) return Effect.uninterruptible(recordPending(ctx, pending))
  if (Exit.isSuccess(exit)) {
    pending.apply()
    return undefined
  }
  const error = Cause.failureOption(exit.cause)
  if (Option.isSome(error) && isTransient(error.value)) {
    return Effect.uninterruptible(Effect.map(
      retryFrom<void, PersistenceError | RunCancelled | LeaseLost, never>(error.value, appendOf(ctx, pending), transientOptions),
      pending.apply
    ))
  }
  return exit
}

/** A checkpoint's record, the snapshot due with it if any, its search changes, and how it is applied once stored. */
interface Pending {
  readonly record: StepRecord
  readonly snapshot: StoredState | undefined
  readonly search: SearchUpdate | undefined
  readonly apply: () => void
}

/** Builds a checkpoint's record from the run's cursor as it stands. */
const prepare = (ctx: RunContext, input: Checkpoint, written: Written): Pending => {
  const run = ctx.root
  const seq = run.seq + 1
  const delta = run === ctx ? input.delta : viewDelta(ctx, input.delta)
  const record: StepRecord = {
    runId: ctx.runId,
    seq,
    stepKey: input.stepKey,
    stepName: input.stepName,
    status: input.status,
    attempts: input.attempts,
    startedAt: input.startedAt,
    endedAt: input.endedAt,
    delta,
    error: input.error,
    idempotencyKey: idempotencyKey(ctx.runId, input.stepKey)
  }
  let deltaBytes = 64
  for (const name in input.delta.set) deltaBytes += written.get(name)?.size ?? 0
  let snapshot: StoredState | undefined
  if (run.bytesSinceSnapshot + deltaBytes >= Math.max(run.stateBytes, minSnapshotBytes)) {
    snapshot = afterDelta(run.storedState(), delta, input.endedAt)
  }
  const apply = () => {
    const set = input.delta.set
    for (const name in set) {
      const value = written.get(name)
      ctx.set(name, { value: value?.value, stored: set[name]!, size: value?.size ?? 0 })
    }
    for (const name of input.delta.unset) ctx.unset(name)
    run.seq = seq
    run.updatedAt = input.endedAt
    run.bytesSinceSnapshot = snapshot === undefined ? run.bytesSinceSnapshot + deltaBytes : 0
    if (input.status !== "failed") run.completed.add(input.stepKey)
    run.records.push(record)
  }
  return { record, snapshot, search: searchUpdate(searchKeys(run.template), delta), apply }
}

const appendOf = (ctx: RunContext, pending: Pending) =>
  ctx.env.store.appendStep(pending.record, ctx.root.lease, pending.snapshot, pending.search)

/** Records a checkpoint from the run's cursor as it stands. */
const write = (
  ctx: RunContext,
  input: Checkpoint,
  written: Written
): Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost> => recordPending(ctx, prepare(ctx, input, written))

/** Records a prepared checkpoint, then applies it. */
const recordPending = (
  ctx: RunContext,
  pending: Pending
): Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost> => {
  const append = appendOf(ctx, pending)
  // `retryTransient(append)` then `apply`, in one continuation
  return Effect.matchEffect(append, {
    onSuccess: () => {
      pending.apply()
      return Effect.void
    },
    onFailure: (error): Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost> =>
      isTransient(error)
        ? Effect.map(retryFrom<void, PersistenceError | RunCancelled | LeaseLost, never>(error, append, transientOptions), pending.apply)
        : Effect.fail(error)
  })
}

/** A view's delta with its keys as stored (under the view's prefix). */
const viewDelta = (ctx: RunContext, delta: StateDelta): StateDelta => {
  const set: Record<string, StoredEntry> = {}
  for (const name in delta.set) set[ctx.storedKey(name)] = delta.set[name]!
  return { set, unset: delta.unset.map((name) => ctx.storedKey(name)) }
}

/** A stored state with a delta applied. */
const afterDelta = (state: StoredState, delta: StateDelta, at: number): StoredState => {
  const entries: Record<string, StoredEntry> = { ...state.entries }
  for (const [key, stored] of Object.entries(delta.set)) entries[key] = stored
  for (const key of delta.unset) delete entries[key]
  return { entries, createdAt: state.createdAt, updatedAt: at }
}

const locks = new WeakMap<RunContext, Effect.Semaphore>()

/** The lock serializing one run's checkpoints while its views run concurrently. */
const lockOf = (run: RunContext): Effect.Semaphore => {
  let lock = locks.get(run)
  if (lock === undefined) {
    lock = Effect.unsafeMakeSemaphore(1)
    locks.set(run, lock)
  }
  return lock
}
