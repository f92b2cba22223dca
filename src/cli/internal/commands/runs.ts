/**
 * The commands that start and drive runs: `run` (here, followed live),
 * `start` (queued for a worker), `resume`, `signal` and `cancel`.
 *
 * @internal
 */
import { Args, Command, Options } from "@effect/cli"
import { type Duration, Effect } from "effect"
import { RunStatus } from "../../../index.js"
import type { Engine, Template } from "../../../index.js"
import {
  decoded,
  fromError,
  loadProject,
  out,
  progress,
  resolveTemplate,
  runnable,
  templateOfRun,
  usage,
  withEngine
} from "../context.js"
import { parseJson, parseVars } from "../decode.js"
import { follow, report } from "../follow.js"
import {
  configOption,
  formatOption,
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
import { runJson, toJson } from "../output.js"

/** The `_tag` of an error, if it has one. */
const tagOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined

/** Starts a run under a new id (refused when the id is taken). */
const startRun = (
  engine: Engine.Service,
  template: Template.Template.Any,
  input: object,
  options: { readonly runId: string; readonly timeout: Duration.Duration | undefined; readonly queue?: string | undefined }
) =>
  Effect.gen(function*() {
    const existing = yield* Effect.either(engine.status(options.runId))
    if (existing._tag === "Right") return yield* usage(`a run with id "${options.runId}" exists already`)
    return yield* Effect.mapError(engine.start(runnable(template), input, options), fromError)
  })

export const runCommand = Command.make(
  "run",
  {
    config: configOption,
    format: formatOption,
    template: templateArg,
    input: inputOption,
    inputFile: inputFileOption,
    vars: varOption,
    timeout: timeoutOption,
    runId: runIdOption
  },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      const template = yield* resolveTemplate(project, args.template, yield* decoded(parseVars(args.vars)))
      const input = yield* readInput(args.input, args.inputFile)
      const timeout = yield* readTimeout(args.timeout)
      const runId = or(args.runId) ?? crypto.randomUUID()
      yield* withEngine(project, { register: true }, (engine) =>
        Effect.gen(function*() {
          // follow subscribes to the engine's events before it launches the run: every event of it is seen
          const outcome = yield* follow({
            engine,
            runId,
            prepare: startRun(engine, template, input, { runId, timeout }),
            launch: (handle) => handle.await,
            print: progress(args.format),
            startSeq: 0
          })
          yield* report({ engine, template, runId, outcome, format: args.format })
        }))
    })
).pipe(Command.withDescription(
  "Run a template here with live progress, then print its trace. Stops when the run ends or suspends " +
    "(waiting for a signal: send it with weft signal). Exit code 1 when the run fails."
))

export const startCommand = Command.make(
  "start",
  {
    config: configOption,
    format: formatOption,
    template: templateArg,
    input: inputOption,
    inputFile: inputFileOption,
    vars: varOption,
    timeout: timeoutOption,
    runId: runIdOption,
    queue: Options.text("queue").pipe(
      Options.withDescription("The queue a worker (weft worker) takes the run from."),
      Options.withDefault("default")
    )
  },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      const template = yield* resolveTemplate(project, args.template, yield* decoded(parseVars(args.vars)))
      const input = yield* readInput(args.input, args.inputFile)
      const timeout = yield* readTimeout(args.timeout)
      const runId = or(args.runId) ?? crypto.randomUUID()
      yield* withEngine(project, { register: false }, (engine) =>
        Effect.gen(function*() {
          yield* startRun(engine, template, input, { runId, timeout, queue: args.queue })
          const record = yield* Effect.mapError(engine.status(runId), fromError)
          yield* out(args.format === "json" ? toJson(runJson(record)) : runId)
        }))
    })
).pipe(Command.withDescription(
  "Record a new run on a queue and print its id: a worker (weft worker) executes it, or weft resume <id> here."
))

export const resumeCommand = Command.make(
  "resume",
  { config: configOption, format: formatOption, runId: runIdArg, timeout: timeoutOption },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      const timeout = yield* readTimeout(args.timeout)
      yield* withEngine(project, { register: true }, (engine) =>
        Effect.gen(function*() {
          const { record, template } = yield* templateOfRun(project, engine, args.runId)
          if (RunStatus.isFinal(record.status)) {
            return yield* usage(`run ${args.runId} has ended (${record.status}): there is nothing to resume`)
          }
          const outcome = yield* follow({
            engine,
            runId: args.runId,
            prepare: Effect.void,
            launch: () => engine.resume(runnable(template), args.runId, { timeout }),
            print: progress(args.format),
            startSeq: record.seq
          })
          yield* report({ engine, template, runId: args.runId, outcome, format: args.format })
        }))
    })
).pipe(Command.withDescription(
  "Continue a stored run here from its last checkpoint, with live progress, until it ends or suspends."
))

export const signalCommand = Command.make(
  "signal",
  {
    config: configOption,
    format: formatOption,
    runId: runIdArg,
    name: Args.text({ name: "name" }).pipe(Args.withDescription("The signal's name (as in Durable.waitForSignal).")),
    payload: Args.text({ name: "payload" }).pipe(
      Args.withDescription("The signal's payload: JSON, checked against the wait's Schema."),
      Args.withDefault("null")
    ),
    detach: Options.boolean("detach").pipe(
      Options.withDescription("Only record the signal (a worker or a later weft resume goes on with the run).")
    )
  },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      const payload = yield* decoded(parseJson(args.payload, "payload"))
      yield* withEngine(project, { register: true }, (engine) =>
        Effect.gen(function*() {
          const target = yield* Effect.mapError(engine.status(args.runId), fromError)
          const rootId = target.rootId
          const { record, template } = yield* templateOfRun(project, engine, rootId)
          if (args.detach) {
            yield* Effect.mapError(engine.signal(args.runId, args.name, payload), fromError)
            const after = yield* Effect.mapError(engine.status(args.runId), fromError)
            return yield* out(
              args.format === "json" ? toJson(runJson(after)) : `signal "${args.name}" recorded for run ${args.runId}`
            )
          }
          const print = progress(args.format)
          // follow subscribes to the engine's events before the signal resumes the run
          const outcome = yield* follow({
            engine,
            runId: rootId,
            prepare: Effect.zipRight(
              Effect.mapError(engine.signal(args.runId, args.name, payload), fromError),
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
          yield* report({ engine, template, runId: rootId, outcome, format: args.format })
        }))
    })
).pipe(Command.withDescription(
  "Send a signal to a suspended run (its payload is checked against the wait's Schema), then follow the run " +
    "here until it ends or suspends again (--detach: only record it)."
))

export const cancelCommand = Command.make(
  "cancel",
  { config: configOption, format: formatOption, runId: runIdArg },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      yield* withEngine(project, { register: false }, (engine) =>
        Effect.gen(function*() {
          yield* Effect.mapError(engine.cancel(args.runId), fromError)
          const record = yield* Effect.mapError(engine.status(args.runId), fromError)
          yield* out(args.format === "json" ? toJson(runJson(record)) : `run ${args.runId} cancelled`)
        }))
    })
).pipe(Command.withDescription("Cancel a running or suspended run (and the runs of its sub-flows)."))
