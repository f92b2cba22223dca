/**
 * In-memory services of the data-quality template: deterministic, with
 * injectable faults (`Testing.Faults`), for tests and demos. Each class is
 * the service Tag of `model.ts` with its `layerMemory`.
 *
 * @since 0.1.0
 */
import { Effect, HashMap, Layer, Option, Ref } from "effect"
import { Testing } from "weftjs"
import * as Model from "./model.js"

/**
 * Injected faults of the in-memory services, so tests can exercise retries
 * and timeouts. `lostAcks` applies to writes: the first `n` writes are made
 * but their calls fail anyway, as when a reply is lost.
 */
export type Faults = Testing.Faults

/** A dataset as the in-memory store is seeded with. */
export interface StoredDataset {
  readonly sensor: string
  readonly unit: string
  readonly range: { readonly min: number; readonly max: number }
  readonly readings: ReadonlyArray<Model.Reading>
}

/** The dataset store ({@link Model.DatasetStore}), with its in-memory layer. */
export class DatasetStore extends Model.DatasetStore {
  /** An in-memory store seeded with `datasets`, each at version 1; read what it holds back with `load`. */
  static layerMemory(
    datasets: Readonly<Record<string, StoredDataset>>,
    options?: Faults
  ): Layer.Layer<Model.DatasetStore> {
    return Layer.effect(
      Model.DatasetStore,
      Effect.gen(function*() {
        const unavailable = () => new Model.StoreUnavailable()
        // every call may be down or slow; only a write may lose its reply
        const withFaults = yield* Testing.faults({ ...options, lostAcks: 0 }, unavailable)
        const withLostAcks = yield* Testing.faults({ lostAcks: options?.lostAcks }, unavailable)
        const store = yield* Ref.make(HashMap.fromIterable(
          Object.entries(datasets).map(([id, d]): readonly [string, StoredDataset & { readonly version: number }] => [
            id,
            { ...d, version: 1 }
          ])
        ))
        const saved = yield* Ref.make(HashMap.empty<string, number>())
        const find = (datasetId: string) =>
          Effect.flatMap(Ref.get(store), (all) =>
            Option.match(HashMap.get(all, datasetId), {
              onNone: () => Effect.fail(new Model.DatasetNotFound({ datasetId })),
              onSome: Effect.succeed
            }))
        return {
          load: (datasetId) =>
            withFaults(
              Effect.map(find(datasetId), (d) => ({
                info: { id: datasetId, version: d.version, sensor: d.sensor, unit: d.unit, range: d.range },
                readings: d.readings
              }))
            ),
          save: (datasetId, readings, expectedVersion, key) =>
            withFaults(withLostAcks(
              Effect.gen(function*() {
                const before = HashMap.get(yield* Ref.get(saved), key)
                if (Option.isSome(before)) return before.value
                const current = yield* find(datasetId)
                if (current.version !== expectedVersion) {
                  return yield* new Model.VersionConflict({ datasetId, expected: expectedVersion, actual: current.version })
                }
                const version = current.version + 1
                yield* Ref.update(store, HashMap.set(datasetId, { ...current, version, readings }))
                yield* Ref.update(saved, HashMap.set(key, version))
                return version
              })
            ))
        }
      })
    )
  }
}

/** The quarantine and alert sink ({@link Model.QualityAlerts}), with its in-memory layer. */
export class QualityAlerts extends Model.QualityAlerts {
  /** An in-memory sink: it records what it is sent. */
  static layerMemory(options?: Faults): Layer.Layer<Model.QualityAlerts> {
    return Layer.effect(
      Model.QualityAlerts,
      Effect.gen(function*() {
        const withFaults = yield* Testing.faults(options, () => new Model.AlertsUnavailable())
        const reports = yield* Ref.make<ReadonlyArray<Model.QuarantineReport & { readonly quarantineId: string }>>([])
        const byKey = yield* Ref.make(HashMap.empty<string, string>())
        return {
          quarantine: (report, key) =>
            withFaults(
              Effect.gen(function*() {
                const before = HashMap.get(yield* Ref.get(byKey), key)
                if (Option.isSome(before)) return before.value
                const quarantineId = `q-${String((yield* Ref.get(reports)).length + 1).padStart(4, "0")}`
                yield* Ref.update(reports, (all) => [...all, { ...report, quarantineId }])
                yield* Ref.update(byKey, HashMap.set(key, quarantineId))
                return quarantineId
              })
            ),
          quarantined: Ref.get(reports)
        }
      })
    )
  }
}
