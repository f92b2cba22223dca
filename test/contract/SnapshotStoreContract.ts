/**
 * The contract every `SnapshotStore` implementation passes (memory, SQLite,
 * PostgreSQL). Each test gets a fresh, empty store: the layer is built anew
 * for every test.
 *
 *   suite("memory", SnapshotStore.layerMemory)
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Exit, Layer, Option } from "effect"
import * as fc from "fast-check"
import type {
  Lease,
  NewRun,
  RunFilter,
  RunRecord,
  StateDelta,
  StepRecord,
  StoredState
} from "../../src/SnapshotStore.js"
import { SnapshotStore } from "../../src/SnapshotStore.js"
import { lineageSuite } from "./LineageContract.js"
import { triggersSuite } from "./TriggersContract.js"

export const t0 = 1_700_000_000_000
const lease60 = t0 + 60_000

/** A new run with sensible defaults. */
export const newRun = (runId: string, overrides: Partial<NewRun> = {}): NewRun => ({
  runId,
  templateName: "order_processing",
  templateVersion: "1.0.0",
  createdAt: t0,
  timeoutMillis: 300_000,
  parentId: null,
  rootId: overrides.parentId === undefined || overrides.parentId === null ? runId : overrides.rootId ?? runId,
  queue: "default",
  traceContext: null,
  ...overrides
})

/** A stored state whose entries hold the given (encoded) values. */
export const storedState = (values: Record<string, unknown>, at = t0): StoredState => ({
  entries: Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, { value, writtenAt: at, expiresAt: null }])
  ),
  createdAt: t0,
  updatedAt: at
})

const delta = (set: Record<string, unknown>, unset: ReadonlyArray<string> = [], at = t0): StateDelta => ({
  set: Object.fromEntries(
    Object.entries(set).map(([key, value]) => [key, { value, writtenAt: at, expiresAt: at + 60_000 }])
  ),
  unset
})

/** A step record with sensible defaults. */
export const stepRecord = (runId: string, seq: number, overrides: Partial<StepRecord> = {}): StepRecord => ({
  runId,
  seq,
  stepKey: `flow/s${seq}`,
  stepName: `s${seq}`,
  status: "completed",
  attempts: 1,
  startedAt: t0 + seq * 1000,
  endedAt: t0 + seq * 1000 + 500,
  delta: delta({ [`k${seq}`]: seq }, [], t0 + seq * 1000 + 500),
  error: null,
  idempotencyKey: `${runId}/flow/s${seq}`,
  ...overrides
})

const owner = "engine-a"
const other = "engine-b"

/**
 * Registers the contract tests for one implementation. `layer` is built
 * afresh for each test, so it must give an empty store every time.
 */
export const suite = <E>(name: string, layer: Layer.Layer<SnapshotStore, E>): void => {
  /** Creates a run claimed by `owner` and returns its lease. */
  const started = (runId: string, overrides: Partial<NewRun> = {}, state: StoredState = storedState({})) =>
    Effect.flatMap(SnapshotStore, (s) =>
      Effect.map(s.createRun(newRun(runId, overrides), state, { owner, leaseUntil: lease60 }), (lease) => lease!))
  const get = (runId: string) => Effect.map(Effect.flatMap(SnapshotStore, (s) => s.getRun(runId)), Option.getOrThrow)
  const ids = (records: ReadonlyArray<RunRecord>) => records.map((r) => r.runId)

  describe(`SnapshotStore contract: ${name}`, () => {
    // -------------------------------------------------------------------------
    // records and state
    // -------------------------------------------------------------------------

    it.effect("createRun records a claimed run (generation 1) or a queued one, with every field", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* s.createRun(
          newRun("r1", { timeoutMillis: 600_000, queue: "orders", traceContext: "00-abc-def-01", templateFingerprint: "f1a2" }),
          storedState({ n: 1 }),
          { owner, leaseUntil: lease60 }
        )
        expect(lease).toEqual({ owner, generation: 1 })
        const queued = yield* s.createRun(newRun("r2"), storedState({}), null)
        expect(queued).toBeNull()
        const r1 = yield* get("r1")
        expect(r1).toEqual({
          runId: "r1",
          templateName: "order_processing",
          templateVersion: "1.0.0",
          status: "running",
          seq: 0,
          createdAt: t0,
          updatedAt: t0,
          expiresAt: null,
          error: null,
          timeoutMillis: 600_000,
          elapsedMillis: 0,
          wakeAt: null,
          waitingFor: null,
          parentId: null,
          rootId: "r1",
          queue: "orders",
          owner,
          leaseUntil: lease60,
          generation: 1,
          traceContext: "00-abc-def-01",
          templateFingerprint: "f1a2",
          priority: 0,
          recoveryAttempts: 0,
          pausedFrom: null,
          triggeredBy: null,
          forkedFrom: null,
          forkedAfter: null,
          migratedFrom: null
        } satisfies RunRecord)
        const r2 = yield* get("r2")
        expect([r2.status, r2.owner, r2.leaseUntil, r2.generation, r2.templateFingerprint]).toEqual(["queued", null, null, 0, null])
      }).pipe(Effect.provide(layer)))

    it.effect("a duplicate run id is a PersistenceError of reason duplicate, and the first run is untouched", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* started("dup", {}, storedState({ a: 1 }))
        const error = yield* Effect.flip(s.createRun(newRun("dup", { templateName: "other" }), storedState({ a: 2 }), null))
        expect(error._tag).toBe("PersistenceError")
        expect(error.reason).toBe("duplicate")
        expect(error.message).toContain("dup")
        const loaded = Option.getOrThrow(yield* s.load("dup"))
        expect(loaded.run.templateName).toBe("order_processing")
        expect(loaded.snapshot.entries.a?.value).toBe(1)
      }).pipe(Effect.provide(layer)))

    it.effect("load round-trips nested JSON state and an unknown run loads as none", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const state: StoredState = {
          entries: {
            order: {
              value: { id: "o-1", lines: [{ sku: "a", qty: 2, tags: ["x", "y"] }, { sku: "b", qty: 0.5, tags: [] }] },
              writtenAt: t0,
              expiresAt: t0 + 3_600_000
            },
            note: { value: null, writtenAt: t0, expiresAt: null },
            flag: { value: false, writtenAt: t0 + 1, expiresAt: null },
            text: { value: "quotes ' \" and unicode ✓ — 数据 \u0000 nul", writtenAt: t0, expiresAt: null },
            nested: { value: { a: { b: { c: [1, [2, [3, { d: null }]]] } } }, writtenAt: t0, expiresAt: null },
            empty: { value: {}, writtenAt: t0, expiresAt: null },
            big: { value: 2 ** 53 - 1, writtenAt: t0, expiresAt: null },
            tiny: { value: 5e-324, writtenAt: t0, expiresAt: null }
          },
          createdAt: t0,
          updatedAt: t0 + 1
        }
        yield* started("r1", {}, state)
        const loaded = Option.getOrThrow(yield* s.load("r1"))
        expect(loaded.snapshot).toEqual(state)
        expect(loaded.snapshotSeq).toBe(0)
        expect(loaded.stepsAfterSnapshot).toEqual([])
        expect(loaded.completedStepKeys).toEqual([])
        expect(Option.isNone(yield* s.load("nope"))).toBe(true)
        expect(Option.isNone(yield* s.getRun("nope"))).toBe(true)
        expect(yield* s.steps("nope")).toEqual([])
        expect(yield* s.signals("nope")).toEqual([])
      }).pipe(Effect.provide(layer)))

    it.effect("endedRuns: of many ids at once, the records of the runs that ended and the ids of none", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const done = yield* started("done")
        yield* s.finish("done", done, { status: "completed", error: null, expiresAt: null }, { updatedAt: t0 + 1, elapsedMillis: 1 })
        const broken = yield* started("broken")
        yield* s.finish("broken", broken, { status: "failed", error: { tag: "X", message: "x" }, expiresAt: null }, {
          updatedAt: t0 + 2,
          elapsedMillis: 1
        })
        yield* started("stopped")
        yield* s.cancel("stopped", t0 + 3, null)
        yield* started("going")
        const odd = "it's \"odd\" ✓ \u0000"
        yield* started(odd)
        const many = Array.from({ length: 1500 }, (_, i) => `absent-${i}`)
        const found = yield* s.endedRuns!(["going", "done", "nope", "broken", "done", odd, "stopped", ...many])
        expect(found.ended.map((r) => [r.runId, r.status]).sort()).toEqual([
          ["broken", "failed"],
          ["done", "completed"],
          ["stopped", "cancelled"]
        ])
        expect(found.ended.find((r) => r.runId === "broken")?.error).toEqual({ tag: "X", message: "x" })
        expect([...found.missing].sort()).toEqual(["nope", ...many].sort())
        expect(yield* s.endedRuns!([])).toEqual({ ended: [], missing: [] })
        // the same records getRun reads
        expect(found.ended.find((r) => r.runId === "done")).toEqual(Option.getOrThrow(yield* s.getRun("done")))
      }).pipe(Effect.provide(layer)))

    it.effect("any JSON value stored reads back equal (property)", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const values = fc.sample(
          fc.jsonValue({ maxDepth: 4 }).filter((v) => !hasNegativeZero(v)),
          { numRuns: 40, seed: 20261125 }
        )
        let i = 0
        for (const value of values) {
          const runId = `json-${i++}`
          const lease = yield* started(runId, {}, storedState({ v: value }))
          yield* s.appendStep(stepRecord(runId, 1, { delta: delta({ w: value }) }), lease)
          const loaded = Option.getOrThrow(yield* s.load(runId))
          expect(loaded.snapshot.entries.v?.value).toEqual(value)
          expect(loaded.stepsAfterSnapshot[0]?.delta.set.w?.value).toEqual(value)
        }
      }).pipe(Effect.provide(layer)))

    it.effect("ids, keys and names with quotes, NUL, unicode and 10k characters are data, not SQL", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const hostile = [
          "it's; DROP TABLE weft_runs; --",
          "quote \" and backslash \\",
          "nul\u0000inside",
          "日本語 ✓ 🎉",
          "x".repeat(10_000)
        ]
        for (const id of hostile) {
          const lease = yield* started(id, { queue: id, templateName: id })
          yield* s.appendStep(stepRecord(id, 1, { stepKey: id, stepName: "n", idempotencyKey: `${id}/${id}` }), lease)
          expect(yield* s.recordSignal({ runId: id, name: id, payload: { id }, receivedAt: t0 })).toBe("recorded")
          const record = yield* get(id)
          expect([record.runId, record.queue, record.templateName]).toEqual([id, id, id])
          expect((yield* s.steps(id))[0]?.stepKey).toBe(id)
          expect((yield* s.signals(id))[0]?.name).toBe(id)
        }
        expect((yield* s.list({})).length).toBe(hostile.length)
      }).pipe(Effect.provide(layer)))

    // -------------------------------------------------------------------------
    // checkpoints
    // -------------------------------------------------------------------------

    it.effect("appendStep records the step and advances seq and updatedAt; a snapshot bounds what load replays", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1", {}, storedState({ a: 0 }))
        yield* s.appendStep(stepRecord("r1", 1), lease)
        yield* s.appendStep(stepRecord("r1", 2, { status: "skipped" }), lease)
        const run = yield* get("r1")
        expect([run.seq, run.updatedAt]).toEqual([2, t0 + 2500])
        expect(yield* s.steps("r1")).toEqual([stepRecord("r1", 1), stepRecord("r1", 2, { status: "skipped" })])
        yield* s.appendStep(stepRecord("r1", 3), lease, storedState({ a: 0, k1: 1, k2: 2, k3: 3 }, t0 + 3500))
        yield* s.appendStep(stepRecord("r1", 4, { status: "failed", error: { tag: "Boom", message: "no", data: { n: 1 } } }), lease)
        yield* s.appendStep(stepRecord("r1", 5, { status: "fallback" }), lease)
        const loaded = Option.getOrThrow(yield* s.load("r1"))
        expect(loaded.snapshotSeq).toBe(3)
        expect(loaded.snapshot.entries.k3?.value).toBe(3)
        expect(loaded.stepsAfterSnapshot.map((step) => step.seq)).toEqual([4, 5])
        expect(loaded.stepsAfterSnapshot[0]?.error).toEqual({ tag: "Boom", message: "no", data: { n: 1 } })
        expect(loaded.completedStepKeys).toEqual(["flow/s1", "flow/s2", "flow/s3", "flow/s5"])
        expect(loaded.run.seq).toBe(5)
      }).pipe(Effect.provide(layer)))

    it.effect("a write with a stale lease changes nothing: LeaseLost (fencing)", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const first = yield* started("r1")
        yield* s.appendStep(stepRecord("r1", 1), first)
        // the first owner's lease passes; another engine takes the run over
        const taken = yield* s.claim("r1", other, lease60 + 1, lease60 + 60_000)
        expect(taken.claimed).toBe(true)
        const second = taken.claimed ? taken.lease : first
        expect(second.generation).toBe(2)
        const stale = [
          s.appendStep(stepRecord("r1", 2), first),
          s.pause("r1", first, { _tag: "Release" }, { updatedAt: t0, elapsedMillis: 5 }),
          s.finish("r1", first, { status: "failed", error: { tag: "X", message: "x" }, expiresAt: null }, {
            updatedAt: t0,
            elapsedMillis: 5
          }),
          s.takeSignal("r1", "go", "flow/wait", first)
        ]
        for (const write of stale) {
          const error = yield* Effect.flip(write)
          expect(error._tag).toBe("LeaseLost")
        }
        const run = yield* get("r1")
        expect([run.status, run.owner, run.seq, run.elapsedMillis, run.generation]).toEqual(["running", other, 1, 0, 2])
        // the new owner writes on
        yield* s.appendStep(stepRecord("r1", 2), second)
        expect((yield* get("r1")).seq).toBe(2)
      }).pipe(Effect.provide(layer)))

    it.effect("writes to a cancelled run fail with RunCancelled and write nothing", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1")
        yield* s.appendStep(stepRecord("r1", 1), lease)
        expect(yield* s.cancel("r1", t0 + 5, t0 + 10_000)).toEqual({ _tag: "Cancelled", runIds: ["r1"] })
        for (
          const write of [
            s.appendStep(stepRecord("r1", 2), lease),
            s.pause("r1", lease, { _tag: "Release" }, { updatedAt: t0, elapsedMillis: 1 }),
            s.finish("r1", lease, { status: "completed", error: null, expiresAt: null }, { updatedAt: t0, elapsedMillis: 1 })
          ]
        ) {
          expect((yield* Effect.flip(write))._tag).toBe("RunCancelled")
        }
        const run = yield* get("r1")
        expect([run.status, run.seq, run.owner, run.expiresAt]).toEqual(["cancelled", 1, null, t0 + 10_000])
        expect((yield* s.steps("r1")).length).toBe(1)
      }).pipe(Effect.provide(layer)))

    // -------------------------------------------------------------------------
    // claims
    // -------------------------------------------------------------------------

    it.effect("claim is exclusive while a lease lives; a passed lease, a released run or a dead owner can be taken", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* started("r1")
        const held = yield* s.claim("r1", other, t0 + 1, t0 + 1000)
        expect(held).toEqual({ claimed: false, reason: "held", owner, leaseUntil: lease60 })
        // the holder itself cannot claim again: it holds it already
        expect((yield* s.claim("r1", owner, t0 + 1, t0 + 1000)).claimed).toBe(false)
        // a dead owner is taken over at once
        const takeover = yield* s.claim("r1", other, t0 + 2, t0 + 1000, owner)
        expect(takeover.claimed && takeover.lease).toEqual({ owner: other, generation: 2 })
        // after the lease passes anyone can take it
        const later = yield* s.claim("r1", owner, t0 + 1000, t0 + 5000)
        expect(later.claimed && later.lease.generation).toBe(3)
        // released: claimable at once
        const lease = later.claimed ? later.lease : { owner, generation: 0 }
        yield* s.pause("r1", lease, { _tag: "Release" }, { updatedAt: t0 + 2000, elapsedMillis: 700 })
        const released = yield* get("r1")
        expect([released.status, released.owner, released.elapsedMillis]).toEqual(["running", null, 700])
        const again = yield* s.claim("r1", other, t0 + 2001, t0 + 9000)
        expect(again.claimed && again.run.owner).toBe(other)
        expect(yield* s.claim("nope", owner, t0, t0 + 1)).toEqual({
          claimed: false,
          reason: "not-found",
          owner: null,
          leaseUntil: null
        })
      }).pipe(Effect.provide(layer)))

    it.effect("holders lists the owners of live leases; claimNext takes over the runs of owners said dead at once", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const known = [{ name: "order_processing", version: "1.0.0" }]
        yield* started("held-a")
        yield* s.createRun(newRun("held-c", { createdAt: t0 + 1 }), storedState({}), { owner: "engine-c", leaseUntil: lease60 })
        yield* s.createRun(newRun("passed", { createdAt: t0 + 2 }), storedState({}), { owner: "engine-d", leaseUntil: t0 + 10 })
        expect([...(yield* s.holders(t0 + 100))].sort()).toEqual([owner, "engine-c"])
        const claim = (takeOverFrom?: ReadonlyArray<string>) =>
          Effect.map(
            s.claimNext(other, t0 + 100, lease60, { templates: known, recoverQueues: ["default"], takeOverFrom, limit: 10 }),
            (claimed) => claimed.map((c) => c.run.runId)
          )
        // without: only the run whose lease passed; with engine-c said dead: its run too, not the live owner's
        expect(yield* claim([])).toEqual(["passed"])
        expect(yield* claim(["engine-c"])).toEqual(["held-c"])
        expect((yield* get("held-a")).owner).toBe(owner)
        expect([...(yield* s.holders(t0 + 100))].sort()).toEqual([owner, other])
      }).pipe(Effect.provide(layer)))

    it.effect("a final run is never claimed, by claim or claimNext", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        for (const [id, status] of [["done", "completed"], ["bad", "failed"]] as const) {
          const lease = yield* started(id)
          yield* s.finish(id, lease, { status, error: null, expiresAt: null }, { updatedAt: t0 + 1, elapsedMillis: 1 })
        }
        yield* started("gone")
        yield* s.cancel("gone", t0 + 1, null)
        for (const id of ["done", "bad", "gone"]) {
          const result = yield* s.claim(id, other, t0 + 10 * 60_000, t0 + 11 * 60_000)
          expect(result.claimed === false && result.reason).toBe("finished")
        }
        const next = yield* s.claimNext(other, t0 + 10 * 60_000, t0 + 11 * 60_000, {
          templates: [{ name: "order_processing", version: "1.0.0" }],
          queues: ["default"],
          limit: 10
        })
        expect(next).toEqual([])
      }).pipe(Effect.provide(layer)))

    it.effect("of many concurrent claims on a free run exactly one wins", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(newRun("r1"), storedState({}), null)
        const results = yield* Effect.all(
          Array.from({ length: 12 }, (_, i) => s.claim("r1", `engine-${i}`, t0, lease60)),
          { concurrency: "unbounded" }
        )
        expect(results.filter((r) => r.claimed).length).toBe(1)
        expect((yield* get("r1")).generation).toBe(1)
      }).pipe(Effect.provide(layer)))

    it.effect("claimNext takes queued runs of its queues, orphaned and due runs of known templates, oldest first", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const known = [{ name: "order_processing", version: "1.0.0" }]
        yield* s.createRun(newRun("q-old", { createdAt: t0 + 1 }), storedState({}), null)
        yield* s.createRun(newRun("q-new", { createdAt: t0 + 2 }), storedState({}), null)
        yield* s.createRun(newRun("q-other", { createdAt: t0, queue: "other" }), storedState({}), null)
        yield* s.createRun(newRun("q-unknown", { createdAt: t0, templateVersion: "2.0.0" }), storedState({}), null)
        // orphaned: running, lease passed
        yield* started("orphan", { createdAt: t0 + 3 })
        // due: suspended, deadline passed; not due: later
        const dueLease = yield* started("due", { createdAt: t0 + 4 })
        yield* s.pause("due", dueLease, { _tag: "Suspend", wakeAt: t0 + 100, waitingFor: { runId: "due", step: "w", signal: "go" } }, {
          updatedAt: t0,
          elapsedMillis: 0
        })
        const laterLease = yield* started("later", { createdAt: t0 + 5 })
        yield* s.pause("later", laterLease, { _tag: "Suspend", wakeAt: null, waitingFor: { runId: "later", step: "w", signal: "go" } }, {
          updatedAt: t0,
          elapsedMillis: 0
        })
        // a child run is never claimed on its own: it resumes with its parent
        yield* s.createRun(newRun("due/child", { parentId: "due", rootId: "due", createdAt: t0 }), storedState({}), null)

        const now = lease60 + 1
        // without queues: recovery only
        const recovery = yield* s.claimNext(other, now, now + 60_000, { templates: known, limit: 10 })
        expect(recovery.map((c) => c.run.runId)).toEqual(["orphan", "due"])
        expect(recovery.every((c) => c.run.status === "running" && c.run.owner === other)).toBe(true)
        expect(recovery[0]?.lease.generation).toBe(2)
        // with queues, a limit
        const first = yield* s.claimNext("w1", now, now + 60_000, { templates: known, queues: ["default"], limit: 1 })
        expect(first.map((c) => c.run.runId)).toEqual(["q-old"])
        const rest = yield* s.claimNext("w2", now, now + 60_000, { templates: known, queues: ["default"], limit: 10 })
        expect(rest.map((c) => c.run.runId)).toEqual(["q-new"])
        expect(rest[0]?.lease).toEqual({ owner: "w2", generation: 1 })
        // a signal makes "later" due
        expect(yield* s.recordSignal({ runId: "later", name: "go", payload: 1, receivedAt: now })).toBe("recorded")
        expect((yield* get("later")).wakeAt).toBe(now)
        const signalled = yield* s.claimNext("w3", now, now + 60_000, { templates: known, limit: 10 })
        expect(signalled.map((c) => c.run.runId)).toEqual(["later"])
      }).pipe(Effect.provide(layer)))

    it.effect("claimNext with recoverQueues takes up orphaned and due runs of those queues only", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const known = [{ name: "order_processing", version: "1.0.0" }]
        const suspend = (runId: string, createdAt: number, queue: string) =>
          Effect.gen(function*() {
            const lease = yield* started(runId, { createdAt, queue })
            yield* s.pause(runId, lease, { _tag: "Suspend", wakeAt: t0 + 100, waitingFor: { runId, step: "w", signal: "go" } }, {
              updatedAt: t0,
              elapsedMillis: 0
            })
          })
        yield* started("orphan-default", { createdAt: t0 + 1 })
        yield* started("orphan-orders", { createdAt: t0 + 2, queue: "orders" })
        yield* suspend("due-default", t0 + 3, "default")
        yield* suspend("due-orders", t0 + 4, "orders")
        yield* s.createRun(newRun("queued-orders", { createdAt: t0 + 5, queue: "orders" }), storedState({}), null)
        const now = lease60 + 1
        // no queue to recover: nothing orphaned or due is taken
        expect(yield* s.claimNext(other, now, now + 60_000, { templates: known, recoverQueues: [], limit: 10 })).toEqual([])
        // an engine that serves no queue takes up `default`'s runs only
        const plain = yield* s.claimNext(other, now, now + 60_000, { templates: known, recoverQueues: ["default"], limit: 10 })
        expect(plain.map((c) => c.run.runId)).toEqual(["orphan-default", "due-default"])
        // a worker of `orders` takes up that queue's orphaned, due and queued runs
        const worker = yield* s.claimNext("w1", now, now + 60_000, {
          templates: known,
          queues: ["orders"],
          recoverQueues: ["orders"],
          limit: 10
        })
        expect(worker.map((c) => c.run.runId)).toEqual(["orphan-orders", "due-orders", "queued-orders"])
      }).pipe(Effect.provide(layer)))

    it.effect("claimNext matches templates by the pair of name and version, `@` in either included", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(newRun("at-name", { templateName: "coll@1", templateVersion: "2", queue: "q" }), storedState({}), null)
        yield* s.createRun(newRun("at-version", { templateName: "coll", templateVersion: "1@2", queue: "q", createdAt: t0 + 1 }), storedState({}), null)
        const claim = (name: string, version: string) =>
          Effect.map(
            s.claimNext(owner, t0, lease60, { templates: [{ name, version }], queues: ["q"], recoverQueues: [], limit: 10 }),
            (claimed) => claimed.map((c) => c.run.runId)
          )
        expect(yield* claim("coll", "1@2")).toEqual(["at-version"])
        expect(yield* claim("coll@1", "2")).toEqual(["at-name"])
      }).pipe(Effect.provide(layer)))

    it.effect("concurrent claimNext calls never claim one run twice", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        for (let i = 0; i < 30; i++) {
          yield* s.createRun(newRun(`q${String(i).padStart(2, "0")}`, { createdAt: t0 + i }), storedState({}), null)
        }
        const batches = yield* Effect.all(
          Array.from({ length: 6 }, (_, w) =>
            s.claimNext(`w${w}`, t0, t0 + 60_000, {
              templates: [{ name: "order_processing", version: "1.0.0" }],
              queues: ["default"],
              limit: 7
            })),
          { concurrency: "unbounded" }
        )
        const claimed = batches.flat().map((c) => c.run.runId)
        expect(new Set(claimed).size).toBe(claimed.length)
        expect(claimed.length).toBe(30)
      }).pipe(Effect.provide(layer)))

    it.effect("heartbeat renews the leases of the running runs an owner holds, and lists them", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* started("a")
        const bLease = yield* started("b")
        yield* started("c")
        yield* s.cancel("c", t0, null)
        yield* s.pause("b", bLease, { _tag: "Suspend", wakeAt: null, waitingFor: { runId: "b", step: "w", signal: "s" } }, {
          updatedAt: t0,
          elapsedMillis: 0
        })
        const renewed = yield* s.heartbeat(owner, t0 + 120_000)
        expect(renewed).toEqual([{ runId: "a", generation: 1, pauseAsked: false }])
        expect((yield* get("a")).leaseUntil).toBe(t0 + 120_000)
        // how far the lease moved is execution time, recorded (issue 18.1): 60 s, then 5 s more
        expect((yield* get("a")).elapsedMillis).toBe(60_000)
        yield* s.heartbeat(owner, t0 + 125_000)
        expect((yield* get("a")).elapsedMillis).toBe(65_000)
        expect((yield* get("b")).elapsedMillis).toBe(0)
        expect(yield* s.heartbeat(other, t0 + 120_000)).toEqual([])
      }).pipe(Effect.provide(layer)))

    // -------------------------------------------------------------------------
    // pausing and ending
    // -------------------------------------------------------------------------

    it.effect("suspend records what the run waits for and when it is due, adds elapsed time, releases the claim", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1")
        yield* s.pause("r1", lease, {
          _tag: "Suspend",
          wakeAt: t0 + 5000,
          waitingFor: { runId: "r1", step: "review/approval", signal: "approval" }
        }, { updatedAt: t0 + 10, elapsedMillis: 1200 })
        const run = yield* get("r1")
        expect(run).toMatchObject({
          status: "suspended",
          owner: null,
          leaseUntil: null,
          wakeAt: t0 + 5000,
          waitingFor: { runId: "r1", step: "review/approval", signal: "approval" },
          elapsedMillis: 1200,
          updatedAt: t0 + 10
        })
        expect(ids(yield* s.list({ wakeBefore: t0 + 5000 }))).toEqual(["r1"])
        expect(ids(yield* s.list({ wakeBefore: t0 + 4999 }))).toEqual([])
        // claimed again: running, nothing due, nothing awaited
        const again = yield* s.claim("r1", other, t0 + 6000, t0 + 66_000)
        expect(again.claimed).toBe(true)
        const resumed = yield* get("r1")
        expect([resumed.status, resumed.wakeAt, resumed.waitingFor, resumed.elapsedMillis]).toEqual([
          "running",
          null,
          null,
          1200
        ])
        // elapsed time adds up
        const lease2 = again.claimed ? again.lease : lease
        yield* s.finish("r1", lease2, { status: "completed", error: null, expiresAt: t0 + 99_000 }, {
          updatedAt: t0 + 7000,
          elapsedMillis: 300
        })
        expect((yield* get("r1")).elapsedMillis).toBe(1500)
      }).pipe(Effect.provide(layer)))

    it.effect("finish ends the run and releases it; a final status is never overwritten", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1")
        const error = { tag: "CardDeclined", message: "declined", data: { reason: "insufficient funds" } }
        yield* s.finish("r1", lease, { status: "failed", error, expiresAt: t0 + 3_600_000 }, {
          updatedAt: t0 + 50,
          elapsedMillis: 50
        })
        const run = yield* get("r1")
        expect(run).toMatchObject({ status: "failed", error, expiresAt: t0 + 3_600_000, owner: null, updatedAt: t0 + 50 })
        // a second ending with the same lease, or a cancellation, changes nothing
        const again = yield* Effect.exit(
          s.finish("r1", lease, { status: "completed", error: null, expiresAt: null }, { updatedAt: t0 + 60, elapsedMillis: 1 })
        )
        expect(Exit.isFailure(again)).toBe(true)
        expect(yield* s.cancel("r1", t0 + 70, null)).toEqual({ _tag: "Finished", status: "failed" })
        expect(yield* get("r1")).toEqual(run)
      }).pipe(Effect.provide(layer)))

    it.effect("cancel cancels the run and its active descendants in one go, never a look-alike id", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* started("p")
        yield* started("p/a", { parentId: "p", rootId: "p" })
        yield* started("p/a/x", { parentId: "p/a", rootId: "p" })
        const doneLease = yield* started("p/b", { parentId: "p", rootId: "p" })
        yield* s.finish("p/b", doneLease, { status: "completed", error: null, expiresAt: null }, { updatedAt: t0, elapsedMillis: 0 })
        yield* started("p/lookalike") // not a child: no parent link
        const result = yield* s.cancel("p/a", t0 + 1, null)
        expect(result._tag === "Cancelled" && [...result.runIds].sort()).toEqual(["p/a", "p/a/x"])
        expect((yield* get("p")).status).toBe("running")
        const all = yield* s.cancel("p", t0 + 2, t0 + 100)
        expect(all._tag === "Cancelled" && [...all.runIds].sort()).toEqual(["p"])
        expect((yield* get("p/b")).status).toBe("completed")
        expect((yield* get("p/lookalike")).status).toBe("running")
        expect(yield* s.cancel("nope", t0, null)).toEqual({ _tag: "NotFound" })
      }).pipe(Effect.provide(layer)))

    // -------------------------------------------------------------------------
    // listing and collection
    // -------------------------------------------------------------------------

    it.effect("list filters by template, status(es), times, queue, lineage, claimability; newest first; pages by cursor", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(newRun("a", { createdAt: t0 + 1, templateName: "x" }), storedState({}), null)
        yield* s.createRun(newRun("b", { createdAt: t0 + 2, templateName: "y", queue: "q" }), storedState({}), null)
        yield* started("c", { createdAt: t0 + 3, templateName: "x" })
        yield* started("d", { createdAt: t0 + 3, templateName: "x", parentId: "c", rootId: "c" })
        yield* started("e", { createdAt: t0 + 4, templateName: "y" })
        expect(ids(yield* s.list({}))).toEqual(["e", "d", "c", "b", "a"])
        expect(ids(yield* s.list({ templateName: "x" }))).toEqual(["d", "c", "a"])
        expect(ids(yield* s.list({ status: "queued" }))).toEqual(["b", "a"])
        expect(ids(yield* s.list({ status: ["queued", "running"], templateName: "y" }))).toEqual(["e", "b"])
        expect(ids(yield* s.list({ createdAfter: t0 + 2, createdBefore: t0 + 4 }))).toEqual(["d", "c", "b"])
        expect(ids(yield* s.list({ queue: "q" }))).toEqual(["b"])
        expect(ids(yield* s.list({ parentId: "c" }))).toEqual(["d"])
        expect(ids(yield* s.list({ rootId: "c" }))).toEqual(["d", "c"])
        expect(ids(yield* s.list({ claimableAt: t0 }))).toEqual(["b", "a"])
        expect(ids(yield* s.list({ claimableAt: lease60 + 1 }))).toEqual(["e", "d", "c", "b", "a"])
        // pages of 2 by cursor: the last record of a page is the next page's `after`
        const pages: Array<Array<string>> = []
        let after: { createdAt: number; runId: string } | undefined
        for (;;) {
          const page = yield* s.list({ limit: 2, after })
          if (page.length === 0) break
          pages.push(ids(page))
          const last = page[page.length - 1]!
          after = { createdAt: last.createdAt, runId: last.runId }
        }
        expect(pages).toEqual([["e", "d"], ["c", "b"], ["a"]])
        expect(ids(yield* s.list({ limit: 0 }))).toEqual([])
      }).pipe(Effect.provide(layer)))

    it.effect("list by several statuses or by claimability pages newest first across statuses", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        // x0 x4 queued; x1 x5 running (lease until lease60); x2 suspended due at t0 + 5, x6 not due; x3 x7 completed
        for (let i = 0; i < 8; i++) {
          const id = `x${i}`
          if (i % 4 === 0) {
            yield* s.createRun(newRun(id, { createdAt: t0 + i }), storedState({}), null)
            continue
          }
          const lease = yield* started(id, { createdAt: t0 + i })
          const at = { updatedAt: t0, elapsedMillis: 0 }
          if (i % 4 === 2) {
            const waitingFor = { runId: id, step: "w", signal: "go" }
            yield* s.pause(id, lease, { _tag: "Suspend", wakeAt: i === 2 ? t0 + 5 : null, waitingFor }, at)
          }
          if (i % 4 === 3) yield* s.finish(id, lease, { status: "completed", error: null, expiresAt: null }, at)
        }
        const paged = (filter: RunFilter) =>
          Effect.gen(function*() {
            const seen: Array<string> = []
            let after: { createdAt: number; runId: string } | undefined
            for (;;) {
              const page = yield* s.list({ ...filter, limit: 2, after })
              if (page.length === 0) return seen
              seen.push(...ids(page))
              const last = page[page.length - 1]!
              after = { createdAt: last.createdAt, runId: last.runId }
            }
          })
        expect(yield* paged({ status: ["queued", "suspended", "completed"] })).toEqual(["x7", "x6", "x4", "x3", "x2", "x0"])
        expect(yield* paged({ claimableAt: lease60 + 1 })).toEqual(["x5", "x4", "x2", "x1", "x0"])
        expect(yield* paged({ claimableAt: t0 + 10, status: ["running", "suspended"] })).toEqual(["x2"])
        expect(ids(yield* s.list({ status: [], claimableAt: lease60 + 1 }))).toEqual([])
      }).pipe(Effect.provide(layer)))

    it.effect("collectExpired deletes only finished runs past their expiry, with their steps, snapshots and signals", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const end = (id: string, status: "completed" | "failed", expiresAt: number | null) =>
          Effect.gen(function*() {
            const lease = yield* started(id)
            yield* s.appendStep(stepRecord(id, 1), lease)
            yield* s.recordSignal({ runId: id, name: "n", payload: null, receivedAt: t0 })
            yield* s.finish(id, lease, { status, error: null, expiresAt }, { updatedAt: t0, elapsedMillis: 0 })
          })
        yield* end("old", "completed", t0 + 10)
        yield* end("old-failed", "failed", t0 + 10)
        yield* end("fresh", "completed", t0 + 10_000)
        yield* end("forever", "completed", null)
        yield* started("active")
        yield* started("cancelled-old")
        yield* s.cancel("cancelled-old", t0, t0 + 10)
        expect(yield* s.collectExpired(t0 + 100)).toBe(3)
        expect(ids(yield* s.list({})).sort()).toEqual(["active", "forever", "fresh"])
        expect(Option.isNone(yield* s.load("old"))).toBe(true)
        expect(yield* s.steps("old")).toEqual([])
        expect(yield* s.signals("old")).toEqual([])
        expect(yield* s.collectExpired(t0 + 100)).toBe(0)
      }).pipe(Effect.provide(layer)))

    // -------------------------------------------------------------------------
    // signals
    // -------------------------------------------------------------------------

    it.effect("recordSignal checks the run and refuses a second pending signal of one name", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* started("r1")
        expect(yield* s.recordSignal({ runId: "nope", name: "go", payload: 1, receivedAt: t0 })).toBe("not-found")
        expect(yield* s.recordSignal({ runId: "r1", name: "go", payload: { a: [1, "x"] }, receivedAt: t0 + 1 })).toBe(
          "recorded"
        )
        expect(yield* s.recordSignal({ runId: "r1", name: "go", payload: 2, receivedAt: t0 + 2 })).toBe("already-pending")
        expect(yield* s.recordSignal({ runId: "r1", name: "other", payload: 3, receivedAt: t0 + 3 })).toBe("recorded")
        expect(yield* s.signals("r1")).toEqual([
          { runId: "r1", name: "go", payload: { a: [1, "x"] }, receivedAt: t0 + 1, consumedBy: null },
          { runId: "r1", name: "other", payload: 3, receivedAt: t0 + 3, consumedBy: null }
        ])
        yield* s.cancel("r1", t0 + 4, null)
        expect(yield* s.recordSignal({ runId: "r1", name: "late", payload: 4, receivedAt: t0 + 5 })).toBe("run-ended")
      }).pipe(Effect.provide(layer)))

    it.effect("a signal to a child run marks its suspended top-level run due", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const rootLease = yield* started("root")
        const childLease = yield* started("root/sub", { parentId: "root", rootId: "root" })
        const waiting = { runId: "root/sub", step: "sub/wait", signal: "go" }
        yield* s.pause("root/sub", childLease, { _tag: "Suspend", wakeAt: null, waitingFor: waiting }, {
          updatedAt: t0,
          elapsedMillis: 0
        })
        yield* s.pause("root", rootLease, { _tag: "Suspend", wakeAt: t0 + 99_999, waitingFor: waiting }, {
          updatedAt: t0,
          elapsedMillis: 0
        })
        expect(yield* s.recordSignal({ runId: "root/sub", name: "go", payload: true, receivedAt: t0 + 50 })).toBe("recorded")
        expect((yield* get("root")).wakeAt).toBe(t0 + 50)
        expect((yield* get("root")).waitingFor).toEqual(waiting)
      }).pipe(Effect.provide(layer)))

    it.effect("takeSignal consumes the oldest pending signal once, gives a re-run step back its own, and is fenced", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1")
        expect(Option.isNone(yield* s.takeSignal("r1", "go", "flow/a", lease))).toBe(true)
        yield* s.recordSignal({ runId: "r1", name: "go", payload: 1, receivedAt: t0 })
        const first = yield* s.takeSignal("r1", "go", "flow/a", lease)
        expect(Option.getOrThrow(first)).toMatchObject({ payload: 1, consumedBy: "flow/a" })
        yield* s.recordSignal({ runId: "r1", name: "go", payload: 2, receivedAt: t0 + 1 })
        // the same step again (re-executed after a crash): its own signal, not the new one
        expect(Option.getOrThrow(yield* s.takeSignal("r1", "go", "flow/a", lease)).payload).toBe(1)
        expect(Option.getOrThrow(yield* s.takeSignal("r1", "go", "flow/b", lease)).payload).toBe(2)
        const stale = { owner, generation: 0 }
        expect((yield* Effect.flip(s.takeSignal("r1", "go", "flow/c", stale)))._tag).toBe("LeaseLost")
      }).pipe(Effect.provide(layer)))

    it.effect("every operation on one store is safe under concurrency: no lost steps, no torn records", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const leases = yield* Effect.all(
          Array.from({ length: 8 }, (_, i) => started(`c${i}`)),
          { concurrency: "unbounded" }
        )
        // runs checkpoint concurrently; one run's checkpoints are serialized (as the engine does)
        const appended = yield* Effect.all(
          leases.map((lease, i) =>
            Effect.forEach(Array.from({ length: 10 }, (_, n) => n + 1), (n) => s.appendStep(stepRecord(`c${i}`, n), lease))
          ),
          { concurrency: "unbounded" }
        ).pipe(Effect.either)
        expect(Either.isRight(appended)).toBe(true)
        for (let i = 0; i < 8; i++) {
          const steps = yield* s.steps(`c${i}`)
          expect(steps.length).toBe(10)
          expect((yield* get(`c${i}`)).seq).toBe(10)
        }
      }).pipe(Effect.provide(layer)))

    it.effect("a signal makes a suspended run due at the earlier of its wake time and the signal; a running run is left as it is", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const waiting = (runId: string) => ({ runId, step: "w", signal: "go" })
        const early = yield* started("early")
        yield* s.pause("early", early, { _tag: "Suspend", wakeAt: t0 + 10, waitingFor: waiting("early") }, {
          updatedAt: t0,
          elapsedMillis: 0
        })
        yield* started("busy")
        expect(yield* s.recordSignal({ runId: "early", name: "go", payload: 1, receivedAt: t0 + 50 })).toBe("recorded")
        expect(yield* s.recordSignal({ runId: "busy", name: "go", payload: 1, receivedAt: t0 + 50 })).toBe("recorded")
        expect((yield* get("early")).wakeAt).toBe(t0 + 10)
        expect([(yield* get("busy")).status, (yield* get("busy")).wakeAt]).toEqual(["running", null])
      }).pipe(Effect.provide(layer)))

    it.effect("takeSignal on a cancelled run fails with RunCancelled and consumes nothing", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1")
        yield* s.recordSignal({ runId: "r1", name: "go", payload: 1, receivedAt: t0 })
        yield* s.cancel("r1", t0 + 1, null)
        expect((yield* Effect.flip(s.takeSignal("r1", "go", "flow/w", lease)))._tag).toBe("RunCancelled")
        expect((yield* s.signals("r1")).map((signal) => signal.consumedBy)).toEqual([null])
      }).pipe(Effect.provide(layer)))

    it.effect("list: an empty status list matches nothing; filters, cursor and limit combine", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        for (let i = 0; i < 6; i++) {
          yield* s.createRun(newRun(`r${i}`, { createdAt: t0 + i, queue: i % 2 === 0 ? "even" : "odd" }), storedState({}), null)
        }
        expect(yield* s.list({ status: [] })).toEqual([])
        const page = yield* s.list({ queue: "even", status: ["queued"], after: { createdAt: t0 + 4, runId: "r4" }, limit: 1 })
        expect(ids(page)).toEqual(["r2"])
      }).pipe(Effect.provide(layer)))

    // -------------------------------------------------------------------------
    // re-runs and migrations (issue 21)
    // -------------------------------------------------------------------------

    it.effect("reopen: a failed run runs again, claimed under a new generation, error and expiry cleared, steps kept", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1")
        yield* s.appendStep(stepRecord("r1", 1), lease)
        yield* s.appendStep(stepRecord("r1", 2, { status: "failed", error: { tag: "Boom", message: "boom" } }), lease)
        yield* s.finish("r1", lease, { status: "failed", error: { tag: "Boom", message: "boom" }, expiresAt: t0 + 5 }, {
          updatedAt: t0 + 3000,
          elapsedMillis: 700
        })
        const reopened = yield* s.reopen("r1", other, t0 + 4000, t0 + 64_000)
        expect(reopened.claimed).toBe(true)
        if (!reopened.claimed) return
        expect(reopened.lease).toEqual({ owner: other, generation: lease.generation + 1 })
        const run = yield* get("r1")
        expect([run.status, run.owner, run.error, run.expiresAt, run.elapsedMillis, run.seq]).toEqual([
          "running",
          other,
          null,
          null,
          0,
          2
        ])
        // the old generation is fenced out; the new one writes
        expect((yield* Effect.flip(s.appendStep(stepRecord("r1", 3), lease)))._tag).toBe("LeaseLost")
        yield* s.appendStep(stepRecord("r1", 3), reopened.lease)
        const loaded = Option.getOrThrow(yield* s.load("r1"))
        expect(loaded.completedStepKeys).toEqual(["flow/s1", "flow/s3"])
        expect((yield* s.steps("r1")).map((step) => step.status)).toEqual(["completed", "failed", "completed"])
      }).pipe(Effect.provide(layer)))

    it.effect("reopen: a cancelled run too; an active, a completed or a missing run is not touched", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* started("cancelled")
        yield* s.cancel("cancelled", t0, null)
        expect((yield* s.reopen("cancelled", owner, t0, lease60)).claimed).toBe(true)
        const active = yield* started("active")
        const held = yield* s.reopen("active", other, t0, lease60)
        expect(held.claimed ? "claimed" : held.reason).toBe("held")
        yield* s.finish("active", active, { status: "completed", error: null, expiresAt: null }, { updatedAt: t0, elapsedMillis: 0 })
        const finished = yield* s.reopen("active", other, t0, lease60)
        expect(finished.claimed ? "claimed" : finished.reason).toBe("finished")
        expect((yield* get("active")).status).toBe("completed")
        const missing = yield* s.reopen("nope", other, t0, lease60)
        expect(missing.claimed ? "claimed" : missing.reason).toBe("not-found")
      }).pipe(Effect.provide(layer)))

    it.effect("initialState: the first state, kept when later full snapshots replace it; none for a missing run", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1", {}, storedState({ input: "first" }))
        expect(Option.getOrThrow(yield* s.initialState("r1")).entries.input?.value).toBe("first")
        yield* s.appendStep(stepRecord("r1", 1), lease, storedState({ input: "first", k1: 1 }, t0 + 1500))
        yield* s.appendStep(stepRecord("r1", 2), lease, storedState({ input: "first", k1: 1, k2: 2 }, t0 + 2500))
        expect(Option.getOrThrow(yield* s.load("r1")).snapshotSeq).toBe(2)
        expect(Option.getOrThrow(yield* s.initialState("r1"))).toEqual(storedState({ input: "first" }))
        expect(Option.isNone(yield* s.initialState("nope"))).toBe(true)
      }).pipe(Effect.provide(layer)))

    it.effect("retarget: the step and the new template in one fenced write; a stale lease writes neither", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const first = yield* started("r1", { templateFingerprint: "v1" })
        yield* s.appendStep(stepRecord("r1", 1), first)
        yield* s.pause("r1", first, { _tag: "Release" }, { updatedAt: t0, elapsedMillis: 0 })
        const claimed = yield* s.claim("r1", other, t0, lease60)
        if (!claimed.claimed) return expect.unreachable()
        const target = { name: "order_processing", version: "2.0.0", fingerprint: "v2" }
        const refused = yield* Effect.flip(s.retarget(stepRecord("r1", 2, { stepKey: "~migrate/2" }), first, target))
        expect(refused._tag).toBe("LeaseLost")
        expect((yield* get("r1")).templateVersion).toBe("1.0.0")
        yield* s.retarget(stepRecord("r1", 2, { stepKey: "~migrate/2" }), claimed.lease, target)
        const run = yield* get("r1")
        expect([run.templateName, run.templateVersion, run.templateFingerprint, run.seq]).toEqual([
          "order_processing",
          "2.0.0",
          "v2",
          2
        ])
        expect((yield* s.steps("r1")).map((step) => step.stepKey)).toEqual(["flow/s1", "~migrate/2"])
      }).pipe(Effect.provide(layer)))
  })
  triggersSuite(name, layer)
  lineageSuite(name, layer)
}

const hasNegativeZero = (value: unknown): boolean =>
  Object.is(value, -0) ||
  (typeof value === "object" && value !== null && Object.values(value).some(hasNegativeZero))

/** A lease no store ever hands out, for the tests' own fixtures. */
export const noLease: Lease = { owner: "nobody", generation: -1 }
