/**
 * The run-control part of the `SnapshotStore` contract (memory, SQLite,
 * PostgreSQL): pausing and unpausing runs, what a paused run is spared
 * (claims, wake-ups) and keeps (signals, deadlines), a pause asked of an
 * executing run's owner, recovery attempts and dead letters, priorities.
 *
 *   controlSuite("memory", SnapshotStore.layerMemory)
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { Errors } from "weftjs"
import type { ClaimFilter, NewRun } from "../../src/SnapshotStore.js"
import { SnapshotStore } from "../../src/SnapshotStore.js"
import { newRun, stepRecord, storedState, t0 } from "./SnapshotStoreContract.js"

const owner = "engine-a"
const other = "engine-b"
const lease60 = t0 + 60_000
const templates = [{ name: "order_processing", version: "1.0.0" }]

/** Registers the run-control contract tests for one implementation (a fresh store per test). */
export const controlSuite = <E>(name: string, layer: Layer.Layer<SnapshotStore, E>): void => {
  const get = (runId: string) => Effect.map(Effect.flatMap(SnapshotStore, (s) => s.getRun(runId)), Option.getOrThrow)
  const started = (runId: string, overrides: Partial<NewRun> = {}) =>
    Effect.flatMap(SnapshotStore, (s) =>
      Effect.map(s.createRun(newRun(runId, overrides), storedState({}), { owner, leaseUntil: lease60 }), (l) => l!))
  const queued = (runId: string, overrides: Partial<NewRun> = {}) =>
    Effect.flatMap(SnapshotStore, (s) => s.createRun(newRun(runId, { queue: "q", ...overrides }), storedState({}), null))
  const claimNext = (who: string, now: number, filter: Partial<ClaimFilter> = {}) =>
    Effect.flatMap(SnapshotStore, (s) =>
      s.claimNext(who, now, now + 60_000, { templates, queues: ["q"], limit: 10, ...filter }))

  describe(`SnapshotStore run control: ${name}`, () => {
    it.effect("a queued run pauses at once, is never claimed, and returns to its queue when unpaused", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* queued("r1")
        expect(yield* s.pauseRun("r1", t0 + 5)).toEqual({ _tag: "Paused", from: "queued" })
        const paused = yield* get("r1")
        expect([paused.status, paused.pausedFrom, paused.updatedAt]).toEqual(["paused", "queued", t0 + 5])
        expect(yield* s.pauseRun("r1", t0 + 6)).toEqual({ _tag: "Paused", from: "queued" })
        expect(yield* claimNext(other, t0 + 10)).toEqual([])
        const refused = yield* s.claim("r1", other, t0 + 10, t0 + 60_000)
        expect(refused.claimed ? "claimed" : refused.reason).toBe("paused")
        expect(yield* s.list({ status: "paused" })).toHaveLength(1)
        expect(yield* s.unpauseRun("r1", t0 + 20)).toEqual({ _tag: "Unpaused", status: "queued" })
        expect(yield* s.unpauseRun("r1", t0 + 21)).toEqual({ _tag: "NotPaused", status: "queued" })
        expect((yield* claimNext(other, t0 + 30)).map((c) => c.run.runId)).toEqual(["r1"])
      }).pipe(Effect.provide(layer)))

    it.effect("a run held under a live lease is asked to pause: its owner learns it from its heartbeat and its hand-back records it paused", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1")
        expect(yield* s.pauseRun("r1", t0 + 1)).toEqual({ _tag: "Pausing", owner })
        const asked = yield* get("r1")
        expect([asked.status, asked.owner, asked.pausedFrom]).toEqual(["running", owner, "running"])
        // its steps are still recorded under its lease
        yield* s.appendStep(stepRecord("r1", 1), lease)
        const beat = yield* s.heartbeat(owner, t0 + 70_000)
        expect(beat.map((b) => [b.runId, b.pauseAsked])).toEqual([["r1", true]])
        yield* s.pause("r1", lease, { _tag: "Release" }, { updatedAt: t0 + 2000, elapsedMillis: 10 })
        const paused = yield* get("r1")
        expect([paused.status, paused.owner, paused.pausedFrom, paused.seq]).toEqual(["paused", null, "running", 1])
        expect(yield* claimNext(other, t0 + 200_000)).toEqual([])
        expect(yield* s.unpauseRun("r1", t0 + 3000)).toEqual({ _tag: "Unpaused", status: "running" })
        const claimed = yield* claimNext(other, t0 + 4000)
        expect(claimed.map((c) => [c.run.runId, c.run.recoveryAttempts])).toEqual([["r1", 0]])
      }).pipe(Effect.provide(layer)))

    it.effect("a pause asked of a run that then suspends records it paused with its wait; a signal still marks it due", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1")
        expect((yield* s.pauseRun("r1", t0 + 1))._tag).toBe("Pausing")
        const waitingFor = { runId: "r1", step: "flow/wait", signal: "go" }
        yield* s.pause("r1", lease, { _tag: "Suspend", wakeAt: t0 + 50_000, waitingFor }, { updatedAt: t0 + 2, elapsedMillis: 0 })
        const paused = yield* get("r1")
        expect([paused.status, paused.pausedFrom, paused.wakeAt, paused.waitingFor]).toEqual([
          "paused",
          "suspended",
          t0 + 50_000,
          waitingFor
        ])
        expect(yield* s.recordSignal({ runId: "r1", name: "go", payload: 1, receivedAt: t0 + 10 })).toBe("recorded")
        expect((yield* get("r1")).wakeAt).toBe(t0 + 10)
        expect(yield* claimNext(other, t0 + 100_000)).toEqual([])
        expect(yield* s.unpauseRun("r1", t0 + 20)).toEqual({ _tag: "Unpaused", status: "suspended" })
        const back = yield* get("r1")
        expect([back.status, back.wakeAt, back.waitingFor]).toEqual(["suspended", t0 + 10, waitingFor])
        expect((yield* claimNext(other, t0 + 30)).map((c) => c.run.runId)).toEqual(["r1"])
      }).pipe(Effect.provide(layer)))

    it.effect("a suspended run pauses at once, keeps its deadline, and is due at once on unpause when it passed", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* started("r1")
        const waitingFor = { runId: "r1", step: "flow/nap", signal: null }
        yield* s.pause("r1", lease, { _tag: "Suspend", wakeAt: t0 + 1000, waitingFor }, { updatedAt: t0, elapsedMillis: 0 })
        expect(yield* s.pauseRun("r1", t0 + 10)).toEqual({ _tag: "Paused", from: "suspended" })
        expect(yield* claimNext(other, t0 + 5000)).toEqual([])
        expect(yield* s.unpauseRun("r1", t0 + 6000)).toEqual({ _tag: "Unpaused", status: "suspended" })
        expect((yield* claimNext(other, t0 + 6000)).map((c) => c.run.runId)).toEqual(["r1"])
      }).pipe(Effect.provide(layer)))

    it.effect("an orphaned run a pause was asked of becomes paused instead of being claimed; cancel and finish end a pause", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* started("r1")
        const lease2 = yield* started("r2")
        yield* s.pauseRun("r1", t0 + 1)
        yield* s.pauseRun("r2", t0 + 1)
        // nor is it listed as claimable once its lease passed (what the recovery poller reads)
        expect((yield* s.list({ claimableAt: lease60 + 1 })).map((r) => r.runId)).toEqual([])
        expect(yield* claimNext(other, lease60 + 1)).toEqual([])
        const parked = yield* get("r1")
        expect([parked.status, parked.owner, parked.pausedFrom]).toEqual(["paused", null, "running"])
        expect((yield* s.cancel("r1", lease60 + 2, null))._tag).toBe("Cancelled")
        expect([(yield* get("r1")).status, (yield* get("r1")).pausedFrom]).toEqual(["cancelled", null])
        expect(yield* s.pauseRun("r1", lease60 + 3)).toEqual({ _tag: "Finished", status: "cancelled" })
        expect(yield* s.pauseRun("nope", t0)).toEqual({ _tag: "NotFound" })
        expect(yield* s.unpauseRun("nope", t0)).toEqual({ _tag: "NotFound" })
        // r2 was parked too: its old lease writes nothing
        const stale = yield* Effect.flip(s.finish("r2", lease2, { status: "completed", error: null, expiresAt: null }, {
          updatedAt: lease60 + 4,
          elapsedMillis: 0
        }))
        expect(stale._tag).toBe("LeaseLost")
      }).pipe(Effect.provide(layer)))

    it.effect("recovery attempts count take-ups of runs whose execution died; a clean stop resets them; past the most, a dead letter", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* started("poison")
        yield* started("fine", { createdAt: t0 + 1 })
        const deadLetter = { maxRecoveryAttempts: 2, expiresAt: t0 + 999_999 }
        let now = lease60
        for (const expected of [1, 2]) {
          now += 61_000
          const claimed = yield* claimNext(other, now, { recoverQueues: ["default"], deadLetter })
          const poison = claimed.find((c) => c.run.runId === "poison")!
          expect(poison.run.recoveryAttempts).toBe(expected)
          const fine = claimed.find((c) => c.run.runId === "fine")
          // the fine run stops cleanly each time: its count goes back to 0
          if (fine !== undefined) {
            yield* s.pause("fine", fine.lease, { _tag: "Release" }, { updatedAt: now, elapsedMillis: 0 })
            expect((yield* get("fine")).recoveryAttempts).toBe(0)
          }
        }
        now += 61_000
        const last = yield* claimNext(other, now, { recoverQueues: ["default"], deadLetter })
        expect(last.map((c) => c.run.runId)).toEqual(["fine"])
        const dead = yield* get("poison")
        expect([dead.status, dead.owner, dead.expiresAt, dead.error?.tag]).toEqual([
          "failed",
          null,
          t0 + 999_999,
          "RecoveryAttemptsExceeded"
        ])
        expect(dead.error?.data).toEqual({ runId: "poison", attempts: 2, maxRecoveryAttempts: 2 })
        expect(dead.error?.message).toBe(new Errors.RecoveryAttemptsExceeded({ runId: "poison", attempts: 2, maxRecoveryAttempts: 2 }).message)
        expect(yield* s.list({ status: "failed" })).toHaveLength(1)
      }).pipe(Effect.provide(layer)))

    it.effect("a rate limit: at most `limit` starts of a queue's queued runs in any period; other claims are not starts", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        for (let i = 0; i < 6; i++) yield* queued(`q${i}`, { createdAt: t0 + i })
        yield* started("orphan", { queue: "q" })
        const rateLimit = { queue: "q", limit: 2, periodMillis: 1000 }
        const at = (now: number) =>
          Effect.map(claimNext(other, now, { rateLimit, recoverQueues: ["q"] }), (claimed) => claimed.map((c) => c.run.runId))
        // the orphaned run is taken up (not a start), and two queued runs start
        expect(yield* at(lease60 + 10)).toEqual(["orphan", "q0", "q1"])
        expect(yield* at(lease60 + 500)).toEqual([])
        expect(yield* at(lease60 + 1009)).toEqual([])
        expect(yield* at(lease60 + 1010)).toEqual(["q2", "q3"])
        // without a rate limit, nothing holds them back
        expect((yield* claimNext(other, lease60 + 1100)).map((c) => c.run.runId)).toEqual(["q4", "q5"])
        expect((yield* s.getRun("q5")).pipe(Option.map((r) => r.status))).toEqual(Option.some("running"))
      }).pipe(Effect.provide(layer)))

    it.effect("queued runs are claimed highest priority first, then oldest", () =>
      Effect.gen(function*() {
        yield* queued("low-old", { createdAt: t0, priority: -1 })
        yield* queued("mid-old", { createdAt: t0 + 1 })
        yield* queued("high", { createdAt: t0 + 2, priority: 5 })
        yield* queued("mid-new", { createdAt: t0 + 3 })
        expect((yield* get("high")).priority).toBe(5)
        const first = yield* claimNext(other, t0 + 10, { limit: 2 })
        expect(first.map((c) => c.run.runId)).toEqual(["high", "mid-old"])
        const rest = yield* claimNext(other, t0 + 10)
        expect(rest.map((c) => c.run.runId)).toEqual(["mid-new", "low-old"])
      }).pipe(Effect.provide(layer)))
  })
}
