/**
 * What the PostgreSQL store reads from outside, without a server: the text
 * codec that lets ids hold NUL, and the mapping of driver faults to
 * `PersistenceError` reasons.
 */
import { SqlError } from "@effect/sql/SqlError"
import { describe, expect, it } from "@effect/vitest"
import * as fc from "fast-check"
import { PersistenceError } from "../../src/Errors.js"
import { fromPg, isUnsent, reasonOfState } from "../../src/internal/sql/pg/errors.js"
import { decodeText, encodeText } from "../../src/internal/sql/pg/text.js"
import { RowDecodeError } from "../../src/internal/sql/schema.js"

/** Strings rich in the characters the codec handles. */
const hostile = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\u0000", "\u0001", "\u0002", "\u0003", "d800", "a", "'", "\"", "\\", "\ud800", "\udfff", "😀"),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 })
  ),
  maxLength: 40
})

const sign = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

describe("text codec (NUL and lone surrogates in ids on PostgreSQL)", () => {
  it("reads back every string it writes, and writes only what PostgreSQL text holds", () => {
    fc.assert(
      fc.property(hostile, (s) => {
        const stored = encodeText(s)
        expect(stored.includes("\u0000")).toBe(false)
        expect(stored.isWellFormed()).toBe(true)
        expect(decodeText(stored)).toBe(s)
      }),
      { numRuns: 2000 }
    )
  })

  it("keeps the equality of strings, and the order of well-formed ones (ORDER BY and the list cursor agree)", () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        expect(encodeText(a) === encodeText(b)).toBe(a === b)
      }),
      { numRuns: 2000 }
    )
    const wellFormed = hostile.filter((s) => s.isWellFormed())
    fc.assert(
      fc.property(wellFormed, wellFormed, (a, b) => {
        expect(sign(encodeText(a), encodeText(b))).toBe(sign(a, b))
      }),
      { numRuns: 2000 }
    )
  })

  it("leaves ordinary strings as they are, and a stray escape character as it is", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }).filter((s) => !/[\u0000\u0001]/.test(s) && s.isWellFormed()), (s) => {
        expect(encodeText(s)).toBe(s)
      })
    )
    expect(encodeText("a\u0000b\u0001c\ud800")).toBe("a\u0001\u0001b\u0001\u0002c\u0001\u0003d800")
    expect(decodeText("x\u0001y\u0001\u0003zz\u0001")).toBe("x\u0001y\u0001\u0003zz\u0001")
  })
})

/** A server error as `pg` raises it, wrapped as `@effect/sql` does. */
const serverError = (code: string, message = `error ${code}`) =>
  new SqlError({
    message: "Failed to execute statement",
    cause: Object.assign(new Error(message), { code, severity: "ERROR" })
  })

describe("PostgreSQL faults as PersistenceError reasons", () => {
  it("maps SQLSTATEs", () => {
    const table: ReadonlyArray<readonly [string, PersistenceError["reason"]]> = [
      ["57P01", "unavailable"],
      ["57P02", "unavailable"],
      ["57P03", "unavailable"],
      ["08006", "unavailable"],
      ["08001", "unavailable"],
      ["53300", "unavailable"],
      ["53100", "unavailable"],
      ["3D000", "unavailable"],
      ["40001", "locked"],
      ["40P01", "locked"],
      ["55P03", "locked"],
      ["57014", "locked"],
      ["23505", "duplicate"],
      ["25006", "read-only"],
      ["42501", "read-only"],
      ["XX001", "corrupt"],
      ["42P01", "corrupt"],
      ["22021", "unknown"],
      ["42601", "unknown"]
    ]
    for (const [code, reason] of table) {
      expect([code, reasonOfState(code)]).toEqual([code, reason])
      const error = fromPg("appendStep", "postgresql://db/app", serverError(code))
      expect([code, error.reason]).toEqual([code, reason])
      expect(error.detail).toContain(`SQLSTATE ${code}`)
      expect(error.path).toBe("postgresql://db/app")
      expect(error.transient).toBe(reason === "locked" || reason === "unavailable")
    }
  })

  it("a socket that cannot connect, or a connection that ended, is unavailable", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" })
    const both = new AggregateError([refused, refused], "")
    for (
      const cause of [
        new SqlError({ message: "PgClient: Failed to connect", cause: refused }),
        new SqlError({ message: "PgClient: Failed to connect", cause: both }),
        new SqlError({ message: "Failed to execute statement", cause: new Error("Connection terminated unexpectedly") }),
        new SqlError({ message: "Connection error", cause: new Error("Connection terminated") }),
        new SqlError({
          message: "Failed to execute statement",
          cause: new Error("Client has encountered a connection error and is not queryable")
        })
      ]
    ) {
      const error = fromPg("claim", undefined, cause)
      expect(error.reason).toBe("unavailable")
      expect(error.operation).toBe("claim")
    }
  })

  it("tells a query that was never sent (a dead pooled connection) from one that was", () => {
    expect(
      isUnsent(
        new SqlError({
          message: "Failed to execute statement",
          cause: new Error("Client has encountered a connection error and is not queryable")
        })
      )
    ).toBe(true)
    expect(isUnsent(new SqlError({ message: "x", cause: new Error("Connection terminated unexpectedly") }))).toBe(false)
    expect(isUnsent(serverError("57P01", "terminating connection due to administrator command"))).toBe(false)
  })

  it("a row that does not read back is decode; anything else is unknown with the driver's message", () => {
    expect(fromPg("load", undefined, new RowDecodeError("weft_runs", "status", "unknown status")).reason).toBe("decode")
    const unknown = fromPg("list", undefined, new SqlError({ message: "x", cause: new Error("something odd") }))
    expect([unknown.reason, unknown.detail]).toEqual(["unknown", "something odd"])
    const given = new PersistenceError({ operation: "x", reason: "duplicate", detail: "d" })
    expect(fromPg("y", undefined, given)).toBe(given)
  })
})
