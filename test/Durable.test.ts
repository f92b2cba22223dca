/**
 * Durable waits, signals, sub-flows and cancellation, through the engine.
 * Time is the TestClock's: nothing here really waits.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Fiber, Layer, Ref, Schema, Stream, TestClock } from "effect"
import { Durable, Engine, Errors, Event, Settings, SnapshotStore, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { Decision, expenseApproval } from "./approvalFixture.js"
import { awaitStatusIn, engineProcess, stuckTemplate, tempFile } from "./support.js"

// values keep their TTL while a run waits: waits of hours need a TTL as long
const settingsValues = { workflowTimeout: Duration.infinity, maxRetries: 0, stateTtl: Duration.infinity }
const settings = Settings.layerWith(settingsValues)

const engineWithStore = Layer.provideMerge(Engine.layer, Layer.merge(SnapshotStore.layerMemory, settings))

/** An engine over a given store: one "process" of several sharing that store. */
const engineOver = (store: Layer.Layer<SnapshotStore.SnapshotStore, unknown>) => engineProcess(store, settingsValues)

/** A step that writes `to` = `from` + 1. */
const note = <const From extends string, const To extends string>(name: string, from: From, to: To) =>
  Step.make({
    name,
    requires: { [from]: Schema.Number } as { readonly [K in From]: typeof Schema.Number },
    provides: { [to]: Schema.Number } as { readonly [K in To]: typeof Schema.Number },
    run: (input) =>
      Effect.succeed(
        { [to]: (input as Record<string, number>)[from]! + 1 } as Step.Slice<{ readonly [K in To]: typeof Schema.Number }>
      )
  })

const napFlow = Template.make({
  name: "nap_flow",
  version: "1",
  steps: [note("before", "n", "a"), Durable.sleep("nap", "1 hour"), note("after", "a", "b")]
})

describe("Durable.sleep", () => {
  it.scoped("sleeps its duration on the Clock, then goes on; the trace shows the sleep", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(napFlow, { n: 1 }, { runId: "nap" })
      yield* TestClock.adjust("59 minutes")
      expect((yield* engine.status("nap")).status).toBe("running")
      expect((yield* engine.trace("nap")).map((e) => e.step)).toEqual(["before"])
      yield* TestClock.adjust("1 minute")
      const result = yield* handle.await
      expect(result.state).toEqual({ n: 1, a: 2, b: 3 })
      const trace = yield* engine.trace("nap")
      expect(trace.map((e) => e.step)).toEqual(["before", "nap", "after"])
      expect(trace[1]!.durationMs).toBe(3_600_000)
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("a process that dies 20 minutes into a 1-hour sleep, resumed 20 minutes later, sleeps the remaining 40", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const store = Sqlite.layerStore({ filename })
      const first = yield* engineOver(store)
      yield* first.engine.start(napFlow, { n: 1 }, { runId: "nap" })
      yield* TestClock.adjust("20 minutes")
      yield* first.stop // the process dies; the run stays `running` with its wake-up time recorded
      yield* TestClock.adjust("20 minutes")
      const second = yield* engineOver(store)
      expect((yield* second.engine.status("nap")).status).toBe("running")
      const resumed = yield* Effect.fork(second.engine.resume(napFlow, "nap"))
      yield* TestClock.adjust("19 minutes")
      expect((yield* second.engine.status("nap")).status).toBe("running")
      yield* TestClock.adjust("1 minute")
      yield* awaitStatusIn(second.engine, "nap", "completed")
      const result = yield* resumed.await
      expect(Exit.isSuccess(result), String(Exit.isFailure(result) && result.cause)).toBe(true)
      expect((yield* second.engine.status("nap")).status).toBe("completed")
      expect(Exit.isSuccess(result) && result.value.state).toEqual({ n: 1, a: 2, b: 3 })
      // recorded wake-up, not restart time: the sleep ended 60 minutes after it started
      const trace = yield* second.engine.trace("nap")
      expect(trace.find((e) => e.step === "nap")!.endedAt.getTime()).toBe(60 * 60_000)
      yield* second.stop
    }))
})

describe("Durable.waitForSignal", () => {
  it.scoped("suspends; a bad payload is rejected and the run stays suspended; a good one resumes it", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const events = yield* Ref.make<ReadonlyArray<string>>([])
      yield* engine.events.pipe(
        Stream.runForEach((event) => Ref.update(events, (all) => [...all, event._tag])),
        Effect.forkScoped
      )
      yield* Effect.repeatN(Effect.yieldNow(), 5)
      const handle = yield* engine.start(expenseApproval, { amount: 120, requester: "ann" }, { runId: "exp" })
      yield* awaitStatusIn(engine, "exp", "suspended")
      expect((yield* engine.trace("exp")).map((e) => e.step)).toEqual(["request_approval"])

      const bad = yield* Effect.flip(engine.signal("exp", "approval", { approved: "yes", by: 7 }))
      expect(bad).toBeInstanceOf(Errors.InvalidSignalPayload)
      expect(bad.message).toContain("approved")
      expect((bad as Errors.InvalidSignalPayload).issues.map((i) => i.path.join("."))).toEqual(["approved", "by"])
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      expect((yield* engine.status("exp")).status).toBe("suspended")

      yield* engine.signal("exp", "approval", { approved: true, by: "bob" })
      const result = yield* handle.await
      expect(result.state.approval).toEqual({ approved: true, by: "bob" })
      expect(result.state.outcome).toBe("paid")
      expect(result.state.decidedBy).toBe("bob")
      expect((yield* engine.status("exp")).status).toBe("completed")
      expect((yield* engine.trace("exp")).map((e) => e.step)).toEqual(["request_approval", "approval", "settle"])
      yield* Effect.repeatN(Effect.yieldNow(), 5)
      const tags = yield* Ref.get(events)
      expect(tags.filter((t) => ["RunSuspended", "SignalReceived", "RunResumed", "RunCompleted"].includes(t))).toEqual([
        "RunSuspended",
        "SignalReceived",
        "RunResumed",
        "RunCompleted"
      ])
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("engine.run waits through the suspension", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const fiber = yield* Effect.fork(engine.run(expenseApproval, { amount: 5, requester: "ann" }, { runId: "r" }))
      yield* awaitStatusIn(engine, "r", "suspended")
      yield* engine.signal("r", "approval", { approved: false, by: "cfo", comment: "no" })
      const result = yield* fiber.await
      expect(Exit.isSuccess(result) && result.value.state.outcome).toBe("rejected")
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("signals to unknown runs, for waits the template does not have, twice, or after the end are typed errors", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      expect(yield* Effect.flip(engine.signal("nope", "approval", {}))).toBeInstanceOf(Errors.RunNotFound)
      const handle = yield* engine.start(expenseApproval, { amount: 5, requester: "ann" }, { runId: "r" })
      yield* awaitStatusIn(engine, "r", "suspended")
      const unknown = yield* Effect.flip(engine.signal("r", "webhook", {}))
      expect(unknown).toBeInstanceOf(Errors.SignalRejected)
      expect((unknown as Errors.SignalRejected).reason).toBe("not-awaited")
      yield* engine.signal("r", "approval", { approved: true, by: "a" })
      const twice = yield* Effect.flip(engine.signal("r", "approval", { approved: true, by: "b" }))
      expect(twice).toBeInstanceOf(Errors.SignalRejected)
      expect((twice as Errors.SignalRejected).reason === "already-pending" || (twice as Errors.SignalRejected).reason === "run-ended")
        .toBe(true)
      const result = yield* handle.await
      expect(result.state.decidedBy).toBe("a")
      const late = yield* Effect.flip(engine.signal("r", "approval", { approved: true, by: "c" }))
      expect((late as Errors.SignalRejected).reason).toBe("run-ended")
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("a signal sent before the run reaches its wait is consumed there without suspending", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const early = Template.make({
        name: "early",
        version: "1",
        steps: [Durable.sleep("first", "10 minutes"), Durable.waitForSignal("go", Schema.Number)]
      })
      const handle = yield* engine.start(early, {}, { runId: "e" })
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      yield* engine.signal("e", "go", 42)
      yield* TestClock.adjust("10 minutes")
      expect((yield* handle.await).state).toEqual({ go: 42 })
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("a timeout without a default fails the run with SignalTimeout", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const strict = Template.make({
        name: "strict",
        version: "1",
        steps: [Durable.waitForSignal("go", Schema.Number, { timeout: "1 hour" })]
      })
      const handle = yield* engine.start(strict, {}, { runId: "s" })
      yield* awaitStatusIn(engine, "s", "suspended")
      yield* TestClock.adjust("59 minutes")
      expect((yield* engine.status("s")).status).toBe("suspended")
      yield* TestClock.adjust("1 minute")
      const error = yield* Effect.flip(handle.await)
      expect(error).toBeInstanceOf(Errors.SignalTimeout)
      const run = yield* engine.status("s")
      expect(run.status).toBe("failed")
      expect(run.error?.tag).toBe("SignalTimeout")
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("a timeout with a default takes the default path (status fallback)", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(expenseApproval, { amount: 5, requester: "ann" }, { runId: "t" })
      yield* awaitStatusIn(engine, "t", "suspended")
      yield* TestClock.adjust("2 days")
      const result = yield* handle.await
      expect(result.state.outcome).toBe("rejected")
      expect(result.state.decidedBy).toBe("(nobody: timed out)")
      const trace = yield* engine.trace("t")
      expect(trace.find((e) => e.step === "approval")?.status).toBe("fallback")
      expect(trace.find((e) => e.step === "approval")?.error?.tag).toBe("SignalTimeout")
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("a run started here and signalled, resumed and completed by another engine: the handle gets its result", () =>
    Effect.gen(function*() {
      const store = yield* Layer.memoize(SnapshotStore.layerMemory)
      const here = yield* engineOver(store)
      const there = yield* engineOver(store)
      const handle = yield* here.engine.start(expenseApproval, { amount: 7, requester: "ann" }, { runId: "o" })
      yield* awaitStatusIn(here.engine, "o", "suspended")
      yield* there.engine.register(expenseApproval)
      yield* there.engine.signal("o", "approval", { approved: true, by: "eve" })
      yield* awaitStatusIn(there.engine, "o", "completed")
      // this engine learns it at its next look at the store
      const awaited = yield* Effect.fork(handle.await)
      yield* TestClock.adjust("20 seconds")
      const result = yield* awaited.await
      expect(Exit.isSuccess(result) && result.value.state).toEqual({
        amount: 7,
        requester: "ann",
        approvalRequest: "ann asks to spend 7",
        approval: { approved: true, by: "eve" },
        outcome: "paid",
        decidedBy: "eve"
      })
      yield* here.stop
      yield* there.stop
    }))

  it.scoped("a run suspended here and cancelled by another engine: the handle is interrupted", () =>
    Effect.gen(function*() {
      const store = yield* Layer.memoize(SnapshotStore.layerMemory)
      const here = yield* engineOver(store)
      const there = yield* engineOver(store)
      const handle = yield* here.engine.start(expenseApproval, { amount: 7, requester: "ann" }, { runId: "k" })
      yield* awaitStatusIn(here.engine, "k", "suspended")
      yield* there.engine.cancel("k")
      const awaited = yield* Effect.fork(handle.await)
      yield* TestClock.adjust("20 seconds")
      expect(Exit.isInterrupted(yield* awaited.await)).toBe(true)
      expect((yield* here.engine.status("k")).status).toBe("cancelled")
      yield* here.stop
      yield* there.stop
    }))

  it.scoped("a deadline that passed while no process ran the run is enforced when it is resumed", () =>
    Effect.gen(function*() {
      const store = yield* Layer.memoize(SnapshotStore.layerMemory)
      const strict = Template.make({
        name: "strict",
        version: "1",
        steps: [Durable.waitForSignal("go", Schema.Number, { timeout: "1 hour" })]
      })
      const first = yield* engineOver(store)
      yield* first.engine.start(strict, {}, { runId: "d" })
      yield* awaitStatusIn(first.engine, "d", "suspended")
      yield* first.stop
      yield* TestClock.adjust("2 hours")
      const second = yield* engineOver(store)
      expect((yield* second.engine.status("d")).status).toBe("suspended")
      const error = yield* Effect.flip(second.engine.resume(strict, "d"))
      expect(error).toBeInstanceOf(Errors.SignalTimeout)
      expect((yield* second.engine.status("d")).status).toBe("failed")
      yield* second.stop
    }))

  it.scoped("another process sharing the store signals a run whose process exited; the run resumes there", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const store = Sqlite.layerStore({ filename })
      const first = yield* engineOver(store)
      yield* first.engine.start(expenseApproval, { amount: 9, requester: "ann" }, { runId: "x" })
      yield* awaitStatusIn(first.engine, "x", "suspended")
      yield* first.stop
      const second = yield* engineOver(store)
      // a process that only signals must know the template
      const unregistered = yield* Effect.flip(second.engine.signal("x", "approval", { approved: true, by: "bob" }))
      expect(unregistered).toBeInstanceOf(Errors.TemplateNotRegistered)
      yield* second.engine.register(expenseApproval)
      yield* second.engine.signal("x", "approval", { approved: true, by: "bob" })
      yield* awaitStatusIn(second.engine, "x", "completed")
      const trace = yield* second.engine.trace("x")
      expect(trace.map((e) => e.step)).toEqual(["request_approval", "approval", "settle"])
      yield* second.stop
    }))
})

describe("cancellation", () => {
  it.scoped("a suspended run is cancelled: recorded, its awaiters interrupted, never resumed or signalled", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(expenseApproval, { amount: 5, requester: "ann" }, { runId: "c" })
      yield* awaitStatusIn(engine, "c", "suspended")
      yield* engine.cancel("c")
      expect((yield* engine.status("c")).status).toBe("cancelled")
      expect(Exit.isInterrupted(yield* Effect.exit(handle.await))).toBe(true)
      const signal = yield* Effect.flip(engine.signal("c", "approval", { approved: true, by: "b" }))
      expect((signal as Errors.SignalRejected).reason).toBe("run-ended")
      expect(yield* Effect.flip(engine.resume(expenseApproval, "c"))).toBeInstanceOf(Errors.RunNotResumable)
      // its timeout does not wake it either
      yield* TestClock.adjust("3 days")
      expect((yield* engine.status("c")).status).toBe("cancelled")
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("a run executing in another engine stops at its next heartbeat; its step's work is interrupted", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const store = Sqlite.layerStore({ filename })
      const owner = yield* engineOver(store)
      const other = yield* engineOver(store)
      const started = yield* Deferred.make<void>()
      const interrupted = yield* Deferred.make<void>()
      const stuck = stuckTemplate(started, interrupted)
      const handle = yield* owner.engine.start(stuck, {}, { runId: "remote" })
      yield* Deferred.await(started)
      // awaited here while it executes: its awaiter learns why it stopped
      const awaiting = yield* Effect.fork(Effect.flip(handle.await))
      yield* other.engine.cancel("remote")
      expect((yield* owner.engine.status("remote")).status).toBe("cancelled")
      yield* TestClock.adjust("20 seconds")
      yield* Deferred.await(interrupted)
      expect(yield* Fiber.join(awaiting)).toBeInstanceOf(Errors.RunCancelled)
      expect((yield* owner.engine.status("remote")).status).toBe("cancelled")
      // awaited once it ended: a cancelled run's await is interrupted (see Engine.await)
      expect(Exit.isInterrupted(yield* Effect.exit(handle.await))).toBe(true)
      yield* owner.stop
      yield* other.stop
    }))

  it.scoped("a step that finishes after its run was cancelled elsewhere records nothing, and the run stops", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const store = Sqlite.layerStore({ filename })
      const owner = yield* engineOver(store)
      const other = yield* engineOver(store)
      const started = yield* Deferred.make<void>()
      const release = yield* Deferred.make<void>()
      let secondRan = false
      const gated = Template.make({
        name: "gated",
        version: "1",
        steps: [
          Step.make({
            name: "gate",
            requires: {},
            provides: { opened: Schema.Boolean },
            run: () =>
              Effect.zipRight(Deferred.succeed(started, undefined), Effect.as(Deferred.await(release), { opened: true }))
          }),
          Step.make({
            name: "next",
            requires: {},
            provides: {},
            run: () =>
              Effect.sync(() => {
                secondRan = true
                return {}
              })
          })
        ]
      })
      const handle = yield* owner.engine.start(gated, {}, { runId: "g" })
      yield* Deferred.await(started)
      yield* other.engine.cancel("g")
      yield* Deferred.succeed(release, undefined)
      expect(yield* Effect.flip(handle.await)).toBeInstanceOf(Errors.RunCancelled)
      expect(secondRan).toBe(false)
      expect(yield* owner.engine.trace("g")).toEqual([])
      expect((yield* owner.engine.status("g")).status).toBe("cancelled")
      yield* owner.stop
      yield* other.stop
    }))
})

describe("Durable.subflow", () => {
  const child = Template.make({
    name: "child",
    version: "1",
    steps: [note("inc", "n", "m")]
  })
  const parent = Template.make({
    name: "parent",
    version: "1",
    steps: [note("first", "x", "n"), Durable.subflow(child), note("last", "m", "y")]
  })

  it.scoped("runs a template as a child run with its own id and trace; the parent goes on with its result", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const result = yield* engine.run(parent, { x: 1 }, { runId: "p" })
      expect(result.state).toEqual({ x: 1, n: 2, m: 3, y: 4 })
      expect((yield* engine.trace("p")).map((e) => e.step)).toEqual(["first", "child", "last"])
      expect((yield* engine.trace("p/child")).map((e) => e.step)).toEqual(["inc"])
      const childRun = yield* engine.status("p/child")
      expect([childRun.templateName, childRun.status]).toEqual(["child", "completed"])
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("a child's failure surfaces in the parent as SubflowFailed", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      class Boom extends Schema.TaggedError<Boom>()("Boom", { why: Schema.String }) {}
      const failing = Template.make({
        name: "failing_child",
        version: "1",
        steps: [Step.make({ name: "boom", requires: {}, provides: {}, run: () => Effect.fail(new Boom({ why: "bad" })) })]
      })
      const host = Template.make({ name: "host", version: "1", steps: [Durable.subflow(failing)] })
      const error = yield* engine.run(host, {}, { runId: "h" }).pipe(
        Effect.flatMap(() => Effect.dieMessage("the parent should have failed")),
        Effect.catchTag("SubflowFailed", (e) => Effect.succeed(e))
      )
      expect(error.childRunId).toBe("h/failing_child")
      expect(error.childError?.tag).toBe("Boom")
      expect((yield* engine.status("h")).status).toBe("failed")
      expect((yield* engine.status("h/failing_child")).status).toBe("failed")
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("cancelling a parent cancels its active child runs; neither can be signalled or resumed", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const approval = Template.make({ name: "approval_child", version: "1", steps: [Durable.waitForSignal("approval", Decision)] })
      const host = Template.make({ name: "cancelled_host", version: "1", steps: [Durable.subflow(approval)] })
      yield* engine.start(approval, {}, { runId: "ch/lookalike" })
      yield* awaitStatusIn(engine, "ch/lookalike", "suspended")
      const handle = yield* engine.start(host, {}, { runId: "ch" })
      yield* awaitStatusIn(engine, "ch", "suspended")
      expect((yield* engine.status("ch/approval_child")).status).toBe("suspended")
      yield* engine.cancel("ch")
      expect((yield* engine.status("ch")).status).toBe("cancelled")
      expect((yield* engine.status("ch/approval_child")).status).toBe("cancelled")
      expect(Exit.isInterrupted(yield* Effect.exit(handle.await))).toBe(true)
      // a run of its own whose id merely looks like a child's is left alone
      expect((yield* engine.status("ch/lookalike")).status).toBe("suspended")
      const refused = yield* Effect.flip(engine.signal("ch/approval_child", "approval", { approved: true, by: "bob" }))
      expect(refused._tag).toBe("SignalRejected")
      expect((yield* Effect.flip(engine.resume(host, "ch")))._tag).toBe("RunNotResumable")
    }).pipe(Effect.provide(engineWithStore)))

  it.scoped("a child that waits for a signal suspends its parent; signalling the child resumes both", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const approval = Template.make({
        name: "approval_child",
        version: "1",
        steps: [Durable.waitForSignal("approval", Decision)]
      })
      const host = Template.make({
        name: "approving_host",
        version: "1",
        steps: [
          Durable.subflow(approval),
          Step.make({
            name: "after",
            requires: { n: Schema.Number, approval: Decision },
            provides: { done: Schema.Number },
            run: ({ approval, n }) => Effect.succeed({ done: approval.approved ? n + 1 : n })
          })
        ]
      })
      const handle = yield* engine.start(host, { n: 1 }, { runId: "ah" })
      yield* awaitStatusIn(engine, "ah", "suspended")
      expect((yield* engine.status("ah/approval_child")).status).toBe("suspended")
      yield* engine.signal("ah/approval_child", "approval", { approved: true, by: "bob" })
      const result = yield* handle.await
      expect(result.state).toEqual({ n: 1, approval: { approved: true, by: "bob" }, done: 2 })
      expect((yield* engine.status("ah/approval_child")).status).toBe("completed")
    }).pipe(Effect.provide(engineWithStore)))
})

describe("events", () => {
  it("format renders the durable events", () => {
    expect(Event.format({ _tag: "RunSuspended", runId: "r", step: "approval", signal: "approval", deadline: 0, at: 0 }))
      .toBe(`run r suspended at approval, waiting for signal "approval" until 1970-01-01T00:00:00.000Z`)
    expect(Event.format({ _tag: "RunSuspended", runId: "r", step: "w", signal: "go", deadline: null, at: 0 }))
      .toBe(`run r suspended at w, waiting for signal "go"`)
    expect(Event.format({ _tag: "SignalReceived", runId: "r", signal: "go", at: 0 })).toBe(`run r received signal "go"`)
    expect(Event.format({ _tag: "RunCancelled", runId: "r", at: 0 })).toBe("run r cancelled")
  })
})
