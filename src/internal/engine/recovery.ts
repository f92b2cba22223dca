/**
 * Taking up runs that need an engine, without user code: on start and then
 * every poll interval (or at once when nudged: a local signal, a store's
 * wake-up notice), an engine claims the runs of its templates that are
 * orphaned (their engine died or handed them back), due (a deadline passed,
 * a signal arrived) and, for a worker, queued on the queues it serves — as
 * many as it has free slots for — and executes them. A run held by a dead
 * process of this machine is orphaned at once (its owner's pid is gone), not
 * when its lease passes. Runs of a named queue
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
import { defaultQueue } from "../../SnapshotStore.js"
import { choreSleep } from "./clock.js"
import type { Executor } from "./executor.js"
import { isDeadLocalOwner } from "./owner.js"
import type * as Slots from "./slots.js"
import { keyOf, type Registry } from "./registry.js"
import type * as Settings from "../../Settings.js"

/** The queues a worker serves, each with how many of its runs may execute here at once. */
export type Queues = Slots.Queues

/** Rate limits of queues: at most `limit` starts in any `periodMillis`, across every engine sharing the store. */
export type RateLimits = ReadonlyMap<string, { readonly limit: number; readonly periodMillis: number }>

/** An engine's poller. */
export interface Poller {
  /** Looks for work now. */
  readonly nudge: Effect.Effect<void>
  /** Serves queues (a worker) for as long as the scope lives, with the rate limits of some of them. */
  readonly serve: (queues: Queues, rateLimits?: RateLimits) => Effect.Effect<void, never, Scope.Scope>
  /** Whether this engine serves `queue` now (as a worker). */
  readonly serves: (queue: string) => boolean
  /**
   * Takes up, once, what a round of recovery would (`default`'s runs, and a worker's own queues within
   * their limits), whatever the `recovery` setting; succeeds with how many runs it claimed.
   */
  readonly takeUpOnce: Effect.Effect<number, PersistenceError>
}

/** What the poller needs. */
export interface PollerOptions {
  readonly store: Store
  readonly owner: string
  readonly registry: Registry
  readonly executor: Executor
  readonly leaseMillis: number
  readonly interval: Duration.DurationInput
  /** For dead letters: `maxRecoveryAttempts`, and `stateTtl` (how long a dead letter is kept). */
  readonly settings: Pick<Settings.WeftSettings, "maxRecoveryAttempts" | "stateTtl">
  readonly recovery: boolean
  /** Renews this engine's leases when its heartbeat is due (see `Heartbeat.renewIfDue`), before runs are claimed. */
  readonly renewIfDue?: Effect.Effect<void> | undefined
}

/** Builds the poller; it polls only while `enabled()` or a worker serves queues. */
export const make = (options: PollerOptions): Effect.Effect<Poller, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { executor, owner, registry, store } = options
    const { slots } = executor
    const nudges = yield* Queue.sliding<void>(1)
    const reported = new Set<string>()
    /**
     * Whether the last round may have left work behind: it took as many runs
     * as it asked for, or had no room to ask. Then a run ending here (a permit
     * freed) starts a round at once, instead of the next poll.
     */
    let more = false
    let lookedAt = -Infinity
    const intervalMillis = Duration.toMillis(Duration.decode(options.interval))
    const deadOwners = deadOwnersOf(store, intervalMillis)
    const rates: Array<RateLimits> = []
    const rateLimitOf = (queue: string) => strictest(rates, queue)

    /**
     * Claims and launches, once, what this engine may take up now: orphaned and due runs of `default`
     * (unless a served queue is `default`; by any engine when `recover`), and the orphaned, due and queued
     * runs of each queue it serves, within the queue's limit. Returns how many runs it claimed.
     */
    const claimRound = (recover: boolean): Effect.Effect<number, PersistenceError> =>
      Effect.gen(function*() {
        more = slots.free() <= 0
        if (registry.size === 0 || more) return 0
        // this engine's own runs must not look orphaned (a heartbeat late under load): renew them first
        if (options.renewIfDue !== undefined) yield* options.renewIfDue
        const now = yield* Clock.currentTimeMillis
        const templates = registry.keys()
        const takeOverFrom = yield* deadOwners(now)
        const deadLetter = deadLetterAt(options.settings, now)
        let total = 0
        // each claim takes at most the room it reserved (see `slots`): a concurrent take-up (a signal, a
        // deadline) cannot make a queue overshoot its limit here
        const claimIn = (queue: string, queues: ReadonlyArray<string>, wanted: number) =>
          Effect.gen(function*() {
            const claimed = yield* slots.claimWithin(
              queue,
              wanted,
              (limit) =>
                store.claimNext(owner, now, now + options.leaseMillis, {
                  templates,
                  queues,
                  recoverQueues: [queue],
                  takeOverFrom,
                  limit,
                  deadLetter,
                  rateLimit: rateLimitOf(queue)
                }),
              executor.launchClaimed
            )
            total += claimed.length
            if (claimed.length >= wanted) more = true
          })
        // runs of a named queue execute only in workers serving it, within its limit, whether they
        // are queued, due after a wait or orphaned by a dead worker; any engine takes up `default`'s
        if ((recover || slots.served.length > 0) && !slots.serves(defaultQueue)) {
          yield* claimIn(defaultQueue, [], slots.room(defaultQueue))
        }
        for (const queues of slots.served) {
          for (const queue of queues.keys()) {
            const room = slots.room(queue)
            if (room > 0) yield* claimIn(queue, [queue], room)
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

    const polling = () => options.recovery || slots.served.length > 0
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
      Effect.suspend(() => (slots.takeWanted() || more) && polling() ? Queue.offer(nudges, undefined) : Effect.void)
    )))
    if (store.wakeups !== undefined) {
      const wakeups = yield* store.wakeups
      yield* Effect.forkScoped(Stream.runForEach(wakeups, () => Queue.offer(nudges, undefined)))
    }
    return {
      nudge: Effect.asVoid(Queue.offer(nudges, undefined)),
      serve: (queues, rateLimits = new Map()) =>
        served(slots, rates, queues, rateLimits, Queue.offer(nudges, undefined)),
      serves: (queue) => slots.serves(queue),
      takeUpOnce: claimRound(true)
    }
  })

/** Serves `queues` (with their rate limits) while the scope lives; `nudge` looks for work at once. */
const served = (
  slots: Slots.Slots,
  rates: Array<RateLimits>,
  queues: Queues,
  rateLimits: RateLimits,
  nudge: Effect.Effect<boolean>
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.zipRight(
      Effect.sync(() => {
        slots.served.push(queues)
        rates.push(rateLimits)
      }),
      nudge
    ),
    () =>
      Effect.sync(() => {
        slots.served.splice(slots.served.indexOf(queues), 1)
        rates.splice(rates.indexOf(rateLimits), 1)
      })
  )

/** The rate limit of a queue an engine serves (the strictest, if served twice with several). */
const strictest = (rates: ReadonlyArray<RateLimits>, queue: string) => {
  let found: { readonly queue: string; readonly limit: number; readonly periodMillis: number } | undefined
  for (const limits of rates) {
    const l = limits.get(queue)
    if (l !== undefined && (found === undefined || l.limit / l.periodMillis < found.limit / found.periodMillis)) {
      found = { queue, ...l }
    }
  }
  return found
}

/** Dead letters: a run whose executions keep dying ends failed, kept as long as any finished run. */
const deadLetterAt = (settings: Pick<Settings.WeftSettings, "maxRecoveryAttempts" | "stateTtl">, now: number) => ({
  maxRecoveryAttempts: settings.maxRecoveryAttempts,
  expiresAt: Duration.isFinite(settings.stateTtl) ? now + Duration.toMillis(settings.stateTtl) : null
})

/**
 * The engines of dead processes of this machine that hold runs (their runs are taken over at once, not
 * when their lease passes), looked for at most once per `intervalMillis`.
 */
const deadOwnersOf = (store: Store, intervalMillis: number) => {
  let lookedAt = -Infinity
  let dead: ReadonlyArray<string> | undefined
  return (now: number): Effect.Effect<ReadonlyArray<string> | undefined, PersistenceError> =>
    Effect.suspend(() => {
      if (now - lookedAt < intervalMillis) return Effect.succeed(dead)
      return Effect.map(store.holders(now), (owners) => {
        lookedAt = now
        const found = owners.filter(isDeadLocalOwner)
        dead = found.length === 0 ? undefined : found
        return dead
      })
    })
}
