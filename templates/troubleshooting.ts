/**
 * Troubleshooting: from the symptoms a piece of equipment shows to a
 * confirmed root cause and the fix to apply.
 *
 * ```text
 * analyze_symptoms → query_knowledge_base → generate_hypotheses → test_hypotheses → implement_solution
 *                    (falls back to generic_checklist)
 * ```
 *
 * - **requires** `symptoms`, `equipmentId`
 * - **provides** `symptomKeywords`, `knownCauses`, `hypotheses`, `rootCause`, `testResults`, `solution`
 * - **services** {@link KnowledgeBase}, {@link Diagnostics}
 *   (each with a deterministic `layerMemory` for tests and demos)
 * - **errors** {@link SafetyHazard}, {@link NoSymptoms}, {@link NoHypotheses},
 *   {@link RootCauseNotFound}, {@link NeedsEngineeringReview}, and
 *   {@link DiagnosticsUnavailable} once its retries are spent (an unreachable
 *   knowledge base falls back to a generic checklist instead of failing)
 *
 * The `solution` carries setpoint changes in the shape of the process-control
 * template's parameters, so a flow can troubleshoot and then re-run a batch.
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, Layer, Ref, Schedule, Schema } from "effect"
import { Errors, Step, Template } from "weftjs"
import { type Faults, withFaults } from "./faults.js"

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

/**
 * Injected faults of the in-memory services, so tests can exercise retries
 * and timeouts.
 */
export type { Faults } from "./faults.js"

/**
 * Whether a symptom keyword and a cause keyword name the same thing: one is a
 * prefix of the other ("overheat" and "overheating").
 */
export const keywordsMatch = (a: string, b: string): boolean => a.startsWith(b) || b.startsWith(a)

/** The cause keywords that some symptom keyword matches. */
const matchedKeywords = (keywords: ReadonlyArray<string>, symptomKeywords: ReadonlyArray<string>) =>
  keywords.filter((keyword) => symptomKeywords.some((symptom) => keywordsMatch(symptom, keyword)))

/** The knowledge base of known causes, searched by symptom keywords. */
export class KnowledgeBase extends Context.Tag("weft-templates/KnowledgeBase")<KnowledgeBase, {
  /** The causes that explain at least one of the keywords. */
  readonly search: (
    keywords: ReadonlyArray<string>
  ) => Effect.Effect<ReadonlyArray<KnownCause>, KnowledgeBaseUnavailable>
}>() {
  /** A knowledge base over a fixed list of causes. */
  static layerMemory(causes: ReadonlyArray<KnownCause>, faults?: Faults): Layer.Layer<KnowledgeBase> {
    return Layer.effect(
      KnowledgeBase,
      Effect.map(Ref.make(0), (calls) => ({
        search: (keywords) =>
          withFaults(
            calls,
            faults,
            () => new KnowledgeBaseUnavailable(),
            Effect.sync(() => causes.filter((cause) => matchedKeywords(cause.keywords, keywords).length > 0))
          )
      }))
    )
  }
}

/** The outcome of a diagnostic test on the equipment. */
export interface Finding {
  readonly confirmed: boolean
  readonly evidence: string
}

/** The diagnostics system: runs a diagnostic test on a piece of equipment. */
export class Diagnostics extends Context.Tag("weft-templates/Diagnostics")<Diagnostics, {
  readonly runTest: (equipmentId: string, diagnosticTest: string) => Effect.Effect<Finding, DiagnosticsUnavailable>
}>() {
  /**
   * Simulated diagnostics: `findings[equipmentId][diagnosticTest]` is the
   * evidence of the fault that test finds; every other test finds nothing.
   */
  static layerMemory(
    findings: Readonly<Record<string, Readonly<Record<string, string>>>>,
    faults?: Faults
  ): Layer.Layer<Diagnostics> {
    return Layer.effect(
      Diagnostics,
      Effect.map(Ref.make(0), (calls) => ({
        runTest: (equipmentId, diagnosticTest) =>
          withFaults(
            calls,
            faults,
            () => new DiagnosticsUnavailable(),
            Effect.sync((): Finding => {
              const evidence = findings[equipmentId]?.[diagnosticTest]
              return evidence === undefined
                ? { confirmed: false, evidence: `${diagnosticTest}: no fault found` }
                : { confirmed: true, evidence }
            })
          )
      }))
    )
  }
}

// ---------------------------------------------------------------------------
// policy and rules
// ---------------------------------------------------------------------------

/** Whether an error may heal by itself, so another attempt is worth it. */
const isTransient = (error: unknown): boolean =>
  error instanceof KnowledgeBaseUnavailable ||
  error instanceof DiagnosticsUnavailable ||
  error instanceof Errors.StepTimeout

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for transient errors
 * only: a domain error such as `RootCauseNotFound` fails the step at once.
 */
const retryTransient = Schedule.exponential("1 second").pipe(
  Schedule.intersect(Schedule.recurs(3)),
  Schedule.whileInput(isTransient)
)

/** Phrases that stop automated troubleshooting. */
const hazards = ["smoke", "fire", "flame", "spark", "gas leak", "burning smell"]

/** Words that carry no symptom. */
const stopWords = new Set([
  "about", "after", "and", "are", "before", "but", "during", "for", "from", "has", "have", "into", "its", "not",
  "now", "than", "that", "the", "then", "there", "this", "too", "very", "was", "were", "when", "while", "with"
])

/** How many hypotheses are worth a diagnostic test. */
const maxHypotheses = 3

/** The largest setpoint change a fix may make without an engineering review. */
const maxAutomaticChange = { temperature: 25, pressure: 2, duration: 1800 } as const

/** The causes to check when the knowledge base cannot be reached. */
const genericCauses: ReadonlyArray<KnownCause> = [
  {
    causeId: "generic/sensor-drift",
    cause: "a sensor reads wrong",
    keywords: [],
    prior: 0.3,
    diagnosticTest: "sensor_calibration",
    fix: { description: "Recalibrate the sensors", setpointChanges: {} }
  },
  {
    causeId: "generic/loose-wiring",
    cause: "a loose or corroded connection",
    keywords: [],
    prior: 0.2,
    diagnosticTest: "wiring_inspection",
    fix: { description: "Reseat and clean the connectors", setpointChanges: {} }
  }
]

// ---------------------------------------------------------------------------
// steps
// ---------------------------------------------------------------------------

/**
 * Turns free-text symptoms into search keywords (lower case, without numbers
 * and filler words), and stops at once on a safety hazard. Pure: no retry.
 *
 * requires `symptoms`, `equipmentId`; provides `symptomKeywords`; fails with
 * {@link SafetyHazard}, {@link NoSymptoms}.
 */
export const analyzeSymptoms = Step.make({
  name: "analyze_symptoms",
  requires: { symptoms: Schema.Array(Schema.String), equipmentId: Schema.String },
  provides: { symptomKeywords: Schema.Array(Schema.String) },
  retry: Schedule.stop,
  run: ({ equipmentId, symptoms }) =>
    Effect.gen(function*() {
      const hazard = symptoms.find((symptom) => hazards.some((h) => symptom.toLowerCase().includes(h)))
      if (hazard !== undefined) return yield* new SafetyHazard({ equipmentId, symptom: hazard })
      const words = symptoms
        .flatMap((symptom) => symptom.toLowerCase().split(/[^a-z]+/))
        .filter((word) => word.length >= 3 && !stopWords.has(word))
      const symptomKeywords = Array.from(new Set(words))
      if (symptomKeywords.length === 0) return yield* new NoSymptoms({ equipmentId })
      return { symptomKeywords }
    })
})

/**
 * Searches the knowledge base for causes that explain the symptoms (retried,
 * 10 s timeout). Use {@link queryKnowledgeBase}, which falls back to the
 * generic checklist when the knowledge base stays unreachable.
 *
 * requires `symptomKeywords`; provides `knownCauses`; fails with
 * {@link KnowledgeBaseUnavailable}.
 */
export const searchKnowledgeBase = Step.make({
  name: "query_knowledge_base",
  requires: { symptomKeywords: Schema.Array(Schema.String) },
  provides: { knownCauses: Schema.Array(KnownCause) },
  retry: retryTransient,
  timeout: "10 seconds",
  run: ({ symptomKeywords }) =>
    Effect.gen(function*() {
      const knowledgeBase = yield* KnowledgeBase
      return { knownCauses: yield* knowledgeBase.search(symptomKeywords) }
    })
})

/**
 * The causes worth checking on any equipment: the fallback of
 * {@link searchKnowledgeBase}. Never fails.
 *
 * requires nothing; provides `knownCauses`.
 */
export const genericChecklist = Step.make({
  name: "generic_checklist",
  requires: {},
  provides: { knownCauses: Schema.Array(KnownCause) },
  run: () => Effect.succeed({ knownCauses: genericCauses })
})

/**
 * {@link searchKnowledgeBase}, falling back to {@link genericChecklist}.
 *
 * requires `symptomKeywords`; provides `knownCauses`; never fails.
 */
export const queryKnowledgeBase = searchKnowledgeBase.pipe(Step.orElse(genericChecklist))

/**
 * Ranks the known causes by how likely they are given the symptoms: the
 * cause's prior, weighted by the share of its keywords the symptoms show,
 * and keeps the best three. Pure: no retry.
 *
 * requires `symptomKeywords`, `knownCauses`; provides `hypotheses`; fails
 * with {@link NoHypotheses}.
 */
export const generateHypotheses = Step.make({
  name: "generate_hypotheses",
  requires: { symptomKeywords: Schema.Array(Schema.String), knownCauses: Schema.Array(KnownCause) },
  provides: { hypotheses: Schema.Array(Hypothesis) },
  retry: Schedule.stop,
  run: ({ knownCauses, symptomKeywords }) =>
    Effect.gen(function*() {
      if (knownCauses.length === 0) return yield* new NoHypotheses({ keywords: symptomKeywords })
      const ranked = knownCauses.map(({ causeId, cause, diagnosticTest, fix, keywords, prior }): Hypothesis => {
        const coverage = keywords.length === 0 ? 0 : matchedKeywords(keywords, symptomKeywords).length / keywords.length
        const likelihood = Math.round(prior * (0.5 + 0.5 * coverage) * 100) / 100
        return { causeId, cause, likelihood, diagnosticTest, fix }
      })
      // Array.prototype.sort is stable: equally likely causes keep the knowledge base's order
      const hypotheses = ranked.sort((a, b) => b.likelihood - a.likelihood).slice(0, maxHypotheses)
      return { hypotheses }
    })
})

/**
 * Runs each hypothesis's diagnostic test, most likely first, and stops at the
 * first one confirmed (retried, 1 min timeout).
 *
 * requires `equipmentId`, `hypotheses`; provides `rootCause`, `testResults`;
 * fails with {@link RootCauseNotFound}, {@link DiagnosticsUnavailable}.
 */
export const testHypotheses = Step.make({
  name: "test_hypotheses",
  requires: { equipmentId: Schema.String, hypotheses: Schema.Array(Hypothesis) },
  provides: { rootCause: RootCause, testResults: Schema.Array(TestResult) },
  retry: retryTransient,
  timeout: "1 minute",
  run: ({ equipmentId, hypotheses }) =>
    Effect.gen(function*() {
      const diagnostics = yield* Diagnostics
      const testResults: Array<TestResult> = []
      for (const hypothesis of hypotheses) {
        const { confirmed, evidence } = yield* diagnostics.runTest(equipmentId, hypothesis.diagnosticTest)
        testResults.push({ causeId: hypothesis.causeId, confirmed, evidence })
        if (confirmed) return { rootCause: { ...hypothesis, evidence }, testResults }
      }
      return yield* new RootCauseNotFound({ equipmentId, tested: testResults })
    })
})

/**
 * Turns the confirmed root cause into a solution: the actions to take and
 * the setpoint changes to apply. Changes larger than an operator may make
 * alone (25 °C, 2 bar, 30 min) need an engineer. Pure: no retry.
 *
 * requires `equipmentId`, `rootCause`; provides `solution`; fails with
 * {@link NeedsEngineeringReview}.
 */
export const implementSolution = Step.make({
  name: "implement_solution",
  requires: { equipmentId: Schema.String, rootCause: RootCause },
  provides: { solution: Solution },
  retry: Schedule.stop,
  run: ({ equipmentId, rootCause }) =>
    Effect.gen(function*() {
      const { description, setpointChanges } = rootCause.fix
      const actions = [description]
      for (const parameter of ["temperature", "pressure", "duration"] as const) {
        const change = setpointChanges[parameter]
        if (change === undefined) continue
        const limit = maxAutomaticChange[parameter]
        if (Math.abs(change) > limit) {
          return yield* new NeedsEngineeringReview({
            causeId: rootCause.causeId,
            parameter,
            change,
            maxAutomaticChange: limit
          })
        }
        actions.push(`Change the ${parameter} setpoint by ${change > 0 ? "+" : ""}${change}`)
      }
      return {
        solution: { equipmentId, rootCause: `${rootCause.cause} (${rootCause.evidence})`, actions, setpointChanges }
      }
    })
})

// ---------------------------------------------------------------------------
// template
// ---------------------------------------------------------------------------

/**
 * The troubleshooting template.
 *
 * requires `symptoms: ReadonlyArray<string>`, `equipmentId: string`;
 * provides `symptomKeywords`, `knownCauses`, `hypotheses`, `rootCause`,
 * `testResults`, `solution`; needs {@link KnowledgeBase}, {@link Diagnostics}.
 */
export const template = Template.make({
  name: "troubleshooting",
  version: "1.0",
  steps: [analyzeSymptoms, queryKnowledgeBase, generateHypotheses, testHypotheses, implementSolution]
})
