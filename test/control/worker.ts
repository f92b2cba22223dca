/**
 * A worker process of the run-control tests:
 *
 *   node .build/test/control/worker.js '<options as JSON>'
 *
 * It opens the SQLite file `sqlite`, or the PostgreSQL schema `schema` of
 * `url`, registers the flows of `./flows.ts` and serves the queue `ctl` as a
 * `Worker.layer`, printing `<ms> ready` once it serves.
 */
import { NodeRuntime } from "@effect/platform-node"
import { Duration, Effect, Layer } from "effect"
import { Engine, type Errors, Settings, type SnapshotStore, Worker } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"
import { registerAll } from "./flows.js"

/** What a worker is started with. */
export interface ControlWorkerOptions {
  readonly sqlite?: string | undefined
  readonly url?: string | undefined
  readonly schema?: string | undefined
  readonly log: string
  readonly leaseMs: number
  readonly pollMs: number
  readonly slots: number
  readonly maxRecoveryAttempts: number
}

const options = JSON.parse(process.argv[2] ?? "null") as ControlWorkerOptions | null
if (options === null) {
  console.error("usage: worker.ts '<options as JSON>'")
  process.exit(2)
}
process.stdout.on("error", () => undefined)

const StoreLive: Layer.Layer<SnapshotStore.SnapshotStore, Errors.PersistenceError> = options.sqlite !== undefined
  ? Sqlite.layerStore({ filename: options.sqlite })
  : Pg.layerStore({ url: options.url!, schema: options.schema })

const EngineLive = Engine.layer.pipe(
  Layer.provide(StoreLive),
  Layer.provide(Settings.layerWith({
    leaseDuration: Duration.millis(options.leaseMs),
    pollInterval: Duration.millis(options.pollMs),
    shutdownGrace: Duration.zero,
    maxConcurrentWorkflows: options.slots,
    workflowTimeout: Duration.infinity,
    stateTtl: Duration.infinity,
    maxRetries: 0,
    maxRecoveryAttempts: options.maxRecoveryAttempts
  }))
)

const program = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  yield* registerAll(engine, options.log)
  yield* Layer.build(Worker.layer({ queues: { ctl: options.slots } }))
  process.stdout.write(`${Date.now()} ready\n`)
  return yield* Effect.never
})

NodeRuntime.runMain(program.pipe(Effect.scoped, Effect.provide(EngineLive)))
