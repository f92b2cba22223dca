/**
 * Cancellation with a run's lineage: the store cancels a run and every
 * active descendant (its sub-flows' child runs, at any depth) in one
 * transaction, following the recorded parent links; the ones executing here
 * are stopped at once, their waiters interrupted.
 *
 * @internal
 */
import { Clock, Duration, Effect } from "effect"
import { type PersistenceError, RunNotFound, RunNotResumable } from "../../Errors.js"
import type { Event } from "../../Event.js"
import type { FollowUp, Service as Store } from "../../SnapshotStore.js"
import type * as Settings from "../../Settings.js"
import { retryTransient } from "../run/checkpoint.js"
import type { Executor } from "./executor.js"

/** Cancels a run and its descendants; see `Engine.Service.cancel`. */
export const cancel = (deps: {
  readonly store: Store
  readonly settings: Settings.WeftSettings
  readonly executor: Executor
  readonly publish: (event: Event) => Effect.Effect<void>
  /** The runs event triggers start when the run is cancelled (recorded in the same transaction). */
  readonly followUps: (runId: string) => Effect.Effect<ReadonlyArray<FollowUp>>
  readonly recorded?: ((followUps: ReadonlyArray<FollowUp>) => Effect.Effect<void>) | undefined
}) =>
(runId: string): Effect.Effect<void, RunNotFound | RunNotResumable | PersistenceError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const ttl = deps.settings.stateTtl
    const expiresAt = Duration.isFinite(ttl) ? now + Duration.toMillis(ttl) : null
    const followUps = yield* deps.followUps(runId)
    const result = yield* retryTransient(deps.store.cancel(runId, now, expiresAt, followUps))
    switch (result._tag) {
      case "NotFound":
        return yield* new RunNotFound({ runId })
      case "Finished":
        return yield* new RunNotResumable({ runId, status: result.status })
      case "Cancelled":
        for (const id of result.runIds) {
          yield* deps.executor.stop(id, "cancelled")
          yield* deps.publish({ _tag: "RunCancelled", runId: id, at: now })
        }
        if (followUps.length > 0 && deps.recorded !== undefined) yield* deps.recorded(followUps)
    }
  })
