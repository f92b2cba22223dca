/**
 * Every error weft itself raises. Each is a tagged error, so callers can
 * `Effect.catchTag("InvalidInput", ...)`; each has a `message` that names what
 * was wrong (the key, the step, the run).
 *
 * The errors a step declares in its own `run` are passed through unchanged:
 * a workflow's error channel is the union of its steps' errors and these.
 *
 * @since 0.1.0
 */
import { Data, Duration } from "effect"

/**
 * One problem found while decoding or checking a value against its Schema.
 *
 * @since 0.1.0
 * @category models
 */
export interface Issue {
  /** The key path of the offending value, e.g. `["processParams", "temperature"]`. */
  readonly path: ReadonlyArray<PropertyKey>
  /** What was wrong with it. */
  readonly message: string
}

const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.length === 0 ? "(root)" : path.map(String).join(".")

const formatIssues = (issues: ReadonlyArray<Issue>): string =>
  issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join("; ")

/**
 * The input of a run did not match the schemas of what its template requires.
 * Raised before any step runs; nothing is written for the rejected run.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidInput extends Data.TaggedError("InvalidInput")<{
  readonly workflow: string
  readonly issues: ReadonlyArray<Issue>
}> {
  /** The key paths that were missing or invalid, e.g. `["equipmentId", "processParams.temperature"]`. */
  get keys(): ReadonlyArray<string> {
    return this.issues.map((issue) => formatPath(issue.path))
  }
  override get message(): string {
    return `Invalid input for workflow "${this.workflow}": ${formatIssues(this.issues)}`
  }
}

/**
 * A step returned a value that does not match its `provides` schemas.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidStepOutput extends Data.TaggedError("InvalidStepOutput")<{
  readonly step: string
  readonly issues: ReadonlyArray<Issue>
}> {
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
export class StateEncodeError extends Data.TaggedError("StateEncodeError")<{
  readonly step: string
  readonly key: string
  readonly detail: string
}> {
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
export class StateExpired extends Data.TaggedError("StateExpired")<{
  readonly step: string
  readonly key: string
  /** When the value expired, in epoch milliseconds. */
  readonly expiredAt: number
}> {
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
export class StateKeyMissing extends Data.TaggedError("StateKeyMissing")<{
  readonly step: string
  readonly key: string
}> {
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
export class StepTimeout extends Data.TaggedError("StepTimeout")<{
  readonly step: string
  readonly timeout: Duration.Duration
}> {
  override get message(): string {
    return `Step "${this.step}" timed out after ${Duration.format(this.timeout)}`
  }
}

/**
 * A whole run did not finish within the workflow timeout.
 *
 * @since 0.1.0
 * @category errors
 */
export class WorkflowTimeout extends Data.TaggedError("WorkflowTimeout")<{
  readonly workflow: string
  readonly timeout: Duration.Duration
}> {
  override get message(): string {
    return `Workflow "${this.workflow}" timed out after ${Duration.format(this.timeout)}`
  }
}

/**
 * A template failed `validate()`: something the types cannot catch.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidTemplate extends Data.TaggedError("InvalidTemplate")<{
  readonly template: string
  readonly reason: "empty" | "duplicate-step" | "unknown-local-key" | "invalid-name" | "undeclared-input"
  readonly detail: string
}> {
  override get message(): string {
    return `Template "${this.template}" is invalid (${this.reason}): ${this.detail}`
  }
}

export {
  /**
   * A run id that cannot be stored as given: empty, longer than 256 characters, or not well-formed UTF-16.
   *
   * @since 0.2.0
   * @category errors
   */
  InvalidRunId,
  /**
   * An engine tried to write for a run it no longer holds: another engine claimed it since.
   *
   * @since 0.2.0
   * @category errors
   */
  LeaseLost,
  /**
   * The store could not do what was asked; its `reason` says whether trying again may help.
   *
   * @since 0.1.0
   * @category errors
   */
  PersistenceError,
  /**
   * Two different templates were registered under one name and version.
   *
   * @since 0.2.0
   * @category errors
   */
  TemplateConflict
} from "./internal/errors/store.js"
import type { InvalidRunId, PersistenceError, TemplateConflict } from "./internal/errors/store.js"

/**
 * No run with this id is in the store.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunNotFound extends Data.TaggedError("RunNotFound")<{
  readonly runId: string
}> {
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
export class RunAlreadyActive extends Data.TaggedError("RunAlreadyActive")<{
  readonly runId: string
  readonly owner: string
}> {
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
export class TemplateMismatch extends Data.TaggedError("TemplateMismatch")<{
  readonly runId: string
  readonly stored: { readonly name: string; readonly version: string; readonly fingerprint?: string | undefined }
  readonly given: { readonly name: string; readonly version: string; readonly fingerprint?: string | undefined }
}> {
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
export class RunNotResumable extends Data.TaggedError("RunNotResumable")<{
  readonly runId: string
  readonly status: string
}> {
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
export class RunNotCompleted extends Data.TaggedError("RunNotCompleted")<{
  readonly runId: string
  readonly status: string
  readonly error: { readonly tag: string; readonly message: string } | null
}> {
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
export class LoopLimitExceeded extends Data.TaggedError("LoopLimitExceeded")<{
  /** The loop's path in the run, e.g. `poll_device/wait_until_ready`. */
  readonly loop: string
  readonly maxIterations: number
}> {
  override get message(): string {
    return `Loop "${this.loop}" still had to go on after its maximum of ${this.maxIterations} iteration(s)`
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
 * A run was cancelled (by `Engine.cancel`, possibly from another process)
 * while this engine was executing it: the engine stopped it at its next
 * checkpoint or lease heartbeat.
 *
 * @since 0.1.0
 * @category errors
 */
export class RunCancelled extends Data.TaggedError("RunCancelled")<{
  readonly runId: string
}> {
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
export class SignalTimeout extends Data.TaggedError("SignalTimeout")<{
  readonly runId: string
  readonly step: string
  readonly signal: string
  readonly timeout: Duration.Duration
}> {
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
export class SignalRejected extends Data.TaggedError("SignalRejected")<{
  readonly runId: string
  readonly signal: string
  readonly reason: "run-ended" | "not-awaited" | "already-pending"
  readonly detail: string
}> {
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
export class InvalidSignalPayload extends Data.TaggedError("InvalidSignalPayload")<{
  readonly runId: string
  readonly signal: string
  readonly issues: ReadonlyArray<Issue>
}> {
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
export class TemplateNotRegistered extends Data.TaggedError("TemplateNotRegistered")<{
  readonly runId: string
  readonly template: string
  readonly version: string
}> {
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
export class SubflowFailed extends Data.TaggedError("SubflowFailed")<{
  readonly runId: string
  readonly step: string
  readonly childRunId: string
  readonly childStatus: string
  readonly childError: { readonly tag: string; readonly message: string } | null
}> {
  override get message(): string {
    const why = this.childError === null
      ? this.childStatus
      : `${this.childStatus}: ${this.childError.tag}: ${this.childError.message}`
    return `Sub-flow "${this.step}" of run "${this.runId}" (child run "${this.childRunId}") ${why}`
  }
}
