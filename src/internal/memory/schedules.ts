/**
 * The in-memory store's schedules (`SnapshotStore` schedule operations):
 * one map, each operation one synchronous block.
 *
 * @internal
 */
import { Effect } from "effect"
import type { ScheduleRecord, Service } from "../../SnapshotStore.js"

/** The schedule operations over a map of schedules by name. */
export const scheduleOps = (
  schedules: Map<string, ScheduleRecord>
): Pick<Service, "saveSchedule" | "schedules" | "pauseSchedule" | "deleteSchedule" | "markTick" | "swapBuffered"> => ({
  saveSchedule: (definition, { now, replace }) =>
    Effect.sync(() => {
      const existing = schedules.get(definition.name)
      if (existing === undefined) {
        schedules.set(definition.name, {
          ...definition,
          paused: false,
          updatedAt: now,
          lastTick: null,
          lastRunId: null,
          bufferedTick: null
        })
        return "created" as const
      }
      if (!replace) return "exists" as const
      schedules.set(definition.name, { ...existing, ...definition, createdAt: existing.createdAt, updatedAt: now })
      return "updated" as const
    }),
  schedules: Effect.sync(() => Array.from(schedules.values()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))),
  pauseSchedule: (name, paused, now) =>
    Effect.sync(() => {
      const existing = schedules.get(name)
      if (existing === undefined) return false
      schedules.set(name, { ...existing, paused, updatedAt: now })
      return true
    }),
  deleteSchedule: (name) => Effect.sync(() => schedules.delete(name)),
  markTick: (name, tick, runId) =>
    Effect.sync(() => {
      const existing = schedules.get(name)
      if (existing === undefined) return
      schedules.set(name, {
        ...existing,
        lastTick: existing.lastTick === null ? tick : Math.max(existing.lastTick, tick),
        lastRunId: runId ?? existing.lastRunId
      })
    }),
  swapBuffered: (name, expected, next) =>
    Effect.sync(() => {
      const existing = schedules.get(name)
      if (existing === undefined || existing.bufferedTick !== expected) return false
      schedules.set(name, { ...existing, bufferedTick: next })
      return true
    })
})
