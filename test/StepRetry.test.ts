/**
 * Retry that knows transient from domain errors: `Step.make({ retryWhile })`
 * and `Step.retryOn(...tags)`. The retry policy (its schedule) is unchanged;
 * the filter only decides whether a failure may be retried at all.
 */
import { describe, expect, it } from "@effect/vitest"
import { Data, Duration, Effect, Fiber, Ref, Schedule, Schema, TestClock } from "effect"
import { Errors, Step, Template, Testing } from "weftjs"

class CardDeclined extends Data.TaggedError("CardDeclined")<{ readonly attempt: number }> {}
class PaymentUnavailable extends Data.TaggedError("PaymentUnavailable")<{ readonly attempt: number }> {}

type Outcome = "declined" | "unavailable" | "slow" | "ok"

/**
 * A charge whose n-th attempt does what `script[n - 1]` says (the last entry
 * repeats); every attempt is recorded in `calls`.
 */
const charge = (script: ReadonlyArray<Outcome>, calls: Ref.Ref<number>) =>
  Step.make({
    name: "charge",
    requires: { amount: Schema.Number },
    provides: { chargeId: Schema.String },
    timeout: "10 seconds",
    run: ({ amount }, { attempt }) =>
      Effect.gen(function*() {
        yield* Ref.update(calls, (n) => n + 1)
        const outcome = script[Math.min(attempt, script.length) - 1]
        if (outcome === "declined") return yield* new CardDeclined({ attempt })
        if (outcome === "unavailable") return yield* new PaymentUnavailable({ attempt })
        if (outcome === "slow") yield* Effect.sleep("1 minute")
        return { chargeId: `ch-${amount}-${attempt}` }
      })
  })

describe("the default", () => {
  it.effect("retries every failure, a domain error included (4 attempts)", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const error = yield* Effect.flip(Testing.runStep(charge(["declined"], calls), { amount: 5 }))
      expect(error).toEqual(new CardDeclined({ attempt: 4 }))
      expect(yield* Ref.get(calls)).toBe(4)
    }))
})

describe("Step.retryOn", () => {
  it.effect("a listed error is retried until the step succeeds", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const step = charge(["unavailable", "unavailable", "ok"], calls).pipe(Step.retryOn("PaymentUnavailable"))
      const result = yield* Testing.runTemplate(templateOf(step), { amount: 5 })
      expect(result.state.chargeId).toBe("ch-5-3")
      expect(result.trace[0]).toMatchObject({ step: "charge", status: "completed", attempts: 3 })
    }))

  it.effect("an error not listed fails the step at its first attempt", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const step = charge(["declined"], calls).pipe(Step.retryOn("PaymentUnavailable", "StepTimeout"))
      const error = yield* Effect.flip(Testing.runStep(step, { amount: 5 }))
      expect(error).toEqual(new CardDeclined({ attempt: 1 }))
      expect(yield* Ref.get(calls)).toBe(1)
    }))

  it.effect("transient failures are retried, and the first domain error stops the retries", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const step = Step.retryOn(charge(["unavailable", "unavailable", "declined", "ok"], calls), "PaymentUnavailable")
      const error = yield* Effect.flip(Testing.runStep(step, { amount: 5 }))
      expect(error).toEqual(new CardDeclined({ attempt: 3 }))
      expect(yield* Ref.get(calls)).toBe(3)
    }))

  it.effect("\"StepTimeout\" retries an attempt that timed out; unlisted, a timeout fails at once", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const retried = charge(["slow", "ok"], calls).pipe(Step.retryOn("StepTimeout"))
      expect(yield* Testing.runStep(retried, { amount: 5 })).toEqual({ chargeId: "ch-5-2" })
      expect(yield* Ref.get(calls)).toBe(2)

      const once = yield* Ref.make(0)
      const notRetried = charge(["slow", "ok"], once).pipe(Step.retryOn("PaymentUnavailable"))
      const error = yield* Effect.flip(Testing.runStep(notRetried, { amount: 5 }))
      expect(error).toBeInstanceOf(Errors.StepTimeout)
      expect(yield* Ref.get(once)).toBe(1)
    }))

  it.effect("keeps the retry policy's delays: no second attempt before the (jittered) 5 s default delay", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const step = charge(["unavailable", "ok"], calls).pipe(Step.retryOn("PaymentUnavailable"))
      const fiber = yield* Effect.fork(Testing.runStep(step, { amount: 5 }, { time: "manual" }))
      yield* TestClock.adjust(Duration.seconds(3)) // jitter keeps the first delay within 4-6 s
      expect(yield* Ref.get(calls)).toBe(1)
      yield* TestClock.adjust(Duration.seconds(4))
      expect(yield* Fiber.join(fiber)).toEqual({ chargeId: "ch-5-2" })
      expect(yield* Ref.get(calls)).toBe(2)
    }))

  it.effect("keeps the retry policy's limit: a listed error fails once the retries are spent", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const step = Step.make({
        name: "charge",
        requires: {},
        provides: { chargeId: Schema.String },
        retry: Schedule.recurs(2),
        run: (_, { attempt }) => Effect.zipRight(Ref.update(calls, (n) => n + 1), new PaymentUnavailable({ attempt }))
      }).pipe(Step.retryOn("PaymentUnavailable"))
      expect(yield* Effect.flip(Testing.runStep(step, {}))).toEqual(new PaymentUnavailable({ attempt: 3 }))
      expect(yield* Ref.get(calls)).toBe(3)
    }))

  it.effect("applies under a template's retry policy too", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const step = charge(["declined"], calls).pipe(Step.retryOn("PaymentUnavailable"))
      const template = Template.make({
        name: "checkout",
        version: "1",
        retry: Schedule.recurs(5),
        steps: [step]
      })
      const error = yield* Effect.flip(Testing.runTemplate(template, { amount: 5 }))
      expect(error).toEqual(new CardDeclined({ attempt: 1 }))
      expect(yield* Ref.get(calls)).toBe(1)
    }))

  it.effect("a domain error of the primary goes straight to its fallback", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const invoice = Step.make({
        name: "invoice",
        requires: { amount: Schema.Number },
        provides: { chargeId: Schema.String },
        run: ({ amount }) => Effect.succeed({ chargeId: `invoice-${amount}` })
      })
      const step = charge(["declined"], calls).pipe(Step.retryOn("PaymentUnavailable"), Step.orElse(invoice))
      const result = yield* Testing.runTemplate(templateOf(step), { amount: 5 })
      expect(result.state.chargeId).toBe("invoice-5")
      expect(result.trace[0]).toMatchObject({ step: "charge", status: "fallback", attempts: 2 })
      expect(yield* Ref.get(calls)).toBe(1)
    }))

  it.effect("replaces an earlier retryWhile", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const step = Step.make({
        name: "charge",
        requires: {},
        provides: { chargeId: Schema.String },
        retryWhile: () => false,
        run: (_, { attempt }) =>
          Effect.zipRight(
            Ref.update(calls, (n) => n + 1),
            attempt < 3 ? Effect.fail(new PaymentUnavailable({ attempt })) : Effect.succeed({ chargeId: "ch" })
          )
      })
      const retried = step.pipe(Step.retryOn("PaymentUnavailable"))
      expect(yield* Testing.runStep(retried, {})).toEqual({ chargeId: "ch" })
      expect(yield* Ref.get(calls)).toBe(3)
    }))

  it("leaves the step it is given unchanged", () => {
    const original = Step.make({
      name: "charge",
      requires: {},
      provides: {},
      run: () => Effect.fail(new PaymentUnavailable({ attempt: 1 }))
    })
    const narrowed = original.pipe(Step.retryOn("PaymentUnavailable"))
    expect(original.retryWhile).toBeUndefined()
    expect(narrowed.retryWhile?.(new PaymentUnavailable({ attempt: 1 }))).toBe(true)
    expect(narrowed.retryWhile?.(new CardDeclined({ attempt: 1 }))).toBe(false)
    expect(narrowed.retryWhile?.("PaymentUnavailable")).toBe(false)
    expect(narrowed.retryWhile?.(null)).toBe(false)
    expect(narrowed.name).toBe("charge")
  })
})

describe("Step.make({ retryWhile })", () => {
  it.effect("is asked about each failure, and false fails the step at once", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const asked = yield* Ref.make<ReadonlyArray<string>>([])
      const step = Step.make({
        name: "charge",
        requires: {},
        provides: { chargeId: Schema.String },
        retryWhile: (error) => {
          Effect.runSync(Ref.update(asked, (all) => [...all, error instanceof CardDeclined ? "declined" : "unavailable"]))
          return error instanceof PaymentUnavailable
        },
        run: (_, { attempt }) =>
          Effect.zipRight(
            Ref.update(calls, (n) => n + 1),
            Effect.fail(attempt < 3 ? new PaymentUnavailable({ attempt }) : new CardDeclined({ attempt }))
          )
      })
      expect(yield* Effect.flip(Testing.runStep(step, {}))).toEqual(new CardDeclined({ attempt: 3 }))
      expect(yield* Ref.get(calls)).toBe(3)
      expect(yield* Ref.get(asked)).toEqual(["unavailable", "unavailable", "declined"])
    }))

  it.effect("a skipped step's domain error skips it after one attempt", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const notify = Step.make({
        name: "notify",
        requires: {},
        provides: { messageId: Schema.String },
        onError: "skip",
        retryWhile: (error) => !(error instanceof CardDeclined),
        run: (_, { attempt }) => Effect.zipRight(Ref.update(calls, (n) => n + 1), new CardDeclined({ attempt }))
      })
      const result = yield* Testing.runTemplate(templateOf(notify), {})
      expect(result.trace[0]).toMatchObject({ step: "notify", status: "skipped", attempts: 1 })
      expect(yield* Ref.get(calls)).toBe(1)
    }))
})

/** A one-step template around a step. */
function templateOf<Req extends object, Prov extends object, E, R>(
  step: Step.Step<Req, Prov, E, R>
): Template.Template<Req, Prov, E, R> {
  return Template.make({ name: "single", version: "1", steps: [step as unknown as Step.Step.Any] }) as never
}
