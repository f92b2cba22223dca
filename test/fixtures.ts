/**
 * The contract example of the core issue, shared by several tests.
 */
import { Effect, Schema } from "effect"
import { composeWorkflow, Step, Template } from "weftjs"

export const validateInputs = Step.make({
  name: "validate_inputs",
  requires: { equipmentId: Schema.String, processParams: Schema.Struct({ temperature: Schema.Number }) },
  provides: { validated: Schema.Boolean },
  run: ({ processParams }) => Effect.succeed({ validated: processParams.temperature < 500 })
})

export const checkEquipment = Step.make({
  name: "check_equipment_status",
  requires: { equipmentId: Schema.String, validated: Schema.Boolean },
  provides: { equipmentStatus: Schema.Literal("ok", "degraded", "down") },
  run: ({ validated }) => Effect.succeed({ equipmentStatus: validated ? "ok" as const : "down" as const })
})

export const processControl = Template.make({
  name: "process_control",
  version: "1.0",
  steps: [validateInputs, checkEquipment]
})

export const writeReport = Step.make({
  name: "write_report",
  requires: { equipmentStatus: Schema.String },
  provides: { report: Schema.String },
  run: ({ equipmentStatus }) => Effect.succeed({ report: `status: ${equipmentStatus}` })
})

export const report = Template.make({ name: "report", version: "1.0", steps: [writeReport] })

export const flow = composeWorkflow(processControl, report)

export const goodInput = { equipmentId: "eq-7", processParams: { temperature: 320 } } as const
