import { describe, expect, it } from "@effect/vitest"
import { Cause, Data, Deferred, Duration, Effect, Exit, Schema, TestClock } from "effect"
import { Engine, Step, Template, Testing } from "weftjs"
import { flow, goodInput, validateInputs } from "./fixtures.js"

class Declined extends Data.TaggedError("Declined")<{ readonly amount: number }> {}

const charge = Step.make({
  name: "charge_card",
  requires: { amount: Schema.Number },
  provides: { receipt: Schema.String },
  run: ({ amount }) => amount > 100 ? Effect.fail(new Declined({ amount })) : Effect.succeed({ receipt: `r-${amount}` })
})

describe("Testing", () => {
  it.effect("runStep: assert a step's output in one line", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(validateInputs, { equipmentId: "e", processParams: { temperature: 900 } }))
        .toEqual({ validated: false })
    }))

  it.effect("runStep: assert a step's typed error in one line (its retries take no real time)", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(Testing.runStep(charge, { amount: 500 }))).toEqual(new Declined({ amount: 500 }))
    }))

  it.effect("runTemplate: a whole template with its trace", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(flow, goodInput)
      expect(result.state.report).toBe("status: ok")
      expect(result.trace.every((e) => e.status === "completed")).toBe(true)
    }))

  it.effect("time: manual leaves the clock to the test", () =>
    Effect.gen(function*() {
      const napping = Step.make({
        name: "nap",
        requires: {},
        provides: { rested: Schema.Boolean },
        run: () => Effect.as(Effect.sleep("2 minutes"), { rested: true })
      })
      const fiber = yield* Effect.fork(Testing.runStep(napping, {}, { time: "manual" }))
      yield* TestClock.adjust("119 seconds")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 second")
      expect(yield* fiber.await.pipe(Effect.flatten)).toEqual({ rested: true })
    }))

  it.live("withAutoTime also works without an ambient TestClock (no real waiting)", () =>
    Effect.gen(function*() {
      const out = yield* Testing.withAutoTime(Effect.as(Effect.sleep("3 days"), "slept"))
      expect(out).toBe("slept")
    }))
})

describe("Testing.awaitStatus", () => {
  it.scoped("waits until a background run has the status, and dies naming the status it had otherwise", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const gate = yield* Deferred.make<void>()
      const gated = Template.make({ name: "gated", version: "1", steps: [Step.make({
        name: "wait", requires: {}, provides: { done: Schema.Boolean },
        run: () => Effect.as(Deferred.await(gate), { done: true })
      })] })
      yield* engine.start(gated, {}, { runId: "g" })
      yield* Testing.awaitStatus("g", "running")
      const stuck = yield* Effect.exit(Testing.awaitStatus("g", "completed", { maxYields: 50 }))
      expect(Exit.isFailure(stuck) && Cause.pretty(stuck.cause)).toContain("run g is running after 50 yields, expected completed")
      yield* Deferred.succeed(gate, undefined)
      yield* Testing.awaitStatus("g", "completed")
      expect((yield* engine.status("g")).status).toBe("completed")
    }).pipe(Effect.provide(Testing.layer({ workflowTimeout: Duration.infinity }))))
})

describe("fake time that moves as runs need it", () => {
  const flaky = (failures: number) => {
    let calls = 0
    return Template.make({
      name: "flaky",
      version: "1",
      steps: [Step.make({
        name: "call",
        requires: {},
        provides: { ok: Schema.Boolean },
        run: () => Effect.suspend(() => ++calls <= failures ? Effect.fail("down" as const) : Effect.succeed({ ok: true }))
      })]
    })
  }

  it.scoped("awaitStatus moves fake time through a retrying step's delays (engine built with Testing.layer)", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.start(flaky(2), {}, { runId: "f" })
      // two retries, 5 s then ~10 s (jittered) apart by default: no TestClock.adjust needed
      yield* Testing.awaitStatus("f", "completed")
      const trace = yield* engine.trace("f")
      expect(trace.map((e) => [e.status, e.attempts])).toEqual([["completed", 3]])
      expect(yield* TestClock.currentTimeMillis).toBeGreaterThanOrEqual(10_000)
    }).pipe(Effect.provide(Testing.layer({ workflowTimeout: Duration.infinity }))))

  it.scoped("awaitStatus fails saying fake time did not move when nothing a run waits on can move it", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const gate = yield* Deferred.make<void>()
      const gated = Template.make({ name: "gated", version: "1", steps: [Step.make({
        name: "wait", requires: {}, provides: {},
        run: () => Effect.as(Deferred.await(gate), {})
      })] })
      yield* engine.start(gated, {}, { runId: "g" })
      const stuck = yield* Effect.exit(Testing.awaitStatus("g", "completed", { maxYields: 200 }))
      expect(Exit.isFailure(stuck) && Cause.pretty(stuck.cause)).toContain("fake time did not move")
    }).pipe(Effect.provide(Testing.layer({ workflowTimeout: Duration.infinity }))))

  it.effect("withAutoTime stops at the run's end: not at a sleep interrupted on the way, nor at the engine's chores", () =>
    Effect.gen(function*() {
      const quick = Step.make({
        name: "quick",
        requires: {},
        provides: { done: Schema.Boolean },
        // a 1-hour step timeout: its timer is interrupted when the step ends at 2 s
        timeout: "1 hour",
        run: () => Effect.as(Effect.sleep("2 seconds"), { done: true })
      })
      const t = Template.make({ name: "quick", version: "1", steps: [quick] })
      const result = yield* Testing.runTemplate(t, {}, { settings: { workflowTimeout: Duration.hours(5) } })
      expect(result.state.done).toBe(true)
      // fake time stopped where the run ended, not at the step timeout (1 h), the run timeout (5 h) or a heartbeat
      expect(yield* TestClock.currentTimeMillis).toBe(2_000)
    }))
})
