/**
 * The store contract of runs that start themselves (memory, SQLite,
 * PostgreSQL): follow-up runs recorded in the same transaction as an end
 * (and only with it), lineage read back, and the schedules' operations.
 * Registered by `suite` in `SnapshotStoreContract.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import type { FollowUp, ScheduleDefinition } from "../../src/SnapshotStore.js"
import { SnapshotStore } from "../../src/SnapshotStore.js"
import { newRun, storedState, t0 } from "./SnapshotStoreContract.js"

const owner = "engine-a"

const followUp = (runId: string, after: string, status: "completed" | "failed" | "cancelled" = "completed"): FollowUp => ({
  run: newRun(runId, { templateName: "notify", triggeredBy: { _tag: "Run", trigger: "t", runId: after, status } }),
  state: storedState({ count: 3 })
})

const definition = (name: string, overrides: Partial<ScheduleDefinition> = {}): ScheduleDefinition => ({
  name,
  templateName: "report",
  templateVersion: "1",
  cron: "*/5 * * * *",
  timeZone: "Europe/Paris",
  input: { day: "d", "\u0000odd": [1, "\u2028"] },
  overlap: "skip",
  catchUp: "last",
  catchUpMax: 4,
  queue: "default",
  createdAt: t0,
  ...overrides
})

/** Registers the trigger cases for one store implementation. */
export const triggersSuite = <E>(name: string, layer: Layer.Layer<SnapshotStore, E>): void => {
  describe(`SnapshotStore triggers contract: ${name}`, () => {
    it.effect("finish records the follow-up runs with the end: released, with their lineage and state", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const lease = yield* s.createRun(newRun("a"), storedState({}), { owner, leaseUntil: t0 + 60_000 })
        yield* s.finish("a", lease!, { status: "completed", error: null, expiresAt: null, followUps: [followUp("after:t:a", "a")] }, {
          updatedAt: t0 + 1,
          elapsedMillis: 1
        })
        const loaded = Option.getOrThrow(yield* s.load("after:t:a"))
        expect(loaded.run).toMatchObject({
          status: "running",
          owner: null,
          generation: 0,
          templateName: "notify",
          triggeredBy: { _tag: "Run", trigger: "t", runId: "a", status: "completed" }
        })
        expect(loaded.snapshot.entries.count?.value).toBe(3)
        // released: any engine claims it at once
        const claimed = yield* s.claim("after:t:a", "engine-b", t0 + 2, t0 + 60_000)
        expect(claimed.claimed).toBe(true)
      }).pipe(Effect.provide(layer)))

    it.effect("a refused finish (a stale lease) records no follow-up run", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        const first = yield* s.createRun(newRun("a"), storedState({}), { owner, leaseUntil: t0 + 10 })
        yield* s.claim("a", "engine-b", t0 + 20, t0 + 60_000)
        const refused = yield* Effect.flip(
          s.finish("a", first!, { status: "failed", error: null, expiresAt: null, followUps: [followUp("after:t:a", "a", "failed")] }, {
            updatedAt: t0 + 30,
            elapsedMillis: 0
          })
        )
        expect(refused._tag).toBe("LeaseLost")
        expect(Option.isNone(yield* s.getRun("after:t:a"))).toBe(true)
      }).pipe(Effect.provide(layer)))

    it.effect("a follow-up whose id exists is left as it is (a second end records nothing more)", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(newRun("after:t:a", { templateName: "kept" }), storedState({ n: 1 }), null)
        const lease = yield* s.createRun(newRun("a"), storedState({}), { owner, leaseUntil: t0 + 60_000 })
        yield* s.finish("a", lease!, { status: "completed", error: null, expiresAt: null, followUps: [followUp("after:t:a", "a")] }, {
          updatedAt: t0 + 1,
          elapsedMillis: 0
        })
        const kept = Option.getOrThrow(yield* s.load("after:t:a"))
        expect([kept.run.templateName, kept.run.status, kept.snapshot.entries.n?.value]).toEqual(["kept", "queued", 1])
        expect((yield* s.getRun("a")).pipe(Option.map((r) => r.status))).toEqual(Option.some("completed"))
      }).pipe(Effect.provide(layer)))

    it.effect("cancel records follow-ups only when it cancels the run", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(newRun("c"), storedState({}), null)
        const cancelled = yield* s.cancel("c", t0 + 1, null, [followUp("after:t:c", "c", "cancelled")])
        expect(cancelled._tag).toBe("Cancelled")
        expect(Option.getOrThrow(yield* s.getRun("after:t:c")).triggeredBy).toMatchObject({ status: "cancelled" })
        const again = yield* s.cancel("c", t0 + 2, null, [followUp("after:t2:c", "c", "cancelled")])
        expect(again._tag).toBe("Finished")
        expect(Option.isNone(yield* s.getRun("after:t2:c"))).toBe(true)
      }).pipe(Effect.provide(layer)))

    it.effect("createRun keeps what started a run; list and getRun read it back", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        yield* s.createRun(newRun("schedule:x:1", { triggeredBy: { _tag: "Schedule", schedule: "x", tick: t0 } }), storedState({}), null)
        yield* s.createRun(newRun("hook:h:k", { triggeredBy: { _tag: "Webhook", hook: "h", delivery: "k\u0000" } }), storedState({}), {
          owner,
          leaseUntil: t0 + 1
        })
        const listed = yield* s.list({})
        expect(Object.fromEntries(listed.map((r) => [r.runId, r.triggeredBy]))).toEqual({
          "schedule:x:1": { _tag: "Schedule", schedule: "x", tick: t0 },
          "hook:h:k": { _tag: "Webhook", hook: "h", delivery: "k\u0000" }
        })
      }).pipe(Effect.provide(layer)))

    it.effect("schedules: save (create, exists, replace keeping history), pause, mark ticks, buffer, delete", () =>
      Effect.gen(function*() {
        const s = yield* SnapshotStore
        expect(yield* s.saveSchedule(definition("b"), { replace: false, now: t0 })).toBe("created")
        expect(yield* s.saveSchedule(definition("a", { input: null, timeZone: null }), { replace: false, now: t0 })).toBe("created")
        expect(yield* s.saveSchedule(definition("b", { cron: "0 * * * *" }), { replace: false, now: t0 + 1 })).toBe("exists")
        expect((yield* s.schedules).map((x) => x.name)).toEqual(["a", "b"])
        expect(yield* s.pauseSchedule("b", true, t0 + 2)).toBe(true)
        expect(yield* s.pauseSchedule("nope", true, t0 + 2)).toBe(false)
        yield* s.markTick("b", t0 + 300_000, "run-1")
        yield* s.markTick("b", t0 + 100_000, null) // never back
        expect(yield* s.swapBuffered("b", null, t0 + 600_000)).toBe(true)
        expect(yield* s.swapBuffered("b", null, t0 + 900_000)).toBe(false)
        expect(yield* s.saveSchedule(definition("b", { cron: "0 * * * *", overlap: "bufferOne" }), { replace: true, now: t0 + 3 }))
          .toBe("updated")
        const b = (yield* s.schedules).find((x) => x.name === "b")!
        expect(b).toEqual({
          ...definition("b", { cron: "0 * * * *", overlap: "bufferOne" }),
          paused: true,
          updatedAt: t0 + 3,
          lastTick: t0 + 300_000,
          lastRunId: "run-1",
          bufferedTick: t0 + 600_000
        })
        const a = (yield* s.schedules).find((x) => x.name === "a")!
        expect([a.input, a.timeZone, a.paused, a.lastTick]).toEqual([null, null, false, null])
        expect(yield* s.swapBuffered("b", t0 + 600_000, null)).toBe(true)
        expect(yield* s.deleteSchedule("b")).toBe(true)
        expect(yield* s.deleteSchedule("b")).toBe(false)
        expect((yield* s.schedules).map((x) => x.name)).toEqual(["a"])
      }).pipe(Effect.provide(layer)))
  })
}
