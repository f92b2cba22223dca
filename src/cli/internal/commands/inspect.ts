/**
 * The commands that read runs: `list`, `status`, `trace`, `result`, `watch`
 * (follow one live, from any process) and `gc` (collect expired runs).
 *
 * @internal
 */
import { Command, Options } from "@effect/cli"
import { Clock, Duration, Effect } from "effect"
import { CliError, decoded, fromError, loadProject, out, runnable, templateOfRun, usage, withEngine } from "../context.js"
import { encodeCursor, parseDuration, parseListFilter } from "../decode.js"
import { watch } from "../follow.js"
import { configOption, formatOption, or, runIdArg } from "../options.js"
import { runFields, runJson, runsTable, stateJson, stateTable, stepJson, toJson, traceTable } from "../output.js"

export const listCommand = Command.make(
  "list",
  {
    config: configOption,
    format: formatOption,
    status: Options.text("status").pipe(
      Options.withAlias("s"),
      Options.withDescription(
        "Only runs with this status (queued, running, suspended, completed, failed, cancelled); repeat it or give a comma-separated list."
      ),
      Options.repeated
    ),
    template: Options.text("template").pipe(
      Options.withAlias("t"),
      Options.withDescription("Only runs of this template (its name)."),
      Options.optional
    ),
    since: Options.text("since").pipe(
      Options.withDescription("Only runs created at or after this time: an ISO date, or a duration ago (90s, 15m, 1h, 2d)."),
      Options.optional
    ),
    until: Options.text("until").pipe(
      Options.withDescription("Only runs created before this time: an ISO date, or a duration ago."),
      Options.optional
    ),
    limit: Options.integer("limit").pipe(
      Options.withAlias("n"),
      Options.withDescription("At most this many runs (1 to 1000)."),
      Options.withDefault(20)
    ),
    cursor: Options.text("cursor").pipe(
      Options.withDescription("The next page: the nextCursor of the previous page."),
      Options.optional
    )
  },
  (args) =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const filter = yield* decoded(parseListFilter({
        status: args.status,
        template: or(args.template),
        since: or(args.since),
        until: or(args.until),
        limit: args.limit,
        cursor: or(args.cursor)
      }, now))
      const project = yield* loadProject(or(args.config))
      yield* withEngine(project, { register: false }, (engine) =>
        Effect.gen(function*() {
          const runs = yield* Effect.mapError(
            engine.list({
              templateName: filter.templateName,
              status: filter.status.length === 0 ? undefined : filter.status.length === 1 ? filter.status[0] : filter.status,
              createdAfter: filter.createdAfter,
              createdBefore: filter.createdBefore,
              after: filter.after,
              limit: filter.limit
            }),
            fromError
          )
          const last = runs[runs.length - 1]
          const nextCursor = runs.length === filter.limit && last !== undefined
            ? encodeCursor({ createdAt: last.createdAt, runId: last.runId })
            : null
          const list = runs.map(runJson)
          if (args.format === "json") return yield* out(toJson({ runs: list, nextCursor }))
          yield* out(runsTable(list))
          if (nextCursor !== null) yield* out(`\nmore: weft list --cursor ${nextCursor} (with the same filters)`)
        }))
    })
).pipe(Command.withDescription("List runs, newest first, with filters and pages."))

export const statusCommand = Command.make(
  "status",
  { config: configOption, format: formatOption, runId: runIdArg },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      yield* withEngine(project, { register: false }, (engine) =>
        Effect.gen(function*() {
          const view = yield* Effect.mapError(engine.inspect(args.runId), fromError)
          const record = runJson(view.run)
          const position = { lastStep: view.position.lastStep, completedSteps: view.position.completedSteps }
          yield* out(
            args.format === "json"
              ? toJson({ ...record, position })
              : runFields(record, position.lastStep === null ? [] : [["last step", position.lastStep]])
          )
        }))
    })
).pipe(Command.withDescription(
  "Show a run's record: template, status, times, how far it got, what it waits for, its error."
))

export const traceCommand = Command.make(
  "trace",
  { config: configOption, format: formatOption, runId: runIdArg },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      yield* withEngine(project, { register: false }, (engine) =>
        Effect.gen(function*() {
          const record = yield* Effect.mapError(engine.status(args.runId), fromError)
          const steps = (yield* Effect.mapError(engine.trace(args.runId), fromError)).map(stepJson)
          yield* out(
            args.format === "json"
              ? toJson({ runId: args.runId, status: record.status, steps })
              : traceTable(steps)
          )
        }))
    })
).pipe(Command.withDescription(
  "Show a run's trace as a tree of its step keys, with status, attempts, durations and errors."
))

export const resultCommand = Command.make(
  "result",
  { config: configOption, format: formatOption, runId: runIdArg },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      yield* withEngine(project, { register: false }, (engine) =>
        Effect.gen(function*() {
          const { record, template } = yield* templateOfRun(project, engine, args.runId)
          if (record.status === "failed" || record.status === "cancelled") {
            const error = record.error
            return yield* new CliError({
              text: `run ${args.runId} ${record.status}${error === null ? "" : `: ${error.tag}: ${error.message}`}: it has no result`,
              exitCode: 1
            })
          }
          if (record.status !== "completed") {
            return yield* usage(`run ${args.runId} has not completed yet (it is ${record.status}): follow it with weft watch ${args.runId}`)
          }
          const result = yield* Effect.mapError(engine.result(runnable(template), args.runId), fromError)
          const state = stateJson(template, result.state as Record<string, unknown>)
          yield* out(
            args.format === "json"
              ? toJson({ ...runJson(record), state })
              : stateTable(state)
          )
        }))
    })
).pipe(Command.withDescription("Show a completed run's final state (each key as JSON)."))

export const watchCommand = Command.make(
  "watch",
  {
    config: configOption,
    format: formatOption,
    runId: runIdArg,
    interval: Options.text("interval").pipe(
      Options.withDescription("How often to look at the store (default 1s)."),
      Options.withDefault("1s")
    )
  },
  (args) =>
    Effect.gen(function*() {
      const interval = yield* decoded(parseDuration(args.interval, "--interval"))
      if (interval < 10) return yield* usage("--interval: at least 10ms")
      const project = yield* loadProject(or(args.config))
      yield* withEngine(project, { register: false }, (engine) =>
        watch({ engine, runId: args.runId, format: args.format, interval: Duration.millis(interval) }))
    })
).pipe(Command.withDescription(
  "Follow a run live until it ends (it may execute in another process): each step as it is recorded, each change " +
    "of status. With --format json, one JSON object per line. Exit code 1 when the run fails."
))

export const gcCommand = Command.make(
  "gc",
  { config: configOption, format: formatOption },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      yield* withEngine(project, { register: false }, (engine) =>
        Effect.gen(function*() {
          const collected = yield* Effect.mapError(engine.collectExpired, fromError)
          yield* out(args.format === "json" ? toJson({ collected }) : `collected ${collected} expired run(s)`)
        }))
    })
).pipe(Command.withDescription("Delete finished runs whose time to live has passed."))
