import { describe, expect, it } from "@effect/vitest"
import { Chunk, Data, Duration, Effect, Fiber, Ref, Schedule, Schema, Stream, TestClock } from "effect"
import { Engine, Errors, Step, Template, Testing } from "weftjs"

class Flaky extends Data.TaggedError("Flaky")<{ readonly attempt: number }> {}

/** A step that fails with `Flaky` until its `failures`-th attempt has passed. */
const flaky = (failures: number, calls: Ref.Ref<number>, options: { retry?: Schedule.Schedule<unknown, unknown> } = {}) =>
  Step.make({
    name: "flaky",
    requires: { n: Schema.Number },
    provides: { out: Schema.Number },
    ...options,
    run: ({ n }, { attempt }) =>
      Effect.flatMap(Ref.updateAndGet(calls, (c) => c + 1), (c) =>
        c <= failures ? Effect.fail(new Flaky({ attempt })) : Effect.succeed({ out: n + 1 }))
  })

describe("Step.make", () => {
  it.effect("run sees only its required slice, typed", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<ReadonlyArray<string>>([])
      const step = Step.make({
        name: "peek",
        requires: { a: Schema.String },
        provides: { keys: Schema.Array(Schema.String) },
        run: (input) => Effect.as(Ref.set(seen, Object.keys(input)), { keys: Object.keys(input) })
      })
      const input = { a: "x", secret: "not for this step" }
      const out = yield* Testing.runStep(step, input)
      expect(out).toEqual({ keys: ["a"] })
      expect(yield* Ref.get(seen)).toEqual(["a"])
    }))

  it.effect("an output of the wrong shape fails with InvalidStepOutput naming the key", () =>
    Effect.gen(function*() {
      const step = Step.make({
        name: "liar",
        requires: {},
        provides: { count: Schema.Number, label: Schema.String },
        run: () => Effect.succeed({ count: "three", label: "ok" } as unknown as { count: number; label: string })
      })
      const error = yield* Effect.flip(Testing.runStep(step, {}))
      expect(error).toBeInstanceOf(Errors.InvalidStepOutput)
      const invalid = error as Errors.InvalidStepOutput
      expect(invalid.step).toBe("liar")
      expect(invalid.issues.map((i) => i.path)).toEqual([["count"]])
      expect(invalid.message).toContain("count")
    }))

  it.effect("refinements in provides are checked at run time", () =>
    Effect.gen(function*() {
      const step = Step.make({
        name: "percent",
        requires: {},
        provides: { pct: Schema.Number.pipe(Schema.between(0, 100)) },
        run: () => Effect.succeed({ pct: 140 })
      })
      const error = yield* Effect.flip(Testing.runStep(step, {}))
      expect(error._tag).toBe("InvalidStepOutput")
    }))

  it.effect("step names are validated", () =>
    Effect.sync(() => {
      expect(() =>
        Step.make({ name: "has space", requires: {}, provides: {}, run: () => Effect.succeed({}) })
      ).toThrow(/has space/)
    }))
})

describe("retry", () => {
  it.effect("defaults to 3 retries (4 attempts) with exponential backoff from 5 s", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const error = yield* Effect.flip(Testing.runStep(flaky(10, calls), { n: 1 }))
      expect(error).toEqual(new Flaky({ attempt: 4 }))
      expect(yield* Ref.get(calls)).toBe(4)
    }))

  it.effect("waits before retrying: no second attempt before ~5 s of (jittered) delay", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const fiber = yield* Effect.fork(Testing.runStep(flaky(1, calls), { n: 1 }, { time: "manual" }))
      yield* TestClock.adjust(Duration.seconds(3)) // jitter keeps the first delay within 4-6 s
      expect(yield* Ref.get(calls)).toBe(1)
      yield* TestClock.adjust(Duration.seconds(4))
      expect(yield* Fiber.join(fiber)).toEqual({ out: 2 })
      expect(yield* Ref.get(calls)).toBe(2)
    }))

  it.effect("succeeds after transient failures and records the attempts in the trace", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const result = yield* Testing.runTemplate(
        templateOf(flaky(2, calls)),
        { n: 1 }
      )
      expect(result.state.out).toBe(2)
      expect(result.trace[0]).toMatchObject({ step: "flaky", status: "completed", attempts: 3 })
    }))

  it.effect("is overridable per step", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const error = yield* Effect.flip(
        Testing.runStep(flaky(10, calls, { retry: Schedule.recurs(1) }), { n: 1 })
      )
      expect(error._tag).toBe("Flaky")
      expect(yield* Ref.get(calls)).toBe(2)
    }))

  it.effect("the settings change the default", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      yield* Effect.flip(Testing.runStep(flaky(10, calls), { n: 1 }, { settings: { maxRetries: 0 } }))
      expect(yield* Ref.get(calls)).toBe(1)
    }))

  it.effect("the idempotency key is the same on every attempt", () =>
    Effect.gen(function*() {
      const keys = yield* Ref.make<ReadonlyArray<string>>([])
      const step = Step.make({
        name: "charge",
        requires: {},
        provides: { charged: Schema.Boolean },
        run: (_, ctx) =>
          Effect.flatMap(
            Ref.updateAndGet(keys, (ks) => [...ks, ctx.idempotencyKey]),
            (ks) => ks.length < 3 ? Effect.fail("declined" as const) : Effect.succeed({ charged: true })
          )
      })
      yield* Testing.runStep(step, {})
      const seen = yield* Ref.get(keys)
      expect(seen).toHaveLength(3)
      expect(new Set(seen).size).toBe(1)
      expect(seen[0]).toMatch(/\/charge$/)
    }))
})

describe("timeout", () => {
  it.effect("a step slower than its timeout fails with StepTimeout after its retries", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const slow = Step.make({
        name: "slow",
        requires: {},
        provides: { done: Schema.Boolean },
        timeout: "1 second",
        retry: Schedule.recurs(2),
        run: () => Effect.as(Effect.zipRight(Ref.update(calls, (c) => c + 1), Effect.sleep("10 seconds")), { done: true })
      })
      const error = yield* Effect.flip(Testing.runStep(slow, {}))
      expect(error).toBeInstanceOf(Errors.StepTimeout)
      expect((error as Errors.StepTimeout).step).toBe("slow")
      expect(yield* Ref.get(calls)).toBe(3)
    }))

  it.effect("interrupts the step's own work", () =>
    Effect.gen(function*() {
      const finished = yield* Ref.make(false)
      const interrupted = yield* Ref.make(false)
      const slow = Step.make({
        name: "slow",
        requires: {},
        provides: { done: Schema.Boolean },
        timeout: "1 second",
        retry: Schedule.stop,
        run: () =>
          Effect.sleep("1 minute").pipe(
            Effect.zipRight(Ref.set(finished, true)),
            Effect.onInterrupt(() => Ref.set(interrupted, true)),
            Effect.as({ done: true })
          )
      })
      yield* Effect.flip(Testing.runStep(slow, {}))
      expect(yield* Ref.get(interrupted)).toBe(true)
      expect(yield* Ref.get(finished)).toBe(false)
    }))
})

describe("error strategies", () => {
  it.effect("skip: the run goes on without the step's output, recorded as skipped", () =>
    Effect.gen(function*() {
      const optional = Step.make({
        name: "enrich",
        requires: {},
        provides: { extra: Schema.String },
        onError: "skip",
        retry: Schedule.stop,
        run: () => Effect.fail("service down" as const)
      })
      const result = yield* Testing.runTemplate(templateOf(optional), {})
      expect(result.state).toEqual({})
      expect(result.trace[0]).toMatchObject({ status: "skipped", error: { tag: "string", message: "service down" } })
    }))

  it.effect("fallback: another step stands in, recorded as fallback", () =>
    Effect.gen(function*() {
      const live = Step.make({
        name: "live_price",
        requires: { sku: Schema.String },
        provides: { price: Schema.Number },
        retry: Schedule.recurs(1),
        run: () => Effect.fail("offline" as const)
      })
      const cached = Step.make({
        name: "cached_price",
        requires: { sku: Schema.String },
        provides: { price: Schema.Number },
        run: ({ sku }) => Effect.succeed({ price: sku.length })
      })
      const price = live.pipe(Step.orElse(cached))
      expect(yield* Testing.runStep(price, { sku: "abc" })).toEqual({ price: 3 })
      const result = yield* Testing.runTemplate(templateOf(price), { sku: "abcd" })
      expect(result.trace[0]).toMatchObject({ step: "live_price", status: "fallback", attempts: 3 })
    }))

  it.scoped("the event before a fallback's first attempt names the primary's last error", () =>
    Effect.gen(function*() {
      const live = Step.make({
        name: "live_price",
        requires: { sku: Schema.String },
        provides: { price: Schema.Number },
        retry: Schedule.stop,
        timeout: "1 second",
        run: () => Effect.never
      })
      const cached = Step.make({
        name: "cached_price",
        requires: { sku: Schema.String },
        provides: { price: Schema.Number },
        run: () => Effect.succeed({ price: 1 })
      })
      const engine = yield* Engine.Engine
      const events = yield* engine.events.pipe(Stream.take(4), Stream.runCollect, Effect.fork)
      yield* TestClock.adjust("1 millis") // let the subscription start
      yield* Testing.withAutoTime(engine.run(templateOf(live.pipe(Step.orElse(cached))), { sku: "x" }))
      const retried = Chunk.toReadonlyArray(yield* Fiber.join(events)).find((e) => e._tag === "StepRetried")
      expect(retried).toMatchObject({ _tag: "StepRetried", attempt: 2, error: { tag: "StepTimeout" } })
    }).pipe(Effect.provide(Testing.layer())))

  it.effect("fallback failing fails the run with the fallback's error", () =>
    Effect.gen(function*() {
      const a = Step.make({ name: "a", requires: {}, provides: { v: Schema.Number }, retry: Schedule.stop, run: () => Effect.fail("a" as const) })
      const b = Step.make({ name: "b", requires: {}, provides: { v: Schema.Number }, retry: Schedule.stop, run: () => Effect.fail("b" as const) })
      expect(yield* Effect.flip(Testing.runStep(Step.orElse(a, b), {}))).toBe("b")
    }))
})

/** A one-step template around a step. */
function templateOf<Req extends object, Prov extends object, E, R>(
  step: Step.Step<Req, Prov, E, R>
): Template.Template<Req, Prov, E, R> {
  return Template.make({ name: "single", version: "1", steps: [step as unknown as Step.Step.Any] }) as never
}
