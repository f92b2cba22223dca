/**
 * Spans, for users who enable them (`weftjs/otel` provides the tracer and
 * turns {@link RunTracing} on): one span per execution of a run, continuing
 * the trace stored with the run (so a resumed run, in any process, is in the
 * same trace), and one child span per step, with retries, timeouts and
 * signals as span events. When tracing is off, nothing here runs.
 *
 * @internal
 */
import { Context, Effect, Either, Option, Tracer } from "effect"
import type { RunContext } from "./context.js"

/**
 * Whether runs are traced (off unless a layer turns it on), and with which
 * tracer: Effect's tracer is a fiber ref, not a service, so a run executed
 * by a background fiber of its engine (taken up after a crash, a signal or a
 * deadline) would not see the tracer of the context it was started in;
 * `tracer`, when given, is used for the run's spans wherever it executes.
 */
export class RunTracing extends Context.Reference<RunTracing>()("weft/RunTracing", {
  defaultValue: (): { readonly enabled: boolean; readonly tracer?: Tracer.Tracer | undefined } => ({ enabled: false })
}) {}

/** Whether runs started or resumed in the current context are traced. */
export const isTracing: Effect.Effect<boolean> = Effect.map(RunTracing, (tracing) => tracing.enabled)

/** Runs `effect` with the tracer `RunTracing` names, if it names one. */
const withRunTracer = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.flatMap(RunTracing, (tracing) => tracing.tracer === undefined ? effect : Effect.withTracer(effect, tracing.tracer))

const traceparent = (span: Tracer.AnySpan): string => `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`

/**
 * The trace context a new run is stored with (W3C `traceparent`): the
 * caller's current span when there is one, else a new trace, whose root is
 * a `weft.start` span (ended at once) so that the run's executions have a
 * parent the tracer saw. `null` when tracing is off.
 */
export const newTraceContext: Effect.Effect<string | null> = Effect.flatMap(isTracing, (enabled) => {
  if (!enabled) return Effect.succeed(null)
  return Effect.flatMap(Effect.option(Effect.currentSpan), (span) =>
    Option.match(span, {
      onNone: () =>
        withRunTracer(
          Effect.useSpan("weft.start", { kind: "internal", root: true, captureStackTrace: false }, (root) =>
            Effect.succeed(traceparent(root)))
        ),
      onSome: (s) => Effect.succeed(traceparent(s))
    }))
})

/** The span a stored trace context names, as a parent. */
const parentOf = (traceContext: string | null): Tracer.ExternalSpan | undefined => {
  const match = traceContext === null ? null : /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(traceContext)
  if (match === null) return undefined
  return Tracer.externalSpan({ traceId: match[1]!, spanId: match[2]!, sampled: match[3] === "01" })
}

/** The suspension marker (durable.ts's `Suspended`, known by its tag: durable.ts imports this module). */
const isSuspension = (u: unknown): boolean =>
  typeof u === "object" && u !== null && (u as { readonly _tag?: unknown })._tag === "~weft/Suspended"

/**
 * Wraps one execution of a run in its span, when the run is traced. A
 * top-level run's span continues the trace stored with the run (a new trace
 * for a run stored without one); a child run's is a child of its parent's
 * current span. A suspension ends the span as `weft.run.status: "suspended"`,
 * not as an error.
 */
export const runSpan = <A, E, R>(
  ctx: RunContext,
  restored: boolean,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  if (!ctx.tracing) return effect
  const child = ctx.rootId !== ctx.runId
  const parent = child ? undefined : parentOf(ctx.traceContext)
  const status = (value: string) => spanAttributes(ctx, { "weft.run.status": value })
  const body: Effect.Effect<Either.Either<A, E>, E, R> = Effect.matchEffect(effect, {
    onSuccess: (a) => Effect.as(status("completed"), Either.right(a)),
    onFailure: (e) => isSuspension(e) ? Effect.as(status("suspended"), Either.left(e)) : Effect.fail(e)
  })
  const span = Effect.withSpan(body, `weft.run ${ctx.template.name}`, {
    kind: "internal",
    captureStackTrace: false,
    attributes: {
      "weft.run.id": ctx.runId,
      "weft.template.name": ctx.template.name,
      "weft.template.version": ctx.template.version,
      "weft.run.restored": restored,
      "weft.run.completed_steps": ctx.completed.size
    },
    ...(parent !== undefined ? { parent } : child ? {} : { root: true })
  })
  return Effect.flatMap(child ? span : withRunTracer(span), Either.match({ onLeft: Effect.fail, onRight: Effect.succeed }))
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
    captureStackTrace: false,
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
