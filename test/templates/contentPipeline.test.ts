import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { Errors, Testing } from "weftjs"
import { ContentPipeline } from "../../templates/index.js"
import { expectTag, failingAttempts } from "./support.js"

const { checkBrief, LlmClient, Publisher, publish, reviewDraft, writeDraft, writeOutline } = ContentPipeline

const brief: ContentPipeline.Brief = {
  topic: "Durable workflows",
  audience: "platform engineers",
  keywords: ["checkpoints", "idempotency", "retries"],
  targetWords: 300,
  author: "Ada"
}

const outline: ContentPipeline.Outline = {
  title: "Durable workflows: a guide for platform engineers",
  sections: [
    "Why Durable workflows matters",
    "Checkpoints in practice",
    "Idempotency in practice",
    "Retries in practice",
    "Next steps"
  ]
}

/** A draft in the shape the deterministic model writes: a title, then each section with this paragraph. */
const draftOf = (sections: ReadonlyArray<string>, paragraph: string): ContentPipeline.Draft => {
  const body = [`# ${outline.title}`, ...sections.flatMap((section) => ["", `## ${section}`, "", paragraph])].join("\n")
  const wordCount = sections.length * paragraph.split(" ").length
  return { title: outline.title, body, wordCount }
}

/** 60 words that use every keyword. */
const sixtyWords = Array.from(
  { length: 20 },
  (_, i) => ["checkpoints", "idempotency", "retries"][i % 3] + " keep going"
).join(" ")

const goodDraft = draftOf(outline.sections, sixtyWords) // 5 × 60 = 300 words

const llm = LlmClient.layerMemory()

/** A model that always answers `text`. */
const answering = (text: string) => LlmClient.layerMemory({ respond: () => text })

describe("check_brief", () => {
  it.effect("derives the slug from the topic", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(checkBrief, { brief })).toEqual({ slug: "durable-workflows" })
      const accented = { ...brief, topic: "  Café  culture: 10 ideas, déjà vu! " }
      expect(yield* Testing.runStep(checkBrief, { brief: accented })).toEqual({ slug: "cafe-culture-10-ideas-deja-vu" })
    }))

  it.effect("a topic without words is an invalid brief, not retried", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(checkBrief, { brief: { ...brief, topic: " !? " } })
      expect(expectTag(error, "InvalidBrief").reason).toBe("empty-topic")
      expect(attempts).toBe(1)
    }))

  it.effect("a brief needs a keyword", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(checkBrief, { brief: { ...brief, keywords: [" "] } }))
      expect(expectTag(error, "InvalidBrief").reason).toBe("no-keywords")
    }))

  it.effect("a length outside 100 to 5000 words, or not whole, is invalid", () =>
    Effect.gen(function*() {
      for (const targetWords of [99, 5001, 250.5]) {
        const error = yield* Effect.flip(Testing.runStep(checkBrief, { brief: { ...brief, targetWords } }))
        expect(expectTag(error, "InvalidBrief").detail).toContain(`targetWords is ${targetWords}`)
      }
      expect(yield* Testing.runStep(checkBrief, { brief: { ...brief, targetWords: 5000 } })).toHaveProperty("slug")
    }))
})

describe("write_outline", () => {
  it.effect("asks the model for an outline and parses it", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(writeOutline, { brief })).toEqual({ outline })
    }).pipe(Effect.provide(llm)))

  it.effect("sends the brief in the prompt", () =>
    Effect.gen(function*() {
      const requests: Array<ContentPipeline.Completion> = []
      const recording = LlmClient.layerMemory({
        respond: (request) => {
          requests.push(request)
          return ContentPipeline.deterministicModel(request)
        }
      })
      yield* Testing.runStep(writeOutline, { brief }).pipe(Effect.provide(recording))
      expect(requests).toHaveLength(1)
      expect(requests[0]?.prompt).toBe([
        "Task: outline",
        "Topic: Durable workflows",
        "Audience: platform engineers",
        "Keywords: checkpoints, idempotency, retries",
        "Length: 300 words"
      ].join("\n"))
    }))

  it.effect("tolerates blank lines and stray text around the outline", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(writeOutline, { brief })
      expect(out.outline).toEqual({ title: "Plan", sections: ["One", "Two"] })
    }).pipe(Effect.provide(answering("\n  # Plan\nHere it is:\n- One\n\n- Two\n"))))

  it.effect("an unreachable model is retried", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(writeOutline, { brief })).toEqual({ outline })
    }).pipe(Effect.provide(LlmClient.layerMemory({ unavailableFor: 3 }))))

  it.effect("a model that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(writeOutline, { brief })
      expect(error).toBeInstanceOf(ContentPipeline.LlmUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(LlmClient.layerMemory({ unavailableFor: 100 }))))

  it.effect("a model slower than 30 s times out, each attempt", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(writeOutline, { brief })
      expect(error).toBeInstanceOf(Errors.StepTimeout)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(LlmClient.layerMemory({ latency: "31 seconds" }))))

  it.effect("a refusal fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(writeOutline, { brief })
      expect(error).toEqual(new ContentPipeline.LlmRefused({ reason: `the request mentions "idempotency"` }))
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(LlmClient.layerMemory({ refuse: ["Idempotency"] }))))

  it.effect("an answer without a title is malformed, not retried", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(writeOutline, { brief })
      expect(error).toEqual(
        new ContentPipeline.MalformedCompletion({ task: "outline", detail: "it does not start with a `# title` line" })
      )
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(answering("Sure! Here is an outline:\n- One\n- Two"))))

  it.effect("an outline needs 2 to 8 sections", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(writeOutline, { brief }))
      expect(expectTag(error, "MalformedCompletion").detail).toBe("it has 1 section(s); 2 to 8 are needed")
    }).pipe(Effect.provide(answering("# Title\n- Only one"))))
})

describe("write_draft", () => {
  it.effect("writes every section of the outline, to about the length asked for", () =>
    Effect.gen(function*() {
      const { draft } = yield* Testing.runStep(writeDraft, { brief, outline })
      expect(draft.title).toBe(outline.title)
      expect(draft.body.split("\n").filter((line) => line.startsWith("## "))).toEqual(
        outline.sections.map((section) => `## ${section}`)
      )
      expect(draft.wordCount).toBeGreaterThanOrEqual(300)
      expect(draft.wordCount).toBeLessThan(360)
    }).pipe(Effect.provide(llm)))

  it.effect("counts the words of the text, not of the headings", () =>
    Effect.gen(function*() {
      const { draft } = yield* Testing.runStep(writeDraft, { brief, outline })
      expect(draft).toEqual({ title: "T", body: "# T\n\n## A heading\n\nfour words of text.", wordCount: 4 })
    }).pipe(Effect.provide(answering("  # T\n\n## A heading\n\nfour words of text.\n"))))

  it.effect("an unreachable model is retried", () =>
    Effect.gen(function*() {
      const { draft } = yield* Testing.runStep(writeDraft, { brief, outline })
      expect(draft.title).toBe(outline.title)
    }).pipe(Effect.provide(LlmClient.layerMemory({ unavailableFor: 2 }))))

  it.effect("a model slower than 2 minutes times out", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(writeDraft, { brief, outline }))
      expect(error).toBeInstanceOf(Errors.StepTimeout)
    }).pipe(Effect.provide(LlmClient.layerMemory({ latency: "3 minutes" }))))

  it.effect("a refusal fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(writeDraft, { brief, outline })
      expect(error).toBeInstanceOf(ContentPipeline.LlmRefused)
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(LlmClient.layerMemory({ refuse: ["Next steps"] }))))

  it.effect("a draft without a title, or without text, is malformed", () =>
    Effect.gen(function*() {
      const untitled = yield* Effect.flip(
        Testing.runStep(writeDraft, { brief, outline }).pipe(Effect.provide(answering("Some text")))
      )
      expect(expectTag(untitled, "MalformedCompletion").task).toBe("draft")
      const empty = yield* Effect.flip(
        Testing.runStep(writeDraft, { brief, outline }).pipe(Effect.provide(answering("# Title\n## Heading")))
      )
      expect(expectTag(empty, "MalformedCompletion").detail).toBe("it has no text")
    }))
})

describe("review_draft", () => {
  it.effect("lets a good draft through, with its reading time", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(reviewDraft, { brief, outline, draft: goodDraft })).toEqual({
        review: { wordCount: 300, readingMinutes: 2, warnings: [] }
      })
    }))

  it.effect("rejects a draft with every issue it finds, not retried", () =>
    Effect.gen(function*() {
      const paragraph = "checkpoints only, lorem ipsum"
      const draft = draftOf(["Why Durable workflows matters"], paragraph)
      const { attempts, error } = yield* failingAttempts(reviewDraft, { brief, outline, draft })
      expect(expectTag(error, "ReviewRejected").issues).toEqual([
        "too short: 4 words for 300 asked",
        `keyword "idempotency" is not used`,
        `keyword "retries" is not used`,
        `section "Checkpoints in practice" of the outline is missing`,
        `section "Idempotency in practice" of the outline is missing`,
        `section "Retries in practice" of the outline is missing`,
        `section "Next steps" of the outline is missing`,
        `banned phrase "lorem ipsum"`
      ])
      expect(attempts).toBe(1)
    }))

  it.effect("a draft more than half again too long is rejected", () =>
    Effect.gen(function*() {
      const draft = draftOf(outline.sections, `${sixtyWords} ${sixtyWords}`) // 600 words
      const error = yield* Effect.flip(Testing.runStep(reviewDraft, { brief, outline, draft }))
      expect(expectTag(error, "ReviewRejected").issues).toEqual(["too long: 600 words for 300 asked"])
    }))

  it.effect("a length off by more than a fifth, and long paragraphs, are remarks", () =>
    Effect.gen(function*() {
      const long = Array.from({ length: 8 }, () => sixtyWords).join(" ") // 480 words in one paragraph
      const draft = { ...draftOf(outline.sections, sixtyWords), wordCount: 400 }
      const withLong = { ...draft, body: `${draft.body}\n\n${long}` }
      const { review } = yield* Testing.runStep(reviewDraft, { brief, outline, draft: withLong })
      expect(review.warnings).toEqual(["long: 400 words for 300 asked", "1 paragraph(s) over 150 words"])
    }))
})

describe("publish", () => {
  const input = { slug: "durable-workflows", brief, draft: goodDraft, review: { wordCount: 300, readingMinutes: 2, warnings: [] } }

  it.effect("publishes the draft under its slug", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(publish, input)
      expect(out).toEqual({
        publication: { slug: "durable-workflows", url: "/articles/durable-workflows", publishedAt: 0 }
      })
      const articles = yield* Effect.flatMap(Publisher, (publisher) => publisher.articles)
      expect(articles.map(({ author, slug, title }) => ({ author, slug, title }))).toEqual([
        { author: "Ada", slug: "durable-workflows", title: outline.title }
      ])
    }).pipe(Effect.provide(Publisher.layerMemory())))

  it.effect("a lost reply is retried with the same key: published once", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(publish, input)
      expect(out.publication.url).toBe("/articles/durable-workflows")
      const articles = yield* Effect.flatMap(Publisher, (publisher) => publisher.articles)
      expect(articles).toHaveLength(1)
    }).pipe(Effect.provide(Publisher.layerMemory({ lostAcks: 2 }))))

  it.effect("a slug already taken fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(publish, input)
      expect(error).toEqual(new ContentPipeline.SlugTaken({ slug: "durable-workflows" }))
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(Publisher.layerMemory({ taken: ["durable-workflows"] }))))

  it.effect("a publisher that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(publish, input)
      expect(error).toBeInstanceOf(ContentPipeline.PublisherUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(Publisher.layerMemory({ unavailableFor: 100 }))))

  it.effect("a publisher slower than 10 s times out", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(publish, input))
      expect(error).toBeInstanceOf(Errors.StepTimeout)
    }).pipe(Effect.provide(Publisher.layerMemory({ latency: "11 seconds" }))))
})

describe("the deterministic model", () => {
  it("answers the same request the same way, and nothing it was not made for", () => {
    const request = ContentPipeline.draftRequest(brief, outline)
    expect(ContentPipeline.deterministicModel(request)).toBe(ContentPipeline.deterministicModel(request))
    expect(ContentPipeline.deterministicModel({ system: "", prompt: "Task: poem", maxWords: 10 })).toBe(
      `I can write outlines and drafts; "poem" is neither.`
    )
  })
})

describe("the content pipeline template", () => {
  const services = Layer.merge(llm, Publisher.layerMemory())

  it("declares what it requires and provides", () => {
    const { template } = ContentPipeline
    expect(template.requiredState).toEqual(["brief"])
    expect(template.providedState).toEqual(["slug", "outline", "draft", "review", "publication"])
  })

  it.effect("is valid", () => ContentPipeline.template.validate())

  it.effect("goes from a brief to a published article", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(ContentPipeline.template, { brief })
      expect(result.trace.map((entry) => [entry.step, entry.status])).toEqual([
        ["check_brief", "completed"],
        ["write_outline", "completed"],
        ["write_draft", "completed"],
        ["review_draft", "completed"],
        ["publish", "completed"]
      ])
      expect(result.state.outline).toEqual(outline)
      expect(result.state.review.warnings).toEqual([])
      expect(result.state.publication.url).toBe("/articles/durable-workflows")
      const articles = yield* Effect.flatMap(Publisher, (publisher) => publisher.articles)
      expect(articles.map((article) => article.body)).toEqual([result.state.draft.body])
    }).pipe(Effect.provide(services)))

  it.effect("a draft that fails review is not published", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runTemplate(ContentPipeline.template, { brief }))
      expect(expectTag(error, "ReviewRejected").issues).toContain(`banned phrase "todo"`)
      const articles = yield* Effect.flatMap(Publisher, (publisher) => publisher.articles)
      expect(articles).toEqual([])
    }).pipe(Effect.provide(Layer.merge(
      LlmClient.layerMemory({
        respond: (request) => `${ContentPipeline.deterministicModel(request)}\n\nTODO: add a conclusion.`
      }),
      Publisher.layerMemory()
    ))))

  it.effect("bad input is rejected before any step runs", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.runTemplate(ContentPipeline.template, JSON.parse(`{ "brief": { "topic": "x" } }`))
      )
      expect(expectTag(error, "InvalidInput").keys).toEqual([
        "brief.audience",
        "brief.keywords",
        "brief.targetWords",
        "brief.author"
      ])
    }).pipe(Effect.provide(services)))
})
