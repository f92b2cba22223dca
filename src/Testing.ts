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
import { Chunk, Duration, Effect, Fiber, Layer, Option, TestClock, TestContext } from "effect"
import type { RunAlreadyActive, RunError } from "./Errors.js"
import * as Engine from "./Engine.js"
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
 * An engine over a fresh in-memory store with fixed settings.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (settings?: Partial<Settings.WeftSettings>): Layer.Layer<Engine.Engine> =>
  Engine.layer.pipe(
    Layer.provide(SnapshotStore.layerMemory),
    Layer.provide(Settings.layerWith(settings ?? {})),
    Layer.orDie
  )

const isTestClock = Effect.clockWith((clock) => Effect.succeed("adjust" in clock && "sleeps" in clock))

/**
 * Runs an effect while moving fake time forward to each pending sleep until
 * the effect completes. Uses the `TestClock` in context (as `it.effect`
 * provides), else a fresh one.
 *
 * @since 0.1.0
 * @category time
 */
export const withAutoTime = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const drive = Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (;;) {
      yield* Effect.yieldNow()
      const exit = yield* Fiber.poll(fiber)
      if (Option.isSome(exit)) return yield* exit.value
      const sleeps = yield* TestClock.sleeps()
      if (Chunk.isEmpty(sleeps)) continue
      // set the clock to the next wake-up itself: with jittered (fractional)
      // delays, adjusting by the difference can round to no move at all
      const now = yield* TestClock.currentTimeMillis
      const next = Math.min(...Chunk.toReadonlyArray(sleeps))
      yield* TestClock.setTime(Math.max(now, next))
    }
  })
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
      if (key in (result.state as object)) written[key] = (result.state as Record<string, unknown>)[key]
    }
    return written as Prov
  })
}

/**
 * Lets background fibers run until the run `runId` has `status`: for tests
 * of runs started with `engine.start` (it reached its wait, it completed).
 * Yields to other fibers at most `maxYields` times (default 2000), then dies
 * with a message naming the status the run had.
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
    for (let i = 0; i < maxYields; i++) {
      const run = yield* Effect.option(engine.status(runId))
      if (Option.isSome(run)) {
        if (run.value.status === status) return
        last = run.value.status
      }
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage(`run ${runId} is ${last} after ${maxYields} yields, expected ${status}`)
  })
