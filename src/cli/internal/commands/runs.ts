/**
 * The commands that start and drive runs: `run` (here, followed live),
 * `start` (queued for a worker), `resume`, `signal` and `cancel`.
 *
 * @internal
 */
import { Args, type Command, Options } from "@effect/cli"
import { type Duration, Effect } from "effect"
import { Engine, RunStatus } from "../../../index.js"
import type { Template } from "../../../index.js"
import { CliContext, command, CurrentProject, resolveTemplate, runnable, templateOfRun } from "../context.js"
import { decoded, tagOf, usage } from "../errors.js"
import { parseJson, parseVars } from "../decode.js"
import { follow, followed } from "../follow.js"
import {
  inputFileOption,
  inputOption,
  or,
  readInput,
  readTimeout,
  runIdArg,
  runIdOption,
  templateArg,
  timeoutOption,
  varOption
} from "../options.js"
import { runJson } from "../output.js"
import { progress } from "../render.js"

/** Starts a run under a new id (refused when the id is taken). */
const startRun = (
  engine: Engine.Service,
  template: Template.Template.Any,
  input: object,
  options: {
    readonly runId: string
    readonly timeout: Duration.Duration | undefined
    readonly queue?: string | undefined
    readonly priority?: number | undefined
  }
) =>
  Effect.gen(function*() {
    const existing = yield* Effect.either(engine.status(options.runId))
    if (existing._tag === "Right") return yield* usage(`a run with id "${options.runId}" exists already`)
    return yield* engine.start(runnable(template), input, options)
  })

/** What `run` and `start` read: the template, its input, the timeout and the run's id. */
const newRun = {
  template: templateArg,
  input: inputOption,
  inputFile: inputFileOption,
  vars: varOption,
  timeout: timeoutOption,
  runId: runIdOption
}

/** The new run `run` and `start` describe. */
const readNewRun = (args: Command.Command.ParseConfig<typeof newRun>) =>
  Effect.gen(function*() {
    const project = yield* CurrentProject
    const template = yield* resolveTemplate(project, args.template, yield* decoded(parseVars(args.vars)))
    const input = yield* readInput(args.input, args.inputFile)
    const timeout = yield* readTimeout(args.timeout)
    return { template, input, timeout, runId: or(args.runId) ?? crypto.randomUUID() }
  })

export const runCommand = command("run", newRun, {
  engine: "execute",
  description: "Run a template here with live progress, then print its trace. Stops when the run ends or suspends " +
    "(waiting for a signal: send it with weft signal). Exit code 1 when the run fails."
}, (args) =>
  Effect.gen(function*() {
    const { input, runId, template, timeout } = yield* readNewRun(args)
    const engine = yield* Engine.Engine
    // follow subscribes to the engine's events before it launches the run: every event of it is seen
    const outcome = yield* follow({
      engine,
      runId,
      prepare: startRun(engine, template, input, { runId, timeout }),
      launch: (handle) => handle.await,
      print: progress((yield* CliContext).format),
      startSeq: 0
    })
    return yield* followed({ engine, template, runId, outcome })
  }).pipe(Effect.scoped))

export const startCommand = command("start", {
  ...newRun,
  queue: Options.text("queue").pipe(
    Options.withDescription("The queue a worker (weft worker) takes the run from."),
    Options.withDefault("default")
  ),
  priority: Options.integer("priority").pipe(
    Options.withDescription("The run's priority within its queue (default 0): workers take higher first."),
    Options.withDefault(0)
  )
}, {
  engine: "write",
  description: "Record a new run on a queue and print its id: a worker (weft worker) executes it, or weft resume <id> here."
}, (args) =>
  Effect.gen(function*() {
    const { input, runId, template, timeout } = yield* readNewRun(args)
    const engine = yield* Engine.Engine
    yield* startRun(engine, template, input, { runId, timeout, queue: args.queue, priority: args.priority })
    return { _tag: "Started", run: runJson(yield* engine.status(runId)) } as const
  }))

export const resumeCommand = command("resume", { runId: runIdArg, timeout: timeoutOption }, {
  engine: "execute",
  description: "Continue a stored run here from its last checkpoint, with live progress, until it ends or suspends."
}, (args) =>
  Effect.gen(function*() {
    const timeout = yield* readTimeout(args.timeout)
    const engine = yield* Engine.Engine
    const { record, template } = yield* templateOfRun(args.runId)
    if (RunStatus.isFinal(record.status)) {
      return yield* usage(`run ${args.runId} has ended (${record.status}): there is nothing to resume`)
    }
    const outcome = yield* follow({
      engine,
      runId: args.runId,
      prepare: Effect.void,
      launch: () => engine.resume(runnable(template), args.runId, { timeout }),
      print: progress((yield* CliContext).format),
      startSeq: record.seq
    })
    return yield* followed({ engine, template, runId: args.runId, outcome })
  }).pipe(Effect.scoped))

export const signalCommand = command("signal", {
  runId: runIdArg,
  name: Args.text({ name: "name" }).pipe(Args.withDescription("The signal's name (as in Durable.waitForSignal).")),
  payload: Args.text({ name: "payload" }).pipe(
    Args.withDescription("The signal's payload: JSON, checked against the wait's Schema."),
    Args.withDefault("null")
  ),
  detach: Options.boolean("detach").pipe(
    Options.withDescription("Only record the signal (a worker or a later weft resume goes on with the run).")
  )
}, {
  engine: "execute",
  description: "Send a signal to a suspended run (its payload is checked against the wait's Schema), then follow the run " +
    "here until it ends or suspends again (--detach: only record it)."
}, (args) =>
  Effect.gen(function*() {
    const payload = yield* decoded(parseJson(args.payload, "payload"))
    const engine = yield* Engine.Engine
    const rootId = (yield* engine.status(args.runId)).rootId
    const { record, template } = yield* templateOfRun(rootId)
    const recorded = { _tag: "SignalRecorded", signal: args.name, runId: args.runId } as const
    if (args.detach) {
      yield* engine.signal(args.runId, args.name, payload)
      return { ...recorded, run: runJson(yield* engine.status(args.runId)) }
    }
    const print = progress((yield* CliContext).format)
    // follow subscribes to the engine's events before the signal resumes the run
    const outcome = yield* follow({
      engine,
      runId: rootId,
      prepare: Effect.zipRight(
        engine.signal(args.runId, args.name, payload),
        print(`signal "${args.name}" recorded for run ${args.runId}`)
      ),
      // go on with the run here; when another engine (a worker) does, or already did, the store tells
      launch: () =>
        Effect.catchIf(
          engine.resume(runnable(template), rootId),
          (error) => tagOf(error) === "RunAlreadyActive" || tagOf(error) === "RunNotResumable",
          () => Effect.never
        ),
      print,
      startSeq: record.seq
    })
    return yield* followed({ engine, template, runId: rootId, outcome })
  }).pipe(Effect.scoped))

export const cancelCommand = command("cancel", { runId: runIdArg }, {
  engine: "write",
  description: "Cancel a running or suspended run (and the runs of its sub-flows); a run that has ended is left as it is."
}, (args) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const before = yield* engine.status(args.runId)
    // a run that has ended stays as it is: say in what state, not an error of usage
    if (RunStatus.isFinal(before.status)) return { _tag: "Cancelled", run: runJson(before), already: true } as const
    const ended = yield* Effect.catchIf(
      Effect.as(engine.cancel(args.runId), false),
      (error) => tagOf(error) === "RunNotResumable",
      () => Effect.succeed(true)
    )
    return { _tag: "Cancelled", run: runJson(yield* engine.status(args.runId)), already: ended } as const
  }))
