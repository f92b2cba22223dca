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
}

// ---------------------------------------------------------------------------
// the engine's errors, as the API's
// ---------------------------------------------------------------------------

/**
 * An error the engine raised that the endpoint does not expect: logged, and
 * answered 500 without its details.
 */
const unexpected = (error: unknown): Effect.Effect<never, Api.InternalServerError> =>
  Effect.zipRight(
    Effect.logError("weft http: unexpected engine error", error),
    Effect.fail(new Api.InternalServerError({ message: "Internal server error" }))
  )

const issuesOf = (error: Errors.InvalidInput | Errors.InvalidSignalPayload) => {
  const issues = codec.fromEngineIssues(error.issues)
  return { issues, keys: codec.keysOf(issues) }
}

/**
 * The API error for an engine error: the endpoint's own (`own`), the
 * store's failure (any endpoint may meet it), or a 500.
 */
const fromEngine = <A>(own: (error: unknown) => A | undefined) =>
(
  error: unknown
): Effect.Effect<never, A | Api.PersistenceError | Api.InternalServerError> => {
  const mine = own(error)
  if (mine !== undefined) return Effect.fail(mine)
  if (error instanceof Errors.PersistenceError) return Effect.fail(new Api.PersistenceError({ message: error.message }))
  return unexpected(error)
}

const runNotFound = (error: unknown) =>
  error instanceof Errors.RunNotFound ? new Api.RunNotFound({ message: error.message, runId: error.runId }) : undefined

const startError = fromEngine((error) =>
  error instanceof Errors.InvalidInput
    ? new Api.InvalidInput({ message: error.message, template: error.template, ...issuesOf(error) })
    : error instanceof Errors.InvalidRunId
    ? new Api.BadRequest({ message: error.message })
    : error instanceof Errors.InvalidTemplate || error instanceof Errors.TemplateConflict
    ? new Api.InvalidTemplate({ message: error.message, template: error instanceof Errors.InvalidTemplate ? error.template : error.name })
    : undefined
)

const resultError = fromEngine((error) =>
  runNotFound(error) ?? (
    error instanceof Errors.RunNotCompleted
      ? new Api.RunNotCompleted({ message: error.message, runId: error.runId, status: error.status })
      : error instanceof Errors.TemplateMismatch
      ? new Api.TemplateMismatch({ message: error.message, runId: error.runId })
      : error instanceof Errors.InvalidTemplate
      ? new Api.InvalidTemplate({ message: error.message, template: error.template })
      : undefined
  )
)

const signalError = fromEngine((error) =>
  runNotFound(error) ?? (
    error instanceof Errors.SignalRejected
      ? new Api.SignalRejected({ message: error.message, runId: error.runId, signal: error.signal, reason: error.reason })
      : error instanceof Errors.InvalidSignalPayload
      ? new Api.InvalidSignalPayload({ message: error.message, runId: error.runId, signal: error.signal, ...issuesOf(error) })
      : error instanceof Errors.TemplateNotRegistered
      ? new Api.TemplateNotRegistered({
        message: error.message,
        runId: error.runId,
        template: error.template,
        version: error.version
      })
      : undefined
  )
)

const cancelError = fromEngine((error) =>
  runNotFound(error) ?? (
    error instanceof Errors.RunNotResumable
      ? new Api.RunNotResumable({ message: error.message, runId: error.runId, status: error.status })
      : undefined
  )
)

const readError = fromEngine(runNotFound)

const listError = fromEngine<never>(() => undefined)

const notServed = (run: { readonly runId: string; readonly templateName: string; readonly templateVersion: string }) =>
  new Api.TemplateNotRegistered({
    message: `Run "${run.runId}" uses template ${run.templateName}@${run.templateVersion}, which this server does not serve`,
    runId: run.runId,
    template: run.templateName,
    version: run.templateVersion
  })

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

const detailOf = (template: Template.Template.Any): Api.TemplateDetail => ({
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
  graph: Graph.make(template)
})

const templates = (options: HandlerOptions) =>
  HttpApiBuilder.group(Api.Api, "templates", (handlers) => {
    const details = new Map<Template.Template.Any, Api.TemplateDetail>()
    const detail = (template: Template.Template.Any) => {
      let found = details.get(template)
      if (found === undefined) {
        found = detailOf(template)
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
          const run = yield* Effect.catchAll(engine.status(runId), readError)
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
            if (Either.isLeft(decoded)) {
              return yield* new Api.InvalidInput({
                message: `Invalid input for template "${template.name}": ${codec.formatIssues(decoded.left)}`,
                template: template.name,
                keys: codec.keysOf(decoded.left),
                issues: decoded.left
              })
            }
            if (payload.runId !== undefined) {
              const existing = yield* Effect.option(engine.status(payload.runId))
              if (Option.isSome(existing)) {
                return yield* new Api.RunAlreadyExists({
                  message: `A run with id "${payload.runId}" exists already`,
                  runId: payload.runId
                })
              }
            }
            const handle = yield* engine.start(asTemplate(template), decoded.right, { runId: payload.runId }).pipe(
              Effect.catchAll(startError)
            )
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
          }).pipe(Effect.catchTag("PersistenceError", listError)))
        .handle("get", ({ path }) => Effect.catchAll(reader.detail(path.runId), readError))
        .handle("trace", ({ path }) => Effect.catchAll(reader.trace(path.runId), readError))
        .handle("result", ({ path }) =>
          Effect.gen(function*() {
            const { template } = yield* templateOfRun(path.runId)
            const result = yield* engine.result(asTemplate(template), path.runId).pipe(Effect.catchAll(resultError))
            return {
              runId: result.runId,
              state: codec.encodeState(template, result.state as Readonly<Record<string, unknown>>),
              createdAt: result.createdAt.getTime(),
              updatedAt: result.updatedAt.getTime()
            }
          }))
        .handle("signal", ({ path, payload }) =>
          engine.signal(path.runId, path.signal, payload).pipe(
            Effect.as({ runId: path.runId, signal: path.signal }),
            Effect.catchAll(signalError)
          ))
        .handle("cancel", ({ path }) =>
          engine.cancel(path.runId).pipe(
            Effect.catchAll(cancelError),
            Effect.zipRight(Effect.catchAll(reader.run(path.runId), readError))
          ))
        .handle("resume", ({ path }) =>
          Effect.gen(function*() {
            const { run, template } = yield* templateOfRun(path.runId)
            if (RunStatus.isFinal(run.status)) {
              return yield* new Api.RunNotResumable({
                message: `Run "${run.runId}" is ${run.status} and cannot be resumed`,
                runId: run.runId,
                status: run.status
              })
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
          engine.status(path.runId).pipe(
            Effect.as(sse(events.runStream(engine, path.runId, options))),
            Effect.catchAll(readError)
          ))
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
    Layer.provide([templates(options), runs(options), eventGroup(options)]),
    Layer.provide(authorization(options.token))
  )
