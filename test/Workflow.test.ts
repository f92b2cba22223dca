import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Fiber, Layer, Ref, Schedule, Schema, TestClock } from "effect"
import { Durable, Engine, Errors, Settings, SnapshotStore, Step, Template, Testing, Workflow } from "weftjs"
import { flow, goodInput } from "./fixtures.js"

/** An engine and the in-memory store under it, both reachable from the test. */
const engineWithStore = (settings: Partial<Settings.WeftSettings> = {}) =>
  Layer.provideMerge(Engine.layer, Layer.merge(SnapshotStore.layerMemory, Settings.layerWith(settings)))

describe("Workflow.run", () => {
  it.effect("returns the final typed state and the trace", () =>
    Effect.gen(function*() {
      const result = yield* Workflow.run(flow, goodInput)
      expect(result.state.report).toBe("status: ok")
      expect(result.trace).toHaveLength(3)
      for (const entry of result.trace) {
        expect(entry.status).toBe("completed")
        expect(entry.attempts).toBe(1)
        expect(entry.endedAt.getTime()).toBeGreaterThanOrEqual(entry.startedAt.getTime())
        expect(entry.durationMs).toBe(entry.endedAt.getTime() - entry.startedAt.getTime())
        expect(entry.error).toBeNull()
      }
    }).pipe(Effect.provide(Testing.layer())))

  it.effect("bad input fails with InvalidInput naming every missing or invalid key, before any step runs", () =>
    Effect.gen(function*() {
      const ran = yield* Ref.make(false)
      const spy = Template.make({
        name: "spy",
        version: "1",
        steps: [Step.make({
          name: "spy",
          requires: { a: Schema.String, b: Schema.Struct({ c: Schema.Number }), d: Schema.Boolean },
          provides: {},
          run: () => Effect.as(Ref.set(ran, true), {})
        })]
      })
      const error = yield* Effect.flip(Workflow.run(spy, { b: { c: "x" }, d: true } as never))
      expect(error).toBeInstanceOf(Errors.InvalidInput)
      const invalid = error as Errors.InvalidInput
      expect(invalid.keys).toEqual(["a", "b.c"])
      expect(invalid.message).toContain("a: is missing")
      expect(invalid.message).toContain("b.c: expected a number")
      expect(yield* Ref.get(ran)).toBe(false)
      const store = yield* SnapshotStore.SnapshotStore
      expect(yield* store.list({})).toEqual([])
    }).pipe(Effect.provide(engineWithStore())))

  it.effect("persists the run, its steps and its status through the SnapshotStore", () =>
    Effect.gen(function*() {
      const result = yield* Workflow.run(flow, goodInput, { runId: "run-1" })
      const store = yield* SnapshotStore.SnapshotStore
      const [run] = yield* store.list({})
      expect(run).toMatchObject({
        runId: "run-1",
        templateName: "process_control+report",
        templateVersion: "process_control@1.0+report@1.0",
        status: "completed",
        seq: 3
      })
      const steps = yield* store.steps("run-1")
      expect(steps.map((s) => [s.seq, s.stepKey, s.status])).toEqual([
        [1, "process_control/validate_inputs", "completed"],
        [2, "process_control/check_equipment_status", "completed"],
        [3, "report/write_report", "completed"]
      ])
      // a checkpoint holds only what its step wrote
      expect(Object.keys(steps[1]!.delta.set)).toEqual(["equipmentStatus"])
      expect(steps[1]!.idempotencyKey).toBe("run-1/process_control/check_equipment_status")
      const engine = yield* Engine.Engine
      // the engine's trace is the result's, with what each step wrote
      expect(yield* engine.trace("run-1")).toMatchObject(result.trace)
    }).pipe(Effect.provide(engineWithStore())))

  it.effect("a failed run is recorded as failed with its error", () =>
    Effect.gen(function*() {
      const failing = Template.make({
        name: "failing",
        version: "1",
        steps: [Step.make({
          name: "boom",
          requires: {},
          provides: {},
          retry: Schedule.stop,
          run: () => Effect.fail({ _tag: "Boom", message: "it broke" } as const)
        })]
      })
      const error = yield* Effect.flip(Workflow.run(failing, {}, { runId: "f" }))
      expect(error).toEqual({ _tag: "Boom", message: "it broke" })
      const engine = yield* Engine.Engine
      expect(yield* engine.status("f")).toMatchObject({ status: "failed", error: { tag: "Boom", message: "it broke" } })
      expect((yield* engine.trace("f"))[0]).toMatchObject({ step: "boom", status: "failed", attempts: 1 })
    }).pipe(Effect.provide(engineWithStore())))

  it.effect("keeps created/updated times and per-key write times", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_000_000)
      const slow = Template.make({
        name: "slow",
        version: "1",
        steps: [Step.make({
          name: "wait",
          requires: {},
          provides: { waited: Schema.Boolean },
          run: () => Effect.as(Effect.sleep("30 seconds"), { waited: true })
        })]
      })
      const result = yield* Testing.withAutoTime(Workflow.run(slow, {}))
      expect(result.createdAt.getTime()).toBe(1_000_000)
      expect(result.updatedAt.getTime()).toBe(1_030_000)
      expect(result.entries.waited.writtenAt.getTime()).toBe(1_030_000)
      // a value lives as long as its run unless its step gives it a ttl
      expect(result.entries.waited.expiresAt).toBeNull()
    }).pipe(Effect.provide(Testing.layer())))

  it.effect("a run longer than the workflow timeout fails with WorkflowTimeout", () =>
    Effect.gen(function*() {
      const slow = Template.make({
        name: "slow",
        version: "1",
        steps: [Step.make({
          name: "wait",
          requires: {},
          provides: {},
          run: () => Effect.as(Effect.sleep("10 minutes"), {})
        })]
      })
      const error = yield* Effect.flip(Testing.withAutoTime(Workflow.run(slow, {})))
      expect(error).toBeInstanceOf(Errors.WorkflowTimeout)
      expect(error.message).toContain("5m")
      const quick = yield* Effect.flip(Testing.withAutoTime(Workflow.run(slow, {}, { timeout: "1 second" })))
      expect(quick._tag).toBe("WorkflowTimeout")
    }).pipe(Effect.provide(Testing.layer())))
})

describe("state TTL", () => {
  const write = Step.make({
    name: "write",
    requires: {},
    provides: { token: Schema.String },
    run: () => Effect.succeed({ token: "t" })
  })
  const wait = Step.make({
    name: "wait",
    requires: {},
    provides: {},
    run: () => Effect.as(Effect.sleep("20 seconds"), {})
  })
  const read = Step.make({
    name: "read",
    requires: { token: Schema.String },
    provides: { used: Schema.String },
    run: ({ token }) => Effect.succeed({ used: token })
  })

  it.effect("reading an expired key is a typed StateExpired error naming the key", () =>
    Effect.gen(function*() {
      const shortLived = Step.make({
        name: "write",
        requires: {},
        provides: { token: Schema.String },
        ttl: "10 seconds",
        run: () => Effect.succeed({ token: "t" })
      })
      const t = Template.make({ name: "ttl", version: "1", steps: [shortLived, wait, read] })
      const error = yield* Effect.flip(Testing.runTemplate(t, {}))
      expect(error).toBeInstanceOf(Errors.StateExpired)
      expect(error).toMatchObject({ key: "token", step: "read" })
    }))

  it.effect("a step's own ttl long enough keeps the value readable", () =>
    Effect.gen(function*() {
      const longLived = Step.make({
        name: "write",
        requires: {},
        provides: { token: Schema.String },
        ttl: "1 hour",
        run: () => Effect.succeed({ token: "t" })
      })
      const t = Template.make({ name: "ttl", version: "1", steps: [longLived, wait, read] })
      const result = yield* Testing.runTemplate(t, {})
      expect(result.state.used).toBe("t")
      expect(result.entries.token.expiresAt?.getTime()).toBe(result.entries.token.writtenAt.getTime() + 3_600_000)
    }))

  it.effect("without a ttl, values (and input) live as long as their run, whatever the stateTtl retention", () =>
    Effect.gen(function*() {
      const t = Template.make({ name: "ttl", version: "1", steps: [write, wait, read] })
      const result = yield* Testing.runTemplate(t, {}, { settings: { stateTtl: Duration.seconds(5) } })
      expect(result.state.used).toBe("t")
      expect(result.entries.token.expiresAt).toBeNull()
      const input = Template.make({ name: "ttl_input", version: "1", steps: [wait, read] })
      const fromInput = yield* Testing.runTemplate(input, { token: "x" }, { settings: { stateTtl: Duration.seconds(5) } })
      expect(fromInput.state.used).toBe("x")
      expect(fromInput.entries.token.expiresAt).toBeNull()
    }))

  it.effect("an approval days later completes with the default settings", () =>
    Effect.gen(function*() {
      const approve = Durable.waitForSignal("approval", Schema.Struct({ ok: Schema.Boolean }))
      const t = Template.make({
        name: "late_approval",
        version: "1",
        steps: [
          write,
          approve,
          Step.make({
            name: "act",
            requires: { token: Schema.String, approval: Schema.Struct({ ok: Schema.Boolean }) },
            provides: { acted: Schema.Boolean },
            run: ({ approval }) => Effect.succeed({ acted: approval.ok })
          })
        ]
      })
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(t, {}, { runId: "late" })
      yield* Testing.awaitStatus("late", "suspended")
      yield* TestClock.adjust("3 days")
      yield* engine.signal("late", "approval", { ok: true })
      const done = yield* handle.await
      expect(done.state.acted).toBe(true)
    }).pipe(Effect.provide(Testing.layer())))
})

describe("concurrency limit", () => {
  it.effect("never more than maxConcurrentWorkflows runs at once under load", () =>
    Effect.gen(function*() {
      const active = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const busy = Template.make({
        name: "busy",
        version: "1",
        steps: [Step.make({
          name: "work",
          requires: { i: Schema.Number },
          provides: { done: Schema.Number },
          run: ({ i }) =>
            Effect.gen(function*() {
              const now = yield* Ref.updateAndGet(active, (n) => n + 1)
              yield* Ref.update(peak, (p) => Math.max(p, now))
              yield* Effect.sleep("1 second")
              yield* Ref.update(active, (n) => n - 1)
              return { done: i }
            })
        })]
      })
      const results = yield* Testing.withAutoTime(
        Effect.forEach(Array.from({ length: 60 }, (_, i) => i), (i) => Workflow.run(busy, { i }), {
          concurrency: "unbounded"
        })
      )
      expect(results.map((r) => r.state.done)).toEqual(Array.from({ length: 60 }, (_, i) => i))
      expect(yield* Ref.get(peak)).toBe(7)
    }).pipe(Effect.provide(Testing.layer({ maxConcurrentWorkflows: 7 }))))
})

describe("resume", () => {
  it.effect("continues after an interruption: completed steps do not run again, the in-flight one does with the same key", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make<ReadonlyArray<string>>([])
      const gate = yield* Deferred.make<void>()
      const reached = yield* Deferred.make<void>()
      const first = yield* Ref.make(true)
      const log = (name: string, key: string) => Ref.update(calls, (c) => [...c, `${name}:${key}`])
      const t = Template.make({
        name: "resumable",
        version: "1",
        steps: [
          Step.make({
            name: "one",
            requires: { n: Schema.Number },
            provides: { a: Schema.Number },
            run: ({ n }, ctx) => Effect.as(log("one", ctx.idempotencyKey), { a: n + 1 })
          }),
          Step.make({
            name: "two",
            requires: { a: Schema.Number },
            provides: { b: Schema.Number },
            run: ({ a }, ctx) =>
              Effect.gen(function*() {
                yield* log("two", ctx.idempotencyKey)
                if (yield* Ref.getAndSet(first, false)) {
                  yield* Deferred.succeed(reached, undefined)
                  yield* Deferred.await(gate) // never opened: the "crash" comes first
                }
                return { b: a * 10 }
              })
          }),
          Step.make({
            name: "three",
            requires: { b: Schema.Number },
            provides: { c: Schema.Number },
            run: ({ b }, ctx) => Effect.as(log("three", ctx.idempotencyKey), { c: b + 1 })
          })
        ]
      })
      const fiber = yield* Effect.fork(Workflow.run(t, { n: 1 }, { runId: "r" }))
      yield* Deferred.await(reached)
      yield* Fiber.interrupt(fiber)
      const engine = yield* Engine.Engine
      expect((yield* engine.status("r")).status).toBe("running")

      const result = yield* Workflow.resume(t, "r")
      expect(result.state).toEqual({ n: 1, a: 2, b: 20, c: 21 })
      expect(yield* Ref.get(calls)).toEqual([
        "one:r/one",
        "two:r/two",
        "two:r/two",
        "three:r/three"
      ])
      expect(result.trace.map((e) => e.step)).toEqual(["one", "two", "three"])
      expect((yield* engine.status("r")).status).toBe("completed")
    }).pipe(Effect.provide(engineWithStore())))

  it.effect("resuming under another template version is a TemplateMismatch naming both versions", () =>
    Effect.gen(function*() {
      const v1 = Template.make({ name: "pinned", version: "1", steps: [waitForever] })
      const v2 = Template.make({ name: "pinned", version: "2", steps: [waitForever] })
      const fiber = yield* Effect.fork(Workflow.run(v1, {}, { runId: "p" }))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiber)
      const error = yield* Effect.flip(Workflow.resume(v2, "p"))
      expect(error).toBeInstanceOf(Errors.TemplateMismatch)
      expect(error.message).toContain("pinned@1")
      expect(error.message).toContain("pinned@2")
    }).pipe(Effect.provide(engineWithStore())))

  it.effect("a completed run cannot be resumed; an unknown one is RunNotFound", () =>
    Effect.gen(function*() {
      yield* Workflow.run(flow, goodInput, { runId: "done" })
      expect((yield* Effect.flip(Workflow.resume(flow, "done")))._tag).toBe("RunNotResumable")
      expect((yield* Effect.flip(Workflow.resume(flow, "nope")))._tag).toBe("RunNotFound")
    }).pipe(Effect.provide(engineWithStore())))

  it.effect("local keys that shadowed outer values are restored after a resume too", () =>
    Effect.gen(function*() {
      const gate = yield* Deferred.make<void>()
      const reached = yield* Deferred.make<void>()
      const inner = Template.make({
        name: "inner",
        version: "1",
        local: ["tmp"],
        steps: [
          Step.make({ name: "set", requires: {}, provides: { tmp: Schema.String }, run: () => Effect.succeed({ tmp: "inner" }) }),
          Step.make({
            name: "pause",
            requires: { tmp: Schema.String },
            provides: { seen: Schema.String },
            run: ({ tmp }) =>
              Effect.gen(function*() {
                if (!(yield* Deferred.isDone(reached))) {
                  yield* Deferred.succeed(reached, undefined)
                  yield* Deferred.await(gate)
                }
                return { seen: tmp }
              })
          })
        ]
      })
      const outer = Template.make({
        name: "outer",
        version: "1",
        steps: [
          Step.make({ name: "outer_set", requires: {}, provides: { tmp: Schema.String }, run: () => Effect.succeed({ tmp: "outer" }) }),
          inner
        ]
      })
      const fiber = yield* Effect.fork(Workflow.run(outer, {}, { runId: "s" }))
      yield* Deferred.await(reached)
      yield* Fiber.interrupt(fiber)
      const result = yield* Workflow.resume(outer, "s")
      expect(result.state).toEqual({ tmp: "outer", seen: "inner" })
    }).pipe(Effect.provide(engineWithStore())))
})

const waitForever = Step.make({ name: "wait", requires: {}, provides: {}, run: () => Effect.never })

