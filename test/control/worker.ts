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
import { appendFileSync } from "node:fs"
import { Engine, type Errors, Settings, SnapshotStore, Worker } from "weftjs"
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
  /** A rate limit of the queue `ctl`: at most `limit` starts per `periodMs`. */
  readonly rate?: { readonly limit: number; readonly periodMs: number } | undefined
}

const options = JSON.parse(process.argv[2] ?? "null") as ControlWorkerOptions | null
if (options === null) {
  console.error("usage: worker.ts '<options as JSON>'")
  process.exit(2)
}
process.stdout.on("error", () => undefined)

const BaseStore: Layer.Layer<SnapshotStore.SnapshotStore, Errors.PersistenceError> = options.sqlite !== undefined
  ? Sqlite.layerStore({ filename: options.sqlite })
  : Pg.layerStore({ url: options.url!, schema: options.schema })

/** The store, logging each start of a queued run (a claim that gives it generation 1) at the time of its claim. */
const StoreLive = Layer.effect(
  SnapshotStore.SnapshotStore,
  Effect.map(SnapshotStore.SnapshotStore, (store): SnapshotStore.Service => ({
    ...store,
    claimNext: (owner, now, leaseUntil, filter) =>
      Effect.tap(store.claimNext(owner, now, leaseUntil, filter), (claimed) =>
        Effect.sync(() => {
          for (const { run } of claimed) {
            if (run.generation === 1) appendFileSync(options.log, `${now} ${process.pid} claimed ${run.runId} -\n`)
          }
        }))
  }))
).pipe(Layer.provide(BaseStore))

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
  const rateLimits = options.rate === undefined
    ? undefined
    : { ctl: { limit: options.rate.limit, period: Duration.millis(options.rate.periodMs) } }
  yield* Layer.build(Worker.layer({ queues: { ctl: options.slots }, rateLimits }))
  process.stdout.write(`${Date.now()} ready\n`)
  return yield* Effect.never
})

NodeRuntime.runMain(program.pipe(Effect.scoped, Effect.provide(EngineLive)))
