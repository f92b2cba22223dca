/**
 * Waiting for a run's end from any process: an execution in this engine
 * completes the run's local waiter; a run that ends elsewhere (another
 * process resumed it, took it over, or cancelled it) is learned from the
 * store, which is looked at ever less often (up to the poll interval): its
 * result read back, or its error rebuilt with its `_tag` and fields.
 *
 * @internal
 */
import { Deferred, Duration, Effect, Option } from "effect"
import { RunNotFound, TemplateNotRegistered } from "../../Errors.js"
import type { Service as Store } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import type { RunEnv, RunOutcome } from "../run/context.js"
import { revive } from "../run/errors.js"
import { load, outcomeOf, restore } from "../run/lifecycle.js"
import { choreSleep } from "./clock.js"
import { type Executor, visibleRecords } from "./executor.js"
import type { Registry } from "./registry.js"

/** Reads a completed run back from the store (nothing is claimed or executed). */
export const readBack = (env: RunEnv, template: Template.Template.Any, runId: string) =>
  Effect.flatMap(load(env, runId), ({ loaded, records }) =>
    Effect.map(
      restore(env, template, loaded, visibleRecords(records), { owner: env.owner, generation: -1 }),
      outcomeOf
    ))

/** Waits for a run's end; see `Engine.Service.await`. */
export const awaitRun = (deps: {
  readonly env: RunEnv
  readonly store: Store
  readonly executor: Executor
  readonly registry: Registry
  readonly pollInterval: Duration.Duration
}) =>
(runId: string, template?: Template.Template.Any): Effect.Effect<RunOutcome, unknown> => {
  const { executor, registry, store } = deps
  const maxDelay = Math.max(25, Duration.toMillis(deps.pollInterval))
  const fromStore = Effect.gen(function*() {
    for (let delay = 25;; delay = Math.min(delay * 2, maxDelay)) {
      // ended here already: its waiter has its end (the run is not read back)
      if (yield* Deferred.isDone(local)) return yield* Deferred.await(local)
      // while the run executes here, its execution tells its end (and why)
      const found = executor.active.has(runId) ? undefined : yield* Effect.either(store.getRun(runId))
      if (found !== undefined && found._tag === "Right") {
        if (Option.isNone(found.right)) return yield* new RunNotFound({ runId })
        const run = found.right.value
        if (run.status === "completed") {
          const known = template ?? registry.get(run.templateName, run.templateVersion)?.template
          if (known === undefined) {
            return yield* new TemplateNotRegistered({ runId, template: run.templateName, version: run.templateVersion })
          }
          return yield* readBack(deps.env, known, runId)
        }
        if (run.status === "failed") {
          return yield* Effect.fail(run.error === null ? new RunNotFound({ runId }) : revive(run.error))
        }
        if (run.status === "cancelled") return yield* Effect.interrupt
      }
      yield* choreSleep(delay)
    }
  })
  const local = executor.waiter(runId)
  return Effect.raceFirst(Deferred.await(local), fromStore)
}
