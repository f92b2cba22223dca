/**
 * A run keeps the timeout it was started with, wherever it is resumed: the
 * timeout is stored with the run, not taken from the settings of the process
 * that happens to resume it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema, TestClock } from "effect"
import { Durable, SnapshotStore, Step, Template } from "weftjs"
import { awaitStatusIn, engineProcess } from "./support.js"

/** An engine over a shared store, with its own workflow timeout: one "process" of several. */
const engineOver = (store: SnapshotStore.SnapshotStore["Type"], workflowTimeout: Duration.DurationInput) =>
  engineProcess(Layer.succeed(SnapshotStore.SnapshotStore, store), {
    workflowTimeout: Duration.decode(workflowTimeout),
    stateTtl: Duration.infinity
  })

/** Waits for a signal, then works for 10 minutes. */
const flow = Template.make({
  name: "slow_after_signal",
  version: "1",
  steps: [
    Durable.waitForSignal("go", Schema.Boolean),
    Step.make({
      name: "work",
      requires: { go: Schema.Boolean },
      provides: { done: Schema.Boolean },
      retry: undefined,
      run: ({ go }) => Effect.as(Effect.sleep("10 minutes"), { done: go })
    })
  ]
})

/** Starts the run in process A, which exits while it is suspended; process B signals it and finishes it. */
const startInAFinishInB = (runId: string, timeout: Duration.DurationInput | undefined) =>
  Effect.gen(function*() {
    const store = yield* SnapshotStore.makeMemory
    const a = yield* engineOver(store, "5 minutes")
    yield* a.engine.start(flow, {}, timeout === undefined ? { runId } : { runId, timeout })
    yield* awaitStatusIn(a.engine, runId, "suspended")
    yield* a.stop
    const b = yield* engineOver(store, "1 second")
    yield* b.engine.register(flow)
    yield* b.engine.signal(runId, "go", true)
    yield* awaitStatusIn(b.engine, runId, "running")
    yield* TestClock.adjust("10 minutes")
    return b.engine
  })

describe("a run's timeout", () => {
  it.scoped("is stored with the run: a 1-hour run finished by a process whose setting is 1 second completes", () =>
    Effect.gen(function*() {
      const b = yield* startInAFinishInB("long", "1 hour")
      yield* awaitStatusIn(b, "long", "completed")
      expect((yield* b.status("long")).timeoutMillis).toBe(3_600_000)
    }))

  it.scoped("without one, the starting process's setting is stored: 5 minutes, not the resuming process's 1 second", () =>
    Effect.gen(function*() {
      const b = yield* startInAFinishInB("default", undefined)
      yield* awaitStatusIn(b, "default", "failed")
      const run = yield* b.status("default")
      expect(run.timeoutMillis).toBe(300_000)
      expect(run.error?.tag).toBe("WorkflowTimeout")
      expect(run.error?.message).toContain("5m")
    }))
})

/** Works 2 minutes, waits for a signal, works 2 more minutes. */
const twoHalves = Template.make({
  name: "two_halves",
  version: "1",
  steps: [
    Step.make({
      name: "first",
      requires: {},
      provides: { a: Schema.Boolean },
      run: () => Effect.as(Effect.sleep("2 minutes"), { a: true })
    }),
    Durable.waitForSignal("go", Schema.Boolean),
    Step.make({
      name: "second",
      requires: { go: Schema.Boolean },
      provides: { b: Schema.Boolean },
      run: ({ go }) => Effect.as(Effect.sleep("2 minutes"), { b: go })
    })
  ]
})

describe("what a run's timeout counts", () => {
  it.scoped("execution time, summed across processes: 2 + 2 minutes of work exceed a 3-minute timeout", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      const a = yield* engineOver(store, "1 hour")
      yield* a.engine.start(twoHalves, {}, { runId: "sum", timeout: "3 minutes" })
      yield* TestClock.adjust("2 minutes")
      yield* awaitStatusIn(a.engine, "sum", "suspended")
      expect((yield* a.engine.status("sum")).elapsedMillis).toBe(120_000)
      yield* a.stop
      const b = yield* engineOver(store, "1 hour")
      yield* b.engine.register(twoHalves)
      yield* b.engine.signal("sum", "go", true)
      yield* awaitStatusIn(b.engine, "sum", "running")
      // one minute was left: the second half's 2 minutes run past it
      yield* TestClock.adjust("1 minute")
      yield* awaitStatusIn(b.engine, "sum", "failed")
      const run = yield* b.engine.status("sum")
      expect(run.error?.tag).toBe("WorkflowTimeout")
      expect(run.elapsedMillis).toBe(180_000)
    }))

  it.scoped("not the time suspended: a run that waits 3 days for its signal, with 4 minutes of work, fits in 5", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      const a = yield* engineOver(store, "1 hour")
      yield* a.engine.start(twoHalves, {}, { runId: "wait", timeout: "5 minutes" })
      yield* TestClock.adjust("2 minutes")
      yield* awaitStatusIn(a.engine, "wait", "suspended")
      yield* TestClock.adjust("3 days")
      yield* a.engine.signal("wait", "go", true)
      yield* awaitStatusIn(a.engine, "wait", "running")
      yield* TestClock.adjust("2 minutes")
      yield* awaitStatusIn(a.engine, "wait", "completed")
      expect((yield* a.engine.status("wait")).elapsedMillis).toBe(240_000)
    }))

  it.scoped("a run that uses up its time fails with WorkflowTimeout where it is", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      const a = yield* engineOver(store, "1 hour")
      yield* a.engine.start(twoHalves, {}, { runId: "spent", timeout: "2 minutes" })
      yield* TestClock.adjust("2 minutes")
      yield* awaitStatusIn(a.engine, "spent", "failed")
      expect((yield* a.engine.status("spent")).error?.tag).toBe("WorkflowTimeout")
    }))
})

describe("execution time is recorded durably while a run executes (issue 18.1)", () => {
  const working = Template.make({
    name: "works_long",
    version: "1",
    steps: [Step.make({
      name: "work",
      requires: {},
      provides: { done: Schema.Boolean },
      retry: undefined,
      run: () => Effect.as(Effect.sleep("10 seconds"), { done: true })
    })]
  })

  it.effect("each heartbeat records it (a killed process loses one beat interval at most); the end adds only the rest", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      const a = yield* engineProcess(Layer.succeed(SnapshotStore.SnapshotStore, store), {
        workflowTimeout: Duration.infinity,
        stateTtl: Duration.infinity,
        leaseDuration: Duration.seconds(3)
      })
      const handle = yield* a.engine.start(working, {}, { runId: "e1" })
      yield* TestClock.adjust("5 seconds")
      const meanwhile = yield* a.engine.status("e1")
      expect(meanwhile.status).toBe("running")
      // beats every second: what a SIGKILL now would lose is at most one interval
      expect(meanwhile.elapsedMillis).toBeGreaterThanOrEqual(4_000)
      expect(meanwhile.elapsedMillis).toBeLessThanOrEqual(5_000)
      yield* TestClock.adjust("5 seconds")
      yield* handle.await
      // nothing counted twice
      expect((yield* a.engine.status("e1")).elapsedMillis).toBe(10_000)
    }))
})
