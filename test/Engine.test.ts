import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Layer, Ref, Schedule, Schema, Stream, TestClock } from "effect"
import { Engine, Errors, Settings, SnapshotStore, Step, Template } from "weftjs"
import { flow, goodInput } from "./fixtures.js"
import { stuckTemplate } from "./support.js"

const engineWithStore = (settings: Partial<Settings.WeftSettings> = {}) =>
  Layer.provideMerge(Engine.layer, Layer.merge(SnapshotStore.layerMemory, Settings.layerWith(settings)))

describe("Engine", () => {
  it.scoped("subscribe sees a run from its first event, with no wait between subscribing and running", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const events = yield* engine.subscribe
      // no yield here: the subscription exists before the run starts
      yield* engine.run(flow, goodInput, { runId: "seen" })
      const first = yield* events.pipe(Stream.take(2), Stream.runCollect)
      expect(Array.from(first, (event) => event._tag)).toEqual(["RunStarted", "StepStarted"])
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("the event stream reports started, retried, completed in order", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const collected = yield* Ref.make<ReadonlyArray<string>>([])
      yield* engine.events.pipe(
        Stream.tap((event) => Ref.update(collected, (all) => [...all, `${event._tag}${"step" in event ? `:${event.step}` : ""}`])),
        Stream.takeUntil((event) => event._tag === "RunCompleted" || event._tag === "RunFailed"),
        Stream.runDrain,
        Effect.forkScoped
      )
      yield* Effect.repeatN(Effect.yieldNow(), 5)
      let calls = 0
      const flaky = Template.make({
        name: "flaky",
        version: "1",
        steps: [Step.make({
          name: "try",
          requires: {},
          provides: { ok: Schema.Boolean },
          retry: Schedule.recurs(2),
          run: () => ++calls < 2 ? Effect.fail("transient" as const) : Effect.succeed({ ok: true })
        })]
      })
      yield* engine.run(flaky, {}, { runId: "e2" })
      yield* Effect.yieldNow()
      expect(yield* Ref.get(collected)).toEqual([
        "RunStarted",
        "StepStarted:try",
        "StepRetried:try",
        "StepCompleted:try",
        "RunCompleted"
      ])
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("start runs in the background and returns the run id at once", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(flow, goodInput, { runId: "bg" })
      expect(handle.runId).toBe("bg")
      const result = yield* handle.await
      expect(result.state.report).toBe("status: ok")
      expect((yield* engine.status("bg")).status).toBe("completed")
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("start rejects bad input at once and writes nothing", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const error = yield* Effect.flip(engine.start(flow, { equipmentId: "x" } as never))
      expect(error).toBeInstanceOf(Errors.InvalidInput)
      expect(yield* engine.list()).toEqual([])
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("cancel interrupts a running run's work, records cancelled, and it cannot be resumed", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const stuck = stuckTemplate(started, interrupted)
      const handle = yield* engine.start(stuck, {}, { runId: "c" })
      yield* Deferred.await(started)
      yield* engine.cancel("c")
      yield* Deferred.await(interrupted)
      expect((yield* engine.status("c")).status).toBe("cancelled")
      expect(Exit.isInterrupted(yield* Effect.exit(handle.await))).toBe(true)
      const error = yield* Effect.flip(engine.resume(stuck, "c"))
      expect(error).toBeInstanceOf(Errors.RunNotResumable)
      expect(yield* Effect.flip(engine.cancel("c"))).toBeInstanceOf(Errors.RunNotResumable)
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("list filters by template, status and time", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* TestClock.setTime(1000)
      yield* engine.run(flow, goodInput, { runId: "a" })
      yield* TestClock.setTime(2000)
      yield* engine.run(flow, goodInput, { runId: "b" })
      const failing = Template.make({ name: "failing", version: "1", steps: [Step.make({
        name: "x", requires: {}, provides: {}, retry: Schedule.stop, run: () => Effect.fail("no" as const)
      })] })
      yield* TestClock.setTime(3000)
      yield* Effect.flip(engine.run(failing, {}, { runId: "c" }))
      expect((yield* engine.list()).map((r) => r.runId)).toEqual(["c", "b", "a"])
      expect((yield* engine.list({ templateName: flow.name })).map((r) => r.runId)).toEqual(["b", "a"])
      expect((yield* engine.list({ status: "failed" })).map((r) => r.runId)).toEqual(["c"])
      expect((yield* engine.list({ createdBefore: 2000 })).map((r) => r.runId)).toEqual(["a"])
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("collectExpired deletes finished runs past their TTL, never active ones", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.run(flow, goodInput, { runId: "old" })
      const started = yield* Deferred.make<void>()
      yield* engine.start(stuckTemplate(started), {}, { runId: "active" })
      yield* Deferred.await(started)
      expect(yield* engine.collectExpired).toBe(0)
      yield* TestClock.adjust("2 hours")
      expect(yield* engine.collectExpired).toBe(1)
      expect((yield* Effect.flip(engine.status("old")))._tag).toBe("RunNotFound")
      expect((yield* engine.status("active")).status).toBe("running")
    }).pipe(Effect.provide(engineWithStore({ workflowTimeout: Duration.infinity, leaseDuration: Duration.hours(3) }))))
})
