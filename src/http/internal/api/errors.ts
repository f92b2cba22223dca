/**
 * The errors of the HTTP API, each JSON `{ _tag, message, ... }` with its
 * HTTP status. The engine's errors are weft's own (`Errors.ts`), declared
 * on the endpoints with their status (`Api.ts`) through {@link withMessage};
 * the ones below are the API's alone (a request it cannot read, a template
 * it does not serve, ...). Re-exported by `Api.ts`, with the engine's.
 *
 * @internal
 */
import { HttpApiSchema } from "@effect/platform"
import { Effect, ParseResult, Schema } from "effect"

export {
  InvalidInput,
  InvalidPatch,
  InvalidRunId,
  InvalidSignalPayload,
  InvalidTemplate,
  Issue,
  PersistenceError,
  MigrationRefused,
  RunAlreadyActive,
  RunNotCompleted,
  RunNotFound,
  RunNotPausable,
  RunNotPaused,
  RunNotResumable,
  SignalRejected,
  StepNotFound,
  TemplateConflict,
  TemplateMismatch,
  TemplateNotRegistered
} from "../../../Errors.js"

/**
 * One of weft's errors as the API sends it: its fields (as its Schema
 * encodes them, but its `cause`) and its `message` — and `keys`, for the
 * errors that name bad keys — so that a client without the Schema (a browser, curl) reads what
 * went wrong. The typed client decodes it back into the error itself (its
 * class, its message recomputed from its fields).
 *
 * @since 0.3.0
 * @category combinators
 */
export const withMessage = <A extends { readonly message: string }, I extends object>(
  error: Schema.Schema<A, I, never> & { readonly _tag?: string }
): Schema.Schema<A, I & { readonly message: string; readonly keys?: ReadonlyArray<string> }, never> => {
  const encoded = Schema.encodedSchema(error) as unknown as Schema.Struct<Schema.Struct.Fields>
  const json = Schema.extend(
    encoded,
    Schema.Struct({ message: Schema.String, keys: Schema.optional(Schema.Array(Schema.String)) })
  )
  const schema = Schema.transformOrFail(json, Schema.typeSchema(error), {
    strict: false,
    decode: (sent) => {
      const { keys: _keys, message: _message, ...fields } = sent as Readonly<Record<string, unknown>>
      return ParseResult.decodeUnknown(error)(fields)
    },
    encode: (self) =>
      Effect.map(ParseResult.encode(error)(self), (encoded) => {
        const { cause: _cause, ...fields } = encoded as Readonly<Record<string, unknown>>
        return {
          // a `cause` stays on the server: it may hold a stack or a database's words
          ...fields,
          message: self.message,
          ...("keys" in self && Array.isArray(self.keys) ? { keys: self.keys as ReadonlyArray<string> } : {})
        }
      })
  })
  return (typeof error._tag === "string" ? schema.annotations({ identifier: error._tag }) : schema) as never
}

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
 * The body is larger than the server's limit.
 *
 * @since 0.2.0
 * @category errors
 */
export class PayloadTooLarge extends Schema.TaggedError<PayloadTooLarge>()("PayloadTooLarge", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 413 })) {}

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

/**
 * A body that is not JSON in UTF-8 (by its `Content-Type`): refused before
 * it is read.
 *
 * @since 0.3.0
 * @category errors
 */
export class UnsupportedMediaType extends Schema.TaggedError<UnsupportedMediaType>()("UnsupportedMediaType", {
  message: Schema.String
}, HttpApiSchema.annotations({ status: 415 })) {}
