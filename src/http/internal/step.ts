/**
 * One HTTP exchange of an HTTP step, on `@effect/platform`'s `HttpClient`
 * (the one in the context, else the fetch client): a request with JSON
 * body, a timeout per attempt, retries on 5xx and 429 that wait what
 * `Retry-After` says (seconds or a date; capped), else a growing delay, and
 * the response's body decoded with a Schema (JSON; text when no Schema is
 * given and the body is not JSON).
 *
 * @internal
 */
import { FetchHttpClient, HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Duration, Effect, Option, type Schema } from "effect"
import { HttpFailed, type ValueInvalid } from "../../Errors.js"
import { decodeValue, parseJson } from "../../internal/steps/decode.js"

/** A request to make. */
export interface Exchange {
  readonly step: string
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly query: Readonly<Record<string, string>>
  /** Sent as JSON when defined. */
  readonly body: unknown
  readonly timeout: Duration.Duration | undefined
  /** How many more attempts after a 5xx or a 429. */
  readonly retries: number
  /** The first delay between attempts without `Retry-After` (doubled each time). */
  readonly delay: Duration.Duration
  /** The longest wait a `Retry-After` may ask for. */
  readonly maxRetryAfter: Duration.Duration
}

const detailLimit = 2000

/** How long a `Retry-After` header asks to wait (seconds, or an HTTP date), if it says. */
export const retryAfter = (value: string | undefined, now: number): Duration.Duration | undefined => {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Duration.seconds(Number(text))
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Duration.millis(Math.max(0, date - now))
}

const withClient = <A, E>(f: (client: HttpClient.HttpClient) => Effect.Effect<A, E>): Effect.Effect<A, E> =>
  Effect.flatMap(Effect.serviceOption(HttpClient.HttpClient), (found) =>
    Option.isSome(found) ? f(found.value) : Effect.provide(Effect.flatMap(HttpClient.HttpClient, f), FetchHttpClient.layer))

const retriable = (status: number) => status === 429 || status >= 500

/** Makes the exchange; succeeds with the response's body decoded with `schema` (or as JSON / text). */
export const exchange = <A, I>(
  spec: Exchange,
  schema: Schema.Schema<A, I, never> | undefined
): Effect.Effect<A, HttpFailed | ValueInvalid> => {
  const failed = (reason: HttpFailed["reason"], status: number | null, detail: string) =>
    new HttpFailed({ step: spec.step, method: spec.method, url: spec.url, reason, status, detail: detail.slice(0, detailLimit) })
  let request = HttpClientRequest.make(spec.method)(spec.url).pipe(
    HttpClientRequest.setHeaders(spec.headers),
    HttpClientRequest.setUrlParams(spec.query)
  )
  if (spec.body !== undefined) request = HttpClientRequest.bodyUnsafeJson(request, spec.body)
  const once = (client: HttpClient.HttpClient): Effect.Effect<{ readonly response: HttpClientResponse.HttpClientResponse; readonly text: string }, HttpFailed> => {
    const sent = client.execute(request).pipe(
      Effect.flatMap((response) => Effect.map(response.text, (text) => ({ response, text }))),
      Effect.mapError((error) => failed("transport", null, error.message))
    )
    const timeout = spec.timeout
    return timeout === undefined || !Duration.isFinite(timeout)
      ? sent
      : Effect.timeoutFail(sent, { duration: timeout, onTimeout: () => failed("timeout", null, `no response within ${Duration.format(timeout)}`) })
  }
  const attempt = (client: HttpClient.HttpClient, n: number): Effect.Effect<string, HttpFailed> =>
    Effect.flatMap(once(client), ({ response, text }) => {
      const status = response.status
      if (status >= 200 && status < 300) return Effect.succeed(text)
      if (!retriable(status) || n >= spec.retries) return Effect.fail(failed("status", status, text))
      return Effect.flatMap(Effect.clockWith((clock) => clock.currentTimeMillis), (now) => {
        const asked = retryAfter(response.headers["retry-after"], now)
        const wait = asked === undefined
          ? Duration.times(spec.delay, 2 ** n)
          : Duration.min(asked, spec.maxRetryAfter)
        return Effect.zipRight(Effect.sleep(wait), attempt(client, n + 1))
      })
    })
  return withClient((client) => attempt(client, 0)).pipe(
    Effect.flatMap((text): Effect.Effect<A, HttpFailed | ValueInvalid> => {
      if (schema !== undefined) {
        return Effect.flatMap(parseJson(text, spec.step, "the response"), (value) => decodeValue(schema, value, spec.step, "the response"))
      }
      try {
        return Effect.succeed((text.trim() === "" ? null : JSON.parse(text)) as A)
      } catch {
        return Effect.succeed(text as A)
      }
    })
  )
}
