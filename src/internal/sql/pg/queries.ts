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
 * - **Checkpoint.** `appendStep` is one statement: the fenced `UPDATE` of the
 *   run's cursor (`seq`, `updated_at`: columns no index covers, so the update
 *   is a heap-only tuple) feeds the step's `INSERT` (and the snapshot's
 *   upsert, when one is written).
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
import type { RecordSignalResult, RunStatus } from "../../../SnapshotStore.js"
import { finalStatuses, type Row, RowDecodeError, runColumns, signalColumns, stepColumns } from "../schema.js"
import type { Queries, StatusRow, StoredFilter } from "../dialect.js"

/** The tables' names as SQL (quoted, schema-qualified when a schema is given). */
export interface Names {
  readonly runs: string
  readonly steps: string
  readonly snapshots: string
  readonly signals: string
}

/** A PostgreSQL identifier, quoted. */
export const quote = (identifier: string): string => `"${identifier.replaceAll("\"", "\"\"")}"`

/** The tables of `prefix` (e.g. `weft_`) in `schema` (the connection's search path when `undefined`). */
export const names = (prefix: string, schema: string | undefined): Names => {
  const name = (table: string) => schema === undefined ? quote(prefix + table) : `${quote(schema)}.${quote(prefix + table)}`
  return { runs: name("runs"), steps: name("steps"), snapshots: name("snapshots"), signals: name("signals") }
}

const active = "('queued', 'running', 'suspended')"
const final = `(${finalStatuses.map((s) => `'${s}'`).join(", ")})`
const statuses: ReadonlyArray<string> = ["queued", "running", "suspended", "completed", "failed", "cancelled"]
/** A running run nobody holds at `now`: no owner, or a lease that has passed (each part on an index). */
const leasePassed = (now: string) => `(owner IS NULL OR lease_until IS NULL OR lease_until <= ${now})`

const take = "status = 'running', owner = $owner, lease_until = $leaseUntil, generation = generation + 1, " +
  "wake_at = NULL, waiting_for = NULL"

/** `columns` (a comma-separated list) each prefixed with `alias.`. */
const qualified = (alias: string, columns: string) =>
  columns.split(",").map((c) => `${alias}.${c.trim()}`).join(", ")

const number = (table: string, column: string, value: unknown): number | null => {
  if (value === null || value === undefined) return null
  const n = Number(value)
  if (typeof value === "boolean" || !Number.isFinite(n)) {
    throw new RowDecodeError(table, column, `expected a number, got ${JSON.stringify(value)}`)
  }
  return n
}

/**
 * Named placeholders (`$name`) as positional ones (`$1`), with the values
 * in that order: the statements read as what they do.
 */
const statement = (text: string) => {
  const order: Array<string> = []
  const sql = text.replace(/\$([a-zA-Z]\w*)/g, (_, name: string) => {
    let index = order.indexOf(name)
    if (index < 0) index = order.push(name) - 1
    return `$${index + 1}`
  })
  return (values: Readonly<Record<string, unknown>>): readonly [string, ReadonlyArray<unknown>] => [
    sql,
    order.map((name) => {
      if (!(name in values)) throw new Error(`internal: no value for $${name}`)
      return values[name]
    })
  ]
}

/** The PostgreSQL queries over the `SqlClient` in context, on the tables `n`, notifying `channel`. */
export const makeQueries = (n: Names, channel: string): Effect.Effect<Queries, never, SqlClient.SqlClient> =>
  Effect.map(SqlClient.SqlClient, (client) => {
    const sql = client.withoutTransforms()
    const rows = (bound: readonly [string, ReadonlyArray<unknown>]): Effect.Effect<ReadonlyArray<Row>, SqlError> =>
      sql.unsafe<Row>(bound[0], bound[1])
    const count = (bound: readonly [string, ReadonlyArray<unknown>]): Effect.Effect<number, SqlError> =>
      Effect.map(rows(bound), (r) => Number(r[0]?.n ?? 0))

    const notify = `, notified AS (SELECT pg_notify($channel, '') FROM done)`
    const notifyCount = `(SELECT count(*) FROM notified)`

    const insertRun = (queued: boolean) =>
      statement(`WITH r AS (
  INSERT INTO ${n.runs} (run_id, template_name, template_version, status, seq, created_at, updated_at, timeout_ms,
    elapsed_ms, parent_id, root_id, queue, owner, lease_until, generation, trace_context)
  VALUES ($runId, $templateName, $templateVersion, $status, 0, $createdAt, $createdAt, $timeoutMillis, 0, $parentId,
    $rootId, $queue, $owner, $leaseUntil, $generation, $traceContext)
  ON CONFLICT (run_id) DO NOTHING
  RETURNING run_id
), done AS (
  INSERT INTO ${n.snapshots} (run_id, seq, state) SELECT run_id, 0, $state::text FROM r
  ON CONFLICT (run_id) DO UPDATE SET seq = excluded.seq, state = excluded.state
  RETURNING run_id
)${queued ? notify : ""}
SELECT (SELECT count(*) FROM done)${queued ? ` + 0 * ${notifyCount}` : ""} AS n`)
    const insertQueued = insertRun(true)
    const insertClaimed = insertRun(false)

    const claim = statement(`UPDATE ${n.runs} SET ${take}
WHERE run_id = $runId AND status IN ${active}
  AND (owner IS NULL OR lease_until IS NULL OR lease_until <= $now OR owner = $takeOverFrom)
RETURNING ${runColumns}`)

    const statusOf = statement(`SELECT status, owner, lease_until, root_id FROM ${n.runs} WHERE run_id = $runId`)

    /**
     * One CTE per kind of claimable run, each on its own index (a run whose
     * lease passed by `(status, lease_until)`, a due one by `(status,
     * wake_at)`, a queued one by `(status, queue, created_at)`), so that the
     * cost follows the claimable runs, never the finished ones; each locks
     * its candidates `SKIP LOCKED`; the oldest of them are taken.
     */
    const candidates = (name: string, condition: string) =>
      `${name} AS (
  SELECT run_id, created_at FROM ${n.runs}
  WHERE ${condition} AND parent_id IS NULL
    AND (template_name, template_version) IN (SELECT * FROM unnest($names::text[], $versions::text[]))
  ORDER BY created_at, run_id
  LIMIT $limit
  FOR UPDATE SKIP LOCKED
)`
    const claimNext = statement(`WITH ${candidates("orphaned", `status = 'running' AND ${leasePassed("$now")}`)},
${candidates("due", "status = 'suspended' AND wake_at <= $now")},
${candidates("queued", "status = 'queued' AND queue = ANY ($queues::text[])")},
c AS (
  SELECT run_id FROM (SELECT * FROM orphaned UNION ALL SELECT * FROM due UNION ALL SELECT * FROM queued) x
  ORDER BY created_at, run_id
  LIMIT $limit
)
UPDATE ${n.runs} r SET status = 'running', owner = $owner, lease_until = $leaseUntil, generation = r.generation + 1,
  wake_at = NULL, waiting_for = NULL
FROM c WHERE r.run_id = c.run_id
RETURNING ${qualified("r", runColumns)}`)

    const heartbeat = statement(`UPDATE ${n.runs} SET lease_until = $leaseUntil WHERE owner = $owner AND status = 'running'
RETURNING run_id, generation`)

    const appendStep = (withSnapshot: boolean) =>
      statement(`WITH r AS (
  UPDATE ${n.runs} SET seq = $seq, updated_at = $endedAt
  WHERE run_id = $runId AND status = 'running' AND generation = $generation
  RETURNING run_id
)${
        withSnapshot
          ? `, s AS (
  INSERT INTO ${n.snapshots} (run_id, seq, state) SELECT run_id, $seq, $snapshot::text FROM r
  ON CONFLICT (run_id) DO UPDATE SET seq = excluded.seq, state = excluded.state
)`
          : ""
      }
INSERT INTO ${n.steps} (${stepColumns})
SELECT run_id, $seq, $stepKey::text, $stepName::text, $status::text, $attempts::integer, $startedAt::bigint,
  $endedAt, $delta::text, $error::text, $idempotencyKey::text
FROM r
RETURNING seq`)
    const appendPlain = appendStep(false)
    const appendWithSnapshot = appendStep(true)

    const pause = (release: boolean) =>
      statement(`WITH done AS (
  UPDATE ${n.runs} SET status = $status, owner = NULL, lease_until = NULL, updated_at = $updatedAt,
    elapsed_ms = elapsed_ms + $elapsedMillis, wake_at = $wakeAt, waiting_for = $waitingFor
  WHERE run_id = $runId AND status = 'running' AND generation = $generation
  RETURNING run_id
)${release ? notify : ""}
SELECT (SELECT count(*) FROM done)${release ? ` + 0 * ${notifyCount}` : ""} AS n`)
    const suspend = pause(false)
    const release = pause(true)

    const finish = statement(`UPDATE ${n.runs} SET status = $status, error = $error, expires_at = $expiresAt, owner = NULL,
  lease_until = NULL, wake_at = NULL, waiting_for = NULL, updated_at = $updatedAt,
  elapsed_ms = elapsed_ms + $elapsedMillis
WHERE run_id = $runId AND status = 'running' AND generation = $generation
RETURNING run_id`)

    const cancel = statement(`WITH RECURSIVE root AS (
  SELECT run_id FROM ${n.runs} WHERE run_id = $runId AND status IN ${active} FOR UPDATE
), tree(run_id) AS (
  SELECT run_id FROM root
  UNION
  SELECT r.run_id FROM ${n.runs} r JOIN tree t ON r.parent_id = t.run_id
)
UPDATE ${n.runs} SET status = 'cancelled', updated_at = $now, expires_at = $expiresAt, owner = NULL,
  lease_until = NULL, wake_at = NULL, waiting_for = NULL
WHERE run_id IN (SELECT run_id FROM tree) AND status IN ${active}
RETURNING run_id`)

    const selectRun = statement(`SELECT ${runColumns} FROM ${n.runs} WHERE run_id = $runId`)
    const selectLoad = statement(`SELECT ${qualified("r", runColumns)}, p.seq AS snapshot_seq, p.state AS snapshot_state
FROM ${n.runs} r LEFT JOIN ${n.snapshots} p ON p.run_id = r.run_id
WHERE r.run_id = $runId`)
    const stepsForLoad = statement(`SELECT run_id, seq, step_key, step_name, status, attempts, started_at, ended_at,
  CASE WHEN seq > $afterSeq THEN delta END AS delta, error, idempotency_key
FROM ${n.steps} WHERE run_id = $runId ORDER BY seq`)
    const steps = statement(`SELECT ${stepColumns} FROM ${n.steps} WHERE run_id = $runId ORDER BY seq`)

    const collectExpired = statement(`WITH gone AS (
  DELETE FROM ${n.runs} WHERE status IN ${final} AND expires_at < $now RETURNING run_id
), s AS (
  DELETE FROM ${n.steps} WHERE run_id IN (SELECT run_id FROM gone)
), p AS (
  DELETE FROM ${n.snapshots} WHERE run_id IN (SELECT run_id FROM gone)
), g AS (
  DELETE FROM ${n.signals} WHERE run_id IN (SELECT run_id FROM gone)
)
SELECT count(*) AS n FROM gone`)

    const lockRun = statement(`SELECT status, owner, lease_until, root_id FROM ${n.runs} WHERE run_id = $runId
FOR NO KEY UPDATE`)
    const insertSignal = statement(`WITH done AS (
  INSERT INTO ${n.signals} (run_id, name, payload, received_at, consumed_by)
  SELECT $runId::text, $name::text, $payload::text, $receivedAt::bigint, NULL
  WHERE NOT EXISTS (
    SELECT 1 FROM ${n.signals} WHERE run_id = $runId AND name = $name AND consumed_by IS NULL
  )
  RETURNING id
), woken AS (
  UPDATE ${n.runs} SET wake_at = LEAST(COALESCE(wake_at, $receivedAt), $receivedAt)
  WHERE run_id = $rootId AND status = 'suspended' AND EXISTS (SELECT 1 FROM done)
)${notify}
SELECT (SELECT count(*) FROM done) + 0 * ${notifyCount} AS n`)

    const signalFields = "run_id, name, payload, received_at, consumed_by"
    const takeSignal = statement(`WITH run AS (
  SELECT run_id FROM ${n.runs} WHERE run_id = $runId AND status = 'running' AND generation = $generation FOR SHARE
), own AS (
  SELECT id FROM ${n.signals}
  WHERE run_id = $runId AND name = $name AND consumed_by = $stepKey AND EXISTS (SELECT 1 FROM run)
  ORDER BY id LIMIT 1
), pick AS (
  SELECT id FROM ${n.signals}
  WHERE run_id = $runId AND name = $name AND consumed_by IS NULL
    AND EXISTS (SELECT 1 FROM run) AND NOT EXISTS (SELECT 1 FROM own)
  ORDER BY id LIMIT 1
  FOR UPDATE
), taken AS (
  UPDATE ${n.signals} g SET consumed_by = $stepKey FROM pick WHERE g.id = pick.id
  RETURNING ${qualified("g", signalFields)}
)
SELECT 'lease' AS source, NULL::text AS run_id, NULL::text AS name, NULL::text AS payload,
  NULL::bigint AS received_at, NULL::text AS consumed_by
FROM run
UNION ALL
SELECT 'own', ${qualified("g", signalFields)} FROM ${n.signals} g JOIN own ON g.id = own.id
UNION ALL
SELECT 'taken', ${signalFields} FROM taken`)

    const signals = statement(`SELECT ${signalColumns} FROM ${n.signals} WHERE run_id = $runId ORDER BY id`)

    const toStatus = (row: Row | undefined): StatusRow | undefined => {
      if (row === undefined) return undefined
      if (typeof row.status !== "string" || !statuses.includes(row.status)) {
        throw new RowDecodeError("runs", "status", `unknown status ${JSON.stringify(row.status)}`)
      }
      if (typeof row.root_id !== "string") throw new RowDecodeError("runs", "root_id", "expected text")
      return {
        status: row.status as RunStatus,
        owner: typeof row.owner === "string" ? row.owner : null,
        leaseUntil: number("runs", "lease_until", row.lease_until),
        rootId: row.root_id
      }
    }
    const statusRow = (effect: Effect.Effect<ReadonlyArray<Row>, SqlError>) =>
      Effect.flatMap(effect, (r) =>
        Effect.try({
          try: () => toStatus(r[0]),
          catch: (e) => e instanceof RowDecodeError ? e : new RowDecodeError("runs", "status", String(e))
        }))

    /**
     * `list`'s statement: its filter as conditions, newest first. A filter on
     * several statuses, or on claimability, is a `UNION ALL` of one branch
     * per status (each newest first on the `(status, created_at, run_id)`
     * index, or on the claimable runs' own indexes, and limited), so that
     * finding the few active runs among many finished ones never scans the
     * finished ones.
     */
    const list = (filter: StoredFilter): readonly [string, ReadonlyArray<unknown>] => {
      const params: Array<unknown> = []
      const p = (value: unknown, cast: string) => `$${params.push(value)}::${cast}`
      const common: Array<string> = []
      if (filter.templateName !== undefined) common.push(`template_name = ${p(filter.templateName, "text")}`)
      if (filter.createdAfter !== undefined) common.push(`created_at >= ${p(filter.createdAfter, "bigint")}`)
      if (filter.createdBefore !== undefined) common.push(`created_at < ${p(filter.createdBefore, "bigint")}`)
      if (filter.wakeBefore !== undefined) {
        common.push(`status = 'suspended' AND wake_at <= ${p(filter.wakeBefore, "bigint")}`)
      }
      if (filter.queue !== undefined) common.push(`queue = ${p(filter.queue, "text")}`)
      if (filter.parentId !== undefined) common.push(`parent_id = ${p(filter.parentId, "text")}`)
      if (filter.rootId !== undefined) common.push(`root_id = ${p(filter.rootId, "text")}`)
      if (filter.after !== undefined) {
        common.push(`(created_at, run_id) < (${p(filter.after.createdAt, "bigint")}, ${p(filter.after.runId, "text")})`)
      }
      const wanted: ReadonlyArray<string> | undefined = filter.status === undefined
        ? undefined
        : typeof filter.status === "string"
        ? [filter.status]
        : filter.status
      let branches: Array<string | undefined>
      if (filter.claimableAt !== undefined) {
        const at = p(filter.claimableAt, "bigint")
        branches = [
          ["queued", "status = 'queued'"],
          ["running", `status = 'running' AND ${leasePassed(at)}`],
          ["suspended", `status = 'suspended' AND wake_at <= ${at}`]
        ].filter(([status]) => wanted === undefined || wanted.includes(status!)).map(([, condition]) => condition)
      } else if (wanted !== undefined) {
        branches = statuses.filter((status) => wanted.includes(status)).map((status) => `status = '${status}'`)
      } else {
        branches = [undefined]
      }
      if (branches.length === 0) return ["SELECT NULL AS run_id WHERE false", []]
      const order = "ORDER BY created_at DESC, run_id DESC"
      const limit = filter.limit === undefined ? "" : ` LIMIT ${p(filter.limit, "bigint")}`
      const select = (condition: string | undefined) => {
        const where = condition === undefined ? common : [condition, ...common]
        return `SELECT ${runColumns} FROM ${n.runs}${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`}`
      }
      const text = branches.length === 1
        ? `${select(branches[0])} ${order}${limit}`
        : `SELECT * FROM (${branches.map((b) => `(${select(b)} ${order}${limit})`).join(" UNION ALL ")}) x ${order}${limit}`
      return [text, params]
    }

    const queries: Queries = {
      insertRun: (p) =>
        Effect.suspend(() =>
          count((p.status === "queued" ? insertQueued : insertClaimed)({
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
            state: p.state,
            channel
          }))
        ).pipe(Effect.map((inserted) => inserted === 1)),

      claim: (p) => Effect.suspend(() => Effect.map(rows(claim(p)), (r) => r[0])),

      statusOf: (runId) => statusRow(Effect.suspend(() => rows(statusOf({ runId })))),

      claimNext: (p) =>
        Effect.suspend(() =>
          rows(claimNext({
            names: p.templates.map((t) => t.name),
            versions: p.templates.map((t) => t.version),
            now: p.now,
            queues: p.queues,
            limit: p.limit,
            owner: p.owner,
            leaseUntil: p.leaseUntil
          }))
        ),

      heartbeat: (owner, leaseUntil) => Effect.suspend(() => rows(heartbeat({ owner, leaseUntil }))),

      appendStep: ({ delta, error, generation, snapshot, step }) =>
        Effect.suspend(() =>
          rows((snapshot === undefined ? appendPlain : appendWithSnapshot)({
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
            idempotencyKey: step.idempotencyKey,
            ...(snapshot === undefined ? {} : { snapshot })
          }))
        ).pipe(Effect.map((r) => r.length === 1)),

      pause: (p) =>
        Effect.suspend(() => count((p.status === "running" ? release : suspend)({ ...p, channel }))).pipe(
          Effect.map((changed) => changed === 1)
        ),

      finish: (p) => Effect.suspend(() => Effect.map(rows(finish(p)), (r) => r.length === 1)),

      cancel: (runId, now, expiresAt) =>
        Effect.suspend(() => Effect.map(rows(cancel({ runId, now, expiresAt })), (r) => r.map((row) => row.run_id))),

      selectRun: (runId) => Effect.suspend(() => Effect.map(rows(selectRun({ runId })), (r) => r[0])),

      selectLoad: (runId) => Effect.suspend(() => Effect.map(rows(selectLoad({ runId })), (r) => r[0])),

      stepsForLoad: (runId, afterSeq) => Effect.suspend(() => rows(stepsForLoad({ runId, afterSeq }))),

      steps: (runId) => Effect.suspend(() => rows(steps({ runId }))),

      list: (filter) => Effect.suspend(() => rows(list(filter))),

      collectExpired: (now) => Effect.suspend(() => count(collectExpired({ now }))),

      recordSignal: (p) =>
        sql.withTransaction(
          Effect.flatMap(statusRow(Effect.suspend(() => rows(lockRun({ runId: p.runId })))), (run) => {
            if (run === undefined) return Effect.succeed<RecordSignalResult>("not-found")
            if (run.status === "completed" || run.status === "failed" || run.status === "cancelled") {
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

      signals: (runId) => Effect.suspend(() => rows(signals({ runId })))
    }
    return queries
  })
