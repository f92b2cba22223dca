/**
 * Child runs of sub-flows, executed inside their parent's execution: created
 * on first reach, else claimed again and restored, and executed by the life
 * cycle's `execute`; their ending becomes the sub-flow node's outcome.
 *
 * @internal
 */
import { Clock, Effect, Option } from "effect"
import { RunNotResumable, SubflowFailed } from "../../Errors.js"
import type { ErrorSummary } from "../../SnapshotStore.js"
import { isInternal } from "../../Trace.js"
import { retryTransient } from "./checkpoint.js"
import type { ChildRuns, RunContext } from "./context.js"
import { Held } from "./hold.js"
import { checkPinned, create, execute, load, outcomeOf, prepare, restore } from "./lifecycle.js"

/**
 * Child runs of sub-flows, executed inside their parent's execution (no
 * permit of their own, under the parent's timeout). Holding the parent's
 * claim gives authority over its children: a child's stale claim is taken
 * over.
 */
export const childRuns = (leaseMillis: () => number): ChildRuns => ({
  run: (parent, template, childId, input) =>
    Effect.gen(function*() {
      const env = parent.env
      const existing = yield* retryTransient(env.store.getRun(childId))
      const failed = (status: string, error: ErrorSummary | null) =>
        new SubflowFailed({ runId: parent.runId, step: childId.slice(parent.runId.length + 1), childRunId: childId, childStatus: status, childError: error })
      let ctx: RunContext
      if (Option.isNone(existing)) {
        ctx = yield* prepare(env, template, input, {
          runId: childId,
          timeoutMillis: 0,
          parentId: parent.runId,
          rootId: parent.rootId,
          queue: parent.queue,
          traceContext: parent.traceContext
        })
        const now = yield* Clock.currentTimeMillis
        yield* retryTransient(create(ctx, parent.runId, { leaseUntil: now + leaseMillis() }))
        yield* env.publish({ _tag: "RunStarted", runId: childId, template: template.name, version: template.version, at: now })
      } else {
        const run = existing.value
        yield* checkPinned(template, run)
        if (run.status === "failed" || run.status === "cancelled") return yield* failed(run.status, run.error)
        const { loaded, records } = yield* load(env, childId)
        if (run.status === "completed") {
          return outcomeOf(yield* restore(env, template, loaded, records, { owner: env.owner, generation: -1 }))
        }
        const now = yield* Clock.currentTimeMillis
        const claimed = yield* retryTransient(env.store.claim(childId, env.owner, now, now + leaseMillis(), run.owner ?? undefined))
        if (!claimed.claimed) return yield* new RunNotResumable({ runId: childId, status: claimed.reason })
        const reloaded = yield* load(env, childId)
        ctx = yield* restore(env, template, reloaded.loaded, reloaded.records, claimed.lease)
        yield* env.publish({
          _tag: "RunResumed",
          runId: childId,
          template: template.name,
          version: template.version,
          completedSteps: ctx.records.filter((record) => !isInternal(record)).length,
          at: now
        })
      }
      ctx.tracing = parent.tracing
      ctx.hold = parent.root.hold
      const ending = yield* execute(ctx, { child: true })
      switch (ending._tag) {
        case "Completed":
          return ending.outcome
        case "Failed":
          return yield* failed("failed", ending.summary)
        case "Suspended":
          return yield* Effect.fail(ending.suspended)
        case "Cancelled":
          return yield* failed("cancelled", null)
        case "Lost":
          return yield* Effect.fail(ending.error)
        case "Abandoned":
          return yield* Effect.fail(ending.error)
        case "Interrupted":
          return yield* Effect.interrupt
        case "Paused":
          return yield* Effect.fail(new Held(childId))
      }
    })
})

