/**
 * Property tests of what the API decodes from outside: a run's input (with
 * its template's Schemas), a signal's payload (through the API, decoded by
 * the engine with the wait's Schema), and a listing's query, cursor and
 * pages.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import * as fc from "fast-check"
import { Http } from "weftjs/http"
import {
  decodeCursor,
  decodeInput,
  encodeCursor,
  isAfter,
  toFilter,
  toPage
} from "../../src/http/internal/codec.js"
import { awaitStatus, hello, memoryStore, reminder, setup } from "./fixtures.js"

/** A value for a key: valid, of a wrong type, or missing. */
type Pick = "valid" | "invalid" | "missing"

const pick: fc.Arbitrary<Pick> = fc.constantFrom("valid", "invalid", "missing")

const validName = fc.string({ maxLength: 12 })
const invalidName = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }))
const validTimes = fc.integer({ min: 1, max: 5 })
const invalidTimes = fc.oneof(
  fc.integer({ min: 6, max: 1000 }),
  fc.integer({ min: -1000, max: 0 }),
  fc.double({ min: 1.1, max: 4.9, noNaN: true }).filter((n) => !Number.isInteger(n)),
  fc.string({ maxLength: 4 }),
  fc.constant(null)
)

const extraKeys = fc.dictionary(
  fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== "name" && k !== "times" && k !== "__proto__"),
  fc.jsonValue(),
  { maxKeys: 3 }
)

const inputCase = fc.record({ name: pick, times: pick }).chain((choice) =>
  fc.record({
    choice: fc.constant(choice),
    name: choice.name === "valid" ? validName : invalidName,
    times: choice.times === "valid" ? validTimes : invalidTimes,
    extra: extraKeys
  })
)

interface InputCase {
  readonly choice: { readonly name: Pick; readonly times: Pick }
  readonly name: unknown
  readonly times: unknown
  readonly extra: Record<string, unknown>
}

const inputOf = (c: InputCase): Record<string, unknown> => {
  const input: Record<string, unknown> = { ...c.extra }
  if (c.choice.name !== "missing") input.name = c.name
  if (c.choice.times !== "missing") input.times = c.times
  return input
}

describe("decoding a run's input", () => {
  it("accepts exactly the inputs whose every required key decodes, and names every bad key otherwise", () =>
    fc.assert(
      fc.property(inputCase, (c) => {
        const decoded = decodeInput(hello, inputOf(c))
        const bad = (["name", "times"] as const).filter((key) => c.choice[key] !== "valid")
        if (bad.length === 0) {
          expect(Either.isRight(decoded)).toBe(true)
          if (Either.isRight(decoded)) expect(decoded.right).toEqual({ name: c.name, times: c.times })
        } else {
          expect(Either.isLeft(decoded)).toBe(true)
          if (Either.isLeft(decoded)) {
            expect(Array.from(new Set(decoded.left.map((issue) => issue.path[0])))).toEqual(bad)
            for (const issue of decoded.left) expect(issue.message.length).toBeGreaterThan(0)
          }
        }
      }),
      { numRuns: 500 }
    ))

  it("never throws on any JSON, and refuses what is not an object at its root", () =>
    fc.assert(
      fc.property(fc.jsonValue(), (json) => {
        const decoded = decodeInput(hello, json)
        const isObject = typeof json === "object" && json !== null && !Array.isArray(json)
        if (!isObject) {
          expect(decoded).toEqual(Either.left([{ path: [], message: "expected an object holding the template's input keys" }]))
        }
      }),
      { numRuns: 500 }
    ))

  it("decodes each key from its encoded (JSON) form", () =>
    fc.assert(
      fc.property(fc.date({ min: new Date("1970-01-02T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true }), (due) => {
        const decoded = decodeInput(reminder, { due: due.toISOString() })
        expect(decoded).toEqual(Either.right({ due }))
      })
    ))

  it.scopedLive("through the API: every JSON input is a 201 or a 400 naming only required keys; only 201s record a run", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(memoryStore)
      let started = 0
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.oneof(inputCase.map(inputOf), fc.jsonValue()), async (input) => {
            const outcome = await Effect.runPromise(
              Effect.either(client.runs.start({ payload: { template: "hello", input } }))
            )
            if (Either.isRight(outcome)) {
              started++
              return
            }
            const error = outcome.left
            expect(error).toBeInstanceOf(Http.InvalidInput)
            if (error instanceof Http.InvalidInput) {
              expect(error.keys.length).toBeGreaterThan(0)
              for (const key of error.keys) expect(["name", "times", "(root)"]).toContain(key)
            }
          }),
          { numRuns: 80 }
        )
      )
      const page = yield* client.runs.list({ urlParams: { limit: 500 } })
      expect(page.runs).toHaveLength(started)
    }))
})

describe("decoding a signal's payload (through the API)", () => {
  const decision = fc.record({ approved: pick, by: pick, comment: fc.constantFrom("valid", "invalid", "missing") as fc.Arbitrary<Pick> })
    .filter((c) => c.approved !== "valid" || c.by !== "valid" || c.comment === "invalid")
    .chain((choice) =>
      fc.record({
        choice: fc.constant(choice),
        approved: choice.approved === "valid" ? fc.boolean() : fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        by: choice.by === "valid" ? fc.string({ minLength: 1, maxLength: 8 }) : fc.oneof(fc.constant(""), fc.integer(), fc.boolean()),
        comment: choice.comment === "valid" ? fc.string() : fc.oneof(fc.integer(), fc.boolean(), fc.constant(null))
      })
    )

  it.scopedLive("refuses every bad payload with a 400 naming exactly its bad keys, and the run goes on waiting", () =>
    Effect.gen(function*() {
      const { client } = yield* setup(memoryStore)
      const { runId } = yield* client.runs.start({
        payload: { template: "expense_approval", input: { amount: 10, requester: "ann" } }
      })
      yield* awaitStatus(client, runId, "suspended")
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(decision, async (c) => {
            const payload: Record<string, unknown> = {}
            for (const key of ["approved", "by", "comment"] as const) {
              if (c.choice[key] !== "missing") payload[key] = c[key]
            }
            const bad = (["approved", "by", "comment"] as const).filter((key) =>
              key === "comment" ? c.choice.comment === "invalid" : c.choice[key] !== "valid"
            )
            const error = await Effect.runPromise(
              Effect.flip(client.runs.signal({ path: { runId, signal: "approval" }, payload }))
            )
            expect(error).toBeInstanceOf(Http.InvalidSignalPayload)
            if (error instanceof Http.InvalidSignalPayload) expect(error.keys).toEqual(bad)
          }),
          { numRuns: 60 }
        )
      )
      const detail = yield* client.runs.get({ path: { runId } })
      expect(detail.run.status).toBe("suspended")
      yield* client.runs.signal({ path: { runId, signal: "approval" }, payload: { approved: true, by: "bo" } })
      yield* awaitStatus(client, runId, "completed")
    }))
})

describe("decoding a listing's query", () => {
  const decodeQuery = Schema.decodeUnknownEither(Http.RunQuery)
  const statuses = ["queued", "running", "suspended", "completed", "failed", "cancelled"] as const

  it("decodes every well-formed query to its values", () =>
    fc.assert(
      fc.property(
        fc.record({
          status: fc.constantFrom(...statuses),
          template: fc.string({ minLength: 1, maxLength: 10 }),
          since: fc.integer({ min: 0, max: 4_000_000_000_000 }),
          until: fc.date({ min: new Date(0), max: new Date("2100-01-01"), noInvalidDate: true }),
          limit: fc.integer({ min: 1, max: 500 }),
          cursor: fc.record({ createdAt: fc.integer({ min: 0, max: 4_000_000_000_000 }), runId: fc.string() }),
          forkedFrom: fc.string({ minLength: 1, maxLength: 12 })
        }, { requiredKeys: [] }),
        (q) => {
          const params: Record<string, string> = {}
          if (q.status !== undefined) params.status = q.status
          if (q.template !== undefined) params.template = q.template
          if (q.since !== undefined) params.since = String(q.since)
          if (q.until !== undefined) params.until = q.until.toISOString()
          if (q.limit !== undefined) params.limit = String(q.limit)
          if (q.cursor !== undefined) params.cursor = encodeCursor(q.cursor)
          if (q.forkedFrom !== undefined) params.forkedFrom = q.forkedFrom
          const decoded = decodeQuery(params)
          expect(Either.isRight(decoded)).toBe(true)
          if (Either.isLeft(decoded)) return
          expect(decoded.right.status).toBe(q.status)
          expect(decoded.right.since).toBe(q.since)
          expect(decoded.right.until).toBe(q.until?.getTime())
          expect(decoded.right.limit).toBe(q.limit)
          if (q.cursor !== undefined) expect(decodeCursor(decoded.right.cursor!)).toEqual(q.cursor)
          // the run id as given, into the store filter
          expect(toFilter(decoded.right, undefined).forkedFrom).toBe(q.forkedFrom)
        }
      ),
      { numRuns: 300 }
    ))

  it("refuses a bad value, naming its key", () =>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ key: fc.constant("status"), value: fc.string().filter((s) => !(statuses as ReadonlyArray<string>).includes(s)) }),
          fc.record({
            key: fc.constant("limit"),
            value: fc.oneof(
              fc.integer({ min: 501, max: 100_000 }).map(String),
              fc.integer({ min: -100, max: 0 }).map(String),
              fc.constantFrom("1.5", "ten", "", "1e9")
            )
          }),
          fc.record({ key: fc.constant("since"), value: fc.constantFrom("yesterday", "", "12:00", "-5", "1.5") }),
          fc.record({ key: fc.constant("cursor"), value: fc.constantFrom("", "has space", "a/b", "x".repeat(401)) }),
          fc.record({ key: fc.constant("template"), value: fc.constant("") }),
          fc.record({ key: fc.constant("forkedFrom"), value: fc.constant("") })
        ),
        ({ key, value }) => {
          const decoded = decodeQuery({ [key]: value })
          expect(Either.isLeft(decoded)).toBe(true)
          if (Either.isLeft(decoded)) expect(String(decoded.left)).toContain(`["${key}"]`)
        }
      ),
      { numRuns: 300 }
    ))

  it("reads a cursor back, and never takes for one what the server did not give", () =>
    fc.assert(
      fc.property(
        fc.record({ createdAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), runId: fc.string() }),
        fc.string(),
        (cursor, junk) => {
          expect(decodeCursor(encodeCursor(cursor))).toEqual(cursor)
          const read = decodeCursor(junk)
          if (read !== undefined) expect(encodeCursor(read)).toBeTypeOf("string")
        }
      ),
      { numRuns: 500 }
    ))

  it.scopedLive("through the API: a bad query is a 400 naming the key", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      const get = (query: string) =>
        Effect.promise(async () => {
          const response = await fetch(`${url}/api/runs?${query}`)
          return { status: response.status, body: await response.json() as { _tag: string; message: string } }
        })
      const limit = yield* get("limit=0")
      expect(limit.status).toBe(400)
      expect(limit.body._tag).toBe("HttpApiDecodeError")
      expect(limit.body.message).toContain("limit")
      const status = yield* get("status=sleeping")
      expect(status.status).toBe(400)
      expect(status.body.message).toContain("status")
      const cursor = yield* get(`cursor=${encodeURIComponent(Buffer.from("[1,2]").toString("base64url"))}`)
      expect(cursor).toEqual({
        status: 400,
        body: { _tag: "BadRequest", message: "cursor: not a cursor this server gave (use a page's nextCursor)" }
      })
    }))
})

describe("paging through runs", () => {
  interface Row {
    readonly runId: string
    readonly createdAt: number
    readonly templateName: string
  }
  /** What a store's `list` does with a filter: newest first (then by id), after the cursor, bounded. */
  const list = (rows: ReadonlyArray<Row>) =>
  (filter: {
    createdAfter?: number | undefined
    createdBefore?: number | undefined
    after?: { createdAt: number; runId: string } | undefined
    limit?: number | undefined
  }) =>
    rows
      .filter((r) => (filter.createdAfter === undefined || r.createdAt >= filter.createdAfter) &&
        (filter.createdBefore === undefined || r.createdAt < filter.createdBefore) &&
        (filter.after === undefined || isAfter(r, filter.after)))
      .sort((a, b) => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0))
      .slice(0, filter.limit ?? Number.POSITIVE_INFINITY)

  it("visits every run once, in order, whatever the page size (many created in the same millisecond)", () =>
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ runId: fc.string({ minLength: 1, maxLength: 6 }), createdAt: fc.integer({ min: 0, max: 5 }) }), {
          selector: (r) => r.runId,
          maxLength: 40
        }),
        fc.integer({ min: 1, max: 7 }),
        fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
        (raw, limit, since) => {
          const rows: ReadonlyArray<Row> = raw.map((r) => ({ ...r, templateName: "t" }))
          const store = list(rows)
          const expected = store({ createdAfter: since }).map((r) => r.runId)
          const seen: Array<string> = []
          let cursor: { createdAt: number; runId: string } | undefined = undefined
          for (let i = 0; i < 100; i++) {
            const query = { limit, ...(since === undefined ? {} : { since }) }
            const found = store(toFilter(query, cursor))
            const page = toPage(found, query, cursor)
            expect(page.runs.length).toBeLessThanOrEqual(limit)
            seen.push(...page.runs.map((r) => r.runId))
            if (page.nextCursor === null) break
            cursor = decodeCursor(page.nextCursor)
            expect(cursor).toBeDefined()
            expect(page.runs.every((r) => !isAfter(r, cursor!))).toBe(true)
          }
          expect(seen).toEqual(expected)
        }
      ),
      { numRuns: 500 }
    ))
})
