/**
 * The model of the data-quality template: the Schemas of the state it reads
 * and writes, its typed errors, and the services it needs (their in-memory
 * fakes are in `memory.ts`).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import { Context, Data, Schema } from "effect"

// ---------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------

/** One reading of the sensor: a timestamp (ms) and its value, or `null` when missing. */
export const Reading = Schema.Struct({
  at: Schema.Number,
  value: Schema.NullOr(Schema.Number)
})
export type Reading = typeof Reading.Type

/** What the store knows of a dataset besides its readings. */
export const DatasetInfo = Schema.Struct({
  id: Schema.String,
  /** Increases by one at each save. */
  version: Schema.Number,
  sensor: Schema.String,
  unit: Schema.String,
  /** The plausible values of the sensor: a value outside is an anomaly no pass can fix. */
  range: Schema.Struct({ min: Schema.Number, max: Schema.Number })
})
export type DatasetInfo = typeof DatasetInfo.Type

/** Summary statistics of a series. `min`, `max` and `mean` are over the values present (`null` when none is). */
export const Profile = Schema.Struct({
  count: Schema.Number,
  missing: Schema.Number,
  min: Schema.NullOr(Schema.Number),
  max: Schema.NullOr(Schema.Number),
  mean: Schema.NullOr(Schema.Number)
})
export type Profile = typeof Profile.Type

/** The kinds of anomaly. */
export const AnomalyKind = Schema.Literal("out_of_order", "duplicate", "missing", "out_of_range")
export type AnomalyKind = typeof AnomalyKind.Type

/** One anomaly found in a series. */
export const Anomaly = Schema.Struct({
  kind: AnomalyKind,
  /** The reading's timestamp. */
  at: Schema.Number,
  detail: Schema.String,
  /** Whether the next pass of `fix_anomalies` will fix it, or bring it closer to a fix. */
  fixable: Schema.Boolean
})
export type Anomaly = typeof Anomaly.Type

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/** No dataset with this id. Not retried. */
export class DatasetNotFound extends Data.TaggedError("DatasetNotFound")<{
  readonly datasetId: string
}> {
  override get message() {
    return `No dataset "${this.datasetId}"`
  }
}

/** Someone saved another version of the dataset since it was loaded. Not retried. */
export class VersionConflict extends Data.TaggedError("VersionConflict")<{
  readonly datasetId: string
  readonly expected: number
  readonly actual: number
}> {
  override get message() {
    return `Dataset "${this.datasetId}" is at version ${this.actual}, not ${this.expected}: it changed since it was loaded`
  }
}

/** The dataset store could not be reached (transient: retried). */
export class StoreUnavailable extends Data.TaggedError("StoreUnavailable")<{}> {}

/** The quarantine and alert sink could not be reached (transient: retried). */
export class AlertsUnavailable extends Data.TaggedError("AlertsUnavailable")<{}> {}

// ---------------------------------------------------------------------------
// services
// ---------------------------------------------------------------------------

/**
 * Where datasets live. `save` writes a new version if the dataset is still
 * at `expectedVersion`, and is idempotent by its key: a second save with one
 * key returns the version the first one wrote.
 */
export class DatasetStore extends Context.Tag("weft-templates/DatasetStore")<DatasetStore, {
  readonly load: (
    datasetId: string
  ) => Effect.Effect<{ readonly info: DatasetInfo; readonly readings: ReadonlyArray<Reading> }, DatasetNotFound | StoreUnavailable>
  readonly save: (
    datasetId: string,
    readings: ReadonlyArray<Reading>,
    expectedVersion: number,
    idempotencyKey: string
  ) => Effect.Effect<number, DatasetNotFound | VersionConflict | StoreUnavailable>
}>() {}

/** What a quarantined dataset is sent with, for the person who will look at it. */
export interface QuarantineReport {
  readonly datasetId: string
  readonly version: number
  readonly sensor: string
  readonly profile: Profile
  /** The anomalies no pass could fix. */
  readonly anomalies: ReadonlyArray<Anomaly>
}

/**
 * The quarantine and alert sink: a quarantined dataset is set aside and
 * someone is alerted. Idempotent by its key.
 */
export class QualityAlerts extends Context.Tag("weft-templates/QualityAlerts")<QualityAlerts, {
  readonly quarantine: (report: QuarantineReport, idempotencyKey: string) => Effect.Effect<string, AlertsUnavailable>
  /** Every report quarantined, in order, with its id. */
  readonly quarantined: Effect.Effect<ReadonlyArray<QuarantineReport & { readonly quarantineId: string }>>
}>() {}
