/**
 * The SQLite `SnapshotStore`: the new store contract on the connection weft
 * owns. Writes are prepared statements run synchronously on the hot path,
 * each one statement or one `BEGIN IMMEDIATE` transaction; checkpoints go
 * through the group commit; `list` goes through the `SqlClient` on the same
 * connection.
 *
 * Fixed cost per run: creating and claiming is one transaction (the run row
 * and its first snapshot); pausing or ending (status + release) is one
 * statement; leases are renewed by one statement per engine (`heartbeat`).
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"
import type { Scope } from "effect"
import { LeaseLost, PersistenceError, RunCancelled } from "../../../Errors.js"
import { duplicateRun } from "../faults.js"
import type {
  CancelResult,
  EndedRuns,
  ClaimResult,
  Lease,
  LoadedRun,
  RecordSignalResult,
  NewRun,
  RunFilter,
  RunRecord,
  Service,
  SignalRecord
} from "../../../SnapshotStore.js"
import { type Row, toJson, toRunRecord, toSignalRecord, toStepRecord, toStoredState } from "../schema.js"
import { triggeredByJson } from "../rows.js"
import { finishRun, insertFollowUps, scheduleOps } from "./schedules.js"
import * as RunStatus from "../../../RunStatus.js"
import type { Connection } from "./connection.js"
import { fromDriver } from "./errors.js"
import { makeGroupCommit, refusal } from "./groupCommit.js"
import { claimNextIn, pauseRunIn, type StatusRow, unpauseRunIn } from "./control.js"
import { prepareStatements } from "./statements.js"
import { versionOps } from "./versions.js"
import { searchColumns, toHistoryRecord, toSearchAttributes } from "../fleetRows.js"
import { fleetOps } from "./fleet.js"
import { listStatement } from "./list.js"

type Fenced = RunCancelled | LeaseLost

const isFenced = (u: unknown): u is Fenced => u instanceof RunCancelled || u instanceof LeaseLost

/** Fails with a fenced write's refusal, or succeeds with nothing. */
const fenced = (result: Fenced | undefined): Effect.Effect<void, Fenced> =>
  result === undefined ? Effect.void : Effect.fail(result)

/** The values of the `insertRun` statement for a new run (queued, or claimed by `claim`). */
const insertRunValues = (run: NewRun, claim: { readonly owner: string; readonly leaseUntil: number } | null) => [
  run.runId,
  run.templateName,
  run.templateVersion,
  claim === null ? "queued" : "running",
  run.createdAt,
  run.createdAt,
  run.timeoutMillis,
  run.parentId,
  run.rootId,
  run.queue,
  claim?.owner ?? null,
  claim?.leaseUntil ?? null,
  claim === null ? 0 : 1,
  run.traceContext,
  run.templateFingerprint ?? null,
  run.priority ?? 0,
  triggeredByJson(run.triggeredBy),
  run.forkedFrom ?? null,
  run.forkedAfter ?? null,
  run.migratedFrom ?? null
]

/** `endedRuns`: the statuses of all the ids in one statement, then the records of those that ended. */
const endedOf = (
  st: ReturnType<typeof prepareStatements>,
  selectRun: (runId: string) => RunRecord | undefined,
  runIds: ReadonlyArray<string>
): EndedRuns => {
  const ended: Array<RunRecord> = []
  const missing: Array<string> = []
  const rows = st.statusesOf.all(JSON.stringify([...new Set(runIds)])) as ReadonlyArray<{
    readonly run_id: string
    readonly status: string | null
  }>
  for (const row of rows) {
    if (row.status === null) missing.push(row.run_id)
    else if (RunStatus.isFinal(row.status as RunStatus.RunStatus)) {
      const run = selectRun(row.run_id)
      if (run !== undefined) ended.push(run)
    }
  }
  return { ended, missing }
}

/**
 * Builds the store on an open connection whose schema is current. The
 * checkpoints still queued when the scope closes are written first.
 */
export const makeStore = (connection: Connection): Effect.Effect<Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { path } = connection
    const st = prepareStatements(connection.prepare)
    const completedKeys = st.completedKeys.pluck(true)
    const group = makeGroupCommit(connection, st)
    yield* Effect.addFinalizer(() => Effect.sync(group.flush))

    /** One operation: the file checked, the work done synchronously, faults mapped. */
    const op = <A>(operation: string, fn: () => A): Effect.Effect<A, PersistenceError> =>
      connection.run(operation, () => {
        connection.checkFile(operation, false)
        return fn()
      })

    /** A fenced operation: `fn` returns the refusal when the lease does not hold. */
    const fencedOp = (operation: string, fn: () => Fenced | undefined): Effect.Effect<void, PersistenceError | Fenced> =>
      Effect.flatMap(op(operation, fn), fenced)

    const selectRun = (runId: string): RunRecord | undefined => {
      const row = st.selectRun.get(runId) as Row | undefined
      return row === undefined ? undefined : toRunRecord(row)
    }

    const statusOf = (runId: string): StatusRow | undefined => st.statusOf.get(runId) as StatusRow | undefined

    const claimed = (runId: string, owner: string): { readonly lease: Lease; readonly run: RunRecord } => {
      const run = selectRun(runId)!
      return { lease: { owner, generation: run.generation }, run }
    }

    const service: Service = {
      ...fleetOps(connection, op),
      createRun: (run, state, claim) =>
        Effect.flatMap(
          op("createRun", () => {
            const stateJson = toJson(state)
            return connection.write(() => {
              const inserted = st.insertRun.run(...insertRunValues(run, claim)).changes === 1
              if (inserted) {
                st.upsertSnapshot.run(run.runId, 0, stateJson)
                for (const name in run.search) {
                  const [text, num] = searchColumns(run.search[name]!)
                  st.upsertSearch.run(run.runId, name, text, num, run.createdAt)
                }
              }
              return inserted
            })
          }),
          (inserted): Effect.Effect<Lease | null, PersistenceError> =>
            inserted
              ? Effect.succeed(claim === null ? null : { owner: claim.owner, generation: 1 })
              : Effect.fail(duplicateRun(run.runId, path))
        ),

      claim: (runId, owner, now, leaseUntil, takeOverFrom) =>
        op("claim", () =>
          connection.write((): ClaimResult => {
            const changes = st.claim.run({ runId, owner, now, leaseUntil, takeOverFrom: takeOverFrom ?? null }).changes
            if (changes === 1) return { claimed: true, ...claimed(runId, owner) }
            const row = statusOf(runId)
            if (row === undefined) return { claimed: false, reason: "not-found", owner: null, leaseUntil: null }
            const reason = RunStatus.isFinal(row.status)
              ? "finished"
              : row.status === "paused" || row.paused_from !== null
              ? "paused"
              : "held"
            return { claimed: false, reason, owner: row.owner, leaseUntil: row.lease_until }
          })),

      claimNext: (owner, now, leaseUntil, filter) =>
        op("claimNext", () => claimNextIn(connection, st, claimed, owner, now, leaseUntil, filter)),

      holders: (now) => op("holders", () => st.holders.pluck(true).all(now) as ReadonlyArray<string>),

      heartbeat: (owner, leaseUntil) =>
        connection.run("heartbeat", () => {
          connection.checkFile("heartbeat", true)
          const rows = st.heartbeat.all(leaseUntil, leaseUntil, leaseUntil, owner) as ReadonlyArray<
            { run_id: string; generation: number; paused_from: string | null }
          >
          return rows.map((row) => ({ runId: row.run_id, generation: row.generation, pauseAsked: row.paused_from !== null }))
        }),

      appendStep: group.appendStep,
      ...versionOps({ connection, st, op, fenced, claimed, statusOf }),
      pause: (runId, lease, pause, at) =>
        fencedOp("pause", () => {
          const suspend = pause._tag === "Suspend"
          const changes = st.pause.run({
            status: suspend ? "suspended" : "running",
            updatedAt: at.updatedAt,
            elapsedMillis: at.elapsedMillis,
            wakeAt: suspend ? pause.wakeAt : null,
            waitingFor: suspend ? toJson(pause.waitingFor) : null,
            runId,
            generation: lease.generation
          }).changes
          return changes === 1 ? undefined : refusal(st, runId, lease)
        }),

      finish: (runId, lease, ending, at) => fencedOp("finish", () => finishRun(connection, st, runId, lease, ending, at)),

      cancel: (runId, now, expiresAt, followUps) =>
        op("cancel", () =>
          connection.write((): CancelResult => {
            const row = statusOf(runId)
            if (row === undefined) return { _tag: "NotFound" }
            if (RunStatus.isFinal(row.status)) {
              return { _tag: "Finished", status: row.status }
            }
            const rows = st.cancel.all(runId, now, expiresAt) as ReadonlyArray<{ readonly run_id: string }>
            if (rows.length > 0) insertFollowUps(connection, st, followUps)
            return { _tag: "Cancelled", runIds: rows.map((r) => r.run_id) }
          })),

      pauseRun: (runId, now) => op("pauseRun", () => connection.write(() => pauseRunIn(st, statusOf(runId), runId, now))),

      unpauseRun: (runId, now) => op("unpauseRun", () => connection.write(() => unpauseRunIn(st, statusOf, runId, now))),

      load: (runId) =>
        op("load", () =>
          connection.read(() => {
            const run = selectRun(runId)
            if (run === undefined) return Option.none<LoadedRun>()
            const snapshot = st.snapshotOf.get(runId) as { readonly seq: number; readonly state: unknown } | undefined
            if (snapshot === undefined) {
              throw new PersistenceError({
                operation: "load",
                reason: "corrupt",
                path,
                detail: `run ${JSON.stringify(runId)} has no snapshot`
              })
            }
            const steps = st.stepsAfter.all(runId, snapshot.seq) as ReadonlyArray<Row>
            return Option.some<LoadedRun>({
              run,
              snapshotSeq: snapshot.seq,
              snapshot: toStoredState(snapshot.state),
              stepsAfterSnapshot: steps.map(toStepRecord),
              completedStepKeys: completedKeys.all(runId) as ReadonlyArray<string>
            })
          })),

      getRun: (runId) => op("getRun", () => Option.fromNullable(selectRun(runId))),
      endedRuns: (runIds) => op("endedRuns", () => endedOf(st, selectRun, runIds)),
      searchAttributes: (runId) => op("searchAttributes", () => toSearchAttributes(st.searchOf.all(runId) as ReadonlyArray<Row>)),

      history: (runId) => op("history", () => (st.historyOf.all(runId) as ReadonlyArray<Row>).map((row) => toHistoryRecord(row))),

      steps: (runId) => op("steps", () => (st.steps.all(runId) as ReadonlyArray<Row>).map(toStepRecord)),

      list: (filter) => list(filter),

      collectExpired: (now) =>
        op("collectExpired", () =>
          connection.write(() => {
            st.expiredSteps.run(now)
            st.expiredSnapshots.run(now)
            st.expiredSignals.run(now)
            st.expiredSearch.run(now)
            st.expiredHistory.run(now)
            return st.expiredRuns.run(now).changes
          })),

      recordSignal: (signal) =>
        op("recordSignal", () => {
          const payload = toJson(signal.payload)
          return connection.write((): RecordSignalResult => {
            const row = statusOf(signal.runId)
            if (row === undefined) return "not-found"
            if (RunStatus.isFinal(row.status)) return "run-ended"
            if (st.pendingSignal.get(signal.runId, signal.name) !== undefined) return "already-pending"
            st.insertSignal.run(signal.runId, signal.name, payload, signal.receivedAt)
            st.wakeRoot.run({ at: signal.receivedAt, root: row.root_id })
            return "recorded"
          })
        }),

      takeSignal: (runId, name, stepKey, lease) =>
        Effect.flatMap(
          op("takeSignal", () =>
            connection.write((): Option.Option<SignalRecord> | Fenced => {
              const row = statusOf(runId)
              if (row === undefined || row.status !== "running" || row.generation !== lease.generation) {
                return refusal(st, runId, lease)
              }
              const own = st.ownSignal.get(runId, name, stepKey) as Row | undefined
              if (own !== undefined) return Option.some(toSignalRecord(own))
              const consumed = st.consumeSignal.get(stepKey, runId, name) as Row | undefined
              return consumed === undefined ? Option.none() : Option.some(toSignalRecord(consumed))
            })),
          (result) => isFenced(result) ? Effect.fail(result) : Effect.succeed(result)
        ),

      signals: (runId) => op("signals", () => (st.signals.all(runId) as ReadonlyArray<Row>).map(toSignalRecord)),

      ...scheduleOps(connection, op)
    }

    /** `list` through the `SqlClient` on the same connection (filters composed with its fragments). */
    const list = (filter: RunFilter): Effect.Effect<ReadonlyArray<RunRecord>, PersistenceError> => {
      const query = listStatement(connection.client, filter)
      if (query === undefined) return Effect.succeed([])
      return Effect.suspend((): Effect.Effect<ReadonlyArray<RunRecord>, PersistenceError> => {
        try {
          connection.checkFile("list", false)
        } catch (error) {
          return Effect.fail(fromDriver("list", path, error))
        }
        return Effect.flatMap(
          Effect.mapError(query, (error: SqlError) => fromDriver("list", path, error)),
          (rows) => Effect.try({ try: () => rows.map(toRunRecord), catch: (e) => fromDriver("list", path, e) })
        )
      })
    }

    return service
  })
