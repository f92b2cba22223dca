/**
 * Background chores of an engine (collecting expired runs, resuming runs
 * whose deadline passed), run now and then every so often, forever.
 *
 * @internal
 */
import { Duration, Effect, Schedule } from "effect"

/**
 * Runs `chore` at once and then every `every`, forever. A failed round is
 * logged and tried again at the next tick; it never stops the loop. Rounds
 * that did something (returned more than 0) are logged at debug level.
 */
export const repeatForever = <E, R>(
  chore: Effect.Effect<number, E, R>,
  every: Duration.DurationInput,
  what: string
): Effect.Effect<never, never, R> => {
  const once = chore.pipe(
    Effect.tap((n) => n > 0 ? Effect.logDebug(`weft: ${what}: ${n}`) : Effect.void),
    Effect.catchAll((error) => Effect.logWarning(`weft: ${what} failed; will try again`, error))
  )
  return Effect.zipRight(Effect.repeat(once, Schedule.spaced(Duration.decode(every))), Effect.never)
}
