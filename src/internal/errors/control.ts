/**
 * The errors of run control: pausing, unpausing, and the recovery of runs
 * whose executions died (re-exported by `Errors`).
 *
 * @internal
 */
import { Schema } from "effect"
import { TypeId } from "./base.js"
import type { Kind } from "./base.js"

/**
 * A run cannot be paused: it has ended (`status`), or it is a sub-flow's
 * child run (`reason: "child-run"`: pause its top-level run, `rootId`).
 *
 * @since 0.4.0
 * @category errors
 */
export class RunNotPausable extends Schema.TaggedError<RunNotPausable>()("RunNotPausable", {
  runId: Schema.String,
  reason: Schema.Literal("finished", "child-run"),
  status: Schema.String,
  rootId: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return this.reason === "child-run"
      ? `Run "${this.runId}" is a sub-flow's child run: pause its top-level run "${this.rootId}"`
      : `Run "${this.runId}" is ${this.status} and cannot be paused`
  }
}

/**
 * A run was asked to go on (`unpause`) but is not paused (`status`), or is
 * paused and was asked to be resumed or claimed (`status: "paused"`): unpause it first.
 *
 * @since 0.4.0
 * @category errors
 */
export class RunNotPaused extends Schema.TaggedError<RunNotPaused>()("RunNotPaused", {
  runId: Schema.String,
  status: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Run "${this.runId}" is ${this.status}, not paused`
  }
}

/**
 * A run is paused: it is not executed or claimed until it is unpaused
 * (`engine.unpause`, `weft unpause`).
 *
 * @since 0.4.0
 * @category errors
 */
export class RunPaused extends Schema.TaggedError<RunPaused>()("RunPaused", {
  runId: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Run "${this.runId}" is paused: unpause it to let it go on`
  }
}

/**
 * A dead letter: the run's executions kept dying (its process crashed or
 * was killed while executing it), and it was taken up again `attempts`
 * times after such a death, the most the `maxRecoveryAttempts` setting
 * allows; it was ended as failed instead of being taken up again.
 *
 * @since 0.4.0
 * @category errors
 */
export class RecoveryAttemptsExceeded
  extends Schema.TaggedError<RecoveryAttemptsExceeded>()("RecoveryAttemptsExceeded", {
    runId: Schema.String,
    attempts: Schema.Number,
    maxRecoveryAttempts: Schema.Number
  })
{
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Run "${this.runId}" was taken up ${this.attempts} times after its execution died, and died each time ` +
      `(maxRecoveryAttempts ${this.maxRecoveryAttempts}): ended as failed (a dead letter)`
  }
}
