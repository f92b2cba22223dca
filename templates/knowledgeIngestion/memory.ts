/**
 * In-memory services of the knowledge-ingestion template: deterministic,
 * with injectable faults (`Testing.Faults`), for tests and demos. Each class
 * is the service Tag of `model.ts` with its `layerMemory`.
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

/** A document of {@link SourceFetcher.layerMemory}. */
export interface Document {
  readonly title: string
  readonly contentType: string
  readonly content: string
}

/** The source system ({@link Model.SourceFetcher}), with its in-memory layer. */
export class SourceFetcher extends Model.SourceFetcher {
  /** A source system over a fixed set of documents. */
  static layerMemory(documents: Readonly<Record<string, Document>>, faults?: Faults): Layer.Layer<Model.SourceFetcher> {
    return Layer.effect(
      Model.SourceFetcher,
      Effect.map(Testing.faults(faults, () => new Model.SourceUnavailable()), (withFaults) => {
        const find = (sourceId: string) =>
          Option.fromNullable(documents[sourceId]).pipe(Effect.mapError(() => new Model.SourceNotFound({ sourceId })))
        return {
          describe: (sourceId) =>
            withFaults(Effect.map(find(sourceId), ({ content, contentType, title }) => ({
              sourceId,
              title,
              contentType,
              sizeBytes: new TextEncoder().encode(content).length
            }))),
          fetch: (sourceId) => withFaults(Effect.map(find(sourceId), (document) => document.content))
        }
      })
    )
  }
}

/** The knowledge store ({@link Model.KnowledgeStore}), with its in-memory layer. */
export class KnowledgeStore extends Model.KnowledgeStore {
  /** An in-memory store, empty at first. */
  static layerMemory(faults?: Faults): Layer.Layer<Model.KnowledgeStore> {
    return Layer.effect(
      Model.KnowledgeStore,
      Effect.gen(function*() {
        const withFaults = yield* Testing.faults(faults, () => new Model.KnowledgeStoreUnavailable())
        const sources = yield* Ref.make(HashMap.empty<string, ReadonlyArray<Model.StoredItem>>())
        return {
          replaceSource: (sourceId, items) =>
            withFaults(
              Effect.gen(function*() {
                const stored: ReadonlyArray<Model.StoredItem> = items.map((item, i) => ({
                  ...item,
                  itemId: `${sourceId}#${i + 1}`,
                  sourceId
                }))
                yield* Ref.update(sources, HashMap.set(sourceId, stored))
                return stored.map((item) => item.itemId)
              })
            ),
          itemsOf: (sourceId) =>
            Effect.map(Ref.get(sources), (all) => Option.getOrElse(HashMap.get(all, sourceId), () => []))
        }
      })
    )
  }
}
