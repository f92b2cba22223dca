/**
 * `weftjs/otel`: a span per execution of a run, a child span per step,
 * retries, timeouts and signals as events, sub-flows under their parent, one
 * trace per run; nothing at all when tracing is off. Spans are collected by
 * an `InMemorySpanExporter`; time is the TestClock's.
 */
import { NodeSdk } from "@effect/opentelemetry"
import { SpanStatusCode } from "@opentelemetry/api"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Layer, Schema } from "effect"
import { Durable, Engine, Step, Template, Testing } from "weftjs"
import { Otel } from "weftjs/otel"
import { approval, collector, flaky, inc, only, order, parent, slowOnce, traceIds, tree } from "./fixtures.js"

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }

describe("a run", () => {
  it.effect("is a span under a `weft.start` root, each step a child span, all in one trace", () => {
    const c = collector()
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const result = yield* engine.run(order, { n: 1 }, { runId: "o-1" })
      expect(result.state).toEqual({ n: 1, a: 2, b: 3 })
      expect(tree(c.weft())).toEqual([
        "weft.start",
        "  weft.run order [completed]",
        "    weft.step reserve [completed x1]",
        "    weft.step charge [completed x1]"
      ])
      const spans = c.weft()
      expect(traceIds(spans)).toHaveLength(1)
      const run = only(spans, "weft.run order")
      expect(run.attributes).toMatchObject({
        "weft.run.id": "o-1",
        "weft.template.name": "order",
        "weft.template.version": "1",
        "weft.run.restored": false,
        "weft.run.completed_steps": 0
      })
      expect(only(spans, "weft.step charge").attributes).toMatchObject({
        "weft.run.id": "o-1",
        "weft.template.name": "order",
        "weft.template.version": "1",
        "weft.step.key": "charge",
        "weft.step.name": "charge",
        "weft.step.attempts": 1,
        "weft.step.status": "completed",
        "weft.run.restored": false
      })
      expect(run.status.code).toBe(SpanStatusCode.OK)
      expect(run.resource.attributes["service.name"]).toBe("weft-test")
      // the run is stored with the root's trace context
      const root = only(spans, "weft.start")
      const { spanId, traceId } = root.spanContext()
      expect((yield* engine.status("o-1")).traceContext).toBe(`00-${traceId}-${spanId}-01`)
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(c.layer()))
  })

  it.effect("started inside a span of the caller, is that span's child (no `weft.start`)", () => {
    const c = collector()
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.run(order, { n: 1 }).pipe(Effect.withSpan("POST /orders"))
      expect(tree(c.spans())).toEqual([
        "POST /orders",
        "  weft.run order [completed]",
        "    weft.step reserve [completed x1]",
        "    weft.step charge [completed x1]"
      ])
      expect(traceIds(c.spans())).toHaveLength(1)
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(c.layer()))
  })

  it.effect("spans of the user's own code in a step are children of the step's span", () => {
    const c = collector()
    const traced = Template.make({
      name: "traced",
      version: "1",
      steps: [Step.make({
        name: "fetch",
        requires: { n: Schema.Number },
        provides: { body: Schema.String },
        run: ({ n }) => Effect.succeed({ body: `#${n}` }).pipe(Effect.withSpan("http.get"))
      })]
    })
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.run(traced, { n: 1 })
      expect(tree(c.spans())).toEqual([
        "weft.start",
        "  weft.run traced [completed]",
        "    weft.step fetch [completed x1]",
        "      http.get"
      ])
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(c.layer()))
  })
})

describe("span events", () => {
  it.effect("retries: one `weft.step.retry` event per retry, with the attempt and the error's tag", () => {
    const c = collector()
    const t = Template.make({ name: "pay", version: "1", steps: [flaky(2)] })
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* Testing.withAutoTime(engine.run(t, { n: 5 }))
      expect(tree(c.weft())).toEqual([
        "weft.start",
        "  weft.run pay [completed]",
        "    weft.step pay [completed x3] +weft.step.retry#2 +weft.step.retry#3"
      ])
      const step = only(c.weft(), "weft.step pay")
      expect(step.events.map((e) => e.attributes)).toEqual([
        { "weft.step.attempt": 2, "weft.error": "Unavailable" },
        { "weft.step.attempt": 3, "weft.error": "Unavailable" }
      ])
      // the retries waited 1 second each (fake time): the events say when
      const [first, second] = step.events
      expect(second!.time[0] - first!.time[0]).toBe(1)
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(c.layer()))
  })

  it.effect("a step that fails for good: its span and the run's are errors, the step's says `failed` and its attempts", () => {
    const c = collector()
    const t = Template.make({ name: "pay", version: "1", steps: [flaky(9)] })
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const exit = yield* Effect.exit(Testing.withAutoTime(engine.run(t, { n: 5 })))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(tree(c.weft())).toEqual([
        "weft.start",
        "  weft.run pay +exception ERROR",
        "    weft.step pay [failed x4] +weft.step.retry#2 +weft.step.retry#3 +weft.step.retry#4 +exception ERROR"
      ])
      const exception = only(c.weft(), "weft.step pay").events.find((e) => e.name === "exception")
      expect(exception?.attributes?.["exception.type"]).toBe("Unavailable")
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(c.layer()))
  })

  it.effect("a step timeout: a `weft.step.timeout` event on the attempt that timed out, then the retry", () => {
    const c = collector()
    const t = Template.make({ name: "lookup", version: "1", steps: [slowOnce] })
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* Testing.withAutoTime(engine.run(t, { n: 5 }))
      expect(tree(c.weft())).toEqual([
        "weft.start",
        "  weft.run lookup [completed]",
        "    weft.step lookup [completed x2] +weft.step.timeout#1 +weft.step.retry#2"
      ])
      const [timeout, retry] = only(c.weft(), "weft.step lookup").events
      expect(timeout!.attributes).toEqual({ "weft.step.attempt": 1, "weft.step.timeout_ms": 10_000 })
      expect(retry!.attributes).toEqual({ "weft.step.attempt": 2, "weft.error": "StepTimeout" })
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(c.layer()))
  })

  it.effect("a signal: the suspended execution ends `suspended` (not an error); the next one, restored, takes the signal", () => {
    const c = collector()
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(approval, { n: 1 }, { runId: "ap" })
      yield* Testing.awaitStatus("ap", "suspended")
      yield* engine.signal("ap", "approval", { ok: true })
      yield* handle.await
      expect(tree(c.weft())).toEqual([
        "weft.start",
        "  weft.run approval [suspended]",
        "    weft.step reserve [completed x1]",
        "  weft.run approval [completed] (restored) +weft.signal(approval)",
        "    weft.step ship [completed x1]"
      ])
      const [first, second] = c.weft().filter((s) => s.name === "weft.run approval")
      expect(first!.status.code).toBe(SpanStatusCode.OK)
      expect(second!.attributes["weft.run.restored"]).toBe(true)
      // `reserve`, and the wait's own bookkeeping
      expect(second!.attributes["weft.run.completed_steps"]).toBeGreaterThanOrEqual(1)
      expect(second!.events[0]!.attributes).toEqual({ "weft.signal.name": "approval", "weft.step.key": "approval" })
      expect(only(c.weft(), "weft.step ship").attributes["weft.run.restored"]).toBe(true)
      expect(traceIds(c.weft())).toHaveLength(1)
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(c.layer()))
  })
})

describe("a sub-flow", () => {
  it.effect("its child run is a span under the parent's execution, its steps under it, in the parent's trace", () => {
    const c = collector()
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const result = yield* engine.run(parent, { m: 0 }, { runId: "p" })
      expect(result.state.c).toBe(4)
      expect(tree(c.weft())).toEqual([
        "weft.start",
        "  weft.run parent [completed]",
        "    weft.step before [completed x1]",
        "    weft.run order [completed]",
        "      weft.step reserve [completed x1]",
        "      weft.step charge [completed x1]",
        "    weft.step after [completed x1]"
      ])
      expect(traceIds(c.weft())).toHaveLength(1)
      expect(only(c.weft(), "weft.run order").attributes["weft.run.id"]).toBe("p/order")
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(c.layer()))
  })

  it.effect("a child that waits: both executions end `suspended`; after the signal, both go on in the same trace", () => {
    const c = collector()
    const host = Template.make({ name: "host", version: "1", steps: [inc("before", "m", "n"), Durable.subflow(approval)] })
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(host, { m: 0 }, { runId: "h" })
      yield* Testing.awaitStatus("h/approval", "suspended")
      yield* Testing.awaitStatus("h", "suspended")
      yield* engine.signal("h/approval", "approval", { ok: true })
      yield* handle.await
      expect(tree(c.weft())).toEqual([
        "weft.start",
        "  weft.run host [suspended]",
        "    weft.step before [completed x1]",
        "    weft.run approval [suspended]",
        "      weft.step reserve [completed x1]",
        "  weft.run host [completed] (restored)",
        "    weft.run approval [completed] (restored) +weft.signal(approval)",
        "      weft.step ship [completed x1]"
      ])
      expect(traceIds(c.weft())).toHaveLength(1)
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(c.layer()))
  })
})

describe("tracing off", () => {
  it.effect("without the layer: no span, and the run is stored without a trace context", () => {
    const exporter = new InMemorySpanExporter()
    // a tracer is there (the user's), but weft's spans are not turned on
    const sdk = NodeSdk.layer(() => ({ resource: { serviceName: "app" }, spanProcessor: new SimpleSpanProcessor(exporter) }))
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.run(parent, { m: 0 }, { runId: "p" })
      yield* engine.run(order, { n: 1 }, { runId: "o" }).pipe(Effect.withSpan("mine"))
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(["mine"])
      expect((yield* engine.status("p")).traceContext).toBeNull()
      expect((yield* engine.status("p/order")).traceContext).toBeNull()
      expect((yield* engine.status("o")).traceContext).toBeNull()
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(sdk))
  })

  it.effect("`Otel.layerTracing` turns weft's spans on over a tracer the program provides", () => {
    const exporter = new InMemorySpanExporter()
    const sdk = NodeSdk.layer(() => ({ resource: { serviceName: "app" }, spanProcessor: new SimpleSpanProcessor(exporter) }))
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.run(order, { n: 1 }, { runId: "o" })
      expect(tree(exporter.getFinishedSpans())).toEqual([
        "weft.start",
        "  weft.run order [completed]",
        "    weft.step reserve [completed x1]",
        "    weft.step charge [completed x1]"
      ])
      expect((yield* engine.status("o")).traceContext).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/)
    }).pipe(Effect.provide(Testing.layer(settings)), Effect.provide(Layer.provideMerge(Otel.layerTracing, sdk)))
  })
})

describe("Otel.layer", () => {
  it.effect("with `exporter`: spans are batched, and the last ones flushed when the layer is released", () => {
    const exporter = new (class extends InMemorySpanExporter {
      override shutdown() {
        return Promise.resolve()
      }
    })()
    return Effect.gen(function*() {
      yield* Effect.gen(function*() {
        const engine = yield* Engine.Engine
        yield* engine.run(order, { n: 1 })
      }).pipe(
        Effect.provide(Testing.layer(settings)),
        Effect.provide(Otel.layer({ serviceName: "batched", serviceVersion: "2.0.0", attributes: { team: "ops" }, exporter }))
      )
      const spans = exporter.getFinishedSpans()
      expect(tree(spans)).toHaveLength(4)
      expect(spans[0]!.resource.attributes).toMatchObject({ "service.name": "batched", "service.version": "2.0.0", team: "ops" })
    })
  })

  it.effect("`Layer.provideMerge(Otel.layer(...), engineLayer)` provided to a program: its runs, started and signalled, are traced", () => {
    const c = collector()
    return Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.start(approval, { n: 1 }, { runId: "ap" })
      yield* Testing.awaitStatus("ap", "suspended")
      // the signal records the payload and the engine resumes the run in the background
      yield* engine.signal("ap", "approval", { ok: false })
      yield* Testing.awaitStatus("ap", "completed")
      expect(tree(c.weft()).filter((line) => line.includes("weft.run"))).toEqual([
        "  weft.run approval [suspended]",
        "  weft.run approval [completed] (restored) +weft.signal(approval)"
      ])
    }).pipe(Effect.provide(Layer.provideMerge(c.layer(), Testing.layer(settings))))
  })
})

