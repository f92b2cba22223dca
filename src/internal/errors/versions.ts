/**
 * The errors of a run's history and versions: state at a step, forks,
 * migrations (re-exported by `Errors`).
 *
 * @internal
 */
import { Schema } from "effect"
import { Issue, TypeId } from "./base.js"
import type { Kind } from "./base.js"

/**
 * A run's state was asked for at a step it has no record of
 * (`"unknown-step"`), or at a step whose history was replaced by a later
 * full snapshot (`"history-unavailable"`).
 *
 * @since 0.4.0
 * @category errors
 */
export class StepNotFound extends Schema.TaggedError<StepNotFound>()("StepNotFound", {
  runId: Schema.String,
  step: Schema.String,
  reason: Schema.Literal("unknown-step", "history-unavailable")
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return this.reason === "unknown-step"
      ? `Run "${this.runId}" has no step "${this.step}"`
      : `The state of run "${this.runId}" after step "${this.step}" is no longer kept (a later full snapshot replaced it)`
  }
}

/**
 * A fork's patch names a key the template does not know, or gives a value
 * its Schema refuses; `issues` name each.
 *
 * @since 0.4.0
 * @category errors
 */
export class InvalidPatch extends Schema.TaggedError<InvalidPatch>()("InvalidPatch", {
  runId: Schema.String,
  issues: Schema.Array(Issue)
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Invalid patch for a fork of run "${this.runId}": ${this.issues.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ")}`
  }
}

/**
 * A run could not be moved to another template version: the position it
 * stands at is not mapped by the migration (`"unmapped"`), another engine
 * executes it (`"held"`), it waits inside a sub-flow and the migration
 * does not keep that sub-flow's key and template version (`"subflow"`), it is
 * not a run of the migration's old template (`"mismatch"`), or it has
 * ended (`"finished"`). Nothing was written.
 *
 * @since 0.4.0
 * @category errors
 */
export class MigrationRefused extends Schema.TaggedError<MigrationRefused>()("MigrationRefused", {
  runId: Schema.String,
  reason: Schema.Literal("unmapped", "held", "subflow", "mismatch", "finished"),
  detail: Schema.String
}) {
  readonly [TypeId]: TypeId = TypeId
  static readonly kind: Kind = "input"
  override get message(): string {
    return `Run "${this.runId}" was not migrated (${this.reason}): ${this.detail}`
  }
}
