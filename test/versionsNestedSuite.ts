/**
 * Migrations at nested positions through the engine, on any store: a run
 * suspended in a wait inside a branch's arm (the wait renamed: a signal sent
 * to the old name, before or after the migration, reaches it), in a wait
 * inside a loop's body (it goes on in the same iteration), and waiting in a
 * sub-flow's child run; what stays unmapped is reported by a dry run.
 * `versionsNestedSuite(name, store)` registers it for one store.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Schema, TestClock } from "effect"
import type { Layer, Scope } from "effect"
import { Durable, type Engine, Flow, type SnapshotStore, Step, Template } from "weftjs"
import { awaitStatusIn, engineProcess } from "./support.js"

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0, stateTtl: Duration.infinity }

let executions: Record<string, number> = {}
const ran = (name: string) => {
  executions[name] = (executions[name] ?? 0) + 1
}
const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF,
  run: (input: Step.Slice<RF>) => Step.Slice<PF>,
  counted = name
) => Step.make({ name, requires, provides, run: (input) => Effect.sync(() => (ran(counted), run(input))) })

const Ok = Schema.Struct({ ok: Schema.Boolean })
const quote = step("quote", { sku: Schema.String }, { price: Schema.Number }, ({ sku }) => ({ price: sku.length * 50 }))
const approve = Durable.waitForSignal("approve", Ok)
const approval = Durable.waitForSignal("approval", Ok, { key: "approve" })
const bill = step("bill", { price: Schema.Number, approve: Ok }, { invoice: Schema.String }, ({ price }) => ({ invoice: `INV-${price}` }), "bill1")
const billIn = step(
  "bill",
  { price: Schema.Number, approve: Ok, currency: Schema.String },
  { invoice: Schema.String },
  ({ currency, price }) => ({ invoice: `INV-${price}-${currency}` }),
  "bill2"
)
const auto = Template.make({ name: "auto", version: "1", steps: [step("auto", { price: Schema.Number }, { invoice: Schema.String }, () => ({ invoice: "AUTO" }))] })
const review1 = Template.make({ name: "review", version: "1", steps: [approve, bill] })
const review2 = Template.make({ name: "review", version: "2", steps: [approval, billIn] })
const route = (then: typeof review1 | typeof review2) =>
  Flow.branch({ name: "route", requires: { price: Schema.Number }, when: ({ price }) => price > 100, then, else: auto })
const route1 = route(review1)
const route2 = route(review2)
const ship = step("ship", { invoice: Schema.String }, { shipped: Schema.Boolean }, () => ({ shipped: true }))
/** v1 approves big orders in a branch; v2 renames the wait and bills in a currency. */
const order1 = Template.make({ name: "nested", version: "1", steps: [quote, route1, ship] })
const order2 = Template.make({ name: "nested", version: "2", steps: [quote, route2, ship] })
const rename = Template.migration(order1, order2, (at) => [at(approve, approval, () => ({ currency: "EUR" }))])

/** Waits until the run was taken up again (a newer generation) and suspended. */
const suspendedAfter = (engine: Engine.Service, runId: string, generation: number) =>
  Effect.gen(function*() {
    let run = yield* engine.status(runId)
    for (let i = 0; i < 200 && !(run.generation > generation && run.status === "suspended"); i++) {
      yield* awaitStatusIn(engine, runId, "suspended")
      run = yield* engine.status(runId)
    }
    return run
  })

export const versionsNestedSuite = (
  name: string,
  makeStore: Effect.Effect<Layer.Layer<SnapshotStore.SnapshotStore, unknown>, never, Scope.Scope>
): void => {
  const twoProcesses = Effect.gen(function*() {
    const store = yield* makeStore
    const a = yield* engineProcess(store, settings)
    const b = yield* engineProcess(store, settings)
    yield* Effect.addFinalizer(() => Effect.zipRight(a.stop, b.stop))
    return { a, b }
  })

  describe(`migrations at nested positions: ${name}`, () => {
    it.scoped("a run suspended in a wait inside a branch's arm goes on at the renamed wait; a signal to the old name reaches it", () =>
      Effect.gen(function*() {
        executions = {}
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(order1, { sku: "abcd" }, { runId: "n1" })
        yield* awaitStatusIn(a.engine, "n1", "suspended")
        expect((yield* a.engine.status("n1")).waitingFor?.step).toBe("route/then/approve")
        const dry = yield* b.engine.migrate(rename, { dryRun: true })
        expect(dry.map((o) => [o.result, o.from, o.to])).toEqual([["migrated", "route/then/approve", "route/then/approval"]])
        const outcomes = yield* b.engine.migrate(rename)
        expect(outcomes.map((o) => o.result)).toEqual(["migrated"])
        const run = yield* b.engine.status("n1")
        expect([run.templateVersion, run.waitingFor?.step, run.waitingFor?.signal]).toEqual(["2", "route/then/approval", "approval"])
        yield* b.engine.resumeDue
        yield* suspendedAfter(b.engine, "n1", run.generation)
        // sent under the wait's old name, after the migration
        yield* b.engine.signal("n1", "approve", { ok: true })
        const result = yield* b.engine.await(order2, "n1")
        expect(result.state).toMatchObject({ approve: { ok: true }, currency: "EUR", invoice: "INV-200-EUR", shipped: true })
        expect(executions).toEqual({ quote: 1, bill2: 1, ship: 1 })
        const trace = yield* b.engine.trace("n1")
        expect(trace.map((e) => e.step)).toEqual(["quote", "route/then", "~migrate/4", "route/then/approval", "route/then/bill", "ship"])
      }))

    it.scoped("a signal sent to the old name before the migration (pending) is delivered to the renamed wait", () =>
      Effect.gen(function*() {
        executions = {}
        const started = yield* Deferred.make<void>()
        let block = true
        const gated = Step.make({
          name: "quote",
          requires: { sku: Schema.String },
          provides: { price: Schema.Number },
          run: ({ sku }) =>
            block ? Effect.zipRight(Deferred.succeed(started, undefined), Effect.never) : Effect.succeed({ price: sku.length * 50 })
        })
        const v1 = Template.make({ name: "gatedNested", version: "1", steps: [gated, route1, ship] })
        const v2 = Template.make({ name: "gatedNested", version: "2", steps: [gated, route2, ship] })
        const m = Template.migration(v1, v2, (at) => [
          at(gated, gated, () => ({ currency: "EUR" })),
          at(approve, approval, () => ({ currency: "EUR" }))
        ])
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(v1, { sku: "abcd" }, { runId: "n2" })
        yield* Deferred.await(started)
        yield* a.engine.signal("n2", "approve", { ok: true })
        yield* a.stop
        block = false
        yield* TestClock.adjust("1 minute")
        const outcomes = yield* b.engine.migrate(m)
        expect(outcomes.map((o) => [o.result, o.from, o.to])).toEqual([["migrated", "quote", "quote"]])
        yield* b.engine.resumeDue
        const result = yield* b.engine.await(v2, "n2")
        expect(result.state).toMatchObject({ approve: { ok: true }, invoice: "INV-200-EUR" })
        const signals = yield* b.engine.trace("n2")
        expect(signals.map((e) => e.step)).toContain("route/then/approval")
      }))

    it.scoped("a run suspended in a wait inside a loop's body goes on in the same iteration under the new body", () =>
      Effect.gen(function*() {
        executions = {}
        const Ping = Schema.Struct({ n: Schema.Number })
        const ping = Durable.waitForSignal("ping", Ping)
        const begin = step("begin", {}, { round: Schema.Number }, () => ({ round: 0 }))
        const tick1 = step("tick", { round: Schema.Number }, { round: Schema.Number }, ({ round }) => ({ round: round + 1 }), "tick1")
        const tick2 = step("tick", { round: Schema.Number, region: Schema.String }, { round: Schema.Number }, ({ round }) => ({ round: round + 1 }), "tick2")
        const body1 = Template.make({ name: "round", version: "1", steps: [ping, tick1] })
        const body2 = Template.make({ name: "round", version: "2", steps: [ping, tick2] })
        const loop1 = Flow.loop({ name: "rounds", requires: { round: Schema.Number }, while: ({ round }) => round < 3, body: body1, maxIterations: 5 })
        const loop2 = Flow.loop({ name: "rounds", requires: { round: Schema.Number }, while: ({ round }) => round < 3, body: body2, maxIterations: 5 })
        const v1 = Template.make({ name: "rounds", version: "1", steps: [begin, loop1] })
        const v2 = Template.make({ name: "rounds", version: "2", steps: [begin, loop2] })
        const m = Template.migration(v1, v2, (at) => [at(ping, ping, () => ({ region: "eu" }))])
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(v1, {}, { runId: "n3" })
        yield* awaitStatusIn(a.engine, "n3", "suspended")
        const first = (yield* a.engine.status("n3")).generation
        yield* a.engine.signal("n3", "ping", { n: 1 })
        const second = yield* suspendedAfter(a.engine, "n3", first)
        expect(second.waitingFor?.step).toBe("rounds/2/ping")
        const outcomes = yield* b.engine.migrate(m)
        expect(outcomes.map((o) => [o.result, o.from, o.to])).toEqual([["migrated", "rounds/2/ping", "rounds/2/ping"]])
        const moved = yield* b.engine.status("n3")
        yield* b.engine.resumeDue
        yield* suspendedAfter(b.engine, "n3", moved.generation)
        yield* b.engine.signal("n3", "ping", { n: 2 })
        yield* suspendedAfter(b.engine, "n3", (yield* b.engine.status("n3")).generation)
        yield* b.engine.signal("n3", "ping", { n: 3 })
        const result = yield* b.engine.await(v2, "n3")
        expect(result.state).toMatchObject({ round: 3, region: "eu", ping: { n: 3 } })
        // iteration 1 ran under v1; iteration 2 (where it crossed) and 3 under v2
        expect(executions).toEqual({ begin: 1, tick1: 1, tick2: 2 })
        const trace = (yield* b.engine.trace("n3")).map((e) => e.step)
        expect(trace).toEqual(["begin", "rounds/1/ping", "rounds/1/tick", "~migrate/8", "rounds/2/ping", "rounds/2/tick", "rounds/3/ping", "rounds/3/tick"])
      }))

    it.scoped("a run waiting in a sub-flow is migrated when its child run stays valid; otherwise it is reported 'subflow'", () =>
      Effect.gen(function*() {
        executions = {}
        const check = Template.make({ name: "check", version: "1", steps: [approve] })
        const check2 = Template.make({ name: "check", version: "2", steps: [approve] })
        const sub = Durable.subflow(check)
        const sub2 = Durable.subflow(check2)
        const done1 = step("done", { approve: Ok }, { done: Schema.String }, () => ({ done: "v1" }), "done1")
        const done2 = step("done", { approve: Ok, currency: Schema.String }, { done: Schema.String }, ({ currency }) => ({ done: currency }), "done2")
        const v1 = Template.make({ name: "parent", version: "1", steps: [quote, sub, done1] })
        const v2 = Template.make({ name: "parent", version: "2", steps: [quote, sub, done2] })
        const v3 = Template.make({ name: "parent", version: "3", steps: [quote, sub2, done2] })
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(v1, { sku: "abcd" }, { runId: "n4" })
        yield* awaitStatusIn(a.engine, "n4", "suspended")
        expect((yield* a.engine.status("n4")).waitingFor?.runId).toBe("n4/check")
        // the new sub-flow runs another version of the child's template: not migrated
        const other = yield* b.engine.migrate(Template.migration(v1, v3, (at) => [at(sub, sub2, () => ({ currency: "EUR" }))]))
        expect(other.map((o) => o.result)).toEqual(["subflow"])
        expect(other[0]!.detail).toContain("check@1")
        const outcomes = yield* b.engine.migrate(Template.migration(v1, v2, (at) => [at(sub, sub, () => ({ currency: "EUR" }))]))
        expect(outcomes.map((o) => [o.result, o.from, o.to])).toEqual([["migrated", "check", "check"]])
        const parent = yield* b.engine.status("n4")
        expect([parent.templateVersion, parent.status, parent.waitingFor?.runId]).toEqual(["2", "suspended", "n4/check"])
        expect((yield* b.engine.status("n4/check")).templateVersion).toBe("1")
        yield* b.engine.signal("n4/check", "approve", { ok: true })
        const result = yield* b.engine.await(v2, "n4")
        expect(result.state).toMatchObject({ done: "EUR", approve: { ok: true } })
        expect(executions).toEqual({ quote: 1, done2: 1 })
      }))

    it.scoped("a dry run reports a nested position the migration does not map, naming where the run stands", () =>
      Effect.gen(function*() {
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(order1, { sku: "abcd" }, { runId: "n5" })
        yield* awaitStatusIn(a.engine, "n5", "suspended")
        const partial = Template.migration(order1, order2, (at) => [at(ship, ship)])
        const outcomes = yield* b.engine.migrate(partial, { dryRun: true })
        expect(outcomes.map((o) => [o.result, o.detail])).toEqual([
          ["unmapped", `it stands at "route" in "route/then/approve", which the migration does not map`]
        ])
        expect((yield* b.engine.status("n5")).templateVersion).toBe("1")
      }))
  })
}
