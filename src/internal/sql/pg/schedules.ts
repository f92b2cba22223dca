/**
 * The PostgreSQL store's schedules (`weft_schedules`): their SQL, each
 * operation one statement.
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type { Row } from "../schema.js"
import { scheduleColumns } from "../schema.js"
import type { Exec } from "./queries.js"
import { type Names, statement } from "./sql.js"

/** A schedule's definition as stored (text encoded, input as JSON text or `null`). */
export interface ScheduleRow {
  readonly name: string
  readonly templateName: string
  readonly templateVersion: string
  readonly cron: string
  readonly timeZone: string | null
  readonly input: string | null
  readonly overlap: string
  readonly catchUp: string
  readonly catchUpMax: number
  readonly queue: string
  readonly createdAt: number
  readonly now: number
}

/** The schedules' queries (every text parameter already encoded). */
export interface ScheduleQueries {
  /** Inserts a schedule; `false` when one of that name exists (nothing written). */
  readonly insert: (p: ScheduleRow) => Effect.Effect<boolean, SqlError>
  /** Replaces a schedule's definition, keeping its paused flag and tick history. */
  readonly replace: (p: ScheduleRow) => Effect.Effect<boolean, SqlError>
  readonly all: Effect.Effect<ReadonlyArray<Row>, SqlError>
  readonly pause: (name: string, paused: boolean, now: number) => Effect.Effect<boolean, SqlError>
  readonly delete: (name: string) => Effect.Effect<boolean, SqlError>
  readonly markTick: (name: string, tick: number, runId: string | null) => Effect.Effect<void, SqlError>
  readonly swapBuffered: (name: string, expected: number | null, next: number | null) => Effect.Effect<boolean, SqlError>
}

/** The schedules' queries on the tables `n`. */
export const scheduleQueries = ({ count, rows }: Exec, n: Names): ScheduleQueries => {
  const insert = statement(`WITH done AS (
  INSERT INTO ${n.schedules} (${scheduleColumns})
  VALUES ($name, $templateName, $templateVersion, $cron, $timeZone, $input, $overlap, $catchUp, $catchUpMax, $queue,
    0, $createdAt, $now, NULL, NULL, NULL)
  ON CONFLICT (name) DO NOTHING RETURNING name
) SELECT count(*) AS n FROM done`)
  const replace = statement(`WITH done AS (
  UPDATE ${n.schedules} SET template_name = $templateName, template_version = $templateVersion, cron = $cron,
    time_zone = $timeZone, input = $input, overlap = $overlap, catch_up = $catchUp, catch_up_max = $catchUpMax,
    queue = $queue, updated_at = $now
  WHERE name = $name RETURNING name
) SELECT count(*) AS n FROM done`)
  const all = statement(`SELECT ${scheduleColumns} FROM ${n.schedules} ORDER BY name`)
  const pause = statement(`WITH done AS (
  UPDATE ${n.schedules} SET paused = $paused, updated_at = $now WHERE name = $name RETURNING name
) SELECT count(*) AS n FROM done`)
  const remove = statement(`WITH done AS (DELETE FROM ${n.schedules} WHERE name = $name RETURNING name)
SELECT count(*) AS n FROM done`)
  const markTick = statement(`UPDATE ${n.schedules}
SET last_tick = GREATEST(COALESCE(last_tick, $tick::bigint), $tick::bigint), last_run_id = COALESCE($runId::text, last_run_id)
WHERE name = $name`)
  const swapBuffered = statement(`WITH done AS (
  UPDATE ${n.schedules} SET buffered_tick = $next::bigint
  WHERE name = $name AND buffered_tick IS NOT DISTINCT FROM $expected::bigint RETURNING name
) SELECT count(*) AS n FROM done`)
  const one = (e: Effect.Effect<number, SqlError>) => Effect.map(e, (changed) => changed === 1)
  return {
    insert: (p) => Effect.suspend(() => one(count(insert({ ...p })))),
    replace: (p) => Effect.suspend(() => one(count(replace({ ...p })))),
    all: Effect.suspend(() => rows(all({}))),
    pause: (name, paused, now) => Effect.suspend(() => one(count(pause({ name, paused: paused ? 1 : 0, now })))),
    delete: (name) => Effect.suspend(() => one(count(remove({ name })))),
    markTick: (name, tick, runId) => Effect.suspend(() => Effect.asVoid(rows(markTick({ name, tick, runId })))),
    swapBuffered: (name, expected, next) => Effect.suspend(() => one(count(swapBuffered({ name, expected, next }))))
  }
}
