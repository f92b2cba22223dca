/**
 * Pausing an executing run: a {@link Hold} is asked of the run's execution
 * (by its engine, when the run is paused through it or its heartbeat learns
 * that the run was paused elsewhere); the interpreter checks it before each
 * node (so the step in flight finishes and is recorded first), and a durable
 * sleep ends at once when it is asked. The execution then ends with the
 * {@link Held} marker (not a failure of the run): the life cycle hands the
 * run back, and the store records it `paused`.
 *
 * @internal
 */
import { Deferred, Effect, FiberId } from "effect"

/** A pause asked of one execution (shared by the run's views and its sub-flows' child runs). */
export class Hold {
  private asked = false
  /** Made when someone waits for it (a durable sleep): most executions never do. */
  private latch: Deferred.Deferred<void> | undefined = undefined

  /** Whether a pause was asked. */
  get requested(): boolean {
    return this.asked
  }

  /** Asks the execution to stop at its next checkpoint. */
  request(): void {
    if (this.asked) return
    this.asked = true
    if (this.latch !== undefined) Deferred.unsafeDone(this.latch, Effect.void)
  }

  /** Fails with {@link Held} once a pause is asked (never succeeds). */
  whenAsked(runId: string): Effect.Effect<never, Held> {
    return Effect.suspend(() => {
      if (this.asked) return Effect.fail(new Held(runId))
      this.latch ??= Deferred.unsafeMake<void>(FiberId.none)
      return Effect.zipRight(Deferred.await(this.latch), Effect.fail(new Held(runId)))
    })
  }
}

/** The end of an execution that stopped because a pause was asked. Travels in the error channel. */
export class Held {
  readonly _tag = "~weft/Held"
  constructor(readonly runId: string) {}
}

/** Whether a failure is the pause marker. */
export const isHeld = (u: unknown): u is Held => u instanceof Held
