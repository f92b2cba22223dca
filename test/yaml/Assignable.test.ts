/**
 * The rule of `composeWorkflow`, at run time: a provided Schema type is
 * assignable to a required one. Unit cases for each kind of type, and a
 * property: whenever the rule says "assignable", every value of the provided
 * Schema is a value of the required one (the rule is sound).
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, FastCheck, Schema, SchemaAST } from "effect"
import fc from "fast-check"
import { isAssignable } from "../../src/yaml/internal/assignable.js"
import { describe as print } from "../../src/yaml/internal/printType.js"

const fits = (provided: Schema.Schema.AnyNoContext, required: Schema.Schema.AnyNoContext) =>
  isAssignable(SchemaAST.typeAST(provided.ast), SchemaAST.typeAST(required.ast))

class Point extends Schema.Class<Point>("Point")({ x: Schema.Number }) {}
class Other extends Schema.Class<Other>("Other")({ x: Schema.Number }) {}

describe("assignability", () => {
  it("keywords and literals", () => {
    expect(fits(Schema.Literal("a"), Schema.String)).toBe(true)
    expect(fits(Schema.String, Schema.Literal("a"))).toBe(false)
    expect(fits(Schema.Literal(1, 2), Schema.Number)).toBe(true)
    expect(fits(Schema.Number, Schema.Literal(1, 2))).toBe(false)
    expect(fits(Schema.Boolean, Schema.Literal(true, false))).toBe(true)
    expect(fits(Schema.Boolean, Schema.Literal(true))).toBe(false)
    expect(fits(Schema.Null, Schema.NullOr(Schema.String))).toBe(true)
    expect(fits(Schema.NullOr(Schema.String), Schema.String)).toBe(false)
    expect(fits(Schema.String, Schema.Unknown)).toBe(true)
    expect(fits(Schema.Unknown, Schema.String)).toBe(false)
    expect(fits(Schema.Never as unknown as Schema.Schema.AnyNoContext, Schema.String)).toBe(true)
  })

  it("unions: every provided member fits some required member", () => {
    expect(fits(Schema.Literal("ok", "down"), Schema.Union(Schema.Literal("ok"), Schema.String))).toBe(true)
    expect(fits(Schema.Union(Schema.String, Schema.Number), Schema.String)).toBe(false)
    expect(fits(Schema.Union(Schema.String, Schema.Number), Schema.Union(Schema.Number, Schema.String, Schema.Null))).toBe(true)
  })

  it("structs: required properties present, optional ones may be missing", () => {
    const wide = Schema.Struct({ a: Schema.String, b: Schema.Number })
    const narrow = Schema.Struct({ a: Schema.String })
    expect(fits(wide, narrow)).toBe(true)
    expect(fits(narrow, wide)).toBe(false)
    expect(fits(narrow, Schema.Struct({ a: Schema.String, b: Schema.optional(Schema.Number) }))).toBe(true)
    expect(fits(Schema.Struct({ a: Schema.optional(Schema.String) }), narrow)).toBe(false)
    expect(fits(Schema.Struct({ a: Schema.Literal("x") }), narrow)).toBe(true)
    expect(fits(Schema.Struct({ a: Schema.Number }), narrow)).toBe(false)
  })

  it("records, arrays and tuples", () => {
    const record = Schema.Record({ key: Schema.String, value: Schema.Number })
    expect(fits(Schema.Struct({ a: Schema.Number, b: Schema.Literal(2) }), record)).toBe(true)
    expect(fits(Schema.Struct({ a: Schema.String }), record)).toBe(false)
    expect(fits(record, Schema.Struct({ a: Schema.Number }))).toBe(false)
    expect(fits(Schema.Array(Schema.Literal("a")), Schema.Array(Schema.String))).toBe(true)
    expect(fits(Schema.Array(Schema.String), Schema.Array(Schema.Literal("a")))).toBe(false)
    expect(fits(Schema.Tuple(Schema.String, Schema.Number), Schema.Array(Schema.Union(Schema.String, Schema.Number)))).toBe(true)
    expect(fits(Schema.Array(Schema.String), Schema.Tuple(Schema.String))).toBe(false)
    // a readonly array does not fit a mutable one, as in TypeScript
    expect(fits(Schema.Array(Schema.String), Schema.mutable(Schema.Array(Schema.String)))).toBe(false)
    expect(fits(Schema.mutable(Schema.Array(Schema.String)), Schema.Array(Schema.String))).toBe(true)
  })

  it("refinements: the same refinement, or a literal that passes it; brands kept", () => {
    expect(fits(Schema.String, Schema.NonEmptyTrimmedString)).toBe(false)
    expect(fits(Schema.NonEmptyTrimmedString, Schema.String)).toBe(true)
    expect(fits(Schema.NonEmptyTrimmedString, Schema.NonEmptyTrimmedString)).toBe(true)
    expect(fits(Schema.Literal("ada"), Schema.NonEmptyTrimmedString)).toBe(true)
    expect(fits(Schema.Literal(" ada"), Schema.NonEmptyTrimmedString)).toBe(false)
    expect(fits(Schema.Int, Schema.Number)).toBe(true)
    expect(fits(Schema.Number, Schema.Int)).toBe(false)
    expect(fits(Schema.Literal(1, 2), Schema.Int)).toBe(true)
    expect(fits(Schema.Literal(1, 2.5), Schema.Int)).toBe(false)
    expect(fits(Schema.Struct({ n: Schema.Int }), Schema.Struct({ n: Schema.Number.pipe(Schema.int()) }))).toBe(false)
    const UserId = Schema.String.pipe(Schema.brand("UserId"))
    expect(fits(Schema.String, UserId)).toBe(false)
    expect(fits(UserId, Schema.String)).toBe(true)
    expect(fits(UserId, UserId)).toBe(true)
  })

  it("transformations by their decoded type; declarations by identity", () => {
    expect(fits(Schema.NumberFromString, Schema.Number)).toBe(true)
    expect(fits(Schema.NumberFromString, Schema.String)).toBe(false)
    expect(fits(Schema.Date, Schema.DateFromSelf)).toBe(true)
    // Date is a valid date: any Date object is not
    expect(fits(Schema.DateFromSelf, Schema.Date)).toBe(false)
    expect(fits(Point, Point)).toBe(true)
    expect(fits(Point, Other)).toBe(false)
    expect(fits(Schema.Struct({ x: Schema.Number }), Point)).toBe(false)
    expect(fits(Schema.Option(Schema.Literal(1)), Schema.Option(Schema.Number))).toBe(true)
    expect(fits(Schema.Option(Schema.Number), Schema.Option(Schema.Literal(1)))).toBe(false)
  })

  it("recursive types", () => {
    interface Tree {
      readonly value: number
      readonly children: ReadonlyArray<Tree>
    }
    const Tree: Schema.Schema<Tree> = Schema.Struct({
      value: Schema.Number,
      children: Schema.Array(Schema.suspend((): Schema.Schema<Tree> => Tree))
    })
    expect(fits(Tree, Tree)).toBe(true)
    expect(fits(Tree, Schema.Struct({ value: Schema.Number }))).toBe(true)
  })

  it("types print as TypeScript would", () => {
    const show = (s: Schema.Schema.AnyNoContext) => print(SchemaAST.typeAST(s.ast))
    expect(show(Schema.Struct({ a: Schema.optional(Schema.String), b: Schema.Array(Schema.Literal("x", "y")) }))).toBe(
      `{ a?: string; b: ("x" | "y")[] }`
    )
    expect(show(Schema.Union(Schema.Boolean, Schema.Null))).toBe("boolean | null")
    expect(show(Schema.Record({ key: Schema.String, value: Schema.Number }))).toBe("{ [key: string]: number }")
    expect(show(Schema.Struct({ n: Schema.Int, s: Schema.String.pipe(Schema.filter((s) => s !== "x")) }))).toBe("{ n: Int; s: string (refined) }")
  })
})

// ---------------------------------------------------------------------------
// soundness
// ---------------------------------------------------------------------------

/** Random Schemas of the kinds flows use. */
const schemas: fc.Arbitrary<Schema.Schema.AnyNoContext> = fc.letrec<{ schema: Schema.Schema.AnyNoContext }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<Schema.Schema.AnyNoContext>(
      Schema.String,
      Schema.Number,
      Schema.Boolean,
      Schema.Null,
      Schema.Literal("a"),
      Schema.Literal("b"),
      Schema.Literal(1),
      Schema.Literal(2),
      Schema.Literal(true),
      Schema.Int,
      Schema.NonEmptyString
    ),
    fc.array(tie("schema"), { minLength: 2, maxLength: 3 }).map((members) => Schema.Union(...members) as Schema.Schema.AnyNoContext),
    tie("schema").map((element) => Schema.Array(element) as Schema.Schema.AnyNoContext),
    fc.uniqueArray(fc.tuple(fc.constantFrom("a", "b", "c"), fc.boolean(), tie("schema")), { selector: ([name]) => name, maxLength: 3 })
      .map((fields) =>
        Schema.Struct(Object.fromEntries(fields.map(([name, optional, type]) => [name, optional ? Schema.optional(type) : type]))) as
          Schema.Schema.AnyNoContext
      )
  )
})).schema

describe("the rule is sound", () => {
  it("property: when a provided type is said to fit, every value of it is a value of the required type", () => {
    let assignablePairs = 0
    fc.assert(
      fc.property(schemas, schemas, fc.integer(), (provided, required, seed) => {
        // P fits P | R, always; and P fits R only when every sample of P is an R
        expect(fits(provided, Schema.Union(provided, required))).toBe(true)
        if (!fits(provided, required)) return
        assignablePairs++
        const is = Schema.is(required)
        for (const value of FastCheck.sample(Arbitrary.make(provided), { numRuns: 20, seed })) {
          expect(is(value), `${JSON.stringify(value)} is a ${print(SchemaAST.typeAST(provided.ast))} but not a ${print(SchemaAST.typeAST(required.ast))}`)
            .toBe(true)
        }
      }),
      { numRuns: 1500 }
    )
    // the property is not vacuous: many random pairs fit
    // (about 130 of the 1,500 on average, 110–140 seen: a bound far below that, so it never flakes)
    expect(assignablePairs).toBeGreaterThan(50)
  })
})
