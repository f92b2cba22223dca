/**
 * A step's policy as the YAML sets it: `retry:` (a schedule), `timeout:`
 * and `onError:` (fail, skip, or a fallback step).
 *
 * @internal
 */
import { Duration, Schedule } from "effect"
import type { YEntry, YNode } from "../source.js"
import { didYouMean } from "../suggest.js"
import type { Compilation, StepInfo } from "./context.js"
import { formatFields } from "./format.js"

/** What a YAML step sets of its policy (`undefined`: the registered step's own). */
export interface Policy {
  readonly retry: Schedule.Schedule<unknown, unknown> | undefined
  readonly timeout: Duration.Duration | undefined
  readonly onError: "fail" | "skip" | undefined
  readonly fallback: YEntry | undefined
}

/** A policy that sets nothing. */
export const noPolicy: Policy = { retry: undefined, timeout: undefined, onError: undefined, fallback: undefined }

export const policyOf = (cx: Compilation, fields: ReadonlyMap<string, YEntry>, info: StepInfo): Policy => {
  const retryEntry = fields.get("retry")
  const timeoutEntry = fields.get("timeout")
  const onErrorEntry = fields.get("onError")
  let onError: Policy["onError"]
  let fallback: YEntry | undefined
  if (onErrorEntry !== undefined) {
    const v = onErrorEntry.value
    if (v.kind === "scalar" && (v.value === "fail" || v.value === "skip")) {
      onError = v.value
    } else if (v.kind === "map") {
      const f = cx.fields(v, formatFields.onError, "onError")
      fallback = f?.get("fallback")
      if (f !== undefined && fallback === undefined) cx.error(v, `onError is "fail", "skip" or { fallback: <step> }`)
    } else {
      const text = v.kind === "scalar" ? String(v.value) : ""
      cx.error(v, `onError of step "${info.id}" is "fail", "skip" or { fallback: <step> }${didYouMean(text, ["fail", "skip", "fallback"])}`)
    }
  }
  return {
    retry: retryEntry === undefined ? undefined : retrySchedule(cx, retryEntry.value),
    timeout: timeoutEntry === undefined ? undefined : cx.duration(timeoutEntry.value, "timeout"),
    onError,
    fallback
  }
}

export const retrySchedule = (cx: Compilation, node: YNode): Schedule.Schedule<unknown, unknown> | undefined => {
  const fields = cx.fields(node, formatFields.retry, "retry")
  if (fields === undefined) return undefined
  const countEntry = fields.get("count")
  if (countEntry === undefined) return cx.error(node, `retry needs "count": how many more attempts after the first`)
  const count = cx.integer(countEntry.value, "retry.count", 0)
  const delayEntry = fields.get("delay")
  const delay = delayEntry === undefined ? Duration.seconds(1) : cx.duration(delayEntry.value, "retry.delay")
  const backoffEntry = fields.get("backoff")
  let backoff: "fixed" | "exponential" = "fixed"
  if (backoffEntry !== undefined) {
    const v = backoffEntry.value
    if (v.kind === "scalar" && (v.value === "fixed" || v.value === "exponential")) backoff = v.value
    else cx.error(v, `retry.backoff is "fixed" or "exponential"${didYouMean(v.kind === "scalar" ? String(v.value) : "", ["fixed", "exponential"])}`)
  }
  const factorEntry = fields.get("factor")
  let factor = 2
  if (factorEntry !== undefined) {
    const v = factorEntry.value
    if (backoff !== "exponential") cx.error(factorEntry.keyNode, `retry.factor is for backoff: exponential`)
    if (v.kind !== "scalar" || typeof v.value !== "number" || !(v.value > 1) || !Number.isFinite(v.value)) {
      cx.error(v, "retry.factor must be a number above 1")
    } else factor = v.value
  }
  const maxEntry = fields.get("maxDelay")
  const maxDelay = maxEntry === undefined ? undefined : cx.duration(maxEntry.value, "retry.maxDelay")
  if (count === undefined || delay === undefined || (maxEntry !== undefined && maxDelay === undefined)) return undefined
  const base: Schedule.Schedule<unknown, unknown> = backoff === "exponential"
    ? Schedule.exponential(delay, factor)
    : Schedule.spaced(delay)
  const capped = maxDelay === undefined ? base : base.pipe(Schedule.union(Schedule.spaced(maxDelay)))
  return capped.pipe(Schedule.intersect(Schedule.recurs(count)))
}
