/**
 * A migration compiles only when, at every mapped position, what the old
 * version has provided by then (with what the state function adds) covers
 * what the new version requires from there on; otherwise the error ends
 * with a sentence naming both positions and the key.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Durable, Engine, Step, Template } from "weftjs"
import type { CheckMapping, NeedFrom, StateAt } from "../../src/internal/types/positions.js"

const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Step.make({ name, requires, provides, run: () => Effect.succeed({} as Step.Slice<PF>) })

const quote = step("quote", { sku: Schema.String }, { price: Schema.Number })
const approval = Durable.waitForSignal("approval", Schema.Struct({ ok: Schema.Boolean }))
const bill = step("bill", { price: Schema.Number, approval: Schema.Struct({ ok: Schema.Boolean }) }, { billed: Schema.Boolean })
const billInCurrency = step(
  "bill",
  { price: Schema.Number, currency: Schema.String, approval: Schema.Struct({ ok: Schema.Boolean }) },
  { billed: Schema.Boolean }
)
const priceAsText = step("bill", { price: Schema.String }, { billed: Schema.Boolean })
const ship = step("ship", { billed: Schema.Boolean }, { shipped: Schema.Boolean })

const v1 = Template.make({ name: "order", version: "1", steps: [quote, approval, bill, ship] })
const v2 = Template.make({ name: "order", version: "2", steps: [quote, approval, billInCurrency, ship] })
const quoteText = step("quote", { sku: Schema.String }, { price: Schema.String })
const v2text = Template.make({ name: "order", version: "2", steps: [quoteText, approval, priceAsText, ship] })

describe("positions", () => {
  it("the state at a node: the input and what the nodes before it provided", () => {
    expectTypeOf<StateAt<typeof v1, "0">>().toEqualTypeOf<{ readonly sku: string }>()
    expectTypeOf<StateAt<typeof v1, "2">>().toEqualTypeOf<
      { readonly sku: string; readonly price: number; readonly approval: { readonly ok: boolean } }
    >()
  })

  it("what the nodes from a node on need", () => {
    expectTypeOf<NeedFrom<typeof v2, "2">>().toEqualTypeOf<
      { readonly price: number; readonly currency: string; readonly approval: { readonly ok: boolean } }
    >()
    expectTypeOf<NeedFrom<typeof v2, "3">>().toEqualTypeOf<{ readonly billed: boolean }>()
  })
})

describe("Template.migration", () => {
  it("accepts positions where the old state covers what the new version needs", () => {
    Template.migration(v1, v2, (at) => [
      at(quote, quote, () => ({ currency: "EUR" })),
      at(approval, approval, () => ({ currency: "EUR" })),
      at(bill, billInCurrency, (state) => ({ currency: state.sku.startsWith("US") ? "USD" : "EUR" })),
      at(ship, ship)
    ])
  })

  it("the state function sees the old state at that position", () => {
    Template.migration(v1, v2, (at) => [
      at(bill, billInCurrency, (state) => {
        expectTypeOf(state).toEqualTypeOf<
          { readonly sku: string; readonly price: number; readonly approval: { readonly ok: boolean } }
        >()
        return { currency: "EUR" }
      })
    ])
  })

  it("refuses a key the new version needs that nobody provides, naming positions and key", () => {
    Template.migration(v1, v2, (at) => [
      // @ts-expect-error v2 needs 'currency' from steps[1] on; v1 never provided it
      at(approval, approval)
    ])
    expectTypeOf<CheckMapping<typeof v1, typeof v2, typeof approval, typeof approval, {}>>().toEqualTypeOf<
      "weft: a run migrated at from.steps[1] goes on at to.steps[1], which (or a node after it) requires 'currency', but the old version has not provided it by then and the state function does not add it"
    >()
  })

  it("refuses a key with another type, unless the state function converts it", () => {
    Template.migration(v1, v2text, (at) => [
      // @ts-expect-error price is a number in v1, a string in v2
      at(bill, priceAsText)
    ])
    Template.migration(v1, v2text, (at) => [at(bill, priceAsText, (state) => ({ price: String(state.price) }))])
    expectTypeOf<CheckMapping<typeof v1, typeof v2text, typeof bill, typeof priceAsText, {}>>().toEqualTypeOf<
      "weft: a run migrated at from.steps[2] goes on at to.steps[2], which (or a node after it) requires 'price' as string, but it is number there: convert it in the state function"
    >()
  })

  it("refuses a state function that adds a key with the wrong type", () => {
    Template.migration(v1, v2, (at) => [
      // @ts-expect-error currency must be a string
      at(bill, billInCurrency, () => ({ currency: 978 }))
    ])
  })

  it("refuses mapping to a node that is not a position of the new template", () => {
    Template.migration(v1, v2, (at) => [
      // @ts-expect-error priceAsText is not one of v2's nodes
      at(bill, priceAsText)
    ])
    expectTypeOf<CheckMapping<typeof v1, typeof v2, typeof bill, typeof priceAsText, {}>>().toEqualTypeOf<
      "weft: the to position is not a node of the new template (pass one of its steps' values, or of the templates it nests; a sub-flow's nodes belong to its child run: map the sub-flow node)"
    >()
  })
})

describe("engine.fork's patch", () => {
  it("is checked against the template's keys and their types", () => {
    const fork = (engine: Engine.Service) => [
      engine.fork(v1, "r1", { after: "quote", patch: { price: 12 } }),
      // @ts-expect-error price is a number
      engine.fork(v1, "r1", { after: "quote", patch: { price: "12" } }),
      // @ts-expect-error prise is not a key of the template
      engine.fork(v1, "r1", { after: "quote", patch: { prise: 12 } })
    ]
    expectTypeOf(fork).returns.items.toMatchTypeOf<Effect.Effect<string, unknown, never>>()
  })
})
