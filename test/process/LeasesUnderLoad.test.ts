/**
 * An engine busy with many runs of synchronous steps on SQLite (issue 24.6):
 * Effect resumes fibers on microtasks, SQLite writes synchronously and the
 * group commit flushes on a microtask, so without a time budget node never
 * reached its timers while the runs executed — the heartbeat woke seconds
 * late, leases lapsed, and the engine's own recovery claimed its own runs.
 * Here 600 runs of 10 steps take several leases in all: node's own timer keeps
 * firing (well within a lease), and no run is ever claimed a second time.
 * Real time, in-process (the `process` project): bounds are generous for a
 * loaded 2-core machine.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Duration, Effect, Layer, ManagedRuntime, Option, Schema } from "effect"
import { Engine, Settings, SnapshotStore, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { afterEach, describe, expect, it } from "vitest"

const leaseMillis = 1500
const runs = 600
const steps = 10
/** CPU each step burns, synchronously (with the engine's own work: several seconds in all, a few leases). */
const stepCpuMillis = 0.1

const burn = (millis: number) => {
  const until = performance.now() + millis
  while (performance.now() < until) {
    // busy: synchronous work, as a CPU-bound step does
  }
}

const tick = (i: number) =>
  Step.make({
    name: `s${i}`,
    requires: { n: Schema.Number },
    provides: { n: Schema.Number },
    run: ({ n }) => {
      burn(stepCpuMillis)
      return Effect.succeed({ n: n + 1 })
    }
  })

const busy = Template.make({
  name: "busy",
  version: "1",
  steps: Array.from({ length: steps }, (_, i) => tick(i)) as never
}) as unknown as Template.Template<{ n: number }, { n: number }, never, never>

let dir: string | undefined
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

describe("an engine under a synchronous burst of work", () => {
  it("lets node's timers fire (its heartbeat renews on time) and never claims its own runs", async () => {
    dir = mkdtempSync(join(tmpdir(), "weft-leases-under-load-"))
    const storeLayer = Sqlite.layerStore({ filename: join(dir, "runs.db") })
    const runtime = ManagedRuntime.make(
      Engine.layer.pipe(
        Layer.provide(Settings.layerWith({
          maxConcurrentWorkflows: runs,
          leaseDuration: Duration.millis(leaseMillis),
          pollInterval: Duration.millis(100),
          recovery: true,
          maxRetries: 0,
          workflowTimeout: Duration.infinity
        })),
        Layer.provideMerge(storeLayer),
        Layer.orDie
      )
    )
    const gaps = { worst: 0, last: performance.now() }
    const timer = setInterval(() => {
      const now = performance.now()
      gaps.worst = Math.max(gaps.worst, now - gaps.last)
      gaps.last = now
    }, 20)
    try {
      const began = performance.now()
      const ids = await runtime.runPromise(Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const handles = []
        for (let i = 0; i < runs; i++) handles.push(yield* engine.start(busy, { n: 0 }))
        yield* Effect.forEach(handles, (h) => h.await, { concurrency: "unbounded", discard: true })
        return handles.map((h) => h.runId)
      }))
      const took = performance.now() - began
      clearInterval(timer)
      const records = await runtime.runPromise(Effect.gen(function*() {
        const store = yield* SnapshotStore.SnapshotStore
        return yield* Effect.forEach(ids, (id) => Effect.map(store.getRun(id), Option.getOrThrow))
      }))
      // the scenario happened: the work lasted longer than a lease
      expect(took).toBeGreaterThan(leaseMillis)
      // node's timers fired all along (the heartbeat beats every third of a lease): well within a lease
      expect(gaps.worst, `node's 20 ms timer, at worst ${Math.round(gaps.worst)} ms apart in ${Math.round(took)} ms`).toBeLessThan(
        leaseMillis / 2
      )
      // every run completed, claimed once: never taken over by its own engine's recovery
      expect(records.map((r) => r.status)).toEqual(ids.map(() => "completed"))
      expect(new Set(records.map((r) => r.generation))).toEqual(new Set([1]))
    } finally {
      clearInterval(timer)
      await runtime.dispose()
    }
  }, 60_000)
})
