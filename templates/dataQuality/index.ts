/**
 * Data quality: check a sensor's time series, fix what can be fixed, check
 * again until nothing fixable is left, then accept the cleaned series or
 * quarantine it for a person.
 *
 * ```text
 * load_dataset → check                   → clean                          → verdict
 *                ├ profile                 while a fixable anomaly remains,   ├ then (none left): save_dataset
 *                └ find_anomalies          at most 5 passes (Flow.loop):      └ else:             quarantine_dataset
 *                                          fix_anomalies → check
 * ```
 *
 * - **requires** `datasetId`
 * - **provides** `dataset` (its metadata), `readings` (cleaned), `profile`, `anomalies` (what
 *   is left), `verdict` (`"accepted"` | `"quarantined"`), and `savedVersion` or `quarantineId`
 * - **services** {@link DatasetStore}, {@link QualityAlerts} (the quarantine and alert sink),
 *   each with a deterministic `layerMemory` for tests and demos
 * - **errors** {@link DatasetNotFound}, {@link VersionConflict}, `LoopLimitExceeded` (the series
 *   still had fixable anomalies after {@link maxPasses} passes), and
 *   {@link StoreUnavailable} / {@link AlertsUnavailable} once their retries are spent
 *
 * What is an anomaly, and what a pass fixes:
 *
 * | anomaly | fixable | a pass |
 * |---|---|---|
 * | `out_of_order` (a timestamp before the one above it) | yes | sorts the readings by time |
 * | `duplicate` (a second reading at one timestamp) | yes | keeps the first |
 * | `missing` (no value) | when its gap borders a plausible value | fills each missing value next to a plausible one with the mean of its plausible neighbours |
 * | `out_of_range` (outside the sensor's plausible range) | no | nothing: a person must look |
 *
 * A gap of missing values fills from its edges inwards, one value per edge
 * and pass, so a long gap takes several passes: a gap too long for
 * {@link maxPasses} passes fails the run with `LoopLimitExceeded`, which
 * names the loop (`clean`) and the limit.
 *
 * Saving writes a new version of the dataset only if nobody wrote one since
 * it was loaded ({@link VersionConflict} otherwise). Saving and quarantining
 * pass the step's idempotency key to their service: a retry, or a re-run after
 * a crash, saves (quarantines) once.
 *
 * This file reads top-down: the template, then its steps in flow order, then
 * the rules they apply. The Schemas, errors and service Tags are in
 * `model.ts`, the in-memory services in `memory.ts`.
 *
 * @since 0.1.0
 */
import { Effect, Schedule, Schema } from "effect"
import { Flow, Step, Template } from "weftjs"
import { Anomaly, DatasetInfo, DatasetStore, Profile, QualityAlerts, Reading } from "./model.js"

export * from "./model.js"
export * from "./memory.js"
// the service Tags with their in-memory layers (`DatasetStore.layerMemory`, ...)
export { DatasetStore, QualityAlerts } from "./memory.js"

// ---------------------------------------------------------------------------
// the template
// ---------------------------------------------------------------------------

/**
 * The data-quality template: load, check, a loop of cleaning passes, and a
 * verdict; its steps are defined below in this order.
 * ({@link template} is built from it at the end of the steps, once they exist.)
 */
function build() {
  return Template.make({
    name: "data_quality",
    version: "1.0",
    steps: [
      loadDataset,
      check,
      Flow.loop({
        name: "clean",
        // `profile` and `anomalies` are there after the loop either way (the first check's, or the
        // last pass's): the compiler knows, so `quarantine_dataset` may read them
        requires: { anomalies: Schema.Array(Anomaly) },
        while: ({ anomalies }) => anomalies.some((anomaly) => anomaly.fixable),
        body: pass,
        maxIterations: maxPasses
      }),
      Flow.branch({
        name: "verdict",
        requires: { anomalies: Schema.Array(Anomaly) },
        when: ({ anomalies }) => anomalies.length === 0,
        then: Template.make({ name: "accept", version: "1.0", steps: [saveDataset] }),
        else: Template.make({ name: "quarantine", version: "1.0", steps: [quarantineDataset] })
      })
    ]
  })
}

/** The most cleaning passes a dataset gets. */
export const maxPasses = 5

// ---------------------------------------------------------------------------
// steps, in flow order
// ---------------------------------------------------------------------------

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for the errors each step
 * lists with `Step.retryOn` (its services' `*Unavailable`, `StepTimeout`):
 * a domain error such as `VersionConflict` fails the step at once.
 */
const backoff = Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))

/**
 * Loads the dataset (retried, 10 s timeout).
 *
 * requires `datasetId`; provides `dataset`, `readings`; fails with
 * {@link DatasetNotFound}, {@link StoreUnavailable}.
 */
export const loadDataset = Step.make({
  name: "load_dataset",
  requires: { datasetId: Schema.String },
  provides: { dataset: DatasetInfo, readings: Schema.Array(Reading) },
  retry: backoff,
  timeout: "10 seconds",
  run: ({ datasetId }) =>
    Effect.gen(function*() {
      const store = yield* DatasetStore
      const { info, readings } = yield* store.load(datasetId)
      return { dataset: info, readings }
    })
}).pipe(Step.retryOn("StoreUnavailable", "StepTimeout"))

/**
 * Summarises the series: how many readings, how many missing, and the
 * minimum, maximum and mean of the values present. Pure.
 *
 * requires `readings`; provides `profile`.
 */
export const profile = Step.make({
  name: "profile",
  requires: { readings: Schema.Array(Reading) },
  provides: { profile: Profile },
  run: ({ readings }) => {
    const values = readings.flatMap((r) => (r.value === null ? [] : [r.value]))
    const none = values.length === 0
    return Effect.succeed({
      profile: {
        count: readings.length,
        missing: readings.length - values.length,
        min: none ? null : Math.min(...values),
        max: none ? null : Math.max(...values),
        mean: none ? null : round(values.reduce((a, b) => a + b, 0) / values.length)
      }
    })
  }
})

/**
 * Lists the anomalies of the series (see the module's table). Pure.
 *
 * requires `readings`, `dataset`; provides `anomalies`.
 */
export const findAnomalies = Step.make({
  name: "find_anomalies",
  requires: { readings: Schema.Array(Reading), dataset: DatasetInfo },
  provides: { anomalies: Schema.Array(Anomaly) },
  run: ({ dataset, readings }) => Effect.succeed({ anomalies: anomaliesOf(readings, dataset.range) })
})

/** Profiles the series and finds its anomalies: run first, and again after each pass. */
export const check = Template.make({
  name: "check",
  version: "1.0",
  steps: [profile, findAnomalies]
})

/**
 * One cleaning pass: sorts the readings by time, drops the later readings
 * of a timestamp, and fills each missing value next to a plausible one with
 * the mean of its plausible neighbours (as they were before the pass). Never
 * touches an implausible value. Pure.
 *
 * requires `readings`, `dataset`; provides `readings`.
 */
export const fixAnomalies = Step.make({
  name: "fix_anomalies",
  requires: { readings: Schema.Array(Reading), dataset: DatasetInfo },
  provides: { readings: Schema.Array(Reading) },
  run: ({ dataset, readings }) => {
    const series = normalize(readings)
    const fixed = series.map((r, i): Reading => {
      if (r.value !== null) return r
      const neighbours = [series[i - 1]?.value ?? null, series[i + 1]?.value ?? null]
        .filter((v): v is number => inRange(v, dataset.range))
      return neighbours.length === 0 ? r : { at: r.at, value: round(neighbours.reduce((a, b) => a + b, 0) / neighbours.length) }
    })
    return Effect.succeed({ readings: fixed })
  }
})

/** The loop's body: a pass, then a new check. */
export const pass = Template.make({
  name: "pass",
  version: "1.0",
  steps: [fixAnomalies, check]
})

/**
 * Saves the cleaned readings as a new version of the dataset (retried,
 * 10 s timeout), if nobody saved another since it was loaded. Idempotent by
 * the step's key.
 *
 * requires `dataset`, `readings`; provides `verdict: "accepted"`,
 * `savedVersion`; fails with {@link VersionConflict}, {@link DatasetNotFound},
 * {@link StoreUnavailable}.
 */
export const saveDataset = Step.make({
  name: "save_dataset",
  requires: { dataset: DatasetInfo, readings: Schema.Array(Reading) },
  provides: { verdict: Schema.Literal("accepted"), savedVersion: Schema.Number },
  retry: backoff,
  timeout: "10 seconds",
  run: ({ dataset, readings }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const store = yield* DatasetStore
      const savedVersion = yield* store.save(dataset.id, readings, dataset.version, idempotencyKey)
      return { verdict: "accepted" as const, savedVersion }
    })
}).pipe(Step.retryOn("StoreUnavailable", "StepTimeout"))

/**
 * Sets the dataset aside and alerts someone, with its profile and the
 * anomalies left (retried, 10 s timeout). Idempotent by the step's key.
 *
 * requires `dataset`, `profile`, `anomalies`; provides
 * `verdict: "quarantined"`, `quarantineId`; fails with {@link AlertsUnavailable}.
 */
export const quarantineDataset = Step.make({
  name: "quarantine_dataset",
  requires: { dataset: DatasetInfo, profile: Profile, anomalies: Schema.Array(Anomaly) },
  provides: { verdict: Schema.Literal("quarantined"), quarantineId: Schema.String },
  retry: backoff,
  timeout: "10 seconds",
  run: ({ anomalies, dataset, profile }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const alerts = yield* QualityAlerts
      const report = { datasetId: dataset.id, version: dataset.version, sensor: dataset.sensor, profile, anomalies }
      return { verdict: "quarantined" as const, quarantineId: yield* alerts.quarantine(report, idempotencyKey) }
    })
}).pipe(Step.retryOn("AlertsUnavailable", "StepTimeout"))

/**
 * The data-quality template.
 *
 * requires `datasetId: string`; provides `dataset`, `readings`, `profile`,
 * `anomalies`, `verdict` (and `savedVersion` or `quarantineId`); needs
 * {@link DatasetStore}, {@link QualityAlerts}.
 */
export const template = build()

// ---------------------------------------------------------------------------
// rules
// ---------------------------------------------------------------------------

const inRange = (value: number | null, range: DatasetInfo["range"]): value is number =>
  value !== null && value >= range.min && value <= range.max

/** The readings sorted by time (stable), keeping the first reading of each timestamp. */
const normalize = (readings: ReadonlyArray<Reading>): ReadonlyArray<Reading> => {
  const seen = new Set<number>()
  return [...readings].sort((a, b) => a.at - b.at).filter((r) => !seen.has(r.at) && seen.add(r.at) !== undefined)
}

const round = (n: number) => Math.round(n * 100) / 100

/** Finds the anomalies of a series (see the module's table); pure. */
export const anomaliesOf = (readings: ReadonlyArray<Reading>, range: DatasetInfo["range"]): ReadonlyArray<Anomaly> => {
  const anomalies: Array<Anomaly> = []
  const seen = new Set<number>()
  readings.forEach((r, i) => {
    const previous = readings[i - 1]
    if (previous !== undefined && r.at < previous.at) {
      anomalies.push({ kind: "out_of_order", at: r.at, detail: `after ${previous.at}`, fixable: true })
    }
    if (seen.has(r.at)) anomalies.push({ kind: "duplicate", at: r.at, detail: "a second reading at this time", fixable: true })
    seen.add(r.at)
  })
  // missing and implausible values, on the series as a pass will see it
  const series = normalize(readings)
  series.forEach((r, i) => {
    if (r.value === null) {
      let first = i
      while (first > 0 && series[first - 1]!.value === null) first--
      let last = i
      while (last < series.length - 1 && series[last + 1]!.value === null) last++
      const fixable = inRange(series[first - 1]?.value ?? null, range) || inRange(series[last + 1]?.value ?? null, range)
      const gap = last - first + 1
      anomalies.push({ kind: "missing", at: r.at, detail: `in a gap of ${gap}`, fixable })
    } else if (!inRange(r.value, range)) {
      anomalies.push({
        kind: "out_of_range",
        at: r.at,
        detail: `${r.value} is outside ${range.min}..${range.max}`,
        fixable: false
      })
    }
  })
  return anomalies
}
