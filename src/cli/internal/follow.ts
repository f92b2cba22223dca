/**
 * Following a run: live progress while this process executes it (the
 * engine's events), the store polled for what other processes do, and the
 * report at the end (trace, result, exit code).
 *
 * @internal
 */
import { Cause, Deferred, Duration, Effect, Exit, Option, Stream } from "effect"
import type { Scope } from "effect"
import { Event, RunStatus } from "../../index.js"
import type { Engine, Template } from "../../index.js"
import { failure } from "./errors.js"
import { runJson, stateJson, stepJson, toJson, traceTable } from "./output.js"
import type { Format, View } from "./render.js"
import { out } from "./render.js"

const isFinal = RunStatus.isFinal

/** How a followed run stopped: it ended, it suspended (waits for a signal), or it could not go on here. */
export type Outcome =
  | { readonly _tag: "Ended" }
  | {
    readonly _tag: "Suspended"
    readonly runId: string
    readonly step: string
    readonly signal: string | null
  }
  | { readonly _tag: "Refused"; readonly error: unknown }

/** A run and every run of its sub-flows (`<run id>/<step key>`). */
const inLineage = (runId: string, id: string) => id === runId || id.startsWith(`${runId}/`)

/**
 * Follows `runId` while `launch` executes it in this process (or another
 * process does), once `prepare` succeeded: prints its progress events, and
 * returns when it ends or suspends. `startSeq`: the run's sequence number
 * when following began, so that a suspension seen in the store counts only
 * once the run has moved on.
 */
export const follow = <A>(options: {
  readonly engine: Engine.Service
  readonly runId: string
  /** What must succeed before the run goes on (start it, record a signal): its failure is the command's. */
  readonly prepare: Effect.Effect<A, unknown>
  /** Executes the run here: its failure is the run's (read from the store), unless the run did not end. */
  readonly launch: (prepared: A) => Effect.Effect<unknown, unknown>
  readonly print: (line: string) => Effect.Effect<void>
  readonly startSeq: number
  readonly pollEvery?: Duration.DurationInput | undefined
}): Effect.Effect<Outcome, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { engine, runId } = options
    const done = yield* Deferred.make<Outcome>()
    const events = yield* engine.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (event) =>
      inLineage(runId, event.runId)
        ? Effect.zipRight(
          options.print(Event.format(event)),
          event._tag === "RunSuspended"
            ? Deferred.succeed(done, { _tag: "Suspended", runId: event.runId, step: event.step, signal: event.signal })
            : (event._tag === "RunCancelled" || event._tag === "RunPaused") && event.runId === runId
            ? Deferred.succeed(done, { _tag: "Ended" })
            : Effect.void
        )
        : Effect.void))
    const prepared = yield* Effect.either(options.prepare)
    if (prepared._tag === "Left") return { _tag: "Refused", error: prepared.left } as const
    yield* Effect.forkScoped(Effect.exit(options.launch(prepared.right)).pipe(
      Effect.flatMap((exit) =>
        Exit.isSuccess(exit)
          ? Deferred.succeed(done, { _tag: "Ended" })
          : Effect.gen(function*() {
            // the run's own failure is in the store; an error before it ran (a refused resume) is not
            const record = yield* Effect.option(engine.status(runId))
            if (Option.isSome(record) && isFinal(record.value.status)) return yield* Deferred.succeed(done, { _tag: "Ended" })
            const error = Exit.isInterrupted(exit) ? failure("the run was interrupted") : squash(exit.cause)
            return yield* Deferred.succeed(done, { _tag: "Refused", error })
          })
      )
    ))
    // what other processes do: the run ends there, or suspends again
    yield* Effect.forkScoped(Effect.gen(function*() {
      for (;;) {
        yield* Effect.sleep(options.pollEvery ?? "500 millis")
        const record = yield* Effect.option(engine.status(runId))
        if (Option.isNone(record)) continue
        const run = record.value
        // ended, or paused (from anywhere): nothing more to follow here
        if (isFinal(run.status) || run.status === "paused") return yield* Deferred.succeed(done, { _tag: "Ended" })
        if (run.status === "suspended" && run.seq > options.startSeq) {
          const waiting = run.waitingFor
          return yield* Deferred.succeed(done, {
            _tag: "Suspended",
            runId: waiting?.runId ?? runId,
            step: waiting?.step ?? "",
            signal: waiting?.signal ?? null
          })
        }
      }
    }))
    const outcome = yield* Deferred.await(done)
    if (outcome._tag === "Suspended") {
      // the event may come just before the store has it: wait until it does
      yield* Effect.gen(function*() {
        for (let i = 0; i < 100; i++) {
          const record = yield* Effect.option(engine.status(runId))
          if (Option.isSome(record) && record.value.status !== "running") return
          yield* Effect.sleep("20 millis")
        }
      })
    }
    return outcome
  })

/** The first failure of a cause, else its defect. */
const squash = (cause: Cause.Cause<unknown>): unknown =>
  Option.getOrElse(Cause.failureOption(cause), () => Cause.squash(cause))

/**
 * How a followed run stands: its record, trace, result (completed) and what
 * it waits for (suspended); a run that could not go on here is the error.
 */
export const followed = (options: {
  readonly engine: Engine.Service
  readonly template: Template.Template.Any
  readonly runId: string
  readonly outcome: Outcome
}): Effect.Effect<View, unknown> =>
  Effect.gen(function*() {
    const { engine, outcome, runId, template } = options
    if (outcome._tag === "Refused") return yield* Effect.fail(outcome.error)
    const record = yield* engine.status(runId)
    const trace = (yield* engine.trace(runId)).map(stepJson)
    const state = record.status === "completed"
      ? stateJson(template, (yield* engine.result(template as never, runId)).state as Record<string, unknown>)
      : null
    const suspended = outcome._tag === "Suspended" && record.status === "suspended" ? outcome : null
    return {
      _tag: "Followed",
      run: runJson(record),
      trace,
      state,
      waitingFor: suspended === null ? null : { runId: suspended.runId, step: suspended.step, signal: suspended.signal }
    } as const
  })

/**
 * Follows a run by polling the store (it may execute in another process)
 * until it ends: prints each step as it is recorded and each change of
 * status. Fails with exit code 1 when the run failed or was cancelled.
 */
export const watch = (options: {
  readonly engine: Engine.Service
  readonly runId: string
  readonly format: Format
  readonly interval: Duration.Duration
}): Effect.Effect<View, unknown> =>
  Effect.gen(function*() {
    const { engine, format, runId } = options
    const line = (value: unknown) => out(format === "json" ? toJson(value, 0) : String(value))
    let printed = 0
    let last: string | undefined
    for (let first = true;; first = false) {
      const found = yield* Effect.either(engine.status(runId))
      if (found._tag === "Left") {
        if (first || found.left._tag !== "RunNotFound") return yield* Effect.fail(found.left)
        // collected while we watched
        yield* line(format === "json" ? { type: "gone", runId } : `run ${runId} no longer exists`)
        return yield* failure(null)
      }
      const record = found.right
      const steps = (yield* engine.trace(runId)).map(stepJson)
      for (const step of steps.slice(printed)) {
        yield* line(
          format === "json"
            ? { type: "step", runId, ...step }
            : `  ${step.status === "failed" ? "✘" : step.status === "skipped" ? "↷" : "✔"} ${step.step} ${step.status}` +
              ` (${step.attempts} attempt(s), ${step.durationMs} ms)` +
              (step.error === null ? "" : `: ${step.error.tag}: ${step.error.message}`)
        )
      }
      printed = Math.max(printed, steps.length)
      const json = runJson(record)
      const state = `${record.status}|${json.waitingFor?.step ?? ""}`
      if (state !== last) {
        last = state
        yield* line(
          format === "json"
            ? { type: "status", run: json }
            : `run ${runId} ${record.status}` +
              (json.waitingFor === null
                ? ""
                : json.waitingFor.signal === null
                ? ` at ${json.waitingFor.step}`
                : `, waiting for signal "${json.waitingFor.signal}" at ${json.waitingFor.step}`) +
              (json.error === null ? "" : `: ${json.error.tag}: ${json.error.message}`)
        )
      }
      if (isFinal(record.status)) {
        if (format === "table") {
          yield* out("")
          yield* out(traceTable(steps))
        }
        return record.status === "completed" ? { _tag: "Printed" } as const : yield* failure(null)
      }
      yield* Effect.sleep(options.interval)
    }
  })
