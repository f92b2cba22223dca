/**
 * One heartbeat per engine (while it executes runs): renews the lease of every run it executes in one
 * store call, asks the runs paused from elsewhere to stop at their next checkpoint, and stops executing the runs it no longer holds — cancelled
 * from another process, or taken over by another engine after its lease ran
 * out (a paused process). Such a run's later writes would be refused anyway
 * (they are fenced); this stops its work early.
 *
 * @internal
 */
import { Clock, Effect, Option } from "effect"
import type { Service as Store } from "../../SnapshotStore.js"
import { choreSleep } from "./clock.js"
import type { Executor } from "./executor.js"

/** Beats every third of a lease, forever. */
export const run = (options: {
  readonly store: Store
  readonly owner: string
  readonly executor: Executor
  readonly leaseMillis: number
}): Effect.Effect<never> => {
  const { executor, leaseMillis, owner, store } = options
  const beat = Effect.gen(function*() {
    const asked = yield* Clock.currentTimeMillis
    const renewed = yield* store.heartbeat(owner, asked + leaseMillis)
    const held = new Map(renewed.map((r) => [r.runId, r.generation]))
    const pauseAsked = new Set(renewed.filter((r) => r.pauseAsked === true).map((r) => r.runId))
    for (const [runId, running] of Array.from(executor.active)) {
      if (held.get(runId) === running.lease.generation) {
        // paused elsewhere: it stops at its next checkpoint
        if (pauseAsked.has(runId)) running.hold?.request()
        // the store added how far the lease moved to the run's elapsed time: so does the execution's account
        const accounted = running.accounted
        if (accounted !== undefined) {
          accounted.beatCounted += Math.max(0, asked + leaseMillis - accounted.leaseUntil)
          accounted.leaseUntil = asked + leaseMillis
        }
        continue
      }
      // claimed after the heartbeat asked: not in its answer
      if (running.since >= asked) continue
      const record = yield* Effect.option(store.getRun(runId))
      const cancelled = Option.isSome(record) && Option.isSome(record.value) && record.value.value.status === "cancelled"
      yield* executor.stop(runId, cancelled ? "cancelled-elsewhere" : "lost")
    }
  }).pipe(Effect.catchAll((error) => Effect.logWarning("weft: heartbeat failed; will try again", error)))
  // nothing to renew while no run executes here: no beats then
  return Effect.forever(
    Effect.zipRight(executor.busy, Effect.zipRight(choreSleep(Math.max(1, Math.floor(leaseMillis / 3))), beat))
  )
}
