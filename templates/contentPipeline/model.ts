/**
 * The model of the content-pipeline template: the Schemas of the state it
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

/** One request to a language model. */
export interface Completion {
  /** How to answer: the role and the format. */
  readonly system: string
  /** What to answer. */
  readonly prompt: string
  /** The longest answer wanted, in words. */
  readonly maxWords: number
}

/**
 * A language model behind a service: the steps ask it for completions and
 * never know which model, vendor or network is behind it. Production code
 * provides a layer over a real client; tests and examples use the in-memory
 * one (`LlmClient.layerMemory`, in `memory.ts`).
 */
export class LlmClient extends Context.Tag("weft-templates/LlmClient")<LlmClient, {
  /** Completes a request with the model's text. */
  readonly complete: (request: Completion) => Effect.Effect<string, LlmUnavailable | LlmRefused>
}>() {}

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
}>() {}

/** The words of a text (what a {@link Draft}'s `wordCount` counts): runs of non-space holding a letter or digit. */
export const wordsOf = (text: string): ReadonlyArray<string> =>
  text.split(/\s+/).filter((word) => /[\p{L}\p{N}]/u.test(word))
