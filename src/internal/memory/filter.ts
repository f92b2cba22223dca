/**
 * `RunFilter` semantics in code, for stores that filter in memory (the SQL
 * stores say the same in SQL).
 *
 * @internal
 */
import type { RunFilter, RunRecord, SearchCondition, SearchValue } from "../../SnapshotStore.js"

/** Newest first: by `createdAt`, then `runId`, descending. */
export const newestFirst = (a: RunRecord, b: RunRecord): number =>
  b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0)

/** Whether a record is after the cursor in newest-first order. */
const isAfter = (record: RunRecord, cursor: NonNullable<RunFilter["after"]>): boolean =>
  record.createdAt < cursor.createdAt || (record.createdAt === cursor.createdAt && record.runId < cursor.runId)

/** Whether a record matches every field of a filter (all but `limit`). */
export const matchesFilter = (r: RunRecord, f: RunFilter): boolean => {
  if (f.templateName !== undefined && r.templateName !== f.templateName) return false
  if (f.status !== undefined) {
    const statuses: ReadonlyArray<string> = typeof f.status === "string" ? [f.status] : f.status
    if (!statuses.includes(r.status)) return false
  }
  if (f.createdAfter !== undefined && r.createdAt < f.createdAfter) return false
  if (f.createdBefore !== undefined && r.createdAt >= f.createdBefore) return false
  if (f.wakeBefore !== undefined && !(r.status === "suspended" && r.wakeAt !== null && r.wakeAt <= f.wakeBefore)) {
    return false
  }
  if (f.claimableAt !== undefined && !isRunnable(r, f.claimableAt, new Set([r.queue]))) return false
  if (f.queue !== undefined && r.queue !== f.queue) return false
  if (f.parentId !== undefined && r.parentId !== f.parentId) return false
  if (f.rootId !== undefined && r.rootId !== f.rootId) return false
  if (f.forkedFrom !== undefined && (r.forkedFrom ?? null) !== f.forkedFrom) return false
  if (f.after !== undefined && !isAfter(r, f.after)) return false
  if (f.runIdPrefix !== undefined && !r.runId.startsWith(f.runIdPrefix)) return false
  return true
}

/**
 * Whether a run's search attributes satisfy every condition: a number
 * compares only with a number, a string only with a string (as the SQL
 * stores' columns do).
 */
export const matchesSearch = (
  attributes: ReadonlyMap<string, SearchValue>,
  where: ReadonlyArray<SearchCondition> | undefined
): boolean => {
  if (where === undefined) return true
  for (const { key, op, value } of where) {
    const actual = attributes.get(key)
    if (actual === undefined || typeof actual !== typeof value) return false
    const c = actual < value ? -1 : actual > value ? 1 : 0
    const ok = op === "=" ? c === 0 : op === "!=" ? c !== 0 : op === "<" ? c < 0 : op === "<=" ? c <= 0 : op === ">" ? c > 0 : c >= 0
    if (!ok) return false
  }
  return true
}

/**
 * Whether an engine may take the run up at `now`: queued ones only from
 * `queues`, orphaned and due ones only from `recoverQueues` when given.
 */
export const isRunnable = (
  record: RunRecord,
  now: number,
  queues: ReadonlySet<string> | undefined,
  recoverQueues?: ReadonlySet<string> | undefined,
  deadOwners?: ReadonlySet<string> | undefined
): boolean => {
  if (record.status !== "queued" && recoverQueues !== undefined && !recoverQueues.has(record.queue)) return false
  switch (record.status) {
    case "queued":
      return queues !== undefined && queues.has(record.queue)
    case "running":
      // a pause asked of it: paused (by `claimNext`), never taken up
      if ((record.pausedFrom ?? null) !== null) return false
      return record.owner === null || (record.leaseUntil ?? 0) <= now || deadOwners?.has(record.owner) === true
    case "suspended":
      return record.wakeAt !== null && record.wakeAt <= now
    default:
      return false
  }
}
