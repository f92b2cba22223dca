/**
 * Content pipeline: from an editorial brief to a published article, with an
 * AI model writing the outline and the draft, and rule-based review before
 * anything is published.
 *
 * ```text
 * check_brief → write_outline → write_draft → review_draft → publish
 *               (LLM)           (LLM)                         (idempotent)
 * ```
 *
 * - **requires** `brief`
 * - **provides** `slug`, `outline`, `draft`, `review`, `publication`
 * - **services** {@link LlmClient} (the AI steps go through it, never to a
 *   network directly), {@link Publisher}; each with a deterministic
 *   `layerMemory` for tests and demos
 * - **errors** {@link InvalidBrief}, {@link LlmRefused},
 *   {@link MalformedCompletion}, {@link ReviewRejected}, {@link SlugTaken},
 *   and {@link LlmUnavailable} / {@link PublisherUnavailable} once their
 *   retries are spent
 *
 * Publishing is at-least-once like every step (a crash in the middle of it
 * runs it again on resume): the step passes its idempotency key to the
 * publisher, which publishes once per key.
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
  Brief,
  type Completion,
  Draft,
  InvalidBrief,
  LlmClient,
  MalformedCompletion,
  Outline,
  Publication,
  Publisher,
  Review,
  ReviewRejected,
  wordsOf
} from "./model.js"

export * from "./model.js"
export * from "./memory.js"
// the service Tags with their in-memory layers (`LlmClient.layerMemory`, ...)
export { LlmClient, Publisher } from "./memory.js"

// ---------------------------------------------------------------------------
// the template
// ---------------------------------------------------------------------------

/**
 * The content-pipeline template: five steps, defined below in this order.
 * ({@link template} is built from it at the end of the steps, once they exist.)
 */
function build() {
  return Template.make({
    name: "content_pipeline",
    version: "1.0",
    steps: [checkBrief, writeOutline, writeDraft, reviewDraft, publish]
  })
}

// ---------------------------------------------------------------------------
// steps, in flow order
// ---------------------------------------------------------------------------

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for the errors each step
 * lists with `Step.retryOn` (its services' `*Unavailable`, `StepTimeout`):
 * a refusal or a failed review fails the step at once.
 */
const backoff = Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))

/**
 * Checks that the brief can be written to (a topic, at least one keyword, a
 * length of 100 to 5000 words) and derives the article's slug. Pure: no retry.
 *
 * requires `brief`; provides `slug`; fails with {@link InvalidBrief}.
 */
export const checkBrief = Step.make({
  name: "check_brief",
  requires: { brief: Brief },
  provides: { slug: Schema.String },
  retry: Schedule.stop,
  run: ({ brief }) =>
    Effect.gen(function*() {
      const slug = slugOf(brief.topic)
      if (slug.length === 0) {
        return yield* new InvalidBrief({ reason: "empty-topic", detail: `topic "${brief.topic}" has no words` })
      }
      if (brief.keywords.every((keyword) => keyword.trim().length === 0)) {
        return yield* new InvalidBrief({ reason: "no-keywords", detail: "give at least one keyword" })
      }
      const { targetWords } = brief
      if (!Number.isInteger(targetWords) || targetWords < minWords || targetWords > maxWords) {
        return yield* new InvalidBrief({
          reason: "target-words",
          detail: `targetWords is ${targetWords}, not a whole number from ${minWords} to ${maxWords}`
        })
      }
      return { slug }
    })
})

/**
 * Asks the model for an outline and parses it (retried, 30 s timeout).
 *
 * requires `brief`; provides `outline`; fails with {@link LlmRefused},
 * {@link MalformedCompletion}, {@link LlmUnavailable}.
 */
export const writeOutline = Step.make({
  name: "write_outline",
  requires: { brief: Brief },
  provides: { outline: Outline },
  retry: backoff,
  timeout: "30 seconds",
  run: ({ brief }) =>
    Effect.gen(function*() {
      const llm = yield* LlmClient
      const text = yield* llm.complete(outlineRequest(brief))
      const lines = text.split("\n").map((line) => line.trim()).filter((line) => line.length > 0)
      const title = lines[0]?.startsWith("# ") ? lines[0].slice(2).trim() : ""
      if (title.length === 0) {
        return yield* new MalformedCompletion({ task: "outline", detail: "it does not start with a `# title` line" })
      }
      const sections = lines.slice(1).filter((line) => line.startsWith("- ")).map((line) => line.slice(2).trim())
      if (sections.length < 2 || sections.length > 8) {
        return yield* new MalformedCompletion({
          task: "outline",
          detail: `it has ${sections.length} section(s); 2 to 8 are needed`
        })
      }
      return { outline: { title, sections } }
    })
}).pipe(Step.retryOn("LlmUnavailable", "StepTimeout"))

/**
 * Asks the model for the article, section by section of the outline
 * (retried, 2 min timeout).
 *
 * requires `brief`, `outline`; provides `draft`; fails with
 * {@link LlmRefused}, {@link MalformedCompletion}, {@link LlmUnavailable}.
 */
export const writeDraft = Step.make({
  name: "write_draft",
  requires: { brief: Brief, outline: Outline },
  provides: { draft: Draft },
  retry: backoff,
  timeout: "2 minutes",
  run: ({ brief, outline }) =>
    Effect.gen(function*() {
      const llm = yield* LlmClient
      const body = (yield* llm.complete(draftRequest(brief, outline))).trim()
      const first = body.split("\n")[0] ?? ""
      if (!first.startsWith("# ")) {
        return yield* new MalformedCompletion({ task: "draft", detail: "it does not start with a `# title` line" })
      }
      const wordCount = wordsOf(body.split("\n").filter((line) => !line.startsWith("#")).join(" ")).length
      if (wordCount === 0) return yield* new MalformedCompletion({ task: "draft", detail: "it has no text" })
      return { draft: { title: first.slice(2).trim(), body, wordCount } }
    })
}).pipe(Step.retryOn("LlmUnavailable", "StepTimeout"))

/**
 * Reviews the draft by rule, with no model: its length (within half of the
 * length asked for), every keyword used, every section of the outline
 * present, no banned phrase. What fails blocks publication; a length off by
 * more than a fifth, and paragraphs over 150 words, are remarks. Pure: no retry.
 *
 * requires `brief`, `outline`, `draft`; provides `review`; fails with
 * {@link ReviewRejected}.
 */
export const reviewDraft = Step.make({
  name: "review_draft",
  requires: { brief: Brief, outline: Outline, draft: Draft },
  provides: { review: Review },
  retry: Schedule.stop,
  run: ({ brief, draft, outline }) =>
    Effect.gen(function*() {
      const issues: Array<string> = []
      const warnings: Array<string> = []
      const text = draft.body.toLowerCase()
      const off = (draft.wordCount - brief.targetWords) / brief.targetWords
      const length = `${draft.wordCount} words for ${brief.targetWords} asked`
      if (Math.abs(off) > lengthTolerance.reject) issues.push(`${off < 0 ? "too short" : "too long"}: ${length}`)
      else if (Math.abs(off) > lengthTolerance.warn) warnings.push(`${off < 0 ? "short" : "long"}: ${length}`)
      for (const keyword of brief.keywords) {
        if (!text.includes(keyword.toLowerCase())) issues.push(`keyword "${keyword}" is not used`)
      }
      const headings = new Set(
        draft.body.split("\n").filter((line) => line.startsWith("## ")).map((line) => line.slice(3).trim())
      )
      for (const section of outline.sections) {
        if (!headings.has(section)) issues.push(`section "${section}" of the outline is missing`)
      }
      for (const phrase of bannedPhrases) {
        if (text.includes(phrase)) issues.push(`banned phrase "${phrase}"`)
      }
      const paragraphs = draft.body.split(/\n\s*\n/).filter((p) => !p.startsWith("#"))
      const long = paragraphs.filter((p) => wordsOf(p).length > longParagraph).length
      if (long > 0) warnings.push(`${long} paragraph(s) over ${longParagraph} words`)
      if (issues.length > 0) return yield* new ReviewRejected({ issues })
      return {
        review: { wordCount: draft.wordCount, readingMinutes: Math.max(1, Math.round(draft.wordCount / readingSpeed)), warnings }
      }
    })
})

/**
 * Publishes the reviewed draft under its slug (retried, 10 s timeout). The
 * step's idempotency key goes to the publisher, so a retry or a re-run after
 * a crash publishes once.
 *
 * requires `slug`, `brief`, `draft`, `review`; provides `publication`; fails
 * with {@link SlugTaken}, {@link PublisherUnavailable}.
 */
export const publish = Step.make({
  name: "publish",
  requires: { slug: Schema.String, brief: Brief, draft: Draft, review: Review },
  provides: { publication: Publication },
  retry: backoff,
  timeout: "10 seconds",
  run: ({ brief, draft, slug }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const publisher = yield* Publisher
      const article = { slug, title: draft.title, author: brief.author, body: draft.body }
      return { publication: yield* publisher.publish(article, idempotencyKey) }
    })
}).pipe(Step.retryOn("PublisherUnavailable", "StepTimeout"))

/**
 * The content-pipeline template.
 *
 * requires `brief: Brief`; provides `slug`, `outline`, `draft`, `review`,
 * `publication`; needs {@link LlmClient}, {@link Publisher}.
 */
export const template = build()

// ---------------------------------------------------------------------------
// prompts
// ---------------------------------------------------------------------------

const briefLines = (brief: Brief): ReadonlyArray<string> => [
  `Topic: ${brief.topic}`,
  `Audience: ${brief.audience}`,
  `Keywords: ${brief.keywords.join(", ")}`,
  `Length: ${brief.targetWords} words`
]

/** The request {@link writeOutline} sends to the model. */
export const outlineRequest = (brief: Brief): Completion => ({
  system: "You are an editor. Answer with an outline only: a first line `# <title>`, " +
    "then one line `- <section heading>` per section, 3 to 6 sections.",
  prompt: ["Task: outline", ...briefLines(brief)].join("\n"),
  maxWords: 80
})

/** The request {@link writeDraft} sends to the model. */
export const draftRequest = (brief: Brief, outline: Outline): Completion => ({
  system: "You are a writer. Answer in Markdown: the title as `# <title>`, then each section of the " +
    "outline as `## <heading>` followed by its paragraphs. Use every keyword.",
  prompt: [
    "Task: draft",
    ...briefLines(brief),
    `Title: ${outline.title}`,
    "Sections:",
    ...outline.sections.map((section) => `- ${section}`)
  ].join("\n"),
  maxWords: Math.ceil(brief.targetWords * 1.5)
})

// ---------------------------------------------------------------------------
// rules
// ---------------------------------------------------------------------------

/** The length a brief may ask for, in words. */
const minWords = 100
const maxWords = 5000

/** How far a draft may stray from the length asked for: blocking, and worth a remark. */
const lengthTolerance = { reject: 0.5, warn: 0.2 } as const

/** Phrases that must never be published. */
const bannedPhrases = ["lorem ipsum", "as an ai language model", "todo", "[citation needed]"]

/** A paragraph longer than this is worth a remark. */
const longParagraph = 150

/** Words per minute, for the reading time. */
const readingSpeed = 200

/** The slug of a topic: lower case, words joined by "-", at most 60 characters. */
export const slugOf = (topic: string): string =>
  topic.toLowerCase().normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 60).replace(/-+$/, "")
