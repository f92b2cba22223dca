/**
 * Reading the rows of the fleet tables (migration 11: search attributes,
 * history, workers) back as records, shared by the SQL stores.
 *
 * @internal
 */
import * as RunStatus from "../../RunStatus.js"
import type {
  HistoryRecord,
  QueueStats,
  RunFilter,
  SearchCondition,
  SearchValue,
  StepSample,
  WorkerInHand
} from "../../SnapshotStore.js"
import { activeTerm } from "./schema.js"
import { integer, nullableInteger, nullableText, type Row, RowDecodeError, text } from "./rows.js"

const status = (column: string, value: unknown): RunStatus.RunStatus | null => {
  if (value === null || value === undefined) return null
  if (!RunStatus.is(value)) throw new RowDecodeError("weft_history", column, `unknown status ${JSON.stringify(value)}`)
  return value
}

/** Reads a `weft_history` row. */
export const toHistoryRecord = (row: Row, decode: (s: string) => string = (s) => s): HistoryRecord => {
  const t = "weft_history"
  const owner = (column: string, value: unknown) => {
    const s = nullableText(t, column, value)
    return s === null ? null : decode(s)
  }
  const detail = nullableText(t, "detail", row.detail)
  return {
    runId: decode(text(t, "run_id", row.run_id)),
    at: integer(t, "at", row.at),
    kind: text(t, "kind", row.kind),
    statusFrom: status("status_from", row.status_from),
    statusTo: status("status_to", row.status_to),
    ownerFrom: owner("owner_from", row.owner_from),
    ownerTo: owner("owner_to", row.owner_to),
    generation: integer(t, "generation", row.generation),
    wakeAt: nullableInteger(t, "wake_at", row.wake_at),
    detail: detail === null ? null : decode(detail)
  }
}

/** Reads `weft_search` rows (`name`, `value_text`, `value_num`) as a run's attributes. */
export const toSearchAttributes = (
  rows: ReadonlyArray<Row>,
  decode: (s: string) => string = (s) => s
): Readonly<Record<string, SearchValue>> => {
  const t = "weft_search"
  const out: Record<string, SearchValue> = {}
  for (const row of rows) {
    const name = decode(text(t, "name", row.name))
    const n = row.value_num
    out[name] = n === null || n === undefined ? decode(text(t, "value_text", row.value_text)) : Number(n)
  }
  return out
}

/** A search value as its two columns: `[text, number]`. */
export const searchColumns = (value: SearchValue): readonly [string | null, number | null] =>
  typeof value === "number" ? [null, value] : [value, null]

/**
 * Search attributes as the PostgreSQL store sends them: the JSON text of
 * `[{ name, t, n }]` for the values set, and the names removed (`null`), text encoded.
 */
export const searchParams = (
  search: Readonly<Record<string, SearchValue | null>>,
  encode: (s: string) => string
): { readonly set: string; readonly unset: ReadonlyArray<string> } => {
  const set: Array<{ readonly name: string; readonly t: string | null; readonly n: number | null }> = []
  const unset: Array<string> = []
  for (const name in search) {
    const value = search[name]!
    if (value === null) unset.push(encode(name))
    else set.push({ name: encode(name), t: typeof value === "string" ? encode(value) : null, n: typeof value === "number" ? value : null })
  }
  return { set: JSON.stringify(set), unset }
}

/**
 * A search's conditions grouped by attribute (one index range each), the
 * one that drives the query first: an attribute with an equality (the
 * narrowest range one can tell without statistics), else the first given.
 * The driver selects the candidate runs from its index; each other group is
 * checked per candidate by the `(run_id, name)` key.
 */
export const searchGroups = (
  where: ReadonlyArray<SearchCondition>
): ReadonlyArray<readonly [key: string, conditions: ReadonlyArray<SearchCondition>]> => {
  const groups = new Map<string, Array<SearchCondition>>()
  for (const condition of where) {
    const group = groups.get(condition.key)
    if (group === undefined) groups.set(condition.key, [condition])
    else group.push(condition)
  }
  const all = Array.from(groups)
  const driver = all.findIndex(([, conditions]) => conditions.some((c) => c.op === "="))
  if (driver > 0) all.unshift(...all.splice(driver, 1))
  return all
}

/** A search operator in SQL. */
export const sqlOp = (op: SearchCondition["op"]): string => op === "!=" ? "<>" : op

/**
 * Whether a listing can be chosen from the search index alone: it filters
 * on search attributes and otherwise only on creation time, the cursor and
 * the limit (all of which `weft_search` carries), so the driving
 * attribute's index gives the page, newest first, and only the page's runs
 * are read.
 */
export const searchPage = (filter: RunFilter): boolean =>
  filter.where !== undefined && filter.where.length > 0 && filter.limit !== undefined &&
  filter.status === undefined && filter.templateName === undefined && filter.wakeBefore === undefined &&
  filter.claimableAt === undefined && filter.queue === undefined && filter.parentId === undefined &&
  filter.rootId === undefined && filter.runIdPrefix === undefined

/** Reads a `weft_workers` row with its `runs_in_hand` count. */
export const toWorker = (row: Row, decode: (s: string) => string = (s) => s): WorkerInHand => {
  const t = "weft_workers"
  let queues: unknown
  try {
    queues = JSON.parse(decode(text(t, "queues", row.queues)))
  } catch {
    throw new RowDecodeError(t, "queues", "not JSON")
  }
  if (typeof queues !== "object" || queues === null || Array.isArray(queues)) throw new RowDecodeError(t, "queues", "not an object")
  return {
    workerId: decode(text(t, "worker_id", row.worker_id)),
    host: decode(text(t, "host", row.host)),
    pid: integer(t, "pid", row.pid),
    queues: queues as Readonly<Record<string, number>>,
    startedAt: integer(t, "started_at", row.started_at),
    heartbeatAt: integer(t, "heartbeat_at", row.heartbeat_at),
    leaseUntil: integer(t, "lease_until", row.lease_until),
    stoppedAt: nullableInteger(t, "stopped_at", row.stopped_at),
    runsInHand: integer(t, "runs_in_hand", row.runs_in_hand)
  }
}

/** Reads a queue's statistics row (`queue`, `queued`, `running`, `suspended`, `oldest_queued_at`). */
export const toQueueStats = (row: Row, decode: (s: string) => string = (s) => s): QueueStats => {
  const t = "weft_runs"
  return {
    queue: decode(text(t, "queue", row.queue)),
    queued: integer(t, "queued", row.queued ?? 0),
    running: integer(t, "running", row.running ?? 0),
    suspended: integer(t, "suspended", row.suspended ?? 0),
    oldestQueuedAt: nullableInteger(t, "oldest_queued_at", row.oldest_queued_at)
  }
}

/** Reads a step sample row (`template_name`, `step_name`, `status`, `attempts`, `started_at`, `ended_at`, `error`). */
export const toStepSample = (row: Row, decode: (s: string) => string = (s) => s): StepSample => {
  const t = "weft_steps"
  let errorTag: string | null = null
  if (typeof row.error === "string") {
    try {
      const parsed: unknown = JSON.parse(row.error)
      if (typeof parsed === "object" && parsed !== null && typeof (parsed as { tag?: unknown }).tag === "string") {
        errorTag = decode((parsed as { tag: string }).tag)
      }
    } catch {
      errorTag = null
    }
  }
  return {
    templateName: decode(text(t, "template_name", row.template_name)),
    stepName: decode(text(t, "step_name", row.step_name)),
    status: text(t, "status", row.status) as StepSample["status"],
    attempts: integer(t, "attempts", row.attempts),
    startedAt: integer(t, "started_at", row.started_at),
    endedAt: integer(t, "ended_at", row.ended_at),
    errorTag
  }
}

/**
 * The fleet statements' SQL for `weft_` tables named `n` (SQLite with `?`
 * placeholders; PostgreSQL through its named-placeholder writer).
 */
export const fleetSql = (n: { readonly runs: string; readonly steps: string; readonly workers: string }, p: (name: string) => string) => ({
  recordWorker: `INSERT INTO ${n.workers} (worker_id, host, pid, queues, started_at, heartbeat_at, lease_until, stopped_at)
VALUES (${["workerId", "host", "pid", "queues", "startedAt", "heartbeatAt", "leaseUntil", "stoppedAt"].map(p).join(", ")})
ON CONFLICT (worker_id) DO UPDATE SET host = excluded.host, pid = excluded.pid, queues = excluded.queues,
  started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at, lease_until = excluded.lease_until,
  stopped_at = excluded.stopped_at`,
  workers: `SELECT w.worker_id, w.host, w.pid, w.queues, w.started_at, w.heartbeat_at, w.lease_until, w.stopped_at,
  (SELECT count(*) FROM ${n.runs} r WHERE r.owner = w.worker_id AND r.status = 'running' AND r.${activeTerm}) AS runs_in_hand
FROM ${n.workers} w ORDER BY w.started_at, w.worker_id`,
  forgetWorkers: `DELETE FROM ${n.workers} WHERE lease_until < ${p("forget")} AND NOT EXISTS
  (SELECT 1 FROM ${n.runs} r WHERE r.owner = ${n.workers}.worker_id AND r.status = 'running' AND r.${activeTerm})`,
  queueStats: `SELECT queue,
  sum(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) AS queued,
  sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running,
  sum(CASE WHEN status = 'suspended' THEN 1 ELSE 0 END) AS suspended,
  min(CASE WHEN status = 'queued' THEN created_at END) AS oldest_queued_at
FROM ${n.runs} WHERE ${activeTerm} GROUP BY queue ORDER BY queue`,
  stepSample: `SELECT r.template_name, s.step_name, s.status, s.attempts, s.started_at, s.ended_at, s.error
FROM (SELECT run_id, template_name, created_at FROM ${n.runs} WHERE created_at >= ${p("since")} AND created_at < ${p("until")}
  ORDER BY created_at DESC LIMIT ${p("limit")}) r
JOIN ${n.steps} s ON s.run_id = r.run_id
ORDER BY r.created_at DESC, s.seq LIMIT ${p("limit")}`
})
