/**
 * A step's output is checked against its `provides` by a compiled guard
 * (plain predicates for keywords, literals, arrays, unions and structs),
 * falling back to `Schema.is` for anything else; issues are built only when
 * the check fails. Property: for generated Schemas and values (valid ones
 * from the Schema's arbitrary, and anything), a step's output is refused as
 * `InvalidStepOutput` exactly when `Schema.is` refuses it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Effect, Either, FastCheck as fc, Schema } from "effect"
import { Errors, Step, Testing } from "weftjs"

type AnySchema = Schema.Schema<unknown, unknown>

const leaves: ReadonlyArray<AnySchema> = [
  Schema.String,
  Schema.Number,
  Schema.Boolean,
  Schema.Null,
  Schema.Unknown,
  Schema.Literal("a", "b"),
  Schema.Literal(1),
  // not compiled: refinements and declarations go to Schema.is
  Schema.Int,
  Schema.NonEmptyString,
  Schema.DateFromSelf
] as unknown as ReadonlyArray<AnySchema>

const schemas: fc.Arbitrary<AnySchema> = fc.letrec<{ schema: AnySchema }>((tie) => ({
  schema: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...leaves),
    tie("schema").map((item) => Schema.Array(item) as unknown as AnySchema),
    fc.tuple(tie("schema"), tie("schema")).map(([a, b]) => Schema.Union(a, b) as unknown as AnySchema),
    fc.tuple(tie("schema"), tie("schema"), tie("schema")).map(([a, b, c]) =>
      Schema.Struct({ a, b: Schema.optional(b), c: Schema.optionalWith(c, { exact: true }) }) as unknown as AnySchema
    )
  )
})).schema

/** A value for a Schema: one of its own, one of its own with a key dropped or changed, or anything. */
const valueFor = (schema: AnySchema): fc.Arbitrary<unknown> =>
  fc.oneof(
    Arbitrary.make(schema) as fc.Arbitrary<unknown>,
    fc.tuple(Arbitrary.make(schema) as fc.Arbitrary<unknown>, fc.constantFrom("a", "b", "c"), fc.anything()).map(
      ([value, key, other]) => {
        if (typeof value !== "object" || value === null || Array.isArray(value)) return other
        const copy: Record<string, unknown> = { ...value }
        if (other === undefined) delete copy[key]
        else copy[key] = other
        return copy
      }
    ),
    fc.anything()
  )

const cases = schemas.chain((schema) => valueFor(schema).map((value) => ({ schema, value })))

describe("a step's output check", () => {
  it.effect("refuses an output exactly when Schema.is does (compiled guard or its fallback)", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(cases, async ({ schema, value }) => {
          const step = Step.make({
            name: "emit",
            requires: {},
            provides: { out: schema },
            run: () => Effect.succeed({ out: value })
          })
          const valid = Schema.is(Schema.Struct({ out: schema }))({ out: value })
          const result = await Effect.runPromise(Effect.either(Testing.runStep(step, {})))
          if (valid) {
            // a valid output is written, unless JSON cannot hold it (NaN, a Date, -0, ...)
            if (Either.isLeft(result)) expect(result.left).toBeInstanceOf(Errors.StateEncodeError)
          } else {
            expect(Either.isLeft(result) && result.left).toBeInstanceOf(Errors.InvalidStepOutput)
          }
        }),
        { numRuns: 300 }
      )
    ), 120_000) // generated Schemas can be deep: seconds on a quiet machine, far more on a loaded one
})
