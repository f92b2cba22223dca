/**
 * In-memory services of the content-pipeline template: a deterministic
 * language model and an in-memory publisher, with injectable faults
 * (`Testing.Faults`), for tests and demos. Each class is the service Tag of
 * `model.ts` with its `layerMemory`.
 *
 * @since 0.1.0
 */
import { Clock, Effect, HashMap, Layer, Option, Ref } from "effect"
import { Testing } from "weftjs"
import * as Model from "./model.js"

/**
 * Injected faults of the in-memory services, so tests can exercise retries
 * and timeouts.
 */
export type Faults = Testing.Faults

/** Options of {@link LlmClient.layerMemory}. */
export interface LlmOptions extends Faults {
  /** The model: how it answers a request (default: {@link deterministicModel}). */
  readonly respond?: ((request: Model.Completion) => string) | undefined
  /** The model refuses any request whose prompt mentions one of these (case-insensitive). */
  readonly refuse?: ReadonlyArray<string> | undefined
}

/** The language model ({@link Model.LlmClient}), with its in-process layer. */
export class LlmClient extends Model.LlmClient {
  /**
   * An in-process model: {@link deterministicModel} unless another is given.
   * Same request, same answer; no network.
   */
  static layerMemory(options?: LlmOptions): Layer.Layer<Model.LlmClient> {
    const respond = options?.respond ?? deterministicModel
    const refused = (options?.refuse ?? []).map((word) => word.toLowerCase())
    return Layer.effect(
      Model.LlmClient,
      Effect.map(Testing.faults(options, () => new Model.LlmUnavailable()), (withFaults) => ({
        complete: (request) =>
          withFaults(
            Effect.suspend(() => {
              const word = refused.find((w) => request.prompt.toLowerCase().includes(w))
              return word === undefined
                ? Effect.sync(() => respond(request))
                : Effect.fail(new Model.LlmRefused({ reason: `the request mentions "${word}"` }))
            })
          )
      }))
    )
  }
}

/** The publishing system ({@link Model.Publisher}), with its in-memory layer. */
export class Publisher extends Model.Publisher {
  /**
   * An in-memory publisher, with articles already published at `taken`
   * slugs. `lostAcks: n` publishes the first `n` articles but fails the call
   * with `PublisherUnavailable`, as when a reply is lost on the network.
   */
  static layerMemory(
    options?: Faults & {
      readonly taken?: ReadonlyArray<string> | undefined
      /** Prefix of the articles' URLs (default `/articles/`). */
      readonly baseUrl?: string | undefined
    }
  ): Layer.Layer<Model.Publisher> {
    const baseUrl = options?.baseUrl ?? "/articles/"
    return Layer.effect(
      Model.Publisher,
      Effect.gen(function*() {
        const withFaults = yield* Testing.faults(options, () => new Model.PublisherUnavailable())
        /** Per slug: the key it was published with, and the article (none for a slug taken beforehand). */
        interface Entry {
          readonly key: string
          readonly article: Option.Option<Model.PublishedArticle>
        }
        const bySlug = yield* Ref.make(HashMap.fromIterable(
          (options?.taken ?? []).map((slug): readonly [string, Entry] => [slug, { key: "", article: Option.none() }])
        ))
        const order = yield* Ref.make<ReadonlyArray<string>>([])
        const publish = (article: Model.Article, key: string) =>
          Effect.gen(function*() {
            const existing = HashMap.get(yield* Ref.get(bySlug), article.slug)
            let published: Model.PublishedArticle
            if (Option.isSome(existing)) {
              if (existing.value.key !== key || Option.isNone(existing.value.article)) {
                return yield* new Model.SlugTaken({ slug: article.slug })
              }
              published = existing.value.article.value
            } else {
              published = { ...article, url: `${baseUrl}${article.slug}`, publishedAt: yield* Clock.currentTimeMillis }
              yield* Ref.update(bySlug, HashMap.set(article.slug, { key, article: Option.some(published) }))
              yield* Ref.update(order, (slugs) => [...slugs, article.slug])
            }
            return { slug: published.slug, url: published.url, publishedAt: published.publishedAt }
          })
        return {
          publish: (article, key) => withFaults(publish(article, key)),
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
// the deterministic model
// ---------------------------------------------------------------------------

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

/**
 * The model of {@link LlmClient.layerMemory}: deterministic, and good enough
 * to exercise this template. It reads the `Task:` line of the prompt: for an
 * outline it titles the topic and makes a section per keyword (at most four)
 * between an introduction and next steps; for a draft it writes each section
 * of the prompt's outline, using the keywords in turn, to about the length
 * asked for. Any other task gets a one-line answer.
 */
export const deterministicModel = (request: Model.Completion): string => {
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
          words += Model.wordsOf(sentence).length
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
