/**
 * Synchronous detection of step effects (`internal/run/syncEffect.ts`):
 * an effect that completes without suspending (`Effect.sync`, `map`,
 * `flatMap`, `Effect.gen` without async) is evaluated at once and takes the
 * fast path; an async one goes on from where evaluation stopped, its
 * synchronous beginning run once; retries, timeouts, fallbacks and
 * cancellation at the checkpoint keep their semantics.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Data, Duration, Effect, Exit, Fiber, Layer, Schedule, Schema, TestClock } from "effect"
import { Engine, Settings, SnapshotStore, Step, Template } from "weftjs"
import { evaluate } from "../src/internal/run/syncEffect.js"
import { syncOf, withSync } from "../src/internal/store/syncAppend.js"

const settings = Settings.layerWith({ workflowTimeout: Duration.infinity, maxRetries: 0 })

const engineOn = (store: SnapshotStore.Service) =>
  Engine.layer.pipe(Layer.provide(Layer.succeed(SnapshotStore.SnapshotStore, store)), Layer.provide(settings))

class Flaky extends Data.TaggedError("Flaky")<{}> {}

describe("evaluate", () => {
  it("completes synchronous effects at once", () => {
    let calls = 0
    // an outcome is read before the next evaluation (its object is reused)
    const value = (effect: Effect.Effect<unknown>) => {
      const outcome = evaluate(effect)
      return outcome.done ? outcome.value : "not done"
    }
    const outcomes = [
      value(Effect.succeed(1)),
      value(Effect.sync(() => (calls++, 2))),
      value(Effect.map(Effect.sync(() => (calls++, 2)), (n) => n + 1)),
      value(Effect.suspend(() => Effect.succeed(4))),
      value(Effect.gen(function*() {
        const a = yield* Effect.sync(() => (calls++, 1))
        const b = yield* Effect.succeed(2)
        return a + b + (yield* Effect.flatMap(Effect.succeed(1), (n) => Effect.sync(() => n + 1)))
      }))
    ]
    expect(outcomes).toEqual([1, 2, 3, 4, 5])
    expect(calls).toBe(3)
  })

  it.effect("hands back the rest of an async effect: what ran is not run again", () =>
    Effect.gen(function*() {
      let before = 0
      let after = 0
      const outcome = evaluate(Effect.gen(function*() {
        yield* Effect.sync(() => before++)
        yield* Effect.yieldNow()
        yield* Effect.sync(() => after++)
        return "done"
      }))
      expect(outcome.done).toBe(false)
      expect([before, after]).toEqual([1, 0])
      if (outcome.done) return
      expect(yield* (outcome.rest as Effect.Effect<unknown>)).toBe("done")
      expect([before, after]).toEqual([1, 1])
    }))

  it.effect("hands back failures and defects as the fiber would see them", () =>
    Effect.gen(function*() {
      const failed = evaluate(Effect.gen(function*() {
        yield* Effect.sync(() => 1)
        return yield* Effect.fail(new Flaky())
      }))
      const thrown = evaluate(Effect.map(Effect.sync(() => 1), () => {
        throw new Error("boom")
      }))
      expect(failed.done || thrown.done).toBe(false)
      if (failed.done || thrown.done) return
      const failure = yield* Effect.exit(failed.rest as Effect.Effect<unknown, unknown>)
      expect(Exit.isFailure(failure) && Cause.failureOption(failure.cause)._tag).toBe("Some")
      const defect = yield* Effect.exit(thrown.rest as Effect.Effect<unknown, unknown>)
      expect(Exit.isFailure(defect) && Cause.isDie(defect.cause)).toBe(true)
    }))
})

const n = { n: Schema.Number }

describe("synchronous steps in the engine", () => {
  it.scoped("take the fast path with the same records; an async step still runs once", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      const sync = syncOf(store)!
      let synced = 0
      const counted = withSync(
        (...args: Parameters<SnapshotStore.Service["appendStep"]>) => store.appendStep(...args),
        (...args) => (synced++, sync(...args))
      )
      let asyncStarts = 0
      const template = Template.make({
        name: "sync-steps",
        version: "1",
        steps: [
          Step.make({ name: "sync", requires: n, provides: n, run: ({ n }) => Effect.sync(() => ({ n: n + 1 })) }),
          Step.make({
            name: "gen",
            requires: n,
            provides: n,
            run: ({ n }) => Effect.gen(function*() { return { n: (yield* Effect.sync(() => n)) + 1 } })
          }),
          Step.make({
            name: "async",
            requires: n,
            provides: n,
            run: ({ n }) =>
              Effect.gen(function*() {
                yield* Effect.sync(() => asyncStarts++)
                yield* Effect.yieldNow()
                return { n: n + 1 }
              })
          }),
          Step.make({ name: "mapped", requires: n, provides: n, run: ({ n }) => Effect.map(Effect.sync(() => n), (n) => ({ n: n + 1 })) })
        ]
      })
      const result = yield* Effect.flatMap(Engine.Engine, (e) => e.run(template, { n: 0 }, { runId: "s1" })).pipe(
        Effect.provide(engineOn({ ...store, appendStep: counted }))
      )
      expect(result.state).toEqual({ n: 4 })
      expect(asyncStarts).toBe(1)
      expect(synced).toBe(4)
      const steps = yield* store.steps("s1")
      expect(steps.map((s) => [s.stepKey, s.status, s.attempts])).toEqual([
        ["sync", "completed", 1],
        ["gen", "completed", 1],
        ["async", "completed", 1],
        ["mapped", "completed", 1]
      ])
    }))

  it.scoped("retries a synchronous step that fails, then falls back, as before", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      let calls = 0
      const flaky = Step.make({
        name: "flaky",
        requires: n,
        provides: n,
        retry: Schedule.recurs(2),
        run: ({ n }) =>
          Effect.gen(function*() {
            calls++
            if (calls < 3) return yield* Effect.fail(new Flaky())
            return { n: n + 1 }
          })
      })
      const failing = Step.make({
        name: "failing",
        requires: n,
        provides: n,
        retry: Schedule.recurs(1),
        run: (): Effect.Effect<{ n: number }, Flaky> => Effect.gen(function*() {
          yield* Effect.sync(() => calls++)
          return yield* Effect.fail(new Flaky())
        })
      }).pipe(Step.orElse(Step.make({ name: "plan-b", requires: n, provides: n, run: ({ n }) => Effect.sync(() => ({ n: n * 10 })) })))
      const template = Template.make({ name: "sync-retry", version: "1", steps: [flaky, failing] })
      const result = yield* Effect.flatMap(Engine.Engine, (e) => e.run(template, { n: 0 }, { runId: "r1" })).pipe(
        Effect.provide(engineOn(store))
      )
      expect(result.state).toEqual({ n: 10 })
      expect(calls).toBe(5)
      const steps = yield* store.steps("r1")
      expect(steps.map((s) => [s.stepKey, s.status, s.attempts])).toEqual([
        ["flaky", "completed", 3],
        ["failing", "fallback", 3]
      ])
    }))

  it.scoped("a step with a timeout keeps it: an async step slower than its timeout times out", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      const slow = Step.make({
        name: "slow",
        requires: n,
        provides: n,
        timeout: "1 second",
        onError: "skip",
        run: ({ n }) => Effect.gen(function*() {
          const m = yield* Effect.sync(() => n)
          yield* Effect.sleep("10 seconds")
          return { n: m + 1 }
        })
      })
      const quick = Step.make({
        name: "quick",
        requires: {},
        provides: { m: Schema.Number },
        timeout: "1 second",
        run: () => Effect.sync(() => ({ m: 5 }))
      })
      const template = Template.make({ name: "sync-timeout", version: "1", steps: [slow, quick] })
      const fiber = yield* Effect.fork(
        Effect.flatMap(Engine.Engine, (e) => e.run(template, { n: 0 }, { runId: "t1" })).pipe(Effect.provide(engineOn(store)))
      )
      yield* TestClock.adjust("2 seconds")
      const result = yield* Fiber.join(fiber)
      expect(result.state).toEqual({ n: 0, m: 5 })
      const steps = yield* store.steps("t1")
      expect(steps.map((s) => [s.stepKey, s.status, s.error?.tag ?? null])).toEqual([
        ["slow", "skipped", "StepTimeout"],
        ["quick", "completed", null]
      ])
    }))

  it.scoped("a run cancelled during a synchronous step stops at that step's checkpoint", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      const ran: Array<string> = []
      const step = (name: string, then?: () => void) =>
        Step.make({
          name,
          requires: n,
          provides: n,
          run: ({ n }) =>
            Effect.sync(() => {
              ran.push(name)
              then?.()
              return { n: n + 1 }
            })
        })
      const template = Template.make({
        name: "sync-cancel",
        version: "1",
        steps: [step("a"), step("b", () => Effect.runSync(store.cancel("c1", 0, null))), step("c")]
      })
      const exit = yield* Effect.exit(
        Effect.flatMap(Engine.Engine, (e) => e.run(template, { n: 0 }, { runId: "c1" })).pipe(Effect.provide(engineOn(store)))
      )
      expect(ran).toEqual(["a", "b"])
      expect(Exit.isFailure(exit)).toBe(true)
      expect((yield* store.steps("c1")).map((s) => s.stepKey)).toEqual(["a"])
    }))
})
