/**
 * Type-level contract of triggers: an event trigger's mapping reads the
 * first template's final state (typed by what it provides) and must give
 * the second template's input; a webhook's mapping reads its decoded body.
 *
 * Every `@ts-expect-error` is preceded by a passing twin, so each test
 * proves that only the wrong mapping is rejected.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Step, Template, Trigger } from "weftjs"
import type { GivenAs, NotGiven } from "../../src/internal/types/triggers.js"

const order = Template.make({
  name: "order",
  version: "1",
  steps: [Step.make({
    name: "price",
    requires: { orderId: Schema.String },
    provides: { total: Schema.Number, currency: Schema.Literal("EUR", "USD") },
    run: () => Effect.succeed({ total: 12, currency: "EUR" as const })
  })]
})

const invoice = Template.make({
  name: "invoice",
  version: "1",
  steps: [Step.make({
    name: "bill",
    requires: { amount: Schema.Number, ref: Schema.String },
    provides: { billed: Schema.Boolean },
    run: () => Effect.succeed({ billed: true })
  })]
})

describe("Trigger.onEnd", () => {
  it("reads the final state of a completed run, typed by what the first template provides", () => {
    Trigger.onEnd("bill", order, invoice, {
      input: (state) => {
        expectTypeOf(state).toEqualTypeOf<{ readonly orderId: string; readonly total: number; readonly currency: "EUR" | "USD" }>()
        return { amount: state.total, ref: state.orderId }
      }
    })
  })

  it("listening for failed or cancelled runs too, the provided keys may be missing", () => {
    Trigger.onEnd("bill-anyway", order, invoice, {
      on: ["completed", "failed"],
      input: (state, end) => {
        expectTypeOf(state.total).toEqualTypeOf<number | undefined>()
        expectTypeOf(end.status).toEqualTypeOf<Trigger.EndStatus>()
        return { amount: state.total ?? 0, ref: state.orderId }
      }
    })
  })

  it("rejects reading a key the first template does not provide, naming it", () => {
    Trigger.onEnd("ok", order, invoice, { input: (state) => ({ amount: state.total, ref: state.orderId }) })
    Trigger.onEnd("typo", order, invoice, {
      // @ts-expect-error Property 'totl' does not exist (did you mean 'total'?)
      input: (state) => ({ amount: state.totl, ref: state.orderId })
    })
  })

  it("rejects giving the second template a key of the wrong type, with a sentence naming the key", () => {
    Trigger.onEnd("ok", order, invoice, { input: (state) => ({ amount: state.total, ref: state.orderId }) })
    Trigger.onEnd("wrong-type", order, invoice, {
      // @ts-expect-error weft: the trigger's input gives 'amount' as 'EUR' | 'USD' but the template it starts requires it as number
      input: (state) => ({ amount: state.currency, ref: state.orderId })
    })
    expectTypeOf<GivenAs<"amount", "EUR" | "USD", number>>().toEqualTypeOf<
      "weft: the trigger's input gives 'amount' as 'EUR' | 'USD' but the template it starts requires it as number"
    >()
  })

  it("rejects leaving out a key the second template requires, with a sentence naming the key", () => {
    Trigger.onEnd("ok", order, invoice, { input: (state) => ({ amount: state.total, ref: "r" }) })
    Trigger.onEnd("missing", order, invoice, {
      // @ts-expect-error weft: the trigger's input gives no 'ref', which the template it starts requires
      input: (state) => ({ amount: state.total })
    })
    expectTypeOf<NotGiven<"ref">>().toEqualTypeOf<
      "weft: the trigger's input gives no 'ref', which the template it starts requires"
    >()
  })
})

describe("Trigger.webhook and Trigger.cron", () => {
  it("a webhook maps its decoded body to the template's input, checked", () => {
    const body = Schema.Struct({ id: Schema.String, cents: Schema.Number })
    Trigger.webhook("orders", order, { body, input: (b) => ({ orderId: b.id }) })
    Trigger.webhook("orders-bad", order, {
      body,
      // @ts-expect-error weft: the trigger's input gives 'orderId' as number but the template it starts requires it as string
      input: (b) => ({ orderId: b.cents })
    })
  })

  it("a schedule's input is the template's input, fixed or from the tick's time", () => {
    Trigger.cron("nightly", order, { cron: "0 3 * * *", input: { orderId: "o" } })
    Trigger.cron("nightly-tick", order, { cron: "0 3 * * *", input: (tick) => ({ orderId: tick.toISOString() }) })
    // @ts-expect-error orderId must be a string
    Trigger.cron("nightly-bad", order, { cron: "0 3 * * *", input: { orderId: 3 } })
  })
})
