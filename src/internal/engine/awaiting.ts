/**
 * Waiting for a run's end from any process: an execution in this engine
 * completes the run's local waiter; a run that ends elsewhere (another
 * process resumed it, took it over, or cancelled it) is learned from the
 * store — its result read back, or its error rebuilt with its `_tag` and
 * fields — and completes the same waiter.
 *
 * One watcher per engine reads the store for every run awaited here and not
 * executing here, however many: the ends of all those due in one read
 * (`SnapshotStore.endedRuns`), not one poll loop per waiter. Each run is
 * looked at ever less often (25 ms, doubling up to the poll interval), on
 * ticks aligned to its interval, so that runs awaited for a while share
 * their reads; a run newly awaited is read at once, by its awaiter.
 *
 * @internal
 */
import { Clock, Deferred, Duration, Effect, Exit, FiberId, Option, Queue } from "effect"
import type { Scope } from "effect"
import { RunNotFound, TemplateNotRegistered } from "../../Errors.js"
import type { PersistenceError } from "../../Errors.js"
import type { EndedRuns, RunRecord, Service as Store } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import type { RunEnv, RunOutcome } from "../run/context.js"
import { revive } from "../run/errors.js"
import { load, outcomeOf, restore } from "../run/lifecycle.js"
import { turnIfOverdue } from "../eventLoop.js"
import { choreSleep } from "./clock.js"
import { type Executor, visibleRecords } from "./executor.js"
import type { Registry } from "./registry.js"
import type { WaiterExit } from "./waiters.js"

/** Reads a completed run back from the store (nothing is claimed or executed). */
export const readBack = (env: RunEnv, template: Template.Template.Any, runId: string) =>
  // thousands of awaiters reading their runs back at once let the event loop turn (timers, the heartbeat)
  Effect.zipRight(
    turnIfOverdue,
    Effect.flatMap(load(env, runId), ({ loaded, records }) =>
      Effect.map(
        restore(env, template, loaded, visibleRecords(records), { owner: env.owner, generation: -1 }),
        outcomeOf
      ))
  )

/** What awaiting needs. */
export interface AwaitingDeps {
  readonly env: RunEnv
  readonly store: Store
  readonly executor: Executor
  readonly registry: Registry
  readonly pollInterval: Duration.Duration
}

/** A run awaited here: by how many awaiters, with which template, and when the watcher looks next. */
interface Watched {
  awaiters: number
  template: Template.Template.Any | undefined
  delay: number
  dueAt: number
}

const firstDelay = 25
/** How many ended runs are read back at once (a completed run's result is loaded). */
const readBackConcurrency = 8

/** The ends of `runIds` (see `SnapshotStore.endedRuns`), in one read when the store can, else one read each. */
export const endsOf = (store: Store, runIds: ReadonlyArray<string>): Effect.Effect<EndedRuns, PersistenceError> => {
  if (store.endedRuns !== undefined) return store.endedRuns(runIds)
  return Effect.map(Effect.forEach(runIds, (runId) => Effect.map(store.getRun(runId), (found) => [runId, found] as const)), (found) => ({
    ended: found.flatMap(([, run]) => Option.isSome(run) && isEnded(run.value) ? [run.value] : []),
    missing: found.flatMap(([runId, run]) => Option.isNone(run) ? [runId] : [])
  }))
}

const isEnded = (run: RunRecord) => run.status === "completed" || run.status === "failed" || run.status === "cancelled"

/**
 * Builds the engine's awaiting: `Engine.Service.await` and the handles' `await`. Its watcher lives as
 * long as the scope, and sleeps while no run is awaited that executes elsewhere.
 */
export const makeAwaiting = (deps: AwaitingDeps): Effect.Effect<
  (runId: string, template?: Template.Template.Any) => Effect.Effect<RunOutcome, unknown>,
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const { executor, registry, store } = deps
    const maxDelay = Math.max(firstDelay, Duration.toMillis(deps.pollInterval))
    const watched = new Map<string, Watched>()
    const nudges = yield* Queue.sliding<void>(1)

    /** What the awaiters of a run that ended (as read) learn. */
    const exitOf = (run: RunRecord, template: Template.Template.Any | undefined): Effect.Effect<WaiterExit> => {
      const runId = run.runId
      if (run.status === "completed") {
        const known = template ?? registry.get(run.templateName, run.templateVersion)?.template
        if (known === undefined) {
          return Effect.succeed(Exit.fail(new TemplateNotRegistered({ runId, template: run.templateName, version: run.templateVersion })))
        }
        return Effect.exit(readBack(deps.env, known, runId))
      }
      if (run.status === "failed") return Effect.succeed(Exit.fail(run.error === null ? new RunNotFound({ runId }) : revive(run.error)))
      return Effect.succeed(Exit.interrupt(FiberId.none))
    }

    /** Settles every awaiter of the runs read as ended or missing, and stops watching them. */
    const settle = (found: EndedRuns, given?: Template.Template.Any) =>
      Effect.zipRight(
        Effect.forEach(found.missing, (runId) => {
          watched.delete(runId)
          return executor.complete(runId, Exit.fail(new RunNotFound({ runId })))
        }, { discard: true }),
        Effect.forEach(found.ended, (run) => {
          const template = given ?? watched.get(run.runId)?.template
          watched.delete(run.runId)
          return Effect.flatMap(exitOf(run, template), (exit) => executor.complete(run.runId, exit))
        }, { discard: true, concurrency: readBackConcurrency })
      )

    /** One look: the runs due (not executing here: their execution tells their end) read in one go. */
    const look = (now: number) =>
      Effect.suspend(() => {
        const due: Array<string> = []
        for (const [runId, w] of watched) {
          if (w.dueAt > now) continue
          w.delay = Math.min(w.delay * 2, maxDelay)
          // aligned to its interval: runs awaited for a while are looked at on the same ticks
          w.dueAt = Math.ceil((now + w.delay) / w.delay) * w.delay
          if (!executor.active.has(runId)) due.push(runId)
        }
        if (due.length === 0) return Effect.void
        return Effect.catchAll(
          Effect.flatMap(endsOf(store, due), settle),
          // a store that fails says nothing: looked at again at the next tick
          () => Effect.void
        )
      })

    const nextDue = () => {
      let next = Infinity
      for (const w of watched.values()) if (w.dueAt < next) next = w.dueAt
      return next
    }

    const watcher = Effect.forever(
      Effect.gen(function*() {
        if (watched.size === 0) return yield* Queue.take(nudges)
        const now = yield* Clock.currentTimeMillis
        const next = nextDue()
        if (next > now) {
          // a run newly awaited may be due earlier: a nudge ends the sleep
          return yield* Effect.raceFirst(choreSleep(Duration.millis(next - now)), Queue.take(nudges))
        }
        yield* look(now)
      })
    )
    yield* Effect.forkScoped(watcher)

    const watch = (runId: string, template: Template.Template.Any | undefined) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const w = watched.get(runId)
        if (w !== undefined) {
          w.awaiters++
          w.template ??= template
          return Effect.void
        }
        watched.set(runId, { awaiters: 1, template, delay: firstDelay, dueAt: now + firstDelay })
        return Queue.offer(nudges, undefined)
      })

    const unwatch = (runId: string) =>
      Effect.sync(() => {
        const w = watched.get(runId)
        if (w !== undefined && --w.awaiters <= 0) watched.delete(runId)
      })

    return (runId: string, template?: Template.Template.Any): Effect.Effect<RunOutcome, unknown> =>
      Effect.suspend(() => {
        const local = executor.waiter(runId)
        const waiting = Effect.acquireUseRelease(watch(runId, template), () => Deferred.await(local), () => unwatch(runId))
        // while the run executes here, its execution tells its end (and why)
        if (executor.active.has(runId)) return waiting
        return Effect.flatMap(Deferred.isDone(local), (done) =>
          // ended here already: its waiter has its end (the run is not read back)
          done ? Deferred.await(local) :
          // else the store, at once: a run that ended already is answered without waiting
          Effect.flatMap(Effect.either(Effect.zipRight(turnIfOverdue, endsOf(store, [runId]))), (read) => {
            if (read._tag === "Left" || (read.right.ended.length === 0 && read.right.missing.length === 0)) return waiting
            return Effect.zipRight(settle(read.right, template ?? watched.get(runId)?.template), Deferred.await(local))
          }))
      })
  })
