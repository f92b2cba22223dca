/**
 * The contract every `SnapshotStore` implementation must pass. Each test gets
 * a fresh store: the layer is built anew for every test.
 *
 *   suite("memory", SnapshotStore.layerMemory)
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { RunCancelled } from "../../src/Errors.js"
import {
  type RunRecord,
  type RunStatus,
  SnapshotStore,
  type StateDelta,
  type StepRecord,
  type StoredState
} from "../../src/SnapshotStore.js"

const t0 = 1_700_000_000_000

/** A run record with sensible defaults. */
export const runRecord = (runId: string, overrides: Partial<RunRecord> = {}): RunRecord => ({
  runId,
  templateName: "order_processing",
  templateVersion: "1.0.0",
  status: "running",
  seq: 0,
  createdAt: t0,
  updatedAt: t0,
  expiresAt: null,
  error: null,
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
  set: Object.fromEntries(Object.entries(set).map(([key, value]) => [key, { value, writtenAt: at, expiresAt: at + 60_000 }])),
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

/**
 * Registers the contract tests for one implementation. `layer` is built
 * afresh for each test, so it must give an empty store every time.
 */
export const suite = <E>(name: string, layer: Layer.Layer<SnapshotStore, E>): void => {
  const store = SnapshotStore
  describe(`SnapshotStore contract: ${name}`, () => {
    it.effect("a suspended run's wake-up time is kept while it is suspended, listed when due, cleared on resume", () =>
      Effect.gen(function*() {
        const s = yield* store
        for (const id of ["due", "later", "forever", "running"]) yield* s.createRun(runRecord(id), storedState({}))
        yield* s.setStatus("due", { status: "suspended", updatedAt: t0 + 1, wakeAt: t0 + 100 })
        yield* s.setStatus("later", { status: "suspended", updatedAt: t0 + 1, wakeAt: t0 + 10_000 })
        yield* s.setStatus("forever", { status: "suspended", updatedAt: t0 + 1, wakeAt: null })
        expect(Option.getOrThrow(yield* s.getRun("due")).wakeAt).toBe(t0 + 100)
        expect(Option.getOrThrow(yield* s.getRun("forever")).wakeAt).toBeUndefined()
        expect((yield* s.list({ wakeBefore: t0 + 100 })).map((r) => r.runId)).toEqual(["due"])
        expect((yield* s.list({ wakeBefore: t0 + 99 })).map((r) => r.runId)).toEqual([])
        expect((yield* s.list({ wakeBefore: t0 + 20_000 })).map((r) => r.runId).sort()).toEqual(["due", "later"])
        // resumed: no longer suspended, no longer due
        yield* s.setStatus("due", { status: "running", updatedAt: t0 + 200 })
        expect(Option.getOrThrow(yield* s.getRun("due")).wakeAt).toBeUndefined()
        expect((yield* s.list({ wakeBefore: t0 + 20_000 })).map((r) => r.runId)).toEqual(["later"])
      }).pipe(Effect.provide(layer)))

    it.effect("a run's timeout round-trips: milliseconds, 0 for none, absent when not recorded", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("timed", { timeoutMillis: 600_000 }), storedState({}))
        yield* s.createRun(runRecord("unlimited", { timeoutMillis: 0 }), storedState({}))
        yield* s.createRun(runRecord("legacy"), storedState({}))
        expect(Option.getOrThrow(yield* s.getRun("timed")).timeoutMillis).toBe(600_000)
        expect(Option.getOrThrow(yield* s.getRun("unlimited")).timeoutMillis).toBe(0)
        expect(Option.getOrThrow(yield* s.getRun("legacy")).timeoutMillis).toBeUndefined()
        expect(Option.getOrThrow(yield* s.load("timed")).run.timeoutMillis).toBe(600_000)
      }).pipe(Effect.provide(layer)))

    it.effect("createRun, getRun and load round-trip the record and nested JSON state", () =>
      Effect.gen(function*() {
        const s = yield* store
        const record = runRecord("r1", { expiresAt: null, error: null })
        const state: StoredState = {
          entries: {
            order: {
              value: { id: "o-1", lines: [{ sku: "a", qty: 2, tags: ["x", "y"] }, { sku: "b", qty: 0.5, tags: [] }] },
              writtenAt: t0,
              expiresAt: t0 + 3_600_000
            },
            note: { value: null, writtenAt: t0, expiresAt: null },
            flag: { value: false, writtenAt: t0 + 1, expiresAt: null },
            text: { value: "quotes ' \" and unicode ✓ — 数据", writtenAt: t0, expiresAt: null },
            nested: { value: { a: { b: { c: [1, [2, [3, { d: null }]]] } } }, writtenAt: t0, expiresAt: null },
            empty: { value: {}, writtenAt: t0, expiresAt: null }
          },
          createdAt: t0,
          updatedAt: t0 + 1
        }
        yield* s.createRun(record, state)

        expect(yield* s.getRun("r1")).toEqual(Option.some(record))
        const loaded = yield* s.load("r1")
        expect(Option.isSome(loaded)).toBe(true)
        const run = Option.getOrThrow(loaded)
        expect(run.run).toEqual(record)
        expect(run.snapshotSeq).toBe(0)
        expect(run.snapshot).toEqual(state)
        expect(run.snapshot.entries.note?.expiresAt).toBeNull()
        expect(run.stepsAfterSnapshot).toEqual([])
        expect(run.completedStepKeys).toEqual([])
        expect(yield* s.steps("r1")).toEqual([])
      }).pipe(Effect.provide(layer)))

    it.effect("an unknown run loads as none and has no steps", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("known"), storedState({ a: 1 }))
        expect(Option.isNone(yield* s.load("unknown"))).toBe(true)
        expect(Option.isNone(yield* s.getRun("unknown"))).toBe(true)
        expect(yield* s.steps("unknown")).toEqual([])
        // writes to an unknown run record nothing and create nothing
        yield* s.appendStep(stepRecord("unknown", 1), { updatedAt: t0 + 1, snapshot: storedState({ a: 2 }) })
        yield* s.release("unknown", "A")
        expect(yield* s.steps("unknown")).toEqual([])
        expect(Option.isNone(yield* s.load("unknown"))).toBe(true)
        expect((yield* s.list({})).map((r) => r.runId)).toEqual(["known"])
        expect(Option.isSome(yield* s.load("known"))).toBe(true)
      }).pipe(Effect.provide(layer)))

    it.effect("ids and keys with quotes, semicolons and unicode are stored as data", () =>
      Effect.gen(function*() {
        const s = yield* store
        const id = "r'); DROP TABLE weft_runs; --\"✓"
        yield* s.createRun(runRecord(id, { templateName: "t'x" }), storedState({ "k'ey": "v\"al" }))
        yield* s.appendStep(stepRecord(id, 1, { stepKey: "a'b/c\"d" }), { updatedAt: t0 + 5 })
        const loaded = Option.getOrThrow(yield* s.load(id))
        expect(loaded.run.runId).toBe(id)
        expect(loaded.run.templateName).toBe("t'x")
        expect(loaded.snapshot.entries["k'ey"]?.value).toBe("v\"al")
        expect(loaded.completedStepKeys).toEqual(["a'b/c\"d"])
        expect((yield* s.list({})).map((r) => r.runId)).toEqual([id])
      }).pipe(Effect.provide(layer)))

    it.effect("appendStep records the step and advances seq and updatedAt", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({ input: 1 }))
        const first = stepRecord("r1", 1, { attempts: 3 })
        const second = stepRecord("r1", 2, {
          status: "skipped",
          delta: { set: { out: { value: { deep: [1, 2] }, writtenAt: t0 + 2500, expiresAt: null } }, unset: ["input"] },
          error: { tag: "Boom", message: "it broke" }
        })
        yield* s.appendStep(first, { updatedAt: t0 + 1500 })
        const afterFirst = Option.getOrThrow(yield* s.getRun("r1"))
        expect(afterFirst.seq).toBe(1)
        expect(afterFirst.updatedAt).toBe(t0 + 1500)

        yield* s.appendStep(second, { updatedAt: t0 + 2500 })
        const afterSecond = Option.getOrThrow(yield* s.getRun("r1"))
        expect(afterSecond.seq).toBe(2)
        expect(afterSecond.updatedAt).toBe(t0 + 2500)
        expect(afterSecond.createdAt).toBe(t0)
        expect(afterSecond.status).toBe("running")

        expect(yield* s.steps("r1")).toEqual([first, second])
        // no snapshot was passed: load starts from the initial one and replays both
        const loaded = Option.getOrThrow(yield* s.load("r1"))
        expect(loaded.snapshotSeq).toBe(0)
        expect(loaded.snapshot).toEqual(storedState({ input: 1 }))
        expect(loaded.stepsAfterSnapshot).toEqual([first, second])
      }).pipe(Effect.provide(layer)))

    it.effect("a snapshot replaces the older one and load returns only the steps after it", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({ v: 0 }))
        yield* s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 1 })
        yield* s.appendStep(stepRecord("r1", 2), { updatedAt: t0 + 2 })
        const snap3 = storedState({ v: 3, k1: 1, k2: 2, k3: 3 }, t0 + 3)
        yield* s.appendStep(stepRecord("r1", 3), { updatedAt: t0 + 3, snapshot: snap3 })
        yield* s.appendStep(stepRecord("r1", 4), { updatedAt: t0 + 4 })

        const loaded = Option.getOrThrow(yield* s.load("r1"))
        expect(loaded.snapshotSeq).toBe(3)
        expect(loaded.snapshot).toEqual(snap3)
        expect(loaded.stepsAfterSnapshot.map((step) => step.seq)).toEqual([4])
        expect(loaded.completedStepKeys).toEqual(["flow/s1", "flow/s2", "flow/s3", "flow/s4"])

        const snap5 = storedState({ v: 5 }, t0 + 5)
        yield* s.appendStep(stepRecord("r1", 5), { updatedAt: t0 + 5, snapshot: snap5 })
        const again = Option.getOrThrow(yield* s.load("r1"))
        expect(again.snapshotSeq).toBe(5)
        expect(again.snapshot).toEqual(snap5)
        expect(again.stepsAfterSnapshot).toEqual([])
        expect(again.run.seq).toBe(5)
        // the trace keeps every step
        expect((yield* s.steps("r1")).map((step) => step.seq)).toEqual([1, 2, 3, 4, 5])
      }).pipe(Effect.provide(layer)))

    it.effect("completedStepKeys lists completed, skipped and fallback steps, not failed ones", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({}))
        yield* s.appendStep(stepRecord("r1", 1, { stepKey: "a", status: "completed" }), { updatedAt: t0 + 1 })
        yield* s.appendStep(
          stepRecord("r1", 2, { stepKey: "b", status: "failed", error: { tag: "E", message: "no" } }),
          { updatedAt: t0 + 2 }
        )
        yield* s.appendStep(stepRecord("r1", 3, { stepKey: "c", status: "skipped" }), { updatedAt: t0 + 3 })
        yield* s.appendStep(stepRecord("r1", 4, { stepKey: "d", status: "fallback" }), { updatedAt: t0 + 4 })
        const loaded = Option.getOrThrow(yield* s.load("r1"))
        expect(loaded.completedStepKeys).toEqual(["a", "c", "d"])
        expect(loaded.stepsAfterSnapshot.find((step) => step.stepKey === "b")?.error).toEqual({
          tag: "E",
          message: "no"
        })
      }).pipe(Effect.provide(layer)))

    it.effect("setStatus sets status, error and expiry; omitted fields are kept, null clears", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({ a: 1 }))
        yield* s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 10 })

        yield* s.setStatus("r1", {
          status: "failed",
          updatedAt: t0 + 20,
          error: { tag: "StepTimeout", message: "too slow" },
          expiresAt: t0 + 3_600_000
        })
        const failed = Option.getOrThrow(yield* s.getRun("r1"))
        expect(failed.status).toBe("failed")
        expect(failed.updatedAt).toBe(t0 + 20)
        expect(failed.error).toEqual({ tag: "StepTimeout", message: "too slow" })
        expect(failed.expiresAt).toBe(t0 + 3_600_000)
        expect(failed.seq).toBe(1)

        yield* s.setStatus("r1", { status: "suspended", updatedAt: t0 + 30 })
        const suspended = Option.getOrThrow(yield* s.getRun("r1"))
        expect(suspended.status).toBe("suspended")
        expect(suspended.error).toEqual({ tag: "StepTimeout", message: "too slow" })
        expect(suspended.expiresAt).toBe(t0 + 3_600_000)

        const final = storedState({ a: 1, k1: 1, done: true }, t0 + 40)
        yield* s.setStatus("r1", { status: "completed", updatedAt: t0 + 40, error: null, expiresAt: null, snapshot: final })
        const completed = Option.getOrThrow(yield* s.getRun("r1"))
        expect(completed).toEqual(runRecord("r1", { status: "completed", seq: 1, updatedAt: t0 + 40 }))
        const loaded = Option.getOrThrow(yield* s.load("r1"))
        expect(loaded.snapshotSeq).toBe(1)
        expect(loaded.snapshot).toEqual(final)
        expect(loaded.stepsAfterSnapshot).toEqual([])

        // an unknown run is left alone
        yield* s.setStatus("nope", { status: "completed", updatedAt: t0 })
        expect(Option.isNone(yield* s.getRun("nope"))).toBe(true)
      }).pipe(Effect.provide(layer)))

    it.effect("list filters by template, status, creation time and limit, newest first", () =>
      Effect.gen(function*() {
        const s = yield* store
        const runs: ReadonlyArray<[string, string, RunStatus, number]> = [
          ["a", "ingest", "completed", t0 + 1000],
          ["b", "ingest", "running", t0 + 5000],
          ["c", "orders", "running", t0 + 3000],
          ["d", "orders", "failed", t0 + 4000],
          ["e", "ingest", "suspended", t0 + 2000]
        ]
        for (const [id, template, status, createdAt] of runs) {
          yield* s.createRun(
            runRecord(id, { templateName: template, status, createdAt, updatedAt: createdAt }),
            storedState({ id })
          )
        }
        const ids = (records: ReadonlyArray<RunRecord>) => records.map((r) => r.runId)
        expect(ids(yield* s.list({}))).toEqual(["b", "d", "c", "e", "a"])
        expect(ids(yield* s.list({ templateName: "ingest" }))).toEqual(["b", "e", "a"])
        expect(ids(yield* s.list({ templateName: "missing" }))).toEqual([])
        expect(ids(yield* s.list({ status: "running" }))).toEqual(["b", "c"])
        expect(ids(yield* s.list({ templateName: "orders", status: "running" }))).toEqual(["c"])
        // createdAfter is inclusive, createdBefore exclusive
        expect(ids(yield* s.list({ createdAfter: t0 + 2000, createdBefore: t0 + 4000 }))).toEqual(["c", "e"])
        expect(ids(yield* s.list({ createdAfter: t0 + 4000 }))).toEqual(["b", "d"])
        expect(ids(yield* s.list({ createdBefore: t0 + 2000 }))).toEqual(["a"])
        expect(ids(yield* s.list({ limit: 2 }))).toEqual(["b", "d"])
        expect(ids(yield* s.list({ templateName: "ingest", limit: 1 }))).toEqual(["b"])
        expect(ids(yield* s.list({ limit: 0 }))).toEqual([])
        const [newest] = yield* s.list({ status: "failed" })
        expect(newest).toEqual(runRecord("d", { templateName: "orders", status: "failed", createdAt: t0 + 4000, updatedAt: t0 + 4000 }))
      }).pipe(Effect.provide(layer)))

    it.effect("claim is exclusive while the lease is live; taken after it passes or after release", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({}))

        expect(yield* s.claim("r1", "A", t0, t0 + 1000)).toEqual({ claimed: true })
        // the holder renews
        expect(yield* s.claim("r1", "A", t0 + 500, t0 + 2000)).toEqual({ claimed: true })
        // another owner is refused while the lease is live, and told who holds it
        expect(yield* s.claim("r1", "B", t0 + 1999, t0 + 5000)).toEqual({
          claimed: false,
          owner: "A",
          leaseUntil: t0 + 2000
        })
        // once the lease has passed, B takes it, and A is now refused
        expect(yield* s.claim("r1", "B", t0 + 2000, t0 + 6000)).toEqual({ claimed: true })
        expect(yield* s.claim("r1", "A", t0 + 2001, t0 + 3000)).toEqual({
          claimed: false,
          owner: "B",
          leaseUntil: t0 + 6000
        })
        // releasing by a non-owner does nothing
        yield* s.release("r1", "A")
        expect(yield* s.claim("r1", "C", t0 + 2002, t0 + 3000)).toEqual({
          claimed: false,
          owner: "B",
          leaseUntil: t0 + 6000
        })
        // released by its owner, anyone may claim
        yield* s.release("r1", "B")
        expect(yield* s.claim("r1", "A", t0 + 2003, t0 + 3000)).toEqual({ claimed: true })
        // a known-dead owner can be taken over while its lease is live
        expect((yield* s.claim("r1", "C", t0 + 2004, t0 + 9000, "B")).claimed).toBe(false)
        expect(yield* s.claim("r1", "C", t0 + 2004, t0 + 9000, "A")).toEqual({ claimed: true })
        expect(yield* s.claim("r1", "A", t0 + 2005, t0 + 3000)).toEqual({
          claimed: false,
          owner: "C",
          leaseUntil: t0 + 9000
        })
        // a run that does not exist is held by nobody and cannot be claimed
        expect(yield* s.claim("nope", "A", t0, t0 + 1000)).toEqual({ claimed: false, owner: null, leaseUntil: null })
      }).pipe(Effect.provide(layer)))

    it.effect("of many concurrent claims on a free run exactly one wins", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({}))
        const owners = Array.from({ length: 16 }, (_, i) => `owner-${i}`)
        const results = yield* Effect.forEach(owners, (owner) => s.claim("r1", owner, t0, t0 + 10_000), {
          concurrency: "unbounded"
        })
        const winners = results.filter((r) => r.claimed)
        expect(winners).toHaveLength(1)
        const winner = owners[results.findIndex((r) => r.claimed)]
        for (const r of results) {
          if (!r.claimed) expect(r.owner).toBe(winner)
        }
      }).pipe(Effect.provide(layer)))

    it.effect("collectExpired deletes only finished runs past their expiry, with their steps and snapshots", () =>
      Effect.gen(function*() {
        const s = yield* store
        const now = t0 + 100_000
        const cases: ReadonlyArray<[string, RunStatus, number | null, boolean]> = [
          ["completed-expired", "completed", now - 1, true],
          ["failed-expired", "failed", now - 50_000, true],
          ["cancelled-expired", "cancelled", now - 1, true],
          ["completed-at-now", "completed", now, false],
          ["completed-later", "completed", now + 1, false],
          ["completed-never", "completed", null, false],
          ["running-expired", "running", now - 1, false],
          ["suspended-expired", "suspended", now - 1, false]
        ]
        for (const [id, status, expiresAt] of cases) {
          yield* s.createRun(runRecord(id), storedState({ id }))
          yield* s.appendStep(stepRecord(id, 1), { updatedAt: t0 + 1, snapshot: storedState({ id, step: 1 }) })
          yield* s.appendStep(stepRecord(id, 2), { updatedAt: t0 + 2 })
          yield* s.setStatus(id, { status, updatedAt: t0 + 3, expiresAt })
        }
        expect(yield* s.collectExpired(now)).toBe(3)
        for (const [id, , , deleted] of cases) {
          expect(Option.isNone(yield* s.getRun(id)), id).toBe(deleted)
          expect(Option.isNone(yield* s.load(id)), id).toBe(deleted)
          expect((yield* s.steps(id)).length, id).toBe(deleted ? 0 : 2)
        }
        expect((yield* s.list({})).length).toBe(cases.length - 3)
        // nothing more to collect
        expect(yield* s.collectExpired(now)).toBe(0)
        // a run created again under a collected id starts from nothing
        yield* s.createRun(runRecord("completed-expired"), storedState({ fresh: true }))
        const fresh = Option.getOrThrow(yield* s.load("completed-expired"))
        expect(fresh.snapshot).toEqual(storedState({ fresh: true }))
        expect(fresh.stepsAfterSnapshot).toEqual([])
        expect(yield* s.steps("completed-expired")).toEqual([])
      }).pipe(Effect.provide(layer)))

    it.effect("appendStep to a cancelled run fails with RunCancelled and writes nothing", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({ a: 1 }))
        yield* s.appendStep(stepRecord("r1", 1), { updatedAt: t0 + 1 })
        yield* s.setStatus("r1", { status: "cancelled", updatedAt: t0 + 2 })
        const error = yield* Effect.flip(
          s.appendStep(stepRecord("r1", 2), { updatedAt: t0 + 3, snapshot: storedState({ a: 9 }) })
        )
        expect(error).toBeInstanceOf(RunCancelled)
        expect(error.message).toContain("r1")
        expect((yield* s.steps("r1")).map((step) => step.seq)).toEqual([1])
        const loaded = Option.getOrThrow(yield* s.load("r1"))
        expect(loaded.run.seq).toBe(1)
        expect(loaded.run.updatedAt).toBe(t0 + 2)
        expect(loaded.snapshot).toEqual(storedState({ a: 1 }))
      }).pipe(Effect.provide(layer)))

    it.effect("a checkpoint whose updatedAt is the step's end (the runner's usual call) advances the cursor too", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({ a: 1 }))
        const first = stepRecord("r1", 1)
        yield* s.appendStep(first, { updatedAt: first.endedAt })
        const run = Option.getOrThrow(yield* s.getRun("r1"))
        expect([run.seq, run.updatedAt]).toEqual([1, first.endedAt])
        expect(yield* s.steps("r1")).toEqual([first])
        // a step of an unknown run is dropped, not recorded
        yield* s.appendStep(stepRecord("nobody", 1), { updatedAt: first.endedAt })
        expect(yield* s.steps("nobody")).toEqual([])
        expect(Option.isNone(yield* s.getRun("nobody"))).toBe(true)
        // and a cancelled run refuses it
        yield* s.setStatus("r1", { status: "cancelled", updatedAt: t0 + 5000 })
        const second = stepRecord("r1", 2)
        expect(yield* Effect.flip(s.appendStep(second, { updatedAt: second.endedAt }))).toBeInstanceOf(RunCancelled)
        const after = Option.getOrThrow(yield* s.getRun("r1"))
        expect([after.seq, after.status]).toEqual([1, "cancelled"])
        expect((yield* s.steps("r1")).map((step) => step.seq)).toEqual([1])
      }).pipe(Effect.provide(layer)))

    it.effect("a cancelled run is final: setStatus leaves it unchanged", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({ a: 1 }))
        yield* s.setStatus("r1", { status: "suspended", updatedAt: t0 + 1 })
        expect(Option.getOrThrow(yield* s.getRun("r1")).status).toBe("suspended")
        yield* s.setStatus("r1", { status: "cancelled", updatedAt: t0 + 2, expiresAt: t0 + 100 })
        yield* s.setStatus("r1", {
          status: "completed",
          updatedAt: t0 + 3,
          expiresAt: null,
          error: { tag: "X", message: "late" },
          snapshot: storedState({ a: 2 })
        })
        yield* s.setStatus("r1", { status: "running", updatedAt: t0 + 4 })
        const run = Option.getOrThrow(yield* s.getRun("r1"))
        expect(run).toEqual(runRecord("r1", { status: "cancelled", updatedAt: t0 + 2, expiresAt: t0 + 100 }))
        expect(Option.getOrThrow(yield* s.load("r1")).snapshot).toEqual(storedState({ a: 1 }))
      }).pipe(Effect.provide(layer)))

    it.effect("recordSignal checks the run and refuses a second pending signal of one name", () =>
      Effect.gen(function*() {
        const s = yield* store
        const signal = (runId: string, name: string, payload: unknown, at = t0) =>
          s.recordSignal({ runId, name, payload, receivedAt: at })
        expect(yield* signal("nope", "approval", { ok: true })).toBe("not-found")
        yield* s.createRun(runRecord("r1"), storedState({}))
        expect(yield* signal("r1", "approval", { approved: true, by: "ann'e ✓", notes: [1, { x: null }] })).toBe("recorded")
        expect(yield* signal("r1", "approval", { approved: false })).toBe("already-pending")
        expect(yield* signal("r1", "webhook", "second name")).toBe("recorded")
        yield* s.setStatus("r1", { status: "suspended", updatedAt: t0 + 1 })
        expect(yield* signal("r1", "other", 3)).toBe("recorded")
        expect(yield* s.signals("r1")).toEqual([
          {
            runId: "r1",
            name: "approval",
            payload: { approved: true, by: "ann'e ✓", notes: [1, { x: null }] },
            receivedAt: t0,
            consumedBy: null
          },
          { runId: "r1", name: "webhook", payload: "second name", receivedAt: t0, consumedBy: null },
          { runId: "r1", name: "other", payload: 3, receivedAt: t0, consumedBy: null }
        ])
        for (const status of ["completed", "failed", "cancelled"] as const) {
          const id = `ended-${status}`
          yield* s.createRun(runRecord(id), storedState({}))
          yield* s.setStatus(id, { status, updatedAt: t0 + 1 })
          expect(yield* signal(id, "approval", true), status).toBe("run-ended")
          expect(yield* s.signals(id)).toEqual([])
        }
        expect(yield* s.signals("nope")).toEqual([])
      }).pipe(Effect.provide(layer)))

    it.effect("takeSignal consumes the oldest pending signal once, and gives a step back its own", () =>
      Effect.gen(function*() {
        const s = yield* store
        yield* s.createRun(runRecord("r1"), storedState({}))
        expect(yield* s.takeSignal("r1", "approval", "a/wait")).toEqual(Option.none())
        yield* s.recordSignal({ runId: "r1", name: "approval", payload: 1, receivedAt: t0 + 1 })
        const first = yield* s.takeSignal("r1", "approval", "a/wait")
        expect(first).toEqual(Option.some({ runId: "r1", name: "approval", payload: 1, receivedAt: t0 + 1, consumedBy: "a/wait" }))
        // the same step again (re-executed after a crash): the same signal
        expect(yield* s.takeSignal("r1", "approval", "a/wait")).toEqual(first)
        // another step: nothing pending
        expect(yield* s.takeSignal("r1", "approval", "b/wait")).toEqual(Option.none())
        // once consumed, a new signal of the same name is accepted and goes to the next step
        expect(yield* s.recordSignal({ runId: "r1", name: "approval", payload: 2, receivedAt: t0 + 2 })).toBe("recorded")
        expect(yield* s.takeSignal("r1", "other", "b/wait")).toEqual(Option.none())
        expect(Option.map(yield* s.takeSignal("r1", "approval", "b/wait"), (sig) => sig.payload)).toEqual(Option.some(2))
        expect(Option.map(yield* s.takeSignal("r1", "approval", "a/wait"), (sig) => sig.payload)).toEqual(Option.some(1))
        expect((yield* s.signals("r1")).map((sig) => [sig.payload, sig.consumedBy])).toEqual([[1, "a/wait"], [2, "b/wait"]])
        expect(yield* s.takeSignal("unknown", "approval", "a/wait")).toEqual(Option.none())
      }).pipe(Effect.provide(layer)))

    it.effect("collectExpired deletes the signals of the runs it collects", () =>
      Effect.gen(function*() {
        const s = yield* store
        for (const id of ["old", "kept"]) {
          yield* s.createRun(runRecord(id), storedState({}))
          yield* s.recordSignal({ runId: id, name: "approval", payload: id, receivedAt: t0 })
        }
        yield* s.setStatus("old", { status: "completed", updatedAt: t0 + 1, expiresAt: t0 + 10 })
        expect(yield* s.collectExpired(t0 + 11)).toBe(1)
        expect(yield* s.signals("old")).toEqual([])
        expect((yield* s.signals("kept")).map((sig) => sig.payload)).toEqual(["kept"])
        // an id reused after collection starts without signals
        yield* s.createRun(runRecord("old"), storedState({}))
        expect(yield* s.takeSignal("old", "approval", "w")).toEqual(Option.none())
      }).pipe(Effect.provide(layer)))
  })
}
