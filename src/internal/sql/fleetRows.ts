/**
 * Reading the rows of the fleet tables (migration 11: search attributes,
 * history, workers) back as records, shared by the SQL stores.
 *
 * @internal
 */
import * as RunStatus from "../../RunStatus.js"
import type { HistoryRecord, RunFilter, SearchCondition, SearchValue } from "../../SnapshotStore.js"
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
