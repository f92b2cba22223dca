/**
 * What every operation of the SQL store shares: the dialect's queries, the
 * encoding of text columns (and the decoding of rows), and the turning of
 * faults into typed errors: a `SqlError`, a row that does not read back or a
 * commit that failed into a `PersistenceError`, a refused fenced write into
 * `RunCancelled` or `LeaseLost`.
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { LeaseLost, PersistenceError, RunCancelled } from "../../../../Errors.js"
import type { Lease, RunRecord, SignalRecord, StepRecord } from "../../../../SnapshotStore.js"
import { type Dialect, unsentRetries } from "../dialect.js"
import { type Row, RowDecodeError, toJson, toRunRecord, toSignalRecord, toStepRecord } from "../../schema.js"

/** The text columns of each table (decoded when the dialect encodes text). */
export const runText = [
  "run_id",
  "template_name",
  "template_version",
  "parent_id",
  "root_id",
  "queue",
  "owner",
  "trace_context",
  "template_fingerprint",
  "forked_from",
  "forked_after",
  "migrated_from"
]
const stepText = ["run_id", "step_key", "step_name", "idempotency_key"]
const signalText = ["run_id", "name", "consumed_by"]

const isSqlError = (u: unknown): u is SqlError =>
  typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === "SqlError"

/** The shared operations of a store over a dialect. */
export const makeIo = (dialect: Dialect) => {
  const { decode, encode, queries: q } = dialect
  const identity = encode("\u0000") === "\u0000"

  /** The row with its text columns decoded. */
  const decodeRow = (row: Row, columns: ReadonlyArray<string>): Row => {
    if (identity) return row
    let out: Record<string, unknown> | undefined
    for (const column of columns) {
      const value = row[column]
      if (typeof value === "string" && value.includes("\u0001")) {
        out ??= { ...row }
        out[column] = decode(value)
      }
    }
    return out ?? row
  }
  const runOf = (row: Row): RunRecord => toRunRecord(decodeRow(row, runText))
  const stepOf = (row: Row): StepRecord => toStepRecord(decodeRow(row, stepText))
  const signalOf = (row: Row): SignalRecord => toSignalRecord(decodeRow(row, signalText))
  const encodeNullable = (s: string | null): string | null => s === null ? null : encode(s)

  /**
   * One operation: its faults (including a transaction's commit that failed,
   * which the SQL client raises as a defect, and rows that do not read back)
   * as `PersistenceError`s of `operation`.
   */
  const op = <A, E>(
    operation: string,
    effect: Effect.Effect<A, E>
  ): Effect.Effect<A, Exclude<E, SqlError | RowDecodeError> | PersistenceError> => {
    const once = Effect.catchAllDefect(effect, (defect) =>
      isSqlError(defect) || defect instanceof RowDecodeError ? Effect.fail(defect) : Effect.die(defect))
    // tried again while unsent (no retry driver is set up unless a try fails: one costs more than a write)
    const attempt = (left: number): Effect.Effect<A, E | SqlError | RowDecodeError> =>
      Effect.catchAll(once, (e) =>
        left > 0 && isSqlError(e) && dialect.unsent(e)
          ? attempt(left - 1)
          : isSqlError(e) || e instanceof RowDecodeError
          ? Effect.fail(dialect.fromError(operation, e) as never)
          : Effect.fail(e))
    return attempt(unsentRetries) as Effect.Effect<A, Exclude<E, SqlError | RowDecodeError> | PersistenceError>
  }

  /** Reads rows into records: a row that does not read back is a `PersistenceError` of reason `"decode"`. */
  const decoded = <R, A>(operation: string, effect: Effect.Effect<R, SqlError | RowDecodeError>, f: (r: R) => A) =>
    op(
      operation,
      Effect.flatMap(effect, (r) =>
        Effect.try({
          try: () => f(r),
          catch: (e) => e instanceof RowDecodeError ? e : new RowDecodeError("row", "?", e instanceof Error ? e.message : String(e))
        }))
    )

  /** A value as JSON text (or what `encode` makes of it, with `toJson`); one that has no JSON form is a `PersistenceError` (nothing is written). */
  const json: {
    (operation: string, value: unknown): Effect.Effect<string, PersistenceError>
    <V, A>(operation: string, value: V, encode: (value: V) => A): Effect.Effect<A, PersistenceError>
  } = <V, A>(operation: string, value: V, encode?: (value: V) => A): Effect.Effect<A | string, PersistenceError> =>
    Effect.try({
      try: () => encode === undefined ? toJson(value) : encode(value),
      catch: (e) =>
        new PersistenceError({
          operation,
          reason: "unknown",
          path: dialect.path,
          detail: `a value cannot be stored as JSON: ${e instanceof Error ? e.message : String(e)}; nothing was written`,
          cause: e
        })
    })

  /** Why a fenced write was refused: the run was cancelled, or the lease was lost. */
  const refusal = (operation: string, runId: string, lease: Lease) =>
    Effect.flatMap(
      op(operation, q.statusOf(encode(runId))),
      (row): Effect.Effect<never, RunCancelled | LeaseLost> =>
        Effect.fail(
          row?.status === "cancelled"
            ? new RunCancelled({ runId })
            : new LeaseLost({ runId, owner: lease.owner, generation: lease.generation })
        )
    )

  /** A fenced write: done, or refused with the reason read back. */
  const fenced = (operation: string, runId: string, lease: Lease, write: Effect.Effect<boolean, SqlError>) =>
    Effect.flatMap(op(operation, write), (done) => done ? Effect.void : refusal(operation, runId, lease))
  return { dialect, q, encode, decode, decodeRow, runOf, stepOf, signalOf, encodeNullable, op, decoded, json, refusal, fenced }
}

/** The shared operations of a store over a dialect. */
export type Io = ReturnType<typeof makeIo>
