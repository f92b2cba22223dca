/**
 * Type-level contract of `Step.retryOn` (only the tags of the step's own
 * errors, and `"StepTimeout"`, may be named) and of `Step.make`'s
 * `retryWhile` (a predicate over `unknown`: a parameter typed by the step's
 * errors would fix them before `run` is inferred when written above `run`).
 *
 * Every `@ts-expect-error` is preceded by a passing twin (the same call with
 * a tag the step does fail with), so each test proves that only the wrong
 * tag is rejected.
 */
import { Data, Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Step } from "weftjs"

class CardDeclined extends Data.TaggedError("CardDeclined")<{}> {}
class PaymentUnavailable extends Data.TaggedError("PaymentUnavailable")<{}> {}

const charge = Step.make({
  name: "charge",
  requires: { amount: Schema.Number },
  provides: { chargeId: Schema.String },
  run: ({ amount }) =>
    Effect.gen(function*() {
      if (amount > 1000) return yield* new CardDeclined()
      if (amount < 0) return yield* new PaymentUnavailable()
      return { chargeId: "ch-1" }
    })
})

/** A step whose errors carry no `_tag`: only "StepTimeout" can be named. */
const untagged = Step.make({
  name: "untagged",
  requires: {},
  provides: { n: Schema.Number },
  run: () => Effect.fail("offline" as const)
})

describe("Step.retryOn", () => {
  it("keeps the step's type, in both forms", () => {
    expectTypeOf(charge.pipe(Step.retryOn("PaymentUnavailable"))).toEqualTypeOf(charge)
    expectTypeOf(Step.retryOn(charge, "PaymentUnavailable", "StepTimeout")).toEqualTypeOf(charge)
  })

  it("accepts the tags of the step's errors and StepTimeout", () => {
    expectTypeOf<Step.RetryTag<Step.Error<typeof charge>>>().toEqualTypeOf<
      "CardDeclined" | "PaymentUnavailable" | "StepTimeout"
    >()
    expectTypeOf<Step.RetryTag<Step.Error<typeof untagged>>>().toEqualTypeOf<"StepTimeout">()
  })

  it("rejects a tag the step never fails with (pipe form)", () => {
    charge.pipe(Step.retryOn("PaymentUnavailable", "StepTimeout"))
    // @ts-expect-error "PaymentUnavailabel" is a typo: no error of the step has this tag
    charge.pipe(Step.retryOn("PaymentUnavailabel", "StepTimeout"))
  })

  it("rejects a tag the step never fails with (data-first form), on the tag itself", () => {
    Step.retryOn(charge, "PaymentUnavailable")
    // @ts-expect-error "CarrierUnavailable" is the error of another step
    Step.retryOn(charge, "PaymentUnavailable", "CarrierUnavailable")
  })

  it("for errors without a tag, only StepTimeout", () => {
    untagged.pipe(Step.retryOn("StepTimeout"))
    // @ts-expect-error a string error has no `_tag`
    untagged.pipe(Step.retryOn("offline"))
  })

  it("needs at least one tag", () => {
    Step.retryOn(charge, "CardDeclined")
    // @ts-expect-error retrying on no error at all is a mistake
    Step.retryOn(charge)
  })
})

describe("Step.make({ retryWhile })", () => {
  it("takes any failure, and does not change the errors inferred from run, wherever it is written", () => {
    const before = Step.make({
      name: "charge",
      requires: {},
      provides: {},
      retryWhile: (error) => {
        expectTypeOf(error).toEqualTypeOf<unknown>()
        return error instanceof PaymentUnavailable
      },
      run: (_, { attempt }) => Effect.fail(attempt > 1 ? new CardDeclined() : new PaymentUnavailable())
    })
    expectTypeOf<Step.Error<typeof before>>().toEqualTypeOf<CardDeclined | PaymentUnavailable>()
    const after = Step.make({
      name: "charge",
      requires: {},
      provides: {},
      run: (_, { attempt }) => Effect.fail(attempt > 1 ? new CardDeclined() : new PaymentUnavailable()),
      retryWhile: (error) => error instanceof PaymentUnavailable
    })
    expectTypeOf<Step.Error<typeof after>>().toEqualTypeOf<CardDeclined | PaymentUnavailable>()
  })
})
