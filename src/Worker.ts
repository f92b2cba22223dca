/**
 * Workers: an engine that executes the runs queued on named queues. Any
 * process can record a run on a queue (`engine.start(template, input,
 * { queue: "orders" })`, or the `weft start --queue` command) and go away; a
 * worker serving that queue — in this process or another sharing the store
 * — claims it and executes it. With PostgreSQL, several worker processes on
 * several machines share the work: each run is claimed by one at a time
 * (`FOR UPDATE SKIP LOCKED`), a queued run or a signal wakes an idle worker
 * at once (`LISTEN/NOTIFY`; elsewhere, polling every `pollInterval`), and
 * the runs of a worker that dies are taken up by the others once its lease
 * has run out.
 *
 * A worker also does what every engine does: it takes up orphaned and due
 * runs of its templates. Register the templates it executes on its engine
 * (`engine.register`) before or after adding the layer.
 *
 * When its layer closes (on SIGTERM under `NodeRuntime.runMain`, or
 * `weft worker`), a worker stops claiming at once; its engine then lets the
 * runs it executes finish within the `shutdownGrace` setting and hands the
 * rest back, so that another worker takes them up without waiting for their
 * leases to run out.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Engine, Worker } from "weftjs"
 *
 * // a worker for the "orders" queue (at most 5 of its runs at once) and the default queue
 * const WorkerLive = Worker.layer({ queues: { orders: 5, default: 10 } })
 * const program = Effect.gen(function*() {
 *   const engine = yield* Engine.Engine
 *   return engine.settings.maxConcurrentWorkflows
 * }).pipe(Effect.provide(Layer.provideMerge(WorkerLive, Engine.layerMemory)))
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Layer } from "effect"
import * as Engine from "./Engine.js"
import type { QueueStats, WorkerInHand } from "./SnapshotStore.js"

/**
 * A worker as `engine.workers` shows it: what it recorded of itself, the
 * runs it holds now, and whether it is `alive` (beating), `dead` (its beats
 * stopped without it stopping: shown until its runs are taken over) or
 * `stopped` (it stopped, with runs still in its hand).
 *
 * @since 0.4.0
 * @category models
 */
export interface Status extends WorkerInHand {
  readonly state: "alive" | "dead" | "stopped"
}

/**
 * A queue as `engine.queues` shows it: its active runs by status, how long
 * its oldest queued run has waited, and the live workers serving it.
 *
 * @since 0.4.0
 * @category models
 */
export interface Queue extends QueueStats {
  /** How long the oldest queued run has waited (ms), `null` when none waits. */
  readonly oldestQueuedAgeMs: number | null
  /** The ids of the live workers serving it. */
  readonly workers: ReadonlyArray<string>
}

/**
 * Options of {@link layer}.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /**
   * The queues to serve: names (each with at most `concurrency` of its runs
   * executing here at once), or names with their own limits. Default:
   * `["default"]`.
   */
  readonly queues?: ReadonlyArray<string> | Readonly<Record<string, number>> | undefined
  /**
   * How many runs of one queue may execute here at once (default: the
   * engine's `maxConcurrentWorkflows`, which also bounds all of them together).
   */
  readonly concurrency?: number | undefined
  /**
   * Rate limits of queues: at most `limit` of a queue's runs start in any
   * `period` (a sliding window), across every worker sharing the store —
   * give every worker of a queue the same limit. Example: `{ emails: {
   * limit: 10, period: "1 second" } }`.
   */
  readonly rateLimits?: Readonly<Record<string, Engine.RateLimit>> | undefined
}

/**
 * The queues and limits a worker serves, from its options.
 *
 * @since 0.2.0
 * @category constructors
 */
export const queuesOf = (options: Options | undefined, maxConcurrent: number): Readonly<Record<string, number>> => {
  const limit = Math.max(1, Math.floor(options?.concurrency ?? maxConcurrent))
  const queues = options?.queues ?? ["default"]
  if (Array.isArray(queues)) return Object.fromEntries(queues.map((queue: string) => [queue, limit]))
  return Object.fromEntries(
    Object.entries(queues as Readonly<Record<string, number>>).map(([queue, n]) => [queue, Math.max(1, Math.floor(n))])
  )
}

/**
 * Serves queues with the engine in context for as long as the layer lives.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<never, never, Engine.Engine> =>
  Layer.scopedDiscard(
    Effect.flatMap(Engine.Engine, (engine) =>
      engine.serve(queuesOf(options, engine.settings.maxConcurrentWorkflows), { rateLimits: options?.rateLimits }))
  )
