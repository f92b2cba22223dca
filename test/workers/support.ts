/**
 * What the worker tests share: a world per test (a schema of the scratch
 * database and an execution log), worker processes (`./processes.ts`) that
 * live as long as the test, and an engine in the test process standing for
 * a process with no worker (it starts, signals and awaits runs).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Context, Duration, Effect, Layer, type Scope } from "effect"
import { Engine, Settings } from "weftjs"
import { Pg } from "weftjs/pg"
import type { Scratch } from "../pg/support.js"
import { spawnWorker, unique, type WorkerProcess, type WorkerSettings } from "./processes.js"

export { eventOf, pause, touched, type WorkerProcess } from "./processes.js"

/** The settings of a test's world: one schema of the scratch database, one execution log. */
export interface World {
  readonly scratch: Scratch
  readonly schema: string
  readonly log: string
}

/** A fresh schema and log file for one test (the log's folder is removed with the scope). */
export const world = (scratch: Scratch): Effect.Effect<World, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "weft-workers-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ),
    (dir) => ({ scratch, schema: `w_${unique()}`, log: join(dir, "exec.log") })
  )

/**
 * Starts a worker process and waits until it serves; it is SIGKILLed (if
 * still alive) when the scope closes.
 */
export const startWorker = (
  w: World,
  settings: WorkerSettings = {}
): Effect.Effect<WorkerProcess, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => spawnWorker(w, settings)),
    (worker) =>
      Effect.promise(async () => {
        // SIGKILL ends a stopped (SIGSTOP) process too
        worker.kill("SIGKILL")
        await worker.exited
      })
  )

/**
 * An engine in the test process, over the world's schema: a process with no
 * worker (it serves no queue, and with `recovery` off never executes a run
 * it did not start itself). Stopped when the scope closes.
 */
export const clientEngine = (
  w: World,
  settings: Partial<Settings.WeftSettings> = {}
): Effect.Effect<Engine.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const layer = Engine.layer.pipe(
      Layer.provide(Pg.layerStore({ url: w.scratch.url, schema: w.schema, applicationName: `client-${unique()}` })),
      Layer.provide(Settings.layerWith({
        recovery: false,
        pollInterval: Duration.millis(100),
        shutdownGrace: Duration.zero,
        workflowTimeout: Duration.infinity,
        stateTtl: Duration.infinity,
        maxRetries: 0,
        ...settings
      })),
      Layer.orDie
    )
    return Context.get(yield* Layer.build(layer), Engine.Engine)
  })

/** Starts `n` worker processes at once (see {@link startWorker}). */
export const startWorkers = (
  w: World,
  n: number,
  settings: WorkerSettings = {}
): Effect.Effect<ReadonlyArray<WorkerProcess>, never, Scope.Scope> =>
  Effect.all(Array.from({ length: n }, () => startWorker(w, settings)), { concurrency: "unbounded" })
