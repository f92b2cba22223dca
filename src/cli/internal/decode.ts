/**
 * Decoders of what the command line receives from outside: JSON documents,
 * durations, times, run filters, cursors, `--var` pairs. Each returns an
 * `Either` whose left is a one-line message naming the option and what was
 * wrong; none throws.
 *
 * @internal
 */
import { Either } from "effect"
import { RunStatus } from "../../index.js"
import { parseWheres } from "../../internal/fleet/where.js"
import type { SearchCondition } from "../../SnapshotStore.js"

/** Why an argument was refused: a message that names the option. */
export class ArgumentError {
  readonly _tag = "ArgumentError"
  constructor(readonly message: string) {}
}

const fail = (message: string) => Either.left(new ArgumentError(message))

const describe = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "an array" : typeof value === "object" ? "an object" : `a ${typeof value}`

const show = (text: string) => JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)

/** Parses a JSON document; `what` names where it came from (`--input`, `payload`). */
export const parseJson = (text: string, what: string): Either.Either<unknown, ArgumentError> => {
  try {
    return Either.right(JSON.parse(text))
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    return fail(`${what}: invalid JSON: ${reason}`)
  }
}

/** Parses a JSON object (a run's input). */
export const parseJsonObject = (
  text: string,
  what: string
): Either.Either<Readonly<Record<string, unknown>>, ArgumentError> =>
  Either.flatMap(parseJson(text, what), (value) =>
    typeof value === "object" && value !== null && !Array.isArray(value)
      ? Either.right(value as Record<string, unknown>)
      : fail(`${what}: expected a JSON object (the run's input, one field per key), got ${describe(value)}`))

const units: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(ms|msecs?|millis(econds?)?)$/, 1],
  [/^(s|secs?|seconds?)$/, 1_000],
  [/^(m|mins?|minutes?)$/, 60_000],
  [/^(h|hrs?|hours?)$/, 3_600_000],
  [/^(d|days?)$/, 86_400_000],
  [/^(w|weeks?)$/, 604_800_000]
]

/**
 * Parses a duration to milliseconds: one or more `<number><unit>` parts
 * (`90s`, `15m`, `1h30m`, `2d`, `500ms`, `1 hour`), units `ms`, `s`, `m`,
 * `h`, `d`, `w` or their long names.
 */
export const parseDuration = (text: string, what: string): Either.Either<number, ArgumentError> => {
  const input = text.trim().toLowerCase()
  const part = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/y
  let total = 0
  let count = 0
  part.lastIndex = 0
  while (part.lastIndex < input.length) {
    const at = part.lastIndex
    const match = part.exec(input)
    if (match === null || match.index !== at) {
      return fail(`${what}: expected a duration such as 90s, 15m, 1h30m or 2d, got ${show(text)}`)
    }
    const factor = units.find(([pattern]) => pattern.test(match[2]!))?.[1]
    if (factor === undefined) {
      return fail(`${what}: unknown unit "${match[2]}" in ${show(text)} (use ms, s, m, h, d or w)`)
    }
    total += Number(match[1]) * factor
    count++
  }
  if (count === 0) return fail(`${what}: expected a duration such as 90s, 15m, 1h30m or 2d, got ${show(text)}`)
  if (!Number.isFinite(total) || total > 8_640_000_000_000_000) return fail(`${what}: duration ${show(text)} is too long`)
  return Either.right(Math.round(total))
}

const isoDate = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i

/**
 * Parses a point in time to epoch milliseconds: an ISO date
 * (`2024-05-01`, `2024-05-01T12:00:00Z`) or a duration meaning that long
 * before `now` (`1h`: an hour ago).
 */
export const parseTime = (text: string, what: string, now: number): Either.Either<number, ArgumentError> => {
  const trimmed = text.trim()
  if (isoDate.test(trimmed)) {
    const time = Date.parse(trimmed.includes(" ") ? trimmed.replace(" ", "T") : trimmed)
    return Number.isFinite(time) ? Either.right(time) : fail(`${what}: ${show(text)} is not a valid date`)
  }
  if (/^\d/.test(trimmed)) {
    return Either.match(parseDuration(trimmed, what), {
      onLeft: () =>
        fail(`${what}: expected an ISO date (2024-05-01, 2024-05-01T12:00:00Z) or a duration ago (90s, 15m, 1h, 2d), got ${show(text)}`),
      onRight: (ms) => Either.right(now - ms)
    })
  }
  return fail(`${what}: expected an ISO date (2024-05-01, 2024-05-01T12:00:00Z) or a duration ago (90s, 15m, 1h, 2d), got ${show(text)}`)
}

/** A run's status, as the store records it. */
export type Status = RunStatus.RunStatus

/** Every run status, in life-cycle order. */
export const statuses: ReadonlyArray<Status> = RunStatus.all

/** Parses `--status` values: each one status or a comma-separated list of them. */
export const parseStatuses = (
  values: ReadonlyArray<string>
): Either.Either<ReadonlyArray<Status>, ArgumentError> => {
  const out: Array<Status> = []
  for (const value of values) {
    for (const part of value.split(",")) {
      const status = part.trim().toLowerCase()
      if (status === "") continue
      const known = statuses.find((s) => s === status)
      if (known === undefined) return fail(`--status: unknown status ${show(part)} (one of ${statuses.join(", ")})`)
      if (!out.includes(known)) out.push(known)
    }
  }
  return Either.right(out)
}

/** A position in a listing: the last run of the previous page. */
export interface Cursor {
  readonly createdAt: number
  readonly runId: string
}

/** Writes a cursor as an opaque, URL- and shell-safe string. */
export const encodeCursor = (cursor: Cursor): string =>
  Buffer.from(JSON.stringify([cursor.createdAt, cursor.runId]), "utf8").toString("base64url")

/** Reads a cursor written by {@link encodeCursor}. */
export const parseCursor = (text: string): Either.Either<Cursor, ArgumentError> => {
  const bad = fail(`--cursor: ${show(text)} is not a cursor given by a previous "weft list" (its nextCursor)`)
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return bad
  try {
    const value: unknown = JSON.parse(Buffer.from(text, "base64url").toString("utf8"))
    if (
      Array.isArray(value) && value.length === 2 && typeof value[0] === "number" && Number.isSafeInteger(value[0]) &&
      typeof value[1] === "string"
    ) {
      return Either.right({ createdAt: value[0], runId: value[1] })
    }
    return bad
  } catch {
    return bad
  }
}

/** Parses `--var k=v` pairs (a key given twice is refused). */
export const parseVars = (
  values: ReadonlyArray<string>
): Either.Either<Readonly<Record<string, string>>, ArgumentError> => {
  const out: Record<string, string> = Object.create(null)
  for (const value of values) {
    const at = value.indexOf("=")
    if (at <= 0) return fail(`--var: expected key=value, got ${show(value)}`)
    const key = value.slice(0, at)
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key)) {
      return fail(`--var: ${show(key)} is not a variable name (letters, digits, "_", "-", ".")`)
    }
    if (key in out) return fail(`--var: ${key} is given twice`)
    out[key] = value.slice(at + 1)
  }
  return Either.right({ ...out })
}

/** The filter of `weft list`, as given on the command line. */
export interface ListArguments {
  readonly status: ReadonlyArray<string>
  readonly template: string | undefined
  readonly since: string | undefined
  readonly until: string | undefined
  readonly limit: number
  readonly cursor: string | undefined
  readonly where?: ReadonlyArray<string> | undefined
  readonly prefix?: string | undefined
  readonly forkedFrom?: string | undefined
}

/** The store filter for `weft list`. */
export interface ListFilter {
  readonly status: ReadonlyArray<Status>
  readonly templateName: string | undefined
  readonly createdAfter: number | undefined
  readonly createdBefore: number | undefined
  readonly limit: number
  readonly after: Cursor | undefined
  readonly where: ReadonlyArray<SearchCondition> | undefined
  readonly runIdPrefix: string | undefined
  readonly forkedFrom?: string | undefined
}

/** The most runs one page lists. */
export const maxLimit = 1000

/** Decodes the arguments of `weft list` into a store filter. */
export const parseListFilter = (args: ListArguments, now: number): Either.Either<ListFilter, ArgumentError> =>
  Either.gen(function*() {
    const status = yield* parseStatuses(args.status)
    const createdAfter = args.since === undefined ? undefined : yield* parseTime(args.since, "--since", now)
    const createdBefore = args.until === undefined ? undefined : yield* parseTime(args.until, "--until", now)
    if (createdAfter !== undefined && createdBefore !== undefined && createdAfter >= createdBefore) {
      return yield* fail(`--since must be before --until`)
    }
    if (!Number.isInteger(args.limit) || args.limit < 1 || args.limit > maxLimit) {
      return yield* fail(`--limit: expected a whole number from 1 to ${maxLimit}, got ${args.limit}`)
    }
    const after = args.cursor === undefined ? undefined : yield* parseCursor(args.cursor)
    const template = args.template?.trim()
    const where = yield* Either.mapLeft(parseWheres(args.where ?? []), (message) => new ArgumentError(`--where: ${message}`))
    if (args.forkedFrom === "") return yield* fail(`--forked-from: expected a run id`)
    return {
      forkedFrom: args.forkedFrom,
      where: where.length === 0 ? undefined : where,
      runIdPrefix: args.prefix === undefined || args.prefix === "" ? undefined : args.prefix,
      status,
      templateName: template === undefined || template === "" ? undefined : template,
      createdAfter,
      createdBefore,
      limit: args.limit,
      after
    }
  })

/**
 * Parses `--queue` values of `weft worker`: names, each optionally with its
 * own limit (`orders:5`); the others get `concurrency`. Default: `default`.
 */
export const parseQueues = (
  values: ReadonlyArray<string>,
  concurrency: number
): Either.Either<Readonly<Record<string, number>>, ArgumentError> => {
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 10_000) {
    return fail(`--concurrency: expected a whole number from 1 to 10000, got ${concurrency}`)
  }
  const out: Record<string, number> = Object.create(null)
  for (const value of values.length === 0 ? ["default"] : values) {
    const match = /^([A-Za-z0-9_.-]+)(?::(\d{1,5}))?$/.exec(value.trim())
    if (match === null) {
      return fail(`--queue: expected a queue name (letters, digits, "_", "-", "."), optionally with its limit (orders:5), got ${show(value)}`)
    }
    const name = match[1]!
    const limit = match[2] === undefined ? concurrency : Number(match[2])
    if (limit < 1) return fail(`--queue: the limit of queue ${name} must be 1 or more`)
    if (name in out) return fail(`--queue: queue ${name} is given twice`)
    out[name] = limit
  }
  return Either.right({ ...out })
}

/**
 * Parses `--rate` values of `weft worker`: `<queue>=<limit>/<period>` (`emails=10/1s`), at most
 * `limit` starts of the queue's runs in any `period` (a duration as {@link parseDuration} reads it).
 */
export const parseRates = (
  values: ReadonlyArray<string>
): Either.Either<Readonly<Record<string, { readonly limit: number; readonly periodMillis: number }>>, ArgumentError> => {
  const out: Record<string, { readonly limit: number; readonly periodMillis: number }> = Object.create(null)
  for (const value of values) {
    const match = /^([A-Za-z0-9_.-]+)=(\d{1,6})\/(.+)$/.exec(value.trim())
    if (match === null) {
      return fail(`--rate: expected <queue>=<starts>/<period> (emails=10/1s), got ${show(value)}`)
    }
    const name = match[1]!
    const limit = Number(match[2])
    if (limit < 1) return fail(`--rate: the limit of queue ${name} must be 1 or more`)
    const period = parseDuration(match[3]!, "--rate")
    if (Either.isLeft(period)) return Either.left(period.left)
    if (period.right < 1) return fail(`--rate: the period of queue ${name} must be 1 ms or more`)
    if (name in out) return fail(`--rate: queue ${name} is given twice`)
    out[name] = { limit, periodMillis: period.right }
  }
  return Either.right({ ...out })
}
