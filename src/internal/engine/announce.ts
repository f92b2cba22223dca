/**
 * What an execution of a claimed run checks and says as it begins here: its
 * first event (started or resumed), and, after it waited for its permit,
 * whether the run is still this engine's.
 *
 * @internal
 */
import { Effect, Option } from "effect"
import { LeaseLost } from "../../Errors.js"
import { isInternal } from "../../Trace.js"
import type { RunContext } from "../run/context.js"
import type { Ending } from "../run/lifecycle.js"

/** The run's first event here: started on its first claim (generation 1), else resumed after its trace's steps. */
export const announce = (ctx: RunContext, kind: "started" | "resumed", now: number): Effect.Effect<void> => {
  const env = ctx.env
  if (!env.listening()) return Effect.void
  const { runId, template } = ctx
  return kind === "started" || ctx.lease.generation === 1
    ? env.publish({ _tag: "RunStarted", runId, template: template.name, version: template.version, at: now })
    : env.publish({
      _tag: "RunResumed",
      runId,
      template: template.name,
      version: template.version,
      completedSteps: ctx.records.filter((record) => !isInternal(record)).length,
      at: now
    })
}

/**
 * Whether a run this engine claimed was taken from it meanwhile (its lease
 * ran out while the process stalled, or it was cancelled), read from the
 * store; a read that fails says nothing (writes are fenced anyway).
 */
export const takenFrom = (ctx: RunContext): Effect.Effect<Ending | undefined> =>
  Effect.map(Effect.either(ctx.env.store.getRun(ctx.runId)), (read): Ending | undefined => {
    if (read._tag === "Left" || Option.isNone(read.right)) return undefined
    const run = read.right.value
    if (run.status === "running" && run.owner === ctx.lease.owner && run.generation === ctx.lease.generation) {
      return undefined
    }
    if (run.status === "cancelled") return { _tag: "Cancelled" }
    return { _tag: "Lost", error: new LeaseLost({ runId: ctx.runId, ...ctx.lease }) }
  })
