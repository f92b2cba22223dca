/**
 * One heartbeat per engine (while it executes runs): renews the lease of every run it executes in one
 * store call, asks the runs paused from elsewhere to stop at their next checkpoint, and stops executing the runs it no longer holds — cancelled
 * from another process, or taken over by another engine after its lease ran
 * out (a paused process). Such a run's later writes would be refused anyway
 * (they are fenced); this stops its work early.
 *
 * @internal
 */
import { Clock, Effect } from "effect"
import type { Service as Store } from "../../SnapshotStore.js"
import { endsOf } from "./awaiting.js"
import { choreSleep } from "./clock.js"
import type { Executor } from "./executor.js"

/** How many executions it stops at once (each is interrupted, and its finalizers run). */
const stopConcurrency = 64

/** An engine's heartbeat. */
export interface Heartbeat {
  /** Beats every third of a lease, forever (while runs execute here). */
  readonly run: Effect.Effect<never>
  /**
   * Beats now if the last beat is a third of a lease old or more and runs execute here: before recovery
   * looks for runs whose lease lapsed, so that it never takes this engine's own live runs for orphans
   * (a beat late under load).
   */
  readonly renewIfDue: Effect.Effect<void>
}

/** What the heartbeat needs. */
export interface HeartbeatOptions {
  readonly store: Store
  readonly owner: string
  readonly executor: Executor
  readonly leaseMillis: number
}

/** Makes an engine's heartbeat (`run` it in the background). */
export const make = (options: HeartbeatOptions): Heartbeat => {
  const { executor, leaseMillis, owner, store } = options
  const every = Math.max(1, Math.floor(leaseMillis / 3))
  /** When the last beat asked (its leases run to a lease after it). */
  let beatAt = -Infinity
  const beat = Effect.gen(function*() {
    const asked = yield* Clock.currentTimeMillis
    const renewed = yield* store.heartbeat(owner, asked + leaseMillis)
    beatAt = Math.max(beatAt, asked)
    const held = new Map(renewed.map((r) => [r.runId, r.generation]))
    const pauseAsked = new Set(renewed.filter((r) => r.pauseAsked === true).map((r) => r.runId))
    const lost: Array<string> = []
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
      lost.push(runId)
    }
    if (lost.length === 0) return
    // which of them were cancelled: one read for all (thousands at once after this process was starved)
    const ends = yield* Effect.either(endsOf(store, lost))
    const cancelled = new Set(ends._tag === "Right" ? ends.right.ended.filter((r) => r.status === "cancelled").map((r) => r.runId) : [])
    yield* Effect.forEach(
      lost,
      (runId) => executor.stop(runId, cancelled.has(runId) ? "cancelled-elsewhere" : "lost"),
      { concurrency: stopConcurrency, discard: true }
    )
  }).pipe(Effect.catchAll((error) => Effect.logWarning("weft: heartbeat failed; will try again", error)))
  // one beat at a time: the periodic one and one before recovery's claim
  const lock = Effect.unsafeMakeSemaphore(1)
  return {
    // nothing to renew while no run executes here: no beats then
    run: Effect.forever(Effect.zipRight(executor.busy, Effect.zipRight(choreSleep(every), lock.withPermits(1)(beat)))),
    renewIfDue: lock.withPermits(1)(Effect.flatMap(
      Clock.currentTimeMillis,
      (now) => executor.active.size > 0 && now - beatAt >= every ? beat : Effect.void
    ))
  }
}
