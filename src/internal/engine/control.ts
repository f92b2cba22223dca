/**
 * Run control through an engine: pausing a run (the store records it
 * `paused` at once, or asks the engine executing it to hand it back at its
 * next checkpoint — at once when that engine is this one, else at its next
 * heartbeat) and unpausing it (back to what it was, and looked for at once).
 *
 * @internal
 */
import { Clock, Effect, Option } from "effect"
import { type PersistenceError, RunNotFound, RunNotPausable, RunNotPaused } from "../../Errors.js"
import type { Event } from "../../Event.js"
import { defaultQueue, type PausedFrom, type Service as Store } from "../../SnapshotStore.js"
import { retryTransient } from "../run/checkpoint.js"
import type { Executor } from "./executor.js"
import type { Poller } from "./recovery.js"
import type { Registry } from "./registry.js"
import { getRun } from "./runs.js"

/** What pausing and unpausing need of their engine. */
export interface ControlDeps {
  readonly store: Store
  readonly executor: Executor
  readonly poller: Poller
  readonly registry: Registry
  readonly publish: (event: Event) => Effect.Effect<void>
}

/** Pauses a top-level run; see `Engine.Service.pause`. */
export const pause = (deps: ControlDeps) =>
(runId: string): Effect.Effect<"paused" | "pausing", RunNotFound | RunNotPausable | PersistenceError> =>
  Effect.gen(function*() {
    const run = yield* getRun(deps.store)(runId)
    if (run.parentId !== null) {
      return yield* new RunNotPausable({ runId, reason: "child-run", status: run.status, rootId: run.rootId })
    }
    const now = yield* Clock.currentTimeMillis
    const result = yield* retryTransient(deps.store.pauseRun(runId, now))
    switch (result._tag) {
      case "NotFound":
        return yield* new RunNotFound({ runId })
      case "Finished":
        return yield* new RunNotPausable({ runId, reason: "finished", status: result.status, rootId: run.rootId })
      case "Pausing":
        // executing here: its execution stops at its next checkpoint (elsewhere: at that engine's next heartbeat)
        deps.executor.active.get(runId)?.hold?.request()
        return "pausing"
      case "Paused":
        if (run.status !== "paused") yield* deps.publish({ _tag: "RunPaused", runId, at: now })
        return "paused"
    }
  })

/**
 * After an unpause: a run that is claimable now (handed back, or suspended and due) and that this engine may
 * execute is taken up here at once; any other is left to the engines that look for work (nudged here).
 */
const takeUpNow = (deps: ControlDeps, runId: string, now: number) =>
  Effect.gen(function*() {
    yield* deps.poller.nudge
    const found = yield* Effect.orElseSucceed(deps.store.getRun(runId), () => Option.none())
    if (Option.isNone(found)) return
    const run = found.value
    const claimable = (run.status === "running" && run.owner === null) ||
      (run.status === "suspended" && run.wakeAt !== null && run.wakeAt <= now)
    const routed = run.queue !== defaultQueue && !deps.poller.serves(run.queue)
    if (claimable && !routed && deps.registry.get(run.templateName, run.templateVersion) !== undefined) {
      yield* Effect.ignore(deps.executor.takeUp(runId, { queue: run.queue }))
    }
  })

/** Unpauses a run; see `Engine.Service.unpause`. */
export const unpause = (deps: ControlDeps) =>
(runId: string): Effect.Effect<PausedFrom, RunNotFound | RunNotPaused | PersistenceError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const result = yield* retryTransient(deps.store.unpauseRun(runId, now))
    switch (result._tag) {
      case "NotFound":
        return yield* new RunNotFound({ runId })
      case "NotPaused":
        return yield* new RunNotPaused({ runId, status: result.status })
      case "Unpaused":
        yield* deps.publish({ _tag: "RunUnpaused", runId, at: now })
        yield* takeUpNow(deps, runId, now)
        return result.status
    }
  })
