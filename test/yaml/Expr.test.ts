/**
 * The expression language of conditions and `${...}` values: parsed by a
 * Pratt parser, typed against the state, run as a closure over it — never
 * as JavaScript.
 */
import { describe, expect, it } from "@effect/vitest"
import { Schema, SchemaAST } from "effect"
import fc from "fast-check"
import { describe as describeType } from "../../src/yaml/internal/printType.js"
import * as Expr from "../../src/yaml/internal/expr.js"

/** A scope over keys of these types; problems are collected. */
const scopeOf = (types: Readonly<Record<string, Schema.Schema.AnyNoContext>>) => {
  const problems: Array<string> = []
  const scope: Expr.Scope = {
    report: (span, message) => problems.push(`${span.start}:${message}`),
    resolve: (names, span) => {
      const key = names[0]!.name
      const schema = types[key]
      if (schema === undefined) {
        problems.push(`${span.start}:unknown ${key}`)
        return undefined
      }
      return { consumed: 1, key, type: SchemaAST.typeAST(schema.ast), read: (state) => state[key] }
    }
  }
  return { scope, problems }
}

const check = (text: string, types: Readonly<Record<string, Schema.Schema.AnyNoContext>> = {}) => {
  const parsed = Expr.parse(text)
  if ("problem" in parsed) return { problems: [`${parsed.problem.start}:${parsed.problem.message}`], compiled: undefined }
  const { problems, scope } = scopeOf(types)
  return { problems, compiled: Expr.compile(parsed.expr, scope) }
}

const evaluate = (text: string, state: Record<string, unknown> = {}, types: Readonly<Record<string, Schema.Schema.AnyNoContext>> = {}) => {
  const { compiled, problems } = check(text, types)
  if (compiled === undefined) throw new Error(`does not check: ${problems.join("; ")}`)
  return compiled.run(state, new Map())
}

const Anomaly = Schema.Struct({ kind: Schema.Literal("missing", "out_of_range"), fixable: Schema.Boolean })

describe("expressions", () => {
  it("arithmetic, comparisons, logic, precedence", () => {
    expect(evaluate("1 + 2 * 3 - 4 / 2")).toBe(5)
    expect(evaluate("(1 + 2) * 3 % 4")).toBe(1)
    expect(evaluate("-2 * -3")).toBe(6)
    expect(evaluate("1 < 2 and not 3 <= 2 or false")).toBe(true)
    expect(evaluate("'a' + 1 + 2")).toBe("a12")
    expect(evaluate("\"b\" > 'a' && !(1 + 0 == 2)")).toBe(true)
    // two literals that differ are never equal: like TypeScript, the check says so
    expect(check("1 == 2").problems).toEqual(["0:1 (1) and 2 (2) have no value in common: this comparison is always false"])
    expect(evaluate("3 in [1, 2, 3] and 1 + 1 in [4]")).toBe(false)
    expect(check("'x' in ['y']").problems).toEqual([`0:"x" is never in a list of "y"`])
    expect(evaluate("${1 + 1} == 2")).toBe(true)
  })

  it("state keys, fields, lists, functions and lambdas", () => {
    const types = { anomalies: Schema.Array(Anomaly), total: Schema.Number, name: Schema.UndefinedOr(Schema.String) }
    const state = {
      anomalies: [{ kind: "missing", fixable: true }, { kind: "out_of_range", fixable: false }],
      total: 120
    }
    expect(evaluate("any(anomalies, a => a.fixable)", state, types)).toBe(true)
    expect(evaluate("all(anomalies, a => a.fixable)", state, types)).toBe(false)
    expect(evaluate("count(anomalies, a => a.kind == 'missing')", state, types)).toBe(1)
    expect(evaluate("len(anomalies) == 2 and anomalies[1].kind == 'out_of_range'", state, types)).toBe(true)
    expect(evaluate("sum([1, 2, 3]) + sum(anomalies, a => total)", state, types)).toBe(246)
    expect(evaluate("contains(['a', 'b'], 'b') and contains('hello', 'ell')", state, types)).toBe(true)
    expect(evaluate("name ?? 'nobody'", state, types)).toBe("nobody")
    expect(evaluate("anomalies[5].kind == null", state, types)).toBe(true)
  })

  it("types: each operator checks its operands, a condition never reads past what the state holds", () => {
    const types = { n: Schema.Number, s: Schema.String, status: Schema.Literal("ok", "down"), maybe: Schema.UndefinedOr(Schema.Number) }
    expect(check("n > s", types).problems).toEqual([`0:">" compares two numbers or two texts, not number and string`])
    expect(check("status == 'broken'", types).problems).toEqual([
      `0:status ("ok" | "down") and "broken" ("broken") have no value in common: this comparison is always false`
    ])
    expect(check("n and true", types).problems).toEqual([`0:"and" needs a boolean, got number`])
    expect(check("maybe > 1", types).problems[0]).toContain("the left side of > may be missing here (its type is number | undefined)")
    expect(check("(maybe ?? 0) > 1", types).problems).toEqual([])
    expect(check("s.length", types).problems).toEqual([`2:s has no field "length" (its type is string)`])
    expect(check("lenn(s)", types).problems[0]).toContain(`unknown function "lenn" (did you mean "len"?)`)
    expect(check("any(s, x => x)", types).problems).toEqual([`4:any needs a list, got string`])
    expect(check("x => 1").problems[0]).toContain("a lambda (x => ...) is only an argument")
    expect(describeType(check("n + 1", types).compiled!.type)).toBe("number")
    expect(describeType(check("status", types).compiled!.type)).toBe(`"ok" | "down"`)
  })

  it("syntax errors name what is wrong, at its offset", () => {
    expect(check("1 +").problems).toEqual(["3:the expression is empty or ends too early"])
    expect(check("(1 + 2").problems).toEqual([`6:expected ")" to close "(", but the expression ends`])
    expect(check("a < b < c").problems).toEqual([`6:comparisons do not chain: use "and" between them`])
    expect(check("'open").problems).toEqual([`0:text started with ' is not closed`])
    expect(check("1 # 2").problems).toEqual([`2:unexpected character "#"`])
    expect(check("12abc").problems).toEqual([`0:"12a" is not a number`])
    expect(check("(".repeat(200) + "1" + ")".repeat(200)).problems[0]).toContain("nested more than 64 levels deep")
  })

  it("no JavaScript is reachable: no method calls, no prototype lookups", () => {
    expect(check("constructor.constructor('x')()").problems).toEqual([`23:unexpected "("`])
    const opaque = { x: Schema.Unknown }
    // a field is a value's own field only: never a prototype's
    expect(evaluate("x.__proto__ == null", { x: {} }, opaque)).toBe(true)
    expect(evaluate("x.constructor == null", { x: {} }, opaque)).toBe(true)
    expect(evaluate("x.toString == null", { x: [] }, opaque)).toBe(true)
    expect(evaluate("x['hasOwnProperty'] == null", { x: { a: 1 } }, opaque)).toBe(true)
  })

  it("property: any text either parses or gives a positioned problem, never throws", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: fc.constantFrom(..."ab1 ()[]{}.,'\"$+-*/%<>=!&|?:;\\_xnotandor".split("")) }), (text) => {
        const result = Expr.parse(text)
        if ("problem" in result) {
          expect(result.problem.start).toBeGreaterThanOrEqual(0)
          expect(result.problem.start).toBeLessThanOrEqual(text.length)
          expect(result.problem.message.length).toBeGreaterThan(0)
        }
      }),
      { numRuns: 2000 }
    )
  })

  /** A random expression over numbers and booleans, with its value computed here. */
  type Gen = { readonly text: string; readonly value: number | boolean; readonly kind: "number" | "boolean" }
  const numberExpr: fc.Arbitrary<Gen> = fc.letrec<{ num: Gen; bool: Gen }>((tie) => ({
    num: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      // (n * 1): a number, not the literal type n (two different literals never compare equal)
      fc.integer({ min: 0, max: 50 }).map((n): Gen => ({ text: `(${n} * 1)`, value: n, kind: "number" })),
      fc.tuple(tie("num"), fc.constantFrom("+", "-", "*"), tie("num")).map(([a, op, b]): Gen => ({
        text: `(${a.text} ${op} ${b.text})`,
        value: op === "+" ? (a.value as number) + (b.value as number) : op === "-" ? (a.value as number) - (b.value as number) : (a.value as number) * (b.value as number),
        kind: "number"
      })),
      tie("num").map((a): Gen => ({ text: `-${a.text}`, value: -(a.value as number), kind: "number" }))
    ),
    bool: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.boolean().map((b): Gen => ({ text: String(b), value: b, kind: "boolean" })),
      fc.tuple(tie("num"), fc.constantFrom("<", "<=", ">", ">=", "==", "!="), tie("num")).map(([a, op, b]): Gen => {
        const x = a.value as number
        const y = b.value as number
        const value = op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : op === ">=" ? x >= y : op === "==" ? x === y : x !== y
        return { text: `(${a.text} ${op} ${b.text})`, value, kind: "boolean" }
      }),
      fc.tuple(tie("bool"), fc.constantFrom("and", "or"), tie("bool")).map(([a, op, b]): Gen => ({
        text: `(${a.text} ${op} ${b.text})`,
        value: op === "and" ? (a.value as boolean) && (b.value as boolean) : (a.value as boolean) || (b.value as boolean),
        kind: "boolean"
      })),
      tie("bool").map((a): Gen => ({ text: `not ${a.text}`, value: !(a.value as boolean), kind: "boolean" }))
    )
  })).bool

  it("property: a random condition evaluates to what it means", () => {
    fc.assert(
      fc.property(numberExpr, (gen) => {
        expect(evaluate(gen.text)).toBe(gen.value)
      }),
      { numRuns: 1000 }
    )
  })
})
