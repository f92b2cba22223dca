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
import { Schema } from "effect"
import * as Errors from "../Errors.js"
import {
  BadRequest,
  Forbidden,
  InternalServerError,
  NotFound,
  PayloadTooLarge,
  RunAlreadyExists,
  TemplateNotFound,
  Unauthorized,
  UnsupportedMediaType,
  withMessage
} from "./internal/api/errors.js"
import {
  ForkRun,
  Run,
  RunDetail,
  RunPage,
  RunQuery,
  RunResult,
  RunStarted,
  StartRun,
  MigrateRuns,
  Migrated,
  StateAt,
  StateQuery,
  TraceEntry
} from "./internal/api/runs.js"
import {
  TemplateDetail,
  TemplateSummary
} from "./internal/api/templates.js"
import { CreateSchedule, Schedule, TriggerInfo } from "./internal/api/triggers.js"

import {
  BulkCancelled,
  CancelMatching,
  MetricsQuery,
  MetricsView,
  QueueView,
  RunExport,
  RunHistory,
  WorkerView
} from "./internal/api/fleet.js"

export * from "./internal/api/errors.js"
export * from "./internal/api/fleet.js"
export * from "./internal/api/runs.js"
export * from "./internal/api/templates.js"
export * from "./internal/api/triggers.js"

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

// weft's errors that several endpoints answer, as JSON with their message
const runNotFound = withMessage(Errors.RunNotFound)
const runNotResumable = withMessage(Errors.RunNotResumable)
const templateMismatch = withMessage(Errors.TemplateMismatch)
const templateNotRegistered = withMessage(Errors.TemplateNotRegistered)

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
 * Runs: start, list, get, trace, result, signal, cancel, pause, unpause,
 * resume, the state after a step, re-run, fork.
 *
 * @since 0.2.0
 * @category models
 */
export class RunsGroup extends HttpApiGroup.make("runs")
  .add(
    HttpApiEndpoint.post("start", "/runs")
      .setPayload(StartRun)
      .addSuccess(RunStarted, { status: 201 })
      .addError(withMessage(Errors.InvalidInput), { status: 400 })
      .addError(withMessage(Errors.InvalidRunId), { status: 400 })
      .addError(TemplateNotFound)
      .addError(RunAlreadyExists)
      .addError(withMessage(Errors.TemplateConflict), { status: 500 })
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
      .addError(runNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "A run: its record, state and position")
  )
  .add(
    HttpApiEndpoint.get("trace", "/runs/:runId/trace")
      .setPath(runIdPath)
      .addSuccess(Schema.Array(TraceEntry))
      .addError(runNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "A run's trace: one entry per step, with its output")
  )
  .add(
    HttpApiEndpoint.get("result", "/runs/:runId/result")
      .setPath(runIdPath)
      .addSuccess(RunResult)
      .addError(runNotFound, { status: 404 })
      .addError(withMessage(Errors.RunNotCompleted), { status: 409 })
      .addError(templateMismatch, { status: 409 })
      .addError(templateNotRegistered, { status: 409 })
      .annotate(OpenApi.Summary, "A completed run's final state")
  )
  .add(
    HttpApiEndpoint.post("signal", "/runs/:runId/signals/:signal")
      .setPath(Schema.Struct({ runId: Segment, signal: Segment }))
      .setPayload(Schema.Unknown.annotations({ description: "the signal's payload, decoded with its wait's Schema" }))
      .addSuccess(Schema.Struct({ runId: Schema.String, signal: Schema.String }), { status: 202 })
      .addError(withMessage(Errors.InvalidSignalPayload), { status: 400 })
      .addError(runNotFound, { status: 404 })
      .addError(withMessage(Errors.SignalRejected), { status: 409 })
      .addError(templateNotRegistered, { status: 409 })
      .annotate(OpenApi.Summary, "Sends a signal to a run; 202 once it is recorded")
  )
  .add(
    HttpApiEndpoint.post("cancel", "/runs/:runId/cancel")
      .setPath(runIdPath)
      .addSuccess(Run)
      .addError(runNotFound, { status: 404 })
      .addError(runNotResumable, { status: 409 })
      .annotate(OpenApi.Summary, "Cancels a queued, running, suspended or paused run (and its sub-flows' runs)")
  )
  .add(
    HttpApiEndpoint.post("pause", "/runs/:runId/pause")
      .setPath(runIdPath)
      .addSuccess(Run)
      .addError(runNotFound, { status: 404 })
      .addError(withMessage(Errors.RunNotPausable), { status: 409 })
      .annotate(
        OpenApi.Summary,
        "Pauses a run: queued or suspended at once; an executing one after its step in flight (pausedFrom: running until then)"
      )
  )
  .add(
    HttpApiEndpoint.post("unpause", "/runs/:runId/unpause")
      .setPath(runIdPath)
      .addSuccess(Run)
      .addError(runNotFound, { status: 404 })
      .addError(withMessage(Errors.RunNotPaused), { status: 409 })
      .annotate(OpenApi.Summary, "Unpauses a paused run: back to what it was")
  )
  .add(
    HttpApiEndpoint.post("resume", "/runs/:runId/resume")
      .setPath(runIdPath)
      .addSuccess(Run, { status: 202 })
      .addError(runNotFound, { status: 404 })
      .addError(runNotResumable, { status: 409 })
      .addError(withMessage(Errors.RunAlreadyActive), { status: 409 })
      .addError(templateMismatch, { status: 409 })
      .addError(templateNotRegistered, { status: 409 })
      .annotate(OpenApi.Summary, "Resumes a stored run in the background, from its last checkpoint")
  )
  .add(
    HttpApiEndpoint.get("state", "/runs/:runId/state")
      .setPath(runIdPath)
      .setUrlParams(StateQuery)
      .addSuccess(StateAt)
      .addError(runNotFound, { status: 404 })
      .addError(withMessage(Errors.StepNotFound), { status: 404 })
      .addError(templateNotRegistered, { status: 409 })
      .annotate(OpenApi.Summary, "A run's state right after one of its steps, rebuilt from the stored deltas")
  )
  .add(
    HttpApiEndpoint.post("rerun", "/runs/:runId/rerun")
      .setPath(runIdPath)
      .addSuccess(Run, { status: 202 })
      .addError(runNotFound, { status: 404 })
      .addError(runNotResumable, { status: 409 })
      .addError(templateMismatch, { status: 409 })
      .addError(templateNotRegistered, { status: 409 })
      .addError(withMessage(Errors.MigrationRefused), { status: 409 })
      .addError(withMessage(Errors.TemplateConflict), { status: 500 })
      .annotate(OpenApi.Summary, "Re-runs a failed or cancelled run from its last checkpoint, in the background")
  )
  .add(
    HttpApiEndpoint.post("fork", "/runs/:runId/fork")
      .setPath(runIdPath)
      .setPayload(ForkRun)
      .addSuccess(RunStarted, { status: 201 })
      .addError(withMessage(Errors.InvalidPatch), { status: 400 })
      .addError(withMessage(Errors.InvalidRunId), { status: 400 })
      .addError(runNotFound, { status: 404 })
      .addError(withMessage(Errors.StepNotFound), { status: 404 })
      .addError(templateMismatch, { status: 409 })
      .addError(templateNotRegistered, { status: 409 })
      .addError(withMessage(Errors.MigrationRefused), { status: 409 })
      .addError(withMessage(Errors.TemplateConflict), { status: 500 })
      .annotate(OpenApi.Summary, "Starts a new run from a run's state right after a step, with a patch; 201 with its id")
  )
  .add(
    HttpApiEndpoint.post("migrate", "/migrations")
      .setPayload(MigrateRuns)
      .addSuccess(Migrated)
      .addError(withMessage(Errors.TemplateConflict), { status: 500 })
      .annotate(
        OpenApi.Summary,
        "Applies a migration the server knows to the stored runs of the old version: each run's result (migrated, held, unmapped, ...)"
      )
  )
  .middleware(Authorization)
{}

/**
 * The fleet: a run's full history, workers, queues, metrics.
 *
 * @since 0.4.0
 * @category models
 */
export class FleetGroup extends HttpApiGroup.make("fleet")
  .add(
    HttpApiEndpoint.get("history", "/runs/:runId/history")
      .setPath(runIdPath)
      .addSuccess(RunHistory)
      .addError(runNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "A run's full history: claims, steps, signals, waits, hand-backs, recoveries, its end")
  )
  .add(
    HttpApiEndpoint.get("export", "/runs/:runId/export")
      .setPath(runIdPath)
      .addSuccess(RunExport)
      .addError(runNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "A run as one JSON document: record, search attributes, history, steps with deltas, state")
  )
  .add(
    HttpApiEndpoint.post("cancelMatching", "/runs/cancel-matching")
      .setPayload(CancelMatching)
      .addSuccess(BulkCancelled)
      .annotate(OpenApi.Summary, "Cancels every active run a filter matches (or the given ids); dryRun counts them")
  )
  .add(
    HttpApiEndpoint.get("workers", "/workers")
      .addSuccess(Schema.Array(WorkerView))
      .annotate(OpenApi.Summary, "The workers recorded in the store, with their runs in hand; dead ones until their runs are taken over")
  )
  .add(
    HttpApiEndpoint.get("queues", "/queues")
      .addSuccess(Schema.Array(QueueView))
      .annotate(OpenApi.Summary, "The queues: depth by status, the oldest queued run's age, the workers serving each")
  )
  .add(
    HttpApiEndpoint.get("metrics", "/metrics")
      .setUrlParams(MetricsQuery)
      .addSuccess(MetricsView)
      .annotate(OpenApi.Summary, "Metrics of the runs created in a window (default the last hour)")
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
      .addError(runNotFound, { status: 404 })
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

const scheduleName = Schema.Struct({ name: Segment })
const scheduleNotFound = withMessage(Errors.ScheduleNotFound)

/**
 * Runs that start themselves: the stored schedules (list, create, pause,
 * resume, delete) and the triggers declared with the engine. Webhook
 * deliveries are served at `/hooks/<name>`, outside the API.
 *
 * @since 0.3.0
 * @category models
 */
export class SchedulesGroup extends HttpApiGroup.make("schedules")
  .add(
    HttpApiEndpoint.get("list", "/schedules")
      .addSuccess(Schema.Array(Schedule))
      .annotate(OpenApi.Summary, "The stored schedules, with their next ticks")
  )
  .add(
    HttpApiEndpoint.post("create", "/schedules")
      .setPayload(CreateSchedule)
      .addSuccess(Schedule, { status: 201 })
      .addError(withMessage(Errors.InvalidSchedule), { status: 400 })
      .addError(withMessage(Errors.ScheduleExists), { status: 409 })
      .addError(scheduleNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "Creates a schedule (its cron, time zone and input checked)")
  )
  .add(
    HttpApiEndpoint.post("pause", "/schedules/:name/pause")
      .setPath(scheduleName)
      .addSuccess(Schedule)
      .addError(scheduleNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "Pauses a schedule: its ticks start nothing until it is resumed")
  )
  .add(
    HttpApiEndpoint.post("resume", "/schedules/:name/resume")
      .setPath(scheduleName)
      .addSuccess(Schedule)
      .addError(scheduleNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "Resumes a paused schedule")
  )
  .add(
    HttpApiEndpoint.del("delete", "/schedules/:name")
      .setPath(scheduleName)
      .addSuccess(Schema.Struct({ name: Schema.String }))
      .addError(scheduleNotFound, { status: 404 })
      .annotate(OpenApi.Summary, "Deletes a schedule (its runs stay)")
  )
  .add(
    HttpApiEndpoint.get("triggers", "/triggers")
      .addSuccess(Schema.Array(TriggerInfo))
      .annotate(OpenApi.Summary, "The triggers declared with the engine: schedules, webhooks, event triggers")
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
  .add(FleetGroup)
  .add(EventsGroup)
  .add(SchedulesGroup)
  .addError(BadRequest)
  .addError(Forbidden)
  .addError(NotFound)
  .addError(PayloadTooLarge)
  .addError(UnsupportedMediaType)
  .addError(withMessage(Errors.PersistenceError), { status: 503 })
  .addError(withMessage(Errors.InvalidTemplate), { status: 500 })
  .addError(InternalServerError)
  .prefix("/api")
  .annotateContext(OpenApi.annotations({
    title: "weft",
    version: "0.2.0",
    description: "Runs of weft workflow templates: start, list, inspect, signal, cancel, resume, and follow them live."
  }))
{}
