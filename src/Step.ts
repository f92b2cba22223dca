/**
 * A step: the smallest unit of a workflow. It declares the state keys it
 * reads (`requires`) and writes (`provides`) as Schemas, and a `run` from the
 * required slice to the provided slice. Optional policy: `retry` (a
 * `Schedule`, narrowed to some errors with `retryWhile` or {@link retryOn}),
 * `timeout`, `ttl` for what it writes, and an error strategy
 * (`onError: "skip"`, or a fallback step with {@link orElse}).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Step } from "weftjs"
 *
 * const greet = Step.make({
 *   name: "greet",
 *   requires: { who: Schema.String },
 *   provides: { greeting: Schema.String },
 *   run: ({ who }) => Effect.succeed({ greeting: `hello ${who}` })
 * })
 * ```
 *
 * @since 0.1.0
 */
import type { Effect, Schedule } from "effect"
import { Duration, Pipeable, Schema } from "effect"
import { dual } from "effect/Function"
import type { StepTimeout } from "./Errors.js"
import type { CheckFallback } from "./internal/types/step.js"
import type { NodeTypes, Simplify } from "./internal/types/wiring.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("weft/Step")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * What a step's `run` receives besides its input.
 *
 * @since 0.1.0
 * @category models
 */
export interface Context {
  readonly runId: string
  /** The step's unique path in the run, e.g. `process_control/validate_inputs`. */
  readonly stepKey: string
  /**
   * The same on every execution of this step in this run, including a
   * re-execution after a crash: pass it to external systems to deduplicate.
   */
  readonly idempotencyKey: string
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number
}

/**
 * What to do when a step still fails after its retries.
 * `"fail"` (default) fails the run; `"skip"` records the step as skipped and
 * goes on without its output (its keys become optional downstream).
 *
 * @since 0.1.0
 * @category models
 */
export type OnError = "fail" | "skip"

/**
 * A step. `Req` is the slice it reads, `Prov` the slice it writes, `E` its
 * errors and `R` the services it needs.
 *
 * @since 0.1.0
 * @category models
 */
export interface Step<in out Req, in out Prov, out E = never, out R = never> extends Pipeable.Pipeable {
  readonly [TypeId]: TypeId
  readonly "~types": NodeTypes<Req, Prov, E, R>
  readonly _tag: "Step"
  readonly name: string
  /** The Schemas of the keys it reads. */
  readonly requires: Schema.Struct.Fields
  /** The Schemas of the keys it writes. */
  readonly provides: Schema.Struct.Fields
  readonly retry: Schedule.Schedule<unknown, never> | undefined
  /**
   * Which failures may be retried (`undefined`: every one the retry policy
   * accepts). Set by `retryWhile` or {@link retryOn}.
   */
  readonly retryWhile: ((error: unknown) => boolean) | undefined
  readonly timeout: Duration.Duration | undefined
  readonly ttl: Duration.Duration | undefined
  readonly onError: OnError
  readonly fallback: Step.Any | undefined
  readonly run: (input: Req, context: Context) => Effect.Effect<Prov, E, R>
}

/**
 * @since 0.1.0
 */
export declare namespace Step {
  /**
   * Any step, for generic constraints.
   *
   * @since 0.1.0
   */
  export interface Any {
    readonly [TypeId]: TypeId
    readonly "~types": NodeTypes<object, object, unknown, unknown>
    readonly _tag: "Step"
    readonly name: string
    readonly requires: Schema.Struct.Fields
    readonly provides: Schema.Struct.Fields
    readonly retry: Schedule.Schedule<unknown, never> | undefined
    readonly retryWhile: ((error: unknown) => boolean) | undefined
    readonly timeout: Duration.Duration | undefined
    readonly ttl: Duration.Duration | undefined
    readonly onError: OnError
    readonly fallback: Any | undefined
  }
}

/**
 * The state slice a step reads.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type Requires<S> = S extends Step<infer Req, infer _P, infer _E, infer _R> ? Req : never

/**
 * The state slice a step writes.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type Provides<S> = S extends Step<infer _Req, infer P, infer _E, infer _R> ? P : never

/**
 * The errors of a step.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type Error<S> = S extends Step<infer _Req, infer _P, infer E, infer _R> ? E : never

/**
 * The services a step needs.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type Services<S> = S extends Step<infer _Req, infer _P, infer _E, infer R> ? R : never

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<
  RF extends Schema.Struct.Fields,
  PF extends Schema.Struct.Fields,
  E,
  R,
  OE extends OnError
> {
  /** Unique within its template; appears in traces and snapshots. */
  readonly name: string
  readonly requires: RF
  readonly provides: PF
  readonly run: (input: Slice<RF>, context: Context) => Effect.Effect<Slice<PF>, E, R>
  /**
   * Retry policy, fed with each failure: the step's own errors or a
   * `StepTimeout`. The default comes from the template, else from the
   * settings. It retries every failure unless `retryWhile` or
   * {@link retryOn} says which ones are worth it.
   */
  readonly retry?: Schedule.Schedule<unknown, NoInfer<E> | StepTimeout> | undefined
  /**
   * Which failures are worth another attempt, given each failure (one of
   * the step's errors, or a `StepTimeout`): `false` fails the step at once,
   * whatever the retry policy (a declined card, where an unreachable
   * provider is retried). Default: every failure is retried. The error is
   * `unknown` here (narrow it with `instanceof`); {@link retryOn} takes a
   * list of error tags, checked against the step's errors.
   */
  readonly retryWhile?: ((error: unknown) => boolean) | undefined
  /** Per-attempt timeout. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Time-to-live of the values this step writes (default: the `stateTtl` setting). */
  readonly ttl?: Duration.DurationInput | undefined
  /** What to do when the step still fails after its retries. */
  readonly onError?: OE | undefined
}

/**
 * The decoded type of some Struct fields (`{}` for no fields).
 *
 * @since 0.1.0
 * @category type helpers
 */
export type Slice<F extends Schema.Struct.Fields> = [keyof F] extends [never] ? {} : Simplify<Schema.Struct.Type<F>>

/**
 * The provided slice of a step, given its error strategy: a skippable step
 * may not write its keys, so they are optional downstream.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type ProvidedBy<PF extends Schema.Struct.Fields, OE extends OnError> = OE extends "skip"
  ? Simplify<Partial<Slice<PF>>>
  : Slice<PF>

const proto = {
  [TypeId]: TypeId,
  _tag: "Step",
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return Pipeable.pipeArguments(this, arguments)
  }
}

const isValidName = /^[A-Za-z0-9_.:-]+$/

/**
 * Defines a step.
 *
 * `run` receives only the keys named in `requires`, typed by their Schemas;
 * what it returns is checked against `provides` at run time too (a wrong
 * shape fails with `InvalidStepOutput` naming the key).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <
  const RF extends Schema.Struct.Fields,
  const PF extends Schema.Struct.Fields,
  E = never,
  R = never,
  const OE extends OnError = "fail"
>(options: Options<RF, PF, E, R, OE>): Step<
  Slice<RF>,
  ProvidedBy<PF, OE>,
  OE extends "skip" ? never : E,
  R
> => {
  if (!isValidName.test(options.name)) {
    throw new TypeError(
      `Step name "${options.name}" must be non-empty and use only letters, digits, "_", "-", "." and ":"`
    )
  }
  const step = Object.create(proto)
  step.name = options.name
  step.requires = options.requires
  step.provides = options.provides
  step.run = options.run
  step.retry = options.retry as Schedule.Schedule<unknown, never> | undefined
  step.retryWhile = options.retryWhile
  step.timeout = options.timeout === undefined ? undefined : Duration.decode(options.timeout)
  step.ttl = options.ttl === undefined ? undefined : Duration.decode(options.ttl)
  step.onError = options.onError ?? "fail"
  step.fallback = undefined
  return step
}

/**
 * The error tags {@link retryOn} accepts for a step failing with `E`: the
 * `_tag` of each tagged error in `E`, and `"StepTimeout"`.
 *
 * @since 0.2.0
 * @category type helpers
 */
export type RetryTag<E> = (E extends { readonly _tag: infer Tag extends string } ? Tag : never) | "StepTimeout"

const hasTag = (error: unknown): error is { readonly _tag: unknown } =>
  typeof error === "object" && error !== null && "_tag" in error

/**
 * Retries only the failures whose `_tag` is listed: the transient ones (an
 * unreachable service, `"StepTimeout"`), so that a domain error (a declined
 * card) fails the step at once. The retry policy itself (`retry`, else the
 * template's, else the settings') is unchanged. Only tags of the step's
 * errors, and `"StepTimeout"`, are accepted: a typo is a compile error.
 * Replaces an earlier `retryWhile`. A step made with `onError: "skip"` has
 * no errors in its type (they skip it): give it `retryWhile` instead.
 *
 * @example
 * ```ts
 * import { Data, Effect, Schedule, Schema } from "effect"
 * import { Step } from "weftjs"
 *
 * class CardDeclined extends Data.TaggedError("CardDeclined")<{}> {}
 * class PaymentUnavailable extends Data.TaggedError("PaymentUnavailable")<{}> {}
 *
 * const charge = Step.make({
 *   name: "charge",
 *   requires: { amount: Schema.Number },
 *   provides: { chargeId: Schema.String },
 *   retry: Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3))),
 *   timeout: "10 seconds",
 *   run: ({ amount }) =>
 *     Effect.gen(function*() {
 *       if (amount > 1000) return yield* new CardDeclined()
 *       if (Math.random() < 0.1) return yield* new PaymentUnavailable()
 *       return { chargeId: "ch-1" }
 *     })
 * }).pipe(Step.retryOn("PaymentUnavailable", "StepTimeout"))
 * ```
 *
 * @since 0.2.0
 * @category combinators
 */
export const retryOn: {
  <const Tag extends string>(
    ...tags: readonly [Tag, ...Array<Tag>]
  ): <Req, Prov, E, R>(
    self:
      & Step<Req, Prov, E, R>
      // a tag that is not one of the step's errors: a sentence nothing can be assigned to
      & ([Exclude<Tag, RetryTag<E>>] extends [never] ? unknown
        : `weft: Step.retryOn names '${Exclude<Tag, RetryTag<E>>}', which is not the tag of an error of this step`)
  ) => Step<Req, Prov, E, R>
  <Req, Prov, E, R, const Tag extends RetryTag<E>>(
    self: Step<Req, Prov, E, R>,
    ...tags: readonly [Tag, ...Array<Tag>]
  ): Step<Req, Prov, E, R>
} = dual(
  (args) => isStep(args[0]),
  <Req, Prov, E, R>(self: Step<Req, Prov, E, R>, ...tags: ReadonlyArray<string>): Step<Req, Prov, E, R> => {
    const retried: ReadonlySet<unknown> = new Set(tags)
    const step = Object.create(proto)
    Object.assign(step, self)
    step.retryWhile = (error: unknown) => hasTag(error) && retried.has(error._tag)
    return step
  }
)

/**
 * Falls back to another step when `self` still fails after its retries. The
 * fallback runs on the same state; its output replaces the primary's. The
 * compiler checks that the fallback reads only keys the primary reads and
 * writes everything the primary writes.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Step } from "weftjs"
 *
 * const live = Step.make({
 *   name: "live_price",
 *   requires: { sku: Schema.String },
 *   provides: { price: Schema.Number },
 *   run: () => Effect.fail("offline" as const)
 * })
 * const cached = Step.make({
 *   name: "cached_price",
 *   requires: { sku: Schema.String },
 *   provides: { price: Schema.Number },
 *   run: () => Effect.succeed({ price: 10 })
 * })
 * const price = live.pipe(Step.orElse(cached))
 * ```
 *
 * @since 0.1.0
 * @category combinators
 */
export const orElse: {
  <Req2, Prov2 extends object, E2, R2>(
    fallback: Step<Req2, Prov2, E2, R2>
  ): <Req, Prov extends object, E, R>(
    self: Step<Req, Prov, E, R> & NoInfer<CheckFallback<Req, Prov, Req2, Prov2>>
  ) => Step<Req, Prov, E2, R | R2>
  <Req, Prov extends object, E, R, Req2, Prov2 extends object, E2, R2>(
    self: Step<Req, Prov, E, R> & NoInfer<CheckFallback<Req, Prov, Req2, Prov2>>,
    fallback: Step<Req2, Prov2, E2, R2>
  ): Step<Req, Prov, E2, R | R2>
} = dual(2, <Req, Prov, E, R, Req2, Prov2, E2, R2>(
  self: Step<Req, Prov, E, R>,
  fallback: Step<Req2, Prov2, E2, R2>
): Step<Req, Prov, E2, R | R2> => {
  const step = Object.create(proto)
  Object.assign(step, self)
  step.fallback = fallback
  step.onError = "fail"
  return step
})

/**
 * Tests whether a value is a step.
 *
 * @since 0.1.0
 * @category guards
 */
export const isStep = (u: unknown): u is Step.Any => typeof u === "object" && u !== null && TypeId in u
