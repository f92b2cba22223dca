/**
 * The test kit: run one step, or one template, in isolation, on an in-memory
 * store with fixed settings, and with fake time that moves by itself so that
 * retries, backoffs and timeouts resolve at once.
 *
 * @example
 * ```ts
 * import { it, expect } from "@effect/vitest"
 * import { Effect, Schema } from "effect"
 * import { Step, Testing } from "weftjs"
 *
 * const double = Step.make({
 *   name: "double",
 *   requires: { n: Schema.Number },
 *   provides: { doubled: Schema.Number },
 *   run: ({ n }) => Effect.succeed({ doubled: n * 2 })
 * })
 *
 * it.effect("doubles", () =>
 *   Effect.gen(function*() {
 *     expect(yield* Testing.runStep(double, { n: 21 })).toEqual({ doubled: 42 })
 *   }))
 * ```
 *
 * @since 0.1.0
 */
import { Duration, Effect, Fiber, Layer, Option, TestClock, TestContext } from "effect"
import { StepNotFound } from "./Errors.js"
import type { PersistenceError, RunAlreadyActive, RunError, RunNotFound } from "./Errors.js"
import * as Engine from "./Engine.js"
import { nextWakeUp, tracking, underlying } from "./internal/engine/clock.js"
import { nextTurn, turnPending } from "./internal/eventLoop.js"
import { findStep } from "./internal/run/position.js"
import * as Settings from "./Settings.js"
import * as SnapshotStore from "./SnapshotStore.js"
import type * as Step from "./Step.js"
import * as Template from "./Template.js"

/**
 * Options of the test kit's runners.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /**
   * Settings for this run (default: `Settings.defaults`, never the
   * environment; `runStep` has no workflow timeout unless one is given here).
   */
  readonly settings?: Partial<Settings.WeftSettings> | undefined
  /**
   * `"auto"` (default): fake time jumps to the next pending sleep whenever the
   * run is waiting, so retries and timeouts take no real time. `"manual"`:
   * time moves only when the test calls `TestClock.adjust`.
   */
  readonly time?: "auto" | "manual" | undefined
}

/**
 * An engine over a fresh in-memory store with fixed settings. Its runs
 * sleep on a clock that {@link withAutoTime} and {@link awaitStatus} can see,
 * so that they move fake time exactly as far as the runs wait.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (settings?: Partial<Settings.WeftSettings>): Layer.Layer<Engine.Engine> =>
  Layer.scoped(Engine.Engine, Effect.clockWith((clock) => Effect.withClock(Engine.make, tracking(clock)))).pipe(
    Layer.provide(SnapshotStore.layerMemory),
    Layer.provide(Settings.layerWith(settings ?? {})),
    Layer.orDie
  )

const isTestClock = Effect.clockWith((clock) => {
  const base = underlying(clock)
  return Effect.succeed("adjust" in base && "sleeps" in base)
})

/** How many times auto-time lets other fibers run before it moves fake time. */
const settleYields = 25

/** Moves fake time to the next wake-up a run (or the effect under test) waits on; says whether there was one. */
const advance = Effect.clockWith((clock) => {
  const next = nextWakeUp(clock)
  if (next === undefined) return Effect.succeed(false)
  // set the clock to the wake-up itself: with jittered (fractional) delays,
  // adjusting by the difference can round to no move at all
  return Effect.as(TestClock.setTime(Math.max(clock.unsafeCurrentTimeMillis(), next)), true)
})

/**
 * Runs an effect while moving fake time forward, each time everything is
 * waiting, to the next wake-up that the effect (or a run it started) sleeps
 * towards — never to the sleep of an interrupted fiber or of an engine's
 * background chores. Uses the `TestClock` in context (as `it.effect`
 * provides), else a fresh one.
 *
 * @since 0.1.0
 * @category time
 */
export const withAutoTime = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const drive = Effect.clockWith((clock) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.withClock(effect, tracking(clock)))
      for (;;) {
        // let everything that can run now run (an interrupted timer's finalizer included) before moving time
        for (let i = 0; i < settleYields; i++) {
          yield* Effect.yieldNow()
          const exit = yield* Fiber.poll(fiber)
          if (Option.isSome(exit)) return yield* exit.value
        }
        // fibers waiting for the event loop's turn (a long burst of work) are not waiting on time
        if (turnPending()) yield* nextTurn
        else yield* advance
      }
    })
  )
  return Effect.flatMap(isTestClock, (present) => present ? drive : Effect.provide(drive, TestContext.TestContext))
}

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>, options: Options | undefined) =>
  options?.time === "manual" ? effect : withAutoTime(effect)

/**
 * Runs one template on a fresh in-memory engine and returns its result
 * (final typed state and trace), or fails with its typed error.
 *
 * @since 0.1.0
 * @category running
 */
export const runTemplate = <Req extends object, Prov extends object, E, R>(
  template: Template.Template<Req, Prov, E, R>,
  input: NoInfer<Req>,
  options?: Options
): Effect.Effect<
  Engine.RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>,
  E | RunError | RunAlreadyActive,
  R
> =>
  timed(
    Effect.flatMap(Engine.Engine, (engine) => engine.run(template, input)).pipe(
      Effect.provide(layer(options?.settings))
    ),
    options
  )

/**
 * Runs one step in isolation, with its policy (retry, timeout, fallback,
 * skip), on the given input, and returns what it wrote, or fails with its
 * typed error.
 *
 * @since 0.1.0
 * @category running
 */
export const runStep = <Req extends object, Prov extends object, E, R>(
  step: Step.Step<Req, Prov, E, R>,
  input: NoInfer<Req>,
  options?: Options
): Effect.Effect<Prov, E | RunError | RunAlreadyActive, R> => {
  const template = Template.make({
    name: `test:${step.name}`,
    version: "test",
    steps: [step as unknown as Step.Step.Any]
  }) as unknown as Template.Template<Req, Prov, E, R>
  // one step has no workflow around it: no workflow timeout unless asked for
  const settings = { workflowTimeout: Duration.infinity, ...options?.settings }
  return Effect.map(runTemplate(template, input, { ...options, settings }), (result) => {
    const written: Record<string, unknown> = {}
    for (const key of Object.keys(step.provides)) {
      if (Object.hasOwn(result.state as object, key)) written[key] = (result.state as Record<string, unknown>)[key]
    }
    return written as Prov
  })
}

/**
 * Replays one step of a stored run in isolation, as {@link runStep} runs a
 * step: the step of `template` at `stepKey` (its key in the run, as the
 * trace names it), on exactly the state its last execution started from —
 * read from the store of the `Engine` in context (SQLite, PostgreSQL) and
 * decoded with the template's Schemas — with the services provided here
 * (test layers), so that a production failure becomes a unit test in one
 * line. Nothing is written to that store. A step the run or the template
 * does not have is `StepNotFound`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Engine, Template, Testing } from "weftjs"
 *
 * declare const checkout: Template.Template<{ readonly cart: string }, { readonly paid: boolean }>
 * // the failed step of run "r-1042", on its recorded state, with this test's services
 * const replay = Testing.replayStep(checkout, "r-1042", "pay")
 * ```
 *
 * @since 0.4.0
 * @category running
 */
export const replayStep = <Req extends object, Prov extends object, E, R>(
  template: Template.Template<Req, Prov, E, R>,
  runId: string,
  stepKey: string,
  options?: Options
): Effect.Effect<
  Readonly<Record<string, unknown>>,
  E | RunError | RunAlreadyActive | RunNotFound | StepNotFound | PersistenceError,
  R | Engine.Engine
> =>
  Effect.gen(function*() {
    const node = findStep(template, stepKey)
    if (node === undefined || node._tag !== "Step") {
      return yield* new StepNotFound({ runId, step: stepKey, reason: "unknown-step" })
    }
    const engine = yield* Engine.Engine
    const state = yield* engine.stateAt(runId, stepKey, template, { before: true })
    const step = node as Step.Step<object, Readonly<Record<string, unknown>>, E, R>
    const input: Record<string, unknown> = {}
    for (const key of Object.keys(step.requires)) {
      if (Object.hasOwn(state, key)) input[key] = (state as Record<string, unknown>)[key]
    }
    return yield* runStep(step, input, options)
  })

/**
 * Lets background fibers run until the run `runId` has `status`: for tests
 * of runs started with `engine.start` (it reached its wait, it completed).
 * When everything waits on fake time (a retry's delay, a durable sleep),
 * moves it to the next wake-up a run waits on (runs of an engine built with
 * {@link layer}, or started inside {@link withAutoTime}). Dies with a
 * message naming the status the run has when it gets no closer after
 * `maxYields` yields (default 2000) without fake time to move.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Engine, Testing } from "weftjs"
 *
 * const approved = (runId: string) =>
 *   Effect.gen(function*() {
 *     const engine = yield* Engine.Engine
 *     yield* Testing.awaitStatus(runId, "suspended")
 *     yield* engine.signal(runId, "approval", { approved: true })
 *   })
 * ```
 *
 * @since 0.1.0
 * @category running
 */
export const awaitStatus = (
  runId: string,
  status: SnapshotStore.RunStatus,
  options?: { readonly maxYields?: number | undefined }
): Effect.Effect<void, never, Engine.Engine> =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const maxYields = options?.maxYields ?? 2000
    let last = "not in the store"
    let idle = 0
    for (;;) {
      const run = yield* Effect.option(engine.status(runId))
      if (Option.isSome(run)) {
        if (run.value.status === status) return
        last = run.value.status
      }
      // fibers waiting for the event loop's turn (after a long burst of work) are not idle: let the loop turn
      if (turnPending()) {
        yield* nextTurn
        continue
      }
      yield* Effect.yieldNow()
      // let background work settle before moving time
      if (++idle % 50 !== 0) continue
      if (yield* advance) {
        idle = 0
        continue
      }
      if (idle >= maxYields) {
        return yield* Effect.dieMessage(
          `run ${runId} is ${last} after ${maxYields} yields, expected ${status}; fake time did not move: ` +
            "no run waits on it (runs of an engine built with Testing.layer, or started inside " +
            "Testing.withAutoTime, move it by themselves; else move it with TestClock.adjust)"
        )
      }
    }
  })

/**
 * Faults that an in-memory fake of a service injects into its calls, so that
 * tests exercise retries, timeouts and idempotency keys. Counted per
 * injector (see {@link faults}): the calls of one fake service.
 *
 * @since 0.2.0
 * @category testing
 */
export interface Faults {
  /** The first `n` calls fail with the service's "unavailable" error, without doing their work. */
  readonly unavailableFor?: number | undefined
  /**
   * The first `n` calls that do their work fail anyway with that error, as
   * when a reply is lost on the network: the caller retries, and a service
   * idempotent by key does the work once.
   */
  readonly lostAcks?: number | undefined
  /** Every call takes this long first (fake time under the test kit, so no real waiting). */
  readonly latency?: Duration.DurationInput | undefined
}

/**
 * A call of a fake service with {@link Faults} applied, failing with the
 * service's "unavailable" error `E` when a fault says so.
 *
 * @since 0.2.0
 * @category testing
 */
export type WithFaults<E> = <A, E2, R>(call: Effect.Effect<A, E2, R>) => Effect.Effect<A, E | E2, R>

/**
 * A fault injector for the in-memory fake of a service: wrap each of its
 * calls, and the calls fail (`unavailableFor`, `lostAcks`) and take time
 * (`latency`) as `options` say. No options, no faults.
 *
 * @example
 * ```ts
 * import { Context, Data, Effect, Layer } from "effect"
 * import { Testing } from "weftjs"
 *
 * class MailerUnavailable extends Data.TaggedError("MailerUnavailable")<{}> {}
 *
 * class Mailer extends Context.Tag("app/Mailer")<Mailer, {
 *   readonly send: (to: string) => Effect.Effect<string, MailerUnavailable>
 * }>() {}
 *
 * const layerMemory = (options?: Testing.Faults): Layer.Layer<Mailer> =>
 *   Layer.effect(
 *     Mailer,
 *     Effect.map(Testing.faults(options, () => new MailerUnavailable()), (withFaults) => ({
 *       send: (to) => withFaults(Effect.succeed(`sent to ${to}`))
 *     }))
 *   )
 *
 * // down for its first two calls, and slow
 * const flaky = layerMemory({ unavailableFor: 2, latency: "1 second" })
 * ```
 *
 * @since 0.2.0
 * @category testing
 */
export const faults = <E>(options: Faults | undefined, unavailable: () => E): Effect.Effect<WithFaults<E>> =>
  Effect.sync(() => {
    let calls = 0
    let acks = 0
    const latency = options?.latency
    return <A, E2, R>(call: Effect.Effect<A, E2, R>): Effect.Effect<A, E | E2, R> =>
      Effect.suspend(() => {
        const n = ++calls
        const attempt = Effect.suspend(() =>
          n <= (options?.unavailableFor ?? 0)
            ? Effect.fail(unavailable())
            : Effect.flatMap(call, (result) =>
              ++acks <= (options?.lostAcks ?? 0) ? Effect.fail(unavailable()) : Effect.succeed(result))
        )
        return latency === undefined ? attempt : Effect.zipRight(Effect.sleep(latency), attempt)
      })
  })
