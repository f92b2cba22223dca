/**
 * The SQL of the PostgreSQL store: one statement per operation wherever the
 * operation is one atomic step (PostgreSQL's data-modifying CTEs let a
 * statement write several tables and return what it did), every value a
 * parameter.
 *
 * - **Fencing.** A fenced write is an `UPDATE ... WHERE run_id = $1 AND
 *   status = 'running' AND generation = $2` (or a `FOR SHARE` lock of that
 *   row) inside the statement: the row lock orders it after any claim of the
 *   run, and PostgreSQL re-checks the condition on the row's newest version
 *   after waiting, so a stale owner's write changes nothing.
 * - **Checkpoint.** `appendStep` is one statement: the run's row, locked
 *   `FOR SHARE` under the fence (a claim's `UPDATE` waits for it, and it for
 *   a claim), feeds the step's `INSERT` (and the snapshot's upsert, when one
 *   is written). The run's row is not updated: its cursor (`seq`) and the
 *   step part of its `updated_at` are read from its last step row
 *   (`runRow`), as on SQLite, so that a checkpoint costs about a plain
 *   `INSERT`.
 * - **Claims.** `claimNext` selects its candidates oldest first `FOR UPDATE
 *   SKIP LOCKED` in a CTE and updates them (generation + 1, owner, lease,
 *   `running`) in the same statement: concurrent claimers skip each other's
 *   rows instead of waiting, and never take one run twice.
 * - **Wake-ups.** Queuing a run, releasing one and recording a signal call
 *   `pg_notify(channel, '')` in their statement (delivered at commit).
 *
 * @internal
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import * as RunStatus from "../../../RunStatus.js"
import type { PausedFrom, PauseResult, RecordSignalResult, UnpauseResult } from "../../../SnapshotStore.js"
import type { InsertStep, Queries, StatusRow } from "./dialect.js"
import { type Row, RowDecodeError } from "../schema.js"
import { fleetSql } from "../fleetRows.js"
import { listStatement } from "./list.js"
import { scheduleQueries } from "./schedules.js"
import { triggeredByJson } from "../rows.js"
import { type Bound, type Names, number, statement } from "./sql.js"
import type { Group, Writer } from "./writer.js"
import { claimStatements, controlStatements, readStatements, signalStatements, versionStatements, writeStatements } from "./statements.js"

/** A step's row as the named values of the statements that write one, under the fence of `generation`. */
const stepValues = ({ delta, error, generation, step }: Pick<InsertStep, "delta" | "error" | "generation" | "step">) => ({
  runId: step.runId,
  generation,
  seq: step.seq,
  stepKey: step.stepKey,
  stepName: step.stepName,
  status: step.status,
  attempts: step.attempts,
  startedAt: step.startedAt,
  endedAt: step.endedAt,
  delta,
  error,
  idempotencyKey: step.idempotencyKey
})

/** Checkpoints as the writer groups them: one per run in a batch, the batch as one statement. */
const appendGroup = (n: Names): Group<InsertStep> => {
  const { appendMany, appendPlain, appendWithSnapshot } = writeStatements(n)
  return {
    key: (p) => p.step.runId,
    one: (p) =>
      (p.snapshot === undefined ? appendPlain : appendWithSnapshot)({
        ...stepValues(p),
        ...(p.snapshot === undefined ? {} : { snapshot: p.snapshot })
      }),
    many: (ps) =>
      appendMany({
        runIds: ps.map((p) => p.step.runId),
        generations: ps.map((p) => p.generation),
        seqs: ps.map((p) => p.step.seq),
        stepKeys: ps.map((p) => p.step.stepKey),
        stepNames: ps.map((p) => p.step.stepName),
        statuses: ps.map((p) => p.step.status),
        attempts: ps.map((p) => p.step.attempts),
        startedAts: ps.map((p) => p.step.startedAt),
        endedAts: ps.map((p) => p.step.endedAt),
        deltas: ps.map((p) => p.delta),
        errors: ps.map((p) => p.error),
        idempotencyKeys: ps.map((p) => p.step.idempotencyKey),
        snapshots: ps.map((p) => p.snapshot ?? null)
      })
  }
}

/** Sending statements on the client: their rows, or the count one returns; the channel wake-ups go to. */
export interface Exec {
  readonly sql: SqlClient.SqlClient
  readonly rows: (bound: Bound) => Effect.Effect<ReadonlyArray<Row>, SqlError>
  readonly count: (bound: Bound) => Effect.Effect<number, SqlError>
  readonly channel: string
  /** The store's own connections for the writes of executing runs, when it has them (else the client's pool). */
  readonly writer: Writer | undefined
}

/** A run's status row, or the row does not read back. */
const toStatus = (row: Row | undefined): StatusRow | undefined => {
  if (row === undefined) return undefined
  if (!RunStatus.is(row.status)) {
    throw new RowDecodeError("runs", "status", `unknown status ${JSON.stringify(row.status)}`)
  }
  if (typeof row.root_id !== "string") throw new RowDecodeError("runs", "root_id", "expected text")
  return {
    status: row.status,
    owner: typeof row.owner === "string" ? row.owner : null,
    leaseUntil: number("runs", "lease_until", row.lease_until),
    rootId: row.root_id,
    pausedFrom: row.paused_from === "queued" || row.paused_from === "running" || row.paused_from === "suspended"
      ? row.paused_from
      : null
  }
}
const statusRow = (effect: Effect.Effect<ReadonlyArray<Row>, SqlError>) =>
  Effect.flatMap(effect, (r) =>
    Effect.try({
      try: () => toStatus(r[0]),
      catch: (e) => e instanceof RowDecodeError ? e : new RowDecodeError("runs", "status", String(e))
    }))

/** Inserting a run (and the follow-up runs a write records, after it). */
const insertRunQuery = ({ channel, count, sql, writer }: Exec, n: Names) => {
  const { insertClaimed, insertClaimedSearch, insertQueued, insertQueuedSearch } = claimStatements(n)
  const countOf = (rows: ReadonlyArray<Row>) => Number(rows[0]?.n ?? 0)
  // a run nobody holds (queued, or released: an event trigger's) wakes the workers
  const insertRunOn = (send: (bound: Bound) => Effect.Effect<number, SqlError>) => (p: Parameters<Queries["insertRun"]>[0]) =>
    Effect.suspend(() =>
      send((p.owner === null
        ? (p.search === undefined ? insertQueued : insertQueuedSearch)
        : (p.search === undefined ? insertClaimed : insertClaimedSearch))({
        runId: p.run.runId,
        templateName: p.run.templateName,
        templateVersion: p.run.templateVersion,
        status: p.status,
        createdAt: p.run.createdAt,
        timeoutMillis: p.run.timeoutMillis,
        parentId: p.run.parentId,
        rootId: p.run.rootId,
        queue: p.run.queue,
        owner: p.owner,
        leaseUntil: p.leaseUntil,
        generation: p.generation,
        traceContext: p.run.traceContext,
        templateFingerprint: p.run.templateFingerprint ?? null,
        priority: p.run.priority ?? 0,
        triggeredBy: triggeredByJson(p.run.triggeredBy),
        forkedFrom: p.run.forkedFrom ?? null,
        forkedAfter: p.run.forkedAfter ?? null,
        migratedFrom: p.run.migratedFrom ?? null,
        state: p.state,
        channel,
        ...(p.search === undefined ? {} : { search: p.search })
      }))
    ).pipe(Effect.map((inserted) => inserted === 1))
  // on its own: on the writer's connections; in a transaction: on the transaction's
  const insertRun = insertRunOn(writer === undefined ? count : (bound) => Effect.map(writer.query(bound), countOf))
  const insertRunIn = insertRunOn(count)
  /** `write`, then (when it did something) the follow-ups, in one transaction when there are any. */
  const withFollowUps = <A>(
    write: Effect.Effect<A, SqlError>,
    did: (a: A) => boolean,
    followUps: ReadonlyArray<Parameters<Queries["insertRun"]>[0]>
  ) =>
    followUps.length === 0 ? write : sql.withTransaction(
      Effect.tap(write, (a) => did(a) ? Effect.forEach(followUps, insertRunIn, { discard: true }) : Effect.void)
    )
  return { insertRun, withFollowUps }
}

/** The queries that create, claim and write runs. */
const writeQueries = (
  exec: Exec,
  n: Names
): Pick<
  Queries,
  "insertRun" | "claim" | "statusOf" | "claimNext" | "holders" | "heartbeat" | "appendStep" | "pause" | "finish" | "cancel"
> => {
  const { channel, rows, sql, writer } = exec
  /** A write of the run's owner, or a claim: named, on the writer's connections when the store has them. */
  const owned = writer === undefined ? rows : writer.query
  const {
    claim,
    claimNext,
    heartbeat,
    holders,
    lockQueue,
    startsCount,
    startsInsert,
    statusOf
  } = claimStatements(n)
  const {
    appendPlain,
    appendPlainSearch,
    appendWithSnapshot,
    appendWithSnapshotSearch,
    cancel,
    finish,
    release,
    suspend
  } = writeStatements(n)
  const { insertRun, withFollowUps } = insertRunQuery(exec, n)
  const grouped = writer === undefined ? undefined : writer.group(appendGroup(n))
  return {
    insertRun,
    claim: (p) => Effect.suspend(() => Effect.map(rows(claim(p)), (r) => r[0])),

    statusOf: (runId) => statusRow(Effect.suspend(() => rows(statusOf({ runId })))),

    claimNext: (p) => {
      // a rate-limited claim is made in a transaction (on the client's pool)
      const rate = p.rateLimit
      const claimWith = (queuedLimit: number) =>
        Effect.suspend(() =>
          (rate === null ? owned : rows)(claimNext({
            names: p.templates.map((t) => t.name),
            versions: p.templates.map((t) => t.version),
            now: p.now,
            queues: p.queues,
            everyQueue: p.recoverQueues === null,
            recoverQueues: p.recoverQueues ?? [],
            takeOverFrom: p.takeOverFrom,
            limit: p.limit,
            queuedLimit: Math.min(p.limit, queuedLimit),
            owner: p.owner,
            leaseUntil: p.leaseUntil,
            maxRecoveryAttempts: p.maxRecoveryAttempts,
            deadExpiresAt: p.deadExpiresAt
          }))
        )
      if (rate === null) return claimWith(p.limit)
      // the queue's starts counted, the claim made and its starts recorded under one lock of the queue
      const since = p.now - rate.periodMillis
      return sql.withTransaction(Effect.gen(function*() {
        yield* rows(lockQueue({ key: `${n.starts}/${rate.queue}` }))
        const started = Number((yield* rows(startsCount({ queue: rate.queue, since })))[0]?.n ?? 0)
        const claimed = yield* claimWith(Math.max(0, rate.limit - started))
        const count = claimed.filter((row) => row.claim_kind === "queued" && row.status === "running").length
        if (count > 0) yield* rows(startsInsert({ queue: rate.queue, now: p.now, count }))
        return claimed
      }))
    },

    holders: (now) => Effect.suspend(() => rows(holders({ now }))),

    heartbeat: (owner, leaseUntil) => Effect.suspend(() => rows(heartbeat({ owner, leaseUntil }))),

    appendStep: (p) =>
      grouped !== undefined && p.search === undefined ? grouped(p) : Effect.suspend(() => {
        const { delta, error, generation, search, snapshot, step } = p
        return rows((snapshot === undefined
          ? (search === undefined ? appendPlain : appendPlainSearch)
          : (search === undefined ? appendWithSnapshot : appendWithSnapshotSearch))({
          ...stepValues({ delta, error, generation, step }),
          ...(snapshot === undefined ? {} : { snapshot }),
          ...(search === undefined ? {} : { search: search.set, searchUnset: search.unset })
        })).pipe(Effect.map((r) => r.length === 1))
      }),

    pause: (p) =>
      Effect.suspend(() => owned((p.status === "running" ? release : suspend)({ ...p, channel }))).pipe(
        Effect.map((r) => Number(r[0]?.n ?? 0) === 1)
      ),

    finish: (p, followUps) =>
      withFollowUps(
        Effect.suspend(() => Effect.map((followUps.length === 0 ? owned : rows)(finish(p)), (r) => r.length === 1)),
        (done) => done,
        followUps
      ),

    cancel: (runId, now, expiresAt, followUps) =>
      withFollowUps(
        Effect.suspend(() => Effect.map(rows(cancel({ runId, now, expiresAt })), (r) => r.map((row) => row.run_id))),
        (ids) => ids.length > 0,
        followUps
      )
  }
}

/** The queries that read runs, and those of signals. */
const readQueries = (
  { channel, count, rows, sql, writer }: Exec,
  n: Names
): Omit<
  Queries,
  | "insertRun"
  | "claim"
  | "statusOf"
  | "claimNext"
  | "holders"
  | "heartbeat"
  | "appendStep"
  | "pause"
  | "finish"
  | "cancel"
  | "reopen"
  | "retarget"
  | "initialState"
  | "schedules"
> => {
  const { collectExpired, historyOf, searchOf, selectLoad, selectRun, selectRuns, statusesOf, steps, stepsForLoad } =
    readStatements(n)
  const { insertSignal, lockRun, signals, takeSignal } = signalStatements(n)
  const fleetText = fleetSql(n, (name) => `$${name}`)
  const fleet = {
    recordWorker: statement(fleetText.recordWorker),
    workers: statement(fleetText.workers),
    forgetWorkers: statement(fleetText.forgetWorkers),
    queueStats: statement(fleetText.queueStats),
    stepSample: statement(fleetText.stepSample)
  }
  /** The reads of a run's life (loaded to execute, its records, its record): named, on the writer's connections. */
  const named = writer === undefined ? rows : writer.query
  return {
    selectRun: (runId) => Effect.suspend(() => Effect.map(named(selectRun({ runId })), (r) => r[0])),

    statusesOf: (runIds) => Effect.suspend(() => rows(statusesOf({ runIds }))),

    selectRuns: (runIds) => Effect.suspend(() => rows(selectRuns({ runIds }))),

    selectLoad: (runId) => Effect.suspend(() => Effect.map(named(selectLoad({ runId })), (r) => r[0])),

    stepsForLoad: (runId, afterSeq) => Effect.suspend(() => named(stepsForLoad({ runId, afterSeq }))),

    steps: (runId) => Effect.suspend(() => named(steps({ runId }))),

    list: (filter) => Effect.suspend(() => rows(listStatement(n, filter))),

    collectExpired: (now) => Effect.suspend(() => count(collectExpired({ now }))),

    recordSignal: (p) =>
      sql.withTransaction(
        Effect.flatMap(statusRow(Effect.suspend(() => rows(lockRun({ runId: p.runId })))), (run) => {
          if (run === undefined) return Effect.succeed<RecordSignalResult>("not-found")
          if (RunStatus.isFinal(run.status)) {
            return Effect.succeed<RecordSignalResult>("run-ended")
          }
          return Effect.map(
            count(insertSignal({ ...p, rootId: run.rootId, channel })),
            (recorded): RecordSignalResult => recorded === 1 ? "recorded" : "already-pending"
          )
        })
      ),

    takeSignal: (p) =>
      Effect.suspend(() =>
        Effect.map(rows(takeSignal(p)), (r) => ({
          held: r.some((row) => row.source === "lease"),
          signal: r.find((row) => row.source === "own") ?? r.find((row) => row.source === "taken")
        }))
      ),

    signals: (runId) => Effect.suspend(() => rows(signals({ runId }))),

    searchOf: (runId) => Effect.suspend(() => rows(searchOf({ runId }))),

    historyOf: (runId) => Effect.suspend(() => rows(historyOf({ runId }))),

    fleet: (name, values) => Effect.suspend(() => rows(fleet[name](values))),

    ...controlQueries({ channel, count, rows, sql, writer: undefined }, n, lockRun)
  }
}

/** Pausing (under a lock of the run's row) and unpausing. */
const controlQueries = (
  { channel, rows, sql }: Exec,
  n: Names,
  lockRun: (values: Readonly<Record<string, unknown>>) => Bound
): Pick<Queries, "pauseRun" | "unpauseRun"> => {
  const { pauseAsk, pauseNow, unpause } = controlStatements(n)
  const { statusOf } = claimStatements(n)
  return {
    pauseRun: (runId, now) =>
      sql.withTransaction(
        Effect.flatMap(statusRow(Effect.suspend(() => rows(lockRun({ runId })))), (run): Effect.Effect<PauseResult, SqlError> => {
          if (run === undefined) return Effect.succeed({ _tag: "NotFound" })
          if (RunStatus.isFinal(run.status)) return Effect.succeed({ _tag: "Finished", status: run.status })
          if (run.status === "paused") return Effect.succeed({ _tag: "Paused", from: run.pausedFrom ?? "queued" })
          if (run.status === "running" && run.owner !== null && (run.leaseUntil ?? 0) > now) {
            const owner = run.owner
            const asked = run.pausedFrom === null ? rows(pauseAsk({ runId })) : Effect.void
            return Effect.as(asked, { _tag: "Pausing", owner })
          }
          const from = run.status
          return Effect.as(rows(pauseNow({ runId, now })), { _tag: "Paused", from })
        })
      ),

    unpauseRun: (runId, now) =>
      Effect.flatMap(
        Effect.suspend(() => rows(unpause({ runId, now, channel }))),
        (done): Effect.Effect<UnpauseResult, SqlError | RowDecodeError> => {
          const status = done[0]?.status
          if (status === "queued" || status === "running" || status === "suspended") {
            return Effect.succeed({ _tag: "Unpaused", status: status satisfies PausedFrom })
          }
          return Effect.map(
            statusRow(Effect.suspend(() => rows(statusOf({ runId })))),
            (run): UnpauseResult => run === undefined ? { _tag: "NotFound" } : { _tag: "NotPaused", status: run.status }
          )
        }
      )
  }
}

/** The queries of re-runs and migrations. */
const versionQueries = ({ rows }: Exec, n: Names): Pick<Queries, "reopen" | "retarget" | "initialState"> => {
  const { initialState, reopen, retarget } = versionStatements(n)
  return {
    initialState: (runId) => Effect.suspend(() => Effect.map(rows(initialState({ runId })), (r) => r[0])),
    reopen: (p) => Effect.suspend(() => Effect.map(rows(reopen(p)), (r) => r[0])),
    retarget: ({ delta, error, generation, step, templateFingerprint, templateName, templateVersion }) =>
      Effect.suspend(() =>
        rows(retarget({
          ...stepValues({ delta, error, generation, step }),
          templateName,
          templateVersion,
          templateFingerprint
        }))
      ).pipe(Effect.map((r) => r.length === 1))
  }
}

/** The PostgreSQL queries over the `SqlClient` in context, on the tables `n`, notifying `channel`. */
export const makeQueries = (
  n: Names,
  channel: string,
  writer?: Writer | undefined
): Effect.Effect<Queries, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (client) => {
    const sql = client.withoutTransforms()
    const rows = (bound: Bound): Effect.Effect<ReadonlyArray<Row>, SqlError> => sql.unsafe<Row>(bound[0], bound[1])
    const count = (bound: Bound): Effect.Effect<number, SqlError> => Effect.map(rows(bound), (r) => Number(r[0]?.n ?? 0))
    const exec: Exec = { sql, rows, count, channel, writer }
    const queries: Queries = {
      ...writeQueries(exec, n),
      ...readQueries(exec, n),
      ...versionQueries(exec, n),
      schedules: scheduleQueries(exec, n)
    }
    return queries
  })
