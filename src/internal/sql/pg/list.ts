/**
 * The statement of `list` (pages of run records, newest first).
 *
 * @internal
 */
import type { StoredFilter } from "./dialect.js"
import type { SearchCondition } from "../../../SnapshotStore.js"
import { searchGroups, searchPage, sqlOp } from "../fleetRows.js"
import { type Bound, leasePassed, type Names, runRow, statuses } from "./sql.js"

/**
 * The runs whose search attributes satisfy the conditions: the candidates
 * from the driving attribute's index, each other attribute checked by its
 * `(run_id, name)` key; when the listing filters on nothing else than
 * `weft_search` carries (time range, cursor), the page itself, newest first
 * and limited, chosen in that index.
 */
const searchTerm = (n: Names, filter: StoredFilter, p: (value: unknown, cast: string) => string): string => {
  const terms = (alias: string, conditions: ReadonlyArray<SearchCondition>) =>
    conditions.map(({ op, value }) =>
      typeof value === "number"
        ? `${alias}.value_num ${sqlOp(op)} ${p(value, "double precision")}`
        : `${alias}.value_text ${sqlOp(op)} ${p(value, "text")}`
    ).join(" AND ")
  const groups = searchGroups(filter.where ?? [])
  const [key, conditions] = groups[0]!
  const range = [`d.name = ${p(key, "text")}`, terms("d", conditions)]
  for (const [other, others] of groups.slice(1)) {
    range.push(`EXISTS (SELECT 1 FROM ${n.search} s WHERE s.run_id = d.run_id AND s.name = ${p(other, "text")} AND ${
      terms("s", others)
    })`)
  }
  if (!searchPage(filter)) return `run_id IN (SELECT d.run_id FROM ${n.search} d WHERE ${range.join(" AND ")})`
  if (filter.createdAfter !== undefined) range.push(`d.created_at >= ${p(filter.createdAfter, "bigint")}`)
  if (filter.createdBefore !== undefined) range.push(`d.created_at < ${p(filter.createdBefore, "bigint")}`)
  if (filter.after !== undefined) {
    range.push(`(d.created_at, d.run_id) < (${p(filter.after.createdAt, "bigint")}, ${p(filter.after.runId, "text")})`)
  }
  // the limit in the text (a whole number): a generic plan then knows the page is small
  return `run_id IN (SELECT d.run_id FROM ${n.search} d WHERE ${range.join(" AND ")}
  ORDER BY d.created_at DESC, d.run_id DESC LIMIT ${Math.max(0, Math.floor(filter.limit!))})`
}

/**
 * `list`'s statement: its filter as conditions, newest first. A filter on
 * several statuses, or on claimability, is a `UNION ALL` of one branch
 * per status (each newest first on the `(status, created_at, run_id)`
 * index, or on the claimable runs' own indexes, and limited), so that
 * finding the few active runs among many finished ones never scans the
 * finished ones.
 */
export const listStatement = (n: Names, filter: StoredFilter): Bound => {
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
  if (filter.forkedFrom !== undefined) common.push(`forked_from = ${p(filter.forkedFrom, "text")}`)
  if (filter.runIdPrefix !== undefined) {
    // `~>=~`/`~<~`: bytewise comparison, on the `text_pattern_ops` index whatever the collation
    const prefix = p(filter.runIdPrefix, "text")
    common.push(`run_id ~>=~ ${prefix} AND run_id ~<~ (${prefix} || chr(1114111)) AND left(run_id, length(${prefix})) = ${prefix}`)
  }
  if (filter.where !== undefined && filter.where.length > 0) common.push(searchTerm(n, filter, p))
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
      ["running", `status = 'running' AND paused_from IS NULL AND ${leasePassed(at)}`],
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
    return `SELECT ${runRow(n, "r")} FROM ${n.runs} r${where.length === 0 ? "" : ` WHERE ${where.join(" AND ")}`}`
  }
  const text = branches.length === 1
    ? `${select(branches[0])} ${order}${limit}`
    : `SELECT * FROM (${branches.map((b) => `(${select(b)} ${order}${limit})`).join(" UNION ALL ")}) x ${order}${limit}`
  return [text, params]
}
