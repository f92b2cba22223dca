/**
 * Collection of expired runs: finished runs (`completed`, `failed`,
 * `cancelled`) whose time-to-live has passed are deleted with their steps and
 * snapshots. A run that is still `running` or `suspended` is never touched,
 * whatever its age.
 *
 * Call {@link collect} when you like, or add {@link layer} to your program to
 * collect periodically in the background for as long as the layer lives.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Collector } from "weftjs"
 * import { Sqlite } from "weftjs/sqlite"
 *
 * // an engine that collects expired runs every 10 minutes
 * const EngineLive = Layer.provideMerge(Collector.layer({ every: "10 minutes" }), Sqlite.layerDefault)
 * ```
 *
 * @since 0.1.0
 */
import { Duration, Effect, Layer } from "effect"
import { Engine } from "./Engine.js"
import type { PersistenceError } from "./Errors.js"
import { repeatForever } from "./internal/engine/periodic.js"

/**
 * Deletes every finished run whose TTL has passed; succeeds with how many.
 *
 * @since 0.1.0
 * @category running
 */
export const collect: Effect.Effect<number, PersistenceError, Engine> = Effect.flatMap(
  Engine,
  (engine) => engine.collectExpired
)

/**
 * Options of {@link layer} and {@link periodically}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Time between two collections (default 1 minute). The first runs at once. */
  readonly every?: Duration.DurationInput | undefined
}

const defaultInterval = Duration.minutes(1)

/**
 * Collects now and then every `every`, forever. A failed collection (the
 * database is locked, say) is logged and tried again at the next tick; it
 * never stops the loop.
 *
 * @since 0.1.0
 * @category running
 */
export const periodically = (options: Options = {}): Effect.Effect<never, never, Engine> =>
  repeatForever(collect, options.every ?? defaultInterval, "collected expired runs")

/**
 * A layer that runs {@link periodically} in a background fiber for as long as
 * the layer lives.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<never, never, Engine> =>
  Layer.scopedDiscard(Effect.forkScoped(periodically(options)))
