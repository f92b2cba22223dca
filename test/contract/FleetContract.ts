/**
 * The contract of the fleet operations every `SnapshotStore` passes
 * (memory, SQLite, PostgreSQL): search attributes (recorded with a run and
 * by its checkpoints, fenced; `list({ where, runIdPrefix })` with a cursor)
 * and the run history (claims, hand-backs, suspensions, cancellations).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import type { RunRecord } from "../../src/SnapshotStore.js"
import { SnapshotStore } from "../../src/SnapshotStore.js"
import { newRun, stepRecord, storedState, t0 } from "./SnapshotStoreContract.js"

const owner = "engine-a"
const other = "engine-b"
const ids = (records: ReadonlyArray<RunRecord>) => records.map((r) => r.runId)

/** Registers the fleet contract tests for one implementation (a fresh, empty store per test). */
export const fleetSuite = <E>(name: string, layer: Layer.Layer<SnapshotStore, E>): void => {
  describe(`SnapshotStore fleet contract: ${name}`, () => {
    it.effect("search attributes: recorded with the run, changed by checkpoints, removed, filtered and paged", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        for (let i = 0; i < 6; i++) {
          yield* s.createRun(
            newRun(`order-${i}`, { createdAt: t0 + i, search: { orderId: 4700 + i, customer: i % 2 === 0 ? "ada" : "bob" } }),
            storedState({}),
            null
          )
        }
        const lease = (yield* s.createRun(newRun("other-1", { createdAt: t0 + 10 }), storedState({}), {
          owner,
          leaseUntil: t0 + 60_000
        }))!
        expect(yield* s.searchAttributes("order-3")).toEqual({ customer: "bob", orderId: 4703 })
        expect(yield* s.searchAttributes("other-1")).toEqual({})
        expect(yield* s.searchAttributes("missing")).toEqual({})

        // a checkpoint sets and removes attributes, in its own write
        yield* s.appendStep(stepRecord("other-1", 1), lease, undefined, { orderId: 4711, amount: 120.5, customer: "ada" })
        yield* s.appendStep(stepRecord("other-1", 2), lease, undefined, { customer: null })
        expect(yield* s.searchAttributes("other-1")).toEqual({ amount: 120.5, orderId: 4711 })

        // a refused (fenced) checkpoint changes no attribute
        const stale = { owner: other, generation: lease.generation + 5 }
        const refused = yield* Effect.flip(s.appendStep(stepRecord("other-1", 3), stale, undefined, { orderId: 1 }))
        expect(refused._tag).toBe("LeaseLost")
        expect((yield* s.searchAttributes("other-1")).orderId).toBe(4711)

        expect(ids(yield* s.list({ where: [{ key: "orderId", op: "=", value: 4711 }] }))).toEqual(["other-1"])
        expect(ids(yield* s.list({ where: [{ key: "orderId", op: ">=", value: 4704 }] }))).toEqual([
          "other-1",
          "order-5",
          "order-4"
        ])
        expect(
          ids(yield* s.list({ where: [{ key: "customer", op: "=", value: "ada" }, { key: "orderId", op: "<", value: 4703 }] }))
        ).toEqual(["order-2", "order-0"])
        expect(ids(yield* s.list({ where: [{ key: "customer", op: "!=", value: "ada" }] }))).toEqual([
          "order-5",
          "order-3",
          "order-1"
        ])
        // a number never equals a string
        expect(ids(yield* s.list({ where: [{ key: "orderId", op: "=", value: "4711" }] }))).toEqual([])
        expect(ids(yield* s.list({ where: [{ key: "amount", op: ">", value: 100 }] }))).toEqual(["other-1"])

        // paged with the cursor
        const first = yield* s.list({ where: [{ key: "orderId", op: ">", value: 0 }], limit: 4 })
        expect(ids(first)).toEqual(["other-1", "order-5", "order-4", "order-3"])
        const last = first[first.length - 1]!
        const next = yield* s.list({
          where: [{ key: "orderId", op: ">", value: 0 }],
          limit: 4,
          after: { createdAt: last.createdAt, runId: last.runId }
        })
        expect(ids(next)).toEqual(["order-2", "order-1", "order-0"])

        // run-id prefix and time range
        expect(ids(yield* s.list({ runIdPrefix: "order-" , createdAfter: t0 + 2, createdBefore: t0 + 5 }))).toEqual([
          "order-4",
          "order-3",
          "order-2"
        ])
        expect(ids(yield* s.list({ runIdPrefix: "oth" }))).toEqual(["other-1"])
        expect(ids(yield* s.list({ runIdPrefix: "order_" }))).toEqual([])
        expect(ids(yield* s.list({ runIdPrefix: "" }))).toHaveLength(7)
      }).pipe(Effect.provide(layer)))

    it.effect("attribute names and text values read back exactly (quotes, unicode)", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const search = { "näme \"q\"": "l'été 🌍", "a%b_c": "100%" }
        yield* s.createRun(newRun("odd"), storedState({}), null)
        yield* s.createRun(newRun("odd-2", { search }), storedState({}), null)
        expect(yield* s.searchAttributes("odd-2")).toEqual(search)
        expect(ids(yield* s.list({ where: [{ key: "näme \"q\"", op: "=", value: "l'été 🌍" }] }))).toEqual(["odd-2"])
        expect(ids(yield* s.list({ where: [{ key: "a%b_c", op: "=", value: "100%" }] }))).toEqual(["odd-2"])
        expect(ids(yield* s.list({ runIdPrefix: "odd-" }))).toEqual(["odd-2"])
      }).pipe(Effect.provide(layer)))

    it.effect("history: claims, hand-backs, suspensions, recoveries and cancellations, oldest first", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(newRun("h1"), storedState({}), null)
        expect(yield* s.history("h1")).toEqual([])
        const claimed = yield* s.claim("h1", owner, t0 + 1, t0 + 60_000)
        if (!claimed.claimed) throw new Error("not claimed")
        yield* s.appendStep(stepRecord("h1", 1), claimed.lease)
        yield* s.pause("h1", claimed.lease, { _tag: "Release" }, { updatedAt: t0 + 2000, elapsedMillis: 5 })
        const again = yield* s.claim("h1", other, t0 + 3000, t0 + 90_000)
        if (!again.claimed) throw new Error("not claimed")
        yield* s.pause("h1", again.lease, {
          _tag: "Suspend",
          wakeAt: t0 + 10_000,
          waitingFor: { runId: "h1", step: "flow/approve", signal: "approve" }
        }, { updatedAt: t0 + 4000, elapsedMillis: 5 })
        const woken = yield* s.claimNext(owner, t0 + 20_000, t0 + 80_000, {
          templates: [{ name: "order_processing", version: "1.0.0" }],
          limit: 5
        })
        expect(woken).toHaveLength(1)
        // the lease passes: another engine recovers the run
        const recovered = yield* s.claim("h1", other, t0 + 200_000, t0 + 260_000)
        expect(recovered.claimed).toBe(true)
        yield* s.cancel("h1", t0 + 210_000, null)
        const history = yield* s.history("h1")
        expect(history.map((h) => [h.kind, h.statusFrom, h.statusTo, h.ownerFrom, h.ownerTo, h.generation])).toEqual([
          ["claimed", "queued", "running", null, owner, 1],
          ["released", "running", "running", owner, null, 1],
          ["claimed", "running", "running", null, other, 2],
          ["suspended", "running", "suspended", other, null, 2],
          ["claimed", "suspended", "running", null, owner, 3],
          ["claimed", "running", "running", owner, other, 4],
          ["cancelled", "running", "cancelled", other, null, 4]
        ])
        const suspended = history[3]!
        expect([suspended.at, suspended.wakeAt, JSON.parse(suspended.detail!)]).toEqual([
          t0 + 4000,
          t0 + 10_000,
          { runId: "h1", step: "flow/approve", signal: "approve" }
        ])
        expect(history.every((h) => h.runId === "h1")).toBe(true)
      }).pipe(Effect.provide(layer)))

    it.effect("history: a pause and an unpause are changes of status, at the time they were asked", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(newRun("hp", { queue: "q" }), storedState({}), null)
        expect((yield* s.pauseRun("hp", t0 + 100))._tag).toBe("Paused")
        expect((yield* s.unpauseRun("hp", t0 + 200))._tag).toBe("Unpaused")
        expect((yield* s.history("hp")).map((h) => [h.kind, h.at, h.statusFrom, h.statusTo])).toEqual([
          ["status", t0 + 100, "queued", "paused"],
          ["status", t0 + 200, "paused", "queued"]
        ])
      }).pipe(Effect.provide(layer)))

    it.effect("history: a run created claimed is claimed by its creator; a checkpoint, a heartbeat and an end add nothing", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = (yield* s.createRun(newRun("h2"), storedState({}), { owner, leaseUntil: t0 + 60_000 }))!
        const started = [{
          runId: "h2",
          at: t0,
          kind: "claimed",
          statusFrom: null,
          statusTo: "running",
          ownerFrom: null,
          ownerTo: owner,
          generation: 1,
          wakeAt: null,
          detail: null
        }]
        expect(yield* s.history("h2")).toEqual(started)
        yield* s.appendStep(stepRecord("h2", 1), lease, undefined, { k: 2 })
        expect(yield* s.searchAttributes("h2")).toEqual({ k: 2 })
        yield* s.heartbeat(owner, t0 + 120_000)
        yield* s.finish("h2", lease, { status: "completed", error: null, expiresAt: t0 }, { updatedAt: t0 + 5, elapsedMillis: 1 })
        expect(yield* s.history("h2")).toEqual(started)
        // collected with the run; an active run keeps its own
        yield* s.createRun(newRun("h3", { search: { k: 1 } }), storedState({}), null)
        expect(yield* s.collectExpired(t0 + 1)).toBe(1)
        expect(yield* s.searchAttributes("h2")).toEqual({})
        expect(yield* s.searchAttributes("h3")).toEqual({ k: 1 })
      }).pipe(Effect.provide(layer)))
  })
}

/** Registers the contract tests of workers, queue statistics and step samples (a fresh store per test). */
export const workersSuite = <E>(name: string, layer: Layer.Layer<SnapshotStore, E>): void => {
  describe(`SnapshotStore workers and queues: ${name}`, () => {
    it.effect("workers record themselves; runs in hand counted; a dead worker without runs is forgotten", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const worker = {
          workerId: owner,
          host: "box-1",
          pid: 4242,
          queues: { orders: 5, default: 10 },
          startedAt: t0,
          heartbeatAt: t0,
          leaseUntil: t0 + 30_000,
          stoppedAt: null
        }
        yield* s.recordWorker(worker)
        yield* s.recordWorker({ ...worker, workerId: other, host: "box-2", startedAt: t0 + 1, leaseUntil: t0 + 5_000 })
        yield* s.createRun(newRun("w1"), storedState({}), { owner, leaseUntil: t0 + 30_000 })
        yield* s.createRun(newRun("w2"), storedState({}), { owner, leaseUntil: t0 + 30_000 })
        yield* s.createRun(newRun("w3", { queue: "orders", createdAt: t0 + 7 }), storedState({}), null)
        yield* s.createRun(newRun("w4", { queue: "orders", createdAt: t0 + 3 }), storedState({}), null)
        // a beat
        yield* s.recordWorker({ ...worker, heartbeatAt: t0 + 10_000, leaseUntil: t0 + 40_000 })
        const listed = yield* s.workers()
        expect(listed.map((w) => [w.workerId, w.host, w.pid, w.queues, w.heartbeatAt, w.runsInHand])).toEqual([
          [owner, "box-1", 4242, { orders: 5, default: 10 }, t0 + 10_000, 2],
          [other, "box-2", 4242, { orders: 5, default: 10 }, t0, 0]
        ])
        // the other's lease passed and it holds nothing: forgotten; the first stays
        expect((yield* s.workers(t0 + 20_000)).map((w) => w.workerId)).toEqual([owner])
        expect(yield* s.queueStats).toEqual([
          { queue: "default", queued: 0, running: 2, suspended: 0, oldestQueuedAt: null },
          { queue: "orders", queued: 2, running: 0, suspended: 0, oldestQueuedAt: t0 + 3 }
        ])
      }).pipe(Effect.provide(layer)))

    it.effect("stepSample: the steps of runs created in a window, with their template and error tag", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = (yield* s.createRun(newRun("m1", { createdAt: t0 + 10 }), storedState({}), { owner, leaseUntil: t0 + 60_000 }))!
        yield* s.appendStep(stepRecord("m1", 1, { attempts: 3 }), lease)
        yield* s.appendStep(stepRecord("m1", 2, { status: "failed", error: { tag: "StepTimeout", message: "slow" } }), lease)
        yield* s.createRun(newRun("m0", { createdAt: t0 - 10 }), storedState({}), null)
        const sample = yield* s.stepSample(t0, t0 + 100, 100)
        expect(sample.map((x) => [x.templateName, x.stepName, x.status, x.attempts, x.endedAt - x.startedAt, x.errorTag])).toEqual([
          ["order_processing", "s1", "completed", 3, 500, null],
          ["order_processing", "s2", "failed", 1, 500, "StepTimeout"]
        ])
        expect(yield* s.stepSample(t0, t0 + 100, 1)).toHaveLength(1)
        expect(yield* s.stepSample(t0 + 100, t0 + 200, 100)).toEqual([])
      }).pipe(Effect.provide(layer)))
  })
}
