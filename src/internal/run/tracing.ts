/**
 * Spans, for users who enable them (`weftjs/otel` provides the tracer and
 * turns {@link RunTracing} on): one span per execution of a run, continuing
 * the trace stored with the run (so a resumed run, in any process, is in the
 * same trace), and one child span per step, with retries, timeouts and
 * signals as span events. When tracing is off, nothing here runs.
 *
 * @internal
 */
import { Context, Effect, Option, Tracer } from "effect"
import type { RunContext } from "./context.js"

/** Whether runs are traced (off unless a layer turns it on). */
export class RunTracing extends Context.Reference<RunTracing>()("weft/RunTracing", {
  defaultValue: (): { readonly enabled: boolean } => ({ enabled: false })
}) {}

/** Whether runs started or resumed in the current context are traced. */
export const isTracing: Effect.Effect<boolean> = Effect.map(RunTracing, (tracing) => tracing.enabled)

const randomHex = (bytes: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0")).join("")

/**
 * The trace context a new run is stored with (W3C `traceparent`): the
 * caller's current span when there is one, else a new trace. `null` when
 * tracing is off.
 */
export const newTraceContext: Effect.Effect<string | null> = Effect.flatMap(isTracing, (enabled) => {
  if (!enabled) return Effect.succeed(null)
  return Effect.map(Effect.option(Effect.currentSpan), (span) =>
    Option.match(span, {
      onNone: () => `00-${randomHex(16)}-${randomHex(8)}-01`,
      onSome: (s) => `00-${s.traceId}-${s.spanId}-${s.sampled ? "01" : "00"}`
    }))
})

/** The span a stored trace context names, as a parent. */
const parentOf = (traceContext: string | null): Tracer.ExternalSpan | undefined => {
  const match = traceContext === null ? null : /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceContext)
  if (match === null) return undefined
  return Tracer.externalSpan({ traceId: match[1]!, spanId: match[2]!, sampled: match[3] === "01" })
}

/** Wraps one execution of a run in its span, when the run is traced. */
export const runSpan = <A, E, R>(
  ctx: RunContext,
  restored: boolean,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  if (!ctx.tracing) return effect
  const parent = parentOf(ctx.traceContext)
  return Effect.withSpan(effect, `weft.run ${ctx.template.name}`, {
    kind: "internal",
    attributes: {
      "weft.run.id": ctx.runId,
      "weft.template.name": ctx.template.name,
      "weft.template.version": ctx.template.version,
      "weft.run.restored": restored,
      "weft.run.completed_steps": ctx.completed.size
    },
    ...(parent === undefined ? {} : { parent })
  })
}

/** Wraps a step (its attempts, fallback and checkpoint) in a child span, when the run is traced. */
export const stepSpan = <A, E, R>(
  ctx: RunContext,
  stepKey: string,
  stepName: string,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  if (!ctx.tracing) return effect
  return Effect.withSpan(effect, `weft.step ${stepKey}`, {
    kind: "internal",
    attributes: {
      "weft.run.id": ctx.runId,
      "weft.template.name": ctx.template.name,
      "weft.template.version": ctx.template.version,
      "weft.step.key": stepKey,
      "weft.step.name": stepName,
      "weft.run.restored": ctx.root.restored
    }
  })
}

/** Records an event (a retry, a timeout, a signal) on the current span, when the run is traced. */
export const spanEvent = (
  ctx: RunContext,
  name: string,
  attributes: Readonly<Record<string, unknown>>
): Effect.Effect<void> => {
  if (!ctx.tracing) return Effect.void
  return Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
    Option.match(span, {
      onNone: () => Effect.void,
      onSome: (s) => Effect.clockWith((clock) => Effect.sync(() => s.event(name, clock.unsafeCurrentTimeNanos(), attributes)))
    }))
}

/** Sets attributes on the current span (a step's attempts and status at its end), when the run is traced. */
export const spanAttributes = (
  ctx: RunContext,
  attributes: Readonly<Record<string, unknown>>
): Effect.Effect<void> => {
  if (!ctx.tracing) return Effect.void
  return Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
    Option.match(span, {
      onNone: () => Effect.void,
      onSome: (s) =>
        Effect.sync(() => {
          for (const [key, value] of Object.entries(attributes)) s.attribute(key, value)
        })
    }))
}
