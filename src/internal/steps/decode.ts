/**
 * Checking a value a built-in step got (a command's JSON output, a file's
 * content, an HTTP response, a `validate`'s value) against its Schema: a
 * mismatch is a {@link ValueInvalid} naming every field at fault.
 *
 * @internal
 */
import { Effect, Schema } from "effect"
import { ValueInvalid } from "../../Errors.js"
import { toIssues } from "../run/issues.js"

/** Decodes `value` with `schema`; fails naming every issue. */
export const decodeValue = <A, I>(
  schema: Schema.Schema<A, I, never>,
  value: unknown,
  step: string,
  what: string
): Effect.Effect<A, ValueInvalid> =>
  Schema.decodeUnknown(schema)(value, { errors: "all", onExcessProperty: "ignore" }).pipe(
    Effect.mapError((error) => new ValueInvalid({ step, what, issues: toIssues(error) }))
  )

/** Parses JSON text (a parse failure is a {@link ValueInvalid} at the root). */
export const parseJson = (text: string, step: string, what: string): Effect.Effect<unknown, ValueInvalid> =>
  Effect.try({
    try: () => JSON.parse(text) as unknown,
    catch: (error) =>
      new ValueInvalid({
        step,
        what,
        issues: [{ path: [], message: `not JSON: ${error instanceof Error ? error.message : String(error)}` }]
      })
  })
