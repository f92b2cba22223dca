/**
 * A store's synchronous checkpoint, for the interpreter's fast path: a store
 * that can record a step at once (the in-memory store; SQLite on its owned
 * connection when no batch is pending) attaches it to its `appendStep`
 * function. Attached to the function, not to the store, so that whoever
 * wraps or replaces `appendStep` (a test's faulty store, an instrumented
 * one) replaces the fast path with it: the interpreter then goes through
 * the wrapper, as before.
 *
 * @internal
 */
import type { Exit } from "effect"
import type { LeaseLost, PersistenceError, RunCancelled } from "../../Errors.js"
import type { SearchUpdate, Service, StepRecord, StoredState } from "../../SnapshotStore.js"

const key = Symbol.for("weft/appendStepSync")

/**
 * Records a step as `appendStep` would, synchronously: its exit, or
 * `undefined` when it cannot be written at once (then nothing was written,
 * and the caller goes through `appendStep`).
 */
export type AppendStepSync = (
  step: StepRecord,
  lease: Lease,
  snapshot: StoredState | undefined,
  search: SearchUpdate | undefined
) => Exit.Exit<void, PersistenceError | RunCancelled | LeaseLost> | undefined

type Lease = Parameters<Service["appendStep"]>[1]

/** Attaches a synchronous form to an `appendStep` function; returns the function. */
export const withSync = <F extends Service["appendStep"]>(appendStep: F, sync: AppendStepSync): F => {
  ;(appendStep as unknown as Record<symbol, AppendStepSync>)[key] = sync
  return appendStep
}

/** The synchronous form of a store's `appendStep`, if it has one. */
export const syncOf = (store: Service): AppendStepSync | undefined =>
  (store.appendStep as unknown as Record<symbol, AppendStepSync | undefined>)[key]

/**
 * How many runs execute in this process now (top-level executions, counted
 * by the life cycle): a store that batches the checkpoints of concurrent
 * runs (SQLite's group commit) writes one at once only while a single run
 * executes, so that no other writer waits behind it.
 */
export const executions = { count: 0 }
