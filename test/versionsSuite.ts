/**
 * The behaviour of issue 21 (runs that outlive their code) through the
 * engine, on any store: a run's state after any step, forks (with a patch,
 * onto a newer version), re-runs of failed runs, and migrations of stored
 * runs — suspended in a wait, or executing in another "process" (fenced).
 * `versionsSuite(name, store)` registers it for one store; `store` gives, per
 * test, a layer that several engines share (as processes share a database).
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Layer, Schema, TestClock } from "effect"
import type { Scope } from "effect"
import { Durable, Engine, Errors, SnapshotStore, Step, Template, Testing } from "weftjs"
import { awaitStatusIn, engineProcess } from "./support.js"

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0, stateTtl: Duration.infinity }

/** Executions of each step, by name (reset per test). */
let executions: Record<string, number> = {}
let failBill = false
const ran = (name: string) => {
  executions[name] = (executions[name] ?? 0) + 1
}

const quote = Step.make({
  name: "quote",
  requires: { sku: Schema.String },
  provides: { price: Schema.Number },
  run: ({ sku }) => Effect.sync(() => (ran("quote"), { price: sku.length * 10 }))
})
const discount = Step.make({
  name: "discount",
  requires: { price: Schema.Number },
  provides: { net: Schema.Number },
  run: ({ price }) => Effect.sync(() => (ran("discount"), { net: price - 5 }))
})
class Declined extends Schema.TaggedError<Declined>()("Declined", { reason: Schema.String }) {}
const bill = Step.make({
  name: "bill",
  requires: { net: Schema.Number },
  provides: { invoice: Schema.String },
  run: ({ net }) =>
    Effect.suspend(() => {
      ran("bill")
      return failBill ? Effect.fail(new Declined({ reason: "card" })) : Effect.succeed({ invoice: `INV-${net}` })
    })
})
const Approval = Schema.Struct({ ok: Schema.Boolean })
const approval = Durable.waitForSignal("approval", Approval, { timeout: "2 days" })
const billInCurrency = Step.make({
  name: "bill",
  requires: { net: Schema.Number, currency: Schema.String, approval: Approval },
  provides: { invoice: Schema.String },
  run: ({ currency, net }) => Effect.sync(() => (ran("bill2"), { invoice: `INV-${net}-${currency}` }))
})
const billApproved = Step.make({
  name: "bill",
  requires: { net: Schema.Number, approval: Approval },
  provides: { invoice: Schema.String },
  run: ({ net }) => Effect.sync(() => (ran("bill1"), { invoice: `INV-${net}` }))
})

/** Three plain steps. */
const order = Template.make({ name: "order", version: "1", steps: [quote, discount, bill] })
/** Version 1 waits for an approval before billing; version 2 bills in a currency. */
const approved1 = Template.make({ name: "approved", version: "1", steps: [quote, discount, approval, billApproved] })
const approved2 = Template.make({ name: "approved", version: "2", steps: [quote, discount, approval, billInCurrency] })
const upgrade = Template.migration(approved1, approved2, (at) => [
  at(approval, approval, () => ({ currency: "EUR" })),
  at(billApproved, billInCurrency, (state) => ({ currency: state.sku.startsWith("us") ? "USD" : "EUR" }))
])

export const versionsSuite = (
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

  describe(`runs that outlive their code: ${name}`, () => {
    it.scoped("stateAt: the state after each step, from the stored deltas; an unknown step is StepNotFound", () =>
      Effect.gen(function*() {
        executions = {}
        failBill = false
        const { a } = yield* twoProcesses
        yield* a.engine.run(order, { sku: "abcd" }, { runId: "o1" })
        expect(yield* a.engine.stateAt("o1", "quote", order)).toEqual({ sku: "abcd", price: 40 })
        expect(yield* a.engine.stateAt("o1", "discount")).toEqual({ sku: "abcd", price: 40, net: 35 })
        expect(yield* a.engine.stateAt("o1", "bill")).toEqual({ sku: "abcd", price: 40, net: 35, invoice: "INV-35" })
        const missing = yield* Effect.flip(a.engine.stateAt("o1", "ship"))
        expect(missing).toBeInstanceOf(Errors.StepNotFound)
        expect(executions).toEqual({ quote: 1, discount: 1, bill: 1 })
      }))

    it.scoped("fork after a step, with a patch: the steps before are not run again; lineage is recorded", () =>
      Effect.gen(function*() {
        executions = {}
        failBill = false
        const { a, b } = yield* twoProcesses
        yield* a.engine.run(order, { sku: "abcd" }, { runId: "o1" })
        const forkId = yield* b.engine.fork(order, "o1", { after: "discount", patch: { net: 100 }, runId: "o1-fork" })
        expect(forkId).toBe("o1-fork")
        const result = yield* b.engine.await(order, forkId)
        expect(result.state).toEqual({ sku: "abcd", price: 40, net: 100, invoice: "INV-100" })
        expect(executions).toEqual({ quote: 1, discount: 1, bill: 2 })
        const view = yield* b.engine.inspect(forkId, order)
        expect(view.lineage).toEqual([{ kind: "fork", from: "o1", step: "discount" }])
        // and in the run's record (columns), written with it: the original's forks are listed by it
        expect(view.run).toMatchObject({ forkedFrom: "o1", forkedAfter: "discount", migratedFrom: null })
        expect((yield* a.engine.list({ forkedFrom: "o1" })).map((run) => run.runId)).toEqual(["o1-fork"])
        expect((yield* a.engine.list({ forkedFrom: "o1-fork" }))).toEqual([])
        // the original is untouched
        expect((yield* a.engine.result(order, "o1")).state.invoice).toBe("INV-35")
      }))

    it.scoped("a fork's patch with an unknown key or a wrong type is InvalidPatch naming it, and nothing is recorded", () =>
      Effect.gen(function*() {
        executions = {}
        failBill = false
        const { a } = yield* twoProcesses
        yield* a.engine.run(order, { sku: "abcd" }, { runId: "o1" })
        const patch = { nett: 1, price: "ten" } as unknown as { readonly net: number }
        const error = yield* Effect.flip(a.engine.fork(order, "o1", { after: "quote", patch, runId: "bad" }))
        expect(error).toBeInstanceOf(Errors.InvalidPatch)
        expect(error.message).toContain("nett")
        expect(error.message).toContain("price")
        expect((yield* Effect.flip(a.engine.status("bad")))._tag).toBe("RunNotFound")
      }))

    it.scoped("rerun of a run that failed in another process: completed steps are not run again, the failure stays in the trace", () =>
      Effect.gen(function*() {
        executions = {}
        failBill = true
        const { a, b } = yield* twoProcesses
        const failed = yield* Effect.flip(a.engine.run(order, { sku: "abcd" }, { runId: "o2" }))
        expect(failed._tag).toBe("Declined")
        yield* a.stop
        failBill = false
        yield* b.engine.register(order)
        const generation = (yield* b.engine.status("o2")).generation
        yield* b.engine.rerun("o2")
        const result = yield* b.engine.await(order, "o2")
        expect(result.state).toEqual({ sku: "abcd", price: 40, net: 35, invoice: "INV-35" })
        expect(executions).toEqual({ quote: 1, discount: 1, bill: 2 })
        const trace = yield* b.engine.trace("o2")
        expect(trace.map((entry) => [entry.step, entry.status])).toEqual([
          ["quote", "completed"],
          ["discount", "completed"],
          ["bill", "failed"],
          ["bill", "completed"]
        ])
        const record = yield* b.engine.status("o2")
        expect([record.status, record.generation > generation]).toEqual(["completed", true])
        // a completed run is not re-run
        expect((yield* Effect.flip(b.engine.rerun("o2")))._tag).toBe("RunNotResumable")
      }))

    it.scoped("Testing.replayStep: one step of a stored run, on the state it started from, in isolation", () =>
      Effect.gen(function*() {
        executions = {}
        failBill = true
        const { a } = yield* twoProcesses
        yield* Effect.flip(a.engine.run(order, { sku: "abcd" }, { runId: "o4" }))
        const replay = Testing.replayStep(order, "o4", "bill", { settings: { maxRetries: 0 } }).pipe(Effect.provideService(Engine.Engine, a.engine))
        // the production failure, reproduced
        expect(yield* Effect.flip(replay)).toBeInstanceOf(Declined)
        failBill = false
        expect(yield* replay).toEqual({ invoice: "INV-35" })
        expect(executions).toEqual({ quote: 1, discount: 1, bill: 3 })
        // nothing was written to the run
        expect((yield* a.engine.trace("o4")).length).toBe(3)
        const unknown = yield* Effect.flip(Testing.replayStep(order, "o4", "ship").pipe(Effect.provideService(Engine.Engine, a.engine)))
        expect(unknown).toBeInstanceOf(Errors.StepNotFound)
      }))

    it.scoped("migrating a run suspended in a wait: it goes on under v2 at the mapped wait, keeps its deadline, gets its signal", () =>
      Effect.gen(function*() {
        executions = {}
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(approved1, { sku: "abcd" }, { runId: "w1" })
        yield* awaitStatusIn(a.engine, "w1", "suspended")
        const deadline = (yield* a.engine.status("w1")).wakeAt
        // a dry run writes nothing
        const dry = yield* b.engine.migrate(upgrade, { dryRun: true })
        expect(dry.map((o) => [o.runId, o.result, o.from, o.to])).toEqual([["w1", "migrated", "approval", "approval"]])
        expect((yield* b.engine.status("w1")).templateVersion).toBe("1")
        const outcomes = yield* b.engine.migrate(upgrade, { status: "suspended" })
        expect(outcomes.map((o) => o.result)).toEqual(["migrated"])
        const run = yield* b.engine.status("w1")
        expect([run.templateVersion, run.status, run.waitingFor?.step]).toEqual(["2", "suspended", "approval"])
        // taken up by the engine that knows v2, it waits again, until the same deadline
        const migrated = run.generation
        yield* b.engine.resumeDue
        let again = yield* b.engine.status("w1")
        for (let i = 0; i < 200 && !(again.generation > migrated && again.status === "suspended"); i++) {
          yield* awaitStatusIn(b.engine, "w1", "suspended")
          again = yield* b.engine.status("w1")
        }
        expect([again.generation > migrated, again.wakeAt]).toEqual([true, deadline])
        yield* b.engine.signal("w1", "approval", { ok: true })
        const result = yield* b.engine.await(approved2, "w1")
        expect(result.state.invoice).toBe("INV-35-EUR")
        expect(executions).toEqual({ quote: 1, discount: 1, bill2: 1 })
        const trace = yield* b.engine.trace("w1")
        expect(trace.map((e) => e.step)).toEqual(["quote", "discount", "~migrate/4", "approval", "bill"])
        expect(trace[2]!.name).toBe("migrated approved@1 → approved@2 at approval → approval")
        const view = yield* b.engine.inspect("w1", approved2)
        expect(view.lineage).toEqual([
          { kind: "migration", from: "approved@1", to: "approved@2", fromStep: "approval", toStep: "approval", seq: 4 }
        ])
        expect(view.run).toMatchObject({ forkedFrom: null, migratedFrom: "approved@1" })
      }))

    it.scoped("a signal sent before the migration (kept pending) is delivered to the mapped wait", () =>
      Effect.gen(function*() {
        executions = {}
        const started = yield* Deferred.make<void>()
        let block = true
        const gated = Step.make({
          name: "quote",
          requires: { sku: Schema.String },
          provides: { price: Schema.Number },
          run: ({ sku }) =>
            block
              ? Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)
              : Effect.succeed({ price: sku.length * 10 })
        })
        const v1 = Template.make({ name: "gated", version: "1", steps: [gated, discount, approval, billApproved] })
        const v2 = Template.make({ name: "gated", version: "2", steps: [gated, discount, approval, billInCurrency] })
        const m = Template.migration(v1, v2, (at) => [at(gated, gated, () => ({ currency: "EUR" }))])
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(v1, { sku: "abcd" }, { runId: "w2" })
        yield* Deferred.await(started)
        // the signal comes before the run reaches its wait: it is kept
        yield* a.engine.signal("w2", "approval", { ok: true })
        yield* a.stop
        block = false
        yield* TestClock.adjust("1 minute")
        const outcomes = yield* b.engine.migrate(m)
        expect(outcomes.map((o) => [o.result, o.from, o.to])).toEqual([["migrated", "quote", "quote"]])
        yield* b.engine.resumeDue
        const result = yield* b.engine.await(v2, "w2")
        expect(result.state.approval).toEqual({ ok: true })
        expect(result.state.invoice).toBe("INV-35-EUR")
      }))

    it.scoped("a run executing in another process is not migrated (held); once that process is gone, it is", () =>
      Effect.gen(function*() {
        executions = {}
        const started = yield* Deferred.make<void>()
        const slow = Step.make({
          name: "quote",
          requires: { sku: Schema.String },
          provides: { price: Schema.Number },
          run: () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.never)
        })
        const v1 = Template.make({ name: "slow", version: "1", steps: [slow, discount, bill] })
        const v2 = Template.make({ name: "slow", version: "2", steps: [slow, discount, billApproved] })
        const m = Template.migration(v1, v2, (at) => [at(slow, slow, () => ({ approval: { ok: true } }))])
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(v1, { sku: "abcd" }, { runId: "busy" })
        yield* Deferred.await(started)
        const held = yield* b.engine.migrate(m)
        expect(held.map((o) => o.result)).toEqual(["held"])
        expect((yield* b.engine.status("busy")).templateVersion).toBe("1")
        // the process dies; its lease runs out
        yield* a.stop
        yield* TestClock.adjust("1 minute")
        const moved = yield* b.engine.migrate(m)
        expect(moved.map((o) => [o.result, o.from, o.to])).toEqual([["migrated", "quote", "quote"]])
        const run = yield* b.engine.status("busy")
        expect([run.templateVersion, run.owner]).toEqual(["2", null])
      }))

    it.scoped("a run sleeping in a process that died is migrated at its sleep, and sleeps only what remained", () =>
      Effect.gen(function*() {
        executions = {}
        const nap = Durable.sleep("nap", "1 hour")
        const v1 = Template.make({ name: "napping", version: "1", steps: [quote, discount, nap, bill] })
        const v2 = Template.make({ name: "napping", version: "2", steps: [quote, discount, nap, billApproved] })
        const m = Template.migration(v1, v2, (at) => [at(nap, nap, () => ({ approval: { ok: true } }))])
        failBill = false
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(v1, { sku: "abcd" }, { runId: "n1" })
        yield* TestClock.adjust("1 second")
        const held = yield* b.engine.migrate(m)
        expect(held.map((o) => [o.result, o.from])).toEqual([["held", "nap"]])
        yield* TestClock.adjust("20 minutes")
        // the process dies 20 minutes into its sleep; its lease runs out
        yield* a.stop
        yield* TestClock.adjust("1 minute")
        const moved = yield* b.engine.migrate(m)
        expect(moved.map((o) => [o.result, o.from, o.to])).toEqual([["migrated", "nap", "nap"]])
        yield* b.engine.resumeDue
        yield* TestClock.adjust("38 minutes")
        expect((yield* b.engine.status("n1")).status).toBe("running")
        yield* TestClock.adjust("1 minute")
        const result = yield* b.engine.await(v2, "n1")
        expect(result.state.invoice).toBe("INV-35")
        expect(executions).toEqual({ quote: 1, discount: 1, bill1: 1 })
      }))

    it.scoped("positions the migration does not map are reported, and those runs stay on the old version", () =>
      Effect.gen(function*() {
        const { a, b } = yield* twoProcesses
        const partial = Template.migration(approved1, approved2, (at) => [at(billApproved, billInCurrency, () => ({ currency: "EUR" }))])
        yield* a.engine.start(approved1, { sku: "abcd" }, { runId: "w3" })
        yield* awaitStatusIn(a.engine, "w3", "suspended")
        const outcomes = yield* b.engine.migrate(partial)
        expect(outcomes.map((o) => [o.result, o.detail])).toEqual([
          ["unmapped", `it stands at "approval", which the migration does not map`]
        ])
        expect((yield* b.engine.status("w3")).templateVersion).toBe("1")
      }))

    it.scoped("fork onto v2 with a patch: the fork goes on under the new version from the mapped position", () =>
      Effect.gen(function*() {
        executions = {}
        const { a, b } = yield* twoProcesses
        yield* a.engine.start(approved1, { sku: "abcd" }, { runId: "w4" })
        yield* awaitStatusIn(a.engine, "w4", "suspended")
        yield* a.engine.signal("w4", "approval", { ok: false })
        yield* a.engine.await(approved1, "w4")
        const forkId = yield* b.engine.fork(approved1, "w4", {
          after: "approval",
          patch: { approval: { ok: true } },
          migration: upgrade,
          runId: "w4-v2"
        })
        const result = yield* b.engine.await(approved2, forkId)
        expect(result.state.approval).toEqual({ ok: true })
        expect(result.state.invoice).toBe("INV-35-EUR")
        expect((yield* b.engine.status(forkId)).templateVersion).toBe("2")
        expect(executions).toEqual({ quote: 1, discount: 1, bill1: 1, bill2: 1 })
        const view = yield* b.engine.inspect(forkId, approved2)
        expect(view.lineage.map((l) => l.kind)).toEqual(["migration", "fork"])
        expect(view.run).toMatchObject({ forkedFrom: "w4", forkedAfter: "approval", migratedFrom: "approved@1" })
      }))

    it.scoped("rerun under a newer version through a migration", () =>
      Effect.gen(function*() {
        executions = {}
        failBill = true
        const { a } = yield* twoProcesses
        yield* Effect.flip(a.engine.run(order, { sku: "abcd" }, { runId: "o3" }))
        failBill = false
        const fixedBill = Step.make({
          name: "bill",
          requires: { net: Schema.Number },
          provides: { invoice: Schema.String },
          run: ({ net }) => Effect.sync(() => (ran("fixed"), { invoice: `FIXED-${net}` }))
        })
        const order2 = Template.make({ name: "order", version: "2", steps: [quote, discount, fixedBill] })
        const fix = Template.migration(order, order2, (at) => [at(bill, fixedBill)])
        yield* a.engine.rerun("o3", { migration: fix })
        const result = yield* a.engine.await(order2, "o3")
        expect(result.state.invoice).toBe("FIXED-35")
        expect(executions).toEqual({ quote: 1, discount: 1, bill: 1, fixed: 1 })
      }))
  })
}

/** A memory store shared by the engines of one test. */
export const sharedMemory = Effect.map(SnapshotStore.makeMemory, (store) => Layer.succeed(SnapshotStore.SnapshotStore, store))
