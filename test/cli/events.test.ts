/**
 * What a worker (and `weft run`) prints of a run's executions: a queued
 * run's first execution is "started", not "resumed", and "resumed after N
 * completed step(s)" counts what the run's trace and `weft status`
 * (`completedSteps`) show.
 */
import { Duration, Effect, Layer, Queue, Stream } from "effect"
import { describe, expect, it } from "vitest"
import { Engine, Event, Settings, SnapshotStore, type Template } from "weftjs"
import config, { approval, hello } from "./fixtures/weft.config.js"

const layer = Layer.provide(Engine.layer, SnapshotStore.layerMemory).pipe(
  Layer.provideMerge(config.layer!),
  Layer.provide(Settings.layerWith({ retryDelay: Duration.zero }))
)

/** A template typed for the engine's generic operations (its services come from the layer). */
const runnable = (template: Template.Template.Any) => template as unknown as Template.Template<object, object, unknown, never>

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
      yield* engine.register(runnable(hello))
      yield* engine.register(runnable(approval))

      // queued, then taken up here (as a worker does)
      yield* engine.start(runnable(hello), { who: "q" }, { runId: "q1", queue: "other" })
      yield* engine.resume(runnable(hello), "q1")
      const first = yield* Queue.take(events)
      expect(Event.format(first)).toBe("run q1 started (hello@1)")

      // suspended after one step; the signal resumes it
      yield* engine.start(runnable(approval), { amount: 1 }, { runId: "a1" })
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
