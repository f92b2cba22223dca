/**
 * A run that waited for a permit while another engine took it over (its
 * lease ran out while this process stalled) is not executed here: none of
 * its steps runs in the engine that no longer holds it (issue 9, item 1:
 * "launching a run does not re-check the store after claiming").
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Layer, Option, Schema } from "effect"
import { SnapshotStore, Step, Template } from "weftjs"
import { engineProcess } from "../support.js"

describe("a claim taken over while the run waits for a permit", () => {
  it.live("the engine that lost it runs none of its steps; its permit goes to the next run", () =>
    Effect.gen(function*() {
      const store = Context.get(yield* Layer.build(SnapshotStore.layerMemory), SnapshotStore.SnapshotStore)
      const gate = yield* Deferred.make<void>()
      const executed: Array<string> = []
      const gated = Template.make({
        name: "gated",
        version: "1",
        steps: [Step.make({
          name: "s1",
          requires: {},
          provides: { done: Schema.Boolean },
          run: (_, ctx) =>
            Effect.gen(function*() {
              executed.push(ctx.runId)
              if (ctx.runId === "first") yield* Deferred.await(gate)
              return { done: true }
            })
        })]
      })
      // one run at a time: "waiting" is claimed by this engine and waits for the permit "first" holds
      const a = yield* engineProcess(Layer.succeed(SnapshotStore.SnapshotStore, store), {
        maxConcurrentWorkflows: 1,
        recovery: false,
        leaseDuration: Duration.seconds(30)
      })
      const first = yield* a.engine.start(gated, {}, { runId: "first" })
      yield* a.engine.start(gated, {}, { runId: "waiting" })
      yield* Effect.sleep("20 millis")
      // another engine claims "waiting", as it may once this engine's lease on it has run out
      const now = Date.now()
      const taken = yield* store.claim("waiting", "other:1:engine", now + 60_000, now + 120_000)
      expect(taken.claimed).toBe(true)
      yield* Deferred.succeed(gate, undefined)
      yield* first.await
      // the permit is free again: a third run executes
      const third = yield* a.engine.start(gated, {}, { runId: "third" })
      yield* third.await
      expect(executed).toEqual(["first", "third"])
      const waiting = Option.getOrThrow(yield* store.getRun("waiting"))
      expect([waiting.status, waiting.owner, waiting.generation, waiting.seq]).toEqual(["running", "other:1:engine", 2, 0])
      yield* a.stop
    }).pipe(Effect.scoped))
})
