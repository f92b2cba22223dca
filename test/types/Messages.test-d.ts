/**
 * Compile errors are sentences: each wiring check, when it fails, evaluates
 * to a sentence (a string literal type) naming the key, what upstream
 * provides and what is required, and the offending argument is intersected
 * with it, so the compiler's message ends with that sentence.
 *
 * Each test pins the exact sentence of one check, next to the call the
 * compiler rejects (preceded by a passing twin).
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { composeWorkflow, Flow, Step, Template } from "weftjs"
import type { CheckClashes, LoopCheck, MergeEntry } from "../../src/internal/types/flow.js"
import type { DidYouMean, Show } from "../../src/internal/types/messages.js"
import type { CheckFallback } from "../../src/internal/types/step.js"
import type { Checked } from "../../src/internal/types/wiring.js"

const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Step.make({ name, requires, provides, run: () => Effect.succeed({} as Step.Slice<PF>) })

const part = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Template.make({ name, version: "1", steps: [step(name, requires, provides)] })

const pricing = part("pricing", { sku: Schema.String }, { total: Schema.Number })
const invoicing = part("invoicing", { total: Schema.String }, { invoice: Schema.String })
const invoicingNumber = part("invoicing", { total: Schema.Number }, { invoice: Schema.String })

describe("types in words", () => {
  it("primitives, literals and their unions", () => {
    expectTypeOf<Show<string>>().toEqualTypeOf<"string">()
    expectTypeOf<Show<number>>().toEqualTypeOf<"number">()
    expectTypeOf<Show<boolean>>().toEqualTypeOf<"boolean">()
    expectTypeOf<Show<"ok" | "degraded" | "down">>().toEqualTypeOf<"'ok' | 'degraded' | 'down'">()
    expectTypeOf<Show<1 | 2>>().toEqualTypeOf<"1 | 2">()
    expectTypeOf<Show<string | undefined>>().toEqualTypeOf<"string | undefined">()
    expectTypeOf<Show<unknown>>().toEqualTypeOf<"unknown">()
  })

  it("lists and objects", () => {
    expectTypeOf<Show<ReadonlyArray<number>>>().toEqualTypeOf<"ReadonlyArray<number>">()
    expectTypeOf<Show<{ readonly signer: string; readonly stamped?: boolean }>>().toEqualTypeOf<"{ signer: string; stamped?: boolean }">()
    expectTypeOf<Show<{ readonly a: { readonly b: { readonly c: string } } }>>().toEqualTypeOf<"{ a: { b: { … } } }">()
    expectTypeOf<Show<Date>>().toEqualTypeOf<"Date">()
  })
})

describe("a key provided upstream with another type (IncompatibleKey)", () => {
  it("names the key, the provided type and the required type", () => {
    composeWorkflow(pricing, invoicingNumber)
    // @ts-expect-error total is provided as number upstream but required as string here
    composeWorkflow(pricing, invoicing)
    expectTypeOf<Checked<[typeof pricing, typeof invoicing]>>().toEqualTypeOf<
      readonly [unknown, "weft: key 'total' is provided as number upstream but required as string here"]
    >()
  })

  it("says when a key may be missing upstream (a skippable writer)", () => {
    const maybe = Step.make({
      name: "maybe",
      requires: {},
      provides: { total: Schema.Number },
      onError: "skip",
      run: () => Effect.succeed({ total: 1 })
    })
    const reads = step("reads", { total: Schema.Number }, {})
    const readsOptional = step("reads_optional", { total: Schema.optional(Schema.Number) }, {})
    Template.make({ name: "good", version: "1", steps: [maybe, readsOptional] })
    // @ts-expect-error total may be missing upstream
    Template.make({ name: "bad", version: "1", steps: [maybe, reads] })
    expectTypeOf<Checked<[typeof maybe, typeof reads]>>().toEqualTypeOf<
      readonly [
        unknown,
        "weft: key 'total' may be missing upstream (a step that may be skipped, or a branch or loop that may not run, writes it) but is required here"
      ]
    >()
  })

  it("a key that may be missing and has another type names both types", () => {
    const maybeText = Step.make({
      name: "maybe_text",
      requires: {},
      provides: { total: Schema.String },
      onError: "skip",
      run: () => Effect.succeed({ total: "1" })
    })
    const reads = step("reads", { total: Schema.Number }, {})
    expectTypeOf<Checked<[typeof maybeText, typeof reads]>>().toEqualTypeOf<
      readonly [unknown, "weft: key 'total' is provided as string | undefined upstream but required as number here"]
    >()
  })

  it("several bad keys of one node are joined (in the order the compiler lists them)", () => {
    const writes = step("writes", {}, { a: Schema.Number, b: Schema.Literal("x") })
    const reads = step("reads", { a: Schema.String, b: Schema.Boolean }, {})
    type A = "weft: key 'a' is provided as number upstream but required as string here"
    type B = "weft: key 'b' is provided as 'x' upstream but required as boolean here"
    expectTypeOf<Checked<[typeof writes, typeof reads]>[0]>().toEqualTypeOf<unknown>()
    expectTypeOf<Checked<[typeof writes, typeof reads]>[1]>().toExtend<`${A}; ${B}` | `${B}; ${A}`>()
  })
})

describe("an outside key required with incompatible types (ConflictingRequirement)", () => {
  it("names the key and both types", () => {
    const asString = part("as_string", { limit: Schema.String }, {})
    const asLiteral = part("as_literal", { limit: Schema.Literal("low", "high") }, {})
    const asNumber = part("as_number", { limit: Schema.Number }, {})
    composeWorkflow(asString, asLiteral)
    // @ts-expect-error limit is needed as string and as number
    composeWorkflow(asString, asNumber)
    expectTypeOf<Checked<[typeof asString, typeof asNumber]>>().toEqualTypeOf<
      readonly [
        unknown,
        "weft: key 'limit' is needed from outside as string elsewhere but as number here: no input can be both"
      ]
    >()
  })

  it("says \"declared\" for a declared input", () => {
    const asNumber = step("as_number", { limit: Schema.Number }, {})
    Template.make({ name: "good", version: "1", inputs: { limit: Schema.Number }, steps: [asNumber] })
    // @ts-expect-error limit is declared as string, required as number
    Template.make({ name: "bad", version: "1", inputs: { limit: Schema.String }, steps: [asNumber] })
    expectTypeOf<Checked<[typeof asNumber], { readonly limit: string }>>().toEqualTypeOf<
      readonly ["weft: key 'limit' is a declared input of type string but is required as number here: no input can be both"]
    >()
  })
})

describe("a key neither declared nor provided (UndeclaredKey)", () => {
  it("names the key and the closest declared or provided key", () => {
    const reads = step("reads", { lines: Schema.Number, order: Schema.String }, {})
    expectTypeOf<Checked<[typeof reads], { readonly line: number; readonly order: string }>>().toEqualTypeOf<
      readonly ["weft: key 'lines' is read here but is neither a declared input nor provided upstream (did you mean 'line'?)"]
    >()
    expectTypeOf<Checked<[typeof reads], { readonly order: string }>>().toEqualTypeOf<
      readonly ["weft: key 'lines' is read here but is neither a declared input nor provided upstream"]
    >()
  })

  it("did you mean: case, one edit, a short prefix or suffix; nothing for far keys", () => {
    expectTypeOf<DidYouMean<"orderid", "orderId" | "total">>().toEqualTypeOf<" (did you mean 'orderId'?)">()
    expectTypeOf<DidYouMean<"totl", "total" | "order">>().toEqualTypeOf<" (did you mean 'total'?)">()
    expectTypeOf<DidYouMean<"totla", "total">>().toEqualTypeOf<" (did you mean 'total'?)">()
    expectTypeOf<DidYouMean<"totalx", "total">>().toEqualTypeOf<" (did you mean 'total'?)">()
    expectTypeOf<DidYouMean<"item", "items" | "lineItems">>().toEqualTypeOf<" (did you mean 'items'?)">()
    expectTypeOf<DidYouMean<"price", "amount" | "order">>().toEqualTypeOf<"">()
  })
})

describe("parallel branches (KeyClash, NotAClash)", () => {
  const credit = part("credit", { customerId: Schema.String }, { score: Schema.Number, creditScore: Schema.Number })
  const fraud = part("fraud", { customerId: Schema.String }, { score: Schema.Number, fraudScore: Schema.Number })
  const geo = part("geo", { ip: Schema.String }, { country: Schema.String })

  it("a clash names the key and what to do", () => {
    Flow.parallel({ name: "ok", branches: { credit, fraud }, merge: { score: (values) => Math.max(...values) } })
    // @ts-expect-error score is provided by both branches and nothing merges it
    Flow.parallel({ name: "bad", branches: { credit, fraud } })
    expectTypeOf<CheckClashes<{ credit: typeof credit; fraud: typeof fraud }, "all", never>>().toEqualTypeOf<
      "weft: several parallel branches provide 'score' and nothing merges it: give merge.score a function, or use mode 'first'"
    >()
    expectTypeOf<CheckClashes<{ credit: typeof credit; fraud: typeof fraud }, "first", never>>().toEqualTypeOf<unknown>()
  })

  it("a merge function for a key only one branch writes names the key", () => {
    Flow.parallel({ name: "ok", branches: { credit, fraud }, merge: { score: (values) => values[0]! } })
    // @ts-expect-error country is written by one branch only
    Flow.parallel({ name: "bad", branches: { credit, geo }, merge: { country: (values) => values[0]! } })
    expectTypeOf<MergeEntry<{ credit: typeof credit; geo: typeof geo }, "country">>().toEqualTypeOf<
      "weft: merge.country is for a key several branches provide, but at most one branch provides 'country'"
    >()
  })
})

describe("loops (LoopCheck)", () => {
  const probe = part("probe", { deviceId: Schema.String }, { ready: Schema.Boolean, polls: Schema.Number })

  it("a body writing what the predicate reads with another type names the key and both types", () => {
    Flow.loop({ name: "ok", requires: { polls: Schema.Number }, while: ({ polls }) => polls < 3, body: probe, maxIterations: 3 })
    Flow.loop({
      name: "bad",
      requires: { polls: Schema.String },
      while: ({ polls }) => polls !== "3",
      // @ts-expect-error the body writes polls as number, the predicate reads a string
      body: probe,
      maxIterations: 3
    })
    expectTypeOf<LoopCheck<{ readonly polls: string }, typeof probe>>().toEqualTypeOf<
      "weft: the loop body writes 'polls' as number but the loop reads it as string (in its predicate or the body's next iteration)"
    >()
    expectTypeOf<LoopCheck<{ readonly polls: number }, typeof probe>>().toEqualTypeOf<unknown>()
  })
})

describe("fallbacks (CheckFallback)", () => {
  const live = step("live", { sku: Schema.String }, { price: Schema.Number })
  const cached = step("cached", { sku: Schema.String }, { price: Schema.Number })
  const writesCost = step("writes_cost", { sku: Schema.String }, { cost: Schema.Number })
  const priceAsString = step("price_as_string", { sku: Schema.String }, { price: Schema.String })

  it("names the key the fallback does not write, or writes with another type", () => {
    live.pipe(Step.orElse(cached))
    // @ts-expect-error the fallback writes cost, not price
    live.pipe(Step.orElse(writesCost))
    type Sku = { readonly sku: string }
    expectTypeOf<CheckFallback<Sku, { readonly price: number }, Sku, { readonly cost: number }>>().toEqualTypeOf<
      "weft: the fallback must write every key the step writes, but it does not write 'price'"
    >()
    expectTypeOf<CheckFallback<Sku, { readonly price: number }, Sku, { readonly price: string }>>().toEqualTypeOf<
      "weft: the fallback writes 'price' as string but the step writes it as number"
    >()
    expectTypeOf<
      CheckFallback<Sku, { readonly price: number }, {}, { readonly price: 10; readonly currency: string }>
    >().toEqualTypeOf<unknown>()
    // @ts-expect-error the fallback writes price as string
    Step.orElse(live, priceAsString)
  })

  it("names the key the fallback reads that the step does not, or reads with another type", () => {
    const readsRegion = step("reads_region", { sku: Schema.String, region: Schema.String }, { price: Schema.Number })
    const skuAsNumber = step("sku_as_number", { sku: Schema.Number }, { price: Schema.Number })
    live.pipe(Step.orElse(cached))
    // @ts-expect-error the fallback reads region
    live.pipe(Step.orElse(readsRegion))
    type Price = { readonly price: number }
    expectTypeOf<CheckFallback<{ readonly sku: string }, Price, { readonly sku: string; readonly region: string }, Price>>()
      .toEqualTypeOf<"weft: the fallback reads 'region', which the step does not read">()
    expectTypeOf<CheckFallback<{ readonly sku: string }, Price, { readonly sku: number }, Price>>()
      .toEqualTypeOf<"weft: the fallback reads 'sku' as number but the step reads it as string">()
    // @ts-expect-error the fallback reads sku as number
    Step.orElse(live, skuAsNumber)
  })
})
