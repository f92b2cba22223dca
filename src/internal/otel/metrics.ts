/**
 * OpenTelemetry metrics of an engine's runs: counters and histograms fed by
 * its progress events, and gauges of the queues read from the store every
 * interval (an observable instrument's callback is synchronous: it reports
 * the last reading).
 *
 * @internal
 */
import type { Attributes, Meter } from "@opentelemetry/api"
import { Duration, Effect, Schedule, Stream } from "effect"
import type * as Engine from "../../Engine.js"
import type { Event } from "../../Event.js"
import type * as Worker from "../../Worker.js"

const timeoutTags: ReadonlySet<string> = new Set(["StepTimeout", "TimeoutException", "WorkflowTimeout"])

/** Records the engine's metrics on `meter` for as long as the scope lives. */
export const recordMetrics = (meter: Meter, engine: Engine.Service, queuesEvery: Duration.DurationInput) =>
  Effect.gen(function*() {
    const started = meter.createCounter("weft.runs.started", { description: "Runs started or resumed by this engine" })
    const ended = meter.createCounter("weft.runs.ended", { description: "Runs that ended here, by weft.run.status" })
    const runDuration = meter.createHistogram("weft.run.duration", { description: "Duration of completed runs", unit: "ms" })
    const stepDuration = meter.createHistogram("weft.step.duration", { description: "Duration of steps that ended", unit: "ms" })
    const retries = meter.createCounter("weft.step.retries", { description: "Step attempts retried" })
    const stepFailures = meter.createCounter("weft.step.failures", { description: "Steps that failed" })
    const timeouts = meter.createCounter("weft.step.timeouts", { description: "Step attempts that timed out" })
    const depth = meter.createObservableGauge("weft.queue.depth", { description: "Active runs of a queue, by weft.run.status" })
    const oldest = meter.createObservableGauge("weft.queue.oldest_age", {
      description: "How long the oldest queued run of a queue has waited",
      unit: "ms"
    })

    let queues: ReadonlyArray<Worker.Queue> = []
    depth.addCallback((result) => {
      for (const q of queues) {
        for (const status of ["queued", "running", "suspended"] as const) {
          result.observe(q[status], { "weft.queue": q.queue, "weft.run.status": status })
        }
      }
    })
    oldest.addCallback((result) => {
      for (const q of queues) result.observe(q.oldestQueuedAgeMs ?? 0, { "weft.queue": q.queue })
    })
    yield* Effect.forkScoped(
      Effect.repeat(
        Effect.catchAll(Effect.map(engine.queues, (found) => void (queues = found)), () => Effect.void),
        Schedule.spaced(Duration.decode(queuesEvery))
      )
    )

    // the template of each run this engine executes, from its start (the end events do not carry it)
    const templates = new Map<string, string>()
    const of = (runId: string): Attributes => ({ "weft.template.name": templates.get(runId) ?? "unknown" })
    const onEvent = (event: Event): void => {
      switch (event._tag) {
        case "RunStarted":
        case "RunResumed":
          templates.set(event.runId, event.template)
          started.add(1, of(event.runId))
          return
        case "RunCompleted":
          runDuration.record(event.durationMs, of(event.runId))
          ended.add(1, { ...of(event.runId), "weft.run.status": "completed" })
          templates.delete(event.runId)
          return
        case "RunFailed":
          ended.add(1, { ...of(event.runId), "weft.run.status": "failed", "weft.error": event.error.tag })
          templates.delete(event.runId)
          return
        case "RunCancelled":
          ended.add(1, { ...of(event.runId), "weft.run.status": "cancelled" })
          templates.delete(event.runId)
          return
        case "RunSuspended":
          templates.delete(event.runId)
          return
        case "StepCompleted":
          stepDuration.record(event.durationMs, { ...of(event.runId), "weft.step.key": event.step, "weft.step.status": event.status })
          return
        case "StepRetried":
          retries.add(1, { ...of(event.runId), "weft.step.key": event.step })
          if (timeoutTags.has(event.error.tag)) timeouts.add(1, { ...of(event.runId), "weft.step.key": event.step })
          return
        case "StepFailed":
          stepFailures.add(1, { ...of(event.runId), "weft.step.key": event.step, "weft.error": event.error.tag })
          if (timeoutTags.has(event.error.tag)) timeouts.add(1, { ...of(event.runId), "weft.step.key": event.step })
          return
        default:
          return
      }
    }
    const events = yield* engine.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (event) => Effect.sync(() => onEvent(event))))
  })
