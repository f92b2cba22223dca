/**
 * Runs that start themselves, on the command line: `weft schedules`
 * (list, create, pause, resume, delete the stored schedules) and `weft
 * triggers` (the project's declared triggers); `declareTriggers` declares
 * the project's triggers with the engine of `weft worker` and `weft serve`.
 *
 * @internal
 */
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import { Engine, Trigger } from "../../../index.js"
import { command, CurrentProject } from "../context.js"
import { failure, fromError, usage } from "../errors.js"

/** A stored schedule as the command line prints it. */
export interface ScheduleJson {
  readonly name: string
  readonly template: string
  readonly cron: string
  readonly timeZone: string | null
  readonly paused: boolean
  readonly overlap: Trigger.Overlap
  readonly catchUp: Trigger.CatchUp
  readonly queue: string
  readonly input: unknown
  readonly lastTick: string | null
  readonly lastRunId: string | null
  readonly nextTicks: ReadonlyArray<string>
}

const iso = (ms: number | null) => ms === null ? null : new Date(ms).toISOString()

export const scheduleJson = (view: Trigger.ScheduleView): ScheduleJson => ({
  name: view.name,
  template: `${view.templateName}@${view.templateVersion}`,
  cron: view.cron,
  timeZone: view.timeZone,
  paused: view.paused,
  overlap: view.overlap,
  catchUp: view.catchUp,
  queue: view.queue,
  input: view.input,
  lastTick: iso(view.lastTick),
  lastRunId: view.lastRunId,
  nextTicks: view.nextTicks.map((d) => d.toISOString())
})

/** Declares the project's triggers with the engine in context (its services are the project's). */
export const declareTriggers = Effect.gen(function*() {
  const project = yield* CurrentProject
  const engine = yield* Engine.Engine
  for (const trigger of project.triggers) {
    yield* Effect.mapError(
      engine.trigger(trigger as Trigger.Trigger<never>),
      (error) => failure(`trigger ${trigger.name}: ${error.message}`)
    )
  }
  return project.triggers.length
})

const nameArg = Args.text({ name: "name" }).pipe(Args.withDescription("The schedule's name."))

const listSchedules = command("list", {}, { engine: "read", description: "List the stored schedules: next ticks, last run, paused or not." }, () =>
  Effect.map(Effect.flatMap(Engine.Engine, (engine) => engine.schedules.list), (all) => ({
    _tag: "Schedules",
    schedules: all.map(scheduleJson)
  }) as const))

const createSchedule = command("create", {
  name: nameArg,
  template: Options.text("template").pipe(Options.withAlias("t"), Options.withDescription("The template to start (name or name@version).")),
  cron: Options.text("cron").pipe(Options.withDescription("A cron expression: 5 fields, or 6 with seconds first.")),
  timeZone: Options.text("tz").pipe(Options.withDescription("An IANA time zone (default UTC)."), Options.optional),
  input: Options.text("input").pipe(Options.withDescription("Each tick's input, as JSON."), Options.withDefault("{}")),
  overlap: Options.choice("overlap", ["skip", "allow", "bufferOne"]).pipe(Options.withDefault("skip" as const)),
  catchUp: Options.choice("catch-up", ["none", "last", "all"]).pipe(Options.withDefault("none" as const)),
  queue: Options.text("queue").pipe(Options.withDescription("Queue each tick's run on this queue (for a worker)."), Options.optional)
}, { engine: "execute", description: "Create a stored schedule (its cron, time zone and input checked; nothing saved when wrong)." }, (args) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    let input: unknown
    try {
      input = JSON.parse(args.input)
    } catch {
      return yield* usage(`--input: not JSON: ${args.input}`)
    }
    const [template, version] = args.template.includes("@") ? args.template.split("@", 2) : [args.template, undefined]
    const created = yield* Effect.mapError(
      engine.schedules.create({
        name: args.name,
        template: template!,
        version,
        cron: args.cron,
        timeZone: Option.getOrUndefined(args.timeZone),
        input,
        overlap: args.overlap,
        catchUp: args.catchUp,
        queue: Option.getOrUndefined(args.queue)
      }),
      fromError
    )
    return { _tag: "Schedule", action: "created", schedule: scheduleJson(created) } as const
  }))

const change = (name: "pause" | "resume" | "delete", description: string) =>
  command(name, { name: nameArg }, { engine: "write", description }, (args) =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* Effect.mapError(engine.schedules[name](args.name), fromError)
      return { _tag: "ScheduleChanged", name: args.name, action: name } as const
    }))

export const schedulesCommand = Command.make("schedules").pipe(
  Command.withDescription("The stored cron schedules: list, create, pause, resume, delete."),
  Command.withSubcommands([
    listSchedules,
    createSchedule,
    change("pause", "Pause a schedule: its ticks start nothing until it is resumed."),
    change("resume", "Resume a paused schedule (the ticks it missed are not started)."),
    change("delete", "Delete a stored schedule (its runs stay; one declared in code comes back at the next start).")
  ])
)

export const triggersCommand = command("triggers", {}, {
  description: "List the project's triggers: cron schedules, webhooks and event triggers, with the templates they start."
}, () => Effect.map(CurrentProject, (project) => ({ _tag: "Triggers", triggers: project.triggers.map(Trigger.info) }) as const))
