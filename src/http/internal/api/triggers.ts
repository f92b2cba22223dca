/**
 * The JSON shapes of runs that start themselves in the HTTP API: what
 * started a run, stored schedules (and what creating one takes), declared
 * triggers. Re-exported by `Api.ts`.
 *
 * @internal
 */
import { Schema } from "effect"

/**
 * What started a run by itself: a schedule's tick, a webhook delivery, the end of another run.
 *
 * @since 0.3.0
 * @category models
 */
export const TriggeredBy = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("Schedule"), schedule: Schema.String, tick: Schema.Number }),
  Schema.Struct({ _tag: Schema.Literal("Webhook"), hook: Schema.String, delivery: Schema.String }),
  Schema.Struct({
    _tag: Schema.Literal("Run"),
    trigger: Schema.String,
    runId: Schema.String,
    status: Schema.Literal("completed", "failed", "cancelled")
  })
).annotations({ identifier: "TriggeredBy" })

/**
 * A stored schedule, with its next ticks.
 *
 * @since 0.3.0
 * @category models
 */
export const Schedule = Schema.Struct({
  name: Schema.String,
  templateName: Schema.String,
  templateVersion: Schema.String,
  cron: Schema.String,
  timeZone: Schema.NullOr(Schema.String),
  /** Each tick's input (JSON); `null` when the code that declared it computes it. */
  input: Schema.Unknown,
  overlap: Schema.Literal("skip", "allow", "bufferOne"),
  catchUp: Schema.Literal("none", "last", "all"),
  catchUpMax: Schema.Number,
  queue: Schema.String,
  paused: Schema.Boolean,
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
  lastTick: Schema.NullOr(Schema.Number),
  lastRunId: Schema.NullOr(Schema.String),
  bufferedTick: Schema.NullOr(Schema.Number),
  /** The next ticks (epoch ms); none while paused. */
  nextTicks: Schema.Array(Schema.Number)
}).annotations({ identifier: "Schedule" })

/**
 * What creating a schedule takes.
 *
 * @since 0.3.0
 * @category models
 */
export const CreateSchedule = Schema.Struct({
  name: Schema.String,
  template: Schema.String,
  version: Schema.optional(Schema.String),
  cron: Schema.String,
  timeZone: Schema.optional(Schema.String),
  input: Schema.Unknown,
  overlap: Schema.optional(Schema.Literal("skip", "allow", "bufferOne")),
  catchUp: Schema.optional(Schema.Literal("none", "last", "all")),
  catchUpMax: Schema.optional(Schema.Int.pipe(Schema.between(1, 10_000))),
  queue: Schema.optional(Schema.String)
}).annotations({ identifier: "CreateSchedule" })

/**
 * A trigger declared with the engine.
 *
 * @since 0.3.0
 * @category models
 */
export const TriggerInfo = Schema.Struct({
  name: Schema.String,
  kind: Schema.Literal("cron", "webhook", "on-end"),
  /** The template it starts (`name@version`). */
  template: Schema.String,
  from: Schema.optional(Schema.String),
  on: Schema.optional(Schema.Array(Schema.String)),
  cron: Schema.optional(Schema.String),
  timeZone: Schema.optional(Schema.String),
  signed: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "TriggerInfo" })
