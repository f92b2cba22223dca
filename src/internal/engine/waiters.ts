/**
 * The local waiters of runs: a caller of this engine awaiting a run (its
 * handle, `run`, `resume`) waits on one deferred per run, completed when an
 * execution here ends the run.
 *
 * Invariant: a run has at most one waiter, in the map from the first
 * `waiter(runId)` until its one completion; completing a run nobody waits
 * for does nothing. A run that goes on (suspended here, or elsewhere)
 * completes nobody: its waiters learn its end later, or from the store.
 *
 * @internal
 */
import { Deferred, Effect, Exit, FiberId } from "effect"
import { RunCancelled } from "../../Errors.js"
import type { RunOutcome } from "../run/context.js"
import type { Ending } from "../run/lifecycle.js"
import type { StopReason } from "./slots.js"

/** How a run ended for its local waiters. */
export type WaiterExit = Exit.Exit<RunOutcome, unknown>

/** The local waiters of an engine's runs. */
export class Waiters {
  private readonly byRun = new Map<string, Deferred.Deferred<RunOutcome, unknown>>()

  /** The run's waiter, created on demand (before the run can end). */
  readonly waiter = (runId: string): Deferred.Deferred<RunOutcome, unknown> => {
    let done = this.byRun.get(runId)
    if (done === undefined) {
      done = Deferred.unsafeMake<RunOutcome, unknown>(FiberId.none)
      this.byRun.set(runId, done)
    }
    return done
  }

  /** Completes the run's waiter, if any, and forgets it. */
  readonly complete = (runId: string, exit: WaiterExit): Effect.Effect<void> =>
    Effect.suspend(() => {
      const done = this.byRun.get(runId)
      this.byRun.delete(runId)
      return done === undefined ? Effect.void : Deferred.done(done, exit)
    })
}

/**
 * What a run's waiters learn from how an execution here ended; `undefined`
 * when the run goes on (suspended, or held by another engine now).
 */
export const exitOfEnding = (runId: string, ending: Ending): WaiterExit | undefined => {
  switch (ending._tag) {
    case "Completed":
      return Exit.succeed(ending.outcome)
    case "Failed":
      return Exit.fail(ending.error)
    case "Cancelled":
      return Exit.fail(new RunCancelled({ runId }))
    case "Abandoned":
      return Exit.fail(ending.error)
    case "Interrupted":
      return Exit.interrupt(FiberId.none)
    case "Lost":
    case "Suspended":
    case "Paused":
      return undefined
  }
}

/**
 * What a run's waiters learn when this engine stopped executing it from
 * outside; `undefined` when it was taken over (it goes on elsewhere, and its
 * waiters learn its end from the store).
 */
export const exitOfStop = (runId: string, reason: StopReason | undefined): WaiterExit | undefined =>
  reason === "lost"
    ? undefined
    : reason === "cancelled-elsewhere"
    ? Exit.fail(new RunCancelled({ runId }))
    : Exit.interrupt(FiberId.none)
