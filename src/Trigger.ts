/**
 * Runs that start themselves: a **cron schedule** (a template started at
 * each tick of a cron expression, `effect/Cron`), a **webhook** (a template
 * started by an HTTP delivery, `POST /hooks/<name>` in `weftjs/http`) and an
 * **event trigger** (a template started when a run of another ends).
 *
 * Each becomes a run through a key the store enforces, so that any number
 * of processes, and restarts, start it once: the schedule and the tick's
 * time (`schedule:<name>:<ISO time>`), the delivery's idempotency key
 * (`hook:<name>:<key>`), the triggering run's id (`after:<name>:<run id>`,
 * recorded in the same transaction as that run's end).
 *
 * Declare them with the engine (`engine.trigger(t)`), or in a project file's
 * `triggers`; a schedule declared in code is saved in the store (applied
 * again, idempotently, at each start) and can also be created, paused,
 * resumed and deleted at run time (`engine.schedules`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Engine, Step, Template, Trigger } from "weftjs"
 *
 * const report = Template.make({
 *   name: "report",
 *   version: "1",
 *   steps: [Step.make({
 *     name: "build",
 *     requires: { day: Schema.String },
 *     provides: { lines: Schema.Number },
 *     run: () => Effect.succeed({ lines: 3 })
 *   })]
 * })
 * const notify = Template.make({
 *   name: "notify",
 *   version: "1",
 *   steps: [Step.make({
 *     name: "send",
 *     requires: { count: Schema.Number },
 *     provides: { sent: Schema.Boolean },
 *     run: () => Effect.succeed({ sent: true })
 *   })]
 * })
 *
 * // every day at 06:00 in Paris, with the day of the tick as input
 * export const daily = Trigger.cron("daily-report", report, {
 *   cron: "0 6 * * *",
 *   timeZone: "Europe/Paris",
 *   input: (tick) => ({ day: tick.toISOString().slice(0, 10) })
 * })
 * // when a report completes, notify with its line count (checked at compile time)
 * export const then = Trigger.onEnd("notify-after-report", report, notify, {
 *   input: (state) => ({ count: state.lines })
 * })
 * export const program = Effect.gen(function*() {
 *   const engine = yield* Engine.Engine
 *   yield* engine.trigger(daily)
 *   yield* engine.trigger(then)
 * })
 * ```
 *
 * @since 0.3.0
 */
import type { Config, Duration, Effect, Redacted, Schema } from "effect"
import type { InvalidSchedule, PersistenceError, ScheduleExists, ScheduleNotFound } from "./Errors.js"
import type { ScheduleRecord } from "./SnapshotStore.js"
import type * as Template from "./Template.js"
import type { CheckInput } from "./internal/types/triggers.js"
import type { ProvidesOf, RequiresOf, Simplify } from "./internal/types/wiring.js"

/**
 * How a run ends, as an event trigger listens for it.
 *
 * @since 0.3.0
 * @category models
 */
export type EndStatus = "completed" | "failed" | "cancelled"

/**
 * What a schedule does with a tick while the run of its previous tick is
 * still active: `skip` it (no run), `allow` it (runs overlap), or
 * `bufferOne`: start it once the previous run ends (one tick is held at
 * most; later ones are skipped while one is held).
 *
 * @since 0.3.0
 * @category models
 */
export type Overlap = ScheduleRecord["overlap"]

/**
 * What a schedule does with the ticks missed while no engine ran it:
 * `none` (they are dropped), `last` (the latest is started), `all` (each is
 * started, at most `catchUpMax` of them: the latest).
 *
 * @since 0.3.0
 * @category models
 */
export type CatchUp = ScheduleRecord["catchUp"]

/**
 * A cron schedule declared in code.
 *
 * @since 0.3.0
 * @category models
 */
export interface Cron<out R = never> {
  readonly _tag: "Cron"
  readonly name: string
  readonly template: Template.Template.Any
  readonly cron: string
  readonly timeZone: string | undefined
  /** The input of a tick: the same every time, or computed from the tick's time. */
  readonly input:
    | { readonly _tag: "Fixed"; readonly value: unknown }
    | { readonly _tag: "OfTick"; readonly f: (tick: Date) => unknown }
  readonly overlap: Overlap
  readonly catchUp: CatchUp
  readonly catchUpMax: number
  readonly queue: string | undefined
  readonly "~services"?: R
}

/**
 * How a run ended, as an event trigger's mapping sees it.
 *
 * @since 0.3.0
 * @category models
 */
export interface End {
  readonly runId: string
  readonly status: EndStatus
  /** The error a failed run ended with (its tag and message), `null` otherwise. */
  readonly error: { readonly tag: string; readonly message: string } | null
}

/**
 * An event trigger: a run of `to` started when a run of `from` ends.
 *
 * @since 0.3.0
 * @category models
 */
export interface OnEnd<out R = never> {
  readonly _tag: "OnEnd"
  readonly name: string
  readonly from: Template.Template.Any
  readonly to: Template.Template.Any
  readonly on: ReadonlyArray<EndStatus>
  readonly input: (state: Readonly<Record<string, unknown>>, end: End) => unknown
  readonly queue: string | undefined
  readonly "~services"?: R
}

/**
 * A webhook: a run of `template` started by each delivery to
 * `POST /hooks/<name>` (`weftjs/http`).
 *
 * @since 0.3.0
 * @category models
 */
export interface Webhook<out R = never> {
  readonly _tag: "Webhook"
  readonly name: string
  readonly template: Template.Template.Any
  /** Decodes the delivery's JSON body. */
  readonly body: Schema.Schema<unknown, unknown>
  readonly input: (body: unknown) => unknown
  /** The HMAC-SHA256 secret deliveries are signed with; none: deliveries are not signed. */
  readonly secret: Config.Config<Redacted.Redacted> | Redacted.Redacted | undefined
  /** How far a signed delivery's timestamp may be from now. */
  readonly tolerance: Duration.DurationInput
  readonly queue: string | undefined
  readonly "~services"?: R
}

/**
 * Any trigger, with the services its templates' steps need.
 *
 * @since 0.3.0
 * @category models
 */
export type Trigger<R = never> = Cron<R> | OnEnd<R> | Webhook<R>

/**
 * The state an event trigger's mapping reads: the final state of a
 * completed run, or, when it also listens for failed or cancelled runs,
 * the input and whatever the run had provided (each provided key optional).
 *
 * @since 0.3.0
 * @category type helpers
 */
export type StateAtEnd<T, On extends EndStatus> = [Exclude<On, "completed">] extends [never] ? Template.FinalState<T>
  : Simplify<Omit<RequiresOf<T>, keyof ProvidesOf<T>> & Partial<ProvidesOf<T>>>

/**
 * Options of {@link cron}.
 *
 * @since 0.3.0
 * @category models
 */
export interface CronOptions<Req> {
  /** 5 fields (minute hour day month weekday), or 6 with seconds first; as `effect/Cron` parses them. */
  readonly cron: string
  /** An IANA time zone the expression is read in (DST as `effect/Cron` handles it); default UTC. */
  readonly timeZone?: string | undefined
  /** Each tick's input, or a function of the tick's time. */
  readonly input: Req | ((tick: Date) => Req)
  /** Default `skip`. */
  readonly overlap?: Overlap | undefined
  /** Default `none`. */
  readonly catchUp?: CatchUp | undefined
  /** With `catchUp: "all"`, at most this many missed ticks (default 10). */
  readonly catchUpMax?: number | undefined
  /** Records each tick's run on this queue (for a worker serving it) instead of executing it where it ticks. */
  readonly queue?: string | undefined
}

/**
 * A cron schedule: `template` started at each tick of `options.cron`,
 * exactly once per tick however many engines serve the store.
 *
 * @since 0.3.0
 * @category constructors
 */
export const cron = <Req extends object, Prov extends object, E, R>(
  name: string,
  template: Template.Template<Req, Prov, E, R>,
  options: CronOptions<Req>
): Cron<R> => ({
  _tag: "Cron",
  name,
  template,
  cron: options.cron,
  timeZone: options.timeZone,
  input: typeof options.input === "function"
    ? { _tag: "OfTick", f: options.input as (tick: Date) => unknown }
    : { _tag: "Fixed", value: options.input },
  overlap: options.overlap ?? "skip",
  catchUp: options.catchUp ?? "none",
  catchUpMax: Math.max(1, Math.floor(options.catchUpMax ?? 10)),
  queue: options.queue
})

/**
 * Options of {@link onEnd}.
 *
 * @since 0.3.0
 * @category models
 */
export interface OnEndOptions<S, On extends EndStatus, I, Req> {
  /** The endings that start a run (default: `["completed"]`). */
  readonly on?: ReadonlyArray<On> | undefined
  /**
   * The started run's input, from the ended run's state (typed by what its
   * template provides); what it returns is checked against what `to`
   * requires, each wrong or missing key named.
   */
  readonly input: (state: S, end: End) => I & NoInfer<CheckInput<I, Req>>
  readonly queue?: string | undefined
}

/**
 * An event trigger: when a top-level run of `from` ends as listed in `on`,
 * a run of `to` starts with `input(state)`, exactly once per ended run
 * (recorded in the same transaction as the end, so a process dying between
 * the two loses nothing). The mapping is checked at compile time: reading a
 * key `from` does not provide, or giving `to` a key of the wrong type (or
 * none for a key it requires), does not compile, naming the key.
 *
 * @since 0.3.0
 * @category constructors
 */
export const onEnd = <
  FReq extends object,
  FProv extends object,
  FE,
  FR,
  TReq extends object,
  TProv extends object,
  TE,
  TR,
  I,
  On extends EndStatus = "completed"
>(
  name: string,
  from: Template.Template<FReq, FProv, FE, FR>,
  to: Template.Template<TReq, TProv, TE, TR>,
  options: OnEndOptions<StateAtEnd<Template.Template<FReq, FProv, FE, FR>, On>, On, I, TReq>
): OnEnd<FR | TR> => ({
  _tag: "OnEnd",
  name,
  from,
  to,
  on: options.on ?? ["completed"],
  input: options.input as unknown as OnEnd["input"],
  queue: options.queue
})

/**
 * Options of {@link webhook}.
 *
 * @since 0.3.0
 * @category models
 */
export interface WebhookOptions<A, I, Out, Req> {
  /** Decodes the delivery's JSON body; a body that does not decode is answered 400, naming the key. */
  readonly body: Schema.Schema<A, I>
  /** The run's input, from the decoded body (checked against what the template requires). */
  readonly input: (body: A) => Out & NoInfer<CheckInput<Out, Req>>
  /**
   * Deliveries must be signed: header `x-weft-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
   * with `x-weft-timestamp: <epoch seconds>`; checked in constant time.
   */
  readonly secret?: Config.Config<Redacted.Redacted> | Redacted.Redacted | undefined
  /** How far a signed delivery's timestamp may be from now (default 5 minutes). */
  readonly tolerance?: Duration.DurationInput | undefined
  readonly queue?: string | undefined
}

/**
 * A webhook: each delivery to `POST /hooks/<name>` starts a run of
 * `template`, once per idempotency key (header `idempotency-key`), with
 * `input(body)`, checked at compile time against what the template requires.
 *
 * @since 0.3.0
 * @category constructors
 */
export const webhook = <A, I, Out, Req extends object, Prov extends object, E, R>(
  name: string,
  template: Template.Template<Req, Prov, E, R>,
  options: WebhookOptions<A, I, Out, Req>
): Webhook<R> => ({
  _tag: "Webhook",
  name,
  template,
  body: options.body as unknown as Schema.Schema<unknown, unknown>,
  input: options.input as (body: unknown) => unknown,
  secret: options.secret,
  tolerance: options.tolerance ?? "5 minutes",
  queue: options.queue
})

/**
 * The services a trigger's templates need.
 *
 * @since 0.3.0
 * @category type helpers
 */
export type Services<T> = T extends Trigger<infer R> ? R : never

/**
 * A trigger as surfaces list it.
 *
 * @since 0.3.0
 * @category models
 */
export interface Info {
  readonly name: string
  readonly kind: "cron" | "webhook" | "on-end"
  /** The template it starts (`name@version`). */
  readonly template: string
  /** For an event trigger, the template whose runs' ends it listens for, and which ends. */
  readonly from?: string | undefined
  readonly on?: ReadonlyArray<EndStatus> | undefined
  /** For a schedule, its expression and time zone. */
  readonly cron?: string | undefined
  readonly timeZone?: string | undefined
  /** For a webhook, whether deliveries must be signed. */
  readonly signed?: boolean | undefined
}

/**
 * A trigger as surfaces list it.
 *
 * @since 0.3.0
 * @category accessors
 */
export const info = (trigger: Trigger<unknown>): Info => {
  switch (trigger._tag) {
    case "Cron":
      return {
        name: trigger.name,
        kind: "cron",
        template: `${trigger.template.name}@${trigger.template.version}`,
        cron: trigger.cron,
        ...(trigger.timeZone === undefined ? {} : { timeZone: trigger.timeZone })
      }
    case "Webhook":
      return {
        name: trigger.name,
        kind: "webhook",
        template: `${trigger.template.name}@${trigger.template.version}`,
        signed: trigger.secret !== undefined
      }
    case "OnEnd":
      return {
        name: trigger.name,
        kind: "on-end",
        template: `${trigger.to.name}@${trigger.to.version}`,
        from: `${trigger.from.name}@${trigger.from.version}`,
        on: trigger.on
      }
  }
}

/**
 * A schedule created at run time (`engine.schedules.create`, `weft
 * schedules create`, the HTTP API): its template by name (and version:
 * default, the one registered), and its input as JSON, decoded with the
 * template's Schemas.
 *
 * @since 0.3.0
 * @category models
 */
export interface ScheduleOptions {
  readonly name: string
  readonly template: string
  readonly version?: string | undefined
  readonly cron: string
  readonly timeZone?: string | undefined
  /** The input of every tick, as JSON (encoded). */
  readonly input: unknown
  readonly overlap?: Overlap | undefined
  readonly catchUp?: CatchUp | undefined
  readonly catchUpMax?: number | undefined
  readonly queue?: string | undefined
}

/**
 * A stored schedule as surfaces show it: its record and its next ticks.
 *
 * @since 0.3.0
 * @category models
 */
export interface ScheduleView extends ScheduleRecord {
  /** The next ticks (three), from now; none while paused. */
  readonly nextTicks: ReadonlyArray<Date>
}

/**
 * The stored schedules, at run time.
 *
 * @since 0.3.0
 * @category models
 */
export interface Schedules {
  /** Every stored schedule, with its next ticks. */
  readonly list: Effect.Effect<ReadonlyArray<ScheduleView>, PersistenceError>
  /**
   * Creates a schedule: its name, expression, time zone and input checked
   * (`InvalidSchedule`, nothing saved); one of that name exists already:
   * `ScheduleExists`.
   */
  readonly create: (
    options: ScheduleOptions
  ) => Effect.Effect<ScheduleView, InvalidSchedule | ScheduleExists | ScheduleNotFound | PersistenceError>
  /** Pauses a schedule: no tick starts a run until it is resumed (the ticks meanwhile are missed). */
  readonly pause: (name: string) => Effect.Effect<void, ScheduleNotFound | PersistenceError>
  readonly resume: (name: string) => Effect.Effect<void, ScheduleNotFound | PersistenceError>
  /** Deletes a schedule (its runs stay). A schedule declared in code comes back at the next start. */
  readonly delete: (name: string) => Effect.Effect<void, ScheduleNotFound | PersistenceError>
}
