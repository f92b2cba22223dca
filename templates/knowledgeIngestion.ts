/**
 * Knowledge ingestion: fetch a document, cut it into knowledge items, check
 * their quality and store them.
 *
 * ```text
 * validate_source → extract_content → structure_knowledge → validate_quality → store_knowledge
 * ```
 *
 * - **requires** `sourceId`, `contentType` (`text/markdown`, `text/plain` or `text/csv`)
 * - **provides** `source`, `knowledgeItems`, `qualityReport`, `storedItemIds`
 * - **local** `rawText`: the extracted text lives only while the template runs;
 *   it is dropped at the end and is not part of the template's type
 * - **services** {@link SourceFetcher}, {@link KnowledgeStore}
 *   (each with a deterministic `layerMemory` for tests and demos)
 * - **errors** {@link SourceNotFound}, {@link UnsupportedContentType},
 *   {@link ContentTypeMismatch}, {@link SourceTooLarge}, {@link EmptyContent},
 *   {@link UnstructuredContent}, {@link LowQuality}, and the services'
 *   `*Unavailable` errors once their retries are spent
 *
 * @since 0.1.0
 */
import { Context, Data, Effect, HashMap, Layer, Option, Ref, Schedule, Schema } from "effect"
import { Errors, Step, Template } from "weftjs"
import { type Faults, withFaults } from "./faults.js"

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

/**
 * Injected faults of the in-memory services, so tests can exercise retries
 * and timeouts.
 */
export type { Faults } from "./faults.js"

/** What a source system says about a document before fetching it. */
export interface SourceInfo {
  readonly sourceId: string
  readonly title: string
  /** As the source system reports it, e.g. `text/markdown; charset=utf-8`. */
  readonly contentType: string
  readonly sizeBytes: number
}

/** A document of {@link SourceFetcher.layerMemory}. */
export interface Document {
  readonly title: string
  readonly contentType: string
  readonly content: string
}

/** The source system: describes and fetches documents. */
export class SourceFetcher extends Context.Tag("weft-templates/SourceFetcher")<SourceFetcher, {
  readonly describe: (sourceId: string) => Effect.Effect<SourceInfo, SourceNotFound | SourceUnavailable>
  readonly fetch: (sourceId: string) => Effect.Effect<string, SourceNotFound | SourceUnavailable>
}>() {
  /** A source system over a fixed set of documents. */
  static layerMemory(documents: Readonly<Record<string, Document>>, faults?: Faults): Layer.Layer<SourceFetcher> {
    return Layer.effect(
      SourceFetcher,
      Effect.map(Ref.make(0), (calls) => {
        const find = (sourceId: string) =>
          Option.fromNullable(documents[sourceId]).pipe(Effect.mapError(() => new SourceNotFound({ sourceId })))
        const call = <A>(effect: Effect.Effect<A, SourceNotFound>) =>
          withFaults(calls, faults, () => new SourceUnavailable(), effect)
        return {
          describe: (sourceId) =>
            call(Effect.map(find(sourceId), ({ content, contentType, title }) => ({
              sourceId,
              title,
              contentType,
              sizeBytes: new TextEncoder().encode(content).length
            }))),
          fetch: (sourceId) => call(Effect.map(find(sourceId), (document) => document.content))
        }
      })
    )
  }
}

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
}>() {
  /** An in-memory store, empty at first. */
  static layerMemory(faults?: Faults): Layer.Layer<KnowledgeStore> {
    return Layer.effect(
      KnowledgeStore,
      Effect.gen(function*() {
        const calls = yield* Ref.make(0)
        const sources = yield* Ref.make(HashMap.empty<string, ReadonlyArray<StoredItem>>())
        return {
          replaceSource: (sourceId, items) =>
            withFaults(
              calls,
              faults,
              () => new KnowledgeStoreUnavailable(),
              Effect.gen(function*() {
                const stored: ReadonlyArray<StoredItem> = items.map((item, i) => ({
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

// ---------------------------------------------------------------------------
// policy and rules
// ---------------------------------------------------------------------------

/** Whether an error may heal by itself, so another attempt is worth it. */
const isTransient = (error: unknown): boolean =>
  error instanceof SourceUnavailable ||
  error instanceof KnowledgeStoreUnavailable ||
  error instanceof Errors.StepTimeout

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for transient errors
 * only: a domain error such as `LowQuality` fails the step at once.
 */
const retryTransient = Schedule.exponential("1 second").pipe(
  Schedule.intersect(Schedule.recurs(3)),
  Schedule.whileInput(isTransient)
)

/** The largest source ingested: 5 MB. */
const maxSourceBytes = 5 * 1024 * 1024

/** Items shorter than this are flagged as too short. */
const minBodyLength = 40

/** The share of issue-free items a source needs to be stored. */
const minQualityScore = 0.8

/** How many keywords each item keeps. */
const keywordsPerItem = 5

/** Words too common to be keywords. */
const stopWords = new Set([
  "about", "after", "again", "before", "being", "could", "every", "other", "should", "their", "there", "these",
  "which", "while", "would"
])

/** `text/markdown; charset=utf-8` → `text/markdown`. */
const mediaType = (contentType: string) => (contentType.split(";")[0] ?? "").trim().toLowerCase()

const isSupported = Schema.is(SupportedContentType)

/** Markdown without its inline markup: links and images keep their text, emphasis and code lose their marks. */
const stripInlineMarkdown = (text: string) =>
  text
    .replace(/<!--[\s\S]*?-->/g, "")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/(\*\*|__)(.+?)\1/g, "$2")
    .replace(/(\*|_)(.+?)\1/g, "$2")
    .replace(/`([^`]*)`/g, "$1")

/** The most frequent words of a text (5+ letters, no common words), first seen first on ties. */
const keywordsOf = (text: string): ReadonlyArray<string> => {
  const counts = new Map<string, number>()
  for (const word of text.toLowerCase().split(/[^a-z]+/)) {
    if (word.length >= 5 && !stopWords.has(word)) counts.set(word, (counts.get(word) ?? 0) + 1)
  }
  return Array.from(counts).sort((a, b) => b[1] - a[1]).slice(0, keywordsPerItem).map(([word]) => word)
}

const item = (title: string, body: string): KnowledgeItem => ({ title, body, keywords: keywordsOf(body) })

/** Markdown: one item per heading with text under it; text before the first heading is titled after the source. */
const markdownItems = (text: string, sourceTitle: string): ReadonlyArray<KnowledgeItem> => {
  const sections: Array<{ title: string; lines: Array<string> }> = [{ title: sourceTitle, lines: [] }]
  for (const line of text.split("\n")) {
    const heading = /^#{1,6}\s+(.*)$/.exec(line)
    if (heading !== null) sections.push({ title: (heading[1] ?? "").trim(), lines: [] })
    else sections[sections.length - 1]?.lines.push(line)
  }
  return sections
    .map((section) => item(section.title, section.lines.join("\n").trim()))
    .filter((section) => section.body !== "")
}

/** Plain text: one item per paragraph, titled by its first sentence. */
const plainItems = (text: string): ReadonlyArray<KnowledgeItem> =>
  text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph !== "")
    .map((paragraph) => {
      const firstSentence = paragraph.split(/(?<=[.!?])\s/)[0] ?? paragraph
      return item(firstSentence.length > 60 ? `${firstSentence.slice(0, 57)}...` : firstSentence, paragraph)
    })

/** One CSV line into fields; `"` quotes a field, `""` is a quote inside one. */
const csvFields = (line: string): Array<string> => {
  const fields: Array<string> = []
  let field = ""
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if (quoted && c === "\"" && line[i + 1] === "\"") {
      field += "\""
      i++
    } else if (c === "\"") {
      quoted = !quoted
    } else if (c === "," && !quoted) {
      fields.push(field.trim())
      field = ""
    } else {
      field += c
    }
  }
  fields.push(field.trim())
  return fields
}

/** CSV with a `title` and a `body` column: one item per row. */
const csvItems = (text: string): ReadonlyArray<KnowledgeItem> | string => {
  const [header, ...rows] = text.split("\n").filter((line) => line.trim() !== "")
  const columns = csvFields(header ?? "").map((column) => column.toLowerCase())
  const titleAt = columns.indexOf("title")
  const bodyAt = columns.indexOf("body")
  if (titleAt < 0 || bodyAt < 0) return `the header has no "title" and "body" columns (${columns.join(", ")})`
  return rows.map(csvFields).map((fields) => item(fields[titleAt] ?? "", fields[bodyAt] ?? ""))
}

// ---------------------------------------------------------------------------
// steps
// ---------------------------------------------------------------------------

/**
 * Asks the source system about the source, and checks that it is of the
 * declared, supported content type and not too large (retried, 10 s timeout).
 *
 * requires `sourceId`, `contentType`; provides `source`; fails with
 * {@link SourceNotFound}, {@link UnsupportedContentType},
 * {@link ContentTypeMismatch}, {@link SourceTooLarge}, {@link SourceUnavailable}.
 */
export const validateSource = Step.make({
  name: "validate_source",
  requires: { sourceId: Schema.String, contentType: Schema.String },
  provides: { source: Source },
  retry: retryTransient,
  timeout: "10 seconds",
  run: ({ contentType, sourceId }) =>
    Effect.gen(function*() {
      const fetcher = yield* SourceFetcher
      const info = yield* fetcher.describe(sourceId)
      const declared = mediaType(contentType)
      const actual = mediaType(info.contentType)
      if (!isSupported(actual)) return yield* new UnsupportedContentType({ sourceId, contentType: actual })
      if (declared !== actual) return yield* new ContentTypeMismatch({ sourceId, declared, actual })
      if (info.sizeBytes > maxSourceBytes) {
        return yield* new SourceTooLarge({ sourceId, sizeBytes: info.sizeBytes, maxBytes: maxSourceBytes })
      }
      return { source: { sourceId, title: info.title, contentType: actual, sizeBytes: info.sizeBytes } }
    })
})

/**
 * Fetches the source and extracts its text: one kind of line ending, no
 * byte-order mark and, for Markdown, no inline markup (retried, 30 s timeout).
 *
 * requires `source`; provides `rawText` (local to the template); fails with
 * {@link EmptyContent}, {@link SourceNotFound}, {@link SourceUnavailable}.
 */
export const extractContent = Step.make({
  name: "extract_content",
  requires: { source: Source },
  provides: { rawText: Schema.String },
  retry: retryTransient,
  timeout: "30 seconds",
  run: ({ source }) =>
    Effect.gen(function*() {
      const fetcher = yield* SourceFetcher
      const content = yield* fetcher.fetch(source.sourceId)
      const text = content.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n")
      const rawText = (source.contentType === "text/markdown" ? stripInlineMarkdown(text) : text).trim()
      if (rawText === "") return yield* new EmptyContent({ sourceId: source.sourceId })
      return { rawText }
    })
})

/**
 * Cuts the text into knowledge items by content type: Markdown by heading,
 * plain text by paragraph, CSV by row (`title` and `body` columns), each
 * with its five most frequent words as keywords. Pure: no retry.
 *
 * requires `source`, `rawText`; provides `knowledgeItems`; fails with
 * {@link UnstructuredContent}.
 */
export const structureKnowledge = Step.make({
  name: "structure_knowledge",
  requires: { source: Source, rawText: Schema.String },
  provides: { knowledgeItems: Schema.Array(KnowledgeItem) },
  retry: Schedule.stop,
  run: ({ rawText, source }) =>
    Effect.gen(function*() {
      const { sourceId } = source
      const items = source.contentType === "text/markdown"
        ? markdownItems(rawText, source.title)
        : source.contentType === "text/plain"
        ? plainItems(rawText)
        : csvItems(rawText)
      if (typeof items === "string") return yield* new UnstructuredContent({ sourceId, reason: items })
      if (items.length === 0) return yield* new UnstructuredContent({ sourceId, reason: "it holds no items" })
      return { knowledgeItems: items }
    })
})

/**
 * Flags items that are too short (under 40 characters), have no keywords or
 * repeat a title, and fails when fewer than 80 % of the items are free of
 * issues. Pure: no retry.
 *
 * requires `knowledgeItems`; provides `qualityReport`; fails with
 * {@link LowQuality}.
 */
export const validateQuality = Step.make({
  name: "validate_quality",
  requires: { knowledgeItems: Schema.Array(KnowledgeItem) },
  provides: { qualityReport: QualityReport },
  retry: Schedule.stop,
  run: ({ knowledgeItems }) =>
    Effect.gen(function*() {
      const issues: Array<string> = []
      const titles = new Set<string>()
      let clean = 0
      for (const { body, keywords, title } of knowledgeItems) {
        const found: Array<string> = []
        if (body.length < minBodyLength) found.push(`"${title}" is too short (${body.length} characters)`)
        if (keywords.length === 0) found.push(`"${title}" has no keywords`)
        if (titles.has(title)) found.push(`"${title}" appears twice`)
        titles.add(title)
        issues.push(...found)
        if (found.length === 0) clean++
      }
      const score = knowledgeItems.length === 0 ? 0 : Math.round((clean / knowledgeItems.length) * 100) / 100
      if (score < minQualityScore) return yield* new LowQuality({ score, minScore: minQualityScore, issues })
      return { qualityReport: { score, itemCount: knowledgeItems.length, issues } }
    })
})

/**
 * Stores the items in place of the source's previous ones (retried, 10 s
 * timeout). Idempotent by construction: a retry or a re-run replaces the
 * same items again.
 *
 * requires `source`, `knowledgeItems`; provides `storedItemIds`; fails with
 * {@link KnowledgeStoreUnavailable}.
 */
export const storeKnowledge = Step.make({
  name: "store_knowledge",
  requires: { source: Source, knowledgeItems: Schema.Array(KnowledgeItem) },
  provides: { storedItemIds: Schema.Array(Schema.String) },
  retry: retryTransient,
  timeout: "10 seconds",
  run: ({ knowledgeItems, source }) =>
    Effect.gen(function*() {
      const store = yield* KnowledgeStore
      return { storedItemIds: yield* store.replaceSource(source.sourceId, knowledgeItems) }
    })
})

// ---------------------------------------------------------------------------
// template
// ---------------------------------------------------------------------------

/**
 * The knowledge-ingestion template.
 *
 * requires `sourceId: string`, `contentType: string`; provides `source`,
 * `knowledgeItems`, `qualityReport`, `storedItemIds` (`rawText` is local);
 * needs {@link SourceFetcher}, {@link KnowledgeStore}.
 */
export const template = Template.make({
  name: "knowledge_ingestion",
  version: "1.0",
  local: ["rawText"],
  steps: [validateSource, extractContent, structureKnowledge, validateQuality, storeKnowledge]
})
