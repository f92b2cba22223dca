/**
 * A run's life cycle around the interpreter: its input checked and encoded
 * before anything is written, the run recorded (and claimed) in one
 * transaction, a stored run restored from its last checkpoint, and one
 * execution of it, whose end is recorded under the run's claim: completed,
 * failed, suspended, or handed back (interrupted, or the store unavailable)
 * so that any engine can take it up (sub-flows' child runs: `children.ts`).
 *
 * @internal
 */
import { fingerprintDigest } from "../engine/registry.js"
import { Cause, Clock, Duration, Effect, Either, Exit, Option } from "effect"
import {
  InvalidInput,
  type InvalidTemplate,
  LeaseLost,
  PersistenceError,
  RunCancelled,
  RunNotFound,
  TemplateMismatch,
  WorkflowTimeout
} from "../../Errors.js"
import type { Issue } from "../../Errors.js"
import type { ErrorSummary, Lease, LoadedRun, RunRecord, StepRecord, StoredEntry } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import { initialSearch, isTransient, retryTransient } from "./checkpoint.js"
import { inputValidator, keyCodecs } from "./codecs.js"
import { type Entry, RunContext, type RunEnv, type RunOutcome } from "./context.js"
import { isSuspended, type Suspended } from "./durable.js"
import { finishRun } from "./finish.js"
import { isHeld } from "./hold.js"
import { summarize } from "./errors.js"
import { isInternalKey, schemaKeyOf } from "./keys.js"
import { positionKey, restoredCompleted } from "./position.js"
import { timeoutIn } from "./runTimeout.js"
import { isTracing, runSpan } from "./tracing.js"
import { checkJson } from "./values.js"
import { executions } from "../store/syncAppend.js"

// ---------------------------------------------------------------------------
// new runs
// ---------------------------------------------------------------------------

/** What a new run is created with, besides its template and input. */
export interface NewRunOptions {
  readonly runId: string
  /** The whole run's timeout (ms, 0: none). */
  readonly timeoutMillis: number
  readonly parentId: string | null
  readonly rootId: string
  readonly queue: string
  readonly traceContext: string | null
  /** Its priority within its queue (default 0). */
  readonly priority?: number | undefined
}

/** Templates found valid (a template does not change once made). */
const validated = new WeakSet<Template.Template.Any>()

/**
 * Checks a new run's template and input, and builds its initial state
 * (input values live as long as the run). Nothing is written: a rejected
 * input leaves no trace in the store.
 */
export const prepare = (
  env: RunEnv,
  template: Template.Template.Any,
  input: unknown,
  options: NewRunOptions
): Effect.Effect<RunContext, InvalidInput | InvalidTemplate> =>
  Effect.gen(function*() {
    if (!validated.has(template)) {
      yield* template.validate()
      validated.add(template)
    }
    const checked = inputValidator(template)(input)
    if (Either.isLeft(checked)) return yield* new InvalidInput({ template: template.name, issues: checked.left })
    const codecs = keyCodecs(template)
    const now = yield* Clock.currentTimeMillis
    const ctx = new RunContext(env, template, options.runId, { owner: env.owner, generation: 0 })
    ctx.createdAt = now
    ctx.updatedAt = now
    ctx.rootId = options.rootId
    ctx.queue = options.queue
    ctx.timeoutMillis = options.timeoutMillis
    ctx.traceContext = options.traceContext
    ctx.priority = options.priority ?? 0
    const issues: Array<Issue> = []
    for (const [key, value] of Object.entries(checked.right)) {
      if (value === undefined) continue
      const encoded = codecs.get(key)!.encode(value)
      if (Either.isLeft(encoded)) {
        issues.push(...encoded.left.map((issue) => ({ ...issue, path: [key, ...issue.path.slice(1)] })))
        continue
      }
      const json = checkJson(encoded.right, [key])
      if (!json.ok) issues.push(json.issue)
      else ctx.set(key, { value, stored: { value: encoded.right, writtenAt: now, expiresAt: null }, size: json.size })
    }
    if (issues.length > 0) return yield* new InvalidInput({ template: template.name, issues })
    return ctx
  })

/** Records a prepared run: claimed by this engine at once (`claim`), or queued for a worker. */
export const create = (
  ctx: RunContext,
  parentId: string | null,
  claim: { readonly leaseUntil: number } | null
): Effect.Effect<Lease | null, PersistenceError> =>
  Effect.tap(
    ctx.env.store.createRun({
      runId: ctx.runId,
      templateName: ctx.template.name,
      templateVersion: ctx.template.version,
      createdAt: ctx.createdAt,
      timeoutMillis: ctx.timeoutMillis,
      parentId,
      rootId: ctx.rootId,
      queue: ctx.queue,
      traceContext: ctx.traceContext,
      templateFingerprint: fingerprintDigest(ctx.template),
      priority: ctx.priority,
      triggeredBy: ctx.triggeredBy,
      search: initialSearch(ctx)
    }, ctx.storedState(), claim === null ? null : { owner: ctx.env.owner, leaseUntil: claim.leaseUntil }),
    (lease) => {
      if (lease !== null) ctx.lease = lease
      if (claim !== null) ctx.leaseUntil = claim.leaseUntil
    }
  )

// ---------------------------------------------------------------------------
// stored runs
// ---------------------------------------------------------------------------

/** Checks that a stored run was started with `template`: same name, version and structure (when stored). */
export const checkPinned = (template: Template.Template.Any, run: RunRecord): Either.Either<void, TemplateMismatch> => {
  const stored = { name: run.templateName, version: run.templateVersion }
  const given = { name: template.name, version: template.version }
  if (run.templateName !== template.name || run.templateVersion !== template.version) {
    return Either.left(new TemplateMismatch({ runId: run.runId, stored, given }))
  }
  const digest = fingerprintDigest(template)
  if (run.templateFingerprint === null || run.templateFingerprint === digest) return Either.void
  return Either.left(
    new TemplateMismatch({
      runId: run.runId,
      stored: { ...stored, fingerprint: run.templateFingerprint },
      given: { ...given, fingerprint: digest }
    })
  )
}

/**
 * Rebuilds a stored run's context (its state decoded with the template's
 * Schemas, its cursor, its completed steps and records) to execute it under
 * `lease`, or to read it back.
 */
export const restore = (
  env: RunEnv,
  template: Template.Template.Any,
  loaded: LoadedRun,
  records: ReadonlyArray<StepRecord>,
  lease: Lease
): Effect.Effect<RunContext, PersistenceError> =>
  Effect.gen(function*() {
    const { run, snapshot, stepsAfterSnapshot, completedStepKeys } = loaded
    const ctx = new RunContext(env, template, run.runId, lease)
    ctx.createdAt = snapshot.createdAt
    ctx.updatedAt = run.updatedAt
    ctx.seq = run.seq
    ctx.rootId = run.rootId
    ctx.queue = run.queue
    ctx.timeoutMillis = run.timeoutMillis
    ctx.elapsedBefore = run.elapsedMillis
    ctx.leaseUntil = run.leaseUntil ?? 0
    ctx.traceContext = run.traceContext
    ctx.records.push(...records)
    ctx.restored = true
    const codecs = keyCodecs(template)
    const put = (key: string, stored: StoredEntry): Effect.Effect<void, PersistenceError> => {
      const codec = codecs.get(schemaKeyOf(key))
      const decoded = codec === undefined ? Either.right(stored.value) : codec.decode(stored.value)
      if (Either.isLeft(decoded)) {
        return Effect.fail(
          new PersistenceError({
            operation: "resume",
            reason: "decode",
            detail: `stored value of "${key}" does not decode: ${decoded.left.map((i) => i.message).join("; ")}`
          })
        )
      }
      const json = checkJson(stored.value)
      ctx.set(key, { value: decoded.right, stored, size: json.ok ? json.size : 0 })
      return Effect.void
    }
    for (const [key, stored] of Object.entries(snapshot.entries)) yield* put(key, stored)
    for (const step of stepsAfterSnapshot) {
      for (const [key, stored] of Object.entries(step.delta.set)) yield* put(key, stored)
      for (const key of step.delta.unset) ctx.unset(key)
      ctx.bytesSinceSnapshot += 64
    }
    ctx.completed = restoredCompleted(ctx.entries.get(positionKey)?.value, completedStepKeys, records)
    return ctx
  })

/**
 * Loads a stored run and its records, failing when it does not exist. The
 * records are read apart only when the run has a snapshot after its start:
 * until then the steps after its snapshot (seq 0) are all of its steps,
 * read with it.
 */
export const load = (env: RunEnv, runId: string) =>
  Effect.gen(function*() {
    const loaded = yield* retryTransient(env.store.load(runId))
    if (Option.isNone(loaded)) return yield* new RunNotFound({ runId })
    const records = loaded.value.snapshotSeq === 0
      ? loaded.value.stepsAfterSnapshot
      : yield* retryTransient(env.store.steps(runId))
    return { loaded: loaded.value, records }
  })

/** The state and metadata a run's context holds now (bookkeeping left out). */
export const outcomeOf = (ctx: RunContext): RunOutcome => {
  const state: Record<string, unknown> = {}
  const entries: Record<string, { readonly writtenAt: Date; readonly expiresAt: Date | null }> = {}
  for (const [key, entry] of ctx.entries) {
    if (isInternalKey(key)) continue
    state[key] = entry.value
    entries[key] = {
      writtenAt: new Date(entry.stored.writtenAt),
      expiresAt: entry.stored.expiresAt === null ? null : new Date(entry.stored.expiresAt)
    }
  }
  return {
    runId: ctx.runId,
    state,
    info: { createdAt: new Date(ctx.createdAt), updatedAt: new Date(ctx.updatedAt), entries },
    records: ctx.records
  }
}

// ---------------------------------------------------------------------------
// one execution
// ---------------------------------------------------------------------------

/** How one execution of a run ended, as recorded in the store. */
export type Ending =
  /** Recorded `completed`. */
  | { readonly _tag: "Completed"; readonly outcome: RunOutcome }
  /** Recorded `failed` with this error. */
  | { readonly _tag: "Failed"; readonly error: unknown; readonly summary: ErrorSummary }
  /** Recorded `suspended`: an engine takes it up when its signal or deadline comes. */
  | { readonly _tag: "Suspended"; readonly suspended: Suspended }
  /** It was cancelled (by whoever cancelled it). */
  | { readonly _tag: "Cancelled" }
  /** Another engine holds it now: it goes on there. */
  | { readonly _tag: "Lost"; readonly error: LeaseLost }
  /** The store stayed unavailable: the run is left resumable (handed back, unless `handedBack` is false). */
  | { readonly _tag: "Abandoned"; readonly error: PersistenceError; readonly handedBack?: boolean | undefined }
  /** This execution was interrupted (shutdown, or its caller): the run was handed back. */
  | { readonly _tag: "Interrupted" }
  /** A pause was asked: the run was handed back after its last checkpoint, and recorded `paused`. */
  | { readonly _tag: "Paused" }

/** When a finished run may be collected: the `stateTtl` setting after its end. */
const retentionOf = (env: RunEnv, now: number): number | null =>
  Duration.isFinite(env.settings.stateTtl) ? now + Duration.toMillis(env.settings.stateTtl) : null

/** The error an execution failed with, as a cause's first failure or its defect. */
const failureOf = (cause: Cause.Cause<unknown>): unknown =>
  Option.getOrElse(Cause.failureOption(cause), () => Cause.squash(cause))

/**
 * Executes a claimed run from wherever its context stands, under the run's
 * remaining timeout (none for a child run: its parent's covers it), and
 * records how the execution ended. Never fails: the ending says what
 * happened. Interrupting it hands the run back (`Interrupted`).
 */
export const execute = (ctx: RunContext, options: { readonly child: boolean }): Effect.Effect<Ending, never, unknown> =>
  Effect.uninterruptibleMask((restore) =>
    Effect.gen(function*() {
      const { env, runId, template } = ctx
      ctx.clock = yield* Effect.clock
      const started = ctx.clock.unsafeCurrentTimeMillis()
      if (!options.child) ctx.tracing = yield* isTracing
      let body = env.interpret(ctx, template, "", { retry: template.retry, stepTimeout: template.stepTimeout })
      if (!options.child && ctx.timeoutMillis > 0) {
        const timeout = Duration.millis(ctx.timeoutMillis)
        const remaining = ctx.timeoutMillis - ctx.elapsedBefore
        body = remaining <= 0
          ? Effect.fail(new WorkflowTimeout({ template: template.name, timeout }))
          : timeoutIn(body, ctx.clock, remaining, () => new WorkflowTimeout({ template: template.name, timeout }))
      }
      const traced = runSpan(ctx, ctx.restored, body)
      if (!options.child) executions.count++
      const exit = yield* Effect.exit(restore(traced))
      if (!options.child) executions.count--
      const now = ctx.clock.unsafeCurrentTimeMillis()
      // what the heartbeats recorded of this execution already is not added again
      const at = { updatedAt: now, elapsedMillis: Math.max(0, now - started - ctx.beatCounted) }
      const store = env.store
      /** Records an ending; if the record itself cannot be made, says why. */
      const record = <A>(write: Effect.Effect<void, unknown>, ending: A) =>
        Effect.matchEffect(retryTransient(write), {
          onSuccess: () => Effect.succeed<Ending | A>(ending),
          onFailure: (error) => Effect.succeed(refusal(error))
        })

      if (Exit.isSuccess(exit)) {
        const ending = yield* record(
          finishRun(ctx, { status: "completed", error: null, expiresAt: retentionOf(env, now) }, at),
          { _tag: "Completed", outcome: outcomeOf(ctx) } as const
        )
        if (ending._tag === "Completed" && env.listening()) {
          yield* env.publish({ _tag: "RunCompleted", runId, durationMs: now - ctx.createdAt, at: now })
        }
        return ending
      }
      if (Cause.isInterruptedOnly(exit.cause)) {
        yield* Effect.ignore(store.pause(runId, ctx.lease, { _tag: "Release" }, at))
        return { _tag: "Interrupted" } as const
      }
      const failure = failureOf(exit.cause)
      if (isSuspended(failure)) {
        const ending = yield* record(
          store.pause(runId, ctx.lease, {
            _tag: "Suspend",
            wakeAt: failure.deadline,
            waitingFor: { runId: failure.waitingRunId, step: failure.step, signal: failure.signal }
          }, at),
          { _tag: "Suspended", suspended: failure } as const
        )
        if (ending._tag === "Suspended" && failure.signal !== null) {
          yield* env.publish({
            _tag: "RunSuspended",
            runId,
            step: failure.step,
            signal: failure.signal,
            deadline: failure.deadline,
            at: now
          })
        }
        return ending
      }
      if (isHeld(failure)) {
        const ending = yield* record(store.pause(runId, ctx.lease, { _tag: "Release" }, at), { _tag: "Paused" } as const)
        if (ending._tag === "Paused" && !options.child) yield* env.publish({ _tag: "RunPaused", runId, at: now })
        return ending
      }
      const refused = refusalOf(failure)
      if (refused !== undefined) return refused
      const summary = summarize(failure)
      const ending = yield* record(
        finishRun(ctx, { status: "failed", error: summary, expiresAt: retentionOf(env, now) }, at),
        { _tag: "Failed", error: failure, summary } as const
      )
      if (ending._tag === "Failed") yield* env.publish({ _tag: "RunFailed", runId, error: summary, at: now })
      return ending
    })
  ).pipe(
    Effect.flatMap((ending): Effect.Effect<Ending> => {
      switch (ending._tag) {
        case "Cancelled":
          return Effect.as(ctx.env.publish({ _tag: "RunCancelled", runId: ctx.runId, at: ctx.updatedAt }), ending)
        case "Abandoned":
          // the store failed: hand the run back if it can still hear us (else the executor tries again)
          return Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.map(
              Effect.either(ctx.env.store.pause(ctx.runId, ctx.lease, { _tag: "Release" }, { updatedAt: now, elapsedMillis: 0 })),
              (released) => ({ ...ending, handedBack: released._tag === "Right" })
            ))
        default:
          return Effect.succeed(ending)
      }
    })
  )

/** The ending of an execution whose run is no longer this engine's to record, if `failure` says so. */
const refusalOf = (failure: unknown): Ending | undefined => {
  if (failure instanceof RunCancelled) return { _tag: "Cancelled" }
  if (failure instanceof LeaseLost) return { _tag: "Lost", error: failure }
  if (isTransient(failure)) return { _tag: "Abandoned", error: failure }
  return undefined
}

/** The ending when recording an ending failed. */
const refusal = (error: unknown): Ending =>
  refusalOf(error) ??
    {
      _tag: "Abandoned",
      error: error instanceof PersistenceError
        ? error
        : new PersistenceError({ operation: "finish", reason: "unknown", detail: String(error) })
    }

/** A restored run's entries, for reading a run's state without executing it. */
export type { Entry }
