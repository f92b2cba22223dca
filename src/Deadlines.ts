/**
 * Deadlines of waits that passed while no process ran the run. The engine
 * that suspends a run at `Durable.waitForSignal(..., { timeout })` applies
 * the deadline by itself; when that process has exited or crashed, an engine
 * of another process (or of the restarted one) resumes the run once its
 * deadline has passed, with {@link resumeDue} or, periodically, {@link layer}.
 * Only runs whose template is registered in that engine (`engine.register`,
 * or any `run`/`start`/`resume` with it) are resumed.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Deadlines } from "weftjs"
 * import { Sqlite } from "weftjs/sqlite"
 *
 * // an engine that looks for overdue waits every minute
 * const EngineLive = Layer.provideMerge(Deadlines.layer({ every: "1 minute" }), Sqlite.layerDefault)
 * ```
 *
 * @since 0.1.0
 */
import { Duration, Effect, Layer } from "effect"
import { Engine } from "./Engine.js"
import type { PersistenceError } from "./Errors.js"
import { repeatForever } from "./internal/engine/periodic.js"

/**
 * Resumes every overdue suspended run whose template is registered in the
 * engine; succeeds with how many were resumed.
 *
 * @since 0.1.0
 * @category running
 */
export const resumeDue: Effect.Effect<number, PersistenceError, Engine> = Effect.flatMap(
  Engine,
  (engine) => engine.resumeDue
)

/**
 * Options of {@link layer} and {@link periodically}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Time between two looks (default 1 minute). The first is at once. */
  readonly every?: Duration.DurationInput | undefined
}

const defaultInterval = Duration.minutes(1)

/**
 * Runs {@link resumeDue} now and then every `every`, forever; a failed round
 * is logged and tried again at the next tick.
 *
 * @since 0.1.0
 * @category running
 */
export const periodically = (options: Options = {}): Effect.Effect<never, never, Engine> =>
  repeatForever(resumeDue, options.every ?? defaultInterval, "resumed runs whose wait timed out")

/**
 * A layer that runs {@link periodically} in a background fiber for as long as
 * the layer lives.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<never, never, Engine> =>
  Layer.scopedDiscard(Effect.forkScoped(periodically(options)))
