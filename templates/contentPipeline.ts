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
 * @since 0.1.0
 */
import { Clock, Context, Data, Effect, HashMap, Layer, Option, Ref, Schedule, Schema } from "effect"
import { Errors, Step, Template } from "weftjs"
import { type Faults, withFaults } from "./faults.js"

// ---------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------

/** What the editor asks for. */
export const Brief = Schema.Struct({
  topic: Schema.String,
  audience: Schema.String,
  /** Terms the article must use. */
  keywords: Schema.Array(Schema.String),
  /** The article's length in words, 100 to 5000. */
  targetWords: Schema.Number,
  author: Schema.String
})
export type Brief = typeof Brief.Type

/** The article's title and section headings, in order. */
export const Outline = Schema.Struct({
  title: Schema.String,
  sections: Schema.Array(Schema.String)
})
export type Outline = typeof Outline.Type

/** The article in Markdown (`# title`, then `## section` and paragraphs). */
export const Draft = Schema.Struct({
  title: Schema.String,
  body: Schema.String,
  wordCount: Schema.Number
})
export type Draft = typeof Draft.Type

/** What review found in a draft it let through. */
export const Review = Schema.Struct({
  wordCount: Schema.Number,
  /** Minutes to read, at 200 words a minute. */
  readingMinutes: Schema.Number,
  /** Remarks that do not block publication. */
  warnings: Schema.Array(Schema.String)
})
export type Review = typeof Review.Type

/** Where and when the article was published. */
export const Publication = Schema.Struct({
  slug: Schema.String,
  url: Schema.String,
  publishedAt: Schema.Number
})
export type Publication = typeof Publication.Type

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/** The brief cannot be written to. */
export class InvalidBrief extends Data.TaggedError("InvalidBrief")<{
  readonly reason: "empty-topic" | "no-keywords" | "target-words"
  readonly detail: string
}> {
  override get message() {
    return `Invalid brief (${this.reason}): ${this.detail}`
  }
}

/** The model could not be reached (transient: retried). */
export class LlmUnavailable extends Data.TaggedError("LlmUnavailable")<{}> {}

/** The model declined the request, e.g. by its content policy. Not retried. */
export class LlmRefused extends Data.TaggedError("LlmRefused")<{
  readonly reason: string
}> {
  override get message() {
    return `The model refused: ${this.reason}`
  }
}

/** The model answered, but not in the format asked for. Not retried. */
export class MalformedCompletion extends Data.TaggedError("MalformedCompletion")<{
  readonly task: "outline" | "draft"
  readonly detail: string
}> {
  override get message() {
    return `The model's ${this.task} is malformed: ${this.detail}`
  }
}

/** The draft failed review: each issue says what to fix. */
export class ReviewRejected extends Data.TaggedError("ReviewRejected")<{
  readonly issues: ReadonlyArray<string>
}> {
  override get message() {
    return `The draft failed review: ${this.issues.join("; ")}`
  }
}

/** The publisher could not be reached (transient: retried). */
export class PublisherUnavailable extends Data.TaggedError("PublisherUnavailable")<{}> {}

/** Another article is already published under this slug. */
export class SlugTaken extends Data.TaggedError("SlugTaken")<{
  readonly slug: string
}> {
  override get message() {
    return `Another article is already published at "${this.slug}"`
  }
}

// ---------------------------------------------------------------------------
// services
// ---------------------------------------------------------------------------

/**
 * Injected faults of the in-memory services, so tests can exercise retries
 * and timeouts.
 */
export type { Faults } from "./faults.js"

/** One request to a language model. */
export interface Completion {
  /** How to answer: the role and the format. */
  readonly system: string
  /** What to answer. */
  readonly prompt: string
  /** The longest answer wanted, in words. */
  readonly maxWords: number
}

/** Options of {@link LlmClient.layerMemory}. */
export interface LlmOptions extends Faults {
  /** The model: how it answers a request (default: {@link deterministicModel}). */
  readonly respond?: ((request: Completion) => string) | undefined
  /** The model refuses any request whose prompt mentions one of these (case-insensitive). */
  readonly refuse?: ReadonlyArray<string> | undefined
}

/**
 * A language model behind a service: the steps ask it for completions and
 * never know which model, vendor or network is behind it. Production code
 * provides a layer over a real client; tests and examples use
 * {@link LlmClient.layerMemory}.
 */
export class LlmClient extends Context.Tag("weft-templates/LlmClient")<LlmClient, {
  /** Completes a request with the model's text. */
  readonly complete: (request: Completion) => Effect.Effect<string, LlmUnavailable | LlmRefused>
}>() {
  /**
   * An in-process model: {@link deterministicModel} unless another is given.
   * Same request, same answer; no network.
   */
  static layerMemory(options?: LlmOptions): Layer.Layer<LlmClient> {
    const respond = options?.respond ?? deterministicModel
    const refused = (options?.refuse ?? []).map((word) => word.toLowerCase())
    return Layer.effect(
      LlmClient,
      Effect.map(Ref.make(0), (calls) => ({
        complete: (request) =>
          withFaults(
            calls,
            options,
            () => new LlmUnavailable(),
            Effect.suspend(() => {
              const word = refused.find((w) => request.prompt.toLowerCase().includes(w))
              return word === undefined
                ? Effect.sync(() => respond(request))
                : Effect.fail(new LlmRefused({ reason: `the request mentions "${word}"` }))
            })
          )
      }))
    )
  }
}

/** An article as handed to the publisher. */
export interface Article {
  readonly slug: string
  readonly title: string
  readonly author: string
  readonly body: string
}

/** An article as the publisher holds it. */
export interface PublishedArticle extends Article {
  readonly url: string
  readonly publishedAt: number
}

/**
 * The publishing system. `publish` is idempotent by its key: publishing
 * twice with one key (a retry, a re-run after a crash) publishes once and
 * returns the first publication.
 */
export class Publisher extends Context.Tag("weft-templates/Publisher")<Publisher, {
  readonly publish: (
    article: Article,
    idempotencyKey: string
  ) => Effect.Effect<Publication, PublisherUnavailable | SlugTaken>
  /** Every published article, in the order published. */
  readonly articles: Effect.Effect<ReadonlyArray<PublishedArticle>>
}>() {
  /**
   * An in-memory publisher, with articles already published at `taken`
   * slugs. `lostAcks: n` publishes the first `n` articles but fails the call
   * with `PublisherUnavailable`, as when a reply is lost on the network.
   */
  static layerMemory(
    options?: Faults & {
      readonly taken?: ReadonlyArray<string> | undefined
      readonly lostAcks?: number | undefined
      /** Prefix of the articles' URLs (default `/articles/`). */
      readonly baseUrl?: string | undefined
    }
  ): Layer.Layer<Publisher> {
    const baseUrl = options?.baseUrl ?? "/articles/"
    return Layer.effect(
      Publisher,
      Effect.gen(function*() {
        const calls = yield* Ref.make(0)
        const publishes = yield* Ref.make(0)
        /** Per slug: the key it was published with, and the article (none for a slug taken beforehand). */
        interface Entry {
          readonly key: string
          readonly article: Option.Option<PublishedArticle>
        }
        const bySlug = yield* Ref.make(HashMap.fromIterable(
          (options?.taken ?? []).map((slug): readonly [string, Entry] => [slug, { key: "", article: Option.none() }])
        ))
        const order = yield* Ref.make<ReadonlyArray<string>>([])
        const publish = (article: Article, key: string) =>
          Effect.gen(function*() {
            const existing = HashMap.get(yield* Ref.get(bySlug), article.slug)
            let published: PublishedArticle
            if (Option.isSome(existing)) {
              if (existing.value.key !== key || Option.isNone(existing.value.article)) {
                return yield* new SlugTaken({ slug: article.slug })
              }
              published = existing.value.article.value
            } else {
              published = { ...article, url: `${baseUrl}${article.slug}`, publishedAt: yield* Clock.currentTimeMillis }
              yield* Ref.update(bySlug, HashMap.set(article.slug, { key, article: Option.some(published) }))
              yield* Ref.update(order, (slugs) => [...slugs, article.slug])
            }
            const n = yield* Ref.updateAndGet(publishes, (c) => c + 1)
            if (n <= (options?.lostAcks ?? 0)) return yield* new PublisherUnavailable()
            return { slug: published.slug, url: published.url, publishedAt: published.publishedAt }
          })
        return {
          publish: (article, key) => withFaults(calls, options, () => new PublisherUnavailable(), publish(article, key)),
          articles: Effect.gen(function*() {
            const all = yield* Ref.get(bySlug)
            return (yield* Ref.get(order)).flatMap((slug) =>
              Option.toArray(Option.flatMap(HashMap.get(all, slug), (entry) => entry.article))
            )
          })
        }
      })
    )
  }
}

// ---------------------------------------------------------------------------
// prompts and the deterministic model
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

const field = (prompt: string, name: string): string =>
  prompt.split("\n").find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? ""

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

/** Sentences the deterministic model writes with, cycling. */
const phrases = [
  (subject: string, keyword: string, audience: string) =>
    `${capitalize(subject)} matters to ${audience} because ${keyword} shapes every decision that follows.`,
  (_subject: string, keyword: string) =>
    `Start small: apply ${keyword} to one case, measure the result, and only then widen the scope.`,
  (subject: string, keyword: string) =>
    `Teams that treat ${keyword} as part of ${subject} find problems earlier and fix them for less.`,
  (_subject: string, keyword: string, audience: string) =>
    `For ${audience}, the practical test of ${keyword} is whether the next change is easier than the last.`
]

const wordsOf = (text: string) => text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word))

/**
 * The model of {@link LlmClient.layerMemory}: deterministic, and good enough
 * to exercise this template. It reads the `Task:` line of the prompt: for an
 * outline it titles the topic and makes a section per keyword (at most four)
 * between an introduction and next steps; for a draft it writes each section
 * of the prompt's outline, using the keywords in turn, to about the length
 * asked for. Any other task gets a one-line answer.
 */
export const deterministicModel = (request: Completion): string => {
  const { prompt } = request
  const topic = field(prompt, "Topic")
  const audience = field(prompt, "Audience")
  const keywords = field(prompt, "Keywords").split(", ").filter((k) => k.length > 0)
  switch (field(prompt, "Task")) {
    case "outline":
      return [
        `# ${capitalize(topic)}: a guide for ${audience}`,
        `- Why ${topic} matters`,
        ...keywords.slice(0, 4).map((keyword) => `- ${capitalize(keyword)} in practice`),
        "- Next steps"
      ].join("\n")
    case "draft": {
      const title = field(prompt, "Title")
      const sections = prompt.split("\n").filter((line) => line.startsWith("- ")).map((line) => line.slice(2))
      const target = Number(field(prompt, "Length").split(" ")[0])
      const perSection = Math.max(20, Math.floor(target / Math.max(1, sections.length)))
      let turn = 0
      const out = [`# ${title}`]
      for (const section of sections) {
        const sentences: Array<string> = []
        let words = 0
        while (words < perSection) {
          const keyword = keywords[turn % Math.max(1, keywords.length)] ?? topic
          const sentence = phrases[turn % phrases.length]!(topic, keyword, audience)
          sentences.push(sentence)
          words += wordsOf(sentence).length
          turn++
        }
        out.push("", `## ${section}`, "", sentences.join(" "))
      }
      return out.join("\n")
    }
    default:
      return `I can write outlines and drafts; "${field(prompt, "Task")}" is neither.`
  }
}

// ---------------------------------------------------------------------------
// policy and rules
// ---------------------------------------------------------------------------

/** Whether an error may heal by itself, so another attempt is worth it. */
const isTransient = (error: unknown): boolean =>
  error instanceof LlmUnavailable ||
  error instanceof PublisherUnavailable ||
  error instanceof Errors.StepTimeout

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for transient errors only:
 * a refusal or a failed review fails the step at once.
 */
const retryTransient = Schedule.exponential("1 second").pipe(
  Schedule.intersect(Schedule.recurs(3)),
  Schedule.whileInput(isTransient)
)

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

// ---------------------------------------------------------------------------
// steps
// ---------------------------------------------------------------------------

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
  retry: retryTransient,
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
})

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
  retry: retryTransient,
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
})

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
  retry: retryTransient,
  timeout: "10 seconds",
  run: ({ brief, draft, slug }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const publisher = yield* Publisher
      const article = { slug, title: draft.title, author: brief.author, body: draft.body }
      return { publication: yield* publisher.publish(article, idempotencyKey) }
    })
})

// ---------------------------------------------------------------------------
// template
// ---------------------------------------------------------------------------

/**
 * The content-pipeline template.
 *
 * requires `brief: Brief`; provides `slug`, `outline`, `draft`, `review`,
 * `publication`; needs {@link LlmClient}, {@link Publisher}.
 */
export const template = Template.make({
  name: "content_pipeline",
  version: "1.0",
  steps: [checkBrief, writeOutline, writeDraft, reviewDraft, publish]
})
