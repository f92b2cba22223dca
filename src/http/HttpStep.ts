/**
 * The built-in HTTP step: a request whose URL, headers, query and JSON
 * body may be computed from the step's input, a timeout per attempt,
 * retries on 5xx and 429 that honour `Retry-After`, and the response's body
 * decoded with a Schema (a mismatch is a `ValueInvalid` naming the field;
 * a failed exchange an `HttpFailed`). It is an ordinary step: durable,
 * retried by its `retry` policy beyond that, skipped with `onError: "skip"`.
 *
 * It runs on `@effect/platform`'s `HttpClient`: the one the run's context
 * provides (to add tracing, a proxy, ...), else the fetch client. It lives
 * in `weftjs/http` (the core loads nothing but `effect`); YAML flows have it
 * as `http:` steps.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { HttpStep } from "weftjs/http"
 *
 * const fetchOrder = HttpStep.make({
 *   name: "fetch_order",
 *   requires: { orderId: Schema.String },
 *   output: "order",
 *   url: ({ orderId }) => `https://shop.example/orders/${orderId}`,
 *   schema: Schema.Struct({ id: Schema.String, total: Schema.Number }),
 *   timeout: "5 seconds",
 *   retries: 3
 * })
 * ```
 *
 * @since 0.4.0
 */
import { Duration, Schema } from "effect"
import type { HttpFailed, ValueInvalid } from "../Errors.js"
import type { Step, Steps } from "../index.js"
import { Steps as StepsModule } from "../index.js"
import { exchange } from "./internal/step.js"

/**
 * An HTTP method.
 *
 * @since 0.4.0
 * @category models
 */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"

/**
 * Options of {@link make}.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options<RF extends Schema.Struct.Fields, K extends string, A, I, OE extends Step.OnError>
  extends Steps.Common<RF, K, HttpFailed | ValueInvalid, OE>
{
  /** Default `GET`. */
  readonly method?: Method | undefined
  readonly url: Steps.Computed<Step.Slice<RF>, string>
  readonly headers?: Steps.Computed<Step.Slice<RF>, Readonly<Record<string, string>>> | undefined
  /** Query parameters added to the URL. */
  readonly query?: Steps.Computed<Step.Slice<RF>, Readonly<Record<string, string>>> | undefined
  /** Sent as JSON. */
  readonly body?: ((input: Step.Slice<RF>) => unknown) | undefined
  /** How long one attempt may take. */
  readonly timeout?: Duration.DurationInput | undefined
  /** How many more attempts after a 5xx or a 429 (default 2). */
  readonly retries?: number | undefined
  /** The first delay between those attempts when the server sends no `Retry-After` (default 1 second, doubled each time). */
  readonly retryDelay?: Duration.DurationInput | undefined
  /** The longest wait a `Retry-After` may ask for (default 60 seconds). */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** The Schema of the response's JSON body (default: JSON as it is, or the text when it is not JSON). */
  readonly schema?: Schema.Schema<A, I, never> | undefined
}

const computed = <In, A>(value: Steps.Computed<In, A> | undefined, input: In): A | undefined =>
  typeof value === "function" ? (value as (input: In) => A)(input) : value

/**
 * A step that makes an HTTP request and writes the response's decoded body
 * under `output`.
 *
 * @since 0.4.0
 * @category constructors
 */
export const make = <
  const RF extends Schema.Struct.Fields = {},
  const K extends string = never,
  A = unknown,
  I = unknown,
  const OE extends Step.OnError = "fail"
>(options: Options<RF, K, A, I, OE>): Steps.BuiltIn<RF, K, A, I, HttpFailed | ValueInvalid, OE> => {
  const timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)
  const delay = Duration.decode(options.retryDelay ?? Duration.seconds(1))
  const maxRetryAfter = Duration.decode(options.maxRetryAfter ?? Duration.seconds(60))
  return StepsModule.custom(options, (options.schema ?? Schema.Unknown) as unknown as Schema.Schema<A, I, never>, (input) =>
    exchange({
      step: options.name,
      method: options.method ?? "GET",
      url: computed(options.url, input)!,
      headers: computed(options.headers, input) ?? {},
      query: computed(options.query, input) ?? {},
      body: options.body?.(input),
      timeout,
      retries: options.retries ?? 2,
      delay,
      maxRetryAfter
    }, options.schema))
}
