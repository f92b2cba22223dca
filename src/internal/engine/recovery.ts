/**
 * Taking up runs that need an engine, without user code: on start and then
 * every poll interval (or at once when nudged: a local signal, a store's
 * wake-up notice), an engine claims the runs of its templates that are
 * orphaned (their engine died or handed them back), due (a deadline passed,
 * a signal arrived) and, for a worker, queued on the queues it serves — as
 * many as it has free permits — and executes them. Runs of a named queue
 * are taken up only by workers serving it, within its limit; runs of
 * `default` by any engine. Runs of templates it
 * does not know are left alone, and said so once in the log.
 *
 * @internal
 */
import { Clock, Duration, Effect, Queue, Stream } from "effect"
import type { Scope } from "effect"
import type { PersistenceError } from "../../Errors.js"
import type { Service as Store } from "../../SnapshotStore.js"
import { defaultQueue } from "../store/records.js"
import { choreSleep } from "./clock.js"
import type { Executor } from "./executor.js"
import { keyOf, type Registry } from "./registry.js"

/** The queues a worker serves, each with how many of its runs may execute here at once. */
export type Queues = ReadonlyMap<string, number>

/** An engine's poller. */
export interface Poller {
  /** Looks for work now. */
  readonly nudge: Effect.Effect<void>
  /** Serves queues (a worker) for as long as the scope lives. */
  readonly serve: (queues: Queues) => Effect.Effect<void, never, Scope.Scope>
  /** Whether this engine serves `queue` now (as a worker). */
  readonly serves: (queue: string) => boolean
  /**
   * Takes up, once, what a round of recovery would (`default`'s runs, and a worker's own queues within
   * their limits), whatever the `recovery` setting; succeeds with how many runs it claimed.
   */
  readonly takeUpOnce: Effect.Effect<number, PersistenceError>
}

/** Builds the poller; it polls only while `enabled()` or a worker serves queues. */
export const make = (options: {
  readonly store: Store
  readonly owner: string
  readonly registry: Registry
  readonly executor: Executor
  readonly leaseMillis: number
  readonly interval: Duration.DurationInput
  readonly recovery: boolean
}): Effect.Effect<Poller, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { executor, owner, registry, store } = options
    const nudges = yield* Queue.sliding<void>(1)
    const served: Array<Queues> = []
    const reported = new Set<string>()
    /**
     * Whether the last round may have left work behind: it took as many runs
     * as it asked for, or had no room to ask. Then a run ending here (a permit
     * freed) starts a round at once, instead of the next poll.
     */
    let more = false
    let lookedAt = -Infinity
    const intervalMillis = Duration.toMillis(Duration.decode(options.interval))
    /** Runs executing here, by queue (for per-queue limits). */
    const runningIn = (queue: string) => {
      let n = 0
      for (const running of executor.active.values()) if (running.queue === queue) n++
      return n
    }

    /**
     * Claims and launches, once, what this engine may take up now: orphaned and due runs of `default`
     * (unless a served queue is `default`; by any engine when `recover`), and the orphaned, due and queued
     * runs of each queue it serves, within the queue's limit. Returns how many runs it claimed.
     */
    const claimRound = (recover: boolean): Effect.Effect<number, PersistenceError> =>
      Effect.gen(function*() {
        let free = executor.freePermits()
        more = free <= 0
        if (registry.size === 0 || free <= 0) return 0
        const now = yield* Clock.currentTimeMillis
        const templates = registry.keys()
        let total = 0
        const claimAndLaunch = (queues: ReadonlyArray<string>, recoverQueues: ReadonlyArray<string>, limit: number) =>
          Effect.gen(function*() {
            const filter = { templates, queues, recoverQueues, limit }
            const claimed = yield* store.claimNext(owner, now, now + options.leaseMillis, filter)
            for (const c of claimed) yield* executor.launchClaimed(c)
            free -= claimed.length
            total += claimed.length
            if (claimed.length >= limit) more = true
          })
        // runs of a named queue execute only in workers serving it, within its limit, whether they
        // are queued, due after a wait or orphaned by a dead worker; any engine takes up `default`'s
        const servesDefault = served.some((queues) => queues.has(defaultQueue))
        if ((recover || served.length > 0) && !servesDefault) yield* claimAndLaunch([], [defaultQueue], free)
        for (const queues of served) {
          for (const [queue, limit] of queues) {
            const room = Math.min(free, limit - runningIn(queue))
            if (room > 0) yield* claimAndLaunch([queue], [queue], room)
            else more = true
          }
        }
        return total
      })

    const round = Effect.gen(function*() {
      if (registry.size === 0) return
      yield* claimRound(options.recovery)
      // say once which claimable runs nobody here can execute (looked at once per poll interval at most,
      // not at every wake-up: a worker is woken by every run queued and every run of its own that ends)
      const now = yield* Clock.currentTimeMillis
      if (now - lookedAt < intervalMillis) return
      lookedAt = now
      const waiting = yield* store.list({ claimableAt: now, limit: 50 })
      for (const run of waiting) {
        if (run.parentId !== null || registry.get(run.templateName, run.templateVersion) !== undefined) continue
        if (reported.has(run.runId)) continue
        reported.add(run.runId)
        yield* Effect.logWarning(
          `weft: run ${run.runId} (${keyOf(run.templateName, run.templateVersion)}) needs an engine, but its ` +
            "template is not registered here: left alone"
        )
      }
    }).pipe(Effect.catchAll((error) => Effect.logWarning("weft: looking for runs to take up failed; will try again", error)))

    const polling = () => options.recovery || served.length > 0
    // without recovery or queues to serve there is nothing to poll for: only nudges wake it
    const loop = Effect.forever(
      Effect.zipRight(
        Effect.suspend(() =>
          polling() ? Effect.raceFirst(choreSleep(options.interval), Queue.take(nudges)) : Queue.take(nudges)
        ),
        Effect.suspend(() => polling() ? round : Effect.void)
      )
    )
    yield* Effect.forkScoped(Effect.zipRight(Effect.suspend(() => options.recovery ? round : Effect.void), loop))
    // a permit freed while work may be waiting: look now (a worker's next queued run starts at once)
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(
      executor.ended,
      Effect.suspend(() => more && polling() ? Queue.offer(nudges, undefined) : Effect.void)
    )))
    if (store.wakeups !== undefined) {
      const wakeups = yield* store.wakeups
      yield* Effect.forkScoped(Stream.runForEach(wakeups, () => Queue.offer(nudges, undefined)))
    }
    return {
      nudge: Effect.asVoid(Queue.offer(nudges, undefined)),
      serve: (queues) =>
        Effect.acquireRelease(
          Effect.zipRight(Effect.sync(() => served.push(queues)), Queue.offer(nudges, undefined)),
          () => Effect.sync(() => served.splice(served.indexOf(queues), 1))
        ),
      serves: (queue) => served.some((queues) => queues.has(queue)),
      takeUpOnce: claimRound(true)
    }
  })
