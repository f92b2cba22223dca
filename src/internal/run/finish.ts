/**
 * Recording a run's end with what its end starts: the runs of the event
 * triggers listening for it are recorded in the same transaction as the
 * end (so a process that dies right after loses none of them, and a second
 * end cannot be recorded), then taken up.
 *
 * @internal
 */
import { Effect } from "effect"
import type { LeaseLost, PersistenceError, RunCancelled } from "../../Errors.js"
import type { Ending } from "../../SnapshotStore.js"
import type { RunContext } from "./context.js"

/** Ends a run under its claim, with the runs its event triggers start (top-level runs only). */
export const finishRun = (
  ctx: RunContext,
  ending: Omit<Ending, "followUps">,
  at: { readonly updatedAt: number; readonly elapsedMillis: number }
): Effect.Effect<void, PersistenceError | RunCancelled | LeaseLost> => {
  const { env, lease, runId } = ctx
  const triggers = env.triggers
  if (triggers === undefined || ctx.rootId !== runId) return env.store.finish(runId, lease, ending, at)
  return Effect.flatMap(triggers.followUps(ctx, ending.status, ending.error), (followUps) =>
    followUps.length === 0
      ? env.store.finish(runId, lease, ending, at)
      : Effect.zipRight(env.store.finish(runId, lease, { ...ending, followUps }, at), triggers.recorded(followUps)))
}
