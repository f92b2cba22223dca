/**
 * The life cycle of a run, in one place: `queued` (recorded, waiting for a
 * worker), `running` (executing, or claimable when its lease has passed),
 * `suspended` (waiting for a signal or a deadline, held by nobody), `paused`
 * (held back by a user until unpaused: claimed by no engine, woken by no
 * deadline or signal), and the final `completed`, `failed`, `cancelled`. A final status is never
 * overwritten: a run that has one is never claimed, executed, signalled or
 * changed again (except by collection) — with one explicit exception: a
 * re-run (`engine.rerun`) re-opens a `failed` or `cancelled` run, atomically
 * and under a new claim generation, to continue it from its last checkpoint.
 *
 * @since 0.3.0
 */
import { Schema } from "effect"

/**
 * Every status, as a Schema.
 *
 * @since 0.3.0
 * @category models
 */
export const RunStatus = Schema.Literal(
  "queued",
  "running",
  "suspended",
  "paused",
  "completed",
  "failed",
  "cancelled"
)

/**
 * A run's status.
 *
 * @since 0.3.0
 * @category models
 */
export type RunStatus = Schema.Schema.Type<typeof RunStatus>

/**
 * The statuses of a run that may still change: queued, running, suspended,
 * paused (a paused run is not final: it goes on when unpaused, and may be
 * cancelled).
 *
 * @since 0.3.0
 * @category models
 */
export type Active = "queued" | "running" | "suspended" | "paused"

/**
 * The statuses of a run that has ended: completed, failed, cancelled.
 *
 * @since 0.3.0
 * @category models
 */
export type Final = Exclude<RunStatus, Active>

/**
 * Every status, in life-cycle order.
 *
 * @since 0.3.0
 * @category constants
 */
export const all: ReadonlyArray<RunStatus> = RunStatus.literals

/**
 * The active statuses, in life-cycle order.
 *
 * @since 0.3.0
 * @category constants
 */
export const active: ReadonlyArray<Active> = ["queued", "running", "suspended", "paused"]

/**
 * The final statuses, in life-cycle order.
 *
 * @since 0.3.0
 * @category constants
 */
export const final: ReadonlyArray<Final> = ["completed", "failed", "cancelled"]

/**
 * Whether a value is a status (for values read from outside: rows, arguments).
 *
 * @since 0.3.0
 * @category guards
 */
export const is: (u: unknown) => u is RunStatus = Schema.is(RunStatus)

/**
 * Whether a status is final: the run has ended and will not change again
 * (unless it is explicitly re-run: `engine.rerun`, for `failed` and
 * `cancelled`).
 *
 * @since 0.3.0
 * @category guards
 */
export const isFinal = (status: RunStatus): status is Final =>
  status === "completed" || status === "failed" || status === "cancelled"

/**
 * Whether a status is active: the run may still be claimed, executed or signalled.
 *
 * @since 0.3.0
 * @category guards
 */
export const isActive = (status: RunStatus): status is Active => !isFinal(status)
