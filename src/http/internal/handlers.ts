/**
 * The API's handlers, over the engine in context.
 *
 * @internal
 */
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Duration, Effect, Either, FiberSet, Layer, Option, Redacted } from "effect"
import * as Engine from "../../Engine.js"
import * as Graph from "../../Graph.js"
import * as Errors from "../../Errors.js"
import * as RunStatus from "../../RunStatus.js"
import type * as Template from "../../Template.js"
import * as Api from "../Api.js"
import * as codec from "./codec.js"
import * as events from "./events.js"
import type { InFlight } from "./inFlight.js"
import * as schedules from "./schedules.js"
import { fleet } from "./fleetHandlers.js"
import { toSvg } from "./diagram.js"
import { waitsOf } from "./templates.js"
import { bearerOf, tokensMatch } from "./security.js"
import * as view from "./view.js"

export interface HandlerOptions {
  readonly served: view.Served
  readonly token: Option.Option<Redacted.Redacted<string>>
  readonly pollInterval: Duration.Duration
  readonly keepAlive: Duration.Duration
  /** Ends the event streams when the server stops. */
  readonly shutdown: Effect.Effect<void>
  /** The steps in flight, which a run's event stream starts with. */
  readonly inFlight: InFlight
  /** The migrations `POST /api/migrations` may apply. */
  readonly migrations: ReadonlyArray<Template.Migration>
}

// ---------------------------------------------------------------------------
// errors: the engine's go out as they are (the API declares them with their
// status); these are the API's own
// ---------------------------------------------------------------------------

const notServed = (run: { readonly runId: string; readonly templateName: string; readonly templateVersion: string }) =>
  new Errors.TemplateNotRegistered({ runId: run.runId, template: run.templateName, version: run.templateVersion })

const templateNotFound = (name: string, version: string | undefined) =>
  new Api.TemplateNotFound({
    message: `This server serves no template "${name}"${version === undefined ? "" : ` at version "${version}"`}`,
    template: name,
    version: version ?? null
  })

/** A template as the engine's operations take it (its services are in the handlers' context). */
const asTemplate = (template: Template.Template.Any) => template as unknown as Template.Template<object, object, unknown, never>

// ---------------------------------------------------------------------------
// templates
// ---------------------------------------------------------------------------

const summaryOf = (template: Template.Template.Any): typeof Api.TemplateSummary.Type => ({
  name: template.name,
  version: template.version,
  requires: template.requiredState,
  provides: template.providedState,
  signals: Array.from(new Set(waitsOf(template).map((wait) => wait.signal)))
})

const label = (t: Template.Template.Any) => `${t.name}@${t.version}`

const detailOf = (template: Template.Template.Any, migrations: ReadonlyArray<Template.Migration>): Api.TemplateDetail => ({
  ...summaryOf(template),
  input: codec.objectJsonSchema(template.requirements),
  output: codec.objectJsonSchema(Object.entries(template.provides)),
  waits: waitsOf(template).map((wait) => ({
    signal: wait.signal,
    name: wait.name,
    key: wait.key,
    schema: codec.jsonSchemaOf(wait.schema),
    timeoutMs: wait.timeout === undefined ? null : Duration.toMillis(wait.timeout),
    hasDefault: wait.onTimeout !== undefined
  })),
  graph: Graph.make(template),
  state: codec.objectJsonSchema([...template.requirements, ...Object.entries(template.provides)]),
  migrations: migrations.filter((m) => label(m.from) === label(template)).map((m) => label(m.to))
})

const templates = (options: HandlerOptions) =>
  HttpApiBuilder.group(Api.Api, "templates", (handlers) => {
    const details = new Map<Template.Template.Any, Api.TemplateDetail>()
    const detail = (template: Template.Template.Any) => {
      let found = details.get(template)
      if (found === undefined) {
        found = detailOf(template, options.migrations)
        details.set(template, found)
      }
      return found
    }
    const find = (name: string, version: string | undefined) => {
      const template = options.served.find(name, version)
      return template === undefined ? Effect.fail(templateNotFound(name, version)) : Effect.succeed(template)
    }
    return handlers
      .handle("list", () => Effect.succeed(options.served.all.map(summaryOf)))
      .handle("get", ({ path, urlParams }) => Effect.map(find(path.name, urlParams.version), detail))
      .handle("diagram", ({ path, urlParams }) =>
        Effect.map(find(path.name, urlParams.version), (template) =>
          toSvg(detail(template).graph)))
  })

// ---------------------------------------------------------------------------
// runs
// ---------------------------------------------------------------------------

const runs = (options: HandlerOptions) =>
  HttpApiBuilder.group(Api.Api, "runs", (handlers) =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const reader = view.make(engine, options.served)
      const background = yield* FiberSet.make()
      const { served } = options

      const templateOfRun = (runId: string) =>
        Effect.gen(function*() {
          const run = yield* engine.status(runId)
          const template = served.find(run.templateName, run.templateVersion)
          if (template === undefined) return yield* notServed(run)
          return { run, template }
        })

      return handlers
        .handle("start", ({ payload }) =>
          Effect.gen(function*() {
            const template = served.find(payload.template, payload.version)
            if (template === undefined) return yield* templateNotFound(payload.template, payload.version)
            const decoded = codec.decodeInput(template, payload.input)
            if (Either.isLeft(decoded)) return yield* new Errors.InvalidInput({ template: template.name, issues: decoded.left })
            if (payload.runId !== undefined) {
              const existing = yield* Effect.option(engine.status(payload.runId))
              if (Option.isSome(existing)) {
                return yield* new Api.RunAlreadyExists({
                  message: `A run with id "${payload.runId}" exists already`,
                  runId: payload.runId
                })
              }
            }
            const handle = yield* engine.start(asTemplate(template), decoded.right, {
              runId: payload.runId,
              priority: payload.priority
            })
            return { runId: handle.runId }
          }))
        .handle("list", ({ urlParams }) =>
          Effect.gen(function*() {
            const cursor = urlParams.cursor === undefined ? undefined : codec.decodeCursor(urlParams.cursor)
            if (urlParams.cursor !== undefined && cursor === undefined) {
              return yield* new Api.BadRequest({ message: "cursor: not a cursor this server gave (use a page's nextCursor)" })
            }
            const found = yield* engine.list(codec.toFilter(urlParams, cursor))
            const page = codec.toPage(found, urlParams, cursor)
            return { runs: page.runs.map(view.toRun), nextCursor: page.nextCursor }
          }))
        .handle("get", ({ path }) => reader.detail(path.runId))
        .handle("trace", ({ path }) => reader.trace(path.runId))
        .handle("result", ({ path }) =>
          Effect.gen(function*() {
            const { template } = yield* templateOfRun(path.runId)
            const result = yield* engine.result(asTemplate(template), path.runId)
            return {
              runId: result.runId,
              state: codec.encodeState(template, result.state as Readonly<Record<string, unknown>>),
              createdAt: result.createdAt.getTime(),
              updatedAt: result.updatedAt.getTime()
            }
          }))
        .handle("signal", ({ path, payload }) =>
          Effect.as(engine.signal(path.runId, path.signal, payload), { runId: path.runId, signal: path.signal }))
        .handle("cancel", ({ path }) =>
          Effect.zipRight(engine.cancel(path.runId), reader.run(path.runId)))
        .handle("pause", ({ path }) => Effect.zipRight(engine.pause(path.runId), reader.run(path.runId)))
        .handle("unpause", ({ path }) => Effect.zipRight(engine.unpause(path.runId), reader.run(path.runId)))
        .handle("state", ({ path, urlParams }) =>
          Effect.gen(function*() {
            const { template } = yield* templateOfRun(path.runId)
            const state = yield* engine.stateAt(path.runId, urlParams.at, asTemplate(template))
            return { runId: path.runId, step: urlParams.at, state: codec.encodeState(template, state) }
          }))
        .handle("rerun", ({ path }) =>
          Effect.zipRight(Effect.zipRight(templateOfRun(path.runId), engine.rerun(path.runId)), reader.run(path.runId)))
        .handle("fork", ({ path, payload }) =>
          Effect.gen(function*() {
            const { template } = yield* templateOfRun(path.runId)
            const patch = codec.decodePatch(template, payload.patch ?? {})
            if (Either.isLeft(patch)) return yield* new Errors.InvalidPatch({ runId: path.runId, issues: patch.left })
            const target = payload.to
            const migration = target === undefined
              ? undefined
              : options.migrations.find((m) => label(m.from) === label(template) && label(m.to) === target)
            if (target !== undefined && migration === undefined) {
              return yield* new Api.NotFound({ message: `This server has no migration from ${label(template)} to ${target}` })
            }
            const runId = yield* engine.fork(asTemplate(template), path.runId, {
              after: payload.after,
              patch: patch.right,
              runId: payload.runId,
              migration
            })
            return { runId }
          }))
        .handle("migrate", ({ payload }) =>
          Effect.gen(function*() {
            const migration = options.migrations.find((m) => label(m.from) === payload.from && label(m.to) === payload.to)
            if (migration === undefined) {
              return yield* new Api.NotFound({ message: `This server has no migration from ${payload.from} to ${payload.to}` })
            }
            const outcomes = yield* engine.migrate(migration, { dryRun: payload.dryRun, status: payload.status })
            return { dryRun: payload.dryRun ?? false, runs: outcomes }
          }))
        .handle("resume", ({ path }) =>
          Effect.gen(function*() {
            const { run, template } = yield* templateOfRun(path.runId)
            if (RunStatus.isFinal(run.status)) {
              return yield* new Errors.RunNotResumable({ runId: run.runId, status: run.status })
            }
            // the run goes on in the background: its end is in its record and events
            yield* FiberSet.run(
              background,
              engine.resume(asTemplate(template), path.runId).pipe(
                Effect.catchAllCause((cause) => Effect.logDebug(`weft http: resumed run ${path.runId} ended`, cause))
              )
            )
            return view.toRun(run)
          }))
    }))

// ---------------------------------------------------------------------------
// events
// ---------------------------------------------------------------------------

// an event stream holds its connection to the end: it is not reused (and the server stops without waiting for it)
const eventHeaders = { "cache-control": "no-cache", "x-accel-buffering": "no", connection: "close" }

const sse = (body: ReturnType<typeof events.allStream>) =>
  HttpServerResponse.stream(body, { contentType: "text/event-stream", headers: eventHeaders })

const eventGroup = (options: HandlerOptions) =>
  HttpApiBuilder.group(Api.Api, "events", (handlers) =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      return handlers
        .handle("run", ({ path }) =>
          Effect.as(engine.status(path.runId), sse(events.runStream(engine, path.runId, options))))
        .handle("all", () => Effect.succeed(sse(events.allStream(engine, options))))
    }))

// ---------------------------------------------------------------------------
// authorization
// ---------------------------------------------------------------------------

const unauthorized = new Api.Unauthorized({ message: "This server needs a token: send Authorization: Bearer <token>" })

const authorization = (token: Option.Option<Redacted.Redacted<string>>) =>
  Layer.succeed(
    Api.Authorization,
    Api.Authorization.of({
      bearer: () =>
        Option.isNone(token) ? Effect.void : Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => {
          const given = bearerOf(request.headers["authorization"])
          return given !== undefined && tokensMatch(Redacted.value(token.value), given) ? Effect.void : Effect.fail(unauthorized)
        })
    })
  )

/** The API, implemented over the engine in context. */
export const layer = (options: HandlerOptions) =>
  HttpApiBuilder.api(Api.Api).pipe(
    Layer.provide([templates(options), runs(options), fleet, eventGroup(options), schedules.group]),
    Layer.provide(authorization(options.token))
  )
