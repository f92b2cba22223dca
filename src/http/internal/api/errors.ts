/**
 * The errors of the HTTP API, each JSON `{ _tag, message, ... }` with its
 * HTTP status. Re-exported by `Api.ts`.
 *
 * @internal
 */
import { HttpApiSchema } from "@effect/platform"
import { Schema } from "effect"

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
