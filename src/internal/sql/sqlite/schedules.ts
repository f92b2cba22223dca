/**
 * The SQLite store's schedules (`weft_schedules`) and the follow-up runs of
 * event triggers, recorded inside the transaction that ends a run.
 *
 * @internal
 */
import type { Effect } from "effect"
import type { PersistenceError } from "../../../Errors.js"
import type { LeaseLost, RunCancelled } from "../../../Errors.js"
import type { Ending, FollowUp, Lease, Service } from "../../../SnapshotStore.js"
import { errorJson, type Row, toJson, triggeredByJson } from "../rows.js"
import { refusal } from "./groupCommit.js"
import { scheduleColumns, toScheduleRecord } from "../schema.js"
import type { Connection } from "./connection.js"
import type { Statements } from "./statements.js"

/** A follow-up run's row: `running` with no owner (any engine claims it at once), generation 0. */
const insertReleased = `INSERT INTO weft_runs (run_id, template_name, template_version, status, seq, created_at,
  updated_at, timeout_ms, elapsed_ms, parent_id, root_id, queue, owner, lease_until, generation, trace_context,
  template_fingerprint, triggered_by)
VALUES (?, ?, ?, 'running', 0, ?, ?, ?, 0, NULL, ?, ?, NULL, NULL, 0, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`

/** Records follow-up runs (inside the caller's transaction); an id that exists is left as it is. */
export const insertFollowUps = (
  connection: Connection,
  st: Statements,
  followUps: ReadonlyArray<FollowUp> | undefined
): void => {
  if (followUps === undefined) return
  const insert = connection.prepare(insertReleased)
  for (const { run, state } of followUps) {
    const inserted = insert.run(
      run.runId,
      run.templateName,
      run.templateVersion,
      run.createdAt,
      run.createdAt,
      run.timeoutMillis,
      run.rootId,
      run.queue,
      run.traceContext,
      run.templateFingerprint ?? null,
      triggeredByJson(run.triggeredBy)
    ).changes === 1
    if (inserted) st.upsertSnapshot.run(run.runId, 0, toJson(state))
  }
}

/**
 * Ends a run while `lease` holds it (else the refusal): one statement, or, with follow-up runs, one
 * transaction that records them too.
 */
export const finishRun = (
  connection: Connection,
  st: Statements,
  runId: string,
  lease: Lease,
  ending: Ending,
  at: { readonly updatedAt: number; readonly elapsedMillis: number }
): RunCancelled | LeaseLost | undefined => {
  const end = () => {
    const changes = st.finish.run(
      ending.status,
      errorJson(ending.error),
      ending.expiresAt,
      at.updatedAt,
      at.elapsedMillis,
      runId,
      lease.generation
    ).changes
    if (changes !== 1) return refusal(st, runId, lease)
    // the runs of event triggers: recorded with the end, in its transaction
    insertFollowUps(connection, st, ending.followUps)
    return undefined
  }
  return ending.followUps === undefined || ending.followUps.length === 0 ? end() : connection.write(end)
}

const sql = {
  insert: `INSERT INTO weft_schedules (${scheduleColumns})
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, NULL, NULL, NULL) ON CONFLICT (name) DO NOTHING`,
  replace: `UPDATE weft_schedules SET template_name = ?, template_version = ?, cron = ?, time_zone = ?, input = ?,
  overlap = ?, catch_up = ?, catch_up_max = ?, queue = ?, updated_at = ? WHERE name = ?`,
  all: `SELECT ${scheduleColumns} FROM weft_schedules ORDER BY name`,
  pause: `UPDATE weft_schedules SET paused = ?, updated_at = ? WHERE name = ?`,
  delete: `DELETE FROM weft_schedules WHERE name = ?`,
  markTick: `UPDATE weft_schedules SET last_tick = MAX(COALESCE(last_tick, ?), ?), last_run_id = COALESCE(?, last_run_id)
WHERE name = ?`,
  swapBuffered: `UPDATE weft_schedules SET buffered_tick = ? WHERE name = ? AND buffered_tick IS ?`
} as const

/** The schedule operations on the store's connection; `op` runs one synchronously, faults mapped. */
export const scheduleOps = (
  connection: Connection,
  op: <A>(operation: string, fn: () => A) => Effect.Effect<A, PersistenceError>
): Pick<Service, "saveSchedule" | "schedules" | "pauseSchedule" | "deleteSchedule" | "markTick" | "swapBuffered"> => {
  const prepared = (text: string) => connection.prepare(text)
  return {
    saveSchedule: (d, { now, replace }) =>
      op("saveSchedule", () => {
        const input = d.input === null ? null : toJson(d.input)
        return connection.write(() => {
          const inserted = prepared(sql.insert).run(
            d.name,
            d.templateName,
            d.templateVersion,
            d.cron,
            d.timeZone,
            input,
            d.overlap,
            d.catchUp,
            d.catchUpMax,
            d.queue,
            d.createdAt,
            now
          ).changes === 1
          if (inserted) return "created" as const
          if (!replace) return "exists" as const
          prepared(sql.replace).run(
            d.templateName,
            d.templateVersion,
            d.cron,
            d.timeZone,
            input,
            d.overlap,
            d.catchUp,
            d.catchUpMax,
            d.queue,
            now,
            d.name
          )
          return "updated" as const
        })
      }),
    schedules: op("schedules", () => (prepared(sql.all).all() as ReadonlyArray<Row>).map(toScheduleRecord)),
    pauseSchedule: (name, paused, now) =>
      op("pauseSchedule", () => prepared(sql.pause).run(paused ? 1 : 0, now, name).changes === 1),
    deleteSchedule: (name) => op("deleteSchedule", () => prepared(sql.delete).run(name).changes === 1),
    markTick: (name, tick, runId) =>
      op("markTick", () => {
        prepared(sql.markTick).run(tick, tick, runId, name)
      }),
    swapBuffered: (name, expected, next) =>
      op("swapBuffered", () => prepared(sql.swapBuffered).run(next, name, expected).changes === 1)
  }
}
