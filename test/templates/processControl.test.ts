import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { Errors, Testing } from "weftjs"
import { ProcessControl } from "../../templates/index.js"
import { expectTag, failingAttempts } from "./support.js"

const {
  checkEquipmentStatus,
  EquipmentRegistry,
  executeProcess,
  ProcessController,
  RecordsStore,
  updateRecords,
  validateInputs,
  validateOutputs
} = ProcessControl

const limits = { minTemperature: 20, maxTemperature: 250, maxPressure: 10, maxDuration: 4 * 3600 }

const equipment: Record<string, ProcessControl.EquipmentInfo> = {
  "reactor-1": { status: "online", limits },
  "reactor-2": { status: "degraded", limits },
  "reactor-3": { status: "maintenance", limits, note: "seal replacement until Friday" },
  "reactor-4": { status: "offline", limits }
}

const processParams = { temperature: 180, pressure: 2.5, duration: 1200 }
const input = { equipmentId: "reactor-1", processParams }

const measurements: ProcessControl.Measurements = {
  batchId: "batch-1",
  temperature: 180.5,
  peakTemperature: 181.5,
  pressure: 2.4,
  duration: 1200
}

describe("validate_inputs", () => {
  it.effect("accepts sane setpoints without warnings", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(validateInputs, input)).toEqual({ inputWarnings: [] })
    }))

  it.effect("warns about setpoints that need extra care", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(validateInputs, {
        equipmentId: "reactor-1",
        processParams: { temperature: 320, pressure: 2, duration: 10 * 3600 }
      })
      expect(out.inputWarnings).toEqual([
        "above 300 °C: a hot-work permit is required",
        "the batch spans more than one 8 h shift"
      ])
    }))

  it.effect("rejects impossible setpoints, naming every problem, without retrying", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(validateInputs, {
        equipmentId: " ",
        processParams: { temperature: -300, pressure: -1, duration: 0 }
      })
      expect(error).toEqual(
        new ProcessControl.InvalidProcessParams({
          problems: [
            "equipmentId is empty",
            "temperature -300 °C is not above absolute zero",
            "pressure -1 bar is negative",
            "duration 0 s is not positive"
          ]
        })
      )
      expect(attempts).toBe(1)
    }))
})

describe("check_equipment_status", () => {
  const registry = EquipmentRegistry.layerMemory(equipment)

  it.effect("online equipment runs at its rated limits", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(checkEquipmentStatus, input)).toEqual({
        equipmentStatus: "online",
        operatingLimits: limits
      })
    }).pipe(Effect.provide(registry)))

  it.effect("degraded equipment runs at 90 % of its rated limits", () =>
    Effect.gen(function*() {
      const hot = { temperature: 240, pressure: 2.5, duration: 1200 }
      const out = yield* Testing.runStep(checkEquipmentStatus, { equipmentId: "reactor-2", processParams })
      expect(out).toEqual({
        equipmentStatus: "degraded",
        operatingLimits: { ...limits, maxTemperature: 225, maxPressure: 9 }
      })

      expect(yield* Testing.runStep(checkEquipmentStatus, { equipmentId: "reactor-1", processParams: hot }))
        .toMatchObject({ equipmentStatus: "online" })
      const error = yield* Effect.flip(
        Testing.runStep(checkEquipmentStatus, { equipmentId: "reactor-2", processParams: hot })
      )
      expect(error).toEqual(
        new ProcessControl.OutsideOperatingLimits({
          equipmentId: "reactor-2",
          violations: [{ parameter: "temperature", value: 240, limit: 225 }]
        })
      )
    }).pipe(Effect.provide(registry)))

  it.effect("setpoints outside the limits fail at once with every violation", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(checkEquipmentStatus, {
        equipmentId: "reactor-1",
        processParams: { temperature: 10, pressure: 12, duration: 5 * 3600 }
      })
      expect(error).toMatchObject({
        _tag: "OutsideOperatingLimits",
        violations: [
          { parameter: "temperature", value: 10, limit: 20 },
          { parameter: "pressure", value: 12, limit: 10 },
          { parameter: "duration", value: 18000, limit: 14400 }
        ]
      })
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(registry)))

  it.effect("equipment in maintenance or offline is down", () =>
    Effect.gen(function*() {
      const maintenance = yield* Effect.flip(
        Testing.runStep(checkEquipmentStatus, { equipmentId: "reactor-3", processParams })
      )
      expect(maintenance).toEqual(
        new ProcessControl.EquipmentDown({
          equipmentId: "reactor-3",
          status: "maintenance",
          note: "seal replacement until Friday"
        })
      )
      expect(maintenance.message).toBe(`Equipment "reactor-3" is in maintenance: seal replacement until Friday`)

      const offline = yield* Effect.flip(
        Testing.runStep(checkEquipmentStatus, { equipmentId: "reactor-4", processParams })
      )
      expect(offline).toMatchObject({ _tag: "EquipmentDown", status: "offline" })
    }).pipe(Effect.provide(registry)))

  it.effect("unknown equipment fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(checkEquipmentStatus, {
        equipmentId: "reactor-9",
        processParams
      })
      expect(error).toEqual(new ProcessControl.EquipmentNotFound({ equipmentId: "reactor-9" }))
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(registry)))

  it.effect("an unreachable registry is retried", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(checkEquipmentStatus, input)
      expect(out.equipmentStatus).toBe("online")
    }).pipe(Effect.provide(EquipmentRegistry.layerMemory(equipment, { unavailableFor: 2 }))))

  it.effect("a registry that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(checkEquipmentStatus, input)
      expect(error).toBeInstanceOf(ProcessControl.RegistryUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(EquipmentRegistry.layerMemory(equipment, { unavailableFor: 100 }))))

  it.effect("a registry slower than 5 s times out, on every attempt", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(checkEquipmentStatus, input)
      expect(error).toBeInstanceOf(Errors.StepTimeout)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(EquipmentRegistry.layerMemory(equipment, { latency: "1 minute" }))))
})

describe("execute_process", () => {
  it.effect("runs the batch and reports its measurements", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(executeProcess, input)
      expect(out).toEqual({
        measurements: { batchId: "batch-1", temperature: 180.5, peakTemperature: 182, pressure: 2.4, duration: 1200 }
      })
    }).pipe(Effect.provide(
      ProcessController.layerMemory({ "reactor-1": { drift: { temperature: 0.5, pressure: -0.1 }, overshoot: 1.5 } })
    )))

  it.effect("a batch aborted by the controller fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(executeProcess, input)
      expect(error).toEqual(new ProcessControl.ProcessFault({ equipmentId: "reactor-1", code: "E-STOP" }))
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(ProcessController.layerMemory({ "reactor-1": { fault: "E-STOP" } }))))

  it.effect("a batch that never reports back overruns its hold time plus 5 minutes", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        // a 20-minute batch outlives the default 300 s workflow timeout: lift it for this run
        Testing.runStep(executeProcess, input, { settings: { workflowTimeout: Duration.infinity } })
      )
      expect(error).toEqual(
        new ProcessControl.ProcessOverran({ equipmentId: "reactor-1", deadline: Duration.seconds(1200 + 300) })
      )
    }).pipe(Effect.provide(ProcessController.layerMemory({ "reactor-1": { hangs: true } }))))

  it.effect("an unreachable controller is retried", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(executeProcess, input)
      expect(out.measurements.batchId).toBe("batch-1")
    }).pipe(Effect.provide(ProcessController.layerMemory({}, { unavailableFor: 3 }))))

  it.effect("the controller runs one batch per key", () =>
    Effect.gen(function*() {
      const controller = yield* ProcessController
      const request = { equipmentId: "reactor-1", params: processParams, batchKey: "run-1/execute_process" }
      const first = yield* controller.runBatch(request)
      expect(yield* controller.runBatch(request)).toBe(first)
      expect(yield* controller.runBatch({ ...request, batchKey: "run-2/execute_process" })).toMatchObject({
        batchId: "batch-2"
      })
    }).pipe(Effect.provide(ProcessController.layerMemory())))
})

describe("validate_outputs", () => {
  const state = { processParams, measurements, operatingLimits: limits }

  it.effect("measurements within tolerance give the deviations", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(validateOutputs, state)).toEqual({
        deviations: { temperature: 0.5, pressure: -0.1, duration: 0 }
      })
    }))

  it.effect("a temperature off by more than 2 °C is out of spec", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(validateOutputs, {
        ...state,
        measurements: { ...measurements, temperature: 183 }
      })
      expect(error).toEqual(
        new ProcessControl.OutOfSpec({
          batchId: "batch-1",
          deviations: [{ parameter: "temperature", expected: 180, measured: 183, tolerance: "±2 °C" }]
        })
      )
      expect(attempts).toBe(1)
    }))

  it.effect("a peak over the operating limit, a pressure off and a short hold are each reported", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(validateOutputs, {
        ...state,
        measurements: { ...measurements, peakTemperature: 251, pressure: 3, duration: 1100 }
      }))
      expect(expectTag(error, "OutOfSpec").deviations.map((d) => d.parameter)).toEqual([
        "peakTemperature",
        "pressure",
        "duration"
      ])
    }))
})

describe("update_records", () => {
  const state = {
    equipmentId: "reactor-1",
    processParams,
    measurements,
    deviations: { temperature: 0.5, pressure: -0.1, duration: 0 },
    inputWarnings: ["the batch spans more than one 8 h shift"]
  }

  const recordsOf = (equipmentId: string) => Effect.flatMap(RecordsStore, (store) => store.list(equipmentId))

  it.effect("appends the batch record", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(updateRecords, state)).toEqual({ processRecordId: "rec-1" })
      expect(yield* recordsOf("reactor-1")).toEqual([{
        recordId: "rec-1",
        equipmentId: "reactor-1",
        params: processParams,
        measurements,
        deviations: state.deviations,
        warnings: state.inputWarnings
      }])
    }).pipe(Effect.provide(RecordsStore.layerMemory())))

  it.effect("a retry after a lost reply stores nothing twice (idempotency key)", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(updateRecords, state)).toEqual({ processRecordId: "rec-1" })
      expect(yield* recordsOf("reactor-1")).toHaveLength(1)
    }).pipe(Effect.provide(RecordsStore.layerMemory({ lostAcks: 2 }))))

  it.effect("a store that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(updateRecords, state)
      expect(error).toBeInstanceOf(ProcessControl.RecordsUnavailable)
      expect(attempts).toBe(4)
      expect(yield* recordsOf("reactor-1")).toEqual([])
    }).pipe(Effect.provide(RecordsStore.layerMemory({ unavailableFor: 4 }))))
})

describe("the process_control template", () => {
  const services = Layer.mergeAll(
    EquipmentRegistry.layerMemory(equipment),
    ProcessController.layerMemory({ "reactor-1": { drift: { temperature: 0.5 } } }),
    RecordsStore.layerMemory()
  )

  it("declares what it requires and provides", () => {
    const { template } = ProcessControl
    expect(template.requiredState).toEqual(["equipmentId", "processParams"])
    expect(template.providedState).toEqual([
      "inputWarnings",
      "equipmentStatus",
      "operatingLimits",
      "measurements",
      "deviations",
      "processRecordId"
    ])
  })

  it.effect("is valid", () => ProcessControl.template.validate())

  it.effect("runs a batch from validation to records", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(ProcessControl.template, input)
      expect(result.trace.map((entry) => [entry.name, entry.status])).toEqual([
        ["validate_inputs", "completed"],
        ["check_equipment_status", "completed"],
        ["execute_process", "completed"],
        ["validate_outputs", "completed"],
        ["update_records", "completed"]
      ])
      expect(result.state).toMatchObject({
        equipmentId: "reactor-1",
        equipmentStatus: "online",
        deviations: { temperature: 0.5, pressure: 0, duration: 0 },
        processRecordId: "rec-1"
      })
      const records = yield* Effect.flatMap(RecordsStore, (store) => store.list("reactor-1"))
      expect(records.map((record) => record.measurements.batchId)).toEqual([result.state.measurements.batchId])
    }).pipe(Effect.provide(services)))

  it.effect("stops at the first failing step: equipment down runs no batch and writes no record", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.runTemplate(ProcessControl.template, { equipmentId: "reactor-4", processParams })
      )
      expect(error).toMatchObject({ _tag: "EquipmentDown", equipmentId: "reactor-4" })
      const records = yield* Effect.flatMap(RecordsStore, (store) => store.list("reactor-4"))
      expect(records).toEqual([])
    }).pipe(Effect.provide(services)))

  it.effect("bad input is rejected before any step runs", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.runTemplate(
          ProcessControl.template,
          { equipmentId: "reactor-1", processParams: { temperature: 180 } } as unknown as typeof input
        )
      )
      expect(expectTag(error, "InvalidInput").keys).toEqual(["processParams.pressure", "processParams.duration"])
    }).pipe(Effect.provide(services)))
})
