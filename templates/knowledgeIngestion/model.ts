/**
 * The model of the knowledge-ingestion template: the Schemas of the state it
 * reads and writes, its typed errors, and the services it needs (their
 * in-memory fakes are in `memory.ts`).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import { Context, Data, Schema } from "effect"

// ---------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------

/** The content types this template can structure. */
export const SupportedContentType = Schema.Literal("text/markdown", "text/plain", "text/csv")
export type SupportedContentType = typeof SupportedContentType.Type

/** A source that passed validation. */
export const Source = Schema.Struct({
  sourceId: Schema.String,
  title: Schema.String,
  contentType: SupportedContentType,
  sizeBytes: Schema.Number
})
export type Source = typeof Source.Type

/** One unit of knowledge: a titled passage with its main keywords. */
export const KnowledgeItem = Schema.Struct({
  title: Schema.String,
  body: Schema.String,
  keywords: Schema.Array(Schema.String)
})
export type KnowledgeItem = typeof KnowledgeItem.Type

/**
 * The outcome of the quality check: the share of items without issues, and
 * the issues found.
 */
export const QualityReport = Schema.Struct({
  score: Schema.Number,
  itemCount: Schema.Number,
  issues: Schema.Array(Schema.String)
})
export type QualityReport = typeof QualityReport.Type

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/** No source has this id. */
export class SourceNotFound extends Data.TaggedError("SourceNotFound")<{
  readonly sourceId: string
}> {
  override get message() {
    return `Source "${this.sourceId}" does not exist`
  }
}

/** The source's content type is not one this template can structure. */
export class UnsupportedContentType extends Data.TaggedError("UnsupportedContentType")<{
  readonly sourceId: string
  readonly contentType: string
}> {
  override get message() {
    return `Source "${this.sourceId}" is ${this.contentType}; supported: ${SupportedContentType.literals.join(", ")}`
  }
}

/** The source is not of the content type the caller declared. */
export class ContentTypeMismatch extends Data.TaggedError("ContentTypeMismatch")<{
  readonly sourceId: string
  readonly declared: string
  readonly actual: string
}> {
  override get message() {
    return `Source "${this.sourceId}" was declared ${this.declared} but is ${this.actual}`
  }
}

/** The source is larger than the ingestion limit. */
export class SourceTooLarge extends Data.TaggedError("SourceTooLarge")<{
  readonly sourceId: string
  readonly sizeBytes: number
  readonly maxBytes: number
}> {
  override get message() {
    return `Source "${this.sourceId}" is ${this.sizeBytes} bytes, over the ${this.maxBytes} byte limit`
  }
}

/** The source holds no text once extracted. */
export class EmptyContent extends Data.TaggedError("EmptyContent")<{
  readonly sourceId: string
}> {
  override get message() {
    return `Source "${this.sourceId}" holds no text`
  }
}

/** The text could not be cut into knowledge items. */
export class UnstructuredContent extends Data.TaggedError("UnstructuredContent")<{
  readonly sourceId: string
  readonly reason: string
}> {
  override get message() {
    return `Source "${this.sourceId}" could not be structured: ${this.reason}`
  }
}

/** Too many items have issues to be worth storing. */
export class LowQuality extends Data.TaggedError("LowQuality")<{
  readonly score: number
  readonly minScore: number
  readonly issues: ReadonlyArray<string>
}> {
  override get message() {
    return `Quality score ${this.score} is below ${this.minScore}: ${this.issues.join("; ")}`
  }
}

/** The source system could not be reached (transient: retried). */
export class SourceUnavailable extends Data.TaggedError("SourceUnavailable")<{}> {}

/** The knowledge store could not be reached (transient: retried). */
export class KnowledgeStoreUnavailable extends Data.TaggedError("KnowledgeStoreUnavailable")<{}> {}

// ---------------------------------------------------------------------------
// services
// ---------------------------------------------------------------------------

/** What a source system says about a document before fetching it. */
export interface SourceInfo {
  readonly sourceId: string
  readonly title: string
  /** As the source system reports it, e.g. `text/markdown; charset=utf-8`. */
  readonly contentType: string
  readonly sizeBytes: number
}

/** The source system: describes and fetches documents. */
export class SourceFetcher extends Context.Tag("weft-templates/SourceFetcher")<SourceFetcher, {
  readonly describe: (sourceId: string) => Effect.Effect<SourceInfo, SourceNotFound | SourceUnavailable>
  readonly fetch: (sourceId: string) => Effect.Effect<string, SourceNotFound | SourceUnavailable>
}>() {}

/** A {@link KnowledgeItem} as stored, with its id and source. */
export interface StoredItem extends KnowledgeItem {
  readonly itemId: string
  readonly sourceId: string
}

/**
 * The knowledge store. `replaceSource` replaces every item of a source, so
 * ingesting a source twice (a retry, a re-run after a crash, a new version of
 * the document) never duplicates anything.
 */
export class KnowledgeStore extends Context.Tag("weft-templates/KnowledgeStore")<KnowledgeStore, {
  /** Stores the items of a source in place of its previous ones; returns their ids. */
  readonly replaceSource: (
    sourceId: string,
    items: ReadonlyArray<KnowledgeItem>
  ) => Effect.Effect<ReadonlyArray<string>, KnowledgeStoreUnavailable>
  readonly itemsOf: (sourceId: string) => Effect.Effect<ReadonlyArray<StoredItem>, KnowledgeStoreUnavailable>
}>() {}
