/**
 * A worker claims only as many runs of a queue as it has free slots for
 * (issue 18, item 2): with several workers and a backlog of signalled runs,
 * no worker holds more runs of a queue than its limit — the runs it has no
 * room for stay in the store, due, for a worker with room. It used to claim
 * every run signalled through it (and every run whose deadline came), which
 * then waited inside it for a slot. Two worker engines and a client over one
 * in-memory store, on fake time.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Schema, TestClock } from "effect"
import { Durable, SnapshotStore, Step, Template, Worker } from "weftjs"
import { awaitStatusIn, engineProcess } from "../support.js"

const Go = Schema.Struct({ n: Schema.Number })

/** Waits for `go` (with no deadline, or one a minute away), then works until the gate opens. */
const gated = (gate: Deferred.Deferred<void>, wait: "signal" | "deadline") =>
  Template.make({
    name: `gated_${wait}`,
    version: "1",
    steps: [
      wait === "signal" ? Durable.waitForSignal("go", Go) : Durable.waitForSignal("go", Go, { timeout: "1 minute", default: { n: 0 } }),
      Step.make({ name: "work", requires: {}, provides: { done: Schema.Boolean }, run: () => Effect.as(Deferred.await(gate), { done: true }) })
    ]
  })

const runIds = Array.from({ length: 6 }, (_, i) => `run-${i}`)

/** How many runs each engine holds `running`, by owner. */
const heldByOwner = (store: SnapshotStore.Service) =>
  Effect.map(store.list({ status: "running" }), (running) => {
    const by = new Map<string, number>()
    for (const run of running) if (run.owner !== null) by.set(run.owner, (by.get(run.owner) ?? 0) + 1)
    return Array.from(by.values()).sort()
  })

/** Six runs of `orders`, all suspended by the first worker (limit 2): the backlog. */
const backlog = (wait: "signal" | "deadline") =>
  Effect.gen(function*() {
    const store = yield* SnapshotStore.makeMemory
    const shared = Layer.succeed(SnapshotStore.SnapshotStore, store)
    const gate = yield* Deferred.make<void>()
    const flow = gated(gate, wait)
    const settings = { recovery: false }
    const first = yield* engineProcess(shared, settings, Worker.layer({ queues: { orders: 2 } }))
    const client = yield* engineProcess(shared, settings)
    yield* first.engine.register(flow)
    for (const runId of runIds) yield* client.engine.start(flow, {}, { runId, queue: "orders" })
    // the worker may have looked before the last runs were stored (a start lets the event loop turn when
    // it is overdue): it looks again now, as its next poll would
    yield* first.engine.resumeDue
    for (const runId of runIds) yield* awaitStatusIn(first.engine, runId, "suspended")
    const second = yield* engineProcess(shared, settings, Worker.layer({ queues: { orders: 2 } }))
    yield* second.engine.register(flow)
    return { store, gate, first, second }
  })

describe("a worker's claims stay within its queue's limit (issue 18.2)", () => {
  it.effect("runs signalled through a worker: it takes what it has room for, another worker the next", () =>
    Effect.gen(function*() {
      const { first, gate, second, store } = yield* backlog("signal")
      // a backlog of signals, sent through the first worker (its HTTP API, say)
      for (const [n, runId] of runIds.entries()) yield* first.engine.signal(runId, "go", { n })
      yield* Effect.yieldNow()
      // the second worker looks (its poll)
      yield* second.engine.resumeDue
      expect(yield* heldByOwner(store)).toEqual([2, 2])
      expect((yield* store.list({ status: "suspended" })).length).toBe(2)
      yield* Deferred.succeed(gate, undefined)
      // the rest follow as slots free: the workers look again when one of their runs ends
      for (const runId of runIds) yield* awaitStatusIn(first.engine, runId, "completed")
    }))

  it.effect("runs whose deadline comes in the worker that suspended them: it takes what it has room for", () =>
    Effect.gen(function*() {
      const { first, gate, store } = yield* backlog("deadline")
      yield* TestClock.adjust("2 minutes")
      for (let i = 0; i < 100; i++) yield* Effect.yieldNow()
      // the first worker holds 2 (its limit); the second, which looks every 10 minutes, has not looked yet
      expect(yield* heldByOwner(store)).toEqual([2])
      expect((yield* store.list({ status: "suspended" })).length).toBe(4)
      yield* Deferred.succeed(gate, undefined)
      for (const runId of runIds) yield* awaitStatusIn(first.engine, runId, "completed")
    }))
})
