/**
 * What one engine learns of runs that another engine (standing for another
 * process over the same store) executed: typed errors rebuilt from the
 * store, `await` and `inspect` from anywhere, templates pinned by structure.
 */
import { describe, expect, it } from "@effect/vitest"
import { Data, Duration, Effect, Exit, Layer, Schema, Stream, TestClock } from "effect"
import { Durable, Engine, Errors, Event, SnapshotStore, Step, Template, Testing } from "weftjs"
import { awaitStatusIn, engineProcess } from "./support.js"

class CardDeclined extends Data.TaggedError("CardDeclined")<{ readonly reason: string; readonly amount: number }> {}

const Decision = Schema.Struct({ approved: Schema.Boolean })

/** Waits for a decision; a refusal fails the run with the step's own typed error. */
const payment = Template.make({
  name: "payment",
  version: "1",
  steps: [
    Durable.waitForSignal("decision", Decision),
    Step.make({
      name: "charge",
      requires: { decision: Decision, amount: Schema.Number },
      provides: { charged: Schema.Number },
      retry: undefined,
      run: ({ amount, decision }) =>
        decision.approved
          ? Effect.succeed({ charged: amount })
          : Effect.fail(new CardDeclined({ reason: "refused by a person", amount }))
    })
  ]
})

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }

/** Two engines ("processes") over one store. */
const twoProcesses = Effect.gen(function*() {
  const store = Layer.succeed(SnapshotStore.SnapshotStore, yield* SnapshotStore.makeMemory)
  return { a: yield* engineProcess(store, settings), b: yield* engineProcess(store, settings) }
})

describe("typed across processes", () => {
  it.scoped("a run that fails in another engine fails its waiter here with the same typed error", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoProcesses
      const handle = yield* a.engine.start(payment, { amount: 42 }, { runId: "p1" })
      yield* awaitStatusIn(a.engine, "p1", "suspended")
      yield* b.engine.register(payment)
      yield* b.engine.signal("p1", "decision", { approved: false })
      yield* awaitStatusIn(b.engine, "p1", "failed")
      // A learns it from the store: a CardDeclined with the same fields, catchable by its tag
      const error = yield* Effect.flip(handle.await)
      expect(error._tag).toBe("CardDeclined")
      expect(error).toMatchObject({ reason: "refused by a person", amount: 42 })
      const caught = yield* handle.await.pipe(
        Effect.map(() => "completed"),
        Effect.catchTag("CardDeclined", (e) => Effect.succeed(`declined: ${e.reason}`))
      )
      expect(caught).toBe("declined: refused by a person")
      // and so does any engine awaiting it
      const third = yield* Effect.flip(b.engine.await(payment, "p1"))
      expect(third).toMatchObject({ _tag: "CardDeclined", amount: 42 })
    }))

  it.scoped("weft's own errors come back as their classes (a wait's timeout decided elsewhere)", () =>
    Effect.gen(function*() {
      const strict = Template.make({
        name: "strict",
        version: "1",
        steps: [Durable.waitForSignal("go", Schema.Boolean, { timeout: "1 hour" })]
      })
      const { a, b } = yield* twoProcesses
      const handle = yield* a.engine.start(strict, {}, { runId: "s1" })
      yield* awaitStatusIn(a.engine, "s1", "suspended")
      yield* a.stop
      yield* TestClock.adjust("2 hours")
      const error = yield* Effect.flip(b.engine.resume(strict, "s1"))
      expect(error).toBeInstanceOf(Errors.SignalTimeout)
      const fromStore = yield* Effect.flip(b.engine.await(strict, "s1"))
      expect(fromStore).toBeInstanceOf(Errors.SignalTimeout)
      expect(fromStore).toMatchObject({ runId: "s1", signal: "go", step: "go" })
      expect(Duration.toMillis((fromStore as Errors.SignalTimeout).timeout)).toBe(3_600_000)
      void handle
    }))

  it.scoped("await of a completed run reads its typed result back, from any engine", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoProcesses
      yield* a.engine.start(payment, { amount: 7 }, { runId: "p2" })
      yield* awaitStatusIn(a.engine, "p2", "suspended")
      yield* a.engine.signal("p2", "decision", { approved: true })
      yield* awaitStatusIn(a.engine, "p2", "completed")
      const done = yield* b.engine.await(payment, "p2")
      expect(done.state).toEqual({ amount: 7, decision: { approved: true }, charged: 7 })
      expect(done.trace.map((e) => e.step)).toEqual(["decision", "charge"])
      expect((yield* Effect.flip(b.engine.await(payment, "nope")))._tag).toBe("RunNotFound")
    }))
})

describe("engine.inspect", () => {
  it.scoped("a suspended run's state (typed with the template, JSON without), position and what it waits for", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoProcesses
      const dated = Template.make({
        name: "dated",
        version: "1",
        steps: [
          Step.make({
            name: "stamp",
            requires: {},
            provides: { at: Schema.DateFromString, total: Schema.Number },
            run: () => Effect.succeed({ at: new Date(86_400_000), total: 1250 })
          }),
          Durable.waitForSignal("decision", Decision, { timeout: "2 days" })
        ]
      })
      yield* a.engine.start(dated, {}, { runId: "i1" })
      yield* awaitStatusIn(a.engine, "i1", "suspended")
      const typed = yield* a.engine.inspect("i1", dated)
      expect(typed.run.status).toBe("suspended")
      expect(typed.state.total).toBe(1250)
      expect(typed.state.at).toBeInstanceOf(Date)
      expect(typed.position).toEqual({ lastStep: "stamp", completedSteps: 1 })
      const now = yield* TestClock.currentTimeMillis
      expect(typed.waitingFor).toEqual({
        runId: "i1",
        step: "decision",
        signal: "decision",
        deadline: new Date(now + 2 * 86_400_000)
      })
      // an engine that does not know the template sees the values as stored
      const untyped = yield* b.engine.inspect("i1")
      expect(untyped.state).toEqual({ at: new Date(86_400_000).toISOString(), total: 1250 })
      const other = Template.make({ name: "other", version: "1", steps: dated.steps })
      expect((yield* Effect.flip(a.engine.inspect("i1", other)))._tag).toBe("TemplateMismatch")
      expect((yield* Effect.flip(a.engine.inspect("nope")))._tag).toBe("RunNotFound")
    }))
})

describe("a run's template structure (issue 18.5)", () => {
  /** A template under one name and version whose second step differs with `second`. */
  const versionOne = (second: string, ran: Array<string>) =>
    Template.make({
      name: "pinned_structure",
      version: "1",
      steps: [
        Durable.waitForSignal("decision", Decision),
        Step.make({
          name: second,
          requires: { decision: Decision },
          provides: { done: Schema.String },
          run: () => Effect.sync(() => (ran.push(second), { done: second }))
        })
      ]
    })

  it.effect("a process holding another template under the run's name and version refuses the run: TemplateMismatch naming both", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoProcesses
      const ran: Array<string> = []
      const first = versionOne("settle", ran)
      const second = versionOne("settle_differently", ran)
      yield* a.engine.start(first, {}, { runId: "p1" })
      yield* awaitStatusIn(a.engine, "p1", "suspended")
      expect((yield* a.engine.status("p1")).templateFingerprint).toMatch(/^[0-9a-f]{16}$/)
      yield* a.stop
      // resumed by hand with the other template
      const mismatch = yield* Effect.flip(b.engine.resume(second, "p1"))
      expect(mismatch).toBeInstanceOf(Errors.TemplateMismatch)
      const error = mismatch as Errors.TemplateMismatch
      expect(error.stored.fingerprint).toBe((yield* b.engine.status("p1")).templateFingerprint)
      expect(error.given.fingerprint).not.toBe(error.stored.fingerprint)
      expect(error.message).toContain("pinned_structure@1 (structure ")
      // taken up after a signal (recovery's path): left alone, not executed with the other steps
      yield* b.engine.signal("p1", "decision", { approved: true })
      yield* b.engine.resumeDue
      yield* TestClock.adjust("1 minute")
      expect(ran).toEqual([])
      expect((yield* b.engine.status("p1")).status).not.toBe("completed")
    }))
})

describe("registering templates", () => {
  const build = (stepName: string) =>
    Template.make({
      name: "pinned",
      version: "1",
      steps: [Step.make({
        name: stepName,
        requires: {},
        provides: { n: Schema.Number },
        run: () => Effect.succeed({ n: 1 })
      })]
    })

  it.effect("a different template under a known name and version is a TemplateConflict; nothing is written", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.register(build("count"))
      // the same template built again by the same code is the same template
      yield* engine.register(build("count"))
      const conflict = yield* Effect.flip(engine.register(build("count_all")))
      expect(conflict).toBeInstanceOf(Errors.TemplateConflict)
      expect(conflict.message).toContain("pinned@1")
      expect(conflict.message).toContain("count_all")
      const started = yield* Effect.flip(engine.start(build("count_all"), {}, { runId: "c1" }))
      expect(started._tag).toBe("TemplateConflict")
      expect(yield* engine.list()).toEqual([])
    }).pipe(Effect.provide(Testing.layer())))

  it.effect("templates are known by the pair of name and version: `@` in a name or version collides with nothing (issue 18.6)", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const named = (name: string, version: string, out: number) =>
        Template.make({
          name,
          version,
          steps: [Step.make({ name: `s${out}`, requires: {}, provides: { n: Schema.Number }, run: () => Effect.succeed({ n: out }) })]
        })
      const first = named("coll@1", "2", 1)
      const second = named("coll", "1@2", 2)
      yield* engine.register(first)
      yield* engine.register(second)
      expect((yield* engine.templates).map((t) => `${t.name} v${t.version}`).sort()).toEqual(["coll v1@2", "coll@1 v2"])
      expect((yield* engine.run(first, {})).state.n).toBe(1)
      expect((yield* engine.run(second, {})).state.n).toBe(2)
    }).pipe(Effect.provide(Testing.layer())))
})

describe("events", () => {
  it.scoped("come in step order: a step's start is seen before the step's own work", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const seen: Array<string> = []
      const events = yield* engine.subscribe
      yield* Effect.forkScoped(
        Stream.runForEach(events, (event) => Effect.sync(() => seen.push(Event.format(event).trim())))
      )
      const logged = (name: string) =>
        Step.make({
          name,
          requires: {},
          provides: {},
          run: () => Effect.sync(() => (seen.push(`log ${name}`), {}))
        })
      const t = Template.make({ name: "ordered", version: "1", steps: [logged("a"), logged("b")] })
      yield* engine.run(t, {}, { runId: "o1" })
      yield* Effect.yieldNow()
      const relevant = seen.filter((line) => line.startsWith("▶") || line.startsWith("log"))
      expect(relevant).toEqual(["▶ a", "log a", "▶ b", "log b"])
    }).pipe(Effect.provide(Testing.layer())))

  it("a composite's label reads its parts' labels", () => {
    expect(Event.format({ _tag: "RunStarted", runId: "r", template: "a+b", version: "a@1+b@1", at: 0 })).toBe(
      "run r started (a@1+b@1)"
    )
    expect(Event.format({ _tag: "RunStarted", runId: "r", template: "a", version: "1", at: 0 })).toBe("run r started (a@1)")
    void Exit.void
  })
})
