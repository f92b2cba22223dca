import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Layer, Schema, TestClock } from "effect"
import { Engine, Errors, Settings, SnapshotStore, Step, Template, Trigger } from "weftjs"

const engineWithStore = (settings: Partial<Settings.WeftSettings> = {}) =>
  Layer.provideMerge(Engine.layer, Layer.merge(SnapshotStore.layerMemory, Settings.layerWith({ maxRetries: 0, ...settings })))

/** Settings for jumping days of fake time: the engine's chores wake seldom (the ticker sleeps to its next tick). */
const slowChores: Partial<Settings.WeftSettings> = { pollInterval: Duration.hours(1), leaseDuration: Duration.hours(3) }

/** Lets background fibers (the ticker, runs) do what they can now. */
const settle = Effect.repeatN(Effect.yieldNow(), 50)

const report = Template.make({
  name: "report",
  version: "1",
  steps: [Step.make({
    name: "build",
    requires: { day: Schema.String },
    provides: { lines: Schema.Number },
    run: ({ day }) => Effect.succeed({ lines: day.length })
  })]
})

const notify = Template.make({
  name: "notify",
  version: "1",
  steps: [Step.make({
    name: "send",
    requires: { count: Schema.Number },
    provides: { sent: Schema.Boolean },
    run: () => Effect.succeed({ sent: true })
  })]
})

const failing = Template.make({
  name: "failing",
  version: "1",
  steps: [Step.make({
    name: "boom",
    requires: { day: Schema.String },
    provides: { never: Schema.String },
    run: () => Effect.fail("boom" as const)
  })]
})

/** Runs of a template, oldest first. */
const runsOf = (engine: Engine.Service, template: string) =>
  Effect.map(engine.list({ templateName: template }), (runs) => [...runs].reverse())

describe("Trigger.onEnd", () => {
  it.scoped("a completed run starts the next template once, with the mapped input and its lineage", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.trigger(Trigger.onEnd("notify-after-report", report, notify, {
        input: (state) => ({ count: state.lines })
      }))
      yield* engine.run(report, { day: "monday" }, { runId: "r1" })
      yield* settle
      const runs = yield* runsOf(engine, "notify")
      expect(runs.map((r) => r.runId)).toEqual(["after:notify-after-report:r1"])
      const result = yield* engine.await(notify, "after:notify-after-report:r1")
      expect(result.state).toEqual({ count: 6, sent: true })
      const record = yield* engine.status("after:notify-after-report:r1")
      expect(record.triggeredBy).toEqual({ _tag: "Run", trigger: "notify-after-report", runId: "r1", status: "completed" })
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("listens only for the endings asked for: failed and cancelled runs too when listed", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.trigger(Trigger.onEnd("after-failure", failing, notify, {
        on: ["failed", "cancelled"],
        input: (state, end) => ({ count: state.day.length + (end.status === "failed" ? 100 : 0) })
      }))
      yield* engine.trigger(Trigger.onEnd("after-report", report, notify, { input: (s) => ({ count: s.lines }) }))
      const failed = yield* Effect.exit(engine.run(failing, { day: "x" }, { runId: "f1" }))
      expect(Exit.isFailure(failed)).toBe(true)
      yield* settle
      const after = yield* engine.await(notify, "after:after-failure:f1")
      expect(after.state.count).toBe(101)
      expect((yield* engine.status("after:after-failure:f1")).triggeredBy).toMatchObject({ status: "failed" })
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("a mapping that throws starts nothing and fails nothing", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.trigger(Trigger.onEnd("bad", report, notify, {
        input: (): { count: number } => {
          throw new Error("no")
        }
      }))
      const result = yield* engine.run(report, { day: "d" }, { runId: "r2" })
      expect(result.state.lines).toBe(1)
      yield* settle
      expect(yield* runsOf(engine, "notify")).toEqual([])
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("a cancelled run starts the triggers listening for cancellations, recorded with the cancellation", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.trigger(Trigger.onEnd("after-cancel", report, notify, {
        on: ["cancelled"],
        input: (state) => ({ count: state.lines ?? -1 })
      }))
      yield* engine.start(report, { day: "tuesday" }, { runId: "c1", queue: "nobody-serves-this" })
      yield* engine.cancel("c1")
      yield* settle
      const after = yield* engine.await(notify, "after:after-cancel:c1")
      expect(after.state.count).toBe(-1)
    }).pipe(Effect.provide(engineWithStore())))
})

const tickIso = (runId: string) => runId.replace(/^schedule:[^:]+:/, "")

describe("Trigger.cron", () => {
  it.scoped("starts one run per tick with the tick's time as input, on fake time", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.trigger(Trigger.cron("minutely", report, {
        cron: "* * * * *",
        input: (tick) => ({ day: tick.toISOString() })
      }))
      for (let i = 0; i < 3; i++) {
        yield* TestClock.adjust("1 minute")
        yield* settle
      }
      const runs = yield* runsOf(engine, "report")
      expect(runs.map((r) => r.runId)).toEqual([
        "schedule:minutely:1970-01-01T00:01:00.000Z",
        "schedule:minutely:1970-01-01T00:02:00.000Z",
        "schedule:minutely:1970-01-01T00:03:00.000Z"
      ])
      expect(runs.every((r) => r.status === "completed")).toBe(true)
      expect(runs[0]!.triggeredBy).toEqual({ _tag: "Schedule", schedule: "minutely", tick: 60_000 })
      const first = yield* engine.result(report, runs[0]!.runId)
      expect(first.state.day).toBe("1970-01-01T00:01:00.000Z")
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("two engines over one store start each tick once", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      const settings = Settings.layerWith({})
      const build = Effect.map(
        Layer.build(Layer.provide(Engine.layer, Layer.merge(Layer.succeed(SnapshotStore.SnapshotStore, store), settings))),
        Context.get(Engine.Engine)
      )
      const a = yield* build
      const b = yield* build
      const schedule = Trigger.cron("every-10s", report, { cron: "*/10 * * * * *", input: { day: "fixed" } })
      yield* a.trigger(schedule)
      yield* b.trigger(schedule)
      for (let i = 0; i < 6; i++) {
        yield* TestClock.adjust("10 seconds")
        yield* settle
      }
      const runs = yield* runsOf(a, "report")
      expect(runs.map((r) => tickIso(r.runId))).toEqual([10, 20, 30, 40, 50, 60].map((s) => new Date(s * 1000).toISOString()))
    }))

  it.scoped("overlap skip: a tick while the previous run is active starts nothing; bufferOne starts it after", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const slow = Template.make({
        name: "slow",
        version: "1",
        steps: [Step.make({
          name: "wait",
          requires: { day: Schema.String },
          provides: { done: Schema.Boolean },
          run: () => Effect.as(Effect.sleep("90 seconds"), { done: true })
        })]
      })
      yield* engine.trigger(Trigger.cron("skipping", slow, { cron: "* * * * *", input: { day: "d" }, overlap: "skip" }))
      yield* engine.trigger(Trigger.cron("buffering", slow, { cron: "* * * * *", input: { day: "d" }, overlap: "bufferOne" }))
      for (let i = 0; i < 4; i++) {
        yield* TestClock.adjust("1 minute")
        yield* settle
      }
      const ids = (yield* runsOf(engine, "slow")).map((r) => r.runId)
      const of = (name: string) => ids.filter((id) => id.startsWith(`schedule:${name}:`)).map(tickIso)
      // skip: 1:00 runs to 2:30; 2:00 skipped; 3:00 runs (to 4:30); 4:00 skipped
      expect(of("skipping")).toEqual(["1970-01-01T00:01:00.000Z", "1970-01-01T00:03:00.000Z"])
      // bufferOne: 2:00 is held and started when 1:00's run ends (2:30); 3:00 held until 4:00's look
      expect(of("buffering").slice(0, 2)).toEqual(["1970-01-01T00:01:00.000Z", "1970-01-01T00:02:00.000Z"])
    }).pipe(Effect.provide(engineWithStore({ pollInterval: Duration.seconds(10) }))))

  it.scoped("catch-up: none drops missed ticks, last starts the latest, all starts up to the bound", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      const layer = Layer.provide(Engine.layer, Layer.merge(Layer.succeed(SnapshotStore.SnapshotStore, store), Settings.layerWith({})))
      const declare = Effect.gen(function*() {
        const engine = yield* Engine.Engine
        for (const catchUp of ["none", "last", "all"] as const) {
          yield* engine.trigger(
            Trigger.cron(`catch-${catchUp}`, report, { cron: "* * * * *", input: { day: catchUp }, catchUp, catchUpMax: 3, overlap: "allow" })
          )
        }
        return engine
      })
      // declared, then no engine runs for 10 minutes
      yield* Effect.scoped(Effect.provide(declare, layer))
      yield* TestClock.adjust("10 minutes")
      const engine = yield* Effect.provide(declare, yield* Layer.build(layer))
      yield* settle
      const ids = (yield* runsOf(engine, "report")).map((r) => r.runId)
      const of = (name: string) => ids.filter((id) => id.startsWith(`schedule:${name}:`)).map(tickIso).sort()
      // 10:00 is the tick of now (on time); 1:00 to 9:00 were missed
      expect(of("catch-none")).toEqual(["1970-01-01T00:10:00.000Z"])
      expect(of("catch-last")).toEqual(["1970-01-01T00:09:00.000Z", "1970-01-01T00:10:00.000Z"])
      expect(of("catch-all")).toEqual(["1970-01-01T00:07:00.000Z", "1970-01-01T00:08:00.000Z", "1970-01-01T00:09:00.000Z", "1970-01-01T00:10:00.000Z"])
    }))

  /** The ticks of a schedule from `from` for four days, on an engine started then (fake time jumps before it exists). */
  const ticksOver4Days = (from: string, cron: string, timeZone: string) =>
    Effect.scoped(Effect.gen(function*() {
      yield* TestClock.setTime(Date.parse(from))
      const engine = yield* Effect.map(Layer.build(engineWithStore(slowChores)), Context.get(Engine.Engine))
      yield* engine.trigger(Trigger.cron("zoned", report, { cron, timeZone, input: { day: "d" } }))
      for (let i = 0; i < 4 * 4; i++) {
        yield* TestClock.adjust("6 hours")
        yield* settle
      }
      return (yield* runsOf(engine, "report")).map((r) => tickIso(r.runId))
    }))

  it.scoped("ticks across DST changes in two time zones, as effect/Cron reads them", () =>
    Effect.gen(function*() {
      // Paris, 2026-03-29 02:00 → 03:00: 02:30 CET is 01:30Z; on the 29th 02:30 does not exist and Cron
      // moves it to 03:30 CEST (01:30Z again); from the 30th 02:30 CEST is 00:30Z
      expect(yield* ticksOver4Days("2026-03-27T12:00:00Z", "30 2 * * *", "Europe/Paris")).toEqual([
        "2026-03-28T01:30:00.000Z",
        "2026-03-29T01:30:00.000Z",
        "2026-03-30T00:30:00.000Z",
        "2026-03-31T00:30:00.000Z"
      ])
      // New York, 2026-11-01 02:00 → 01:00: 01:30 happens twice (EDT 05:30Z, then EST 06:30Z): one run
      expect(yield* ticksOver4Days("2026-10-30T12:00:00Z", "30 1 * * *", "America/New_York")).toEqual([
        "2026-10-31T05:30:00.000Z",
        "2026-11-01T05:30:00.000Z",
        "2026-11-02T06:30:00.000Z",
        "2026-11-03T06:30:00.000Z"
      ])
    }))
})

describe("engine.schedules", () => {
  it.scoped("creates, lists, pauses, resumes and deletes stored schedules; bad ones are refused naming why", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.register(report)
      const created = yield* engine.schedules.create({ name: "nightly", template: "report", cron: "0 3 * * *", input: { day: "n" } })
      expect(created.nextTicks.map((d) => d.toISOString())).toEqual([
        "1970-01-01T03:00:00.000Z",
        "1970-01-02T03:00:00.000Z",
        "1970-01-03T03:00:00.000Z"
      ])
      const again = yield* Effect.flip(engine.schedules.create({ name: "nightly", template: "report", cron: "0 3 * * *", input: { day: "n" } }))
      expect(again).toBeInstanceOf(Errors.ScheduleExists)
      expect(again.message).toContain("exists already")
      const badCron = yield* Effect.flip(engine.schedules.create({ name: "x", template: "report", cron: "61 * * * *", input: { day: "n" } }))
      expect(badCron).toBeInstanceOf(Errors.InvalidSchedule)
      const badZone = yield* Effect.flip(
        engine.schedules.create({ name: "x", template: "report", cron: "* * * * *", timeZone: "Mars/Olympus", input: { day: "n" } })
      )
      expect(badZone.message).toContain("time zone")
      const badInput = yield* Effect.flip(engine.schedules.create({ name: "x", template: "report", cron: "* * * * *", input: { day: 3 } }))
      expect(badInput.message).toContain("day")
      const unknown = yield* Effect.flip(engine.schedules.create({ name: "x", template: "nope", cron: "* * * * *", input: {} }))
      expect(unknown.message).toContain("not registered")
      expect((yield* engine.schedules.list).map((s) => s.name)).toEqual(["nightly"])

      yield* engine.schedules.pause("nightly")
      expect((yield* engine.schedules.list)[0]).toMatchObject({ paused: true, nextTicks: [] })
      yield* TestClock.adjust("4 hours")
      yield* settle
      expect(yield* runsOf(engine, "report")).toEqual([])
      yield* engine.schedules.resume("nightly")
      yield* TestClock.adjust("1 day")
      yield* settle
      expect((yield* runsOf(engine, "report")).map((r) => r.runId)).toEqual(["schedule:nightly:1970-01-02T03:00:00.000Z"])
      yield* engine.schedules.delete("nightly")
      expect(yield* engine.schedules.list).toEqual([])
      expect(yield* Effect.flip(engine.schedules.delete("nightly"))).toBeInstanceOf(Errors.ScheduleNotFound)
    }).pipe(Effect.provide(engineWithStore(slowChores))))

  it.scoped("a schedule declared in code is applied again idempotently: its paused flag and history are kept", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const daily = Trigger.cron("daily", report, { cron: "0 6 * * *", input: { day: "d" } })
      yield* engine.trigger(daily)
      yield* engine.schedules.pause("daily")
      yield* engine.trigger(Trigger.cron("daily", report, { cron: "0 7 * * *", input: { day: "d" } }))
      const [stored] = yield* engine.schedules.list
      expect(stored).toMatchObject({ name: "daily", cron: "0 7 * * *", paused: true, input: { day: "d" } })
    }).pipe(Effect.provide(engineWithStore())))
})

describe("webhooks (engine.deliver)", () => {
  const hook = Trigger.webhook("orders", report, {
    body: Schema.Struct({ order: Schema.Struct({ date: Schema.String }) }),
    input: (body) => ({ day: body.order.date })
  })

  it.scoped("a delivery starts one run, its id from the idempotency key; twice at once starts one", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.trigger(hook)
      const both = yield* Effect.all([
        engine.deliver("orders", { order: { date: "2026-01-01" } }, "d-1"),
        engine.deliver("orders", { order: { date: "2026-01-01" } }, "d-1")
      ], { concurrency: 2 })
      expect(both.map((r) => r.runId)).toEqual(["hook:orders:d-1", "hook:orders:d-1"])
      expect(both.filter((r) => r.started)).toHaveLength(1)
      const result = yield* engine.await(report, "hook:orders:d-1")
      expect(result.state).toEqual({ day: "2026-01-01", lines: 10 })
      expect((yield* engine.status("hook:orders:d-1")).triggeredBy).toEqual({ _tag: "Webhook", hook: "orders", delivery: "d-1" })
    }).pipe(Effect.provide(engineWithStore())))

  it.scoped("a bad body is refused naming the key, and nothing is written", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.trigger(hook)
      const refused = yield* Effect.flip(engine.deliver("orders", { order: { date: 5 } }, "d-2"))
      expect(refused.message).toContain("order.date")
      const missing = yield* Effect.flip(engine.deliver("nope", {}, "d-3"))
      expect(missing).toMatchObject({ _tag: "DeliveryRejected", reason: "not-found" })
      expect(yield* engine.list()).toEqual([])
    }).pipe(Effect.provide(engineWithStore())))
})
