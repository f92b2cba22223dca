/**
 * One step with its policy — the one place that defines step semantics:
 * read its slice (missing and expired values are typed errors), attempt it
 * with its timeout and retry schedule (only errors its `retryWhile` accepts
 * are retried), check and encode its output, fall back or skip when it still
 * fails, and checkpoint what happened.
 *
 * The common case (the step succeeds at once) takes no generator and builds
 * events only when someone listens.
 *
 * @internal
 */
import { Duration, Effect, Either, Exit } from "effect"
import type { Schedule } from "effect"
import { InvalidStepOutput, StateEncodeError, StateExpired, StateKeyMissing, StepTimeout } from "../../Errors.js"
import type { Issue } from "../../Errors.js"
import * as Settings from "../../Settings.js"
import type { StepStatus, StoredEntry } from "../../SnapshotStore.js"
import { checkpointNow, checkpointSync, retryAfter } from "./checkpoint.js"
import type { Checkpoint, Written } from "./checkpoint.js"
import type { Policy, RunContext } from "./context.js"
import { summarize } from "./errors.js"
import { evaluate } from "./syncEffect.js"
import { idempotencyKey } from "./keys.js"
import type { StepPlan } from "./plan.js"
import { spanAttributes, spanEvent, stepSpan } from "./tracing.js"
import { checkJson } from "./values.js"

type Output = { readonly value: Readonly<Record<string, unknown>>; readonly encoded: Readonly<Record<string, unknown>> }

/** Reads a step's slice: its keys' values, or the error of a missing mandatory key or an expired value. */
const readSlice = (
  ctx: RunContext,
  plan: StepPlan,
  key: string,
  now: number
): Record<string, unknown> | StateKeyMissing | StateExpired => {
  const slice: Record<string, unknown> = {}
  const keys = plan.inputKeys
  for (let i = 0; i < keys.length; i++) {
    const name = keys[i]!
    const entry = ctx.entries.get(name)
    if (entry === undefined) {
      if (plan.mandatoryKeys.has(name)) return new StateKeyMissing({ step: key, key: name })
      continue
    }
    if (entry.stored.expiresAt !== null && entry.stored.expiresAt <= now) {
      return new StateExpired({ step: key, key: name, expiredAt: entry.stored.expiresAt })
    }
    slice[name] = entry.value
  }
  return slice
}

const noRetry = Settings.defaultRetry({ ...Settings.defaults, maxRetries: 0 })
const retryCache = new WeakMap<Settings.WeftSettings, Schedule.Schedule<unknown, unknown>>()

/** The default retry policy of some settings, built once per settings object. */
const settingsRetry = (settings: Settings.WeftSettings): Schedule.Schedule<unknown, unknown> => {
  if (settings.maxRetries === 0) return noRetry
  let schedule = retryCache.get(settings)
  if (schedule === undefined) {
    schedule = Settings.defaultRetry(settings)
    retryCache.set(settings, schedule)
  }
  return schedule
}

const encodeError = (step: string, issues: ReadonlyArray<Issue>) =>
  new StateEncodeError({
    step,
    key: issues[0] === undefined ? "(unknown)" : String(issues[0].path[0] ?? "(root)"),
    detail: issues.map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`).join("; ")
  })

/** Checks an output against `provides` and encodes it for the store. */
const checkOutput = (plan: StepPlan, key: string, output: unknown): Output | InvalidStepOutput | StateEncodeError => {
  const checked = plan.checkOutput(output)
  if (Either.isLeft(checked)) return new InvalidStepOutput({ step: key, issues: checked.left })
  const encoded = plan.encodeOutput(checked.right)
  if (Either.isLeft(encoded)) return encodeError(key, encoded.left)
  return { value: checked.right, encoded: encoded.right }
}

/** Whether `checkOutput` refused the output. */
const refused = (output: Output | InvalidStepOutput | StateEncodeError): output is InvalidStepOutput | StateEncodeError =>
  output instanceof InvalidStepOutput || output instanceof StateEncodeError

/**
 * Runs one step (not its fallback) with retries and timeout; its output is
 * checked by the caller. Called as the step executes: the first attempt is
 * built at once, and the retry driver is set up only after a first failure
 * (`retryAfter`), so a step that succeeds at once pays for nothing of its
 * retry policy.
 */
const attempt = (
  ctx: RunContext,
  plan: StepPlan,
  key: string,
  policy: Policy,
  slice: Record<string, unknown>,
  attempts: { n: number },
  /** The error that led here (a fallback's first attempt follows the primary's last failure). */
  previousError?: unknown
): Effect.Effect<unknown, unknown, unknown> => {
  const { env, runId } = ctx
  const run = plan.run
  const timeout = plan.timeout ?? policy.stepTimeout
  const timed = timeout !== undefined && Duration.isFinite(timeout)
  const schedule = plan.retry ?? policy.retry ?? settingsRetry(env.settings)
  const idempotency = idempotencyKey(runId, key)
  const quiet = !ctx.tracing && !env.listening()
  let lastError: unknown = previousError

  const once = () => {
    const n = ++attempts.n
    let work = run(slice, { runId, stepKey: key, idempotencyKey: idempotency, attempt: n })
    // done already (`Effect.succeed`): no timeout, retry or listener can change that (the fast path)
    if (quiet && isDone(work)) return work
    if (quiet && !timed) {
      // synchronous (`Effect.sync`, `Effect.gen` without async): done now; else it goes on from where it stopped
      const outcome = evaluate(work)
      if (outcome.done) return Exit.succeed(outcome.value)
      work = outcome.rest
    }
    if (timed) {
      work = Effect.timeoutFail(work, { duration: timeout, onTimeout: () => new StepTimeout({ step: key, timeout }) })
    }
    // the last error is told to listeners and spans of the next attempt; a timeout is a span event
    if (schedule !== noRetry || ctx.tracing) {
      work = Effect.tapError(work, (error) => {
        lastError = error
        return error instanceof StepTimeout
          ? spanEvent(ctx, "weft.step.timeout", { "weft.step.attempt": n, "weft.step.timeout_ms": Duration.toMillis(error.timeout) })
          : Effect.void
      })
    }
    if (n > 1 && ctx.tracing) {
      work = Effect.zipRight(
        spanEvent(ctx, "weft.step.retry", { "weft.step.attempt": n, "weft.error": summarize(lastError).tag }),
        work
      )
    }
    if (!env.listening()) return work
    const announce = Effect.suspend(() => {
      const at = ctx.now()
      return n === 1
        ? env.publish({ _tag: "StepStarted", runId, step: key, at })
        : env.publish({ _tag: "StepRetried", runId, step: key, attempt: n, error: summarize(lastError), at })
    })
    // let listeners show the event before the step's own work (its logs) happens
    return Effect.zipRight(Effect.zipRight(announce, Effect.yieldNow()), work)
  }

  // the first attempt is built now (this runs as the step executes); later ones when they come
  const first = once()
  if (schedule === noRetry || isDone(first)) return first
  const retryWhile = plan.retryWhile
  return retryAfter(first, Effect.suspend(once), {
    schedule: schedule as Schedule.Schedule<unknown, unknown>,
    while: retryWhile === undefined ? () => true : retryWhile
  })
}

/** Whether a step's effect is a success already (`Effect.succeed` is its own exit): it is taken as it is, at once. */
const isDone = (effect: Effect.Effect<unknown, unknown, unknown>): effect is Exit.Success<unknown, unknown> =>
  Exit.isExit(effect) && Exit.isSuccess(effect)

/** Runs a step node (with its fallback or skip strategy) at `key`, unless it completed already. */
export const runStep = (
  ctx: RunContext,
  plan: StepPlan,
  key: string,
  policy: Policy
): Effect.Effect<void, unknown, unknown> => {
  if (ctx.completed.has(key)) return Effect.void
  const body = Effect.suspend(() => stepBody(ctx, plan, key, policy) ?? Effect.void)
  return ctx.tracing ? stepSpan(ctx, key, plan.name, body) : body
}

/**
 * {@link runStep}, executed now, as the interpreter reaches the step: a step
 * whose effect completes at once (`Effect.succeed`, or synchronous: see
 * `syncEffect.ts`), whose output checks and whose checkpoint the store
 * writes at once is executed and recorded here, synchronously (`undefined`:
 * the step is done); otherwise the effect that goes on with it (its effect
 * is not built twice).
 */
export const runStepNow = (
  ctx: RunContext,
  plan: StepPlan,
  key: string,
  policy: Policy
): Effect.Effect<void, unknown, unknown> | undefined => {
  if (ctx.completed.has(key)) return undefined
  return ctx.tracing ? runStep(ctx, plan, key, policy) : stepBody(ctx, plan, key, policy)
}

/** A step's execution from its start: `undefined` once it is recorded at once, else the effect that goes on. */
const stepBody = (
  ctx: RunContext,
  plan: StepPlan,
  key: string,
  policy: Policy
): Effect.Effect<void, unknown, unknown> | undefined => {
  const startedAt = ctx.now()
  const attempts = { n: 0 }
  const slice = readSlice(ctx, plan, key, startedAt)
  if (slice instanceof StateKeyMissing || slice instanceof StateExpired) {
    return fail(ctx, plan, key, startedAt, attempts, slice)
  }
  /** The primary failed (after its retries), or its output was refused: fall back, skip or fail. */
  const failed = (error: unknown): Effect.Effect<void, unknown, unknown> => {
    const fallback = plan.fallback
    if (fallback !== undefined) {
      return Effect.matchEffect(attempt(ctx, fallback, key, policy, slice, attempts, error), {
        onSuccess: (raw) => {
          const output = checkOutput(fallback, key, raw)
          return refused(output)
            ? fail(ctx, plan, key, startedAt, attempts, output)
            : finish(ctx, plan, key, startedAt, attempts, "fallback", fallback, output, error)
        },
        onFailure: (fallbackError) => fail(ctx, plan, key, startedAt, attempts, fallbackError)
      })
    }
    if (plan.skip) return finish(ctx, plan, key, startedAt, attempts, "skipped", plan, undefined, error)
    return fail(ctx, plan, key, startedAt, attempts, error)
  }
  const succeeded = (raw: unknown) => {
    const output = checkOutput(plan, key, raw)
    return refused(output)
      ? failed(output)
      : finishNow(ctx, plan, key, startedAt, attempts, "completed", plan, output, undefined)
  }
  const first = attempt(ctx, plan, key, policy, slice, attempts)
  if (isDone(first)) return succeeded(first.value)
  return Effect.matchEffect(first, { onSuccess: (raw) => succeeded(raw) ?? Effect.void, onFailure: failed })
}

/** Records the step's success (or skip): its output (written by `writer`, the step or its fallback) as a delta, checked to be storable. */
const finish = (
  ctx: RunContext,
  plan: StepPlan,
  key: string,
  startedAt: number,
  attempts: { readonly n: number },
  status: Exclude<StepStatus, "failed">,
  writer: StepPlan,
  output: Output | undefined,
  error: unknown
): Effect.Effect<void, unknown> =>
  finishNow(ctx, plan, key, startedAt, attempts, status, writer, output, error) ?? Effect.void

/** {@link finish}, recorded at once when it can be (`undefined`: recorded, see `checkpointSync`). */
const finishNow = (
  ctx: RunContext,
  plan: StepPlan,
  key: string,
  startedAt: number,
  attempts: { readonly n: number },
  status: Exclude<StepStatus, "failed">,
  writer: StepPlan,
  output: Output | undefined,
  error: unknown
): Effect.Effect<void, unknown> | undefined => {
  const endedAt = ctx.now()
  const set: Record<string, StoredEntry> = {}
  const written = new Map<string, { readonly value: unknown; readonly size: number }>()
  if (output !== undefined) {
    // values live as long as their run unless the step gives them a TTL
    const expiresAt = writer.ttlMillis === null ? null : endedAt + writer.ttlMillis
    for (const name in output.encoded) {
      const encoded = output.encoded[name]
      if (encoded === undefined) continue
      const checked = checkJson(encoded, [name])
      if (!checked.ok) {
        return fail(ctx, writer, key, startedAt, attempts, encodeError(key, [checked.issue]))
      }
      set[name] = { value: encoded, writtenAt: endedAt, expiresAt }
      written.set(name, { value: output.value[name], size: checked.size })
    }
  }
  const input: Checkpoint = {
    stepKey: key,
    stepName: plan.name,
    status,
    attempts: attempts.n,
    startedAt,
    endedAt,
    delta: { set, unset: [] },
    error: error === undefined ? null : summarize(error)
  }
  // nobody traces or listens: the checkpoint is all there is to it, written at once when the store can
  if (!ctx.tracing && !ctx.env.listening()) return checkpointSync(ctx, input, written as Written)
  let record = checkpointNow(ctx, input, written as Written)
  if (ctx.tracing) {
    record = Effect.zipRight(record, spanAttributes(ctx, { "weft.step.status": status, "weft.step.attempts": attempts.n }))
  }
  if (!ctx.env.listening()) return record
  return Effect.zipRight(
    record,
    ctx.env.publish({
      _tag: "StepCompleted",
      runId: ctx.runId,
      step: key,
      status,
      attempts: attempts.n,
      durationMs: endedAt - startedAt,
      at: endedAt
    })
  )
}

/** Records the step as failed, then fails with its error. */
const fail = (
  ctx: RunContext,
  plan: StepPlan,
  key: string,
  startedAt: number,
  attempts: { readonly n: number },
  error: unknown
): Effect.Effect<never, unknown> =>
  Effect.suspend(() => {
    const endedAt = ctx.now()
    const summary = summarize(error)
    return checkpointNow(ctx, {
      stepKey: key,
      stepName: plan.name,
      status: "failed",
      attempts: attempts.n,
      startedAt,
      endedAt,
      delta: { set: {}, unset: [] },
      error: summary
    }).pipe(
      Effect.zipRight(spanAttributes(ctx, { "weft.step.status": "failed", "weft.step.attempts": attempts.n })),
      Effect.zipRight(
        ctx.env.listening()
          ? ctx.env.publish({ _tag: "StepFailed", runId: ctx.runId, step: key, attempts: attempts.n, error: summary, at: endedAt })
          : Effect.void
      ),
      Effect.zipRight(Effect.fail(error))
    )
  })
