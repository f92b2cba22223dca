/**
 * Writing the PostgreSQL store's SQL: the tables' names, the conditions
 * several statements share (active and final statuses, a passed lease, a
 * claim), and statements written with named placeholders (`$name`) bound to
 * positional ones.
 *
 * @internal
 */
import * as RunStatus from "../../../RunStatus.js"
import { activeStatuses, finalStatuses, RowDecodeError, runColumns } from "../schema.js"

/** The tables' names as SQL (quoted, schema-qualified when a schema is given). */
export interface Names {
  readonly runs: string
  readonly steps: string
  readonly snapshots: string
  readonly signals: string
  readonly starts: string
  readonly schedules: string
  readonly search: string
  readonly history: string
  readonly workers: string
}

/** A PostgreSQL identifier, quoted. */
export const quote = (identifier: string): string => `"${identifier.replaceAll("\"", "\"\"")}"`

/** The tables of `prefix` (e.g. `weft_`) in `schema` (the connection's search path when `undefined`). */
export const names = (prefix: string, schema: string | undefined): Names => {
  const name = (table: string) => schema === undefined ? quote(prefix + table) : `${quote(schema)}.${quote(prefix + table)}`
  return {
    runs: name("runs"),
    steps: name("steps"),
    snapshots: name("snapshots"),
    signals: name("signals"),
    starts: name("queue_starts"),
    schedules: name("schedules"),
    search: name("search"),
    history: name("history"),
    workers: name("workers")
  }
}

/** The statuses of an active run, as an SQL list. */
export const active = activeStatuses
/** The final statuses, as an SQL list. */
export const final = finalStatuses
/** Every status, in order. */
export const statuses: ReadonlyArray<string> = RunStatus.all
/** A running run nobody holds at `now`: no owner, or a lease that has passed (each part on an index). */
export const leasePassed = (now: string) => `(owner IS NULL OR lease_until IS NULL OR lease_until <= ${now})`

/**
 * What a claim sets: running, owned, leased, its generation bumped, its wait cleared; a claim of a run whose
 * execution died (running, owned) is one more recovery attempt.
 */
export const take = "status = 'running', owner = $owner, lease_until = $leaseUntil, generation = generation + 1, " +
  "wake_at = NULL, waiting_for = NULL, " +
  "recovery_attempts = recovery_attempts + (CASE WHEN status = 'running' AND owner IS NOT NULL THEN 1 ELSE 0 END)"

/** `columns` (a comma-separated list) each prefixed with `alias.`. */
export const qualified = (alias: string, columns: string) =>
  columns.split(",").map((c) => `${alias}.${c.trim()}`).join(", ")

/**
 * A run's columns as the row readers expect them ({@link runColumns}), from
 * `t` (the runs table's alias): its cursor (`seq`) and the step part of its
 * `updated_at` read from its last step row (probes of the steps' primary
 * key `(run_id, seq)`), as a checkpoint does not update the run's row; each
 * the later of the two, so that a row's own (a migration's step, a pause, an
 * end, or a checkpoint of an earlier weft) counts too.
 */
export const runRow = (n: Names, t: string): string =>
  runColumns.split(",").map((c) => c.trim()).map((c) =>
    c === "seq"
      ? `GREATEST(${t}.seq, COALESCE((SELECT max(s.seq) FROM ${n.steps} s WHERE s.run_id = ${t}.run_id), 0)) AS seq`
      : c === "updated_at"
      ? `GREATEST(${t}.updated_at, (SELECT s.ended_at FROM ${n.steps} s WHERE s.run_id = ${t}.run_id ORDER BY s.seq DESC LIMIT 1))
  AS updated_at`
      : `${t}.${c}`
  ).join(", ")

/** A number column (or `null`), or the row does not read back. */
export const number = (table: string, column: string, value: unknown): number | null => {
  if (value === null || value === undefined) return null
  const n = Number(value)
  if (typeof value === "boolean" || !Number.isFinite(n)) {
    throw new RowDecodeError(table, column, `expected a number, got ${JSON.stringify(value)}`)
  }
  return n
}

/** A statement and its values, ready to send. */
export type Bound = readonly [string, ReadonlyArray<unknown>]

/**
 * Named placeholders (`$name`) as positional ones (`$1`), with the values
 * in that order: the statements read as what they do.
 */
export const statement = (text: string) => {
  const order: Array<string> = []
  const sql = text.replace(/\$([a-zA-Z]\w*)/g, (_, name: string) => {
    let index = order.indexOf(name)
    if (index < 0) index = order.push(name) - 1
    return `$${index + 1}`
  })
  return (values: Readonly<Record<string, unknown>>): Bound => [
    sql,
    order.map((name) => {
      if (!(name in values)) throw new Error(`internal: no value for $${name}`)
      return values[name]
    })
  ]
}

/** The part of a statement that notifies `$channel` once `done` has rows (delivered at commit). */
export const notify = `, notified AS (SELECT pg_notify($channel, '') FROM done)`
/** A term that makes the statement wait for its notification (adds 0). */
export const notifyCount = `(SELECT count(*) FROM notified)`
