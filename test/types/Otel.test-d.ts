/**
 * Type-level contract of `weftjs/otel`: `Otel.layer` needs somewhere to send
 * spans (an `exporter` or a `spanProcessor`), and its layers need nothing.
 *
 * Every `@ts-expect-error` is preceded by a passing twin.
 */
import type { Resource } from "@effect/opentelemetry"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { Layer } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Otel } from "weftjs/otel"

const exporter = new InMemorySpanExporter()

describe("Otel.layer", () => {
  it("takes an exporter, span processors, or both", () => {
    Otel.layer({ serviceName: "a", exporter })
    Otel.layer({ serviceName: "a", spanProcessor: new SimpleSpanProcessor(exporter) })
    Otel.layer({ serviceName: "a", spanProcessor: [new SimpleSpanProcessor(exporter)] })
    Otel.layer({ serviceName: "a", exporter, spanProcessor: new SimpleSpanProcessor(exporter) })
  })

  it("without either, spans would go nowhere: a compile error", () => {
    Otel.layer({ serviceName: "a", exporter, serviceVersion: "1" })
    // @ts-expect-error neither an exporter nor a span processor
    Otel.layer({ serviceName: "a", serviceVersion: "1" })
    // @ts-expect-error an exporter given as undefined is none
    Otel.layer({ serviceName: "a", exporter: undefined })
  })

  it("needs a service name", () => {
    // @ts-expect-error no serviceName
    Otel.layer({ exporter })
  })

  it("requires nothing and cannot fail", () => {
    expectTypeOf(Otel.layer({ serviceName: "a", exporter })).toEqualTypeOf<Layer.Layer<Resource.Resource>>()
    expectTypeOf(Otel.layerTracing).toEqualTypeOf<Layer.Layer<never>>()
  })
})
