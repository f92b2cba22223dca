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
 * This file reads top-down: the template, then its steps in flow order, then
 * the rules they apply. The Schemas, errors and service Tags are in
 * `model.ts`, the in-memory services in `memory.ts`.
 *
 * @since 0.1.0
 */
import { Effect, Schedule, Schema } from "effect"
import { Step, Template } from "weftjs"
import {
  Diagnostics,
  Hypothesis,
  KnowledgeBase,
  KnownCause,
  matchedKeywords,
  NeedsEngineeringReview,
  NoHypotheses,
  NoSymptoms,
  RootCause,
  RootCauseNotFound,
  SafetyHazard,
  Solution,
  TestResult
} from "./model.js"

export * from "./model.js"
export * from "./memory.js"
// the service Tags with their in-memory layers (`KnowledgeBase.layerMemory`, ...)
export { Diagnostics, KnowledgeBase } from "./memory.js"

// ---------------------------------------------------------------------------
// the template
// ---------------------------------------------------------------------------

/**
 * The troubleshooting template: five steps, defined below in this order
 * (the knowledge base query falls back to a generic checklist).
 * ({@link template} is built from it at the end of the steps, once they exist.)
 */
function build() {
  return Template.make({
    name: "troubleshooting",
    version: "1.0",
    steps: [analyzeSymptoms, queryKnowledgeBase, generateHypotheses, testHypotheses, implementSolution]
  })
}

// ---------------------------------------------------------------------------
// steps, in flow order
// ---------------------------------------------------------------------------

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for the errors each step
 * lists with `Step.retryOn` (its services' `*Unavailable`, `StepTimeout`):
 * a domain error such as `RootCauseNotFound` fails the step at once.
 */
const backoff = Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))

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
  retry: backoff,
  timeout: "10 seconds",
  run: ({ symptomKeywords }) =>
    Effect.gen(function*() {
      const knowledgeBase = yield* KnowledgeBase
      return { knownCauses: yield* knowledgeBase.search(symptomKeywords) }
    })
}).pipe(Step.retryOn("KnowledgeBaseUnavailable", "StepTimeout"))

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
  retry: backoff,
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
}).pipe(Step.retryOn("DiagnosticsUnavailable", "StepTimeout"))

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

/**
 * The troubleshooting template.
 *
 * requires `symptoms: ReadonlyArray<string>`, `equipmentId: string`;
 * provides `symptomKeywords`, `knownCauses`, `hypotheses`, `rootCause`,
 * `testResults`, `solution`; needs {@link KnowledgeBase}, {@link Diagnostics}.
 */
export const template = build()

// ---------------------------------------------------------------------------
// rules
// ---------------------------------------------------------------------------

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
