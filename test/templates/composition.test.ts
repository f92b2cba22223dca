/**
 * Composing the ready templates: troubleshoot a batch that went wrong, then
 * run it again with the corrected setpoints.
 *
 * troubleshooting ends with a `solution` holding setpoint *changes*;
 * process_control starts from `processParams`. A one-step glue template,
 * `adopt_solution`, applies the one to the other, so the composite reads:
 *
 *   requires  symptoms      (troubleshooting; nobody upstream provides it)
 *             equipmentId   (troubleshooting and process_control both read it,
 *                            nobody provides it: one outside requirement)
 *             processParams (the setpoints the batch last ran with; read by
 *                            adopt_solution before it writes the corrected ones,
 *                            which process_control then reads)
 *   provides  everything the three parts provide
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { composeWorkflow, Step, Template, Testing } from "weftjs"
import { ProcessControl, Troubleshooting } from "../../templates/index.js"

/** Applies the solution's setpoint changes to the process parameters. */
const applySetpointChanges = Step.make({
  name: "apply_setpoint_changes",
  requires: { processParams: ProcessControl.ProcessParams, solution: Troubleshooting.Solution },
  provides: { processParams: ProcessControl.ProcessParams },
  run: ({ processParams, solution: { setpointChanges } }) =>
    Effect.succeed({
      processParams: {
        temperature: processParams.temperature + (setpointChanges.temperature ?? 0),
        pressure: processParams.pressure + (setpointChanges.pressure ?? 0),
        duration: processParams.duration + (setpointChanges.duration ?? 0)
      }
    })
})

const adoptSolution = Template.make({ name: "adopt_solution", version: "1.0", steps: [applySetpointChanges] })

const troubleshootAndRerun = composeWorkflow(Troubleshooting.template, adoptSolution, ProcessControl.template)

const limits = { minTemperature: 20, maxTemperature: 250, maxPressure: 10, maxDuration: 4 * 3600 }

const services = Layer.mergeAll(
  Troubleshooting.KnowledgeBase.layerMemory([{
    causeId: "thermocouple-drift",
    cause: "the thermocouple reads low",
    keywords: ["overshoot", "temperature"],
    prior: 0.5,
    diagnosticTest: "thermocouple_calibration",
    fix: { description: "Recalibrate the thermocouple", setpointChanges: { temperature: -10 } }
  }]),
  Troubleshooting.Diagnostics.layerMemory({ "reactor-1": { thermocouple_calibration: "reads 12 °C low" } }),
  ProcessControl.EquipmentRegistry.layerMemory({ "reactor-1": { status: "online", limits } }),
  ProcessControl.ProcessController.layerMemory(),
  ProcessControl.RecordsStore.layerMemory()
)

describe("troubleshooting, then process_control", () => {
  it("wires by key: the composite requires what no part upstream provides", () => {
    expect(troubleshootAndRerun.name).toBe("troubleshooting+adopt_solution+process_control")
    expect(troubleshootAndRerun.version).toBe("troubleshooting@1.0+adopt_solution@1.0+process_control@1.0")
    expect(troubleshootAndRerun.requiredState).toEqual(["symptoms", "equipmentId", "processParams"])
    expectTypeOf<Template.Requires<typeof troubleshootAndRerun>>().toEqualTypeOf<{
      readonly symptoms: ReadonlyArray<string>
      readonly equipmentId: string
      readonly processParams: ProcessControl.ProcessParams
    }>()
    expectTypeOf<Template.Provides<typeof troubleshootAndRerun>>().toHaveProperty("solution")
    expectTypeOf<Template.Provides<typeof troubleshootAndRerun>>().toHaveProperty("processRecordId")
  })

  it("a part that writes a key with the wrong type does not compile", () => {
    const broken = Template.make({
      name: "broken_glue",
      version: "1.0",
      steps: [Step.make({
        name: "summarize",
        requires: { solution: Troubleshooting.Solution },
        provides: { processParams: Schema.String },
        run: ({ solution }) => Effect.succeed({ processParams: solution.actions.join("; ") })
      })]
    })
    // @ts-expect-error process_control requires processParams as { temperature, pressure, duration }, not string
    composeWorkflow(Troubleshooting.template, broken, ProcessControl.template)
  })

  it.effect("diagnoses the drift and re-runs the batch 10 °C cooler", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(troubleshootAndRerun, {
        symptoms: ["Temperature overshoot during the hold"],
        equipmentId: "reactor-1",
        processParams: { temperature: 180, pressure: 2.5, duration: 1200 }
      })
      expect(result.trace.map((entry) => entry.step)).toEqual([
        "troubleshooting/analyze_symptoms",
        "troubleshooting/query_knowledge_base",
        "troubleshooting/generate_hypotheses",
        "troubleshooting/test_hypotheses",
        "troubleshooting/implement_solution",
        "adopt_solution/apply_setpoint_changes",
        "process_control/validate_inputs",
        "process_control/check_equipment_status",
        "process_control/execute_process",
        "process_control/validate_outputs",
        "process_control/update_records"
      ])
      expect(result.state.rootCause.causeId).toBe("thermocouple-drift")
      expect(result.state.processParams).toEqual({ temperature: 170, pressure: 2.5, duration: 1200 })
      expect(result.state.measurements.temperature).toBe(170)

      const records = yield* Effect.flatMap(ProcessControl.RecordsStore, (store) => store.list("reactor-1"))
      expect(records.map((record) => record.params.temperature)).toEqual([170])
    }).pipe(Effect.provide(services)))
})
