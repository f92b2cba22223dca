/**
 * Events an engine publishes while it runs workflows, for progress displays
 * and logs: runs started, completed, failed; steps started, retried,
 * completed (or skipped, or replaced by their fallback) and failed.
 *
 * @since 0.1.0
 */
import type { ErrorSummary, StepStatus } from "./SnapshotStore.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Event =
  | RunStarted
  | RunResumed
  | RunCompleted
  | RunFailed
  | StepStarted
  | StepRetried
  | StepCompleted
  | StepFailed
  | RunSuspended
  | RunCancelled
  | SignalReceived
  | RunPaused
  | RunUnpaused

/**
 * @since 0.1.0
 * @category models
 */
export interface RunStarted {
  readonly _tag: "RunStarted"
  readonly runId: string
  readonly template: string
  readonly version: string
  readonly at: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunResumed {
  readonly _tag: "RunResumed"
  readonly runId: string
  readonly template: string
  readonly version: string
  /** How many steps had completed before the resume. */
  readonly completedSteps: number
  readonly at: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunCompleted {
  readonly _tag: "RunCompleted"
  readonly runId: string
  readonly durationMs: number
  readonly at: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunFailed {
  readonly _tag: "RunFailed"
  readonly runId: string
  readonly error: ErrorSummary
  readonly at: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StepStarted {
  readonly _tag: "StepStarted"
  readonly runId: string
  readonly step: string
  readonly at: number
}

/**
 * A step failed an attempt and is about to try again.
 *
 * @since 0.1.0
 * @category models
 */
export interface StepRetried {
  readonly _tag: "StepRetried"
  readonly runId: string
  readonly step: string
  /** The attempt about to start (2 for the first retry). */
  readonly attempt: number
  readonly error: ErrorSummary
  readonly at: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StepCompleted {
  readonly _tag: "StepCompleted"
  readonly runId: string
  readonly step: string
  readonly status: Exclude<StepStatus, "failed">
  readonly attempts: number
  readonly durationMs: number
  readonly at: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StepFailed {
  readonly _tag: "StepFailed"
  readonly runId: string
  readonly step: string
  readonly attempts: number
  readonly error: ErrorSummary
  readonly at: number
}

/**
 * A run stopped to wait for a signal (it may wait for a deadline too): it is
 * recorded as `suspended` and no process executes it until the signal (or
 * its deadline) comes.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunSuspended {
  readonly _tag: "RunSuspended"
  readonly runId: string
  /** The step that waits. */
  readonly step: string
  /** The signal it waits for. */
  readonly signal: string
  /** When the wait times out (epoch ms), `null` for never. */
  readonly deadline: number | null
  readonly at: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RunCancelled {
  readonly _tag: "RunCancelled"
  readonly runId: string
  readonly at: number
}

/**
 * A run was paused: it is recorded `paused` (an executing run, once its
 * step in flight is recorded) and no process executes it until it is
 * unpaused.
 *
 * @since 0.4.0
 * @category models
 */
export interface RunPaused {
  readonly _tag: "RunPaused"
  readonly runId: string
  readonly at: number
}

/**
 * A paused run was unpaused: it is back to what it was (queued, suspended,
 * or claimable at once).
 *
 * @since 0.4.0
 * @category models
 */
export interface RunUnpaused {
  readonly _tag: "RunUnpaused"
  readonly runId: string
  readonly at: number
}

/**
 * A signal was decoded and recorded for a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface SignalReceived {
  readonly _tag: "SignalReceived"
  readonly runId: string
  readonly signal: string
  readonly at: number
}

/**
 * How a template is named in messages: `name@version`, or, for a composite
 * (whose version already names its parts: `a@1+b@1`), its version alone.
 */
const labelOf = (name: string, version: string): string => version.includes("@") ? version : `${name}@${version}`

/**
 * A one-line, human-readable rendering of an event.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (event: Event): string => {
  switch (event._tag) {
    case "RunStarted":
      return `run ${event.runId} started (${labelOf(event.template, event.version)})`
    case "RunResumed":
      return `run ${event.runId} resumed after ${event.completedSteps} completed step(s)`
    case "RunCompleted":
      return `run ${event.runId} completed in ${event.durationMs} ms`
    case "RunFailed":
      return `run ${event.runId} failed: ${event.error.tag}: ${event.error.message}`
    case "StepStarted":
      return `  ▶ ${event.step}`
    case "StepRetried":
      return `  ↻ ${event.step} attempt ${event.attempt} after ${event.error.tag}: ${event.error.message}`
    case "StepCompleted":
      return `  ✔ ${event.step} ${event.status} (${event.attempts} attempt(s), ${event.durationMs} ms)`
    case "StepFailed":
      return `  ✘ ${event.step} failed after ${event.attempts} attempt(s): ${event.error.tag}: ${event.error.message}`
    case "RunSuspended":
      return `run ${event.runId} suspended at ${event.step}, waiting for signal "${event.signal}"` +
        (event.deadline === null ? "" : ` until ${new Date(event.deadline).toISOString()}`)
    case "RunCancelled":
      return `run ${event.runId} cancelled`
    case "SignalReceived":
      return `run ${event.runId} received signal "${event.signal}"`
    case "RunPaused":
      return `run ${event.runId} paused`
    case "RunUnpaused":
      return `run ${event.runId} unpaused`
  }
}
