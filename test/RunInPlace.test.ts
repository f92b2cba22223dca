/**
 * A run started by `engine.run` executes in its caller's fiber (issue 24:
 * no fork, no waiter, no watcher): stopping it from outside keeps every
 * semantic of a run executing in the background — cancelled here (the
 * caller is interrupted, and its fiber goes on), cancelled in another
 * process (the caller fails with `RunCancelled`), taken over by another
 * engine (the caller learns the run's end from the store), and a caller
 * interrupted mid-run leaves the run resumable by any engine.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Ref, Schema, TestClock } from "effect"
import { Engine, Errors, Settings, SnapshotStore, Step, Template } from "weftjs"
import { engineProcess, stuckTemplate } from "./support.js"

const sharedStore = Effect.map(
  Layer.build(SnapshotStore.layerMemory),
  (context) => Context.get(context, SnapshotStore.SnapshotStore)
)

/** A template whose first step completes; its second blocks on its first execution (signals `started`), and completes on the next. */
const twoSteps = (started: Deferred.Deferred<void>, executions: Ref.Ref<number>) =>
  Template.make({
    name: "two",
    version: "1",
    steps: [
      Step.make({ name: "a", requires: {}, provides: { a: Schema.Number }, run: () => Effect.succeed({ a: 1 }) }),
      Step.make({
        name: "b",
        requires: { a: Schema.Number },
        provides: { b: Schema.Number },
        run: ({ a }) =>
          Effect.flatMap(Ref.getAndUpdate(executions, (n) => n + 1), (n) =>
            n === 0 ? Effect.zipRight(Deferred.succeed(started, undefined), Effect.never) : Effect.succeed({ b: a + 1 }))
      })
    ]
  })

describe("a run executed in its caller's fiber", () => {
  it.scoped("cancelled here: recorded cancelled, the caller learns it is interrupted, and its fiber goes on", () =>
    Effect.gen(function*() {
      const a = yield* engineProcess(Layer.succeed(SnapshotStore.SnapshotStore, yield* sharedStore), {})
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const after = yield* Ref.make(false)
      const caller = yield* Effect.fork(Effect.gen(function*() {
        const exit = yield* Effect.exit(a.engine.run(stuckTemplate(started, interrupted), {}, { runId: "c" }))
        yield* Ref.set(after, true)
        return exit
      }))
      yield* Deferred.await(started)
      yield* a.engine.cancel("c")
      yield* Deferred.await(interrupted)
      const exit = yield* Fiber.join(caller)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(yield* Ref.get(after)).toBe(true)
      expect((yield* a.engine.status("c")).status).toBe("cancelled")
      yield* a.stop
    }))

  it.scoped("cancelled in another process: its step is interrupted at the next heartbeat, the caller fails with RunCancelled", () =>
    Effect.gen(function*() {
      const store = Layer.succeed(SnapshotStore.SnapshotStore, yield* sharedStore)
      const a = yield* engineProcess(store, {})
      const b = yield* engineProcess(store, {})
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const caller = yield* Effect.fork(a.engine.run(stuckTemplate(started, interrupted), {}, { runId: "e" }))
      yield* Deferred.await(started)
      yield* b.engine.cancel("e")
      // a's heartbeat (every third of the 30 s lease) finds the run no longer its own
      yield* TestClock.adjust("11 seconds")
      yield* Deferred.await(interrupted)
      expect(yield* Effect.flip(Fiber.join(caller))).toBeInstanceOf(Errors.RunCancelled)
      yield* Effect.all([a.stop, b.stop])
    }))

  it.scoped("taken over by another engine: its step is interrupted, and the caller gets the run's end from the store", () =>
    Effect.gen(function*() {
      const shared = yield* sharedStore
      const a = yield* engineProcess(Layer.succeed(SnapshotStore.SnapshotStore, shared), {})
      const started = yield* Deferred.make<void>()
      const executions = yield* Ref.make(0)
      const two = twoSteps(started, executions)
      const caller = yield* Effect.fork(a.engine.run(two, {}, { runId: "t" }))
      yield* Deferred.await(started)
      // another engine takes the run over (as after a's lease ran out) and executes it to its end
      const owner = (yield* a.engine.status("t")).owner!
      const now = yield* TestClock.currentTimeMillis
      const taken = yield* shared.claim("t", "other:1:engine", now, now + 60_000, owner)
      expect(taken.claimed).toBe(true)
      const b = yield* engineProcess(Layer.succeed(SnapshotStore.SnapshotStore, shared), {})
      yield* TestClock.adjust("11 seconds")
      yield* shared.pause("t", taken.claimed ? taken.lease : { owner: "", generation: 0 }, { _tag: "Release" }, {
        updatedAt: now,
        elapsedMillis: 0
      })
      const resumed = yield* b.engine.resume(two, "t")
      expect(resumed.state).toEqual({ a: 1, b: 2 })
      // a's caller learns it from the store (its watcher looks at ever longer intervals)
      yield* TestClock.adjust("1 minute")
      const result = yield* Fiber.join(caller)
      expect(result.state).toEqual({ a: 1, b: 2 })
      expect(result.trace.map((t) => t.step)).toEqual(["a", "b"])
      expect(yield* Ref.get(executions)).toBe(2)
      yield* Effect.all([a.stop, b.stop])
    }))

  it.scoped("a caller interrupted mid-run hands the run back: another engine resumes it after its last checkpoint", () =>
    Effect.gen(function*() {
      const shared = yield* sharedStore
      const a = yield* engineProcess(Layer.succeed(SnapshotStore.SnapshotStore, shared), {})
      const started = yield* Deferred.make<void>()
      const executions = yield* Ref.make(0)
      const two = twoSteps(started, executions)
      const caller = yield* Effect.fork(a.engine.run(two, {}, { runId: "i" }))
      yield* Deferred.await(started)
      yield* Fiber.interrupt(caller)
      const handedBack = yield* a.engine.status("i")
      expect([handedBack.status, handedBack.owner, handedBack.seq]).toEqual(["running", null, 1])
      const b = yield* engineProcess(Layer.succeed(SnapshotStore.SnapshotStore, shared), {})
      const resumed = yield* b.engine.resume(two, "i")
      expect(resumed.state).toEqual({ a: 1, b: 2 })
      expect(resumed.trace.map((t) => t.step)).toEqual(["a", "b"])
      // the caller's engine takes new runs in its callers' fibers as before
      const again = yield* a.engine.run(twoSteps(yield* Deferred.make<void>(), yield* Ref.make(1)), {}, { runId: "j" })
      expect(again.state).toEqual({ a: 1, b: 2 })
      yield* Effect.all([a.stop, b.stop])
    }))
})

const liveEngine = Layer.provideMerge(Engine.layer, Layer.merge(SnapshotStore.layerMemory, Settings.layerWith({})))

describe("a whole run's timeout on the live clock (a timer, not a race)", () => {
  it.live("a run in its caller's fiber past its timeout: its step interrupted, failed with WorkflowTimeout, the caller goes on", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const error = yield* Effect.flip(engine.run(stuckTemplate(started, interrupted), {}, { runId: "late", timeout: "30 millis" }))
      expect(error).toBeInstanceOf(Errors.WorkflowTimeout)
      expect(yield* Deferred.isDone(interrupted)).toBe(true)
      expect((yield* engine.status("late")).status).toBe("failed")
      // the caller's fiber is not interrupted: it goes on
      yield* Effect.sleep("5 millis")
      expect((yield* engine.run(twoSteps(yield* Deferred.make<void>(), yield* Ref.make(1)), {}, { runId: "next" })).state)
        .toEqual({ a: 1, b: 2 })
    }).pipe(Effect.provide(liveEngine)))

  it.live("a run that ends before its timeout: no interruption comes later; a background run times out as well", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const done = yield* engine.run(twoSteps(yield* Deferred.make<void>(), yield* Ref.make(1)), {}, { runId: "quick", timeout: "20 millis" })
      expect(done.state).toEqual({ a: 1, b: 2 })
      yield* Effect.sleep("60 millis")
      const after = yield* Ref.make(false)
      yield* Ref.set(after, true)
      expect(yield* Ref.get(after)).toBe(true)
      const handle = yield* engine.start(stuckTemplate(yield* Deferred.make<void>()), {}, { runId: "background", timeout: "30 millis" })
      expect(yield* Effect.flip(handle.await)).toBeInstanceOf(Errors.WorkflowTimeout)
      expect((yield* engine.status("background")).status).toBe("failed")
    }).pipe(Effect.provide(liveEngine)))
})
