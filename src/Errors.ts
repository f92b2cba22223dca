/**
 * Every error weft itself raises. Each is a `Schema.TaggedError`, so callers
 * can `Effect.catchTag("InvalidInput", ...)`, the store can record it and
 * revive it in another process, and the HTTP API can send it; each has a
 * `message` that names what was wrong (the key, the step, the run), and a
 * {@link Kind} that says whose the fault is.
 *
 * The errors a step declares in its own `run` are passed through unchanged:
 * a workflow's error channel is the union of its steps' errors and these.
 *
 * Adding an error: its class here, with its `kind`, a member in
 * {@link WeftError}, and a line in the README's table.
 *
 * @since 0.1.0
 */
import { Duration, Predicate, Schema } from "effect"
import {
  ErrorRef,
  FingerprintedRef,
  formatIssues,
  formatPath,
  Issue,
  TypeId
} from "./internal/errors/base.js"
import type { Kind } from "./internal/errors/base.js"
import { RecoveryAttemptsExceeded, RunNotPausable, RunNotPaused, RunPaused } from "./internal/errors/control.js"
import { CommandFailed, FileFailed, HttpFailed, ValueInvalid } from "./internal/errors/steps.js"
import { DeliveryRejected, InvalidSchedule, ScheduleExists, ScheduleNotFound } from "./internal/errors/triggers.js"
import { InvalidPatch, MigrationRefused, StepNotFound } from "./internal/errors/versions.js"

export { Issue, TypeId } from "./internal/errors/base.js"
export type { Kind } from "./internal/errors/base.js"
export { RecoveryAttemptsExceeded, RunNotPausable, RunNotPaused, RunPaused } from "./internal/errors/control.js"
export { CommandFailed, FileFailed, HttpFailed, ValueInvalid } from "./internal/errors/steps.js"
export { DeliveryRejected, InvalidSchedule, ScheduleExists, ScheduleNotFound } from "./internal/errors/triggers.js"
export { InvalidPatch, MigrationRefused, StepNotFound } from "./internal/errors/versions.js"

/**
 * The input of a run did not match the schemas of what its template requires.
 * Raised before any step runs; nothing is written for the rejected run.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Schema.TaggedError<InvalidInput>()("InvalidInput", {
  /** The template's name. */
  template: Schema.String,
  issues: Schema.Array(Issue)
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  /** The key paths that were missing or invalid, e.g. `["equipmentId", "processParams.temperature"]`. */
  get keys(): ReadonlyArray<string> {
    return this.issues.map((issue) => formatPath(issue.path))
  }
  override get message(): string {
    return `Invalid input for template "${this.template}": ${formatIssues(this.issues)}`
  }
}

/**
 * A step returned a value that does not match its `provides` schemas.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidStepOutput extends Schema.TaggedError<InvalidStepOutput>()("InvalidStepOutput", {
  step: Schema.String,
  issues: Schema.Array(Issue)
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Step "${this.step}" returned an invalid output: ${formatIssues(this.issues)}`
  }
}

/**
 * A state value written by a step could not be encoded by its Schema for
 * persistence. The step fails; the process does not.
 *
 * @since 0.1.0
 * @category errors
 */
export class StateEncodeError extends Schema.TaggedError<StateEncodeError>()("StateEncodeError", {
  step: Schema.String,
  key: Schema.String,
  detail: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Step "${this.step}" wrote state key "${this.key}" that cannot be encoded: ${this.detail}`
  }
}

/**
 * A step read a state key whose time-to-live had passed.
 *
 * @since 0.1.0
 * @category errors
 */
export class StateExpired extends Schema.TaggedError<StateExpired>()("StateExpired", {
  step: Schema.String,
  key: Schema.String,
  /** When the value expired, in epoch milliseconds. */
  expiredAt: Schema.Number
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Step "${this.step}" read state key "${this.key}", which expired at ${new Date(this.expiredAt).toISOString()}`
  }
}

/**
 * A step requires a state key that is not in the state (for example because
 * the step that provides it was skipped).
 *
 * @since 0.1.0
 * @category errors
 */
export class StateKeyMissing extends Schema.TaggedError<StateKeyMissing>()("StateKeyMissing", {
  step: Schema.String,
  key: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Step "${this.step}" requires state key "${this.key}", which is not in the state`
  }
}

/**
 * A step did not finish within its timeout (on its last attempt).
 *
 * @since 0.1.0
 * @category errors
 */
export class StepTimeout extends Schema.TaggedError<StepTimeout>()("StepTimeout", {
  step: Schema.String,
  timeout: Schema.Duration
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Step "${this.step}" timed out after ${Duration.format(this.timeout)}`
  }
}

/**
 * A whole run did not finish within its template's timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkflowTimeout extends Schema.TaggedError<WorkflowTimeout>()("WorkflowTimeout", {
  /** The template's name. */
  template: Schema.String,
  timeout: Schema.Duration
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Workflow "${this.template}" timed out after ${Duration.format(this.timeout)}`
  }
}

/**
 * A template failed `validate()`: something the types cannot catch.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidTemplate extends Schema.TaggedError<InvalidTemplate>()("InvalidTemplate", {
  template: Schema.String,
  reason: Schema.Literal("empty", "duplicate-step", "unknown-local-key", "invalid-name", "undeclared-input"),
  detail: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Template "${this.template}" is invalid (${this.reason}): ${this.detail}`
  }
}

/**
 * The snapshot store could not do what was asked: the database file is
 * locked, read-only, corrupt, or a stored value could not be read back.
 * One whose `reason` is `"duplicate"` (a run id that exists already) is the
 * caller's: {@link kindOf} says `"input"` for it.
 *
 * @since 0.1.0
 * @category errors
 */
export class PersistenceError extends Schema.TaggedError<PersistenceError>()("PersistenceError", {
  /** What the store was doing, e.g. `"appendStep"`. */
  operation: Schema.String,
  /**
   * `"locked"`: another connection holds the database (busy); `"unavailable"`:
   * I/O error, disk full, connection lost, file removed or replaced;
   * `"read-only"`: the file or its directory cannot be written; `"corrupt"`;
   * `"decode"`: a stored value does not read back; `"duplicate"`: a run with
   * this id exists already; `"unknown"`.
   */
  reason: Schema.Literal("locked", "read-only", "corrupt", "unavailable", "decode", "duplicate", "unknown"),
  /** The database file (or server), when there is one. */
  path: Schema.optional(Schema.String),
  detail: Schema.String,
  cause: Schema.optional(Schema.Defect)
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "internal"
  /**
   * Whether trying again later may succeed (`"locked"`, `"unavailable"`):
   * such an error never fails a run; the run is left resumable.
   */
  get transient(): boolean {
    return this.reason === "locked" || this.reason === "unavailable"
  }
  override get message(): string {
    const where = this.path === undefined ? "" : ` (${this.path})`
    return `Persistence failed during ${this.operation}${where}: ${this.reason}: ${this.detail}`
  }
}

/**
 * An engine tried to write for a run it no longer holds: another engine
 * claimed it since (this engine's lease ran out, say while its process was
 * paused). Nothing was written; the run goes on in the engine that holds it.
 *
 * @since 0.2.0
 * @category errors
 */
export class LeaseLost extends Schema.TaggedError<LeaseLost>()("LeaseLost", {
  runId: Schema.String,
  /** The engine that lost it. */
  owner: Schema.String,
  /** The generation of the claim it held. */
  generation: Schema.Number
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "internal"
  override get message(): string {
    return `Run "${this.runId}" is no longer held by ${this.owner} (claim generation ${this.generation}): ` +
      "another engine took it over; nothing was written"
  }
}

/**
 * A run id that cannot be stored as given: empty, blank (only white space),
 * longer than 256 characters, holding the character U+0000 (`nul`), or not
 * well-formed UTF-16 (a lone surrogate: `malformed`). Nothing is written.
 *
 * @since 0.2.0
 * @category errors
 */
export class InvalidRunId extends Schema.TaggedError<InvalidRunId>()("InvalidRunId", {
  runId: Schema.String,
  reason: Schema.Literal("empty", "blank", "too-long", "nul", "malformed")
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    const why = this.reason === "empty"
      ? "it is empty"
      : this.reason === "blank"
      ? "it is blank (only white space)"
      : this.reason === "too-long"
      ? `it is ${this.runId.length} characters long (at most 256)`
      : this.reason === "nul"
      ? "it holds the character U+0000 (NUL)"
      : "it is not well-formed UTF-16 (it holds a lone surrogate)"
    return `Invalid run id ${JSON.stringify(this.runId.slice(0, 80))}: ${why}`
  }
}

/**
 * Two different templates were registered under one name and version: runs
 * of the first would finish with the second's steps. Bump the version of the
 * one that changed.
 *
 * @since 0.2.0
 * @category errors
 */
export class TemplateConflict extends Schema.TaggedError<TemplateConflict>()("TemplateConflict", {
  name: Schema.String,
  version: Schema.String,
  /** What differs, e.g. `step 2 is "charge" in one and "charge_card" in the other`. */
  detail: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Two different templates are registered as ${this.name}@${this.version}: ${this.detail}. ` +
      "Give the changed one a new version"
  }
}

/**
 * No run with this id is in the store.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunNotFound extends Schema.TaggedError<RunNotFound>()("RunNotFound", {
  runId: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `No run with id "${this.runId}"`
  }
}

/**
 * Another engine (in this process or another) is already executing this run.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunAlreadyActive extends Schema.TaggedError<RunAlreadyActive>()("RunAlreadyActive", {
  runId: Schema.String,
  owner: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Run "${this.runId}" is already active (owned by ${this.owner})`
  }
}

/**
 * A run was resumed with a template other than the one it was started with:
 * another name or version, or the same name and version with another
 * structure (steps, keys, Schemas, policies: then each side carries the
 * digest of its structure, `fingerprint`).
 *
 * @since 0.1.0
 * @category errors
 */
export class TemplateMismatch extends Schema.TaggedError<TemplateMismatch>()("TemplateMismatch", {
  runId: Schema.String,
  stored: FingerprintedRef,
  given: FingerprintedRef
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    const side = (t: { readonly name: string; readonly version: string; readonly fingerprint?: string | undefined }) =>
      `${t.name}@${t.version}${t.fingerprint === undefined ? "" : ` (structure ${t.fingerprint})`}`
    return `Run "${this.runId}" was started with template ${side(this.stored)} ` +
      `and cannot be resumed with ${side(this.given)}`
  }
}

/**
 * A run cannot be resumed because it has already ended.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunNotResumable extends Schema.TaggedError<RunNotResumable>()("RunNotResumable", {
  runId: Schema.String,
  status: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Run "${this.runId}" is ${this.status} and cannot be resumed`
  }
}

/**
 * A run's result was asked for (`engine.result`) but the run has not
 * completed: it is still running or suspended, or it failed or was cancelled
 * (then `error` summarises why).
 *
 * @since 0.1.0
 * @category errors
 */
export class RunNotCompleted extends Schema.TaggedError<RunNotCompleted>()("RunNotCompleted", {
  runId: Schema.String,
  status: Schema.String,
  error: ErrorRef
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    const why = this.error === null ? "" : `: ${this.error.tag}: ${this.error.message}`
    return `Run "${this.runId}" is ${this.status}, not completed${why}`
  }
}

/**
 * A `Flow.loop` whose predicate still held after its maximum number of
 * iterations. Only runs with loops can fail with it, so it is in the error
 * type of the loop node, not in {@link RunError}.
 *
 * @since 0.1.0
 * @category errors
 */
export class LoopLimitExceeded extends Schema.TaggedError<LoopLimitExceeded>()("LoopLimitExceeded", {
  /** The loop's path in the run, e.g. `poll_device/wait_until_ready`. */
  loop: Schema.String,
  maxIterations: Schema.Number
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Loop "${this.loop}" still had to go on after its maximum of ${this.maxIterations} iteration(s)`
  }
}

/**
 * A run was cancelled (by `Engine.cancel`, possibly from another process)
 * while this engine was executing it: the engine stopped it at its next
 * checkpoint or lease heartbeat.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunCancelled extends Schema.TaggedError<RunCancelled>()("RunCancelled", {
  runId: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Run "${this.runId}" was cancelled`
  }
}

/**
 * A `waitForSignal` node with a timeout (and no default value) received no
 * signal in time.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalTimeout extends Schema.TaggedError<SignalTimeout>()("SignalTimeout", {
  runId: Schema.String,
  step: Schema.String,
  signal: Schema.String,
  timeout: Schema.Duration
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    return `Run "${this.runId}" waited ${Duration.format(this.timeout)} for signal "${this.signal}" at step ` +
      `"${this.step}" and received none`
  }
}

/**
 * A signal was refused: the run has ended, or its template waits for no
 * signal of that name, or one of that name is already pending.
 *
 * @since 0.1.0
 * @category errors
 */
export class SignalRejected extends Schema.TaggedError<SignalRejected>()("SignalRejected", {
  runId: Schema.String,
  signal: Schema.String,
  reason: Schema.Literal("run-ended", "not-awaited", "already-pending"),
  detail: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Signal "${this.signal}" for run "${this.runId}" was rejected (${this.reason}): ${this.detail}`
  }
}

/**
 * A signal's payload does not decode with the Schema its `waitForSignal`
 * declares. Nothing is recorded and the run stays as it was.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidSignalPayload extends Schema.TaggedError<InvalidSignalPayload>()("InvalidSignalPayload", {
  runId: Schema.String,
  signal: Schema.String,
  issues: Schema.Array(Issue)
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  /** The key paths that were missing or invalid. */
  get keys(): ReadonlyArray<string> {
    return this.issues.map((issue) => formatPath(issue.path))
  }
  override get message(): string {
    return `Invalid payload for signal "${this.signal}" of run "${this.runId}": ${formatIssues(this.issues)}`
  }
}

/**
 * The engine was asked to act on a run whose template it does not know:
 * register it first (`engine.register`, or start/resume a run of it).
 *
 * @since 0.1.0
 * @category errors
 */
export class TemplateNotRegistered extends Schema.TaggedError<TemplateNotRegistered>()("TemplateNotRegistered", {
  runId: Schema.String,
  template: Schema.String,
  version: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Run "${this.runId}" uses template ${this.template}@${this.version}, which this engine does not know: ` +
      "register it with engine.register"
  }
}

/**
 * A sub-flow's child run failed (or was cancelled); the child's error is
 * summarised, since the child may have ended in another process.
 *
 * @since 0.1.0
 * @category errors
 */
export class SubflowFailed extends Schema.TaggedError<SubflowFailed>()("SubflowFailed", {
  runId: Schema.String,
  step: Schema.String,
  childRunId: Schema.String,
  childStatus: Schema.String,
  childError: ErrorRef
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "failure"
  override get message(): string {
    const why = this.childError === null
      ? this.childStatus
      : `${this.childStatus}: ${this.childError.tag}: ${this.childError.message}`
    return `Sub-flow "${this.step}" of run "${this.runId}" (child run "${this.childRunId}") ${why}`
  }
}

/**
 * Every error weft raises while running a workflow (besides the steps' own).
 *
 * @since 0.1.0
 * @category models
 */
export type RunError =
  | InvalidInput
  | InvalidStepOutput
  | StateEncodeError
  | StateExpired
  | StateKeyMissing
  | StepTimeout
  | WorkflowTimeout
  | InvalidTemplate
  | PersistenceError
  | RunCancelled
  | InvalidRunId
  | TemplateConflict

/**
 * Every error of this module, as one Schema: the store records a run's error
 * through it and revives it in any process; the HTTP API can send them.
 *
 * @since 0.3.0
 * @category models
 */
export const WeftError = Schema.Union(
  InvalidInput,
  InvalidStepOutput,
  StateEncodeError,
  StateExpired,
  StateKeyMissing,
  StepTimeout,
  WorkflowTimeout,
  InvalidTemplate,
  PersistenceError,
  LeaseLost,
  InvalidRunId,
  TemplateConflict,
  RunNotFound,
  RunAlreadyActive,
  TemplateMismatch,
  RunNotResumable,
  RunNotCompleted,
  LoopLimitExceeded,
  RunCancelled,
  SignalTimeout,
  SignalRejected,
  InvalidSignalPayload,
  TemplateNotRegistered,
  SubflowFailed,
  CommandFailed,
  HttpFailed,
  FileFailed,
  ValueInvalid,
  RunNotPausable,
  RunNotPaused,
  RunPaused,
  RecoveryAttemptsExceeded,
  InvalidSchedule,
  ScheduleNotFound,
  ScheduleExists,
  DeliveryRejected,
  StepNotFound,
  InvalidPatch,
  MigrationRefused
)

/**
 * Any error of this module.
 *
 * @since 0.3.0
 * @category models
 */
export type WeftError = Schema.Schema.Type<typeof WeftError>

/**
 * Whether a value is one of this module's errors.
 *
 * @since 0.3.0
 * @category guards
 */
export const isWeftError = (u: unknown): u is WeftError => Predicate.hasProperty(u, TypeId)

/**
 * Whose fault an error is (see {@link Kind}), or `undefined` for an error
 * that is not weft's.
 *
 * @since 0.3.0
 * @category accessors
 */
export const kindOf = (u: unknown): Kind | undefined => {
  if (!isWeftError(u)) return undefined
  // a run id that exists already is the caller's mistake, not the store's
  if (u._tag === "PersistenceError" && u.reason === "duplicate") return "input"
  return (u.constructor as unknown as { readonly kind: Kind }).kind
}
