/**
 * The HTTP API of weft as an `@effect/platform` `HttpApi`: its endpoints,
 * the JSON shapes they send and receive, and their errors. A server builds
 * it with `Http.layer`; a client derives a typed client from it with
 * `HttpApiClient.make(Http.Api, { baseUrl })`.
 *
 * Every error is JSON `{ _tag, message, ... }` with an HTTP status: 400 for
 * bad input (naming every bad key), 401 without the token, 404 for an
 * unknown run or template, 409 when the run's state forbids the request,
 * 413 for a body over the limit, 500 for anything unexpected (without a
 * stack trace).
 *
 * Times are epoch milliseconds.
 *
 * @since 0.2.0
 */
import { HttpApi, HttpApiEndpoint, HttpApiGroup, HttpApiMiddleware, HttpApiSchema, HttpApiSecurity, OpenApi } from "@effect/platform"
import { ParseResult, Schema } from "effect"
import type * as Graph from "../Graph.js"

// ---------------------------------------------------------------------------
// models
// ---------------------------------------------------------------------------

/**
 * A run's status.
 *
 * @since 0.2.0
 * @category models
 */
export const RunStatus = Schema.Literal("queued", "running", "suspended", "completed", "failed", "cancelled")

/**
 * @since 0.2.0
 * @category models
 */
export type RunStatus = typeof RunStatus.Type

/**
 * A JSON-safe summary of an error.
 *
 * @since 0.2.0
 * @category models
 */
export const ErrorSummary = Schema.Struct({ tag: Schema.String, message: Schema.String })

/**
 * What a suspended run waits for.
 *
 * @since 0.2.0
 * @category models
 */
export const WaitingFor = Schema.Struct({
  /** The run that waits: the run itself or a child run of one of its sub-flows (signal that one). */
  runId: Schema.String,
  step: Schema.String,
  /** `null` for a durable sleep of a child run. */
  signal: Schema.NullOr(Schema.String),
  /** When the wait times out (epoch ms), `null` for never or unknown. */
  deadline: Schema.NullOr(Schema.Number)
})

/**
 * A run's record.
 *
 * @since 0.2.0
 * @category models
 */
export const Run = Schema.Struct({
  runId: Schema.String,
  templateName: Schema.String,
  templateVersion: Schema.String,
  status: RunStatus,
  /** How many checkpoints the run has recorded. */
  seq: Schema.Number,
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
  /** When a finished run may be collected, `null` for never. */
  expiresAt: Schema.NullOr(Schema.Number),
  /** Why the run failed, `null` unless it did. */
  error: Schema.NullOr(ErrorSummary),
  /** The run whose sub-flow this run is, `null` for a top-level run. */
  parentId: Schema.NullOr(Schema.String),
  rootId: Schema.String,
  queue: Schema.String,
  waitingFor: Schema.NullOr(WaitingFor)
}).annotations({ identifier: "Run" })

/**
 * @since 0.2.0
 * @category models
 */
export type Run = typeof Run.Type

/**
 * One page of runs, newest first; `nextCursor` fetches the next one.
 *
 * @since 0.2.0
 * @category models
 */
export const RunPage = Schema.Struct({
  runs: Schema.Array(Run),
  nextCursor: Schema.NullOr(Schema.String)
})

/**
 * What one step changed in the state: encoded values written, keys removed.
 *
 * @since 0.2.0
 * @category models
 */
export const Delta = Schema.Struct({
  set: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  unset: Schema.Array(Schema.String)
})

/**
 * One step of a run's trace.
 *
 * @since 0.2.0
 * @category models
 */
export const TraceEntry = Schema.Struct({
  /** The step's path in the run, e.g. `process_control/validate_inputs`. */
  step: Schema.String,
  name: Schema.String,
  status: Schema.Literal("completed", "skipped", "fallback", "failed"),
  attempts: Schema.Number,
  startedAt: Schema.Number,
  endedAt: Schema.Number,
  durationMs: Schema.Number,
  error: Schema.NullOr(ErrorSummary),
  /** What the step wrote; `null` when the server cannot read it (its engine's store is not in its context). */
  delta: Schema.NullOr(Delta)
}).annotations({ identifier: "TraceEntry" })

/**
 * @since 0.2.0
 * @category models
 */
export type TraceEntry = typeof TraceEntry.Type

/**
 * A run as it stands: its record, its state now (values as JSON, encoded
 * with the template's Schemas), how far it got and what it waits for.
 *
 * @since 0.2.0
 * @category models
 */
export const RunDetail = Schema.Struct({
  run: Run,
  state: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  position: Schema.Struct({
    lastStep: Schema.NullOr(Schema.String),
    completedSteps: Schema.Number
  }),
  waitingFor: Schema.NullOr(WaitingFor)
})

/**
 * @since 0.2.0
 * @category models
 */
export type RunDetail = typeof RunDetail.Type

/**
 * A completed run's final state (encoded values).
 *
 * @since 0.2.0
 * @category models
 */
export const RunResult = Schema.Struct({
  runId: Schema.String,
  state: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  createdAt: Schema.Number,
  updatedAt: Schema.Number
})

/**
 * A JSON Schema document.
 *
 * @since 0.2.0
 * @category models
 */
export const JsonSchema = Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
  identifier: "JsonSchema"
})

/**
 * A `Durable.waitForSignal` node of a template: the signal to send, and the
 * JSON Schema of its payload.
 *
 * @since 0.2.0
 * @category models
 */
export const Wait = Schema.Struct({
  signal: Schema.String,
  /** The node's name in traces. */
  name: Schema.String,
  /** The state key the payload is written to. */
  key: Schema.String,
  schema: JsonSchema,
  timeoutMs: Schema.NullOr(Schema.Number),
  /** Whether the wait goes on with a default value when it times out. */
  hasDefault: Schema.Boolean
})

/**
 * A template, in short.
 *
 * @since 0.2.0
 * @category models
 */
export const TemplateSummary = Schema.Struct({
  name: Schema.String,
  version: Schema.String,
  requires: Schema.Array(Schema.String),
  provides: Schema.Array(Schema.String),
  signals: Schema.Array(Schema.String)
}).annotations({ identifier: "TemplateSummary" })

const GraphKey = Schema.String.annotations({ description: "the step key, as in traces (`*` for a loop's or forEach's iteration)" })
const Concurrency = Schema.Union(Schema.Number, Schema.Literal("unbounded"))
const GraphNodes = Schema.Array(Schema.suspend((): Schema.Schema<Graph.Node> => GraphNode))
const GraphArm = Schema.Struct({
  label: Schema.String,
  template: Schema.NullOr(Schema.String),
  nodes: Schema.NullOr(GraphNodes)
})

/**
 * One node of a template's structure (`Graph.Node` of `weftjs`).
 *
 * @since 0.2.0
 * @category models
 */
export const GraphNode: Schema.Schema<Graph.Node> = Schema.Union(
  Schema.Struct({
    _tag: Schema.Literal("Step"),
    key: GraphKey,
    name: Schema.String,
    requires: Schema.Array(Schema.String),
    provides: Schema.Array(Schema.String),
    retry: Schema.Boolean,
    timeoutMs: Schema.NullOr(Schema.Number),
    onError: Schema.Literal("fail", "skip"),
    fallback: Schema.NullOr(Schema.String)
  }),
  Schema.Struct({ _tag: Schema.Literal("Sleep"), key: GraphKey, name: Schema.String, durationMs: Schema.Number }),
  Schema.Struct({
    _tag: Schema.Literal("Wait"),
    key: GraphKey,
    name: Schema.String,
    signal: Schema.String,
    stateKey: Schema.String,
    timeoutMs: Schema.NullOr(Schema.Number)
  }),
  Schema.Struct({
    _tag: Schema.Literal("Subflow"),
    key: GraphKey,
    name: Schema.String,
    graph: Schema.suspend((): Schema.Schema<Graph.Graph> => TemplateGraph)
  }),
  Schema.Struct({
    _tag: Schema.Literal("Template"),
    key: GraphKey,
    name: Schema.String,
    version: Schema.String,
    nodes: GraphNodes
  }),
  Schema.Struct({
    _tag: Schema.Literal("Branch"),
    key: GraphKey,
    name: Schema.String,
    reads: Schema.Array(Schema.String),
    arms: Schema.Array(GraphArm)
  }),
  Schema.Struct({
    _tag: Schema.Literal("Loop"),
    key: GraphKey,
    name: Schema.String,
    maxIterations: Schema.Number,
    check: Schema.Literal("before", "after"),
    reads: Schema.Array(Schema.String),
    nodes: GraphNodes
  }),
  Schema.Struct({
    _tag: Schema.Literal("ForEach"),
    key: GraphKey,
    name: Schema.String,
    over: Schema.String,
    as: Schema.String,
    into: Schema.String,
    concurrency: Concurrency,
    nodes: GraphNodes
  }),
  Schema.Struct({
    _tag: Schema.Literal("Parallel"),
    key: GraphKey,
    name: Schema.String,
    mode: Schema.Literal("all", "first"),
    concurrency: Concurrency,
    branches: Schema.Array(GraphArm)
  })
).annotations({ identifier: "GraphNode" })

/**
 * A template's structure (`Graph.Graph` of `weftjs`): steps, branches,
 * loops, forEach, parallel branches, sleeps, waits, sub-flows.
 *
 * @since 0.2.0
 * @category models
 */
export const TemplateGraph: Schema.Schema<Graph.Graph> = Schema.Struct({
  name: Schema.String,
  version: Schema.String,
  requires: Schema.Array(Schema.String),
  provides: Schema.Array(Schema.String),
  nodes: GraphNodes
}).annotations({ identifier: "TemplateGraph" })

/**
 * A template in full: the JSON Schemas of its input and output, its waits,
 * and its structure.
 *
 * @since 0.2.0
 * @category models
 */
export const TemplateDetail = Schema.Struct({
  ...TemplateSummary.fields,
  input: JsonSchema,
  output: JsonSchema,
  waits: Schema.Array(Wait),
  graph: TemplateGraph
})

/**
 * @since 0.2.0
 * @category models
 */
export type TemplateDetail = typeof TemplateDetail.Type

/**
 * What `POST /api/runs` takes: the template (by name, and version when the
 * server has several) and its input as JSON, decoded with the template's
 * Schemas.
 *
 * @since 0.2.0
 * @category models
 */
export const StartRun = Schema.Struct({
  template: Schema.String,
  version: Schema.optional(Schema.String),
  input: Schema.Unknown,
  /** The run's id (default: a random UUID). */
  runId: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200)))
})

/**
 * @since 0.2.0
 * @category models
 */
export const RunStarted = Schema.Struct({ runId: Schema.String })

/**
 * An epoch-milliseconds time given as digits or as an ISO 8601 date.
 *
 * @since 0.2.0
 * @category models
 */
export const TimeParam = Schema.transformOrFail(Schema.String, Schema.Number, {
  strict: true,
  decode: (s, _, ast) => {
    const millis = /^\d{1,15}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : Number.NaN
    return Number.isFinite(millis)
      ? ParseResult.succeed(millis)
      : ParseResult.fail(new ParseResult.Type(ast, s, "expected a time: epoch milliseconds or an ISO 8601 date"))
  },
  encode: (n) => ParseResult.succeed(String(n))
}).annotations({ description: "epoch milliseconds, or an ISO 8601 date" })

/**
 * The query of `GET /api/runs`.
 *
 * @since 0.2.0
 * @category models
 */
export const RunQuery = Schema.Struct({
  status: Schema.optional(RunStatus),
  template: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  /** Runs created at or after this time. */
  since: Schema.optional(TimeParam),
  /** Runs created before this time. */
  until: Schema.optional(TimeParam),
  /** Page size: 1 to 500 (default 50). */
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 500))),
  /** The `nextCursor` of the previous page. */
  cursor: Schema.optional(Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,400}$/)))
})

/**
 * @since 0.2.0
 * @category models
 */
export type RunQuery = typeof RunQuery.Type

/**
 * A path segment that the client percent-encodes (run ids of sub-flows
 * contain `/`) and the server's router decodes.
 */
const Segment = Schema.transform(Schema.String, Schema.String.pipe(Schema.minLength(1), Schema.maxLength(400)), {
  strict: true,
  decode: (s) => s,
  encode: (s) => encodeURIComponent(s)
})

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/**
 * A problem with one value of a body: its key path and what was wrong.
 *
 * @since 0.2.0
 * @category models
 */
export const Issue = Schema.Struct({
  path: Schema.Array(Schema.Union(Schema.String, Schema.Number)),
  message: Schema.String
})

/**
 * A run's input does not decode with its template's Schemas; `keys` names
 * every bad key (dotted paths). Nothing was written.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  message: Schema.String,
  template: Schema.String,
  keys: Schema.Array(Schema.String),
  issues: Schema.Array(Issue)
}, HttpApiSchema.annotations({ status: 400 })) {}

/**
 * A signal's payload does not decode with its wait's Schema; `keys` names
 * every bad key. Nothing was recorded.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidSignalPayload extends Schema.TaggedError<InvalidSignalPayload>()("InvalidSignalPayload", {
  message: Schema.String,
  runId: Schema.String,
  signal: Schema.String,
  keys: Schema.Array(Schema.String),
  issues: Schema.Array(Issue)
}, HttpApiSchema.annotations({ status: 400 })) {}

/**
 * The request was malformed: a body that is not JSON, a bad cursor.
 *
 * @since 0.2.0
 * @category errors
 */
export class BadRequest extends Schema.TaggedError<BadRequest>()("BadRequest", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 400 })) {}

/**
 * The server has a token and the request did not carry it
 * (`Authorization: Bearer <token>`).
 *
 * @since 0.2.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 401 })) {}

/**
 * The request came from a page of another origin (or named a host the
 * server does not answer to).
 *
 * @since 0.2.0
 * @category errors
 */
export class Forbidden extends Schema.TaggedError<Forbidden>()("Forbidden", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 403 })) {}

/**
 * No run with this id.
 *
 * @since 0.2.0
 * @category errors
 */
export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  message: Schema.String,
  runId: Schema.String
}, HttpApiSchema.annotations({ status: 404 })) {}

/**
 * The server serves no template of this name (and version).
 *
 * @since 0.2.0
 * @category errors
 */
export class TemplateNotFound extends Schema.TaggedError<TemplateNotFound>()("TemplateNotFound", {
  message: Schema.String,
  template: Schema.String,
  version: Schema.NullOr(Schema.String)
}, HttpApiSchema.annotations({ status: 404 })) {}

/**
 * No route for this method and path.
 *
 * @since 0.2.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 404 })) {}

/**
 * The result of a run that has not completed: `status` says where it is.
 *
 * @since 0.2.0
 * @category errors
 */
export class RunNotCompleted extends Schema.TaggedError<RunNotCompleted>()("RunNotCompleted", {
  message: Schema.String,
  runId: Schema.String,
  status: Schema.String
}, HttpApiSchema.annotations({ status: 409 })) {}

/**
 * Cancelling or resuming a run that has ended.
 *
 * @since 0.2.0
 * @category errors
 */
export class RunNotResumable extends Schema.TaggedError<RunNotResumable>()("RunNotResumable", {
  message: Schema.String,
  runId: Schema.String,
  status: Schema.String
}, HttpApiSchema.annotations({ status: 409 })) {}

/**
 * A signal the run cannot take: it has ended, it has no wait for it, or one
 * is pending already (`reason`).
 *
 * @since 0.2.0
 * @category errors
 */
export class SignalRejected extends Schema.TaggedError<SignalRejected>()("SignalRejected", {
  message: Schema.String,
  runId: Schema.String,
  signal: Schema.String,
  reason: Schema.String
}, HttpApiSchema.annotations({ status: 409 })) {}

/**
 * A run with the requested id exists already.
 *
 * @since 0.2.0
 * @category errors
 */
export class RunAlreadyExists extends Schema.TaggedError<RunAlreadyExists>()("RunAlreadyExists", {
  message: Schema.String,
  runId: Schema.String
}, HttpApiSchema.annotations({ status: 409 })) {}

/**
 * Another engine executes the run.
 *
 * @since 0.2.0
 * @category errors
 */
export class RunAlreadyActive extends Schema.TaggedError<RunAlreadyActive>()("RunAlreadyActive", {
  message: Schema.String,
  runId: Schema.String
}, HttpApiSchema.annotations({ status: 409 })) {}

/**
 * The run was started with another version of its template than the one
 * the server serves.
 *
 * @since 0.2.0
 * @category errors
 */
export class TemplateMismatch extends Schema.TaggedError<TemplateMismatch>()("TemplateMismatch", {
  message: Schema.String,
  runId: Schema.String
}, HttpApiSchema.annotations({ status: 409 })) {}

/**
 * The run's template is not one the server serves, so it cannot decode its
 * signals or resume it.
 *
 * @since 0.2.0
 * @category errors
 */
export class TemplateNotRegistered extends Schema.TaggedError<TemplateNotRegistered>()("TemplateNotRegistered", {
  message: Schema.String,
  runId: Schema.String,
  template: Schema.String,
  version: Schema.String
}, HttpApiSchema.annotations({ status: 409 })) {}

/**
 * A template the server serves is invalid (an empty template, duplicate
 * step names): a fault of the server's configuration.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidTemplate extends Schema.TaggedError<InvalidTemplate>()("InvalidTemplate", {
  message: Schema.String,
  template: Schema.String
}, HttpApiSchema.annotations({ status: 500 })) {}

/**
 * The body is larger than the server's limit.
 *
 * @since 0.2.0
 * @category errors
 */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 413 })) {}

/**
 * The store could not do what was asked (locked, unavailable); the request
 * may be retried.
 *
 * @since 0.2.0
 * @category errors
 */
export class PersistenceError extends Schema.TaggedError<PersistenceError>()("PersistenceError", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 503 })) {}

/**
 * Something unexpected happened; the server logged it. The message says no
 * more (no stack trace leaves the server).
 *
 * @since 0.2.0
 * @category errors
 */
export class InternalServerError extends Schema.TaggedError<InternalServerError>()("InternalServerError", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 500 })) {}

// ---------------------------------------------------------------------------
// security
// ---------------------------------------------------------------------------

/**
 * The bearer-token check every endpoint passes through. With no token set
 * (a loopback server), every request passes.
 *
 * @since 0.2.0
 * @category tags
 */
export class Authorization extends HttpApiMiddleware.Tag<Authorization>()("weft/http/Authorization", {
  failure: Unauthorized,
  security: { bearer: HttpApiSecurity.bearer }
}) {}

// ---------------------------------------------------------------------------
// endpoints
// ---------------------------------------------------------------------------

const templateName = Schema.Struct({ name: Segment })
const versionQuery = Schema.Struct({ version: Schema.optional(Schema.String) })
const runIdPath = Schema.Struct({ runId: Segment })
const eventStream = HttpApiSchema.Text({ contentType: "text/event-stream" }).annotations({
  description: "Server-Sent Events: `event: <_tag>` and `data: <JSON>` per event"
})

/**
 * Templates: list, get one with its Schemas as JSON Schema, its diagram.
 *
 * @since 0.2.0
 * @category models
 */
export class TemplatesGroup extends HttpApiGroup.make("templates")
  .add(
    HttpApiEndpoint.get("list", "/templates")
      .addSuccess(Schema.Array(TemplateSummary))
      .annotate(OpenApi.Summary, "The templates this server serves")
  )
  .add(
    HttpApiEndpoint.get("get", "/templates/:name")
      .setPath(templateName)
      .setUrlParams(versionQuery)
      .addSuccess(TemplateDetail)
      .addError(TemplateNotFound)
      .annotate(OpenApi.Summary, "A template: input and output as JSON Schema, its waits, its structure")
  )
  .add(
    HttpApiEndpoint.get("diagram", "/templates/:name/diagram.svg")
      .setPath(templateName)
      .setUrlParams(versionQuery)
      .addSuccess(HttpApiSchema.Text({ contentType: "image/svg+xml" }))
      .addError(TemplateNotFound)
      .annotate(OpenApi.Summary, "A template's diagram, as SVG")
  )
  .middleware(Authorization)
{}

/**
 * Runs: start, list, get, trace, result, signal, cancel, resume.
 *
 * @since 0.2.0
 * @category models
 */
export class RunsGroup extends HttpApiGroup.make("runs")
  .add(
    HttpApiEndpoint.post("start", "/runs")
      .setPayload(StartRun)
      .addSuccess(RunStarted, { status: 201 })
      .addError(InvalidInput)
      .addError(TemplateNotFound)
      .addError(RunAlreadyExists)
      .annotate(OpenApi.Summary, "Starts a run in the background; 201 with its id once it is recorded")
  )
  .add(
    HttpApiEndpoint.get("list", "/runs")
      .setUrlParams(RunQuery)
      .addSuccess(RunPage)
      .annotate(OpenApi.Summary, "Runs, newest first, filtered, one page at a time")
  )
  .add(
    HttpApiEndpoint.get("get", "/runs/:runId")
      .setPath(runIdPath)
      .addSuccess(RunDetail)
      .addError(RunNotFound)
      .annotate(OpenApi.Summary, "A run: its record, state and position")
  )
  .add(
    HttpApiEndpoint.get("trace", "/runs/:runId/trace")
      .setPath(runIdPath)
      .addSuccess(Schema.Array(TraceEntry))
      .addError(RunNotFound)
      .annotate(OpenApi.Summary, "A run's trace: one entry per step, with its output")
  )
  .add(
    HttpApiEndpoint.get("result", "/runs/:runId/result")
      .setPath(runIdPath)
      .addSuccess(RunResult)
      .addError(RunNotFound)
      .addError(RunNotCompleted)
      .addError(TemplateMismatch)
      .addError(TemplateNotRegistered)
      .annotate(OpenApi.Summary, "A completed run's final state")
  )
  .add(
    HttpApiEndpoint.post("signal", "/runs/:runId/signals/:signal")
      .setPath(Schema.Struct({ runId: Segment, signal: Segment }))
      .setPayload(Schema.Unknown.annotations({ description: "the signal's payload, decoded with its wait's Schema" }))
      .addSuccess(Schema.Struct({ runId: Schema.String, signal: Schema.String }), { status: 202 })
      .addError(InvalidSignalPayload)
      .addError(RunNotFound)
      .addError(SignalRejected)
      .addError(TemplateNotRegistered)
      .annotate(OpenApi.Summary, "Sends a signal to a run; 202 once it is recorded")
  )
  .add(
    HttpApiEndpoint.post("cancel", "/runs/:runId/cancel")
      .setPath(runIdPath)
      .addSuccess(Run)
      .addError(RunNotFound)
      .addError(RunNotResumable)
      .annotate(OpenApi.Summary, "Cancels a queued, running or suspended run (and its sub-flows' runs)")
  )
  .add(
    HttpApiEndpoint.post("resume", "/runs/:runId/resume")
      .setPath(runIdPath)
      .addSuccess(Run, { status: 202 })
      .addError(RunNotFound)
      .addError(RunNotResumable)
      .addError(RunAlreadyActive)
      .addError(TemplateMismatch)
      .addError(TemplateNotRegistered)
      .annotate(OpenApi.Summary, "Resumes a stored run in the background, from its last checkpoint")
  )
  .middleware(Authorization)
{}

/**
 * Server-Sent Events: one run's progress, or every run's.
 *
 * @since 0.2.0
 * @category models
 */
export class EventsGroup extends HttpApiGroup.make("events")
  .add(
    HttpApiEndpoint.get("run", "/runs/:runId/events")
      .setPath(runIdPath)
      .addSuccess(eventStream)
      .addError(RunNotFound)
      .annotate(
        OpenApi.Summary,
        "One run's progress: a `RunUpdated` event with its record first, then its events; ends when the run does"
      )
  )
  .add(
    HttpApiEndpoint.get("all", "/events")
      .addSuccess(eventStream)
      .annotate(OpenApi.Summary, "Every run's progress: engine events, and `RunUpdated` for runs other processes execute")
  )
  .middleware(Authorization)
{}

/**
 * The weft HTTP API, under `/api`. Derive a typed client with
 * `HttpApiClient.make(Api, { baseUrl })`.
 *
 * @example
 * ```ts
 * import { FetchHttpClient, HttpApiClient } from "@effect/platform"
 * import { Effect } from "effect"
 * import { Http } from "weftjs/http"
 *
 * const failedRuns = Effect.gen(function*() {
 *   const client = yield* HttpApiClient.make(Http.Api, { baseUrl: "http://127.0.0.1:7070" })
 *   return yield* client.runs.list({ urlParams: { status: "failed" } })
 * }).pipe(Effect.provide(FetchHttpClient.layer))
 * ```
 *
 * @since 0.2.0
 * @category models
 */
export class Api extends HttpApi.make("weft")
  .add(TemplatesGroup)
  .add(RunsGroup)
  .add(EventsGroup)
  .addError(BadRequest)
  .addError(Forbidden)
  .addError(NotFound)
  .addError(PayloadTooLarge)
  .addError(PersistenceError)
  .addError(InvalidTemplate)
  .addError(InternalServerError)
  .prefix("/api")
  .annotateContext(OpenApi.annotations({
    title: "weft",
    version: "0.2.0",
    description: "Runs of weft workflow templates: start, list, inspect, signal, cancel, resume, and follow them live."
  }))
{}
