/**
 * Faults the templates' in-memory services can be told to inject, so that
 * tests exercise retries and timeouts: shared by every template module.
 */
import type { Duration } from "effect"
import { Effect, Ref } from "effect"

/** Faults of an in-memory service. */
export interface Faults {
  /** The first `n` calls fail with the service's `*Unavailable` error. */
  readonly unavailableFor?: number | undefined
  /** Every call takes this long (in fake time under the test kit). */
  readonly latency?: Duration.DurationInput | undefined
}

/** Applies {@link Faults} to one call; `calls` counts the calls so far. */
export const withFaults = <A, E, E2>(
  calls: Ref.Ref<number>,
  faults: Faults | undefined,
  unavailable: () => E2,
  call: Effect.Effect<A, E>
): Effect.Effect<A, E | E2> =>
  Effect.gen(function*() {
    const n = yield* Ref.updateAndGet(calls, (c) => c + 1)
    if (faults?.latency !== undefined) yield* Effect.sleep(faults.latency)
    if (n <= (faults?.unavailableFor ?? 0)) return yield* Effect.fail(unavailable())
    return yield* call
  })
