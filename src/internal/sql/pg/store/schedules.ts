/**
 * The PostgreSQL store's schedule operations: text encoded on the way in,
 * rows decoded on the way out, faults typed.
 *
 * @internal
 */
import { Effect } from "effect"
import type { ScheduleDefinition, Service } from "../../../../SnapshotStore.js"
import { toScheduleRecord } from "../../schema.js"
import type { Io } from "./io.js"

const scheduleText = ["name", "template_name", "template_version", "cron", "time_zone", "queue", "last_run_id"]

/** The schedule operations. */
export const schedules = (
  io: Io
): Pick<Service, "saveSchedule" | "schedules" | "pauseSchedule" | "deleteSchedule" | "markTick" | "swapBuffered"> => {
  const { decodeRow, decoded, encode, encodeNullable, json, op, q } = io
  const s = q.schedules
  const row = (d: ScheduleDefinition, input: string | null, now: number) => ({
    name: encode(d.name),
    templateName: encode(d.templateName),
    templateVersion: encode(d.templateVersion),
    cron: encode(d.cron),
    timeZone: encodeNullable(d.timeZone),
    input,
    overlap: d.overlap,
    catchUp: d.catchUp,
    catchUpMax: d.catchUpMax,
    queue: encode(d.queue),
    createdAt: d.createdAt,
    now
  })
  return {
    saveSchedule: (d, { now, replace }) =>
      Effect.flatMap(d.input === null ? Effect.succeed(null) : json("saveSchedule", d.input), (input) =>
        op(
          "saveSchedule",
          Effect.flatMap(s.insert(row(d, input, now)), (inserted) =>
            inserted
              ? Effect.succeed("created" as const)
              : !replace
              ? Effect.succeed("exists" as const)
              : Effect.as(s.replace(row(d, input, now)), "updated" as const))
        )),
    schedules: decoded("schedules", s.all, (rows) => rows.map((r) => toScheduleRecord(decodeRow(r, scheduleText)))),
    pauseSchedule: (name, paused, now) => op("pauseSchedule", s.pause(encode(name), paused, now)),
    deleteSchedule: (name) => op("deleteSchedule", s.delete(encode(name))),
    markTick: (name, tick, runId) => op("markTick", s.markTick(encode(name), tick, encodeNullable(runId))),
    swapBuffered: (name, expected, next) => op("swapBuffered", s.swapBuffered(encode(name), expected, next))
  }
}
