/**
 * Property tests of the decoders of what the command line receives from
 * outside: JSON inputs and payloads, durations and times, list filters,
 * cursors and `--var` pairs. None throws; every refusal names the option.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as fc from "fast-check"
import {
  encodeCursor,
  maxLimit,
  parseCursor,
  parseDuration,
  parseJson,
  parseJsonObject,
  parseListFilter,
  parseQueues,
  parseRates,
  parseStatuses,
  parseTime,
  parseVars,
  statuses
} from "../../src/cli/internal/decode.js"

const leftMessage = <A>(either: Either.Either<A, { readonly message: string }>): string =>
  Either.isLeft(either) ? either.left.message : ""

const units = [
  ["ms", 1],
  ["s", 1_000],
  ["m", 60_000],
  ["h", 3_600_000],
  ["d", 86_400_000],
  ["w", 604_800_000],
  ["seconds", 1_000],
  ["minute", 60_000],
  ["hours", 3_600_000],
  ["days", 86_400_000]
] as const

const durationPart = fc.tuple(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(...units), fc.constantFrom("", " "))

describe("parseJson", () => {
  it("reads back every JSON document", () =>
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const text = JSON.stringify(value)
      expect(parseJson(text, "--input")).toEqual(Either.right(JSON.parse(text)))
    })))

  it("refuses what is not JSON with a message naming the option, never throwing", () =>
    fc.assert(fc.property(fc.string({ unit: "binary" }), (text) => {
      let valid = true
      try {
        JSON.parse(text)
      } catch {
        valid = false
      }
      const parsed = parseJson(text, "payload")
      expect(Either.isRight(parsed)).toBe(valid)
      if (!valid) expect(leftMessage(parsed)).toMatch(/^payload: invalid JSON: /)
    })))

  it("takes only an object as a run's input", () =>
    fc.assert(fc.property(fc.jsonValue(), (value) => {
      const parsed = parseJsonObject(JSON.stringify(value), "--input")
      const isObject = typeof value === "object" && value !== null && !Array.isArray(value)
      expect(Either.isRight(parsed)).toBe(isObject)
      if (!isObject) expect(leftMessage(parsed)).toMatch(/^--input: expected a JSON object/)
    })))
})

describe("parseDuration", () => {
  it("adds up its parts", () =>
    fc.assert(fc.property(fc.array(durationPart, { minLength: 1, maxLength: 4 }), (parts) => {
      const text = parts.map(([n, [unit], space]) => `${n}${space}${unit}`).join("")
      const expected = parts.reduce((sum, [n, [, factor]]) => sum + n * factor, 0)
      expect(parseDuration(text, "--timeout")).toEqual(Either.right(expected))
    })))

  it("accepts upper case and surrounding blanks", () => {
    expect(parseDuration("  1H30M ", "--since")).toEqual(Either.right(5_400_000))
    expect(parseDuration("1.5s", "--since")).toEqual(Either.right(1_500))
  })

  it("refuses anything else with a message naming the option, never throwing", () =>
    fc.assert(fc.property(fc.string(), (text) => {
      const parsed = parseDuration(text, "--interval")
      if (Either.isRight(parsed)) {
        expect(Number.isSafeInteger(parsed.right) && parsed.right >= 0).toBe(true)
        expect(text.trim()).toMatch(/^\d/)
      } else {
        expect(leftMessage(parsed)).toMatch(/^--interval: /)
      }
    })))

  it("names a unit it does not know", () => {
    expect(leftMessage(parseDuration("5 fortnights", "--timeout"))).toBe(
      `--timeout: unknown unit "fortnights" in "5 fortnights" (use ms, s, m, h, d or w)`
    )
    expect(Either.isLeft(parseDuration("", "--timeout"))).toBe(true)
    expect(Either.isLeft(parseDuration("h", "--timeout"))).toBe(true)
    expect(Either.isLeft(parseDuration("-5s", "--timeout"))).toBe(true)
  })
})

describe("parseTime", () => {
  const now = Date.UTC(2025, 5, 1, 12, 0, 0)
  const dates = fc.date({ min: new Date(Date.UTC(1970, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true })

  it("reads ISO dates", () =>
    fc.assert(fc.property(dates, (date) => {
      expect(parseTime(date.toISOString(), "--since", now)).toEqual(Either.right(date.getTime()))
      const day = date.toISOString().slice(0, 10)
      expect(parseTime(day, "--since", now)).toEqual(Either.right(Date.parse(day)))
    })))

  it("reads a duration as that long before now", () =>
    fc.assert(fc.property(fc.array(durationPart, { minLength: 1, maxLength: 3 }), (parts) => {
      const text = parts.map(([n, [unit], space]) => `${n}${space}${unit}`).join("")
      const ago = parts.reduce((sum, [n, [, factor]]) => sum + n * factor, 0)
      expect(parseTime(text, "--until", now)).toEqual(Either.right(now - ago))
    })))

  it("refuses anything else with a message naming the option, never throwing", () =>
    fc.assert(fc.property(fc.string(), (text) => {
      const parsed = parseTime(text, "--until", now)
      if (Either.isRight(parsed)) expect(Number.isFinite(parsed.right)).toBe(true)
      else expect(leftMessage(parsed)).toMatch(/^--until: /)
    })))

  it("refuses a date that does not exist", () => {
    expect(leftMessage(parseTime("2024-13-45", "--since", now))).toBe(`--since: "2024-13-45" is not a valid date`)
    expect(Either.isLeft(parseTime("yesterday", "--since", now))).toBe(true)
  })
})

describe("parseStatuses", () => {
  it("reads statuses given one by one or as comma-separated lists, in any case, once each", () =>
    fc.assert(fc.property(
      fc.array(fc.constantFrom(...statuses), { maxLength: 8 }),
      fc.boolean(),
      fc.boolean(),
      (chosen, together, upper) => {
        const written = chosen.map((s) => upper ? s.toUpperCase() : s)
        const values = together ? [written.join(",")] : written
        expect(parseStatuses(values)).toEqual(Either.right(Array.from(new Set(chosen))))
      }
    )))

  it("refuses an unknown status, naming it and the known ones", () =>
    fc.assert(fc.property(
      fc.string({ minLength: 1 }).filter((s) => !s.includes(",") && s.trim() !== "" && !statuses.includes(s.trim().toLowerCase() as never)),
      (bad) => {
        const message = leftMessage(parseStatuses(["failed", bad]))
        expect(message).toContain("--status: unknown status")
        expect(message).toContain("queued, running, suspended, paused, completed, failed, cancelled")
      }
    )))
})

describe("cursors", () => {
  it("read back what they were written from", () =>
    fc.assert(fc.property(fc.nat({ max: Number.MAX_SAFE_INTEGER }), fc.string({ unit: "binary" }), (createdAt, runId) => {
      const text = encodeCursor({ createdAt, runId })
      expect(text).toMatch(/^[A-Za-z0-9_-]+$/)
      expect(parseCursor(text)).toEqual(Either.right({ createdAt, runId }))
    })))

  it("refuse anything that is not one, never throwing", () =>
    fc.assert(fc.property(fc.string({ unit: "binary" }), (text) => {
      const parsed = parseCursor(text)
      if (Either.isRight(parsed)) {
        expect(Number.isSafeInteger(parsed.right.createdAt)).toBe(true)
        expect(typeof parsed.right.runId).toBe("string")
      } else {
        expect(leftMessage(parsed)).toMatch(/^--cursor: .* is not a cursor given by a previous "weft list"/)
      }
    })))
})

describe("parseVars", () => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,10}$/)

  it("reads key=value pairs (a value may hold '=')", () =>
    fc.assert(fc.property(fc.dictionary(name, fc.string()), (vars) => {
      const args = Object.entries(vars).map(([k, v]) => `${k}=${v}`)
      expect(parseVars(args)).toEqual(Either.right({ ...vars }))
    })))

  it("refuses a pair without '=', a bad name, a key given twice", () =>
    fc.assert(fc.property(name, fc.string(), (key, value) => {
      expect(leftMessage(parseVars([key]))).toMatch(/^--var: expected key=value/)
      expect(leftMessage(parseVars([`${key}=${value}`, `${key}=x`]))).toBe(`--var: ${key} is given twice`)
      expect(leftMessage(parseVars([`1${key}=${value}`]))).toMatch(/^--var: .* is not a variable name/)
    })))
})

describe("parseListFilter", () => {
  const now = Date.UTC(2025, 5, 1)
  const base = { status: [], template: undefined, since: undefined, until: undefined, limit: 20, cursor: undefined }

  it("decodes every filter together", () =>
    fc.assert(fc.property(
      fc.subarray([...statuses]),
      fc.option(fc.stringMatching(/^[a-z_]{1,12}$/), { nil: undefined }),
      fc.integer({ min: 1, max: maxLimit }),
      fc.integer({ min: 1, max: 1_000 }),
      fc.option(fc.record({ createdAt: fc.nat(), runId: fc.string() }), { nil: undefined }),
      (status, template, limit, hours, cursor) => {
        const parsed = parseListFilter({
          status,
          template,
          since: `${hours}h`,
          until: "2025-06-01",
          limit,
          cursor: cursor === undefined ? undefined : encodeCursor(cursor)
        }, now)
        expect(parsed).toEqual(Either.right({
          status,
          templateName: template,
          createdAfter: now - hours * 3_600_000,
          createdBefore: now,
          limit,
          after: cursor
        }))
      }
    )))

  it("refuses a limit out of range, a window that ends before it starts, a bad cursor", () =>
    fc.assert(fc.property(fc.integer().filter((n) => n < 1 || n > maxLimit), (limit) => {
      expect(leftMessage(parseListFilter({ ...base, limit }, now))).toBe(
        `--limit: expected a whole number from 1 to ${maxLimit}, got ${limit}`
      )
    })))

  it("refuses --since after --until", () => {
    expect(leftMessage(parseListFilter({ ...base, since: "1h", until: "2h" }, now))).toBe("--since must be before --until")
    expect(leftMessage(parseListFilter({ ...base, cursor: "!!" }, now))).toMatch(/^--cursor: /)
    expect(leftMessage(parseListFilter({ ...base, status: ["done"] }, now))).toMatch(/^--status: unknown status "done"/)
  })
})

describe("parseQueues", () => {
  const queue = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/)

  it("gives every queue its own limit, or the concurrency", () =>
    fc.assert(fc.property(
      fc.uniqueArray(fc.tuple(queue, fc.option(fc.integer({ min: 1, max: 99_999 }), { nil: undefined })), {
        selector: ([name]) => name,
        maxLength: 6
      }),
      fc.integer({ min: 1, max: 10_000 }),
      (queues, concurrency) => {
        const args = queues.map(([name, limit]) => limit === undefined ? name : `${name}:${limit}`)
        const expected = queues.length === 0
          ? { default: concurrency }
          : Object.fromEntries(queues.map(([name, limit]) => [name, limit ?? concurrency]))
        expect(parseQueues(args, concurrency)).toEqual(Either.right(expected))
      }
    )))

  it("refuses a bad name, a bad limit, a queue given twice, a bad concurrency, never throwing", () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const parsed = parseQueues([text], 3)
      if (Either.isLeft(parsed)) expect(leftMessage(parsed)).toMatch(/^--queue: /)
      else expect(Object.values(parsed.right).every((n) => Number.isInteger(n) && n >= 1)).toBe(true)
    }))
    expect(leftMessage(parseQueues(["a b"], 1))).toMatch(/^--queue: expected a queue name/)
    expect(leftMessage(parseQueues(["orders:0"], 1))).toBe("--queue: the limit of queue orders must be 1 or more")
    expect(leftMessage(parseQueues(["orders:x"], 1))).toMatch(/^--queue: expected a queue name/)
    expect(leftMessage(parseQueues(["orders", "orders:2"], 1))).toBe("--queue: queue orders is given twice")
    expect(leftMessage(parseQueues([], 0))).toBe("--concurrency: expected a whole number from 1 to 10000, got 0")
  })
})

describe("parseRates", () => {
  const queue = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/)
  const unit = fc.constantFrom(["ms", 1], ["s", 1000], ["m", 60_000]) as fc.Arbitrary<readonly [string, number]>

  it("reads each queue's starts per period", () =>
    fc.assert(fc.property(
      fc.uniqueArray(fc.tuple(queue, fc.integer({ min: 1, max: 999_999 }), fc.integer({ min: 1, max: 999 }), unit), {
        selector: ([name]) => name,
        maxLength: 5
      }),
      (rates) => {
        const args = rates.map(([name, limit, n, [u]]) => `${name}=${limit}/${n}${u}`)
        const expected = Object.fromEntries(rates.map(([name, limit, n, [, ms]]) => [name, { limit, periodMillis: n * ms }]))
        expect(parseRates(args)).toEqual(Either.right(expected))
      }
    )))

  it("refuses a bad form, a zero limit or period, a queue given twice, never throwing", () => {
    fc.assert(fc.property(fc.string(), (text) => {
      const parsed = parseRates([text])
      if (Either.isLeft(parsed)) expect(leftMessage(parsed)).toMatch(/^--rate: /)
      else expect(Object.values(parsed.right).every((r) => r.limit >= 1 && r.periodMillis >= 1)).toBe(true)
    }))
    expect(leftMessage(parseRates(["emails:10/1s"]))).toMatch(/^--rate: expected <queue>=<starts>\/<period>/)
    expect(leftMessage(parseRates(["emails=0/1s"]))).toBe("--rate: the limit of queue emails must be 1 or more")
    expect(leftMessage(parseRates(["emails=10/soon"]))).toMatch(/^--rate: /)
    expect(leftMessage(parseRates(["emails=1/1s", "emails=2/1s"]))).toBe("--rate: queue emails is given twice")
  })
})
