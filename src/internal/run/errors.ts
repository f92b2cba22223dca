/**
 * Errors as stored, and back: a run that fails in one process fails its
 * waiters in every other process with an error of the same `_tag` and
 * fields (weft's own errors as their very classes), decoded from the
 * summary the store recorded.
 *
 * @internal
 */
import { Data, Duration } from "effect"
import * as Errors from "../../Errors.js"
import type { ErrorSummary } from "../../SnapshotStore.js"
import { checkJson } from "./values.js"

/** How a Duration field is stored in an error's data. */
interface StoredDuration {
  readonly "~duration": number | "infinity"
}

const encodeField = (value: unknown): unknown => {
  if (Duration.isDuration(value)) {
    return { "~duration": Duration.isFinite(value) ? Duration.toMillis(value) : "infinity" } satisfies StoredDuration
  }
  return value
}

const decodeField = (value: unknown): unknown => {
  if (typeof value === "object" && value !== null && "~duration" in value) {
    const millis = (value as StoredDuration)["~duration"]
    return millis === "infinity" ? Duration.infinity : Duration.millis(millis)
  }
  return value
}

const safeString = (u: unknown): string => {
  try {
    return String(u)
  } catch {
    return "(unprintable)"
  }
}

/** A JSON-safe summary of any failure, with the error's own JSON-safe fields as `data`. */
export const summarize = (error: unknown): ErrorSummary => {
  if (typeof error !== "object" || error === null) return { tag: typeof error, message: safeString(error) }
  try {
    const tag = "_tag" in error && typeof error._tag === "string"
      ? error._tag
      : error instanceof Error
      ? error.name
      : "Error"
    const rawMessage = "message" in error ? error.message : undefined
    const data: Record<string, unknown> = {}
    for (const key of Object.keys(error)) {
      if (key === "_tag" || key === "cause" || key === "stack" || key === "message") continue
      const value = encodeField((error as Record<string, unknown>)[key])
      if (checkJson(value).ok) data[key] = value
    }
    const message = typeof rawMessage === "string" && rawMessage !== "" ? rawMessage : safeJson(data)
    return Object.keys(data).length === 0 ? { tag, message } : { tag, message, data }
  } catch {
    return { tag: "Error", message: "(an error that cannot be read)" }
  }
}

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? ""
  } catch {
    return ""
  }
}

/** weft's own errors, rebuilt as their classes. */
const known: Record<string, new(fields: never) => unknown> = {
  InvalidInput: Errors.InvalidInput,
  InvalidStepOutput: Errors.InvalidStepOutput,
  StateEncodeError: Errors.StateEncodeError,
  StateExpired: Errors.StateExpired,
  StateKeyMissing: Errors.StateKeyMissing,
  StepTimeout: Errors.StepTimeout,
  WorkflowTimeout: Errors.WorkflowTimeout,
  InvalidTemplate: Errors.InvalidTemplate,
  LoopLimitExceeded: Errors.LoopLimitExceeded,
  SignalTimeout: Errors.SignalTimeout,
  SubflowFailed: Errors.SubflowFailed,
  RunCancelled: Errors.RunCancelled
}

/**
 * The error a stored summary stands for: weft's own errors as their class,
 * any other tagged error as a tagged error with the same `_tag`, fields and
 * message (so `Effect.catchTag` handles it as it would the original).
 */
export const revive = (summary: ErrorSummary): unknown => {
  const fields: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(summary.data ?? {})) fields[key] = decodeField(value)
  const Known = known[summary.tag]
  if (Known !== undefined && summary.data !== undefined) {
    try {
      return new Known(fields as never)
    } catch {
      // fall through to the generic form
    }
  }
  const Tagged = Data.TaggedError(summary.tag)
  return new Tagged({ ...fields, message: summary.message } as never)
}
