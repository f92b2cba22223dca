/**
 * A worker process for the worker tests and the PostgreSQL benchmark:
 *
 *   node .build/test/workers/worker.js '<options as JSON>'
 *
 * It opens the PostgreSQL store (`url`, `schema`; its connections are named
 * `name` on the server, its LISTEN connection `<name> (listen)`; with
 * `listen: false` it has no wake-ups and polls only) — or, with `sqlite`,
 * a SQLite file — registers
 * the flows of `./flows.ts` and serves `queues` as a `Worker.layer` under
 * `NodeRuntime.runMain` (so SIGTERM stops it gracefully), with the settings
 * given in milliseconds. It prints, each line prefixed with the time in ms
 * since the epoch:
 *
 *   <at> ready                   serving
 *   <at> event <tag> <run id>    each engine event (step events add the step key)
 *   <at> sigterm                 SIGTERM received
 *   <at> exit <code>             the process ends
 */
import { NodeRuntime } from "@effect/platform-node"
import { Duration, Effect, Layer, Stream } from "effect"
import { Engine, type Errors, Settings, SnapshotStore, Worker } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"
import { chain, wait } from "./flows.js"

/** What a worker is started with. */
export interface WorkerOptions {
  readonly url: string
  readonly schema: string
  /** The name of its connections on the server (`application_name`). */
  readonly name: string
  readonly log: string
  readonly queues: Readonly<Record<string, number>>
  readonly leaseMs: number
  readonly pollMs: number
  readonly graceMs: number
  readonly recovery: boolean
  readonly maxConcurrent?: number | undefined
  /** How many steps the chain flow has (default 4). */
  readonly chainSteps?: number | undefined
  /** `false`: no LISTEN connection (the worker polls only). */
  readonly listen?: boolean | undefined
  /** A SQLite file to use instead of PostgreSQL. */
  readonly sqlite?: string | undefined
}

const options = JSON.parse(process.argv[2] ?? "null") as WorkerOptions | null
if (options === null) {
  console.error("usage: worker.ts '<options as JSON>'")
  process.exit(2)
}

const print = (line: string) => process.stdout.write(`${Date.now()} ${line}\n`)
// a reader that went away (the test ended) is no reason to crash
process.stdout.on("error", () => undefined)
process.on("SIGTERM", () => print("sigterm"))
process.on("exit", (code) => print(`exit ${code}`))

const pgOptions = { url: options.url, schema: options.schema, applicationName: options.name }
const StoreLive: Layer.Layer<SnapshotStore.SnapshotStore, Errors.PersistenceError> = options.sqlite !== undefined
  ? Sqlite.layerStore({ filename: options.sqlite })
  : options.listen === false
  ? Layer.scoped(SnapshotStore.SnapshotStore, Effect.map(Pg.make(pgOptions), (store) => ({ ...store, wakeups: undefined })))
  : Pg.layerStore(pgOptions)

const EngineLive = Engine.layer.pipe(
  Layer.provide(StoreLive),
  Layer.provide(Settings.layerWith({
    leaseDuration: Duration.millis(options.leaseMs),
    pollInterval: Duration.millis(options.pollMs),
    shutdownGrace: Duration.millis(options.graceMs),
    recovery: options.recovery,
    maxConcurrentWorkflows: options.maxConcurrent ?? 10,
    workflowTimeout: Duration.infinity,
    stateTtl: Duration.infinity,
    maxRetries: 0
  }))
)

const program = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  yield* engine.register(chain(options.log, options.chainSteps))
  yield* engine.register(wait(options.log))
  const events = yield* engine.subscribe
  yield* Effect.forkScoped(Stream.runForEach(events, (event) =>
    Effect.sync(() =>
      print(`event ${event._tag} ${"runId" in event ? event.runId : "-"}${"step" in event ? ` ${event.step}` : ""}`)
    )))
  yield* Layer.build(Worker.layer({ queues: options.queues }))
  print("ready")
  return yield* Effect.never
})

NodeRuntime.runMain(program.pipe(Effect.scoped, Effect.provide(EngineLive)))
