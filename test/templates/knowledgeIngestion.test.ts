import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Testing } from "weftjs"
import { KnowledgeIngestion } from "../../templates/index.js"
import { expectTag, failingAttempts } from "./support.js"

const {
  extractContent,
  KnowledgeStore,
  SourceFetcher,
  storeKnowledge,
  structureKnowledge,
  validateQuality,
  validateSource
} = KnowledgeIngestion

const manual = [
  "\uFEFF# Reactor R-100 manual",
  "",
  "Operating guide for the R-100 batch reactor.",
  "",
  "## Start-up",
  "",
  "Open the **coolant valve** before heating. Ramp the temperature by at most 5 °C a minute",
  "to protect the [lining](https://example.com/lining).",
  "",
  "## Shutdown",
  "",
  "Hold the batch until the temperature falls below 60 °C, then vent the pressure slowly."
].join("\r\n")

const notes = [
  "The relief valve hisses when the pressure oscillates. Check its seat first.",
  "",
  "Thermocouples drift after about a year of service. Recalibrate them every spring."
].join("\n")

const faq = [
  "Title,Body",
  "Coolant valve,\"Open the coolant valve before heating, or the lining cracks.\"",
  "Relief line,\"Vent pressure slowly through the relief line, never through the \"\"sample\"\" port.\""
].join("\n")

const documents: Record<string, KnowledgeIngestion.Document> = {
  "doc-manual": { title: "R-100 manual", contentType: "text/markdown; charset=utf-8", content: manual },
  "doc-notes": { title: "Maintenance notes", contentType: "text/plain", content: notes },
  "doc-faq": { title: "Operator FAQ", contentType: "text/csv", content: faq },
  "doc-scan": { title: "Scanned drawing", contentType: "application/pdf", content: "%PDF-1.7" },
  "doc-huge": { title: "Log dump", contentType: "text/plain", content: "x".repeat(6 * 1024 * 1024) },
  "doc-blank": { title: "Blank", contentType: "text/plain", content: " \r\n\r\n " },
  "doc-stub": { title: "Stub", contentType: "text/markdown", content: "# Stub\n\nTo do.\n\n## Later\n\nMore to come." }
}

const fetcher = SourceFetcher.layerMemory(documents)

/** A validated source, as validate_source provides it. */
const sourceOf = (
  sourceId: string,
  contentType: KnowledgeIngestion.SupportedContentType
): KnowledgeIngestion.Source => ({
  sourceId,
  title: documents[sourceId]?.title ?? "",
  contentType,
  sizeBytes: 0
})

describe("validate_source", () => {
  it.effect("accepts a supported source of the declared type", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(validateSource, { sourceId: "doc-manual", contentType: "text/markdown" })).toEqual({
        source: {
          sourceId: "doc-manual",
          title: "R-100 manual",
          contentType: "text/markdown",
          sizeBytes: new TextEncoder().encode(manual).length
        }
      })
    }).pipe(Effect.provide(fetcher)))

  it.effect("an unknown source fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(validateSource, {
        sourceId: "doc-x",
        contentType: "text/plain"
      })
      expect(error).toEqual(new KnowledgeIngestion.SourceNotFound({ sourceId: "doc-x" }))
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(fetcher)))

  it.effect("a content type it cannot structure is unsupported", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.runStep(validateSource, { sourceId: "doc-scan", contentType: "application/pdf" })
      )
      expect(error).toEqual(
        new KnowledgeIngestion.UnsupportedContentType({ sourceId: "doc-scan", contentType: "application/pdf" })
      )
    }).pipe(Effect.provide(fetcher)))

  it.effect("a source of another type than declared is a mismatch", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.runStep(validateSource, { sourceId: "doc-manual", contentType: "text/plain" })
      )
      expect(error).toEqual(
        new KnowledgeIngestion.ContentTypeMismatch({
          sourceId: "doc-manual",
          declared: "text/plain",
          actual: "text/markdown"
        })
      )
    }).pipe(Effect.provide(fetcher)))

  it.effect("a source over 5 MB is too large", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.runStep(validateSource, { sourceId: "doc-huge", contentType: "text/plain" })
      )
      expect(expectTag(error, "SourceTooLarge").sizeBytes).toBe(6 * 1024 * 1024)
    }).pipe(Effect.provide(fetcher)))

  it.effect("an unreachable source system is retried, then fails after 3 retries", () =>
    Effect.gen(function*() {
      const input = { sourceId: "doc-notes", contentType: "text/plain" }
      const retried = yield* Testing.runStep(validateSource, input).pipe(
        Effect.provide(SourceFetcher.layerMemory(documents, { unavailableFor: 3 }))
      )
      expect(retried.source.title).toBe("Maintenance notes")
      const { attempts, error } = yield* failingAttempts(validateSource, input).pipe(
        Effect.provide(SourceFetcher.layerMemory(documents, { unavailableFor: 4 }))
      )
      expect(error).toBeInstanceOf(KnowledgeIngestion.SourceUnavailable)
      expect(attempts).toBe(4)
    }))
})

describe("extract_content", () => {
  it.effect("Markdown loses its byte-order mark, carriage returns and inline markup", () =>
    Effect.gen(function*() {
      const { rawText } = yield* Testing.runStep(extractContent, { source: sourceOf("doc-manual", "text/markdown") })
      expect(rawText).toContain("Open the coolant valve before heating.")
      expect(rawText).toContain("to protect the lining.")
      expect(rawText.startsWith("# Reactor R-100 manual\n")).toBe(true)
      expect(rawText).not.toMatch(/\r|\*\*|\]\(/)
    }).pipe(Effect.provide(fetcher)))

  it.effect("plain text is kept as it is", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(extractContent, { source: sourceOf("doc-notes", "text/plain") })).toEqual({
        rawText: notes
      })
    }).pipe(Effect.provide(fetcher)))

  it.effect("a source with no text fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(extractContent, {
        source: sourceOf("doc-blank", "text/plain")
      })
      expect(error).toEqual(new KnowledgeIngestion.EmptyContent({ sourceId: "doc-blank" }))
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(fetcher)))

  it.effect("an unreachable source system is retried", () =>
    Effect.gen(function*() {
      const { rawText } = yield* Testing.runStep(extractContent, { source: sourceOf("doc-notes", "text/plain") })
      expect(rawText).toBe(notes)
    }).pipe(Effect.provide(SourceFetcher.layerMemory(documents, { unavailableFor: 2 }))))
})

describe("structure_knowledge", () => {
  it.effect("Markdown: one item per heading with text under it", () =>
    Effect.gen(function*() {
      const { knowledgeItems } = yield* Testing.runStep(structureKnowledge, {
        source: sourceOf("doc-manual", "text/markdown"),
        rawText: "Intro text.\n# Start-up\n\nOpen the valve first, then heat.\n## Empty\n## Shutdown\nVent slowly."
      })
      expect(knowledgeItems).toEqual([
        { title: "R-100 manual", body: "Intro text.", keywords: ["intro"] },
        { title: "Start-up", body: "Open the valve first, then heat.", keywords: ["valve", "first"] },
        { title: "Shutdown", body: "Vent slowly.", keywords: ["slowly"] }
      ])
    }))

  it.effect("plain text: one item per paragraph, titled by its first sentence", () =>
    Effect.gen(function*() {
      const { knowledgeItems } = yield* Testing.runStep(structureKnowledge, {
        source: sourceOf("doc-notes", "text/plain"),
        rawText: notes
      })
      expect(knowledgeItems.map((item) => item.title)).toEqual([
        "The relief valve hisses when the pressure oscillates.",
        "Thermocouples drift after about a year of service."
      ])
      expect(knowledgeItems[1]?.keywords).toEqual(["thermocouples", "drift", "service", "recalibrate", "spring"])
    }))

  it.effect("CSV: one item per row of its title and body columns", () =>
    Effect.gen(function*() {
      const { knowledgeItems } = yield* Testing.runStep(structureKnowledge, {
        source: sourceOf("doc-faq", "text/csv"),
        rawText: faq
      })
      expect(knowledgeItems.map(({ body, title }) => ({ title, body }))).toEqual([
        { title: "Coolant valve", body: "Open the coolant valve before heating, or the lining cracks." },
        {
          title: "Relief line",
          body: "Vent pressure slowly through the relief line, never through the \"sample\" port."
        }
      ])
    }))

  it.effect("CSV without title and body columns is unstructured", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(structureKnowledge, {
        source: sourceOf("doc-faq", "text/csv"),
        rawText: "question,answer\nWhy?,Because."
      })
      expect(error).toEqual(
        new KnowledgeIngestion.UnstructuredContent({
          sourceId: "doc-faq",
          reason: "the header has no \"title\" and \"body\" columns (question, answer)"
        })
      )
      expect(attempts).toBe(1)
    }))

  it.effect("Markdown of headings only holds no items", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(structureKnowledge, {
        source: sourceOf("doc-manual", "text/markdown"),
        rawText: "# One\n## Two"
      }))
      expect(error).toEqual(
        new KnowledgeIngestion.UnstructuredContent({ sourceId: "doc-manual", reason: "it holds no items" })
      )
    }))
})

describe("validate_quality", () => {
  const good = (title: string): KnowledgeIngestion.KnowledgeItem => ({
    title,
    body: "Vent the pressure slowly through the relief line after every batch.",
    keywords: ["pressure", "relief"]
  })

  it.effect("items without issues score 1", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(validateQuality, { knowledgeItems: [good("a"), good("b")] })).toEqual({
        qualityReport: { score: 1, itemCount: 2, issues: [] }
      })
    }))

  it.effect("a few issues are reported without failing", () =>
    Effect.gen(function*() {
      const items = [good("a"), good("b"), good("c"), good("d"), good("a")]
      expect(yield* Testing.runStep(validateQuality, { knowledgeItems: items })).toEqual({
        qualityReport: { score: 0.8, itemCount: 5, issues: ["\"a\" appears twice"] }
      })
    }))

  it.effect("too many issues fail at once with all of them", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(validateQuality, {
        knowledgeItems: [good("a"), { title: "stub", body: "To do.", keywords: [] }]
      })
      expect(error).toEqual(
        new KnowledgeIngestion.LowQuality({
          score: 0.5,
          minScore: 0.8,
          issues: ["\"stub\" is too short (6 characters)", "\"stub\" has no keywords"]
        })
      )
      expect(attempts).toBe(1)
    }))
})

describe("store_knowledge", () => {
  const state = {
    source: sourceOf("doc-faq", "text/csv"),
    knowledgeItems: [
      { title: "Coolant valve", body: "Open it before heating.", keywords: ["coolant"] },
      { title: "Relief line", body: "Vent slowly.", keywords: ["relief"] }
    ]
  }
  const itemsOf = (sourceId: string) => Effect.flatMap(KnowledgeStore, (store) => store.itemsOf(sourceId))

  it.effect("stores the items of the source", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(storeKnowledge, state)).toEqual({ storedItemIds: ["doc-faq#1", "doc-faq#2"] })
      expect((yield* itemsOf("doc-faq")).map((item) => item.title)).toEqual(["Coolant valve", "Relief line"])
    }).pipe(Effect.provide(KnowledgeStore.layerMemory())))

  it.effect("storing a source again replaces its items", () =>
    Effect.gen(function*() {
      yield* Testing.runStep(storeKnowledge, state)
      const [first] = state.knowledgeItems
      expect(yield* Testing.runStep(storeKnowledge, { ...state, knowledgeItems: first ? [first] : [] })).toEqual({
        storedItemIds: ["doc-faq#1"]
      })
      expect(yield* itemsOf("doc-faq")).toHaveLength(1)
    }).pipe(Effect.provide(KnowledgeStore.layerMemory())))

  it.effect("an unreachable store is retried, then fails after 3 retries", () =>
    Effect.gen(function*() {
      const retried = yield* Testing.runStep(storeKnowledge, state).pipe(
        Effect.provide(KnowledgeStore.layerMemory({ unavailableFor: 3 }))
      )
      expect(retried.storedItemIds).toHaveLength(2)
      const { attempts, error } = yield* failingAttempts(storeKnowledge, state).pipe(
        Effect.provide(KnowledgeStore.layerMemory({ unavailableFor: 4 }))
      )
      expect(error).toBeInstanceOf(KnowledgeIngestion.KnowledgeStoreUnavailable)
      expect(attempts).toBe(4)
    }))
})

describe("the knowledge_ingestion template", () => {
  const services = Layer.merge(fetcher, KnowledgeStore.layerMemory())

  it("declares what it requires and provides; rawText is local", () => {
    const { template } = KnowledgeIngestion
    expect(template.requiredState).toEqual(["sourceId", "contentType"])
    expect(template.providedState).toEqual(["source", "knowledgeItems", "qualityReport", "storedItemIds"])
    expect(template.local).toEqual(["rawText"])
  })

  it.effect("is valid", () => KnowledgeIngestion.template.validate())

  it.effect("ingests a Markdown manual, and drops the raw text at the end", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(KnowledgeIngestion.template, {
        sourceId: "doc-manual",
        contentType: "text/markdown"
      })
      expect(result.trace.map((entry) => entry.status)).toEqual(Array(5).fill("completed"))
      expect(result.state.knowledgeItems.map((item) => item.title)).toEqual([
        "Reactor R-100 manual",
        "Start-up",
        "Shutdown"
      ])
      expect(result.state.qualityReport).toEqual({ score: 1, itemCount: 3, issues: [] })
      expect(result.state.storedItemIds).toEqual(["doc-manual#1", "doc-manual#2", "doc-manual#3"])
      expect("rawText" in result.state).toBe(false)
      // @ts-expect-error rawText is local to the template: not in its type either
      expect(result.state.rawText).toBeUndefined()
    }).pipe(Effect.provide(services)))

  it.effect("a document of poor quality is not stored", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.runTemplate(KnowledgeIngestion.template, { sourceId: "doc-stub", contentType: "text/markdown" })
      )
      expect(error).toBeInstanceOf(KnowledgeIngestion.LowQuality)
      expect(yield* Effect.flatMap(KnowledgeStore, (store) => store.itemsOf("doc-stub"))).toEqual([])
    }).pipe(Effect.provide(services)))
})
