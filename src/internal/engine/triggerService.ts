/**
 * The engine's operations on triggers (Engine.ts types them): declaring a
 * trigger (a cron schedule is saved in the store, again at each start), the
 * stored schedules at run time, and webhook deliveries.
 *
 * @internal
 */
import { Clock, Effect } from "effect"
import * as Errors from "../../Errors.js"
import type * as Template from "../../Template.js"
import type * as Trigger from "../../Trigger.js"
import { retryTransient } from "../run/checkpoint.js"
import * as Runs from "./runs.js"
import { nextTicks, saveSchedule } from "./schedules.js"
import { deliver, type TriggerRegistry } from "./triggers.js"

/** What the operations need. */
export interface TriggerDeps {
  readonly runs: Runs.RunsDeps
  readonly triggers: TriggerRegistry
  /** Makes the ticker look at the schedules now. */
  readonly nudge: Effect.Effect<void>
}

/** Declares a trigger: its templates registered, a schedule saved (replacing its stored definition). */
const declare = (deps: TriggerDeps) =>
(
  trigger: Trigger.Trigger<unknown>
): Effect.Effect<void, Errors.TemplateConflict | Errors.InvalidSchedule | Errors.PersistenceError, unknown> =>
  Effect.gen(function*() {
    const register = (template: Template.Template.Any) => Runs.register(deps.runs)(template)
    switch (trigger._tag) {
      case "Cron":
        yield* register(trigger.template)
        yield* saveSchedule(deps.runs.store, {
          name: trigger.name,
          template: trigger.template,
          cron: trigger.cron,
          timeZone: trigger.timeZone ?? null,
          input: trigger.input._tag === "Fixed" ? { typed: trigger.input.value } : null,
          overlap: trigger.overlap,
          catchUp: trigger.catchUp,
          catchUpMax: trigger.catchUpMax,
          queue: trigger.queue
        }, true).pipe(Effect.catchTag("ScheduleExists", Effect.die))
        break
      case "Webhook":
        yield* register(trigger.template)
        break
      case "OnEnd":
        yield* register(trigger.from)
        yield* register(trigger.to)
    }
    deps.triggers.add(trigger)
    if (trigger._tag === "Cron") yield* deps.nudge
  })

/** The stored schedules at run time. */
const schedules = (deps: TriggerDeps): Trigger.Schedules => {
  const { store } = deps.runs
  const view = (now: number) => (s: Parameters<typeof nextTicks>[0]): Trigger.ScheduleView => ({
    ...s,
    nextTicks: s.paused ? [] : nextTicks(s, now, 3)
  })
  const list = Effect.flatMap(Clock.currentTimeMillis, (now) => Effect.map(retryTransient(store.schedules), (all) => all.map(view(now))))
  const found = (name: string) => (changed: boolean) =>
    changed ? Effect.void : Effect.fail(new Errors.ScheduleNotFound({ schedule: name }))
  // the ticks while a schedule was paused are not started: resuming marks them handled
  const pause = (paused: boolean) => (name: string) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.all([
        Effect.flatMap(retryTransient(store.pauseSchedule(name, paused, now)), found(name)),
        paused ? Effect.void : retryTransient(store.markTick(name, now, null)),
        deps.nudge
      ], { discard: true }))
  return {
    list,
    create: (options) =>
      Effect.gen(function*() {
        const registry = deps.runs.registry
        const template = options.version !== undefined
          ? registry.get(options.template, options.version)?.template
          : registry.templates().filter((t) => t.name === options.template).at(-1)
        if (template === undefined) {
          return yield* new Errors.InvalidSchedule({
            schedule: options.name,
            reason: `template ${JSON.stringify(options.template)} is not registered here`
          })
        }
        yield* saveSchedule(store, {
          name: options.name,
          template,
          cron: options.cron,
          timeZone: options.timeZone ?? null,
          input: { json: options.input },
          overlap: options.overlap ?? "skip",
          catchUp: options.catchUp ?? "none",
          catchUpMax: options.catchUpMax ?? 10,
          queue: options.queue
        }, false)
        yield* deps.nudge
        const all = yield* list
        const created = all.find((s) => s.name === options.name)
        return created ?? (yield* new Errors.ScheduleNotFound({ schedule: options.name }))
      }),
    pause: pause(true),
    resume: pause(false),
    delete: (name) => Effect.flatMap(retryTransient(store.deleteSchedule(name)), found(name))
  }
}

/** The trigger operations of the engine service. */
export const makeTriggerService = (deps: TriggerDeps) => ({
  trigger: declare(deps),
  triggers: Effect.sync(() => deps.triggers.all()),
  schedules: schedules(deps),
  deliver: deliver(deps.runs, deps.triggers)
})
