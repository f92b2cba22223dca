/**
 * What the OpenTelemetry tests share: a span collector (an
 * `InMemorySpanExporter` that, like a tracing backend, keeps what it got
 * when a process's provider shuts down), the collected spans drawn as a
 * tree, and small templates.
 */
import { SpanStatusCode } from "@opentelemetry/api"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Data, Effect, Schedule, Schema } from "effect"
import { Durable, Step, Template } from "weftjs"
import { Otel } from "weftjs/otel"

/** An exporter that keeps its spans across the shutdowns of the providers that export to it. */
export class Backend extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve()
  }
}

/** A collector: its exporter, and an `Otel.layer` per process that exports each span to it as it ends. */
export const collector = () => {
  const exporter = new Backend()
  return {
    exporter,
    layer: (serviceName = "weft-test") => Otel.layer({ serviceName, spanProcessor: new SimpleSpanProcessor(exporter) }),
    spans: (): ReadonlyArray<ReadableSpan> => exporter.getFinishedSpans(),
    /** The spans whose name starts with `weft.`. */
    weft: (): ReadonlyArray<ReadableSpan> => exporter.getFinishedSpans().filter((span) => span.name.startsWith("weft."))
  }
}

const startNanos = (span: ReadableSpan) => span.startTime[0] * 1e9 + span.startTime[1]

/** One span as a line: name, weft status (and attempts), restored, events, error. */
const lineOf = (span: ReadableSpan): string => {
  const a = span.attributes
  const parts = [span.name]
  if (a["weft.run.status"] !== undefined) parts.push(`[${String(a["weft.run.status"])}]`)
  if (a["weft.step.status"] !== undefined) parts.push(`[${String(a["weft.step.status"])} x${String(a["weft.step.attempts"])}]`)
  if (a["weft.run.restored"] === true && span.name.startsWith("weft.run")) parts.push("(restored)")
  if (a["status.interrupted"] === true) parts.push("(interrupted)")
  for (const event of span.events) {
    const attempt = event.attributes?.["weft.step.attempt"]
    const signal = event.attributes?.["weft.signal.name"]
    parts.push(`+${event.name}${attempt === undefined ? "" : `#${String(attempt)}`}${signal === undefined ? "" : `(${String(signal)})`}`)
  }
  if (span.status.code === SpanStatusCode.ERROR) parts.push("ERROR")
  return parts.join(" ")
}

/**
 * The spans as a tree, one line per span, indented under its parent
 * (siblings in start order, then end order); a span whose parent is not
 * among them is a root.
 */
export const tree = (spans: ReadonlyArray<ReadableSpan>): ReadonlyArray<string> => {
  const ids = new Set(spans.map((span) => span.spanContext().spanId))
  const children = new Map<string | undefined, Array<ReadableSpan>>()
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId
    const key = parent !== undefined && ids.has(parent) ? parent : undefined
    children.set(key, [...(children.get(key) ?? []), span])
  }
  const lines: Array<string> = []
  const walk = (parent: string | undefined, depth: number) => {
    const order = (children.get(parent) ?? []).map((span, i) => ({ span, i }))
    order.sort((x, y) => startNanos(x.span) - startNanos(y.span) || x.i - y.i)
    for (const { span } of order) {
      lines.push(`${"  ".repeat(depth)}${lineOf(span)}`)
      walk(span.spanContext().spanId, depth + 1)
    }
  }
  walk(undefined, 0)
  return lines
}

/** The trace ids of some spans, without repeats. */
export const traceIds = (spans: ReadonlyArray<ReadableSpan>): ReadonlyArray<string> => [
  ...new Set(spans.map((span) => span.spanContext().traceId))
]

/** The one span named `name` (fails the test when there are none or several). */
export const only = (spans: ReadonlyArray<ReadableSpan>, name: string): ReadableSpan => {
  const found = spans.filter((span) => span.name === name)
  if (found.length !== 1) throw new Error(`expected one span "${name}", got ${found.length}: ${tree(spans).join("\n")}`)
  return found[0]!
}

// ---------------------------------------------------------------------------
// templates
// ---------------------------------------------------------------------------

/** A step that writes `to` = `from` + 1. */
export const inc = <const From extends string, const To extends string>(name: string, from: From, to: To) =>
  Step.make({
    name,
    requires: { [from]: Schema.Number } as { readonly [K in From]: typeof Schema.Number },
    provides: { [to]: Schema.Number } as { readonly [K in To]: typeof Schema.Number },
    run: (input) =>
      Effect.succeed(
        { [to]: (input as Record<string, number>)[from]! + 1 } as Step.Slice<{ readonly [K in To]: typeof Schema.Number }>
      )
  })

/** Two steps: `reserve` (n -> a), `charge` (a -> b). */
export const order = Template.make({ name: "order", version: "1", steps: [inc("reserve", "n", "a"), inc("charge", "a", "b")] })

export class Unavailable extends Data.TaggedError("Unavailable")<{ readonly attempt: number }> {}

/** A step whose first `failures` attempts fail with `Unavailable` (retried up to 3 times, 1 s apart). */
export const flaky = (failures: number) =>
  Step.make({
    name: "pay",
    requires: { n: Schema.Number },
    provides: { paid: Schema.Number },
    retry: Schedule.spaced("1 second").pipe(Schedule.intersect(Schedule.recurs(3))),
    run: ({ n }, { attempt }) => attempt <= failures ? Effect.fail(new Unavailable({ attempt })) : Effect.succeed({ paid: n })
  })

/** A step whose first attempt outlasts its 10-second timeout; the second is quick. */
export const slowOnce = Step.make({
  name: "lookup",
  requires: { n: Schema.Number },
  provides: { found: Schema.Number },
  timeout: "10 seconds",
  retry: Schedule.recurs(1),
  run: ({ n }, { attempt }) => Effect.as(attempt === 1 ? Effect.sleep("1 minute") : Effect.void, { found: n })
})

/** `reserve`, then a wait for the `approval` signal, then `ship`. */
export const approval = Template.make({
  name: "approval",
  version: "1",
  steps: [
    inc("reserve", "n", "a"),
    Durable.waitForSignal("approval", Schema.Struct({ ok: Schema.Boolean })),
    inc("ship", "a", "b")
  ]
})

/** A sub-flow: `before`, the `order` template as a child run, `after`. */
export const parent = Template.make({
  name: "parent",
  version: "1",
  steps: [inc("before", "m", "n"), Durable.subflow(order), inc("after", "b", "c")]
})
