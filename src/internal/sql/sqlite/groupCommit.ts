/**
 * Group commit of checkpoints: `appendStep` calls made while a flush is
 * pending share one `BEGIN IMMEDIATE … COMMIT`.
 *
 * No timer: the first caller of a batch schedules the flush on the
 * microtask queue, so a lone run's checkpoint is written as soon as the
 * current scheduler batch yields (no added latency), and the fibers of other
 * runs that were ready in the same batch join it; while fibers resumed at a
 * turn of the event loop run (`eventLoop.ts`), after the last of them. Each caller's effect
 * completes only after its batch commits. A row refused on its own (its
 * lease lost, its run cancelled, a constraint) fails only its caller: the
 * fenced INSERT either writes the whole row or nothing, and SQLite undoes a
 * failed statement without ending the transaction. A fault of the
 * transaction itself (busy past the timeout, I/O, disk full, the file gone)
 * fails every caller of the batch with the same transient error.
 *
 * @internal
 */
import { Effect, Exit } from "effect"
import { LeaseLost, PersistenceError, RunCancelled } from "../../../Errors.js"
import type { Lease, SearchUpdate, StepRecord, StoredState } from "../../../SnapshotStore.js"
import { errorJson, toJson } from "../schema.js"
import { type Connection, countBatch } from "./connection.js"
import { fromDriver, sqliteErrorOf } from "./errors.js"
import type { Statements } from "./statements.js"
import { type AppendStepSync, executions, withSync } from "../../store/syncAppend.js"
import { afterResumptions } from "../../eventLoop.js"

type Outcome = Exit.Exit<void, PersistenceError | RunCancelled | LeaseLost>

interface Pending {
  readonly params: ReadonlyArray<unknown>
  readonly step: StepRecord
  readonly lease: Lease
  readonly snapshot: string | undefined
  readonly search: SearchUpdate | undefined
}

interface Queued extends Pending {
  readonly resume: (outcome: Outcome) => void
}

/** Why a fenced write was refused: the run was cancelled, or the lease was lost. */
export const refusal = (statements: Statements, runId: string, lease: Lease): RunCancelled | LeaseLost => {
  const row = statements.statusOf.get(runId) as { readonly status?: unknown } | undefined
  return row?.status === "cancelled"
    ? new RunCancelled({ runId })
    : new LeaseLost({ runId, owner: lease.owner, generation: lease.generation })
}

/**
 * A fault of one statement that leaves the transaction usable (the row is
 * refused, not the batch); `batched`: the row was written in a transaction,
 * which must still be open.
 */
const isRowFault = (error: unknown, connection: Connection, batched: boolean): boolean => {
  if (batched && !connection.db.inTransaction) return false
  const code = sqliteErrorOf(error)?.code
  if (code === undefined) return error instanceof TypeError || error instanceof RangeError
  return code.startsWith("SQLITE_CONSTRAINT") || code === "SQLITE_TOOBIG" || code === "SQLITE_MISMATCH" ||
    code === "SQLITE_RANGE"
}

/** Writes what a checkpoint changed in its run's search attributes (in the checkpoint's transaction). */
const writeSearch = (statements: Statements, runId: string, search: SearchUpdate): void => {
  for (const name in search) {
    const value = search[name]!
    if (value === null) statements.deleteSearch.run(runId, name)
    else statements.stepSearch.run(name, typeof value === "string" ? value : null, typeof value === "number" ? value : null, runId)
  }
}

/** A step row as `insertStep` takes it, fenced by the lease (its JSON encoded here: this may throw). */
export const stepParams = (step: StepRecord, lease: Lease): Array<unknown> => [
  step.runId,
  step.seq,
  step.stepKey,
  step.stepName,
  step.status,
  step.attempts,
  step.startedAt,
  step.endedAt,
  toJson(step.delta),
  errorJson(step.error),
  step.idempotencyKey,
  step.runId,
  lease.generation
]

/** A checkpoint's row as the statements take it, or why it cannot be stored. */
const pendingOf = (
  path: string | undefined,
  step: StepRecord,
  lease: Lease,
  snapshot: StoredState | undefined,
  search: SearchUpdate | undefined
): Pending | PersistenceError => {
  try {
    const params = stepParams(step, lease)
    return { params, step, lease, snapshot: snapshot === undefined ? undefined : toJson(snapshot), search }
  } catch (cause) {
    return new PersistenceError({
      operation: "appendStep",
      reason: "unknown",
      path,
      detail: `step ${JSON.stringify(step.stepKey)} cannot be stored as JSON: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      cause
    })
  }
}

/** The store's `appendStep`, committing concurrent calls together. */
export const makeGroupCommit = (connection: Connection, statements: Statements) => {
  let queue: Array<Queued> = []
  let scheduled = false

  const writeRow = (pending: Pending, batched: boolean): Outcome => {
    const { step, lease } = pending
    try {
      if (statements.insertStep.run(...pending.params).changes !== 1) {
        return Exit.fail(refusal(statements, step.runId, lease))
      }
    } catch (error) {
      if (!isRowFault(error, connection, batched)) throw error
      const duplicate = sqliteErrorOf(error)?.code === "SQLITE_CONSTRAINT_PRIMARYKEY"
      return Exit.fail(
        duplicate
          ? new PersistenceError({
            operation: "appendStep",
            reason: "unknown",
            path: connection.path,
            detail: `step ${step.seq} of run ${JSON.stringify(step.runId)} is recorded already`,
            cause: error
          })
          : fromDriver("appendStep", connection.path, error)
      )
    }
    if (pending.snapshot !== undefined) statements.upsertSnapshot.run(step.runId, step.seq, pending.snapshot)
    if (pending.search !== undefined) writeSearch(statements, step.runId, pending.search)
    return Exit.void
  }

  /** Writes a batch: each row's outcome, or throws what failed the transaction. */
  const writeBatch = (batch: ReadonlyArray<Pending>): ReadonlyArray<Outcome> => {
    connection.checkFile("appendStep", false)
    let outcomes: ReadonlyArray<Outcome>
    if (batch.length === 1 && batch[0]!.snapshot === undefined && batch[0]!.search === undefined) {
      // one fenced INSERT is atomic on its own: no BEGIN/COMMIT around it
      outcomes = [writeRow(batch[0]!, false)]
      connection.stats.commits++
    } else {
      outcomes = connection.write(() => batch.map((pending) => writeRow(pending, true)))
    }
    countBatch(connection.stats, batch.length)
    return outcomes
  }

  const flushNow = (batch: ReadonlyArray<Queued>): void => {
    let outcomes: ReadonlyArray<Outcome>
    try {
      outcomes = writeBatch(batch)
    } catch (error) {
      const failure = Exit.fail(fromDriver("appendStep", connection.path, error))
      for (const pending of batch) pending.resume(failure)
      return
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resume(outcomes[i]!)
  }

  /** Writes what is queued. */
  const flush = (): void => {
    scheduled = false
    const batch = queue
    queue = []
    if (batch.length > 0) connection.whenFree(() => flushNow(batch))
  }

  /**
   * A checkpoint written at once, on this connection, when no other run
   * executes in this process (no checkpoint of another run would join its
   * batch), no batch is pending and no transaction is open on it (a batch
   * of one, as a flush would write it); else `undefined` (nothing written).
   */
  const appendStepSync: AppendStepSync = (step, lease, snapshot, search) => {
    if (executions.count > 1 || scheduled || queue.length > 0 || connection.db.inTransaction) return undefined
    const pending = pendingOf(connection.path, step, lease, snapshot, search)
    if (pending instanceof PersistenceError) return Exit.fail(pending)
    try {
      return writeBatch([pending])[0]!
    } catch (error) {
      return Exit.fail(fromDriver("appendStep", connection.path, error))
    }
  }

  const appendStep = withSync((
    step: StepRecord,
    lease: Lease,
    snapshot?: StoredState | undefined,
    search?: SearchUpdate | undefined
  ): Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost> =>
    Effect.suspend(() => {
      const pending = pendingOf(connection.path, step, lease, snapshot, search)
      if (pending instanceof PersistenceError) return Effect.fail(pending)
      // no canceler (one costs ~3.6 µs a call): a caller interrupted while
      // its batch is pending still has its step recorded, which is right,
      // since the step did complete
      return Effect.async<void, PersistenceError | RunCancelled | LeaseLost>((resume) => {
        queue.push({ ...pending, resume })
        if (!scheduled) {
          scheduled = true
          // after the fibers resumed in this turn of the event loop joined the batch
          afterResumptions(flush)
        }
      })
    }), appendStepSync)

  return { appendStep, flush }
}
