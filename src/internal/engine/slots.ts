/**
 * An engine's slots: how many runs it may hold at once
 * (`maxConcurrentWorkflows`), which runs it holds, and the permits their
 * executions take.
 *
 * The invariant, written here only:
 *
 *     free        = max − max(held + reserved, busy)        (0 once the engine stops)
 *     room(queue) = min(free, limit(queue) − held(queue) − reserved(queue))
 *
 * - `held`: the runs this engine holds a claim on (`active`), executing or
 *   waiting for their permit;
 * - `reserved`: slots taken for claims under way (asked of the store, their
 *   runs not held yet): a claim takes no more runs than it reserved, and its
 *   reservation ends when each run is held here (or was not claimed) — so
 *   concurrent claims (the poller's rounds, a signal, a deadline) never take
 *   together more than there is room for;
 * - `busy`: the executions holding a permit. A run stopped here leaves
 *   `active` before its execution has given its permit back, so `busy` may
 *   exceed `held` for a moment;
 * - `limit(queue)`: what a worker serves the queue with (`max` for a queue
 *   not served, such as `default` in a plain engine).
 *
 * The latch `executing` is open exactly while `active` is not empty (the
 * heartbeat beats only then).
 *
 * @internal
 */
import { Effect } from "effect"
import type { Lease } from "../../SnapshotStore.js"

/**
 * Why this engine stopped executing a run from outside it: cancelled here
 * (its waiters are interrupted) or in another process (they fail with
 * `RunCancelled`), taken over by another engine, or the engine shuts down.
 */
export type StopReason = "cancelled" | "cancelled-elsewhere" | "lost" | "shutdown"

/** A run this engine holds. */
export interface Active {
  readonly lease: Lease
  readonly queue: string
  /** When this engine claimed it (the heartbeat ignores runs claimed after it asked). */
  readonly since: number
  reason: StopReason | undefined
  /** Mirrors what a heartbeat recorded of the run's execution time (`RunContext.leaseUntil`, `beatCounted`). */
  readonly accounted?: { leaseUntil: number; beatCounted: number } | undefined
  /** The pause its execution checks (asked when the run is paused: see `run/hold.ts`). */
  readonly hold?: { request(): void } | undefined
}

/** The queues a worker serves, each with how many of its runs may execute here at once. */
export type Queues = ReadonlyMap<string, number>

/** The slots of an engine. */
export class Slots {
  /** The runs this engine holds, with their claims. */
  readonly active = new Map<string, Active>()
  /** The queues served as a worker, by each `serve` (a queue may be served twice: its highest limit counts). */
  readonly served: Array<Queues> = []
  /** Slots reserved for claims under way, in all and by queue. */
  private reserved = 0
  private readonly reservedBy = new Map<string, number>()
  /** Set when a run could not be taken up for want of room: someone should look again when a slot frees. */
  private wanted = false
  /** Executions holding a permit. */
  private busy = 0
  /** Executions that asked for a permit and have not given it back. */
  private asking = 0
  private stopping = false
  /** Whether the latch is open (changed only with it). */
  private open = false

  private constructor(
    readonly max: number,
    private readonly permits: Effect.Semaphore,
    private readonly executing: Effect.Latch
  ) {}

  /** Slots for `max` runs at once. */
  static make(max: number): Effect.Effect<Slots> {
    return Effect.map(
      Effect.all([Effect.makeSemaphore(max), Effect.makeLatch(false)]),
      ([permits, executing]) => new Slots(max, permits, executing)
    )
  }

  /** How many more runs this engine may claim now. */
  free(): number {
    return this.stopping ? 0 : Math.max(0, this.max - Math.max(this.active.size + this.reserved, this.busy))
  }

  /** How many more runs of `queue` this engine may claim now. */
  room(queue: string): number {
    return Math.max(0, Math.min(this.free(), this.limitOf(queue) - this.heldIn(queue) - (this.reservedBy.get(queue) ?? 0)))
  }

  /** How many runs of `queue` may execute here at once: its highest limit where served, else `max`. */
  limitOf(queue: string): number {
    let limit: number | undefined
    for (const queues of this.served) {
      const l = queues.get(queue)
      if (l !== undefined && (limit === undefined || l > limit)) limit = l
    }
    return limit ?? this.max
  }

  /** Whether this engine serves `queue` as a worker. */
  serves(queue: string): boolean {
    return this.served.some((queues) => queues.has(queue))
  }

  /**
   * Claims runs of `queue` within its room: reserves up to `wanted` slots,
   * lets `claim` take at most that many runs, launches each (its slot is
   * then held, or free again if the run was not kept), and gives back what
   * was reserved and not claimed. Succeeds with the runs claimed.
   */
  claimWithin<A, E>(
    queue: string,
    wanted: number,
    claim: (limit: number) => Effect.Effect<ReadonlyArray<A>, E>,
    launch: (claimed: A) => Effect.Effect<void>
  ): Effect.Effect<ReadonlyArray<A>, E> {
    return Effect.suspend(() => {
      const granted = Math.min(wanted, this.room(queue))
      if (granted <= 0) {
        if (wanted > 0) this.wanted = true
        return Effect.succeed([])
      }
      this.reserve(queue, granted)
      let left = granted
      const unreserve = (n: number) =>
        Effect.sync(() => {
          this.reserve(queue, -n)
          left -= n
        })
      return Effect.ensuring(
        Effect.tap(
          claim(granted),
          (claimed) => Effect.forEach(claimed, (c) => Effect.zipRight(launch(c), unreserve(1)), { discard: true })
        ),
        Effect.suspend(() => unreserve(left))
      )
    })
  }

  /** Whether a run was left for want of room since the last call (and forgets it). */
  takeWanted(): boolean {
    const wanted = this.wanted
    this.wanted = false
    return wanted
  }

  private reserve(queue: string, n: number): void {
    this.reserved += n
    const left = (this.reservedBy.get(queue) ?? 0) + n
    if (left === 0) this.reservedBy.delete(queue)
    else this.reservedBy.set(queue, left)
  }

  /** How many runs of `queue` this engine holds. */
  heldIn(queue: string): number {
    let n = 0
    for (const running of this.active.values()) if (running.queue === queue) n++
    return n
  }

  /** Whether the engine stops (it claims nothing more). */
  get stopped(): boolean {
    return this.stopping
  }

  /** The engine stops: no slot is free from now on. */
  stop(): void {
    this.stopping = true
  }

  /** Waits until this engine holds at least one run. */
  get whileHolding(): Effect.Effect<void> {
    return this.executing.await
  }

  /** Holds a run (claimed here). */
  hold(runId: string, active: Active): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.active.set(runId, active)
      return this.track
    })
  }

  /** Lets go of a run (its execution here ended, or it never started). */
  forget(runId: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      this.active.delete(runId)
      return this.track
    })
  }

  /**
   * Runs `body` once a permit is free, counted as busy meanwhile; `body`
   * learns whether it may have waited for its permit (then the run may have
   * been taken over meanwhile).
   */
  withPermit<A, E, R>(body: (waited: boolean) => Effect.Effect<A, E, R>): Effect.Effect<A, E, R> {
    return Effect.suspend(() => {
      const waits = this.asking >= this.max
      this.asking++
      let holding = false
      return Effect.ensuring(
        this.permits.withPermits(1)(Effect.suspend(() => {
          this.busy++
          holding = true
          return body(waits)
        })),
        Effect.sync(() => {
          if (holding) this.busy--
          this.asking--
        })
      )
    })
  }

  /** Keeps the latch open exactly while some run is held here. */
  private get track(): Effect.Effect<void> {
    return Effect.suspend(() => {
      if ((this.active.size > 0) === this.open) return Effect.void
      this.open = !this.open
      return this.open ? this.executing.open : this.executing.close
    })
  }
}
