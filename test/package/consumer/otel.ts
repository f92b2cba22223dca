/** `weftjs/otel`: a run traced into an in-memory exporter. */
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Effect, Layer } from "effect"
import { Engine, Workflow } from "weftjs"
import { Otel } from "weftjs/otel"
import { hello, report } from "./shared.js"

// keeps its spans when the layer's release shuts the provider (and its exporters) down
class Collector extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const exporter = new Collector()
const OtelLive = Otel.layer({ serviceName: "pack", spanProcessor: new SimpleSpanProcessor(exporter) })

const { state } = await Effect.runPromise(
  Workflow.run(hello, { who: "otel" }).pipe(Effect.provide(Layer.provideMerge(OtelLive, Engine.layerMemory)))
)

report({ greeting: state.greeting, spans: exporter.getFinishedSpans().map((span) => span.name).sort() })

/** Never called: the compiler must refuse these (the entry's types are not `any`). */
export const wrongUses = () => [
  // @ts-expect-error serviceName is required
  Otel.layer({ spanProcessor: new SimpleSpanProcessor(exporter) })
]
