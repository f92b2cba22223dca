/**
 * In-memory services of the process-control template: deterministic, with
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
 * and timeouts.
 */
export type Faults = Testing.Faults

/** The equipment registry ({@link Model.EquipmentRegistry}), with its in-memory layer. */
export class EquipmentRegistry extends Model.EquipmentRegistry {
  /** A registry over a fixed table of equipment. */
  static layerMemory(
    equipment: Readonly<Record<string, Model.EquipmentInfo>>,
    faults?: Faults
  ): Layer.Layer<Model.EquipmentRegistry> {
    return Layer.effect(
      Model.EquipmentRegistry,
      Effect.map(Testing.faults(faults, () => new Model.RegistryUnavailable()), (withFaults) => ({
        lookup: (equipmentId) =>
          withFaults(
            Option.fromNullable(equipment[equipmentId]).pipe(
              Effect.mapError(() => new Model.EquipmentNotFound({ equipmentId }))
            )
          )
      }))
    )
  }
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

/** The process controller ({@link Model.ProcessController}), with its simulated layer. */
export class ProcessController extends Model.ProcessController {
  /** A simulated controller: batches finish at once, measured as setpoint plus drift. */
  static layerMemory(
    equipment: Readonly<Record<string, SimulatedEquipment>> = {},
    faults?: Faults
  ): Layer.Layer<Model.ProcessController> {
    return Layer.effect(
      Model.ProcessController,
      Effect.gen(function*() {
        const withFaults = yield* Testing.faults(faults, () => new Model.ControllerUnavailable())
        const batches = yield* Ref.make(HashMap.empty<string, Model.Measurements>())
        const simulate = ({ batchKey, equipmentId, params }: Model.BatchRequest) =>
          Effect.gen(function*() {
            const done = yield* Ref.get(batches)
            const previous = HashMap.get(done, batchKey)
            if (Option.isSome(previous)) return previous.value
            const behaviour = equipment[equipmentId] ?? {}
            if (behaviour.hangs === true) return yield* Effect.never
            if (behaviour.fault !== undefined) {
              return yield* Effect.fail(new Model.ProcessFault({ equipmentId, code: behaviour.fault }))
            }
            const temperature = params.temperature + (behaviour.drift?.temperature ?? 0)
            const measurements: Model.Measurements = {
              batchId: `batch-${HashMap.size(done) + 1}`,
              temperature,
              peakTemperature: temperature + (behaviour.overshoot ?? 1),
              pressure: params.pressure + (behaviour.drift?.pressure ?? 0),
              duration: params.duration
            }
            yield* Ref.update(batches, HashMap.set(batchKey, measurements))
            return measurements
          })
        return { runBatch: (request) => withFaults(simulate(request)) }
      })
    )
  }
}

/** The records store ({@link Model.RecordsStore}), with its in-memory layer. */
export class RecordsStore extends Model.RecordsStore {
  /**
   * An in-memory store. `lostAcks: n` stores the first `n` appends but fails
   * them with `RecordsUnavailable`, as when a reply is lost on the network.
   */
  static layerMemory(faults?: Faults): Layer.Layer<Model.RecordsStore> {
    return Layer.effect(
      Model.RecordsStore,
      Effect.gen(function*() {
        const withFaults = yield* Testing.faults(faults, () => new Model.RecordsUnavailable())
        const records = yield* Ref.make<ReadonlyArray<Model.StoredRecord & { readonly key: string }>>([])
        const store = (record: Model.ProcessRecord, key: string) =>
          Effect.gen(function*() {
            const existing = (yield* Ref.get(records)).find((stored) => stored.key === key)
            const recordId = existing?.recordId ?? `rec-${(yield* Ref.get(records)).length + 1}`
            if (existing === undefined) yield* Ref.update(records, (all) => [...all, { ...record, recordId, key }])
            return recordId
          })
        return {
          append: (record, key) => withFaults(store(record, key)),
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
