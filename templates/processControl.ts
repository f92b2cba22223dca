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
import { Context, Data, Duration, Effect, HashMap, Layer, Option, Ref, Schedule, Schema } from "effect"
import { Errors, Step, Template } from "weftjs"
import { type Faults, withFaults } from "./faults.js"

// ---------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------

/** The setpoints of one batch. */
export const ProcessParams = Schema.Struct({
  /** °C */
  temperature: Schema.Number,
  /** bar */
  pressure: Schema.Number,
  /** Hold time, in seconds. */
  duration: Schema.Number
})
export type ProcessParams = typeof ProcessParams.Type

/** What the equipment registry says about a piece of equipment. */
export const EquipmentStatus = Schema.Literal("online", "degraded", "maintenance", "offline")
export type EquipmentStatus = typeof EquipmentStatus.Type

/** The envelope a piece of equipment may be run in. */
export const OperatingLimits = Schema.Struct({
  minTemperature: Schema.Number,
  maxTemperature: Schema.Number,
  maxPressure: Schema.Number,
  maxDuration: Schema.Number
})
export type OperatingLimits = typeof OperatingLimits.Type

/**
 * What the controller measured while the batch held: averages, the
 * temperature peak, and how long the hold actually lasted.
 */
export const Measurements = Schema.Struct({
  batchId: Schema.String,
  temperature: Schema.Number,
  peakTemperature: Schema.Number,
  pressure: Schema.Number,
  duration: Schema.Number
})
export type Measurements = typeof Measurements.Type

/** Measured minus setpoint, per parameter. */
export const Deviations = Schema.Struct({
  temperature: Schema.Number,
  pressure: Schema.Number,
  duration: Schema.Number
})
export type Deviations = typeof Deviations.Type

/** The record of one batch, as {@link RecordsStore} keeps it. */
export interface ProcessRecord {
  readonly equipmentId: string
  readonly params: ProcessParams
  readonly measurements: Measurements
  readonly deviations: Deviations
  readonly warnings: ReadonlyArray<string>
}

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/** The setpoints are physically impossible or malformed. */
export class InvalidProcessParams extends Data.TaggedError("InvalidProcessParams")<{
  readonly problems: ReadonlyArray<string>
}> {
  override get message() {
    return `Invalid process parameters: ${this.problems.join("; ")}`
  }
}

/** The registry does not know this equipment. */
export class EquipmentNotFound extends Data.TaggedError("EquipmentNotFound")<{
  readonly equipmentId: string
}> {
  override get message() {
    return `Equipment "${this.equipmentId}" is not in the registry`
  }
}

/** The equipment is offline or in maintenance. */
export class EquipmentDown extends Data.TaggedError("EquipmentDown")<{
  readonly equipmentId: string
  readonly status: "maintenance" | "offline"
  readonly note?: string | undefined
}> {
  override get message() {
    const state = this.status === "maintenance" ? "in maintenance" : "offline"
    return `Equipment "${this.equipmentId}" is ${state}${this.note === undefined ? "" : `: ${this.note}`}`
  }
}

/** One setpoint against the limit it breaks. */
export interface LimitViolation {
  readonly parameter: keyof ProcessParams
  readonly value: number
  readonly limit: number
}

/**
 * The setpoints fall outside what this equipment may run at now (a degraded
 * piece of equipment runs at 90 % of its rated limits).
 */
export class OutsideOperatingLimits extends Data.TaggedError("OutsideOperatingLimits")<{
  readonly equipmentId: string
  readonly violations: ReadonlyArray<LimitViolation>
}> {
  override get message() {
    const each = this.violations.map((v) => `${v.parameter} ${v.value} (limit ${v.limit})`)
    return `Setpoints outside the limits of "${this.equipmentId}": ${each.join(", ")}`
  }
}

/** The controller aborted the batch (an interlock tripped, a valve stuck...). */
export class ProcessFault extends Data.TaggedError("ProcessFault")<{
  readonly equipmentId: string
  readonly code: string
}> {
  override get message() {
    return `The batch on "${this.equipmentId}" was aborted by the controller: ${this.code}`
  }
}

/**
 * The batch did not report back within its hold time plus a grace period.
 * Not retried: a hung batch needs an operator.
 */
export class ProcessOverran extends Data.TaggedError("ProcessOverran")<{
  readonly equipmentId: string
  readonly deadline: Duration.Duration
}> {
  override get message() {
    return `The batch on "${this.equipmentId}" did not finish within ${Duration.format(this.deadline)}`
  }
}

/** One measured value against its setpoint and tolerance. */
export interface Deviation {
  readonly parameter: "temperature" | "peakTemperature" | "pressure" | "duration"
  readonly expected: number
  readonly measured: number
  readonly tolerance: string
}

/** What the batch produced is outside its specification. */
export class OutOfSpec extends Data.TaggedError("OutOfSpec")<{
  readonly batchId: string
  readonly deviations: ReadonlyArray<Deviation>
}> {
  override get message() {
    const each = this.deviations.map((d) => `${d.parameter} ${d.measured} (expected ${d.expected}, ${d.tolerance})`)
    return `Batch ${this.batchId} is out of spec: ${each.join(", ")}`
  }
}

/** The equipment registry could not be reached (transient: retried). */
export class RegistryUnavailable extends Data.TaggedError("RegistryUnavailable")<{}> {}

/** The process controller could not be reached (transient: retried). */
export class ControllerUnavailable extends Data.TaggedError("ControllerUnavailable")<{}> {}

/** The records store could not be reached (transient: retried). */
export class RecordsUnavailable extends Data.TaggedError("RecordsUnavailable")<{}> {}

// ---------------------------------------------------------------------------
// services
// ---------------------------------------------------------------------------

/**
 * Injected faults of the in-memory services, so tests can exercise retries
 * and timeouts.
 */
export type { Faults } from "./faults.js"

/** What the registry knows about one piece of equipment. */
export interface EquipmentInfo {
  readonly status: EquipmentStatus
  readonly limits: OperatingLimits
  readonly note?: string | undefined
}

/**
 * The equipment registry: the current status and rated limits of each piece
 * of equipment.
 */
export class EquipmentRegistry extends Context.Tag("weft-templates/EquipmentRegistry")<EquipmentRegistry, {
  readonly lookup: (equipmentId: string) => Effect.Effect<EquipmentInfo, EquipmentNotFound | RegistryUnavailable>
}>() {
  /** A registry over a fixed table of equipment. */
  static layerMemory(
    equipment: Readonly<Record<string, EquipmentInfo>>,
    faults?: Faults
  ): Layer.Layer<EquipmentRegistry> {
    return Layer.effect(
      EquipmentRegistry,
      Effect.map(Ref.make(0), (calls) => ({
        lookup: (equipmentId) =>
          withFaults(
            calls,
            faults,
            () => new RegistryUnavailable(),
            Option.fromNullable(equipment[equipmentId]).pipe(
              Effect.mapError(() => new EquipmentNotFound({ equipmentId }))
            )
          )
      }))
    )
  }
}

/** One batch as sent to the controller. */
export interface BatchRequest {
  readonly equipmentId: string
  readonly params: ProcessParams
  /** Deduplicates the batch: a second request with the same key returns the first one's measurements. */
  readonly batchKey: string
}

/** How a simulated piece of equipment behaves in {@link ProcessController.layerMemory}. */
export interface SimulatedEquipment {
  /** Added to the temperature and pressure setpoints in what is measured. */
  readonly drift?: { readonly temperature?: number | undefined; readonly pressure?: number | undefined } | undefined
  /** Peak temperature above the measured average (default 1 °C). */
  readonly overshoot?: number | undefined
  /** The controller aborts every batch with this fault code. */
  readonly fault?: string | undefined
  /** The batch never reports back. */
  readonly hangs?: boolean | undefined
}

/**
 * The process controller: runs a batch and reports its measurements.
 * Idempotent by `batchKey`.
 */
export class ProcessController extends Context.Tag("weft-templates/ProcessController")<ProcessController, {
  readonly runBatch: (request: BatchRequest) => Effect.Effect<Measurements, ProcessFault | ControllerUnavailable>
}>() {
  /** A simulated controller: batches finish at once, measured as setpoint plus drift. */
  static layerMemory(
    equipment: Readonly<Record<string, SimulatedEquipment>> = {},
    faults?: Faults
  ): Layer.Layer<ProcessController> {
    return Layer.effect(
      ProcessController,
      Effect.gen(function*() {
        const calls = yield* Ref.make(0)
        const batches = yield* Ref.make(HashMap.empty<string, Measurements>())
        const simulate = ({ batchKey, equipmentId, params }: BatchRequest) =>
          Effect.gen(function*() {
            const done = yield* Ref.get(batches)
            const previous = HashMap.get(done, batchKey)
            if (Option.isSome(previous)) return previous.value
            const behaviour = equipment[equipmentId] ?? {}
            if (behaviour.hangs === true) return yield* Effect.never
            if (behaviour.fault !== undefined) {
              return yield* Effect.fail(new ProcessFault({ equipmentId, code: behaviour.fault }))
            }
            const temperature = params.temperature + (behaviour.drift?.temperature ?? 0)
            const measurements: Measurements = {
              batchId: `batch-${HashMap.size(done) + 1}`,
              temperature,
              peakTemperature: temperature + (behaviour.overshoot ?? 1),
              pressure: params.pressure + (behaviour.drift?.pressure ?? 0),
              duration: params.duration
            }
            yield* Ref.update(batches, HashMap.set(batchKey, measurements))
            return measurements
          })
        return {
          runBatch: (request) => withFaults(calls, faults, () => new ControllerUnavailable(), simulate(request))
        }
      })
    )
  }
}

/** A stored {@link ProcessRecord} with its id. */
export interface StoredRecord extends ProcessRecord {
  readonly recordId: string
}

/**
 * The records store: the plant's log of batches. `append` is idempotent by
 * its key: appending twice with one key stores one record.
 */
export class RecordsStore extends Context.Tag("weft-templates/RecordsStore")<RecordsStore, {
  readonly append: (record: ProcessRecord, idempotencyKey: string) => Effect.Effect<string, RecordsUnavailable>
  readonly list: (equipmentId: string) => Effect.Effect<ReadonlyArray<StoredRecord>, RecordsUnavailable>
}>() {
  /**
   * An in-memory store. `lostAcks: n` stores the first `n` appends but fails
   * them with `RecordsUnavailable`, as when a reply is lost on the network.
   */
  static layerMemory(faults?: Faults & { readonly lostAcks?: number | undefined }): Layer.Layer<RecordsStore> {
    return Layer.effect(
      RecordsStore,
      Effect.gen(function*() {
        const calls = yield* Ref.make(0)
        const appends = yield* Ref.make(0)
        const records = yield* Ref.make<ReadonlyArray<StoredRecord & { readonly key: string }>>([])
        const store = (record: ProcessRecord, key: string) =>
          Effect.gen(function*() {
            const existing = (yield* Ref.get(records)).find((stored) => stored.key === key)
            const recordId = existing?.recordId ?? `rec-${(yield* Ref.get(records)).length + 1}`
            if (existing === undefined) yield* Ref.update(records, (all) => [...all, { ...record, recordId, key }])
            const n = yield* Ref.updateAndGet(appends, (c) => c + 1)
            if (n <= (faults?.lostAcks ?? 0)) return yield* Effect.fail(new RecordsUnavailable())
            return recordId
          })
        return {
          append: (record, key) => withFaults(calls, faults, () => new RecordsUnavailable(), store(record, key)),
          list: (equipmentId) =>
            Effect.map(
              Ref.get(records),
              (all) => all.filter((r) => r.equipmentId === equipmentId).map(({ key: _key, ...stored }) => stored)
            )
        }
      })
    )
  }
}

// ---------------------------------------------------------------------------
// policy
// ---------------------------------------------------------------------------

/** Whether an error may heal by itself, so another attempt is worth it. */
const isTransient = (error: unknown): boolean =>
  error instanceof RegistryUnavailable ||
  error instanceof ControllerUnavailable ||
  error instanceof RecordsUnavailable ||
  error instanceof Errors.StepTimeout

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for transient errors
 * only: a domain error such as `OutOfSpec` fails the step at once.
 */
const retryTransient = Schedule.exponential("1 second").pipe(
  Schedule.intersect(Schedule.recurs(3)),
  Schedule.whileInput(isTransient)
)

/** The plant-wide sanity rules; equipment-specific limits come from the registry. */
const absoluteZero = -273.15
const oneShift = 8 * 3600
const hotWork = 300

/** Extra time a batch may take beyond its hold time before it counts as hung. */
const overrunGrace = Duration.minutes(5)

/** How far a measurement may stray from its setpoint. */
const tolerance = { temperature: 2, pressure: 0.2 } as const

// ---------------------------------------------------------------------------
// steps
// ---------------------------------------------------------------------------

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
  retry: retryTransient,
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
})

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
  retry: retryTransient,
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
})

/** Rounds away floating-point noise (e.g. 0.30000000000000004). */
const round = (n: number) => Math.round(n * 1000) / 1000

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
  retry: retryTransient,
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
})

// ---------------------------------------------------------------------------
// template
// ---------------------------------------------------------------------------

/**
 * The process-control template.
 *
 * requires `equipmentId: string`, `processParams: ProcessParams`; provides
 * `inputWarnings`, `equipmentStatus`, `operatingLimits`, `measurements`,
 * `deviations`, `processRecordId`; needs {@link EquipmentRegistry},
 * {@link ProcessController}, {@link RecordsStore}.
 */
export const template = Template.make({
  name: "process_control",
  version: "1.0",
  steps: [validateInputs, checkEquipmentStatus, executeProcess, validateOutputs, updateRecords]
})
