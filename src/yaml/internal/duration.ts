/**
 * Durations as YAML flows write them: `500ms`, `10s`, `10 seconds`,
 * `15 minutes`, `2h`, `2 days`, `1 week`, or several parts (`1h 30m`).
 *
 * @internal
 */
import { Duration } from "effect"
import { didYouMean } from "./suggest.js"

const units: Readonly<Record<string, number>> = {
  ms: 1,
  millis: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000
}

const part = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]+)\s*/

/** A duration, or the reason the text is not one. */
export const parseDuration = (
  text: string
): { readonly _tag: "Right"; readonly duration: Duration.Duration } | { readonly _tag: "Left"; readonly message: string } => {
  const trimmed = text.trim()
  if (trimmed.length === 0) return { _tag: "Left", message: "a duration must not be empty (e.g. \"10 seconds\")" }
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return { _tag: "Left", message: `"${trimmed}" has no unit: write e.g. "${trimmed} seconds" or "${trimmed}ms"` }
  }
  let rest = trimmed
  let millis = 0
  while (rest.length > 0) {
    const match = part.exec(rest)
    if (match === null) return { _tag: "Left", message: `"${trimmed}" is not a duration (e.g. "500ms", "10 seconds", "1h 30m")` }
    const name = match[2]!.toLowerCase()
    const unit = Object.prototype.hasOwnProperty.call(units, name) ? units[name] : undefined
    if (unit === undefined) {
      return {
        _tag: "Left",
        message: `"${match[2]}" is not a unit of time in "${trimmed}"${didYouMean(match[2]!, Object.keys(units))}`
      }
    }
    millis += Number(match[1]) * unit
    rest = rest.slice(match[0].length)
  }
  if (!Number.isFinite(millis) || millis > 365 * 86_400_000 * 100) {
    return { _tag: "Left", message: `"${trimmed}" is too long a duration` }
  }
  return { _tag: "Right", duration: Duration.millis(millis) }
}
