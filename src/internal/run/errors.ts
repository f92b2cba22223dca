/**
 * Errors as stored, and back: a run that fails in one process fails its
 * waiters in every other process with an error of the same `_tag` and
 * fields, decoded from the summary the store recorded. weft's own errors go
 * through one Schema, `Errors.WeftError`, and come back as their classes;
 * any other error keeps its tag, message and JSON-safe fields.
 *
 * @internal
 */
import { Data, Either, Schema } from "effect"
import * as Errors from "../../Errors.js"
import type { ErrorSummary } from "../../SnapshotStore.js"
import { checkJson } from "./values.js"

const encodeWeftError = Schema.encodeEither(Errors.WeftError)
const decodeWeftError = Schema.decodeUnknownEither(Errors.WeftError)

/** Not stored: the tag is the summary's own, and a cause stays in its process. */
const unstored = new Set(["_tag", "cause", "stack", "message"])

const safeString = (u: unknown): string => {
  try {
    return String(u)
  } catch {
    return "(unprintable)"
  }
}

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? ""
  } catch {
    return ""
  }
}

/** The JSON-safe entries of a record, without the ones that are never stored. */
const storable = (record: object): Record<string, unknown> => {
  const data: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(record)) {
    if (!unstored.has(key) && checkJson(value).ok) data[key] = value
  }
  return data
}

/** One of weft's errors through its Schema, or `undefined` when it does not encode to JSON. */
const summarizeWeftError = (error: Errors.WeftError): ErrorSummary | undefined => {
  const encoded = encodeWeftError(error)
  if (Either.isLeft(encoded)) return undefined
  const data = storable(encoded.right)
  return Object.keys(data).length === Object.keys(encoded.right).filter((key) => !unstored.has(key)).length
    ? { tag: error._tag, message: error.message, data }
    : undefined
}

/** A JSON-safe summary of any failure, with the error's own JSON-safe fields as `data`. */
export const summarize = (error: unknown): ErrorSummary => {
  if (typeof error !== "object" || error === null) return { tag: typeof error, message: safeString(error) }
  try {
    if (Errors.isWeftError(error)) {
      const summary = summarizeWeftError(error)
      if (summary !== undefined) return summary
    }
    const tag = "_tag" in error && typeof error._tag === "string"
      ? error._tag
      : error instanceof Error
      ? error.name
      : "Error"
    const rawMessage = "message" in error ? error.message : undefined
    const data = storable(error)
    const message = typeof rawMessage === "string" && rawMessage !== "" ? rawMessage : safeJson(data)
    return Object.keys(data).length === 0 ? { tag, message } : { tag, message, data }
  } catch {
    return { tag: "Error", message: "(an error that cannot be read)" }
  }
}

/**
 * The error a stored summary stands for: weft's own errors as their class,
 * any other tagged error as a tagged error with the same `_tag`, fields and
 * message (so `Effect.catchTag` handles it as it would the original).
 */
export const revive = (summary: ErrorSummary): unknown => {
  if (summary.data !== undefined) {
    const decoded = decodeWeftError({ ...summary.data, _tag: summary.tag })
    if (Either.isRight(decoded)) return decoded.right
  }
  const Tagged = Data.TaggedError(summary.tag)
  return new Tagged({ ...summary.data, message: summary.message } as never)
}
