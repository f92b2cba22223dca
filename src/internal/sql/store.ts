/**
 * A `SnapshotStore` over the generic `SqlClient`: the store's semantics
 * (fencing refusals told apart, claims, cancellation, signals, paging, the
 * encoding of ids, the mapping of faults) written once, over a
 * {@link Dialect} that holds the SQL of one database. The PostgreSQL store
 * (`weftjs/pg`) is this over `./pg/queries.ts`; a SQLite dialect over a
 * user's own `SqlClient` would be another `Dialect`.
 *
 * A dialect's queries take and return *stored* text (already through
 * {@link Dialect.encode}) and raw rows; this module encodes what it is
 * given, decodes what it reads, and turns every fault (a `SqlError`, a row
 * that does not read back, a transaction's commit that failed) into a typed
 * `PersistenceError`.
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"
import type { Scope, Stream } from "effect"
import { LeaseLost, PersistenceError, RunCancelled } from "../../Errors.js"
import type {
  CancelResult,
  ClaimResult,
  Lease,
  LoadedRun,
  NewRun,
  RecordSignalResult,
  RunFilter,
  RunRecord,
  RunStatus,
  Service,
  SignalRecord,
  StepRecord
} from "../../SnapshotStore.js"
import { isFinal } from "../store/status.js"
import { type Row, RowDecodeError, toJson, toRunRecord, toSignalRecord, toStepRecord, toStoredState } from "./schema.js"

// -----------------------------------------------------------------------------
// the dialect
// -----------------------------------------------------------------------------

/** A new run's row. */
export interface InsertRun {
  readonly run: NewRun
  readonly status: "queued" | "running"
  readonly owner: string | null
  readonly leaseUntil: number | null
  readonly generation: number
  /** The initial state, as JSON text (the snapshot at seq 0). */
  readonly state: string
}

/** A step's row, and the fence it is written under. */
export interface InsertStep {
  readonly step: StepRecord
  readonly delta: string
  readonly error: string | null
  readonly generation: number
  /** A full snapshot at the step's seq, as JSON text. */
  readonly snapshot: string | undefined
}

/** What `claim` and `recordSignal` need to know of a run. */
export interface StatusRow {
  readonly status: RunStatus
  readonly owner: string | null
  readonly leaseUntil: number | null
  readonly rootId: string
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
    readonly limit: number
  }) => Effect.Effect<ReadonlyArray<Row>, SqlError>
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
  readonly finish: (p: {
    readonly runId: string
    readonly generation: number
    readonly status: "completed" | "failed"
    readonly error: string | null
    readonly expiresAt: number | null
    readonly updatedAt: number
    readonly elapsedMillis: number
  }) => Effect.Effect<boolean, SqlError>
  /** Cancels the run and its active descendants if the run is active; the ids cancelled (none otherwise). */
  readonly cancel: (runId: string, now: number, expiresAt: number | null) => Effect.Effect<ReadonlyArray<unknown>, SqlError>
  readonly selectRun: (runId: string) => Effect.Effect<Row | undefined, SqlError>
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

// -----------------------------------------------------------------------------
// the store
// -----------------------------------------------------------------------------

const runText = ["run_id", "template_name", "template_version", "parent_id", "root_id", "queue", "owner", "trace_context"]
const stepText = ["run_id", "step_key", "step_name", "idempotency_key"]
const signalText = ["run_id", "name", "consumed_by"]

/** How many times an operation whose statement could not be sent is tried again. */
export const unsentRetries = 3

const isSqlError = (u: unknown): u is SqlError =>
  typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === "SqlError"

/** Builds a store over a dialect. */
export const makeSqlStore = (dialect: Dialect): Service => {
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
  ): Effect.Effect<A, Exclude<E, SqlError | RowDecodeError> | PersistenceError> =>
    effect.pipe(
      Effect.catchAllDefect((defect) =>
        isSqlError(defect) || defect instanceof RowDecodeError ? Effect.fail(defect) : Effect.die(defect)
      ),
      Effect.retry({ times: unsentRetries, while: (e) => isSqlError(e) && dialect.unsent(e) }),
      Effect.catchIf(
        (e): e is Extract<E, SqlError | RowDecodeError> => isSqlError(e) || e instanceof RowDecodeError,
        (e) => Effect.fail(dialect.fromError(operation, e))
      )
    ) as Effect.Effect<A, Exclude<E, SqlError | RowDecodeError> | PersistenceError>

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

  /** A value as JSON text; one that has no JSON form is a `PersistenceError` (nothing is written). */
  const json = (operation: string, value: unknown): Effect.Effect<string, PersistenceError> =>
    Effect.try({
      try: () => toJson(value),
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

  /**
   * Cancels the run and its active descendants, or says why not. A run that
   * is active when read back after nothing was cancelled appeared in
   * between (created at that moment): cancelled by the next attempt.
   */
  const cancel = (
    runId: string,
    now: number,
    expiresAt: number | null,
    attempts: number
  ): Effect.Effect<CancelResult, PersistenceError> =>
    Effect.flatMap(
      decoded(
        "cancel",
        Effect.flatMap(q.cancel(encode(runId), now, expiresAt), (ids) =>
          ids.length > 0
            ? Effect.succeed({ ids, status: undefined })
            : Effect.map(q.statusOf(encode(runId)), (status) => ({ ids, status }))),
        ({ ids, status }): CancelResult | undefined => {
          if (ids.length > 0) {
            return {
              _tag: "Cancelled",
              runIds: ids.map((id) => {
                if (typeof id !== "string") throw new RowDecodeError("runs", "run_id", "expected text")
                return decode(id)
              })
            }
          }
          if (status === undefined) return { _tag: "NotFound" }
          return isFinal(status.status) ? { _tag: "Finished", status: status.status } : undefined
        }
      ),
      (result) =>
        result !== undefined
          ? Effect.succeed(result)
          : attempts > 1
          ? cancel(runId, now, expiresAt, attempts - 1)
          : Effect.fail(
            new PersistenceError({
              operation: "cancel",
              reason: "locked",
              path: dialect.path,
              detail: `run ${JSON.stringify(runId)} changed while it was being cancelled; try again`
            })
          )
    )

  const service: Service = {
    createRun: (run, state, claim) =>
      Effect.flatMap(
        Effect.flatMap(json("createRun", state), (stateJson) =>
          op(
            "createRun",
            q.insertRun({
              run: {
                ...run,
                runId: encode(run.runId),
                templateName: encode(run.templateName),
                templateVersion: encode(run.templateVersion),
                parentId: encodeNullable(run.parentId),
                rootId: encode(run.rootId),
                queue: encode(run.queue),
                traceContext: encodeNullable(run.traceContext)
              },
              status: claim === null ? "queued" : "running",
              owner: claim === null ? null : encode(claim.owner),
              leaseUntil: claim?.leaseUntil ?? null,
              generation: claim === null ? 0 : 1,
              state: stateJson
            })
          )),
        (inserted): Effect.Effect<Lease | null, PersistenceError> =>
          inserted
            ? Effect.succeed(claim === null ? null : { owner: claim.owner, generation: 1 })
            : Effect.fail(
              new PersistenceError({
                operation: "createRun",
                reason: "duplicate",
                path: dialect.path,
                detail: `a run with id ${JSON.stringify(run.runId)} already exists; nothing was written`
              })
            )
      ),

    claim: (runId, owner, now, leaseUntil, takeOverFrom) =>
      decoded(
        "claim",
        Effect.flatMap(
          q.claim({
            runId: encode(runId),
            owner: encode(owner),
            now,
            leaseUntil,
            takeOverFrom: takeOverFrom === undefined ? null : encode(takeOverFrom)
          }),
          (row): Effect.Effect<{ readonly row: Row | undefined; readonly status: StatusRow | undefined }, SqlError | RowDecodeError> =>
            row !== undefined
              ? Effect.succeed({ row, status: undefined })
              : Effect.map(q.statusOf(encode(runId)), (status) => ({ row, status }))
        ),
        ({ row, status }): ClaimResult => {
          if (row !== undefined) {
            const run = runOf(row)
            return { claimed: true, lease: { owner, generation: run.generation }, run }
          }
          if (status === undefined) return { claimed: false, reason: "not-found", owner: null, leaseUntil: null }
          return {
            claimed: false,
            reason: isFinal(status.status) ? "finished" : "held",
            owner: status.owner === null ? null : decode(status.owner),
            leaseUntil: status.leaseUntil
          }
        }
      ),

    claimNext: (owner, now, leaseUntil, filter) => {
      const limit = Math.max(0, Math.floor(filter.limit))
      if (filter.templates.length === 0 || limit === 0) return Effect.succeed([])
      return decoded(
        "claimNext",
        q.claimNext({
          owner: encode(owner),
          now,
          leaseUntil,
          templates: filter.templates.map((t) => ({ name: encode(t.name), version: encode(t.version) })),
          queues: (filter.queues ?? []).map(encode),
          limit
        }),
        (rows) =>
          rows.map(runOf)
            .sort((a, b) => a.createdAt - b.createdAt || (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0))
            .map((run) => ({ lease: { owner, generation: run.generation }, run }))
      )
    },

    heartbeat: (owner, leaseUntil) =>
      decoded("heartbeat", q.heartbeat(encode(owner), leaseUntil), (rows) =>
        rows.map((row) => {
          const run = decodeRow(row, runText)
          const generation = Number(run.generation)
          if (typeof run.run_id !== "string" || !Number.isFinite(generation)) {
            throw new RowDecodeError("runs", "generation", "expected { run_id, generation }")
          }
          return { runId: run.run_id, generation }
        })),

    appendStep: (step, lease, snapshot) =>
      Effect.flatMap(
        Effect.all([
          json("appendStep", step.delta),
          json("appendStep", step.error),
          snapshot === undefined ? Effect.succeed(undefined) : json("appendStep", snapshot)
        ]),
        ([delta, error, snapshotJson]) =>
          fenced(
            "appendStep",
            step.runId,
            lease,
            q.appendStep({
              step: {
                ...step,
                runId: encode(step.runId),
                stepKey: encode(step.stepKey),
                stepName: encode(step.stepName),
                idempotencyKey: encode(step.idempotencyKey)
              },
              delta,
              error: step.error === null ? null : error,
              generation: lease.generation,
              snapshot: snapshotJson
            })
          ).pipe(
            Effect.catchIf(
              (e): e is PersistenceError => e instanceof PersistenceError && e.reason === "duplicate",
              (e) =>
                Effect.fail(
                  new PersistenceError({
                    operation: "appendStep",
                    reason: "duplicate",
                    path: e.path,
                    detail: `step ${step.seq} of run ${JSON.stringify(step.runId)} is recorded already; ` +
                      "nothing was written",
                    cause: e.cause
                  })
                )
            )
          )
      ),

    pause: (runId, lease, pause, at) =>
      Effect.flatMap(
        pause._tag === "Suspend" ? json("pause", pause.waitingFor) : Effect.succeed(null),
        (waitingFor) =>
          fenced(
            "pause",
            runId,
            lease,
            q.pause({
              runId: encode(runId),
              generation: lease.generation,
              status: pause._tag === "Suspend" ? "suspended" : "running",
              updatedAt: at.updatedAt,
              elapsedMillis: at.elapsedMillis,
              wakeAt: pause._tag === "Suspend" ? pause.wakeAt : null,
              waitingFor
            })
          )
      ),

    finish: (runId, lease, ending, at) =>
      Effect.flatMap(
        json("finish", ending.error),
        (error) =>
          fenced(
            "finish",
            runId,
            lease,
            q.finish({
              runId: encode(runId),
              generation: lease.generation,
              status: ending.status,
              error: ending.error === null ? null : error,
              expiresAt: ending.expiresAt,
              updatedAt: at.updatedAt,
              elapsedMillis: at.elapsedMillis
            })
          )
      ),

    cancel: (runId, now, expiresAt) => cancel(runId, now, expiresAt, 3),

    load: (runId) =>
      decoded(
        "load",
        Effect.flatMap(q.selectLoad(encode(runId)), (row) =>
          row === undefined
            ? Effect.succeed(undefined)
            : Effect.map(
              q.stepsForLoad(encode(runId), Number(row.snapshot_seq ?? 0)),
              (steps) => ({ row, steps })
            )),
        (found): Option.Option<LoadedRun> => {
          if (found === undefined) return Option.none()
          const { row, steps } = found
          if (row.snapshot_state === null || row.snapshot_state === undefined) {
            throw new RowDecodeError("snapshots", "state", `run ${JSON.stringify(runId)} has no snapshot`)
          }
          const snapshotSeq = Number(row.snapshot_seq)
          if (!Number.isFinite(snapshotSeq)) throw new RowDecodeError("snapshots", "seq", "expected a number")
          const stepsAfterSnapshot: Array<StepRecord> = []
          const completedStepKeys: Array<string> = []
          for (const stepRow of steps) {
            if (Number(stepRow.seq) > snapshotSeq) stepsAfterSnapshot.push(stepOf(stepRow))
            if (stepRow.status !== "failed") {
              if (typeof stepRow.step_key !== "string") throw new RowDecodeError("steps", "step_key", "expected text")
              completedStepKeys.push(decode(stepRow.step_key))
            }
          }
          return Option.some({
            run: runOf(row),
            snapshotSeq,
            snapshot: toStoredState(row.snapshot_state),
            stepsAfterSnapshot,
            completedStepKeys
          })
        }
      ),

    getRun: (runId) =>
      decoded("getRun", q.selectRun(encode(runId)), (row) => row === undefined ? Option.none() : Option.some(runOf(row))),

    steps: (runId) => decoded("steps", q.steps(encode(runId)), (rows) => rows.map(stepOf)),

    list: (filter) => {
      const statuses = filter.status === undefined ? undefined : typeof filter.status === "string" ? [filter.status] : filter.status
      if (statuses !== undefined && statuses.length === 0) return Effect.succeed([])
      if (filter.limit !== undefined && Math.floor(filter.limit) <= 0) return Effect.succeed([])
      const stored: StoredFilter = {
        ...filter,
        status: statuses,
        templateName: filter.templateName === undefined ? undefined : encode(filter.templateName),
        queue: filter.queue === undefined ? undefined : encode(filter.queue),
        parentId: filter.parentId === undefined ? undefined : encode(filter.parentId),
        rootId: filter.rootId === undefined ? undefined : encode(filter.rootId),
        after: filter.after === undefined ? undefined : { createdAt: filter.after.createdAt, runId: encode(filter.after.runId) },
        limit: filter.limit === undefined ? undefined : Math.floor(filter.limit)
      }
      return decoded("list", q.list(stored), (rows) => rows.map(runOf))
    },

    collectExpired: (now) => op("collectExpired", q.collectExpired(now)),

    recordSignal: (signal) =>
      Effect.flatMap(json("recordSignal", signal.payload), (payload) =>
        op(
          "recordSignal",
          q.recordSignal({
            runId: encode(signal.runId),
            name: encode(signal.name),
            payload,
            receivedAt: signal.receivedAt
          })
        )),

    takeSignal: (runId, name, stepKey, lease) =>
      Effect.flatMap(
        decoded(
          "takeSignal",
          q.takeSignal({ runId: encode(runId), generation: lease.generation, name: encode(name), stepKey: encode(stepKey) }),
          ({ held, signal }) => ({ held, signal: signal === undefined ? Option.none() : Option.some(signalOf(signal)) })
        ),
        ({ held, signal }) => held ? Effect.succeed(signal) : refusal("takeSignal", runId, lease)
      ),

    signals: (runId) => decoded("signals", q.signals(encode(runId)), (rows) => rows.map(signalOf)),

    wakeups: dialect.wakeups
  }
  return service
}
