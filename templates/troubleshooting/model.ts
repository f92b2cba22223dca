/**
 * The model of the troubleshooting template: the Schemas of the state it
 * reads and writes, its typed errors, and the services it needs (their
 * in-memory fakes are in `memory.ts`).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import { Context, Data, Schema } from "effect"

// ---------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------

/** Relative changes to process setpoints (°C, bar, s), e.g. `{ temperature: -10 }`. */
export const SetpointChanges = Schema.Struct({
  temperature: Schema.optional(Schema.Number),
  pressure: Schema.optional(Schema.Number),
  duration: Schema.optional(Schema.Number)
})
export type SetpointChanges = typeof SetpointChanges.Type

/** How to remove a cause: what to do, and which setpoints to change. */
export const Fix = Schema.Struct({
  description: Schema.String,
  setpointChanges: SetpointChanges
})
export type Fix = typeof Fix.Type

/**
 * A cause the knowledge base knows: the symptom keywords it explains, how
 * often it is the culprit when they show (`prior`, 0 to 1), the diagnostic
 * test that confirms it, and its fix.
 */
export const KnownCause = Schema.Struct({
  causeId: Schema.String,
  cause: Schema.String,
  keywords: Schema.Array(Schema.String),
  prior: Schema.Number.pipe(Schema.between(0, 1)),
  diagnosticTest: Schema.String,
  fix: Fix
})
export type KnownCause = typeof KnownCause.Type

/** A candidate cause with its likelihood given the symptoms. */
export const Hypothesis = Schema.Struct({
  causeId: Schema.String,
  cause: Schema.String,
  likelihood: Schema.Number,
  diagnosticTest: Schema.String,
  fix: Fix
})
export type Hypothesis = typeof Hypothesis.Type

/** The outcome of one diagnostic test. */
export const TestResult = Schema.Struct({
  causeId: Schema.String,
  confirmed: Schema.Boolean,
  evidence: Schema.String
})
export type TestResult = typeof TestResult.Type

/** The hypothesis a diagnostic test confirmed, with its evidence. */
export const RootCause = Schema.Struct({
  ...Hypothesis.fields,
  evidence: Schema.String
})
export type RootCause = typeof RootCause.Type

/** What to do about the root cause. */
export const Solution = Schema.Struct({
  equipmentId: Schema.String,
  rootCause: Schema.String,
  actions: Schema.Array(Schema.String),
  setpointChanges: SetpointChanges
})
export type Solution = typeof Solution.Type

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/**
 * A symptom points to a safety hazard: stop and call people, do not
 * troubleshoot automatically.
 */
export class SafetyHazard extends Data.TaggedError("SafetyHazard")<{
  readonly equipmentId: string
  readonly symptom: string
}> {
  override get message() {
    return `Safety hazard on "${this.equipmentId}" ("${this.symptom}"): stop the equipment and call the safety officer`
  }
}

/** The symptoms say nothing a knowledge base could search for. */
export class NoSymptoms extends Data.TaggedError("NoSymptoms")<{
  readonly equipmentId: string
}> {
  override get message() {
    return `No usable symptoms were given for "${this.equipmentId}"`
  }
}

/** No known cause matches the symptoms. */
export class NoHypotheses extends Data.TaggedError("NoHypotheses")<{
  readonly keywords: ReadonlyArray<string>
}> {
  override get message() {
    return `No known cause matches the symptoms (${this.keywords.join(", ")})`
  }
}

/** Every hypothesis was tested and none was confirmed. */
export class RootCauseNotFound extends Data.TaggedError("RootCauseNotFound")<{
  readonly equipmentId: string
  readonly tested: ReadonlyArray<TestResult>
}> {
  override get message() {
    return `No root cause confirmed on "${this.equipmentId}" after testing ${
      this.tested.map((t) => t.causeId).join(", ")
    }`
  }
}

/** The fix changes a setpoint by more than may be changed without an engineer. */
export class NeedsEngineeringReview extends Data.TaggedError("NeedsEngineeringReview")<{
  readonly causeId: string
  readonly parameter: keyof SetpointChanges
  readonly change: number
  readonly maxAutomaticChange: number
}> {
  override get message() {
    return `The fix for ${this.causeId} changes ${this.parameter} by ${this.change}, ` +
      `more than the ${this.maxAutomaticChange} allowed without an engineering review`
  }
}

/**
 * The knowledge base could not be reached (transient: retried, then the
 * generic checklist stands in).
 */
export class KnowledgeBaseUnavailable extends Data.TaggedError("KnowledgeBaseUnavailable")<{}> {}

/** The diagnostics system could not be reached (transient: retried). */
export class DiagnosticsUnavailable extends Data.TaggedError("DiagnosticsUnavailable")<{}> {}

// ---------------------------------------------------------------------------
// services
// ---------------------------------------------------------------------------

/** The knowledge base of known causes, searched by symptom keywords. */
export class KnowledgeBase extends Context.Tag("weft-templates/KnowledgeBase")<KnowledgeBase, {
  /** The causes that explain at least one of the keywords. */
  readonly search: (
    keywords: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<KnownCause>, KnowledgeBaseUnavailable>
}>() {}

/** The outcome of a diagnostic test on the equipment. */
export interface Finding {
  readonly confirmed: boolean
  readonly evidence: string
}

/** The diagnostics system: runs a diagnostic test on a piece of equipment. */
export class Diagnostics extends Context.Tag("weft-templates/Diagnostics")<Diagnostics, {
  readonly runTest: (equipmentId: string, diagnosticTest: string) => Effect.Effect<Finding, DiagnosticsUnavailable>
}>() {}

// ---------------------------------------------------------------------------
// rules shared by the steps and the in-memory knowledge base
// ---------------------------------------------------------------------------

/**
 * Whether a symptom keyword and a cause keyword name the same thing: one is a
 * prefix of the other ("overheat" and "overheating").
 */
export const keywordsMatch = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a)

/** The cause keywords that some symptom keyword matches. */
export const matchedKeywords = (
  keywords: ReadonlyArray<string>,
  symptomKeywords: ReadonlyArray<string>
): ReadonlyArray<string> => keywords.filter((keyword) => symptomKeywords.some((symptom) => keywordsMatch(symptom, keyword)))
