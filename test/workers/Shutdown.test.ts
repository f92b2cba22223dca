/**
 * A stopping engine's grace (regression): its runs get `shutdownGrace` to
 * finish, and no more — a run that does not end by then is interrupted and
 * handed back (the grace used to be waited for as long as the runs took,
 * forever for a run that never ends). Real time, a SQLite file (an
 * in-memory store has no grace: its runs cannot be handed to anyone).
 */
import { expect, it } from "@effect/vitest"
import { Context, Deferred, Duration, Effect, Layer, Option, Schema } from "effect"
import { SnapshotStore, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { newRun, storedState } from "../contract/SnapshotStoreContract.js"
import { engineProcess, stuckTemplate, tempFile } from "../support.js"

/** A SQLite store on a temporary file, as a layer and as a service (to read runs back). */
const sqliteStore = Effect.gen(function*() {
  const filename = yield* tempFile
  const layer = Sqlite.layerStore({ filename })
  const store = yield* Effect.orDie(Effect.map(Layer.build(layer), (c) => Context.get(c, SnapshotStore.SnapshotStore)))
  return { layer, store }
})

it.scopedLive("a run that outlasts the grace is interrupted when the grace ends, and handed back", () =>
  Effect.gen(function*() {
    const { layer, store } = yield* sqliteStore
    const started = yield* Deferred.make<void>()
    const interrupted = yield* Deferred.make<void>()
    const process = yield* engineProcess(layer, {
      shutdownGrace: Duration.millis(300)
    })
    yield* process.engine.start(stuckTemplate(started, interrupted), {}, { runId: "stuck" })
    yield* Deferred.await(started)

    const before = Date.now()
    yield* process.stop.pipe(Effect.timeoutFail({ duration: "5 seconds", onTimeout: () => "the engine did not stop" }))
    const took = Date.now() - before
    expect(took).toBeGreaterThanOrEqual(290)
    expect(took).toBeLessThan(2_000)
    expect(yield* Deferred.isDone(interrupted)).toBe(true)
    const run = Option.getOrThrow(yield* store.getRun("stuck"))
    expect(run.status).toBe("running")
    expect(run.owner).toBeNull()
  }))

it.scopedLive("a run that ends within the grace completes before the engine stops", () =>
  Effect.gen(function*() {
    const { layer, store } = yield* sqliteStore
    const started = yield* Deferred.make<void>()
    const slow = Template.make({
      name: "slow",
      version: "1",
      steps: [Step.make({
        name: "slow",
        requires: {},
        provides: { done: Schema.Boolean },
        run: () => Effect.zipRight(Deferred.succeed(started, undefined), Effect.as(Effect.sleep("200 millis"), { done: true }))
      })]
    })
    const process = yield* engineProcess(layer, {
      shutdownGrace: Duration.seconds(5)
    })
    yield* process.engine.start(slow, {}, { runId: "slow" })
    yield* Deferred.await(started)

    const before = Date.now()
    yield* process.stop
    expect(Date.now() - before).toBeLessThan(2_000)
    expect(Option.getOrThrow(yield* store.getRun("slow")).status).toBe("completed")
  }))

it.scopedLive("a stopping engine claims nothing more during its grace", () =>
  Effect.gen(function*() {
    const { layer, store } = yield* sqliteStore
    const started = yield* Deferred.make<void>()
    const process = yield* engineProcess(layer, {
      shutdownGrace: Duration.millis(1_000),
      recovery: true,
      pollInterval: Duration.millis(50)
    })
    yield* process.engine.start(stuckTemplate(started), {}, { runId: "stuck" })
    yield* Deferred.await(started)
    // a run of the same template whose engine died: its lease passes while this engine stops
    const now = Date.now()
    yield* store.createRun(
      newRun("orphan", { templateName: "stuck", templateVersion: "1", createdAt: now }),
      storedState({}),
      { owner: "elsewhere:1:dead", leaseUntil: now + 300 }
    )
    yield* process.stop
    const orphan = Option.getOrThrow(yield* store.getRun("orphan"))
    expect(orphan.owner).toBe("elsewhere:1:dead")
    expect(orphan.generation).toBe(1)
  }))
