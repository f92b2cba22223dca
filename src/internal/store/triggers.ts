/**
 * The records of schedules and triggers: what started a run by itself, the
 * runs recorded with another run's end, and stored schedules (re-exported by
 * `SnapshotStore`).
 *
 * @internal
 */
import type { NewRun, StoredState } from "../../SnapshotStore.js"

/**
 * What started a run by itself: a schedule's tick (its time, epoch ms), a
 * webhook delivery (its idempotency key), or the end of another run.
 *
 * @since 0.3.0
 * @category models
 */
export type TriggeredBy =
  | { readonly _tag: "Schedule"; readonly schedule: string; readonly tick: number }
  | { readonly _tag: "Webhook"; readonly hook: string; readonly delivery: string }
  | {
    readonly _tag: "Run"
    readonly trigger: string
    readonly runId: string
    readonly status: "completed" | "failed" | "cancelled"
  }

/**
 * A run recorded together with another run's end, in the same transaction
 * (an event trigger's run): recorded `running` with no owner, so that any
 * engine with its template takes it up at once (as a run handed back). A run
 * id that exists already is left as it is (the follow-up was recorded).
 *
 * @since 0.3.0
 * @category models
 */
export interface FollowUp {
  readonly run: NewRun
  readonly state: StoredState
}

/**
 * A stored schedule: a template started at each tick of a cron expression.
 *
 * @since 0.3.0
 * @category models
 */
export interface ScheduleRecord {
  /** Unique; the run of a tick is `schedule:<name>:<tick ISO time>`. */
  readonly name: string
  readonly templateName: string
  readonly templateVersion: string
  /** A cron expression (`effect/Cron`: 5 fields, or 6 with seconds first). */
  readonly cron: string
  /** An IANA time zone the expression is read in; `null`: UTC. */
  readonly timeZone: string | null
  /** Each tick's input, encoded (JSON); `null`: computed by the code that declared the schedule. */
  readonly input: unknown
  readonly overlap: "skip" | "allow" | "bufferOne"
  readonly catchUp: "none" | "last" | "all"
  /** With `catchUp: "all"`, at most this many missed ticks are started (the latest). */
  readonly catchUpMax: number
  readonly queue: string
  readonly paused: boolean
  readonly createdAt: number
  readonly updatedAt: number
  /** The latest tick handled (started, skipped or buffered), epoch ms. */
  readonly lastTick: number | null
  /** The run of the latest tick that started one. */
  readonly lastRunId: string | null
  /** A tick held back by `bufferOne` until the previous run ends. */
  readonly bufferedTick: number | null
}

/**
 * A schedule's definition, as saved (the rest of its record is kept).
 *
 * @since 0.3.0
 * @category models
 */
export type ScheduleDefinition = Omit<ScheduleRecord, "paused" | "updatedAt" | "lastTick" | "lastRunId" | "bufferedTick">
