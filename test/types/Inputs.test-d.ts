/**
 * Declared inputs catch typos: a template (`Template.make({ inputs })`) or a
 * composite (`composeWorkflow.withInputs(inputs)(...)`) that declares its
 * outside inputs makes every other key a node reads, unless an earlier node
 * provides it, a compile error naming it, with a "did you mean".
 *
 * Every `@ts-expect-error` is preceded by a passing twin.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { composeWorkflow, Flow, Step, Template } from "weftjs"
import type { Checked } from "../../src/internal/types/wiring.js"

const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Step.make({ name, requires, provides, run: () => Effect.succeed({} as Step.Slice<PF>) })

const Line = Schema.Struct({ sku: Schema.String, quantity: Schema.Number })
const parse = step("parse", { text: Schema.String }, { lines: Schema.Array(Line) })
const priceLine = Template.make({
  name: "price_line",
  version: "1",
  steps: [step("price", { item: Line, currency: Schema.String }, { amount: Schema.Number })]
})
const each = <const Over extends string>(over: Over) =>
  Flow.forEach({ name: "each", over, as: "item", body: priceLine, collect: "amount", into: "amounts" })

describe("Template.make({ inputs })", () => {
  it("a forEach over a misspelt key is a compile error on that node, naming it and the close key", () => {
    Template.make({
      name: "good",
      version: "1",
      inputs: { text: Schema.String, currency: Schema.String },
      steps: [parse, each("lines")]
    })
    Template.make({
      name: "bad",
      version: "1",
      inputs: { text: Schema.String, currency: Schema.String },
      steps: [
        parse,
        // @ts-expect-error "line" is neither declared nor provided: did you mean "lines"?
        each("line")
      ]
    })
    expectTypeOf<
      Checked<[typeof parse, ReturnType<typeof each<"line">>], { readonly text: string; readonly currency: string }>
    >().toEqualTypeOf<
      readonly [
        unknown,
        "weft: key 'line' is read here but is neither a declared input nor provided upstream (did you mean 'lines'?)"
      ]
    >()
  })

  it("the typo is reported once, on the node: it does not also become an input of the template", () => {
    const bad = Template.make({
      name: "bad",
      version: "1",
      inputs: { text: Schema.String, currency: Schema.String },
      steps: [
        parse,
        // @ts-expect-error "line" is neither declared nor provided
        each("line")
      ]
    })
    expectTypeOf<Template.Requires<typeof bad>>().toEqualTypeOf<{ readonly text: string; readonly currency: string }>()
  })

  it("without inputs the same typo silently becomes an input of the template", () => {
    const t = Template.make({ name: "loose", version: "1", steps: [parse, each("line")] })
    expectTypeOf<keyof Template.Requires<typeof t>>().toEqualTypeOf<"text" | "line" | "currency">()
  })

  it("an input read but not declared is an error, even with nothing close", () => {
    Template.make({ name: "good", version: "1", inputs: { text: Schema.String, currency: Schema.String }, steps: [parse, each("lines")] })
    Template.make({
      name: "bad",
      version: "1",
      inputs: { text: Schema.String },
      // @ts-expect-error currency is read by the forEach's body but not declared
      steps: [parse, each("lines")]
    })
  })

  it("the template requires exactly what is declared (a declared input no step reads is allowed)", () => {
    const t = Template.make({
      name: "t",
      version: "1",
      inputs: { text: Schema.String, currency: Schema.String, note: Schema.optional(Schema.String) },
      steps: [parse, each("lines")]
    })
    expectTypeOf<Template.Requires<typeof t>>().toEqualTypeOf<{
      readonly text: string
      readonly currency: string
      readonly note?: string
    }>()
    expectTypeOf<Template.Provides<typeof t>>().toEqualTypeOf<{
      readonly lines: ReadonlyArray<{ readonly sku: string; readonly quantity: number }>
      readonly amounts: ReadonlyArray<number>
    }>()
    expectTypeOf(t.requiredState).toEqualTypeOf<ReadonlyArray<"text" | "currency" | "note">>()
  })

  it("a step may read a declared input more narrowly; an incompatible type is an error", () => {
    const readsMode = step("reads_mode", { mode: Schema.Literal("fast", "slow") }, {})
    const readsModeAsNumber = step("reads_mode_as_number", { mode: Schema.Number }, {})
    const t = Template.make({ name: "t", version: "1", inputs: { mode: Schema.String }, steps: [readsMode] })
    expectTypeOf<Template.Requires<typeof t>>().toEqualTypeOf<{ readonly mode: "fast" | "slow" }>()
    // @ts-expect-error mode is declared as string and read as number
    Template.make({ name: "bad", version: "1", inputs: { mode: Schema.String }, steps: [readsModeAsNumber] })
  })

  it("empty inputs: every key read must be provided upstream", () => {
    const writes = step("writes", {}, { text: Schema.String })
    Template.make({ name: "good", version: "1", inputs: {}, steps: [writes, parse] })
    // @ts-expect-error text is read before anything provides it
    Template.make({ name: "bad", version: "1", inputs: {}, steps: [parse, writes] })
  })
})

describe("composeWorkflow.withInputs", () => {
  const parsing = Template.make({ name: "parsing", version: "1", steps: [parse] })
  const pricing = Template.make({ name: "pricing", version: "1", steps: [each("lines")] })
  const pricingTypo = Template.make({ name: "pricing", version: "1", steps: [each("line")] })

  it("declares the composite's inputs: a part reading an undeclared key is an error on that part", () => {
    const flow = composeWorkflow.withInputs({ text: Schema.String, currency: Schema.String })(parsing, pricing)
    expectTypeOf<Template.Requires<typeof flow>>().toEqualTypeOf<{ readonly text: string; readonly currency: string }>()
    // @ts-expect-error pricingTypo reads "line": did you mean "lines"?
    composeWorkflow.withInputs({ text: Schema.String, currency: Schema.String })(parsing, pricingTypo)
    // without declared inputs the typo becomes a requirement of the composite
    const loose = composeWorkflow(parsing, pricingTypo)
    expectTypeOf<keyof Template.Requires<typeof loose>>().toEqualTypeOf<"text" | "line" | "currency">()
  })

  it("keeps the other wiring checks", () => {
    const readsLinesAsText = Template.make({ name: "r", version: "1", steps: [step("r", { lines: Schema.String }, {})] })
    composeWorkflow.withInputs({ text: Schema.String, currency: Schema.String })(parsing, pricing)
    // @ts-expect-error lines is provided as a list but read as string
    composeWorkflow.withInputs({ text: Schema.String })(parsing, readsLinesAsText)
  })
})
