/**
 * Transient store errors (busy, I/O, disk full, connection lost) never end a
 * run: writes are retried with backoff; a run whose store stays unavailable
 * is handed back, resumable, never recorded `failed`. Only a step's own
 * errors, timeouts and limits fail a run. The store here is the in-memory
 * one behind a switch that makes chosen operations fail as a full disk would.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Data, Duration, Effect, Layer, Logger, Schema, TestClock } from "effect"
import { Engine, Errors, Settings, SnapshotStore, Step, Template, Testing } from "weftjs"

type Operation = keyof SnapshotStore.Service

/** A store whose chosen operations fail transiently while `failing` says so. */
const faultyStore = Effect.gen(function*() {
  const inner = yield* SnapshotStore.makeMemory
  const failing = new Map<Operation, number>() // operation -> failures left (Infinity: until healed)
  const calls = new Map<Operation, number>()
  const wrap = <K extends Operation>(operation: K): SnapshotStore.Service[K] => {
    const original = inner[operation]
    if (typeof original !== "function") return original
    return ((...args: ReadonlyArray<unknown>) =>
      Effect.suspend(() => {
        calls.set(operation, (calls.get(operation) ?? 0) + 1)
        const left = failing.get(operation) ?? 0
        if (left > 0) {
          failing.set(operation, left - 1)
          return Effect.fail(
            new Errors.PersistenceError({ operation, reason: "unavailable", detail: "disk full (SQLITE_FULL)" })
          )
        }
        return (original as (...a: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>)(...args)
      })) as SnapshotStore.Service[K]
  }
  const store = Object.fromEntries(
    (Object.keys(inner) as ReadonlyArray<Operation>).map((operation) => [operation, wrap(operation)])
  ) as unknown as SnapshotStore.Service
  return { store, inner, failing, calls }
})

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }

let executions: Array<string> = []
const counted = (name: string, writes: string) =>
  Step.make({
    name,
    requires: {},
    provides: { [writes]: Schema.Number } as { readonly [K in string]: typeof Schema.Number },
    run: () => Effect.sync(() => (executions.push(name), { [writes]: 1 }))
  })
const flow = Template.make({ name: "three", version: "1", steps: [counted("a", "x"), counted("b", "y"), counted("c", "z")] })

const engineOn = (store: SnapshotStore.Service) =>
  Engine.layer.pipe(
    Layer.provide(Layer.succeed(SnapshotStore.SnapshotStore, store)),
    Layer.provide(Settings.layerWith(settings))
  )

describe("transient store errors", () => {
  it.scoped("a checkpoint that fails a few times is retried, and the run completes with each step once", () =>
    Effect.gen(function*() {
      executions = []
      const faulty = yield* faultyStore
      faulty.failing.set("appendStep", 3)
      const engine = Context.get(yield* Layer.build(engineOn(faulty.store)), Engine.Engine)
      const result = yield* Testing.withAutoTime(engine.run(flow, {}, { runId: "r" }))
      expect(result.state).toEqual({ x: 1, y: 1, z: 1 })
      expect(executions).toEqual(["a", "b", "c"])
      expect(faulty.calls.get("appendStep")).toBe(6)
    }))

  it.scoped("a store that stays unavailable: the run is handed back, resumable, never failed; it goes on once healed", () =>
    Effect.gen(function*() {
      executions = []
      const faulty = yield* faultyStore
      const engine = Context.get(yield* Layer.build(engineOn(faulty.store)), Engine.Engine)
      // the disk fills up after the first step
      let appended = 0
      const store = faulty.store as { appendStep: SnapshotStore.Service["appendStep"] }
      const inner = store.appendStep
      store.appendStep = (...args) =>
        Effect.suspend(() => {
          if (appended++ === 1) faulty.failing.set("appendStep", Number.POSITIVE_INFINITY)
          return inner(...args)
        })
      const error = yield* Effect.flip(Testing.withAutoTime(engine.run(flow, {}, { runId: "full" })))
      expect(error).toBeInstanceOf(Errors.PersistenceError)
      expect((error as Errors.PersistenceError).transient).toBe(true)
      const stuck = yield* engine.status("full")
      expect([stuck.status, stuck.owner]).toEqual(["running", null])
      expect(stuck.error).toBeNull()
      // space is freed: the run goes on from its last checkpoint
      faulty.failing.clear()
      const resumed = yield* Testing.withAutoTime(engine.resume(flow, "full"))
      expect(resumed.state).toEqual({ x: 1, y: 1, z: 1 })
      // "b" ran twice: its checkpoint was never written, so it is the step in flight, run again
      expect(executions).toEqual(["a", "b", "b", "c"])
    }))

  it.scoped("a hand-back that fails too: the log says so, the run is handed back once the store answers, and resumable here at once (issue 18.7)", () =>
    Effect.gen(function*() {
      executions = []
      const faulty = yield* faultyStore
      const engine = Context.get(yield* Layer.build(engineOn(faulty.store)), Engine.Engine)
      const logged: Array<string> = []
      const logger = Logger.make(({ message }) => logged.push(String(Array.isArray(message) ? message.join(" ") : message)))
      // the disk is full from the second checkpoint on: the hand-back (a release) fails as well
      let appended = 0
      const store = faulty.store as { appendStep: SnapshotStore.Service["appendStep"] }
      const inner = store.appendStep
      store.appendStep = (...args) =>
        Effect.suspend(() => {
          if (appended++ === 1) {
            faulty.failing.set("appendStep", Number.POSITIVE_INFINITY)
            faulty.failing.set("pause", Number.POSITIVE_INFINITY)
          }
          return inner(...args)
        })
      const error = yield* Effect.flip(
        Testing.withAutoTime(engine.run(flow, {}, { runId: "full" })).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger))
        )
      )
      expect(error).toBeInstanceOf(Errors.PersistenceError)
      yield* Effect.yieldNow()
      expect(logged.some((line) => line.includes("could not be handed back"))).toBe(true)
      expect(logged.some((line) => line.includes("; handed back"))).toBe(false)
      // still held by this engine, which no longer executes it: resuming it here is not RunAlreadyActive
      expect((yield* engine.status("full")).owner).not.toBeNull()
      faulty.failing.clear()
      const resumed = yield* Testing.withAutoTime(engine.resume(flow, "full"))
      expect(resumed.state).toEqual({ x: 1, y: 1, z: 1 })
    }))

  it.scoped("a failed hand-back is made as soon as the store answers: any engine may take the run up at once (issue 18.7)", () =>
    Effect.gen(function*() {
      executions = []
      const faulty = yield* faultyStore
      const engine = Context.get(yield* Layer.build(engineOn(faulty.store)), Engine.Engine)
      let appended = 0
      const store = faulty.store as { appendStep: SnapshotStore.Service["appendStep"] }
      const inner = store.appendStep
      store.appendStep = (...args) =>
        Effect.suspend(() => {
          if (appended++ === 1) {
            faulty.failing.set("appendStep", Number.POSITIVE_INFINITY)
            faulty.failing.set("pause", Number.POSITIVE_INFINITY)
          }
          return inner(...args)
        })
      yield* Effect.flip(Testing.withAutoTime(engine.run(flow, {}, { runId: "full2" })))
      expect((yield* engine.status("full2")).owner).not.toBeNull()
      faulty.failing.clear()
      yield* TestClock.adjust("2 seconds")
      const released = yield* engine.status("full2")
      expect([released.status, released.owner]).toEqual(["running", null])
    }))

  it.scoped("an ending that cannot be recorded leaves the run running and resumable, not failed", () =>
    Effect.gen(function*() {
      executions = []
      const faulty = yield* faultyStore
      const engine = Context.get(yield* Layer.build(engineOn(faulty.store)), Engine.Engine)
      faulty.failing.set("finish", Number.POSITIVE_INFINITY)
      const error = yield* Effect.flip(Testing.withAutoTime(engine.run(flow, {}, { runId: "end" })))
      expect(error).toBeInstanceOf(Errors.PersistenceError)
      expect((yield* engine.status("end")).status).toBe("running")
      faulty.failing.clear()
      const resumed = yield* Testing.withAutoTime(engine.resume(flow, "end"))
      expect(resumed.state).toEqual({ x: 1, y: 1, z: 1 })
      expect(executions).toEqual(["a", "b", "c"])
      expect((yield* engine.status("end")).status).toBe("completed")
    }))

  it.scoped("a step's own error still fails the run, even when the store hiccups around it", () =>
    Effect.gen(function*() {
      class Declined extends Data.TaggedError("Declined")<{ readonly why: string }> {}
      const faulty = yield* faultyStore
      faulty.failing.set("appendStep", 2)
      faulty.failing.set("finish", 2)
      const engine = Context.get(yield* Layer.build(engineOn(faulty.store)), Engine.Engine)
      const failing = Template.make({
        name: "declines",
        version: "1",
        steps: [Step.make({
          name: "charge",
          requires: {},
          provides: {},
          run: () => Effect.fail(new Declined({ why: "card" }))
        })]
      })
      const error = yield* Effect.flip(Testing.withAutoTime(engine.run(failing, {}, { runId: "d" })))
      expect(error).toMatchObject({ _tag: "Declined", why: "card" })
      const run = yield* engine.status("d")
      expect(run.status).toBe("failed")
      expect(run.error?.tag).toBe("Declined")
    }))
})
