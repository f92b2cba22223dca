/**
 * Process control: run one batch of a process on one piece of equipment,
 * from checking its parameters to recording what happened.
 *
 * ```text
 * validate_inputs → check_equipment_status → execute_process → validate_outputs → update_records
 * ```
 *
 * - **requires** `equipmentId`, `processParams` (temperature °C, pressure bar, duration s)
 * - **provides** `inputWarnings`, `equipmentStatus`, `operatingLimits`, `measurements`,
 *   `deviations`, `processRecordId`
 * - **services** {@link EquipmentRegistry}, {@link ProcessController}, {@link RecordsStore}
 *   (each with a deterministic `layerMemory` for tests and demos)
 * - **errors** {@link InvalidProcessParams}, {@link EquipmentNotFound}, {@link EquipmentDown},
 *   {@link OutsideOperatingLimits}, {@link ProcessFault}, {@link ProcessOverran},
 *   {@link OutOfSpec}, and the services' `*Unavailable` errors once their retries are spent
 *
 * This file reads top-down: the template, then its steps in flow order, then
 * the rules they apply. The Schemas, errors and service Tags are in
 * `model.ts`, the in-memory services in `memory.ts`.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Engine, Workflow } from "weftjs"
 * import { ProcessControl } from "./templates/index.js"
 *
 * const limits = { minTemperature: 20, maxTemperature: 250, maxPressure: 10, maxDuration: 4 * 3600 }
 * const services = Layer.mergeAll(
 *   ProcessControl.EquipmentRegistry.layerMemory({ "reactor-1": { status: "online", limits } }),
 *   ProcessControl.ProcessController.layerMemory(),
 *   ProcessControl.RecordsStore.layerMemory()
 * )
 * const batch = Workflow.run(
 *   ProcessControl.template,
 *   { equipmentId: "reactor-1", processParams: { temperature: 180, pressure: 2.5, duration: 1200 } },
 *   { timeout: "1 hour" } // a batch outlives the default 300 s workflow timeout
 * ).pipe(Effect.provide(Layer.merge(services, Engine.layerMemory)))
 * ```
 *
 * @since 0.1.0
 */
import { Duration, Effect, Schedule, Schema } from "effect"
import { Step, Template } from "weftjs"
import {
  type Deviation,
  Deviations,
  EquipmentDown,
  EquipmentRegistry,
  InvalidProcessParams,
  type LimitViolation,
  Measurements,
  OperatingLimits,
  OutOfSpec,
  OutsideOperatingLimits,
  ProcessController,
  ProcessOverran,
  ProcessParams,
  RecordsStore
} from "./model.js"

export * from "./model.js"
export * from "./memory.js"
// the service Tags with their in-memory layers (`EquipmentRegistry.layerMemory`, ...)
export { EquipmentRegistry, ProcessController, RecordsStore } from "./memory.js"

// ---------------------------------------------------------------------------
// the template
// ---------------------------------------------------------------------------

/**
 * The process-control template: five steps, defined below in this order.
 * ({@link template} is built from it at the end of the steps, once they exist.)
 */
function build() {
  return Template.make({
    name: "process_control",
    version: "1.0",
    steps: [validateInputs, checkEquipmentStatus, executeProcess, validateOutputs, updateRecords]
  })
}

// ---------------------------------------------------------------------------
// steps, in flow order
// ---------------------------------------------------------------------------

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for the errors each step
 * lists with `Step.retryOn` (its services' `*Unavailable`, `StepTimeout`):
 * a domain error such as `OutOfSpec` fails the step at once.
 */
const backoff = Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))

/**
 * Checks that the setpoints make physical sense, and warns about those that
 * need extra care. Pure: no retry.
 *
 * requires `equipmentId`, `processParams`; provides `inputWarnings`;
 * fails with {@link InvalidProcessParams}.
 */
export const validateInputs = Step.make({
  name: "validate_inputs",
  requires: { equipmentId: Schema.String, processParams: ProcessParams },
  provides: { inputWarnings: Schema.Array(Schema.String) },
  retry: Schedule.stop,
  run: ({ equipmentId, processParams: { duration, pressure, temperature } }) =>
    Effect.gen(function*() {
      const problems: Array<string> = []
      if (equipmentId.trim() === "") problems.push("equipmentId is empty")
      if (!Number.isFinite(temperature) || temperature <= absoluteZero) {
        problems.push(`temperature ${temperature} °C is not above absolute zero`)
      }
      if (!Number.isFinite(pressure) || pressure < 0) problems.push(`pressure ${pressure} bar is negative`)
      if (!Number.isFinite(duration) || duration <= 0) problems.push(`duration ${duration} s is not positive`)
      if (problems.length > 0) return yield* new InvalidProcessParams({ problems })

      const inputWarnings: Array<string> = []
      if (temperature > hotWork) inputWarnings.push(`above ${hotWork} °C: a hot-work permit is required`)
      if (duration > oneShift) inputWarnings.push("the batch spans more than one 8 h shift")
      return { inputWarnings }
    })
})

/**
 * Asks the registry for the equipment's status and limits, and checks the
 * setpoints against them. Online equipment runs at its rated limits,
 * degraded equipment at 90 % of them; anything else is down.
 *
 * requires `equipmentId`, `processParams`; provides `equipmentStatus`,
 * `operatingLimits`; fails with {@link EquipmentNotFound}, {@link EquipmentDown},
 * {@link OutsideOperatingLimits}, {@link RegistryUnavailable} (retried, 5 s timeout).
 */
export const checkEquipmentStatus = Step.make({
  name: "check_equipment_status",
  requires: { equipmentId: Schema.String, processParams: ProcessParams },
  provides: { equipmentStatus: Schema.Literal("online", "degraded"), operatingLimits: OperatingLimits },
  retry: backoff,
  timeout: "5 seconds",
  run: ({ equipmentId, processParams }) =>
    Effect.gen(function*() {
      const registry = yield* EquipmentRegistry
      const { limits, note, status } = yield* registry.lookup(equipmentId)
      if (status === "maintenance" || status === "offline") {
        return yield* new EquipmentDown({ equipmentId, status, note })
      }
      const operatingLimits = status === "degraded" ? derated(limits) : limits
      const violations = violationsOf(processParams, operatingLimits)
      if (violations.length > 0) return yield* new OutsideOperatingLimits({ equipmentId, violations })
      return { equipmentStatus: status, operatingLimits }
    })
}).pipe(Step.retryOn("RegistryUnavailable", "StepTimeout"))

/**
 * Runs the batch on the controller. The step's idempotency key is the batch
 * key, so a retry, or a re-run after a crash, never starts a second batch.
 * The deadline follows the input (hold time plus 5 minutes), so it is set
 * inside `run` rather than as the step's fixed `timeout`.
 *
 * requires `equipmentId`, `processParams`; provides `measurements`;
 * fails with {@link ProcessFault}, {@link ProcessOverran},
 * {@link ControllerUnavailable} (retried).
 */
export const executeProcess = Step.make({
  name: "execute_process",
  requires: { equipmentId: Schema.String, processParams: ProcessParams },
  provides: { measurements: Measurements },
  retry: backoff,
  run: ({ equipmentId, processParams }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const controller = yield* ProcessController
      const deadline = Duration.sum(Duration.seconds(processParams.duration), overrunGrace)
      const batch = controller.runBatch({ equipmentId, params: processParams, batchKey: idempotencyKey })
      const measurements = yield* batch.pipe(
        Effect.timeoutFail({ duration: deadline, onTimeout: () => new ProcessOverran({ equipmentId, deadline }) })
      )
      return { measurements }
    })
}).pipe(Step.retryOn("ControllerUnavailable", "StepTimeout"))

/**
 * Checks the measurements against the setpoints: temperature within ±2 °C,
 * pressure within ±0.2 bar, hold at least as long as asked, and the peak
 * temperature within the operating limit. Pure: no retry.
 *
 * requires `processParams`, `measurements`, `operatingLimits`; provides
 * `deviations`; fails with {@link OutOfSpec}.
 */
export const validateOutputs = Step.make({
  name: "validate_outputs",
  requires: { processParams: ProcessParams, measurements: Measurements, operatingLimits: OperatingLimits },
  provides: { deviations: Deviations },
  retry: Schedule.stop,
  run: ({ measurements, operatingLimits, processParams }) =>
    Effect.gen(function*() {
      const deviations: Array<Deviation> = []
      if (Math.abs(measurements.temperature - processParams.temperature) > tolerance.temperature) {
        deviations.push({
          parameter: "temperature",
          expected: processParams.temperature,
          measured: measurements.temperature,
          tolerance: `±${tolerance.temperature} °C`
        })
      }
      if (measurements.peakTemperature > operatingLimits.maxTemperature) {
        deviations.push({
          parameter: "peakTemperature",
          expected: operatingLimits.maxTemperature,
          measured: measurements.peakTemperature,
          tolerance: "at most the operating limit"
        })
      }
      if (Math.abs(measurements.pressure - processParams.pressure) > tolerance.pressure) {
        deviations.push({
          parameter: "pressure",
          expected: processParams.pressure,
          measured: measurements.pressure,
          tolerance: `±${tolerance.pressure} bar`
        })
      }
      if (measurements.duration < processParams.duration) {
        deviations.push({
          parameter: "duration",
          expected: processParams.duration,
          measured: measurements.duration,
          tolerance: "at least the setpoint"
        })
      }
      if (deviations.length > 0) return yield* new OutOfSpec({ batchId: measurements.batchId, deviations })
      return {
        deviations: {
          temperature: round(measurements.temperature - processParams.temperature),
          pressure: round(measurements.pressure - processParams.pressure),
          duration: round(measurements.duration - processParams.duration)
        }
      }
    })
})

/**
 * Appends the batch to the plant's records, keyed by the step's idempotency
 * key: a retry after a lost reply, or a re-run after a crash, stores nothing
 * twice.
 *
 * requires `equipmentId`, `processParams`, `measurements`, `deviations`,
 * `inputWarnings`; provides `processRecordId`; fails with
 * {@link RecordsUnavailable} (retried, 10 s timeout).
 */
export const updateRecords = Step.make({
  name: "update_records",
  requires: {
    equipmentId: Schema.String,
    processParams: ProcessParams,
    measurements: Measurements,
    deviations: Deviations,
    inputWarnings: Schema.Array(Schema.String)
  },
  provides: { processRecordId: Schema.String },
  retry: backoff,
  timeout: "10 seconds",
  run: ({ deviations, equipmentId, inputWarnings, measurements, processParams }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const records = yield* RecordsStore
      const processRecordId = yield* records.append(
        { equipmentId, params: processParams, measurements, deviations, warnings: inputWarnings },
        idempotencyKey
      )
      return { processRecordId }
    })
}).pipe(Step.retryOn("RecordsUnavailable", "StepTimeout"))

/**
 * The process-control template.
 *
 * requires `equipmentId: string`, `processParams: ProcessParams`; provides
 * `inputWarnings`, `equipmentStatus`, `operatingLimits`, `measurements`,
 * `deviations`, `processRecordId`; needs {@link EquipmentRegistry},
 * {@link ProcessController}, {@link RecordsStore}.
 */
export const template = build()

// ---------------------------------------------------------------------------
// rules
// ---------------------------------------------------------------------------

/** The plant-wide sanity rules; equipment-specific limits come from the registry. */
const absoluteZero = -273.15
const oneShift = 8 * 3600
const hotWork = 300

/** Extra time a batch may take beyond its hold time before it counts as hung. */
const overrunGrace = Duration.minutes(5)

/** How far a measurement may stray from its setpoint. */
const tolerance = { temperature: 2, pressure: 0.2 } as const

/** Every setpoint outside the limits. */
const violationsOf = (params: ProcessParams, limits: OperatingLimits): ReadonlyArray<LimitViolation> => {
  const violations: Array<LimitViolation> = []
  if (params.temperature < limits.minTemperature) {
    violations.push({ parameter: "temperature", value: params.temperature, limit: limits.minTemperature })
  }
  if (params.temperature > limits.maxTemperature) {
    violations.push({ parameter: "temperature", value: params.temperature, limit: limits.maxTemperature })
  }
  if (params.pressure > limits.maxPressure) {
    violations.push({ parameter: "pressure", value: params.pressure, limit: limits.maxPressure })
  }
  if (params.duration > limits.maxDuration) {
    violations.push({ parameter: "duration", value: params.duration, limit: limits.maxDuration })
  }
  return violations
}

/** The limits of degraded equipment: 90 % of its rated maxima. */
const derated = (limits: OperatingLimits): OperatingLimits => ({
  ...limits,
  maxTemperature: limits.maxTemperature * 0.9,
  maxPressure: limits.maxPressure * 0.9
})

/** Rounds away floating-point noise (e.g. 0.30000000000000004). */
const round = (n: number) => Math.round(n * 1000) / 1000
