/**
 * `weftjs/otel`: OpenTelemetry traces of runs.
 *
 * With tracing on, each execution of a run is a span, `weft.run <template>`
 * (attributes `weft.run.id`, `weft.template.name`, `weft.template.version`,
 * `weft.run.restored` — whether it went on from a checkpoint —,
 * `weft.run.completed_steps`, and at its end `weft.run.status`:
 * `"completed"` or `"suspended"`; a failure is the span's error status), and
 * each step a child span, `weft.step <key>` (`weft.step.key`,
 * `weft.step.name`, the template's name and version, `weft.run.restored`,
 * and at its end `weft.step.status` and `weft.step.attempts`). Retries
 * (`weft.step.retry`, with `weft.step.attempt` and `weft.error`), step
 * timeouts (`weft.step.timeout`) and signals taken (`weft.signal`) are span
 * events; a sub-flow's child run is a span under its parent's execution.
 *
 * A run is stored with its trace context (W3C `traceparent`): the span
 * current where it was started, or else a `weft.start` span that roots a new
 * trace. Every execution of the run continues that trace — a run resumed
 * after a crash, a signal or a timer, in this process or another one, is in
 * the same trace as its start.
 *
 * weft executes a run with the services of the context where it was started
 * or its template registered (or, for the runs its engine takes up by
 * itself, where the engine was built): provide the layer where both are,
 * e.g. with `Layer.provideMerge(Otel.layer(...), engineLayer)`.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { ConsoleSpanExporter } from "@opentelemetry/sdk-trace-base"
 * import { Otel } from "weftjs/otel"
 * import { Sqlite } from "weftjs/sqlite"
 *
 * // spans batched to an exporter (an OTLP one in production), for the engine and the program
 * export const AppLive = Layer.provideMerge(
 *   Otel.layer({ serviceName: "orders", exporter: new ConsoleSpanExporter() }),
 *   Sqlite.layer({ filename: "runs.db" })
 * )
 * ```
 *
 * @since 0.2.0
 */
import * as NodeSdk from "@effect/opentelemetry/NodeSdk"
import * as Resource from "@effect/opentelemetry/Resource"
import * as OtelTracer from "@effect/opentelemetry/Tracer"
import { type Attributes, metrics, type MeterProvider } from "@opentelemetry/api"
import { BatchSpanProcessor, type SpanExporter, type SpanProcessor, type TracerConfig } from "@opentelemetry/sdk-trace-base"
import type { Duration } from "effect"
import { Effect, Layer } from "effect"
import { Engine } from "./Engine.js"
import { recordMetrics } from "./internal/otel/metrics.js"
import { RunTracing } from "./internal/run/tracing.js"

/**
 * What the spans are exported with, and the resource that describes the
 * service. At least one of `exporter` and `spanProcessor` is required.
 *
 * @since 0.2.0
 * @category models
 */
export type Options = OptionsBase & (
  | {
    /** Where spans go, in batches (a `BatchSpanProcessor`, flushed when the layer is released). */
    readonly exporter: SpanExporter
    readonly spanProcessor?: SpanProcessor | ReadonlyArray<SpanProcessor> | undefined
  }
  | {
    readonly exporter?: SpanExporter | undefined
    /** Span processors of your own (a `SimpleSpanProcessor` exports each span as it ends). */
    readonly spanProcessor: SpanProcessor | ReadonlyArray<SpanProcessor>
  }
)

/**
 * The options every {@link Options} has.
 *
 * @since 0.2.0
 * @category models
 */
export interface OptionsBase {
  /** The service's name (`service.name`; it wins over `OTEL_SERVICE_NAME`). */
  readonly serviceName: string
  /** `service.version`. */
  readonly serviceVersion?: string | undefined
  /** More resource attributes (besides those of `OTEL_RESOURCE_ATTRIBUTES`, which are read too). */
  readonly attributes?: Attributes | undefined
  /** The tracer provider's configuration: a sampler, id generator, span limits. */
  readonly tracerConfig?: Omit<TracerConfig, "resource" | "spanProcessors"> | undefined
  /** How long the release of the layer waits for the last spans to be exported. Default 3 seconds. */
  readonly shutdownTimeout?: Duration.DurationInput | undefined
}

/**
 * Turns weft's spans on over the tracer already in context (yours: for
 * instance `@effect/opentelemetry`'s `NodeSdk.layer`, provided below this
 * layer and where the engine is built). {@link layer} includes it.
 *
 * @example
 * ```ts
 * import { NodeSdk } from "@effect/opentelemetry"
 * import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
 * import { Layer } from "effect"
 * import { Otel } from "weftjs/otel"
 *
 * const sdk = NodeSdk.layer(() => ({
 *   resource: { serviceName: "orders" },
 *   spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter())
 * }))
 * export const TracingLive = Layer.provideMerge(Otel.layerTracing, sdk)
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layerTracing: Layer.Layer<never> = Layer.succeed(RunTracing, { enabled: true })

/** The span processors the options name: the exporter's, batched, first. */
const processorsOf = (options: Options): readonly [SpanProcessor, ...Array<SpanProcessor>] | undefined => {
  const own = options.spanProcessor === undefined
    ? []
    : Array.isArray(options.spanProcessor)
    ? options.spanProcessor as ReadonlyArray<SpanProcessor>
    : [options.spanProcessor as SpanProcessor]
  const all = options.exporter === undefined ? own : [new BatchSpanProcessor(options.exporter), ...own]
  return all.length === 0 ? undefined : [all[0]!, ...all.slice(1)]
}

/**
 * An OpenTelemetry tracer (a Node tracer provider, over `@effect/opentelemetry`)
 * with weft's spans on: the tracer of the program the layer is provided to,
 * and of weft's runs wherever they execute. Releasing the layer flushes the
 * spans not yet exported, then shuts the provider down.
 *
 * @example
 * ```ts
 * import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
 * import { Otel } from "weftjs/otel"
 *
 * const exporter = new InMemorySpanExporter()
 * export const OtelLive = Otel.layer({
 *   serviceName: "orders",
 *   serviceVersion: "1.4.0",
 *   spanProcessor: new SimpleSpanProcessor(exporter)
 * })
 * ```
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: Options): Layer.Layer<Resource.Resource> =>
  // the processors are made when the layer is built (a released one is shut down)
  Layer.unwrapEffect(Effect.sync(() => {
    const resource = Resource.layerFromEnv(Resource.configToAttributes({
      serviceName: options.serviceName,
      ...(options.serviceVersion === undefined ? {} : { serviceVersion: options.serviceVersion }),
      ...(options.attributes === undefined ? {} : { attributes: options.attributes })
    }))
    const processors = processorsOf(options)
    // the types require a processor; a JavaScript caller may still forget it
    const provider = processors === undefined
      ? Layer.effect(
        OtelTracer.OtelTracerProvider,
        Effect.dieMessage("Otel.layer: give an `exporter` or a `spanProcessor`, or no span goes anywhere")
      )
      : NodeSdk.layerTracerProvider(processors, { ...options.tracerConfig, shutdownTimeout: options.shutdownTimeout })
    // the runs' tracer is kept with `RunTracing` (a service), so that a run taken up by a
    // background fiber of its engine is traced by it too
    const tracing = Layer.effect(RunTracing, Effect.map(OtelTracer.make, (tracer) => ({ enabled: true, tracer })))
    return Layer.provideMerge(tracing, OtelTracer.layer).pipe(
      Layer.provideMerge(provider),
      Layer.provideMerge(resource)
    )
  }))

/**
 * This module as a namespace: `import { Otel } from "weftjs/otel"`.
 *
 * @since 0.2.0
 */
export * as Otel from "./otel.js"

/**
 * Options of {@link layerMetrics}.
 *
 * @since 0.4.0
 * @category models
 */
export interface MetricsOptions {
  /** Where the instruments are created (default: the global `MeterProvider` of `@opentelemetry/api`). */
  readonly meterProvider?: MeterProvider | undefined
  /** How often the queues are read from the store for the queue gauges (default 10 s). */
  readonly queuesInterval?: Duration.DurationInput | undefined
}

/**
 * OpenTelemetry metrics of the engine in context, for as long as the layer
 * lives: counters `weft.runs.started`, `weft.runs.ended` (by
 * `weft.run.status`), `weft.step.retries`, `weft.step.failures`,
 * `weft.step.timeouts`; histograms `weft.run.duration` and
 * `weft.step.duration` (ms, by `weft.template.name`, and
 * `weft.step.key`); gauges `weft.queue.depth` (by `weft.queue` and
 * `weft.run.status`) and `weft.queue.oldest_age` (ms). The counters and
 * histograms see the runs this engine executes; the gauges, every run in the store.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { MeterProvider } from "@opentelemetry/sdk-metrics"
 * import { Engine } from "weftjs"
 * import { Otel } from "weftjs/otel"
 *
 * const meterProvider = new MeterProvider({ readers: [] })
 * export const Live = Layer.provideMerge(Otel.layerMetrics({ meterProvider }), Engine.layerMemory)
 * ```
 *
 * @since 0.4.0
 * @category layers
 */
export const layerMetrics = (options: MetricsOptions = {}): Layer.Layer<never, never, Engine> =>
  Layer.scopedDiscard(
    Effect.flatMap(Engine, (engine) =>
      recordMetrics(
        (options.meterProvider ?? metrics.getMeterProvider()).getMeter("weftjs"),
        engine,
        options.queuesInterval ?? "10 seconds"
      ))
  )
