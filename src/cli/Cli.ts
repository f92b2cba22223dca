/**
 * The `weft` command (built on `@effect/cli`): run, inspect and operate the
 * runs of a project's templates from a terminal. Every read command prints
 * a table by default and JSON with `--format json` (the stable contract);
 * `--help` works everywhere. Exit codes: 0 success, 1 a run failed (or was
 * cancelled) or the store failed, 2 bad usage or input (nothing written).
 *
 * Embed it in another program with {@link command} and {@link run}, or start
 * it with {@link main} (what the `weft` bin does).
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { Cli } from "weftjs/cli"
 *
 * // the exit code of `weft templates --format json`
 * const code = Cli.run(["node", "weft", "templates", "--format", "json"]).pipe(
 *   Effect.provide(NodeContext.layer)
 * )
 * ```
 *
 * @since 0.2.0
 */
import { writeFileSync } from "node:fs"
import { Args, CliConfig, Command, HelpDoc, Options, ValidationError } from "@effect/cli"
import type { CliApp } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Clock, Console, Context, Duration, Effect, Exit, Layer, Option, Stream } from "effect"
import * as Graph from "../Graph.js"
import { Engine, Event, Worker } from "../index.js"
import type { Template } from "../index.js"
import type { Project } from "./Project.js"
import {
  CliError,
  decoded,
  err,
  fromError,
  loadProject,
  out,
  progress,
  readText,
  resolveTemplate,
  runnable,
  usage,
  withEngine
} from "./internal/context.js"
import {
  encodeCursor,
  parseDuration,
  parseJson,
  parseJsonObject,
  parseListFilter,
  parseQueues,
  parseVars
} from "./internal/decode.js"
import { follow, report, watch } from "./internal/follow.js"
import {
  runFields,
  runJson,
  runsTable,
  stateJson,
  stateTable,
  stepJson,
  templateJson,
  templatesTable,
  toJson,
  traceTable
} from "./internal/output.js"
import { formatFlowError, loadYaml } from "./internal/yaml.js"

/**
 * The version `weft --version` prints.
 *
 * @since 0.2.0
 * @category constants
 */
export const version = "0.2.0"

// ---------------------------------------------------------------------------
// options shared by the commands
// ---------------------------------------------------------------------------

const configOption = Options.text("config").pipe(
  Options.withAlias("c"),
  Options.withDescription("The project file (default: weft.config.ts in the working directory)."),
  Options.optional
)

const formatOption = Options.choice("format", ["table", "json"]).pipe(
  Options.withDescription("Output: a table for people, or JSON (the stable contract)."),
  Options.withDefault("table" as const)
)

const runIdArg = Args.text({ name: "run-id" }).pipe(Args.withDescription("The run's id."))

const templateArg = Args.text({ name: "template" }).pipe(
  Args.withDescription("A template of the project (name or name@version), or a YAML flow file (*.yaml).")
)

const inputOption = Options.text("input").pipe(
  Options.withAlias("i"),
  Options.withDescription("The run's input: a JSON object, one field per key the template requires."),
  Options.optional
)

const inputFileOption = Options.text("input-file").pipe(
  Options.withDescription("A file holding the run's input (a JSON object)."),
  Options.optional
)

const varOption = Options.text("var").pipe(
  Options.withDescription("A variable of a YAML flow, as key=value (repeatable)."),
  Options.repeated
)

const timeoutOption = Options.text("timeout").pipe(
  Options.withDescription("The whole run's timeout (90s, 15m, 1h; default: the workflowTimeout setting)."),
  Options.optional
)

const runIdOption = Options.text("run-id").pipe(
  Options.withDescription("The new run's id (default: a random UUID)."),
  Options.optional
)

const or = <A>(option: Option.Option<A>): A | undefined => Option.getOrUndefined(option)

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/** The input of `run` / `start`: `--input`, `--input-file`, or `{}`. */
const readInput = (input: Option.Option<string>, file: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isSome(input) && Option.isSome(file)) return yield* usage("give --input or --input-file, not both")
    if (Option.isSome(input)) return yield* decoded(parseJsonObject(input.value, "--input"))
    if (Option.isSome(file)) {
      const text = yield* readText(file.value, "--input-file")
      return yield* decoded(parseJsonObject(text, `--input-file ${file.value}`))
    }
    return {}
  })

const readTimeout = (timeout: Option.Option<string>) =>
  Option.isNone(timeout)
    ? Effect.succeed(undefined)
    : Effect.map(decoded(parseDuration(timeout.value, "--timeout")), (ms) => Duration.millis(ms))

/** The template a stored run was started with, from the project. */
const templateOfRun = (project: Project, engine: Engine.Service, runId: string) =>
  Effect.gen(function*() {
    const record = yield* Effect.mapError(engine.status(runId), fromError)
    const label = `${record.templateName}@${record.templateVersion}`
    const template = project.templates.find((t) => `${t.name}@${t.version}` === label)
    if (template === undefined) {
      return yield* usage(
        `run ${runId} is a run of ${label}, which this project does not have` +
          (project.templates.some((t) => t.name === record.templateName)
            ? ` (it has ${project.templates.filter((t) => t.name === record.templateName).map((t) => `${t.name}@${t.version}`).join(", ")})`
            : "")
      )
    }
    return { record, template }
  })

const tagOf = (error: unknown): unknown =>
  typeof error === "object" && error !== null && "_tag" in error ? error._tag : undefined

const isFinal = (status: string) => status === "completed" || status === "failed" || status === "cancelled"

// ---------------------------------------------------------------------------
// commands
// ---------------------------------------------------------------------------

const templatesCommand = Command.make(
  "templates",
  { config: configOption, format: formatOption },
  ({ config, format }) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(config))
      const list = project.templates.map(templateJson)
      yield* out(format === "json" ? toJson(list) : templatesTable(list))
    })
).pipe(Command.withDescription(
  "List the project's templates: name, version, the keys they require and provide with their types, the signals they wait for."
))

const graphCommand = Command.make(
  "graph",
  { config: configOption, format: formatOption, template: templateArg, vars: varOption },
  ({ config, format, template, vars }) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(config))
      const found = yield* resolveTemplate(project, template, yield* decoded(parseVars(vars)))
      const graph = Graph.make(found)
      const mermaid = Graph.toMermaid(graph)
      yield* out(format === "json" ? toJson({ graph, mermaid }) : mermaid)
    })
).pipe(Command.withDescription(
  "Print a template's structure (steps, branches, loops, waits, sub-flows) as a Mermaid flowchart."
))

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

const runCommand = Command.make(
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

const startCommand = Command.make(
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

const resumeCommand = Command.make(
  "resume",
  { config: configOption, format: formatOption, runId: runIdArg, timeout: timeoutOption },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      const timeout = yield* readTimeout(args.timeout)
      yield* withEngine(project, { register: true }, (engine) =>
        Effect.gen(function*() {
          const { record, template } = yield* templateOfRun(project, engine, args.runId)
          if (isFinal(record.status)) {
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

const signalCommand = Command.make(
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

const cancelCommand = Command.make(
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

const listCommand = Command.make(
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

const statusCommand = Command.make(
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

const traceCommand = Command.make(
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

const resultCommand = Command.make(
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

const watchCommand = Command.make(
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

const gcCommand = Command.make(
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

const validateCommand = Command.make(
  "validate",
  {
    config: configOption,
    format: formatOption,
    files: Args.text({ name: "flow.yaml" }).pipe(
      Args.withDescription("The YAML flow files to check."),
      Args.atLeast(1)
    ),
    vars: varOption
  },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      const vars = yield* decoded(parseVars(args.vars))
      const yaml = yield* Effect.mapError(loadYaml, usage)
      const registry = { steps: project.steps, templates: project.templates }
      const results = yield* Effect.forEach(args.files, (file) =>
        Effect.match(yaml.loadFile(file, registry, vars), {
          onFailure: (errors) => ({ file, valid: false, template: null, errors }),
          onSuccess: (template) => ({
            file,
            valid: true,
            template: { name: template.name, version: template.version },
            errors: []
          })
        }))
      if (args.format === "json") {
        yield* out(toJson({ valid: results.every((r) => r.valid), files: results }))
      } else {
        for (const result of results) {
          if (result.valid) yield* out(`ok  ${result.file}  (${result.template?.name}@${result.template?.version})`)
          else for (const error of result.errors) yield* err(formatFlowError(error))
        }
      }
      if (!results.every((r) => r.valid)) return yield* new CliError({ text: null, exitCode: 2 })
    })
).pipe(Command.withDescription(
  "Check YAML flows against the project's steps: every error with its file:line:column. Exit code 2 when one has errors."
))

const schemaCommand = Command.make(
  "schema",
  {
    config: configOption,
    output: Options.text("output").pipe(
      Options.withAlias("o"),
      Options.withDescription("Write the JSON Schema to this file (default: stdout)."),
      Options.optional
    )
  },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      const yaml = yield* Effect.mapError(loadYaml, usage)
      const schema = toJson(yaml.jsonSchema({ steps: project.steps, templates: project.templates }))
      if (Option.isNone(args.output)) return yield* out(schema)
      const file = args.output.value
      yield* Effect.try({
        try: () => writeFileSync(file, `${schema}\n`),
        catch: (error) => usage(`--output: cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`)
      })
      yield* err(`wrote ${file}`)
    })
).pipe(Command.withDescription(
  "Write the JSON Schema of the project's YAML flows (step names, their with: keys and types) for editors."
))

/** Set once a long-running command (serve, worker) is up: a signal then stops it gracefully, with exit code 0. */
let stopsGracefully = false

const serveCommand = Command.make(
  "serve",
  {
    config: configOption,
    port: Options.integer("port").pipe(
      Options.withAlias("p"),
      Options.withDescription("The port to listen on (0: any free port)."),
      Options.withDefault(7070)
    ),
    host: Options.text("host").pipe(
      Options.withDescription("The interface to listen on; any other than loopback needs a token (WEFT_API_TOKEN)."),
      Options.withDefault("127.0.0.1")
    )
  },
  (args) =>
    Effect.gen(function*() {
      if (args.port < 0 || args.port > 65_535) return yield* usage(`--port: expected 0 to 65535, got ${args.port}`)
      const project = yield* loadProject(or(args.config))
      const { Http } = yield* Effect.tryPromise({
        try: () => import("../http/index.js"),
        catch: (error) => usage(`the HTTP server is not available: ${error instanceof Error ? error.message : String(error)}`)
      })
      // the server registers the templates itself, with the project's services
      yield* withEngine(project, { register: false }, (engine) =>
        Effect.gen(function*() {
          const context = yield* Layer.build(
            Http.layer({ templates: project.templates, port: args.port, host: args.host })
          ).pipe(Effect.provideService(Engine.Engine, engine), Effect.mapError((error) =>
            error._tag === "ListenRefused" ? usage(error.message) : fromError(error)
          ))
          const { url } = Context.get(context, Http.Server)
          stopsGracefully = true
          yield* out(
            `weft: serving ${project.templates.length} template(s) at ${url}/ (API ${url}/api, reference ${url}/docs); ` +
              "Ctrl-C stops"
          )
          return yield* Effect.never
        }))
    })
).pipe(Command.withDescription(
  "Serve the HTTP API, its reference page and the live web view of the project's runs (127.0.0.1:7070 by default)."
))

const workerCommand = Command.make(
  "worker",
  {
    config: configOption,
    queues: Options.text("queue").pipe(
      Options.withAlias("q"),
      Options.withDescription(
        "A queue to serve (repeatable; default: default), optionally with its own limit: orders:5."
      ),
      Options.repeated
    ),
    concurrency: Options.integer("concurrency").pipe(
      Options.withDescription(
        "How many runs of one queue may execute here at once (default: the maxConcurrentWorkflows setting, " +
          "which also bounds them all)."
      ),
      Options.optional
    )
  },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      yield* withEngine(project, { register: true }, (engine) =>
        Effect.gen(function*() {
          const concurrency = or(args.concurrency) ?? engine.settings.maxConcurrentWorkflows
          const queues = yield* decoded(parseQueues(args.queues, concurrency))
          // what the worker executes, as it happens
          const events = yield* engine.subscribe
          yield* Effect.forkScoped(Stream.runForEach(events, (event) => out(Event.format(event))))
          yield* Layer.build(Worker.layer({ queues })).pipe(Effect.provideService(Engine.Engine, engine))
          stopsGracefully = true
          yield* out(
            `weft: worker serving ${
              Object.entries(queues).map(([queue, limit]) => `${queue} (at most ${limit} at once)`).join(", ")
            } with ${project.templates.length} template(s); SIGTERM or Ctrl-C stops it`
          )
          return yield* Effect.never
        }))
    })
).pipe(Command.withDescription(
  "Execute the runs queued on some queues (weft start --queue), and take up the runs of dead engines, until " +
    "stopped: on SIGTERM it stops claiming, lets running steps finish (the shutdownGrace setting) and hands the " +
    "rest back."
))

const subcommands = [
  templatesCommand,
  graphCommand,
  runCommand,
  startCommand,
  resumeCommand,
  signalCommand,
  cancelCommand,
  listCommand,
  statusCommand,
  traceCommand,
  resultCommand,
  watchCommand,
  gcCommand,
  validateCommand,
  schemaCommand,
  serveCommand,
  workerCommand
] as const

const description = "Run, inspect and operate the workflow runs of a weft project (weft.config.ts)."

/** The same command without a handler of its own: what its help is made of. */
const shape = Command.make("weft").pipe(Command.withDescription(description), Command.withSubcommands(subcommands))

/**
 * The root `weft` command with every subcommand: give it to `Command.run`,
 * or add it as a subcommand of your own command line. Without a subcommand
 * it prints its help.
 *
 * @since 0.2.0
 * @category constructors
 */
export const command = Command.make(
  "weft",
  {},
  () => Console.log(HelpDoc.toAnsiText(Command.getHelp(shape, CliConfig.defaultConfig)))
).pipe(Command.withDescription(description), Command.withSubcommands(subcommands))

const cli = Command.run(command, { name: "weft", version })

/**
 * Runs the `weft` command on `argv` (as `process.argv`: the first two entries
 * are skipped) and succeeds with its exit code: 0 success, 1 a run failed or
 * the store failed, 2 bad usage or input. Errors are printed on stderr.
 *
 * @since 0.2.0
 * @category running
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  cli(argv).pipe(
    Effect.as(0),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        ? Effect.succeed(2)
        : Effect.gen(function*() {
          const cliError = fromError(error)
          if (cliError.text !== null) yield* err(`weft: ${cliError.text}`)
          return cliError.exitCode
        })
    ),
    Effect.catchAllDefect((defect) =>
      Effect.as(err(`weft: unexpected error: ${defect instanceof Error ? defect.stack ?? defect.message : String(defect)}`), 1)
    )
  )

/**
 * Runs the `weft` command on `process.argv` in Node.js and exits with its
 * exit code (130 when interrupted by Ctrl-C).
 *
 * @since 0.2.0
 * @category running
 */
export const main = (argv: ReadonlyArray<string> = process.argv): void =>
  NodeRuntime.runMain(run(argv).pipe(Effect.provide(NodeContext.layer)), {
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) ? Number(exit.value) : Exit.isInterrupted(exit) ? (stopsGracefully ? 0 : 130) : 1)
  })
