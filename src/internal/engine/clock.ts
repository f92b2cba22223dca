/**
 * Clocks for fake time. The test kit's auto-time moves fake time to the
 * next wake-up that a run waits on; to know which those are, it runs runs
 * on a *tracking* clock, which records each sleep made through it while the
 * sleeper waits (an interrupted sleep is forgotten at once). An engine's
 * background chores (heartbeats, polling the store for work or for a run's
 * end) sleep beneath the tracking clock, so auto-time never jumps ahead for
 * them (tests move time for chores with `TestClock.adjust`).
 *
 * @internal
 */
import { Clock, Duration, Effect } from "effect"

/** Marks a tracking clock, and gives the clock it wraps. */
export const TrackedClockTypeId: unique symbol = Symbol.for("weft/TrackedClock")

/** A clock that records the sleeps made through it. */
export interface TrackedClock extends Clock.Clock {
  readonly [TrackedClockTypeId]: Clock.Clock
}

/** Whether a clock is a tracking clock. */
export const isTracked = (clock: Clock.Clock): clock is TrackedClock => TrackedClockTypeId in clock

/** The clock beneath any tracking clock. */
export const underlying = (clock: Clock.Clock): Clock.Clock => isTracked(clock) ? clock[TrackedClockTypeId] : clock

/** The live sleeps made through tracking clocks over one clock: wake-up times by sleep. */
const trackers = new WeakMap<Clock.Clock, Map<object, number>>()

const trackerOf = (clock: Clock.Clock): Map<object, number> => {
  let tracker = trackers.get(clock)
  if (tracker === undefined) {
    tracker = new Map()
    trackers.set(clock, tracker)
  }
  return tracker
}

/** A clock over `clock` that records the sleeps made through it while they last. */
export const tracking = (clock: Clock.Clock): TrackedClock => {
  const base = underlying(clock)
  const tracker = trackerOf(base)
  return {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    [TrackedClockTypeId]: base,
    unsafeCurrentTimeMillis: () => base.unsafeCurrentTimeMillis(),
    currentTimeMillis: base.currentTimeMillis,
    unsafeCurrentTimeNanos: () => base.unsafeCurrentTimeNanos(),
    currentTimeNanos: base.currentTimeNanos,
    sleep: (duration) =>
      Effect.suspend(() => {
        const token = {}
        tracker.set(token, base.unsafeCurrentTimeMillis() + Duration.toMillis(duration))
        return Effect.ensuring(base.sleep(duration), Effect.sync(() => tracker.delete(token)))
      })
  }
}

/** The earliest wake-up that a sleeper waits on through a tracking clock over `clock`, if any. */
export const nextWakeUp = (clock: Clock.Clock): number | undefined => {
  const tracker = trackers.get(underlying(clock))
  if (tracker === undefined || tracker.size === 0) return undefined
  let min = Infinity
  for (const at of tracker.values()) if (at < min) min = at
  return min
}

/** Sleeps on the current clock, beneath any tracking clock: for background chores. */
export const choreSleep = (duration: Duration.DurationInput): Effect.Effect<void> =>
  Effect.clockWith((clock) =>
    isTracked(clock) ? Effect.withClock(Effect.sleep(duration), clock[TrackedClockTypeId]) : Effect.sleep(duration)
  )
