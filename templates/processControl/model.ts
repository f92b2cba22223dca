/**
 * The model of the process-control template: the Schemas of the state it
 * reads and writes, its typed errors, and the services it needs (their
 * in-memory fakes are in `memory.ts`).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import { Context, Data, Duration, Schema } from "effect"

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
}>() {}

/** One batch as sent to the controller. */
export interface BatchRequest {
  readonly equipmentId: string
  readonly params: ProcessParams
  /** Deduplicates the batch: a second request with the same key returns the first one's measurements. */
  readonly batchKey: string
}

/**
 * The process controller: runs a batch and reports its measurements.
 * Idempotent by `batchKey`.
 */
export class ProcessController extends Context.Tag("weft-templates/ProcessController")<ProcessController, {
  readonly runBatch: (request: BatchRequest) => Effect.Effect<Measurements, ProcessFault | ControllerUnavailable>
}>() {}

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
}>() {}
