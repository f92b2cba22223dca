/**
 * The handlers of the schedules group: the engine's stored schedules and
 * declared triggers, as JSON.
 *
 * @internal
 */
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import * as Engine from "../../Engine.js"
import * as Errors from "../../Errors.js"
import * as Trigger from "../../Trigger.js"
import * as Api from "../Api.js"

/** A schedule as the API sends it. */
export const toSchedule = (view: Trigger.ScheduleView): typeof Api.Schedule.Type => ({
  name: view.name,
  templateName: view.templateName,
  templateVersion: view.templateVersion,
  cron: view.cron,
  timeZone: view.timeZone,
  input: view.input,
  overlap: view.overlap,
  catchUp: view.catchUp,
  catchUpMax: view.catchUpMax,
  queue: view.queue,
  paused: view.paused,
  createdAt: view.createdAt,
  updatedAt: view.updatedAt,
  lastTick: view.lastTick,
  lastRunId: view.lastRunId,
  bufferedTick: view.bufferedTick,
  nextTicks: view.nextTicks.map((d) => d.getTime())
})

/** The schedules group, over the engine in context. */
export const group = HttpApiBuilder.group(Api.Api, "schedules", (handlers) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const one = (name: string) =>
      Effect.flatMap(engine.schedules.list, (all) => {
        const found = all.find((s) => s.name === name)
        return found === undefined ? Effect.fail(new Errors.ScheduleNotFound({ schedule: name })) : Effect.succeed(toSchedule(found))
      })
    return handlers
      .handle("list", () => Effect.map(engine.schedules.list, (all) => all.map(toSchedule)))
      .handle("create", ({ payload }) => Effect.map(engine.schedules.create(payload), toSchedule))
      .handle("pause", ({ path }) => Effect.zipRight(engine.schedules.pause(path.name), one(path.name)))
      .handle("resume", ({ path }) => Effect.zipRight(engine.schedules.resume(path.name), one(path.name)))
      .handle("delete", ({ path }) => Effect.as(engine.schedules.delete(path.name), { name: path.name }))
      .handle("triggers", () => Effect.map(engine.triggers, (all) => all.map(Trigger.info)))
  }))
