/**
 * Type-level contract of `Template.make` (wiring between the steps of one
 * template, local keys, nested templates) and of `Step.orElse`.
 *
 * Every `@ts-expect-error` is preceded by a passing twin (the same thing wired
 * correctly), so each test proves that only the wrong wiring is rejected.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { composeWorkflow, Step, Template } from "weftjs"
import type { Checked, ConflictingRequirement, IncompatibleKey } from "../../src/internal/types/wiring.js"

/** A step reading `requires` and writing `provides` (run is irrelevant to types). */
const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Step.make({ name, requires, provides, run: () => Effect.succeed({} as Step.Slice<PF>) })

const Status = Schema.Literal("ok", "degraded", "down")

const writesStatus = step("writes_status", { equipmentId: Schema.String }, { equipmentStatus: Status })
const readsStatusAsString = step("reads_status_as_string", { equipmentStatus: Schema.String }, {
  report: Schema.String
})
const readsStatusAsNumber = step("reads_status_as_number", { equipmentStatus: Schema.Number }, {
  code: Schema.Number
})

describe("wiring inside one template", () => {
  it("a key written by an earlier step is not an outside requirement", () => {
    const t = Template.make({ name: "t", version: "1", steps: [writesStatus, readsStatusAsString] })
    expectTypeOf<Template.Requires<typeof t>>().toEqualTypeOf<{ readonly equipmentId: string }>()
    expectTypeOf<Template.Provides<typeof t>>().toEqualTypeOf<{
      readonly equipmentStatus: "ok" | "degraded" | "down"
      readonly report: string
    }>()
    expectTypeOf(t.requiredState).toEqualTypeOf<ReadonlyArray<"equipmentId">>()
    expectTypeOf(t.providedState).toEqualTypeOf<ReadonlyArray<"equipmentStatus" | "report">>()
  })

  it("steps given as a readonly (`as const`) tuple are accepted and checked the same (regression)", () => {
    const good = [writesStatus, readsStatusAsString] as const
    const t = Template.make({ name: "good", version: "1", steps: good })
    expectTypeOf<Template.Provides<typeof t>>().toEqualTypeOf<{
      readonly equipmentStatus: "ok" | "degraded" | "down"
      readonly report: string
    }>()
    const bad = [writesStatus, readsStatusAsNumber] as const
    // @ts-expect-error equipmentStatus is written as "ok" | "degraded" | "down" but read as number
    Template.make({ name: "bad", version: "1", steps: bad })
    const parts = [t, Template.make({ name: "again", version: "1", steps: good })] as const
    composeWorkflow(...parts)
  })

  it("a key read before any step writes it is an outside requirement", () => {
    const t = Template.make({ name: "t", version: "1", steps: [readsStatusAsString, writesStatus] })
    expectTypeOf<Template.Requires<typeof t>>().toEqualTypeOf<{
      readonly equipmentStatus: string
      readonly equipmentId: string
    }>()
  })

  it("a step requiring a key an earlier step wrote with an incompatible type is an error on that step", () => {
    Template.make({ name: "good", version: "1", steps: [writesStatus, readsStatusAsString] })
    Template.make({
      name: "bad",
      version: "1",
      steps: [
        writesStatus,
        // @ts-expect-error equipmentStatus is written as "ok" | "degraded" | "down" but read as number
        readsStatusAsNumber
      ]
    })
    expectTypeOf<Checked<[typeof writesStatus, typeof readsStatusAsNumber]>>().toEqualTypeOf<
      readonly [unknown, IncompatibleKey<"equipmentStatus", "ok" | "degraded" | "down", number>]
    >()
  })

  it("two steps reading the same outside key with incompatible types is an error", () => {
    const limitAsString = step("limit_as_string", { limit: Schema.String }, {})
    const limitAsLiteral = step("limit_as_literal", { limit: Schema.Literal("low", "high") }, {})
    const limitAsNumber = step("limit_as_number", { limit: Schema.Number }, {})
    const t = Template.make({ name: "good", version: "1", steps: [limitAsString, limitAsLiteral] })
    expectTypeOf<Template.Requires<typeof t>>().toEqualTypeOf<{ readonly limit: "low" | "high" }>()
    Template.make({
      name: "bad",
      version: "1",
      steps: [
        limitAsString,
        // @ts-expect-error limit is read as string by one step and as number by another
        limitAsNumber
      ]
    })
    expectTypeOf<Checked<[typeof limitAsString, typeof limitAsNumber]>>().toEqualTypeOf<
      readonly [unknown, ConflictingRequirement<"limit", string, number>]
    >()
  })
})

describe("local keys", () => {
  const split = step("split", { text: Schema.String }, { words: Schema.Array(Schema.String) })
  const count = step("count", { words: Schema.Array(Schema.String) }, { wordCount: Schema.Number })
  const counter = Template.make({ name: "counter", version: "1", steps: [split, count], local: ["words"] })
  const recount = Template.make({
    name: "recount",
    version: "1",
    steps: [step("recount", { words: Schema.Array(Schema.Number) }, { again: Schema.Number })]
  })

  it("are dropped from Provides", () => {
    const keepsWords = Template.make({ name: "keeps", version: "1", steps: [split, count] })
    expectTypeOf<Template.Provides<typeof keepsWords>>().toEqualTypeOf<{
      readonly words: ReadonlyArray<string>
      readonly wordCount: number
    }>()
    expectTypeOf<Template.Provides<typeof counter>>().toEqualTypeOf<{ readonly wordCount: number }>()
    expectTypeOf<Template.Requires<typeof counter>>().toEqualTypeOf<{ readonly text: string }>()
    expectTypeOf(counter.providedState).toEqualTypeOf<ReadonlyArray<"wordCount">>()
  })

  it("never appear in a composite's type", () => {
    const report = Template.make({
      name: "report",
      version: "1",
      steps: [step("report", { wordCount: Schema.Number }, { report: Schema.String })]
    })
    const composite = composeWorkflow(counter, report)
    expectTypeOf<Template.Provides<typeof composite>>().toEqualTypeOf<{
      readonly wordCount: number
      readonly report: string
    }>()
    expectTypeOf<Template.Requires<typeof composite>>().toEqualTypeOf<{ readonly text: string }>()
    expectTypeOf<Template.FinalState<typeof composite>>().toEqualTypeOf<{
      readonly text: string
      readonly wordCount: number
      readonly report: string
    }>()
  })

  it("a later template requiring a dropped key gets it as a composite requirement (with its own type)", () => {
    // words are local to counter (strings): recount's words (numbers) do not clash with them
    const composite = composeWorkflow(counter, recount)
    expectTypeOf<Template.Requires<typeof composite>>().toEqualTypeOf<{
      readonly text: string
      readonly words: ReadonlyArray<number>
    }>()
    const keepsWords = Template.make({ name: "keeps", version: "1", steps: [split, count] })
    // @ts-expect-error without `local`, words is provided as string[] and recount reads number[]
    composeWorkflow(keepsWords, recount)
  })

  it("naming a key that no step provides is a type error", () => {
    Template.make({ name: "good", version: "1", steps: [split, count], local: ["words"] })
    Template.make({ name: "good2", version: "1", steps: [split, count], local: ["words", "wordCount"] })
    // @ts-expect-error "sentences" is written by no step
    Template.make({ name: "bad", version: "1", steps: [split, count], local: ["sentences"] })
    // @ts-expect-error "text" is read, not written, by these steps
    Template.make({ name: "bad2", version: "1", steps: [split, count], local: ["text"] })
  })

  it("inside a template used as a step, locals are dropped too", () => {
    const outer = Template.make({
      name: "outer",
      version: "1",
      steps: [counter, step("after", { wordCount: Schema.Number }, { done: Schema.Boolean })]
    })
    expectTypeOf<Template.Provides<typeof outer>>().toEqualTypeOf<{
      readonly wordCount: number
      readonly done: boolean
    }>()
    // a later step reading words gets it from outside
    const outerReads = Template.make({
      name: "outer_reads",
      version: "1",
      steps: [counter, step("reads_words", { words: Schema.Array(Schema.String) }, {})]
    })
    expectTypeOf<Template.Requires<typeof outerReads>>().toEqualTypeOf<{
      readonly text: string
      readonly words: ReadonlyArray<string>
    }>()
  })
})

describe("Step.orElse", () => {
  const live = Step.make({
    name: "live_price",
    requires: { sku: Schema.String },
    provides: { price: Schema.Number },
    run: () => Effect.fail("offline" as const)
  })
  const cached = Step.make({
    name: "cached_price",
    requires: { sku: Schema.String },
    provides: { price: Schema.Number },
    run: () => Effect.succeed({ price: 10 })
  })
  const flat = Step.make({
    name: "flat_price",
    requires: {},
    provides: { price: Schema.Literal(10), currency: Schema.String },
    run: () => Effect.succeed({ price: 10 as const, currency: "EUR" })
  })
  const writesCost = Step.make({
    name: "writes_cost",
    requires: { sku: Schema.String },
    provides: { cost: Schema.Number },
    run: () => Effect.succeed({ cost: 10 })
  })
  const writesPriceAsString = Step.make({
    name: "price_as_string",
    requires: { sku: Schema.String },
    provides: { price: Schema.String },
    run: () => Effect.succeed({ price: "10" })
  })
  const readsRegion = Step.make({
    name: "regional_price",
    requires: { sku: Schema.String, region: Schema.String },
    provides: { price: Schema.Number },
    run: () => Effect.succeed({ price: 10 })
  })
  const readsSkuAsNumber = Step.make({
    name: "sku_as_number",
    requires: { sku: Schema.Number },
    provides: { price: Schema.Number },
    run: () => Effect.succeed({ price: 10 })
  })

  it("a compatible fallback keeps the primary's slices and takes the fallback's errors", () => {
    const piped = live.pipe(Step.orElse(cached))
    const direct = Step.orElse(live, cached)
    type Expected = Step.Step<{ readonly sku: string }, { readonly price: number }, never, never>
    expectTypeOf(piped).toEqualTypeOf<Expected>()
    expectTypeOf(direct).toEqualTypeOf<Expected>()
  })

  it("a fallback reading fewer keys and writing more (or narrower) ones is compatible", () => {
    expectTypeOf(live.pipe(Step.orElse(flat))).toEqualTypeOf<
      Step.Step<{ readonly sku: string }, { readonly price: number }, never, never>
    >()
  })

  it("a fallback that does not write the primary's keys is an error", () => {
    live.pipe(Step.orElse(cached))
    // @ts-expect-error the fallback writes cost, not price
    live.pipe(Step.orElse(writesCost))
    Step.orElse(live, cached)
    // @ts-expect-error the fallback writes cost, not price
    Step.orElse(live, writesCost)
    // @ts-expect-error the fallback writes price as string, the primary as number
    live.pipe(Step.orElse(writesPriceAsString))
  })

  it("a fallback reading a key the primary does not read is an error", () => {
    live.pipe(Step.orElse(flat))
    // @ts-expect-error the fallback reads region, which the primary does not require
    live.pipe(Step.orElse(readsRegion))
    // @ts-expect-error the fallback reads region, which the primary does not require
    Step.orElse(live, readsRegion)
    // @ts-expect-error the fallback reads sku as number, the primary as string
    live.pipe(Step.orElse(readsSkuAsNumber))
  })

  it("a step with a fallback wires into a template like the primary", () => {
    const t = Template.make({ name: "pricing", version: "1", steps: [live.pipe(Step.orElse(cached))] })
    expectTypeOf<Template.Requires<typeof t>>().toEqualTypeOf<{ readonly sku: string }>()
    expectTypeOf<Template.Provides<typeof t>>().toEqualTypeOf<{ readonly price: number }>()
    expectTypeOf(t).toMatchTypeOf<Template.Template<{ readonly sku: string }, { readonly price: number }>>()
  })
})

describe("templates nested as steps", () => {
  const inner = Template.make({ name: "inner", version: "1", steps: [writesStatus, readsStatusAsString] })

  it("fold like their steps", () => {
    const outer = Template.make({
      name: "outer",
      version: "1",
      steps: [inner, step("archive", { report: Schema.String, operator: Schema.String }, { archived: Schema.Boolean })]
    })
    expectTypeOf(outer).toMatchTypeOf<
      Template.Template<
        { readonly equipmentId: string; readonly operator: string },
        {
          readonly equipmentStatus: "ok" | "degraded" | "down"
          readonly report: string
          readonly archived: boolean
        }
      >
    >()
  })

  it("are checked against the steps around them", () => {
    Template.make({ name: "good", version: "1", steps: [inner, readsStatusAsString] })
    Template.make({
      name: "bad",
      version: "1",
      steps: [
        inner,
        // @ts-expect-error inner writes equipmentStatus as "ok" | "degraded" | "down"; this step reads a number
        readsStatusAsNumber
      ]
    })
    const idAsString = step("id_as_string", {}, { equipmentId: Schema.String })
    const idAsNumber = step("id_as_number", {}, { equipmentId: Schema.Number })
    Template.make({ name: "good2", version: "1", steps: [idAsString, inner] })
    Template.make({
      name: "bad2",
      version: "1",
      steps: [
        idAsNumber,
        // @ts-expect-error equipmentId is written as number; inner requires it as string
        inner
      ]
    })
  })
})
