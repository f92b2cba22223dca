/**
 * `Otel.layerMetrics`: the engine's runs as OpenTelemetry metrics, read with
 * an in-memory reader: runs started and ended (by status), run and step
 * durations as histograms, retries, failures and timeouts per step, and the
 * queues' depth as gauges.
 */
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics"
import type { DataPoint, Histogram, ResourceMetrics } from "@opentelemetry/sdk-metrics"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema, TestClock } from "effect"
import { Engine, Settings, Step, Template } from "weftjs"
import { Otel } from "weftjs/otel"
import { flaky, order, slowOnce } from "./fixtures.js"

const points = (all: ReadonlyArray<ResourceMetrics>, name: string): ReadonlyArray<DataPoint<unknown>> =>
  all.flatMap((r) => r.scopeMetrics).flatMap((s) => s.metrics).filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints as ReadonlyArray<DataPoint<unknown>>)

const boom = Template.make({
  name: "boom",
  version: "1",
  steps: [Step.make({ name: "explode", requires: {}, provides: { x: Schema.Number }, run: () => Effect.fail("no") })]
})

describe("Otel.layerMetrics", () => {
  it.scoped("counts runs, measures durations, counts retries/failures/timeouts, and gauges queues", () =>
    Effect.gen(function*() {
      const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
      const meterProvider = new MeterProvider({ readers: [reader] })
      const live = Layer.provideMerge(
        Otel.layerMetrics({ meterProvider, queuesInterval: "1 second" }),
        Layer.provideMerge(Engine.layerMemory, Settings.layerWith({ workflowTimeout: Duration.infinity, maxRetries: 0 }))
      )
      yield* Effect.gen(function*() {
        const engine = yield* Engine.Engine
        yield* Effect.yieldNow()
        yield* engine.run(order, { n: 1 }, { runId: "o-1" })
        yield* engine.run(order, { n: 2 }, { runId: "o-2" })
        const pay = Template.make({ name: "pay", version: "1", steps: [flaky(2)] })
        const paying = yield* Effect.fork(engine.run(pay, { n: 1 }, { runId: "p-1" }))
        yield* TestClock.adjust("3 seconds")
        yield* paying
        const lookup = Template.make({ name: "lookup", version: "1", steps: [slowOnce] })
        const looking = yield* Effect.fork(engine.run(lookup, { n: 1 }, { runId: "l-1" }))
        yield* TestClock.adjust("30 seconds")
        yield* looking
        yield* Effect.exit(engine.run(boom, {}, { runId: "b-1" }))
        yield* engine.start(order, { n: 3 }, { runId: "q-1", queue: "orders" })
        yield* TestClock.adjust("2 seconds")
      }).pipe(Effect.provide(live), Effect.scoped)
      yield* Effect.promise(() => reader.forceFlush())
      const all = exporter.getMetrics()
      const sum = (name: string, attributes: Record<string, unknown> = {}) =>
        points(all, name).filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v))
          .reduce((n, p) => n + (p.value as number), 0)
      expect(sum("weft.runs.started", { "weft.template.name": "order" })).toBe(2)
      expect(sum("weft.runs.ended", { "weft.run.status": "completed" })).toBe(4)
      expect(sum("weft.runs.ended", { "weft.run.status": "failed", "weft.template.name": "boom" })).toBe(1)
      const runDuration = points(all, "weft.run.duration").filter((p) => p.attributes["weft.template.name"] === "order")
      expect((runDuration[0]!.value as Histogram).count).toBe(2)
      expect(sum("weft.step.retries", { "weft.template.name": "pay" })).toBe(2)
      expect(sum("weft.step.timeouts", { "weft.template.name": "lookup" })).toBe(1)
      expect(sum("weft.step.failures", { "weft.template.name": "boom" })).toBe(1)
      const stepDuration = points(all, "weft.step.duration").filter((p) => p.attributes["weft.step.key"] !== undefined)
      expect(stepDuration.length).toBeGreaterThan(0)
      expect(sum("weft.queue.depth", { "weft.queue": "orders", "weft.run.status": "queued" })).toBe(1)
      yield* Effect.promise(() => meterProvider.shutdown())
    }))
})
