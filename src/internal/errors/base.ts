/**
 * What the error classes of `Errors` share: their type id, {@link Kind},
 * {@link Issue}, the summaries of templates and errors they carry, and the
 * formatting of issues.
 *
 * @internal
 */
import { Schema } from "effect"

/**
 * @since 0.3.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("weftjs/Errors")

/**
 * @since 0.3.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Whose fault an error is, for surfaces that map errors to exit codes or
 * statuses: `"input"`, the caller asked for something wrong and nothing was
 * done (the CLI exits with 2); `"failure"`, a run ended with it or has not
 * completed (exit 1); `"internal"`, the store or the engine failed (exit 1).
 *
 * @since 0.3.0
 * @category models
 */
export type Kind = "input" | "failure" | "internal"

/**
 * One problem found while decoding or checking a value against its Schema.
 *
 * @since 0.1.0
 * @category models
 */
export const Issue = Schema.Struct({
  /** The key path of the offending value, e.g. `["processParams", "temperature"]`. */
  path: Schema.Array(Schema.Union(Schema.String, Schema.Number, Schema.Symbol)),
  /** What was wrong with it. */
  message: Schema.String
})

/**
 * One problem found while decoding or checking a value against its Schema.
 *
 * @since 0.1.0
 * @category models
 */
export interface Issue extends Schema.Schema.Type<typeof Issue> {}

/** A template's name and version, as `TemplateMismatch` names them. */
/** A template as a run records it: name, version and, where known, the digest of its structure. */
export const FingerprintedRef = Schema.Struct({
  name: Schema.String,
  version: Schema.String,
  fingerprint: Schema.optional(Schema.String)
})

/** Another run's error, summarised as the store keeps it (it may have ended in another process). */
export const ErrorRef = Schema.NullOr(Schema.Struct({
  tag: Schema.String,
  message: Schema.String,
  data: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}))

export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? "(root)" : path.map(String).join(".")

export const formatIssues = (issues: ReadonlyArray<Issue>): string =>
  issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join("; ")
