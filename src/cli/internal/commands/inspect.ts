/**
 * The commands that read runs: `list`, `status`, `trace`, `result`, `watch`
 * (follow one live, from any process) and `gc` (collect expired runs).
 *
 * @internal
 */
import { Options } from "@effect/cli"
import { Clock, Duration, Effect } from "effect"
import { Engine } from "../../../index.js"
import { CliContext, command, runnable, templateOfRun } from "../context.js"
import { decoded, failure, usage } from "../errors.js"
import { encodeCursor, parseDuration, parseListFilter } from "../decode.js"
import { watch } from "../follow.js"
import { or, runIdArg } from "../options.js"
import { runJson, stateJson, stepJson } from "../output.js"

export const listCommand = command("list", {
  status: Options.text("status").pipe(
    Options.withAlias("s"),
    Options.withDescription(
      "Only runs with this status (queued, running, suspended, paused, completed, failed, cancelled); repeat it or give a comma-separated list."
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
  ),
  where: Options.text("where").pipe(
    Options.withAlias("w"),
    Options.withDescription(
      "Only runs whose search attribute satisfies key<op>value (op: = != < <= > >=; a number compares as one, \"…\" forces text), e.g. orderId=4711 or amount>100; repeat it (all must hold)."
    ),
    Options.repeated
  ),
  prefix: Options.text("prefix").pipe(Options.withDescription("Only runs whose id starts with this."), Options.optional),
  forkedFrom: Options.text("forked-from").pipe(
    Options.withDescription("Only the forks of this run (runs forked from it with weft fork, the API or the web view)."),
    Options.optional
  )
}, { engine: "read", description: "List runs, newest first, with filters (search attributes, id prefix, time) and pages." }, (args) =>
  Effect.gen(function*() {
    const filter = yield* decoded(parseListFilter({
      status: args.status,
      template: or(args.template),
      since: or(args.since),
      until: or(args.until),
      limit: args.limit,
      cursor: or(args.cursor),
      where: args.where,
      prefix: or(args.prefix),
      forkedFrom: or(args.forkedFrom)
    }, yield* Clock.currentTimeMillis))
    const engine = yield* Engine.Engine
    const runs = yield* engine.list({
      templateName: filter.templateName,
      status: filter.status.length === 0 ? undefined : filter.status.length === 1 ? filter.status[0] : filter.status,
      createdAfter: filter.createdAfter,
      createdBefore: filter.createdBefore,
      after: filter.after,
      limit: filter.limit,
      where: filter.where,
      runIdPrefix: filter.runIdPrefix,
      forkedFrom: filter.forkedFrom
    })
    const last = runs[runs.length - 1]
    const nextCursor = runs.length === filter.limit && last !== undefined
      ? encodeCursor({ createdAt: last.createdAt, runId: last.runId })
      : null
    return { _tag: "Runs", runs: runs.map(runJson), nextCursor } as const
  }))

export const statusCommand = command("status", { runId: runIdArg }, {
  engine: "read",
  description: "Show a run's record: template, status, times, how far it got, what it waits for, its error."
}, (args) =>
  Effect.gen(function*() {
    const view = yield* (yield* Engine.Engine).inspect(args.runId)
    const { completedSteps, lastStep } = view.position
    return { _tag: "Status", run: runJson(view.run), position: { lastStep, completedSteps } } as const
  }))

export const traceCommand = command("trace", { runId: runIdArg }, {
  engine: "read",
  description: "Show a run's trace as a tree of its step keys, with status, attempts, durations and errors."
}, (args) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const record = yield* engine.status(args.runId)
    const steps = (yield* engine.trace(args.runId)).map(stepJson)
    return { _tag: "Trace", runId: args.runId, status: record.status, steps } as const
  }))

export const resultCommand = command("result", { runId: runIdArg }, {
  engine: "read",
  description: "Show a completed run's final state (each key as JSON)."
}, (args) =>
  Effect.gen(function*() {
    const { record, template } = yield* templateOfRun(args.runId)
    if (record.status === "failed" || record.status === "cancelled") {
      const error = record.error
      return yield* failure(
        `run ${args.runId} ${record.status}${error === null ? "" : `: ${error.tag}: ${error.message}`}: it has no result`
      )
    }
    if (record.status !== "completed") {
      return yield* usage(`run ${args.runId} has not completed yet (it is ${record.status}): follow it with weft watch ${args.runId}`)
    }
    const result = yield* (yield* Engine.Engine).result(runnable(template), args.runId)
    const state = stateJson(template, result.state as Record<string, unknown>)
    return { _tag: "Result", run: runJson(record), state } as const
  }))

export const watchCommand = command("watch", {
  runId: runIdArg,
  interval: Options.text("interval").pipe(
    Options.withDescription("How often to look at the store (default 1s)."),
    Options.withDefault("1s")
  )
}, {
  engine: "read",
  description:
    "Follow a run live until it ends (it may execute in another process): each step as it is recorded, each change " +
    "of status. With --format json, one JSON object per line. Exit code 1 when the run fails."
}, (args) =>
  Effect.gen(function*() {
    const interval = yield* decoded(parseDuration(args.interval, "--interval"))
    if (interval < 10) return yield* usage("--interval: at least 10ms")
    const { format } = yield* CliContext
    return yield* watch({ engine: yield* Engine.Engine, runId: args.runId, format, interval: Duration.millis(interval) })
  }))

export const gcCommand = command("gc", {}, {
  engine: "write",
  description: "Delete finished runs whose time to live has passed."
}, () =>
  Effect.map(
    Effect.flatMap(Engine.Engine, (engine) => engine.collectExpired),
    (collected) => ({ _tag: "Collected", collected }) as const
  ))
