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
import type { Service as Store } from "../../SnapshotStore.js"
import type * as Settings from "../../Settings.js"
import { retryTransient } from "../run/checkpoint.js"
import type { Executor } from "./executor.js"

/** Cancels a run and its descendants; see `Engine.Service.cancel`. */
export const cancel = (deps: {
  readonly store: Store
  readonly settings: Settings.WeftSettings
  readonly executor: Executor
  readonly publish: (event: Event) => Effect.Effect<void>
}) =>
(runId: string): Effect.Effect<void, RunNotFound | RunNotResumable | PersistenceError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const ttl = deps.settings.stateTtl
    const expiresAt = Duration.isFinite(ttl) ? now + Duration.toMillis(ttl) : null
    const result = yield* retryTransient(deps.store.cancel(runId, now, expiresAt))
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
    }
  })
