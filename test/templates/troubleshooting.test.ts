import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Errors, Testing } from "weftjs"
import { Troubleshooting } from "../../templates/index.js"
import { expectTag, failingAttempts } from "./support.js"

const {
  analyzeSymptoms,
  Diagnostics,
  generateHypotheses,
  implementSolution,
  KnowledgeBase,
  queryKnowledgeBase,
  searchKnowledgeBase,
  testHypotheses
} = Troubleshooting

const relay: Troubleshooting.KnownCause = {
  causeId: "heater-relay-stuck",
  cause: "the heater relay sticks closed",
  keywords: ["overheat", "overshoot", "temperature"],
  prior: 0.6,
  diagnosticTest: "relay_cycle_test",
  fix: { description: "Replace the heater relay", setpointChanges: {} }
}

const thermocouple: Troubleshooting.KnownCause = {
  causeId: "thermocouple-drift",
  cause: "the thermocouple reads low",
  keywords: ["overshoot", "temperature", "drift"],
  prior: 0.5,
  diagnosticTest: "thermocouple_calibration",
  fix: { description: "Recalibrate the thermocouple", setpointChanges: { temperature: -10 } }
}

const reliefValve: Troubleshooting.KnownCause = {
  causeId: "relief-valve-worn",
  cause: "the relief valve is worn",
  keywords: ["pressure", "oscillating", "hiss"],
  prior: 0.4,
  diagnosticTest: "valve_leak_test",
  fix: { description: "Replace the relief valve seat", setpointChanges: { pressure: -0.5 } }
}

const knowledgeBase = KnowledgeBase.layerMemory([relay, thermocouple, reliefValve])

/** On reactor-1 the thermocouple test finds the fault. */
const diagnostics = Diagnostics.layerMemory({
  "reactor-1": { thermocouple_calibration: "reads 12 °C low against the reference probe" }
})

const symptoms = ["Temperature overshoot of 15 °C after ramp-up", "Reactor overheating during the hold"]
const symptomKeywords = ["temperature", "overshoot", "ramp", "reactor", "overheating", "hold"]

/** A hypothesis as generate_hypotheses makes it. */
const hypothesis = (cause: Troubleshooting.KnownCause, likelihood: number): Troubleshooting.Hypothesis => ({
  causeId: cause.causeId,
  cause: cause.cause,
  likelihood,
  diagnosticTest: cause.diagnosticTest,
  fix: cause.fix
})

const hypotheses = [hypothesis(relay, 0.6), hypothesis(thermocouple, 0.42)]

const rootCause: Troubleshooting.RootCause = {
  ...hypothesis(thermocouple, 0.42),
  evidence: "reads 12 °C low against the reference probe"
}

describe("analyze_symptoms", () => {
  it.effect("turns symptoms into search keywords", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(analyzeSymptoms, { symptoms, equipmentId: "reactor-1" })).toEqual({
        symptomKeywords
      })
    }))

  it.effect("stops at once on a safety hazard", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(analyzeSymptoms, {
        symptoms: ["pressure oscillating", "Smoke from the heater cabinet"],
        equipmentId: "reactor-1"
      })
      expect(error).toEqual(
        new Troubleshooting.SafetyHazard({ equipmentId: "reactor-1", symptom: "Smoke from the heater cabinet" })
      )
      expect(attempts).toBe(1)
    }))

  it.effect("symptoms without searchable words are no symptoms", () =>
    Effect.gen(function*() {
      const none = new Troubleshooting.NoSymptoms({ equipmentId: "reactor-1" })
      expect(yield* Effect.flip(Testing.runStep(analyzeSymptoms, { symptoms: [], equipmentId: "reactor-1" })))
        .toEqual(none)
      const noWords = Testing.runStep(analyzeSymptoms, { symptoms: ["15 °C", "it is"], equipmentId: "reactor-1" })
      expect(yield* Effect.flip(noWords)).toEqual(none)
    }))
})

describe("query_knowledge_base", () => {
  it.effect("finds the causes that explain some of the keywords", () =>
    Effect.gen(function*() {
      const { knownCauses } = yield* Testing.runStep(searchKnowledgeBase, { symptomKeywords })
      expect(knownCauses.map((cause) => cause.causeId)).toEqual(["heater-relay-stuck", "thermocouple-drift"])
    }).pipe(Effect.provide(knowledgeBase)))

  it.effect("an unreachable knowledge base is retried", () =>
    Effect.gen(function*() {
      const { knownCauses } = yield* Testing.runStep(searchKnowledgeBase, { symptomKeywords })
      expect(knownCauses).toHaveLength(2)
    }).pipe(Effect.provide(KnowledgeBase.layerMemory([relay, thermocouple], { unavailableFor: 3 }))))

  it.effect("alone, a knowledge base that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(searchKnowledgeBase, { symptomKeywords })
      expect(error).toBeInstanceOf(Troubleshooting.KnowledgeBaseUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(KnowledgeBase.layerMemory([relay], { unavailableFor: 100 }))))

  it.effect("in the template, the generic checklist stands in for an unreachable knowledge base", () =>
    Effect.gen(function*() {
      const { knownCauses } = yield* Testing.runStep(queryKnowledgeBase, { symptomKeywords })
      expect(knownCauses.map((cause) => cause.causeId)).toEqual(["generic/sensor-drift", "generic/loose-wiring"])
    }).pipe(Effect.provide(KnowledgeBase.layerMemory([relay], { unavailableFor: 100 }))))

  it.effect("a knowledge base slower than 10 s times out, and the checklist stands in", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(searchKnowledgeBase, { symptomKeywords })
      expect(error).toBeInstanceOf(Errors.StepTimeout)
      expect(attempts).toBe(4)
      const { knownCauses } = yield* Testing.runStep(queryKnowledgeBase, { symptomKeywords })
      expect(knownCauses).toHaveLength(2)
    }).pipe(Effect.provide(KnowledgeBase.layerMemory([relay], { latency: "1 minute" }))))
})

describe("generate_hypotheses", () => {
  it.effect("ranks causes by prior and by the share of their keywords the symptoms show", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(generateHypotheses, {
        symptomKeywords,
        knownCauses: [thermocouple, reliefValve, relay]
      })
      // relay: 0.6 × (0.5 + 0.5 × 3/3); thermocouple: 0.5 × (0.5 + 0.5 × 2/3); valve: 0.4 × 0.5
      expect(out.hypotheses.map((h) => [h.causeId, h.likelihood])).toEqual([
        ["heater-relay-stuck", 0.6],
        ["thermocouple-drift", 0.42],
        ["relief-valve-worn", 0.2]
      ])
    }))

  it.effect("keeps the three most likely", () =>
    Effect.gen(function*() {
      const many = ["a", "b", "c", "d", "e"].map((id, i) => ({ ...relay, causeId: id, prior: i / 10 }))
      const out = yield* Testing.runStep(generateHypotheses, { symptomKeywords, knownCauses: many })
      expect(out.hypotheses.map((h) => h.causeId)).toEqual(["e", "d", "c"])
    }))

  it.effect("no known cause means no hypothesis", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(generateHypotheses, { symptomKeywords, knownCauses: [] })
      expect(error).toEqual(new Troubleshooting.NoHypotheses({ keywords: symptomKeywords }))
      expect(attempts).toBe(1)
    }))
})

describe("test_hypotheses", () => {
  it.effect("tests the most likely first and stops at the first confirmed", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(testHypotheses, { equipmentId: "reactor-1", hypotheses })
      expect(out).toEqual({
        rootCause,
        testResults: [
          { causeId: "heater-relay-stuck", confirmed: false, evidence: "relay_cycle_test: no fault found" },
          { causeId: "thermocouple-drift", confirmed: true, evidence: "reads 12 °C low against the reference probe" }
        ]
      })
    }).pipe(Effect.provide(diagnostics)))

  it.effect("does not run the tests after the one that confirms", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(testHypotheses, { equipmentId: "reactor-1", hypotheses })
      expect(out.rootCause.causeId).toBe("heater-relay-stuck")
      expect(out.testResults).toHaveLength(1)
    }).pipe(Effect.provide(Diagnostics.layerMemory({ "reactor-1": { relay_cycle_test: "contacts welded" } }))))

  it.effect("fails with every result when no hypothesis is confirmed", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(testHypotheses, { equipmentId: "reactor-2", hypotheses })
      expect(expectTag(error, "RootCauseNotFound").tested.map((t) => [t.causeId, t.confirmed])).toEqual([
        ["heater-relay-stuck", false],
        ["thermocouple-drift", false]
      ])
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(diagnostics)))

  it.effect("unreachable diagnostics are retried", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(testHypotheses, { equipmentId: "reactor-1", hypotheses })
      expect(out.rootCause.causeId).toBe("thermocouple-drift")
    }).pipe(Effect.provide(
      Diagnostics.layerMemory({ "reactor-1": { thermocouple_calibration: "reads low" } }, { unavailableFor: 2 })
    )))

  it.effect("diagnostics that stay unreachable fail after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(testHypotheses, { equipmentId: "reactor-1", hypotheses })
      expect(error).toBeInstanceOf(Troubleshooting.DiagnosticsUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(Diagnostics.layerMemory({}, { unavailableFor: 100 }))))

  it.effect("tests that take longer than a minute in all time out", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(testHypotheses, { equipmentId: "reactor-1", hypotheses }))
      expect(error).toBeInstanceOf(Errors.StepTimeout)
    }).pipe(Effect.provide(Diagnostics.layerMemory({}, { latency: "40 seconds" }))))
})

describe("implement_solution", () => {
  it.effect("turns the root cause into actions and setpoint changes", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(implementSolution, { equipmentId: "reactor-1", rootCause })).toEqual({
        solution: {
          equipmentId: "reactor-1",
          rootCause: "the thermocouple reads low (reads 12 °C low against the reference probe)",
          actions: ["Recalibrate the thermocouple", "Change the temperature setpoint by -10"],
          setpointChanges: { temperature: -10 }
        }
      })
    }))

  it.effect("a change larger than an operator may make needs an engineering review", () =>
    Effect.gen(function*() {
      const drastic = { ...rootCause, fix: { description: "Run much cooler", setpointChanges: { temperature: -40 } } }
      const { attempts, error } = yield* failingAttempts(implementSolution, {
        equipmentId: "reactor-1",
        rootCause: drastic
      })
      expect(error).toEqual(
        new Troubleshooting.NeedsEngineeringReview({
          causeId: "thermocouple-drift",
          parameter: "temperature",
          change: -40,
          maxAutomaticChange: 25
        })
      )
      expect(attempts).toBe(1)
    }))
})

describe("the troubleshooting template", () => {
  it("declares what it requires and provides", () => {
    const { template } = Troubleshooting
    expect(template.requiredState).toEqual(["symptoms", "equipmentId"])
    expect(template.providedState).toEqual([
      "symptomKeywords",
      "knownCauses",
      "hypotheses",
      "rootCause",
      "testResults",
      "solution"
    ])
  })

  it.effect("is valid", () => Troubleshooting.template.validate())

  it.effect("goes from symptoms to a solution", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(Troubleshooting.template, { symptoms, equipmentId: "reactor-1" })
      expect(result.trace.every((entry) => entry.status === "completed")).toBe(true)
      expect(result.state.rootCause.causeId).toBe("thermocouple-drift")
      expect(result.state.solution.setpointChanges).toEqual({ temperature: -10 })
    }).pipe(Effect.provide(Layer.merge(knowledgeBase, diagnostics))))

  it.effect("falls back to the generic checklist when the knowledge base is down", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(Troubleshooting.template, { symptoms, equipmentId: "reactor-1" })
      expect(result.trace.map((entry) => [entry.name, entry.status])).toEqual([
        ["analyze_symptoms", "completed"],
        ["query_knowledge_base", "fallback"],
        ["generate_hypotheses", "completed"],
        ["test_hypotheses", "completed"],
        ["implement_solution", "completed"]
      ])
      expect(result.state.solution.actions).toEqual(["Recalibrate the sensors"])
    }).pipe(Effect.provide(Layer.merge(
      KnowledgeBase.layerMemory([], { unavailableFor: 100 }),
      Diagnostics.layerMemory({ "reactor-1": { sensor_calibration: "probe 2 reads 8 °C low" } })
    ))))

  it.effect("a hazard stops the run before anything is queried", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.runTemplate(Troubleshooting.template, { symptoms: ["burning smell"], equipmentId: "reactor-1" })
      )
      expect(error).toBeInstanceOf(Troubleshooting.SafetyHazard)
    }).pipe(Effect.provide(Layer.merge(KnowledgeBase.layerMemory([], { unavailableFor: 100 }), diagnostics))))
})
