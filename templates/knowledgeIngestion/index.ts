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
 * This file reads top-down: the template, then its steps in flow order, then
 * the rules they apply. The Schemas, errors and service Tags are in
 * `model.ts`, the in-memory services in `memory.ts`.
 *
 * @since 0.1.0
 */
import { Effect, Schedule, Schema } from "effect"
import { Step, Template } from "weftjs"
import {
  ContentTypeMismatch,
  EmptyContent,
  KnowledgeItem,
  KnowledgeStore,
  LowQuality,
  QualityReport,
  Source,
  SourceFetcher,
  SourceTooLarge,
  SupportedContentType,
  UnstructuredContent,
  UnsupportedContentType
} from "./model.js"

export * from "./model.js"
export * from "./memory.js"
// the service Tags with their in-memory layers (`SourceFetcher.layerMemory`, ...)
export { KnowledgeStore, SourceFetcher } from "./memory.js"

// ---------------------------------------------------------------------------
// the template
// ---------------------------------------------------------------------------

/**
 * The knowledge-ingestion template: five steps, defined below in this order;
 * `rawText` is local to it.
 * ({@link template} is built from it at the end of the steps, once they exist.)
 */
function build() {
  return Template.make({
    name: "knowledge_ingestion",
    version: "1.0",
    local: ["rawText"],
    steps: [validateSource, extractContent, structureKnowledge, validateQuality, storeKnowledge]
  })
}

// ---------------------------------------------------------------------------
// steps, in flow order
// ---------------------------------------------------------------------------

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for the errors each step
 * lists with `Step.retryOn` (its services' `*Unavailable`, `StepTimeout`):
 * a domain error such as `LowQuality` fails the step at once.
 */
const backoff = Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))

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
  retry: backoff,
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
}).pipe(Step.retryOn("SourceUnavailable", "StepTimeout"))

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
  retry: backoff,
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
}).pipe(Step.retryOn("SourceUnavailable", "StepTimeout"))

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
  retry: backoff,
  timeout: "10 seconds",
  run: ({ knowledgeItems, source }) =>
    Effect.gen(function*() {
      const store = yield* KnowledgeStore
      return { storedItemIds: yield* store.replaceSource(source.sourceId, knowledgeItems) }
    })
}).pipe(Step.retryOn("KnowledgeStoreUnavailable", "StepTimeout"))

/**
 * The knowledge-ingestion template.
 *
 * requires `sourceId: string`, `contentType: string`; provides `source`,
 * `knowledgeItems`, `qualityReport`, `storedItemIds` (`rawText` is local);
 * needs {@link SourceFetcher}, {@link KnowledgeStore}.
 */
export const template = build()

// ---------------------------------------------------------------------------
// rules
// ---------------------------------------------------------------------------

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
