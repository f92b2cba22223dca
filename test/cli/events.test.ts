/**
 * What a worker (and `weft run`) prints of a run's executions: a queued
 * run's first execution is "started", not "resumed", and "resumed after N
 * completed step(s)" counts what the run's trace and `weft status`
 * (`completedSteps`) show.
 */
import { Effect, Layer, Queue, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Engine, Event, Settings, SnapshotStore } from "weftjs"
import config, { approval, hello } from "./fixtures/weft.config.ts"

const layer = Layer.provide(Engine.layer, SnapshotStore.layerMemory).pipe(
  Layer.provideMerge(config.layer!),
  Layer.provide(Settings.layerWith({ retryDelay: 0 }))
)

describe("the events of a run's executions", () => {
  it("a queued run's first execution is started; a resume counts the steps its trace shows", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const events = yield* Queue.unbounded<Event.Event>()
      yield* Effect.forkScoped(Stream.runForEach(yield* engine.subscribe, (event) => Queue.offer(events, event)))
      const next = (tag: Event.Event["_tag"], runId: string) =>
        Effect.iterate(undefined as Event.Event | undefined, {
          while: (event) => event === undefined || event._tag !== tag || event.runId !== runId,
          body: () => Queue.take(events)
        })
      yield* engine.register(hello as never)
      yield* engine.register(approval as never)

      // queued, then taken up here (as a worker does)
      yield* engine.start(hello as never, { who: "q" } as never, { runId: "q1", queue: "other" })
      yield* engine.resume(hello as never, "q1")
      const first = yield* Queue.take(events)
      expect(Event.format(first)).toBe("run q1 started (hello@1)")

      // suspended after one step; the signal resumes it
      yield* engine.start(approval as never, { amount: 1 } as never, { runId: "a1" })
      yield* next("RunSuspended", "a1")
      const shown = (yield* engine.inspect("a1")).position.completedSteps
      expect(shown).toBe(1)
      yield* engine.signal("a1", "decision", { approved: true, by: "x" })
      const resumed = yield* next("RunResumed", "a1")
      expect(resumed?._tag === "RunResumed" ? resumed.completedSteps : undefined).toBe(shown)
      expect(Event.format(resumed!)).toBe("run a1 resumed after 1 completed step(s)")
      yield* next("RunCompleted", "a1")
    }).pipe(Effect.provide(layer), Effect.scoped, Effect.runPromise), 30_000)
})
