/**
 * A whole run's timeout without a race: `Effect.timeoutFail` forks the body
 * and a sleep into two fibers and races them (~50–120 µs of CPU per run,
 * most of a short run's fixed cost). On the live clock, the body runs in the
 * current fiber instead, and a timer interrupts that fiber at the deadline as
 * from its own fiber id; the body's exit then says which it was, and that
 * interruption (only it) is taken back from the fiber before the timeout's
 * error is returned, as `timeoutFail` would. The current fiber must have no
 * children but the body's (an execution fiber, or a caller that hosts its
 * run: see `engine/inline.ts`). Any other clock (the test clock, a tracked
 * one) keeps `timeoutFail`, whose sleep it controls.
 *
 * @internal
 */
import { Cause, Clock, Duration, Effect, Exit, FiberId, FiberRef, HashSet } from "effect"

/** The constructor of Effect's live clock: only it is timed with the host's timers here. */
const LiveClock = (Clock.make() as object).constructor

/** Longer than a host timer can wait: no timer at all (as Effect's own clock treats it: never). */
const maxTimerMillis = 2 ** 31 - 1

/** The fiber id the timers' interruptions come from. */
const timer = FiberId.make(-2_000_000, Date.now())

/** `body`, failed with `onTimeout()` once `millis` have passed on `clock` (the body interrupted then). */
export const timeoutIn = <A, E, R, E2>(
  body: Effect.Effect<A, E, R>,
  clock: Clock.Clock,
  millis: number,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> => {
  if ((clock as object).constructor !== LiveClock) {
    return Effect.timeoutFail(body, { duration: Duration.millis(millis), onTimeout })
  }
  if (millis > maxTimerMillis) return body
  return Effect.withFiberRuntime<A, E | E2, R>((fiber) =>
    Effect.uninterruptibleMask((restore) => {
      let fired = false
      const handle = setTimeout(() => {
        fired = true
        fiber.unsafeInterruptAsFork(timer)
      }, millis)
      return Effect.flatMap(Effect.exit(restore(body)), (exit): Effect.Effect<A, E | E2> => {
        clearTimeout(handle)
        if (!fired) return exit
        return Effect.flatMap(FiberRef.get(FiberRef.interruptedCause), (interrupted): Effect.Effect<A, E | E2> => {
          const others = HashSet.remove(Cause.interruptors(interrupted), timer)
          // interrupted by someone else too: that interruption stands
          if (HashSet.size(others) > 0) return exit
          const timedOut = Exit.isFailure(exit) && HashSet.has(Cause.interruptors(exit.cause), timer)
          const next: Effect.Effect<A, E | E2> = timedOut ? Effect.fail(onTimeout()) : exit
          return Effect.zipRight(FiberRef.set(FiberRef.interruptedCause, Cause.empty), next)
        })
      })
    })
  )
}
