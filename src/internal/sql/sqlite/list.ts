/**
 * The SQLite store's `list` statement, composed with the `SqlClient`'s
 * fragments: each filter field a condition on an index (the partial index
 * of active runs when only active runs can match; a search attribute's
 * `(name, value, created_at)` index of `weft_search`; the primary key for a
 * run-id prefix), newest first.
 *
 * @internal
 */
import type { SqlClient } from "@effect/sql/SqlClient"
import type { Statement } from "@effect/sql/Statement"
import * as RunStatus from "../../../RunStatus.js"
import type { RunFilter, SearchCondition } from "../../../SnapshotStore.js"
import { activeTerm, type Row } from "../schema.js"
import { searchGroups, searchPage, sqlOp } from "../fleetRows.js"
import { runSelect } from "./statements.js"

/** An attribute's conditions on `s` (a `weft_search` row). */
const attributeTerms = (sql: SqlClient, conditions: ReadonlyArray<SearchCondition>) =>
  sql.and(conditions.map(({ op, value }) =>
    sql`s.${sql.literal(typeof value === "number" ? "value_num" : "value_text")} ${sql.literal(sqlOp(op))} ${value}`
  ))

/**
 * The runs whose search attributes satisfy the conditions: the candidates
 * from the driving attribute's index (`r.run_id IN (…)`), each other
 * attribute checked by its `(run_id, name)` key; with `page`, the page
 * itself (newest first, time range, cursor, limit) chosen in that index.
 */
const searchTerm = (sql: SqlClient, filter: RunFilter, page: boolean) => {
  const groups = searchGroups(filter.where ?? [])
  const [key, conditions] = groups[0]!
  const others = groups.slice(1)
  const checks = others.map(([other, terms]) =>
    sql`EXISTS (SELECT 1 FROM weft_search s WHERE s.run_id = d.run_id AND s.name = ${other} AND ${attributeTerms(sql, terms)})`
  )
  if (!page) {
    return sql`r.run_id IN (SELECT d.run_id FROM weft_search d WHERE d.name = ${key} AND ${
      sql.and([driverTerms(sql, conditions), ...checks])
    })`
  }
  const range: Array<ReturnType<typeof sql.and>> = [driverTerms(sql, conditions), ...checks]
  if (filter.createdAfter !== undefined) range.push(sql`d.created_at >= ${filter.createdAfter}`)
  if (filter.createdBefore !== undefined) range.push(sql`d.created_at < ${filter.createdBefore}`)
  const after = filter.after
  if (after !== undefined) {
    range.push(sql`(d.created_at < ${after.createdAt} OR (d.created_at = ${after.createdAt} AND d.run_id < ${after.runId}))`)
  }
  return sql`r.run_id IN (SELECT d.run_id FROM weft_search d WHERE d.name = ${key} AND ${sql.and(range)}
  ORDER BY d.created_at DESC, d.run_id DESC LIMIT ${Math.max(0, Math.floor(filter.limit!))})`
}

/** The driving attribute's conditions on `d`. */
const driverTerms = (sql: SqlClient, conditions: ReadonlyArray<SearchCondition>) =>
  sql.and(conditions.map(({ op, value }) =>
    sql`d.${sql.literal(typeof value === "number" ? "value_num" : "value_text")} ${sql.literal(sqlOp(op))} ${value}`
  ))

/** The statement of `list(filter)`; `undefined` when nothing can match (an empty status list). */
export const listStatement = (sql: SqlClient, filter: RunFilter): Statement<Row> | undefined => {
  const statuses = typeof filter.status === "string" ? [filter.status] : filter.status
  if (statuses !== undefined && statuses.length === 0) return undefined
  const where: Array<ReturnType<typeof sql.and>> = []
  const { after, claimableAt: at, rootId } = filter
  if (filter.templateName !== undefined) where.push(sql`r.template_name = ${filter.templateName}`)
  if (statuses !== undefined) where.push(sql`r.status IN ${sql.in(statuses)}`)
  // the term of the partial index of active runs, when only active runs can match: that index, not
  // a scan of every run (the poller asks for claimable runs every poll interval)
  if (at !== undefined || (statuses !== undefined && statuses.every(RunStatus.isActive))) {
    where.push(sql.literal(`r.${activeTerm}`))
  }
  if (filter.createdAfter !== undefined) where.push(sql`r.created_at >= ${filter.createdAfter}`)
  if (filter.createdBefore !== undefined) where.push(sql`r.created_at < ${filter.createdBefore}`)
  if (filter.wakeBefore !== undefined) where.push(sql`r.status = 'suspended' AND r.wake_at <= ${filter.wakeBefore}`)
  if (at !== undefined) {
    where.push(sql`(r.status = 'queued'
  OR (r.status = 'running' AND r.paused_from IS NULL AND (r.owner IS NULL OR COALESCE(r.lease_until, 0) <= ${at}))
  OR (r.status = 'suspended' AND r.wake_at <= ${at}))`)
  }
  if (filter.queue !== undefined) where.push(sql`r.queue = ${filter.queue}`)
  if (filter.parentId !== undefined) where.push(sql`r.parent_id = ${filter.parentId}`)
  if (filter.forkedFrom !== undefined) where.push(sql`r.forked_from = ${filter.forkedFrom}`)
  // the top-level run by its key, its descendants by the partial index of child runs
  if (rootId !== undefined) where.push(sql`(r.run_id = ${rootId} OR (r.parent_id IS NOT NULL AND r.root_id = ${rootId}))`)
  if (filter.runIdPrefix !== undefined) {
    // a range of the primary key (text compares bytewise), then the prefix itself; as a subquery, so that
    // the planner drives the query from that range rather than from the newest-first index
    const prefix = filter.runIdPrefix
    where.push(sql`r.run_id IN (SELECT p.run_id FROM weft_runs p WHERE p.run_id >= ${prefix}
  AND p.run_id < ${prefix} || char(1114111) AND substr(p.run_id, 1, length(${prefix})) = ${prefix})`)
  }
  if (filter.where !== undefined && filter.where.length > 0) where.push(searchTerm(sql, filter, searchPage(filter)))
  if (after !== undefined) {
    where.push(sql`(r.created_at < ${after.createdAt} OR (r.created_at = ${after.createdAt} AND r.run_id < ${after.runId}))`)
  }
  const limit = filter.limit === undefined ? sql.literal("") : sql`LIMIT ${Math.max(0, Math.floor(filter.limit))}`
  // the page is chosen first, on the runs' own columns; each run's cursor (its last step) is joined to it only
  const [head, tail] = runSelect.split("FROM weft_runs r")
  return sql<Row>`${sql.literal(head!)} FROM (SELECT * FROM weft_runs r WHERE ${sql.and(where)}
ORDER BY r.created_at DESC, r.run_id DESC ${limit}) r ${sql.literal(tail!)}
ORDER BY r.created_at DESC, r.run_id DESC`
}
