/**
 * An engine's slots: how many runs it may hold at once
 * (`maxConcurrentWorkflows`), which runs it holds, and the permits their
 * executions take.
 *
 * The invariant, written here only:
 *
 *     free = max − max(held, busy)        (0 once the engine stops)
 *
 * - `held`: the runs this engine holds a claim on (`active`), executing or
 *   waiting for their permit;
 * - `busy`: the executions holding a permit. A run stopped here leaves
 *   `active` before its execution has given its permit back, so `busy` may
 *   exceed `held` for a moment.
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
}

/** The slots of an engine. */
export class Slots {
  /** The runs this engine holds, with their claims. */
  readonly active = new Map<string, Active>()
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
    return this.stopping ? 0 : Math.max(0, this.max - Math.max(this.active.size, this.busy))
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
