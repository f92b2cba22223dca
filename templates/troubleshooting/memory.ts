/**
 * In-memory services of the troubleshooting template: deterministic, with
 * injectable faults (`Testing.Faults`), for tests and demos. Each class is
 * the service Tag of `model.ts` with its `layerMemory`.
 *
 * @since 0.1.0
 */
import { Effect, Layer } from "effect"
import { Testing } from "weftjs"
import * as Model from "./model.js"

/**
 * Injected faults of the in-memory services, so tests can exercise retries
 * and timeouts.
 */
export type Faults = Testing.Faults

/** The knowledge base ({@link Model.KnowledgeBase}), with its in-memory layer. */
export class KnowledgeBase extends Model.KnowledgeBase {
  /** A knowledge base over a fixed list of causes. */
  static layerMemory(causes: ReadonlyArray<Model.KnownCause>, faults?: Faults): Layer.Layer<Model.KnowledgeBase> {
    return Layer.effect(
      Model.KnowledgeBase,
      Effect.map(Testing.faults(faults, () => new Model.KnowledgeBaseUnavailable()), (withFaults) => ({
        search: (keywords) =>
          withFaults(
            Effect.sync(() => causes.filter((cause) => Model.matchedKeywords(cause.keywords, keywords).length > 0))
          )
      }))
    )
  }
}

/** The diagnostics system ({@link Model.Diagnostics}), with its simulated layer. */
export class Diagnostics extends Model.Diagnostics {
  /**
   * Simulated diagnostics: `findings[equipmentId][diagnosticTest]` is the
   * evidence of the fault that test finds; every other test finds nothing.
   */
  static layerMemory(
    findings: Readonly<Record<string, Readonly<Record<string, string>>>>,
    faults?: Faults
  ): Layer.Layer<Model.Diagnostics> {
    return Layer.effect(
      Model.Diagnostics,
      Effect.map(Testing.faults(faults, () => new Model.DiagnosticsUnavailable()), (withFaults) => ({
        runTest: (equipmentId, diagnosticTest) =>
          withFaults(
            Effect.sync((): Model.Finding => {
              const evidence = findings[equipmentId]?.[diagnosticTest]
              return evidence === undefined
                ? { confirmed: false, evidence: `${diagnosticTest}: no fault found` }
                : { confirmed: true, evidence }
            })
          )
      }))
    )
  }
}
