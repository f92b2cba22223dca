/**
 * A run's input as JSON, for what keeps an input outside the code that
 * typed it (a stored schedule's input): encoded and decoded with the
 * Schemas of what its template requires, each issue naming its key.
 *
 * @internal
 */
import { Either, Schema } from "effect"
import type { Issue } from "../../Errors.js"
import type * as Template from "../../Template.js"
import { toIssues } from "../run/issues.js"

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const options = { errors: "all", onExcessProperty: "ignore" } as const

/** Runs each requirement's Schema one way over `input`; the merged keys, or every issue. */
const convert = (
  template: Template.Template.Any,
  input: unknown,
  way: "decode" | "encode"
): Either.Either<Readonly<Record<string, unknown>>, ReadonlyArray<Issue>> => {
  if (!isRecord(input)) return Either.left([{ path: [], message: "expected an object holding the template's input keys" }])
  const out: Record<string, unknown> = {}
  const issues: Array<Issue> = []
  for (const [key, schema] of template.requirements) {
    const result = way === "decode"
      ? Schema.decodeUnknownEither(schema)(input, options)
      : Schema.encodeUnknownEither(schema)(input, options)
    if (Either.isLeft(result)) issues.push(...toIssues(result.left))
    else if (isRecord(result.right) && key in result.right && !(key in out)) out[key] = result.right[key]
  }
  return issues.length > 0 ? Either.left(issues) : Either.right(out)
}

/** A typed input as JSON (its keys encoded). */
export const encodeInput = (template: Template.Template.Any, input: unknown) => convert(template, input, "encode")

/** A JSON input, typed (its keys decoded). */
export const decodeInput = (template: Template.Template.Any, input: unknown) => convert(template, input, "decode")
