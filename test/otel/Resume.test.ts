/**
 * A run resumed by another process over the same SQLite file continues the
 * trace it was started in: the trace context is stored with the run. Each
 * "process" here is an engine over the file with its own OpenTelemetry SDK
 * (`Layer.provideMerge(Otel.layer(...), engineLayer)`, as a program gets it),
 * all exporting to one collector, as they would to one tracing backend.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Duration, Effect, Exit, Layer, Schema, Scope } from "effect"
import { Engine, Settings, Step, Template, Testing } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { tempFile } from "../support.js"
import { collector, inc, only, traceIds, tree } from "./fixtures.js"

type Collector = ReturnType<typeof collector>

/**
 * How a process composes its tracing: `"provided"`, the engine built over
 * the tracer (`engine.pipe(Layer.provideMerge(Otel.layer(...)))`: the engine
 * stops before the tracer); `"merged"`, the tracer built over the engine
 * (`Layer.provideMerge(Otel.layer(...), engine)`: the tracer stops first, so
 * the spans of executions its shutdown interrupts are lost); `"none"`.
 */
type Tracing = "provided" | "merged" | "none"

/** An engine over `filename`, standing for one process, traced into `c` as `name`. */
const processOver = (filename: string, c: Collector, name: string, tracing: Tracing = "provided") =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const engine = Engine.layer.pipe(
      Layer.provide(Sqlite.layerStore({ filename })),
      // its death leaves its runs to others at once; it looks for runs to take up when nudged
      Layer.provide(Settings.layerWith({
        shutdownGrace: Duration.zero,
        pollInterval: Duration.minutes(10),
        workflowTimeout: Duration.infinity,
        maxRetries: 0
      })),
      Layer.orDie
    )
    const layer = tracing === "provided"
      ? engine.pipe(Layer.provideMerge(c.layer(name)))
      : tracing === "merged"
      ? Layer.provideMerge(c.layer(name), engine)
      : engine
    const runtime = yield* Scope.extend(Layer.toRuntime(layer), scope)
    return {
      /** Runs an effect in this process (with its engine, and its tracer when it has one). */
      run: <A, E>(effect: Effect.Effect<A, E, Engine.Engine>) => Effect.provide(effect, runtime),
      /** The process dies: its engine stops at once, handing its runs back. */
      stop: Scope.close(scope, Exit.void)
    }
  })

/** `first` (n -> a), then `second` (a -> b), whose first execution never ends (it says so in `started`). */
const twoSteps = (started: Deferred.Deferred<void>) => {
  let calls = 0
  return Template.make({
    name: "two_steps",
    version: "1",
    steps: [
      inc("first", "n", "a"),
      Step.make({
        name: "second",
        requires: { a: Schema.Number },
        provides: { b: Schema.Number },
        run: ({ a }) =>
          Effect.suspend(() =>
            ++calls === 1 ? Effect.zipRight(Deferred.succeed(started, undefined), Effect.never) : Effect.succeed({ b: a + 1 })
          )
      })
    ]
  })
}

/** The run `r`, started in a first process that dies in its second step. */
const startThenDie = (filename: string, c: Collector) =>
  Effect.gen(function*() {
    const started = yield* Deferred.make<void>()
    const template = twoSteps(started)
    const first = yield* processOver(filename, c, "process-a")
    yield* first.run(Effect.flatMap(Engine.Engine, (engine) => engine.start(template, { n: 1 }, { runId: "r" })))
    yield* Deferred.await(started)
    yield* first.stop
    return template
  })

const expected = [
  "weft.start",
  "  weft.run two_steps (interrupted)",
  "    weft.step first [completed x1]",
  "    weft.step second (interrupted)",
  "  weft.run two_steps [completed] (restored)",
  "    weft.step second [completed x1]"
]

describe("a run resumed in another process", () => {
  it.scoped("by `engine.resume`: the second execution continues the trace, marked restored", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const c = collector()
      const template = yield* startThenDie(filename, c)
      const second = yield* processOver(filename, c, "process-b")
      const result = yield* second.run(Effect.flatMap(Engine.Engine, (engine) => engine.resume(template, "r")))
      expect(result.state).toEqual({ n: 1, a: 2, b: 3 })
      const spans = c.weft()
      expect(tree(spans)).toEqual(expected)
      expect(traceIds(spans)).toHaveLength(1)
      const [before, after] = spans.filter((span) => span.name === "weft.run two_steps")
      expect(before!.attributes).toMatchObject({ "weft.run.restored": false, "weft.run.completed_steps": 0 })
      expect(after!.attributes).toMatchObject({ "weft.run.restored": true, "weft.run.completed_steps": 1 })
      expect(before!.resource.attributes["service.name"]).toBe("process-a")
      expect(after!.resource.attributes["service.name"]).toBe("process-b")
      // both executions are children of the root the first process stored
      const root = only(spans, "weft.start").spanContext().spanId
      expect([before!.parentSpanContext?.spanId, after!.parentSpanContext?.spanId]).toEqual([root, root])
      yield* second.stop
    }))

  it.scoped("by the engine itself (its poller takes the run up once the template is registered): the same", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const c = collector()
      const template = yield* startThenDie(filename, c)
      const second = yield* processOver(filename, c, "process-b")
      yield* second.run(Effect.flatMap(Engine.Engine, (engine) => engine.register(template)))
      yield* second.run(Testing.awaitStatus("r", "completed"))
      expect(tree(c.weft())).toEqual(expected)
      expect(traceIds(c.weft())).toHaveLength(1)
      yield* second.stop
    }))

  it.scoped("`Layer.provideMerge(Otel.layer(...), engine)` (the engine built first, without the tracer): the same", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const c = collector()
      const template = yield* startThenDie(filename, c)
      const second = yield* processOver(filename, c, "process-b", "merged")
      yield* second.run(Effect.flatMap(Engine.Engine, (engine) => engine.register(template)))
      yield* second.run(Testing.awaitStatus("r", "completed"))
      expect(tree(c.weft())).toEqual(expected)
      expect(c.weft().filter((span) => span.name === "weft.step second").map((span) => span.resource.attributes["service.name"]))
        .toEqual(["process-a", "process-b"])
      yield* second.stop
    }))

  it.scoped("an engine built without a tracer: the tracer of the context the template was registered in is used", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const c = collector()
      const template = yield* startThenDie(filename, c)
      const second = yield* processOver(filename, c, "unused", "none")
      // a context (services only: Effect's tracer, a fiber ref, is not in it) from the layer
      const otel = yield* Layer.build(c.layer("process-b"))
      yield* second.run(Effect.flatMap(Engine.Engine, (engine) => engine.register(template)).pipe(Effect.provide(otel)))
      yield* second.run(Testing.awaitStatus("r", "completed"))
      expect(tree(c.weft())).toEqual(expected)
      expect(c.weft().filter((span) => span.name === "weft.step second").map((span) => span.resource.attributes["service.name"]))
        .toEqual(["process-a", "process-b"])
      yield* second.stop
    }))

  it.scoped("a process without tracing executes the run untraced, and the trace goes on where tracing is on", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const c = collector()
      const started = yield* Deferred.make<void>()
      const template = twoSteps(started)
      const first = yield* processOver(filename, c, "process-a", "none")
      yield* first.run(Effect.flatMap(Engine.Engine, (engine) => engine.start(template, { n: 1 }, { runId: "r" })))
      yield* Deferred.await(started)
      yield* first.stop
      expect(c.spans()).toEqual([])
      const second = yield* processOver(filename, c, "process-b")
      yield* second.run(Effect.flatMap(Engine.Engine, (engine) => engine.resume(template, "r")))
      // stored without a trace context: its traced execution starts a trace of its own
      expect(tree(c.weft())).toEqual([
        "weft.run two_steps [completed] (restored)",
        "  weft.step second [completed x1]"
      ])
      expect(only(c.weft(), "weft.run two_steps").parentSpanContext).toBeUndefined()
      yield* second.stop
    }))
})
