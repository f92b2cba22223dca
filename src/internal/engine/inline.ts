/**
 * Runs executed in their caller's fiber: a run started by `Engine.run`
 * (start and await) executes in the fiber that awaits it, with no fork, no
 * waiter and no watcher — the caller is the waiter.
 *
 * Stopping such a run from outside (cancelled, taken over, the engine shut
 * down) interrupts its caller's fiber as if from this engine's own fiber id
 * (`stopper`); once the execution has ended, that interruption (and only
 * that one) is taken back from the caller's fiber (`absorb`), and the caller
 * learns what a waiter would have learnt. A caller with children of its own
 * does not execute its run here (they would be interrupted with it): its run
 * is forked as any other.
 *
 * @internal
 */
import { Cause, Deferred, Effect, FiberId, FiberRef, HashSet } from "effect"
import type { Fiber } from "effect"

/** A run executing in its caller's fiber. */
interface Entry {
  readonly fiber: Fiber.RuntimeFiber<unknown, unknown>
  /** Completed when its execution ends, made only when someone waits for that. */
  done: Deferred.Deferred<void> | undefined
  /** Whether it was interrupted by `stop`. */
  stopped: boolean
}

let stoppers = 0

/** The runs executing in their callers' fibers, by id. */
export class InlineRuns {
  private readonly byRun = new Map<string, Entry>()
  /** The fiber id the interruptions of `stop` come from. */
  private readonly stopper = FiberId.make(-1_000_000 - ++stoppers, Date.now())

  /** Whether `fiber` may execute a run in place: it has no children of its own to interrupt with it. */
  static canHost(fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean {
    const children = (fiber as unknown as { readonly getChildren?: () => ReadonlySet<unknown> }).getChildren
    return typeof children === "function" && children.call(fiber).size === 0
  }

  /** Whether a run executes in its caller's fiber. */
  has(runId: string): boolean {
    return this.byRun.has(runId)
  }

  /** The ids of the runs executing in place. */
  ids(): ReadonlyArray<string> {
    return Array.from(this.byRun.keys())
  }

  /** Notes that `fiber` executes the run from now on. */
  enter(runId: string, fiber: Fiber.RuntimeFiber<unknown, unknown>): void {
    this.byRun.set(runId, { fiber, done: undefined, stopped: false })
  }

  /** The run's execution ended: forgets it, and says whether `stop` interrupted it (then `absorb` must follow). */
  leave(runId: string, fiber: Fiber.RuntimeFiber<unknown, unknown>): boolean {
    const entry = this.byRun.get(runId)
    if (entry === undefined || entry.fiber !== fiber) return false
    this.byRun.delete(runId)
    if (entry.done !== undefined) Deferred.unsafeDone(entry.done, Effect.void)
    return entry.stopped
  }

  /**
   * Takes back `stop`'s interruption of the current fiber (run uninterruptibly, after `leave`):
   * an interruption from anyone else stays, and so does the fiber's interruption then.
   */
  get absorb(): Effect.Effect<void> {
    return FiberRef.update(FiberRef.interruptedCause, (cause) =>
      HashSet.size(HashSet.remove(Cause.interruptors(cause), this.stopper)) === 0 ? Cause.empty : cause)
  }

  /** Interrupts a run executing in place, and waits for its execution to end; `undefined` when it does not execute in place. */
  stop(runId: string): Effect.Effect<void> | undefined {
    const entry = this.byRun.get(runId)
    if (entry === undefined) return undefined
    const done = this.doneOf(entry)
    if (!entry.stopped) {
      entry.stopped = true
      entry.fiber.unsafeInterruptAsFork(this.stopper)
    }
    return Deferred.await(done)
  }

  /** Waits until the run's execution in place ends (at once when it does not execute in place). */
  ended(runId: string): Effect.Effect<void> {
    const entry = this.byRun.get(runId)
    return entry === undefined ? Effect.void : Deferred.await(this.doneOf(entry))
  }

  private doneOf(entry: Entry): Deferred.Deferred<void> {
    entry.done ??= Deferred.unsafeMake<void>(FiberId.none)
    return entry.done
  }
}
