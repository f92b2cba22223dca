/**
 * The long-running commands: `serve` (the HTTP API and web view) and
 * `worker` (executes queued runs), and whether one is up (a signal then
 * stops it gracefully).
 *
 * @internal
 */
import { Options } from "@effect/cli"
import { Context, Duration, Effect, Layer, Stream } from "effect"
import { Engine, Event, Worker } from "../../../index.js"
import { command, CurrentProject } from "../context.js"
import { decoded, usage } from "../errors.js"
import { parseQueues, parseRates } from "../decode.js"
import { or } from "../options.js"
import { out } from "../render.js"
import { declareTriggers } from "./triggers.js"

/** Set once a long-running command (serve, worker) is up. */
let up = false

/** Whether a long-running command (serve, worker) is up: a signal then stops it gracefully, with exit code 0. */
export const stopsGracefully = (): boolean => up

export const serveCommand = command("serve", {
  port: Options.integer("port").pipe(
    Options.withAlias("p"),
    Options.withDescription("The port to listen on (0: any free port)."),
    Options.withDefault(7070)
  ),
  host: Options.text("host").pipe(
    Options.withDescription("The interface to listen on; any other than loopback needs a token (WEFT_API_TOKEN)."),
    Options.withDefault("127.0.0.1")
  )
}, {
  // the server registers the templates itself, with the project's services
  engine: "write",
  description:
    "Serve the HTTP API, its reference page and the live web view of the project's runs (127.0.0.1:7070 by default)."
}, (args) =>
  Effect.gen(function*() {
    if (args.port < 0 || args.port > 65_535) return yield* usage(`--port: expected 0 to 65535, got ${args.port}`)
    const project = yield* CurrentProject
    const { Http } = yield* Effect.tryPromise({
      try: () => import("../../../http/index.js"),
      catch: (error) => usage(`the HTTP server is not available: ${error instanceof Error ? error.message : String(error)}`)
    })
    yield* declareTriggers
    const context = yield* Layer.build(Http.layer({ templates: project.templates, port: args.port, host: args.host })).pipe(
      Effect.catchTag("ListenRefused", (error) => usage(error.message))
    )
    const { url } = Context.get(context, Http.Server)
    up = true
    yield* out(
      `weft: serving ${project.templates.length} template(s) at ${url}/ (API ${url}/api, reference ${url}/docs); ` +
        "Ctrl-C stops"
    )
    return yield* Effect.never
  }).pipe(Effect.scoped))

export const workerCommand = command("worker", {
  queues: Options.text("queue").pipe(
    Options.withAlias("q"),
    Options.withDescription("A queue to serve (repeatable; default: default), optionally with its own limit: orders:5."),
    Options.repeated
  ),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDescription(
      "How many runs of one queue may execute here at once (default: the maxConcurrentWorkflows setting, " +
        "which also bounds them all)."
    ),
    Options.optional
  ),
  rates: Options.text("rate").pipe(
    Options.withDescription(
      "A queue's rate limit, across every worker serving it (repeatable): emails=10/1s starts at most 10 of its runs " +
        "in any second."
    ),
    Options.repeated
  )
}, {
  engine: "execute",
  description:
    "Execute the runs queued on some queues (weft start --queue), and take up the runs of dead engines, until " +
    "stopped: on SIGTERM it stops claiming, lets running steps finish (the shutdownGrace setting) and hands the " +
    "rest back."
}, (args) =>
  Effect.gen(function*() {
    const project = yield* CurrentProject
    const engine = yield* Engine.Engine
    const queues = yield* decoded(parseQueues(args.queues, or(args.concurrency) ?? engine.settings.maxConcurrentWorkflows))
    const rates = yield* decoded(parseRates(args.rates))
    const rateLimits = Object.fromEntries(
      Object.entries(rates).map(([queue, rate]) => [queue, { limit: rate.limit, period: Duration.millis(rate.periodMillis) }])
    )
    yield* declareTriggers
    // what the worker executes, as it happens
    const events = yield* engine.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (event) => out(Event.format(event))))
    yield* Layer.build(Worker.layer({ queues, rateLimits }))
    up = true
    yield* out(
      `weft: worker serving ${
        Object.entries(queues).map(([queue, limit]) =>
          `${queue} (at most ${limit} at once${
            rates[queue] === undefined ? "" : `, ${rates[queue].limit} starts per ${rates[queue].periodMillis} ms`
          })`
        ).join(", ")
      } with ${project.templates.length} template(s); SIGTERM or Ctrl-C stops it`
    )
    return yield* Effect.never
  }).pipe(Effect.scoped))
