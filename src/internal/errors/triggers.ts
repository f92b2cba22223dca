/**
 * The errors of schedules and webhooks, re-exported by `Errors`.
 *
 * @internal
 */
import { Schema } from "effect"
import { formatIssues, Issue, TypeId } from "./base.js"
import type { Kind } from "./base.js"

/**
 * A schedule that cannot be saved: a name that is not plain, a cron
 * expression `effect/Cron` does not parse, an unknown time zone, a template
 * this engine does not know, an input that does not decode. Nothing is saved.
 *
 * @since 0.3.0
 * @category errors
 */
export class InvalidSchedule extends Schema.TaggedError<InvalidSchedule>()("InvalidSchedule", {
  schedule: Schema.String,
  reason: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Invalid schedule "${this.schedule}": ${this.reason}`
  }
}

/**
 * No schedule of that name is stored.
 *
 * @since 0.3.0
 * @category errors
 */
export class ScheduleNotFound extends Schema.TaggedError<ScheduleNotFound>()("ScheduleNotFound", {
  schedule: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `No schedule named "${this.schedule}"`
  }
}

/**
 * A schedule of that name is stored already (creating one); nothing is saved.
 *
 * @since 0.3.0
 * @category errors
 */
export class ScheduleExists extends Schema.TaggedError<ScheduleExists>()("ScheduleExists", {
  schedule: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `A schedule named "${this.schedule}" exists already: delete it first, or pick another name`
  }
}

/**
 * A webhook delivery that was refused, with nothing written: no webhook of
 * that name is declared (`not-found`), its body does not decode with the
 * webhook's Schema or maps to no valid input (`invalid-body`, with the
 * issues naming each key), or its signature does not check (`bad-signature`).
 *
 * @since 0.3.0
 * @category errors
 */
export class DeliveryRejected extends Schema.TaggedError<DeliveryRejected>()("DeliveryRejected", {
  hook: Schema.String,
  reason: Schema.Literal("not-found", "invalid-body", "bad-signature"),
  detail: Schema.String,
  issues: Schema.optional(Schema.Array(Issue))
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    const issues = this.issues === undefined || this.issues.length === 0 ? "" : `: ${formatIssues(this.issues)}`
    return `Webhook "${this.hook}" delivery rejected (${this.reason}): ${this.detail}${issues}`
  }
}
