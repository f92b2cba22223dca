/**
 * Workers record themselves in the store: `engine.workers` lists a worker
 * serving queues live (host, pid, queues, beats, runs in hand), a dead one
 * (its beats stopped) as dead until its runs are taken over, and none once
 * a worker stops with nothing in hand; `engine.queues` gives each queue's
 * depth, oldest queued run's age and the workers serving it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Scope } from "effect"
import { Engine, Settings, SnapshotStore, Worker } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { hello } from "../http/fixtures.js"
import { tempFile } from "../support.js"

const stores = {
  memory: SnapshotStore.layerMemory,
  sqlite: Layer.unwrapScoped(Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename })))
}

describe.each(Object.entries(stores))("workers and queues (%s)", (_, store) => {
  const live = Layer.provideMerge(
    Engine.layer,
    Layer.merge(store, Settings.layerWith({ pollInterval: Duration.millis(20), leaseDuration: Duration.seconds(3) }))
  )

  it.scopedLive("a worker is listed alive with its queues while it serves, and gone once it stopped", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.register(hello)
      const scope = yield* Scope.make()
      yield* Layer.buildWithScope(Worker.layer({ queues: { orders: 3 } }), scope).pipe(Effect.provideService(Engine.Engine, engine))
      const [worker] = yield* engine.workers
      expect(worker).toMatchObject({ pid: process.pid, queues: { orders: 3 }, state: "alive", runsInHand: 0, stoppedAt: null })
      const queues = yield* engine.queues
      expect(queues.find((q) => q.queue === "orders")).toMatchObject({ queued: 0, workers: [worker!.workerId] })
      yield* Scope.close(scope, Exit.void)
      expect(yield* engine.workers).toEqual([])
    }).pipe(Effect.provide(live)), 30_000)

  it.scopedLive("a dead worker is shown dead, with its runs, until they are taken over; queued runs make depth", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const s = yield* SnapshotStore.SnapshotStore
      const now = Date.now()
      const dead = "elsewhere:999999:deadbeef"
      yield* s.recordWorker({
        workerId: dead,
        host: "elsewhere",
        pid: 999999,
        queues: { default: 5 },
        startedAt: now - 60_000,
        heartbeatAt: now - 40_000,
        leaseUntil: now - 30_000,
        stoppedAt: null
      })
      const run = { templateName: "hello", templateVersion: "1", timeoutMillis: 0, parentId: null, queue: "default", traceContext: null }
      yield* s.createRun({ ...run, runId: "held", rootId: "held", createdAt: now - 50_000 }, { entries: {}, createdAt: now, updatedAt: now }, {
        owner: dead,
        leaseUntil: now - 30_000
      })
      yield* s.createRun({ ...run, runId: "waiting", rootId: "waiting", createdAt: now - 5_000 }, { entries: {}, createdAt: now, updatedAt: now }, null)
      const [shown] = yield* engine.workers
      expect(shown).toMatchObject({ workerId: dead, state: "dead", runsInHand: 1, host: "elsewhere" })
      const [queue] = yield* engine.queues
      expect(queue).toMatchObject({ queue: "default", queued: 1, running: 1 })
      expect(queue!.oldestQueuedAgeMs).toBeGreaterThanOrEqual(5_000)
      // another engine takes the run over: the dead worker is forgotten
      expect((yield* s.claim("held", "engine-b", now, now + 30_000)).claimed).toBe(true)
      expect(yield* engine.workers).toEqual([])
    }).pipe(Effect.provide(live)), 30_000)
})
