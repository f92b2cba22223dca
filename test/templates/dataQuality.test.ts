import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Errors, Testing } from "weftjs"
import { DataQuality } from "../../templates/index.js"
import { expectTag, failingAttempts } from "./support.js"

const {
  check,
  DatasetStore,
  findAnomalies,
  fixAnomalies,
  loadDataset,
  profile,
  QualityAlerts,
  quarantineDataset,
  saveDataset
} = DataQuality

type Reading = DataQuality.Reading

const range = { min: -40, max: 125 }
const seeded = (readings: ReadonlyArray<Reading>): DataQuality.StoredDataset => ({ sensor: "t-1", unit: "°C", range, readings })
const info = (id: string, version = 1): DataQuality.DatasetInfo => ({ id, version, sensor: "t-1", unit: "°C", range })

/** Readings at 0, 1, 2, ... with these values. */
const series = (...values: ReadonlyArray<number | null>): ReadonlyArray<Reading> => values.map((value, at) => ({ at, value }))

const clean = series(20, 21, 22, 23, 24, 25)

/** Out of order (1 after 2), a duplicate at 4, and a gap of three missing values (1 to 3). */
const messy: ReadonlyArray<Reading> = [
  { at: 0, value: 20 },
  { at: 2, value: null },
  { at: 1, value: null },
  { at: 3, value: null },
  { at: 4, value: 24 },
  { at: 4, value: 30 },
  { at: 5, value: 25 }
]

/** An implausible value no pass can fix, next to a missing one a pass can. */
const implausible = series(20, 999, null, 23)

const datasets = {
  clean: seeded(clean),
  messy: seeded(messy),
  implausible: seeded(implausible),
  // a gap of 5 at the end fills from one edge, one value per pass: 5 passes
  gap5: seeded(series(20, null, null, null, null, null)),
  // a gap of 6 needs 6 passes, one more than allowed
  gap6: seeded(series(20, null, null, null, null, null, null))
}

const store = DatasetStore.layerMemory(datasets)
const services = Layer.merge(store, QualityAlerts.layerMemory())
const load = (id: string) => Effect.flatMap(DatasetStore, (s) => s.load(id))
const quarantined = Effect.flatMap(QualityAlerts, (alerts) => alerts.quarantined)

describe("load_dataset", () => {
  it.effect("loads the dataset's metadata and readings", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(loadDataset, { datasetId: "messy" })).toEqual({ dataset: info("messy"), readings: messy })
    }).pipe(Effect.provide(store)))

  it.effect("an unknown dataset fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(loadDataset, { datasetId: "nope" })
      expect(error).toEqual(new DataQuality.DatasetNotFound({ datasetId: "nope" }))
      expect(error.message).toBe(`No dataset "nope"`)
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(store)))

  it.effect("an unreachable store is retried", () =>
    Effect.gen(function*() {
      expect((yield* Testing.runStep(loadDataset, { datasetId: "clean" })).readings).toEqual(clean)
    }).pipe(Effect.provide(DatasetStore.layerMemory(datasets, { unavailableFor: 3 }))))

  it.effect("a store that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(loadDataset, { datasetId: "clean" })
      expect(error).toBeInstanceOf(DataQuality.StoreUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(DatasetStore.layerMemory(datasets, { unavailableFor: 100 }))))

  it.effect("a store slower than 10 s times out", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(loadDataset, { datasetId: "clean" }))
      expect(error).toBeInstanceOf(Errors.StepTimeout)
    }).pipe(Effect.provide(DatasetStore.layerMemory(datasets, { latency: "11 seconds" }))))
})

describe("profile", () => {
  it.effect("counts the readings and the missing ones; min, max and mean of the values present", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(profile, { readings: series(20, null, 21, 23.5) })).toEqual({
        profile: { count: 4, missing: 1, min: 20, max: 23.5, mean: 21.5 }
      })
    }))

  it.effect("a series without values has no min, max or mean", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(profile, { readings: series(null, null) })).toEqual({
        profile: { count: 2, missing: 2, min: null, max: null, mean: null }
      })
      expect((yield* Testing.runStep(profile, { readings: [] })).profile.count).toBe(0)
    }))
})

describe("find_anomalies", () => {
  it.effect("a clean series has none", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(findAnomalies, { readings: clean, dataset: info("clean") })).toEqual({ anomalies: [] })
    }))

  it.effect("finds readings out of order, duplicates and missing values, all fixable", () =>
    Effect.gen(function*() {
      const { anomalies } = yield* Testing.runStep(findAnomalies, { readings: messy, dataset: info("messy") })
      expect(anomalies).toEqual([
        { kind: "out_of_order", at: 1, detail: "after 2", fixable: true },
        { kind: "duplicate", at: 4, detail: "a second reading at this time", fixable: true },
        { kind: "missing", at: 1, detail: "in a gap of 3", fixable: true },
        { kind: "missing", at: 2, detail: "in a gap of 3", fixable: true },
        { kind: "missing", at: 3, detail: "in a gap of 3", fixable: true }
      ])
    }))

  it.effect("an implausible value is not fixable, nor a gap bordered only by implausible values or nothing", () =>
    Effect.gen(function*() {
      const { anomalies } = yield* Testing.runStep(findAnomalies, {
        readings: series(999, null, null, -50),
        dataset: info("x")
      })
      expect(anomalies.map((a) => [a.kind, a.at, a.fixable])).toEqual([
        ["out_of_range", 0, false],
        ["missing", 1, false],
        ["missing", 2, false],
        ["out_of_range", 3, false]
      ])
      expect(anomalies[0]?.detail).toBe("999 is outside -40..125")
      const empty = yield* Testing.runStep(findAnomalies, { readings: series(null), dataset: info("x") })
      expect(empty.anomalies).toEqual([{ kind: "missing", at: 0, detail: "in a gap of 1", fixable: false }])
    }))
})

describe("fix_anomalies", () => {
  it.effect("one pass sorts, drops later duplicates, and fills the missing values next to a plausible one", () =>
    Effect.gen(function*() {
      const { readings } = yield* Testing.runStep(fixAnomalies, { readings: messy, dataset: info("messy") })
      // 1 is filled from 0 (20), 3 from 4 (24); 2 has no value beside it yet
      expect(readings).toEqual([
        { at: 0, value: 20 },
        { at: 1, value: 20 },
        { at: 2, value: null },
        { at: 3, value: 24 },
        { at: 4, value: 24 },
        { at: 5, value: 25 }
      ])
      const second = yield* Testing.runStep(fixAnomalies, { readings, dataset: info("messy") })
      expect(second.readings[2]).toEqual({ at: 2, value: 22 })
    }))

  it.effect("never touches an implausible value, nor fills from one", () =>
    Effect.gen(function*() {
      const { readings } = yield* Testing.runStep(fixAnomalies, { readings: series(999, null, 21), dataset: info("x") })
      expect(readings).toEqual(series(999, 21, 21))
    }))

  it.effect("leaves a clean series as it is", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(fixAnomalies, { readings: clean, dataset: info("clean") })).toEqual({ readings: clean })
    }))
})

describe("check", () => {
  it.effect("profiles the series and finds its anomalies", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(check, { readings: implausible, dataset: info("implausible") })
      expect(result.state.profile).toEqual({ count: 4, missing: 1, min: 20, max: 999, mean: 347.33 })
      expect(result.state.anomalies.map((a) => [a.kind, a.fixable])).toEqual([["out_of_range", false], ["missing", true]])
    }))
})

describe("save_dataset", () => {
  it.effect("saves the readings as the next version", () =>
    Effect.gen(function*() {
      const readings = series(1, 2, 3)
      expect(yield* Testing.runStep(saveDataset, { dataset: info("clean"), readings })).toEqual({
        verdict: "accepted",
        savedVersion: 2
      })
      expect(yield* load("clean")).toEqual({ info: info("clean", 2), readings })
    }).pipe(Effect.provide(store)))

  it.effect("a dataset saved by someone else since it was loaded is a conflict, not retried", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(saveDataset, { dataset: info("clean", 0), readings: clean })
      expect(error).toEqual(new DataQuality.VersionConflict({ datasetId: "clean", expected: 0, actual: 1 }))
      expect(attempts).toBe(1)
      expect((yield* load("clean")).info.version).toBe(1)
    }).pipe(Effect.provide(store)))

  it.effect("a lost reply is retried with the same key: saved once, not a conflict with itself", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(saveDataset, { dataset: info("clean"), readings: series(7) })).toEqual({
        verdict: "accepted",
        savedVersion: 2
      })
      expect((yield* load("clean")).info.version).toBe(2)
    }).pipe(Effect.provide(DatasetStore.layerMemory(datasets, { lostAcks: 2 }))))

  it.effect("a store that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(saveDataset, { dataset: info("clean"), readings: clean })
      expect(error).toBeInstanceOf(DataQuality.StoreUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(DatasetStore.layerMemory(datasets, { unavailableFor: 100 }))))
})

describe("quarantine_dataset", () => {
  const input = {
    dataset: info("implausible"),
    profile: { count: 4, missing: 0, min: 20, max: 999, mean: 265.75 },
    anomalies: [{ kind: "out_of_range" as const, at: 1, detail: "999 is outside -40..125", fixable: false }]
  }

  it.effect("sets the dataset aside with its profile and what is left, and alerts", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(quarantineDataset, input)).toEqual({ verdict: "quarantined", quarantineId: "q-0001" })
      expect(yield* quarantined).toEqual([{
        datasetId: "implausible",
        version: 1,
        sensor: "t-1",
        profile: input.profile,
        anomalies: input.anomalies,
        quarantineId: "q-0001"
      }])
    }).pipe(Effect.provide(QualityAlerts.layerMemory())))

  it.effect("a lost reply is retried with the same key: quarantined once", () =>
    Effect.gen(function*() {
      expect((yield* Testing.runStep(quarantineDataset, input)).quarantineId).toBe("q-0001")
      expect(yield* quarantined).toHaveLength(1)
    }).pipe(Effect.provide(QualityAlerts.layerMemory({ lostAcks: 1 }))))

  it.effect("a sink that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(quarantineDataset, input)
      expect(error).toBeInstanceOf(DataQuality.AlertsUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(QualityAlerts.layerMemory({ unavailableFor: 100 }))))
})

describe("the data quality template", () => {
  const { template } = DataQuality

  it("declares what it requires and provides", () => {
    expect(template.requiredState).toEqual(["datasetId"])
    expect(template.providedState).toEqual(
      expect.arrayContaining(["dataset", "readings", "profile", "anomalies", "verdict", "savedVersion", "quarantineId"])
    )
  })

  it.effect("is valid", () => template.validate())

  it.effect("a clean dataset needs no pass: accepted and saved as it is", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(template, { datasetId: "clean" })
      expect(result.trace.map((e) => [e.step, e.status])).toEqual([
        ["load_dataset", "completed"],
        ["check/profile", "completed"],
        ["check/find_anomalies", "completed"],
        ["verdict/then", "completed"],
        ["verdict/then/save_dataset", "completed"]
      ])
      expect(result.state.verdict).toBe("accepted")
      expect(result.state.savedVersion).toBe(2)
      expect(yield* quarantined).toEqual([])
    }).pipe(Effect.provide(services)))

  it.effect("a messy dataset is fixed in two passes, re-checked after each, then accepted and saved", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(template, { datasetId: "messy" })
      expect(result.trace.map((e) => e.step)).toEqual([
        "load_dataset",
        "check/profile",
        "check/find_anomalies",
        "clean/1/fix_anomalies",
        "clean/1/check/profile",
        "clean/1/check/find_anomalies",
        "clean/2/fix_anomalies",
        "clean/2/check/profile",
        "clean/2/check/find_anomalies",
        "verdict/then",
        "verdict/then/save_dataset"
      ])
      const fixed = series(20, 20, 22, 24, 24, 25)
      expect(result.state.readings).toEqual(fixed)
      expect(result.state.anomalies).toEqual([])
      expect(result.state.profile).toEqual({ count: 6, missing: 0, min: 20, max: 25, mean: 22.5 })
      expect(result.state.verdict).toBe("accepted")
      expect(yield* load("messy")).toEqual({ info: info("messy", 2), readings: fixed })
    }).pipe(Effect.provide(services)))

  it.effect("what no pass can fix is quarantined, with the profile of the fixed series; nothing is saved", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(template, { datasetId: "implausible" })
      expect(result.trace.map((e) => e.step).filter((step) => !step.startsWith("clean/1/"))).toEqual([
        "load_dataset",
        "check/profile",
        "check/find_anomalies",
        "verdict/else",
        "verdict/else/quarantine_dataset"
      ])
      expect(result.trace.some((e) => e.step.startsWith("clean/2/"))).toBe(false)
      expect(result.state.verdict).toBe("quarantined")
      expect(result.state.quarantineId).toBe("q-0001")
      expect(result.state.savedVersion).toBeUndefined()
      const reports = yield* quarantined
      expect(reports.map((r) => [r.datasetId, r.anomalies.map((a) => a.kind), r.profile.missing])).toEqual([
        ["implausible", ["out_of_range"], 0]
      ])
      expect((yield* load("implausible")).info.version).toBe(1)
    }).pipe(Effect.provide(services)))

  it.effect("a gap that takes exactly the 5 passes allowed is filled", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(template, { datasetId: "gap5" })
      expect(result.trace.filter((e) => e.step.endsWith("/fix_anomalies"))).toHaveLength(5)
      expect(result.state.readings).toEqual(series(20, 20, 20, 20, 20, 20))
      expect(result.state.verdict).toBe("accepted")
    }).pipe(Effect.provide(services)))

  it.effect("a gap that needs more passes than allowed stops the loop at its limit: LoopLimitExceeded", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runTemplate(template, { datasetId: "gap6" }))
      const exceeded = expectTag(error, "LoopLimitExceeded")
      expect(exceeded).toBeInstanceOf(Errors.LoopLimitExceeded)
      expect(exceeded).toMatchObject({ loop: "clean", maxIterations: DataQuality.maxPasses })
      expect((yield* load("gap6")).info.version).toBe(1)
      expect(yield* quarantined).toEqual([])
    }).pipe(Effect.provide(services)))

  it.effect("an unknown dataset fails the run before any check", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runTemplate(template, { datasetId: "nope" }))
      expect(error).toEqual(new DataQuality.DatasetNotFound({ datasetId: "nope" }))
    }).pipe(Effect.provide(services)))
})
