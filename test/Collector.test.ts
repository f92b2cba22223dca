import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Layer, TestClock } from "effect"
import { Collector, Engine, Testing } from "weftjs"
import { flow, goodInput } from "./fixtures.js"
import { stuckTemplate } from "./support.js"

/** An in-memory engine (TTL 1 hour, no workflow timeout) with a collector every 10 minutes. */
const EngineWithCollector = Layer.provideMerge(
  Collector.layer({ every: "10 minutes" }),
  Testing.layer({ stateTtl: Duration.hours(1), workflowTimeout: Duration.infinity })
)

describe("Collector", () => {
  it.scoped("the periodic fiber deletes finished runs once their TTL passes, never active ones", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.run(flow, goodInput, { runId: "finished" })
      const started = yield* Deferred.make<void>()
      yield* engine.start(stuckTemplate(started), {}, { runId: "active" })
      yield* Deferred.await(started)

      // 50 minutes: the finished run is not yet expired
      yield* TestClock.adjust("50 minutes")
      expect((yield* engine.status("finished")).status).toBe("completed")

      // past the hour, the next tick collects it; the active run stays however old it is
      yield* TestClock.adjust("20 minutes")
      expect((yield* Effect.flip(engine.status("finished")))._tag).toBe("RunNotFound")
      yield* TestClock.adjust("2 hours")
      expect((yield* engine.status("active")).status).toBe("running")
    }).pipe(Effect.provide(EngineWithCollector)))

  it.scoped("Collector.collect deletes on demand and reports how many", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.run(flow, goodInput, { runId: "a" })
      yield* engine.run(flow, goodInput, { runId: "b" })
      expect(yield* Collector.collect).toBe(0)
      yield* TestClock.adjust("61 minutes")
      expect(yield* Collector.collect).toBe(2)
      expect(yield* engine.list()).toEqual([])
    }).pipe(Effect.provide(Testing.layer({ stateTtl: Duration.hours(1) }))))
})
