/**
 * Run control in one engine over the in-memory store, on fake time: a pause
 * asked of an executing run lets its step in flight finish and be recorded,
 * then nothing more runs until it is unpaused; a paused sleep does not wake,
 * and its deadline, passed meanwhile, applies at once on unpause; a paused
 * wait records its signal and wakes only when unpaused.
 */
import { expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Schema, TestClock } from "effect"
import { Durable, Errors, SnapshotStore, Step, Template } from "weftjs"
import { engineProcess } from "./support.js"

const memory = Layer.effect(SnapshotStore.SnapshotStore, SnapshotStore.makeMemory)
const settings = { workflowTimeout: Duration.infinity, leaseDuration: Duration.seconds(30) }

const counted = (name: string, runs: { n: number }, gate?: Deferred.Deferred<void>, started?: Deferred.Deferred<void>) =>
  Step.make({
    name,
    requires: {},
    provides: {},
    run: () =>
      Effect.gen(function*() {
        if (started !== undefined) yield* Deferred.succeed(started, undefined)
        if (gate !== undefined) yield* Deferred.await(gate)
        runs.n++
        return {}
      })
  })

it.scoped("a pause asked of an executing run: its step in flight finishes and is recorded, nothing more runs", () =>
  Effect.gen(function*() {
    const gate = yield* Deferred.make<void>()
    const started = yield* Deferred.make<void>()
    const first = { n: 0 }
    const second = { n: 0 }
    const flow = Template.make({
      name: "pause_long_step",
      version: "1",
      steps: [counted("long", first, gate, started), counted("next", second)]
    })
    const { engine } = yield* engineProcess(memory, settings)
    const handle = yield* engine.start(flow, {}, { runId: "long" })
    yield* Deferred.await(started)
    expect(yield* engine.pause("long")).toBe("pausing")
    expect((yield* engine.status("long")).pausedFrom).toBe("running")
    yield* Deferred.succeed(gate, undefined)
    for (let i = 0; i < 50 && (yield* engine.status("long")).status !== "paused"; i++) yield* Effect.yieldNow()
    const paused = yield* engine.status("long")
    expect([paused.status, paused.owner, paused.pausedFrom]).toEqual(["paused", null, "running"])
    expect([first.n, second.n]).toEqual([1, 0])
    expect((yield* engine.trace("long")).map((entry) => entry.step)).toEqual(["long"])
    // paused twice: nothing changes; resumed by hand: refused
    expect(yield* engine.pause("long")).toBe("paused")
    expect((yield* Effect.flip(engine.resume(flow, "long")))._tag).toBe("RunPaused")
    expect(yield* engine.unpause("long")).toBe("running")
    yield* handle.await
    expect([first.n, second.n]).toEqual([1, 1])
    expect((yield* engine.status("long")).status).toBe("completed")
    const notPaused = yield* Effect.flip(engine.unpause("long"))
    expect(notPaused).toBeInstanceOf(Errors.RunNotPaused)
    const finished = yield* Effect.flip(engine.pause("long"))
    expect(finished).toBeInstanceOf(Errors.RunNotPausable)
  }))

it.scoped("a paused sleep does not wake; its deadline, passed meanwhile, applies at once on unpause", () =>
  Effect.gen(function*() {
    const after = { n: 0 }
    const flow = Template.make({
      name: "pause_sleep",
      version: "1",
      steps: [Durable.sleep("nap", "10 minutes"), counted("after", after)]
    })
    const { engine } = yield* engineProcess(memory, settings)
    const handle = yield* engine.start(flow, {}, { runId: "nap" })
    const awaited = yield* Effect.fork(handle.await)
    yield* TestClock.adjust("1 minute")
    expect(yield* engine.pause("nap")).toBe("pausing")
    for (let i = 0; i < 50 && (yield* engine.status("nap")).status !== "paused"; i++) yield* Effect.yieldNow()
    expect((yield* engine.status("nap")).status).toBe("paused")
    yield* TestClock.adjust("30 minutes")
    expect(after.n).toBe(0)
    expect((yield* engine.status("nap")).status).toBe("paused")
    expect(yield* engine.unpause("nap")).toBe("running")
    yield* Fiber.join(awaited)
    expect(after.n).toBe(1)
    // the deadline had passed: no more sleeping after the unpause
    const trace = yield* engine.trace("nap")
    expect(trace.map((entry) => entry.step)).toEqual(["nap", "after"])
  }))

it.scoped("a paused wait records its signal and wakes only when unpaused", () =>
  Effect.gen(function*() {
    const flow = Template.make({
      name: "pause_wait",
      version: "1",
      steps: [
        Durable.waitForSignal("go", Schema.Struct({ n: Schema.Number })),
        Step.make({
          name: "after",
          requires: { go: Schema.Struct({ n: Schema.Number }) },
          provides: { total: Schema.Number },
          run: ({ go }) => Effect.succeed({ total: go.n + 1 })
        })
      ]
    })
    const { engine } = yield* engineProcess(memory, settings)
    const handle = yield* engine.start(flow, {}, { runId: "wait" })
    for (let i = 0; i < 50 && (yield* engine.status("wait")).status !== "suspended"; i++) yield* Effect.yieldNow()
    expect(yield* engine.pause("wait")).toBe("paused")
    yield* engine.signal("wait", "go", { n: 41 })
    yield* TestClock.adjust("1 minute")
    const paused = yield* engine.status("wait")
    expect([paused.status, paused.pausedFrom]).toEqual(["paused", "suspended"])
    expect(paused.wakeAt).not.toBeNull()
    expect(yield* engine.unpause("wait")).toBe("suspended")
    const outcome = yield* handle.await
    expect(outcome.state.total).toBe(42)
  }))

it.scoped("a child run cannot be paused; a queued run pauses at once and returns to its queue", () =>
  Effect.gen(function*() {
    const flow = Template.make({ name: "pause_queued", version: "1", steps: [counted("only", { n: 0 })] })
    const { engine } = yield* engineProcess(memory, settings)
    yield* engine.start(flow, {}, { runId: "queued", queue: "elsewhere", priority: 3 })
    expect((yield* engine.status("queued")).priority).toBe(3)
    expect(yield* engine.pause("queued")).toBe("paused")
    expect((yield* engine.status("queued")).status).toBe("paused")
    expect(yield* engine.unpause("queued")).toBe("queued")
    expect((yield* engine.status("queued")).status).toBe("queued")
    const bad = yield* Effect.flip(engine.start(flow, {}, { priority: 1.5 }))
    expect(bad._tag).toBe("InvalidInput")
  }))

it.scoped("a pause asked through another engine reaches the executing one at its next heartbeat", () =>
  Effect.gen(function*() {
    const store = yield* SnapshotStore.makeMemory
    const shared = Layer.succeed(SnapshotStore.SnapshotStore, store)
    const steps = { n: 0 }
    const flow = Template.make({
      name: "pause_elsewhere",
      version: "1",
      steps: Array.from({ length: 5 }, (_, i) =>
        Step.make({
          name: `s${i}`,
          requires: {},
          provides: {},
          run: () => Effect.zipRight(Effect.sleep("4 seconds"), Effect.sync(() => (steps.n++, {})))
        }))
    })
    const a = yield* engineProcess(shared, settings)
    const b = yield* engineProcess(shared, settings)
    yield* a.engine.start(flow, {}, { runId: "far" })
    yield* TestClock.adjust("1 second")
    // asked through b: a learns it at its next heartbeat (every 10 s, a third of the lease)
    expect(yield* b.engine.pause("far")).toBe("pausing")
    yield* TestClock.adjust("8 seconds")
    expect((yield* b.engine.status("far")).status).toBe("running")
    yield* TestClock.adjust("2 seconds")
    // the heartbeat at 10 s asked it; the step in flight (8 to 12 s) ends and is recorded; nothing more
    yield* TestClock.adjust("2 seconds")
    for (let i = 0; i < 50 && (yield* b.engine.status("far")).status !== "paused"; i++) yield* Effect.yieldNow()
    const paused = yield* b.engine.status("far")
    expect([paused.status, paused.seq]).toEqual(["paused", 3])
    yield* TestClock.adjust("1 minute")
    expect(steps.n).toBe(3)
  }))
