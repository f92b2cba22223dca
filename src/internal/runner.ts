/**
 * The interpreter: walks a template tree, runs each step with its policy
 * (retry, timeout, error strategy), checkpoints after each step, and resumes
 * a stored run from its last checkpoint.
 *
 * Typed at the edges (Engine.ts); untyped inside.
 *
 * @internal
 */
import { Cause, Clock, Duration, Effect, Either, Exit, Option } from "effect"
import type { Schedule } from "effect"
import {
  InvalidInput,
  InvalidStepOutput,
  InvalidTemplate,
  PersistenceError,
  RunAlreadyActive,
  RunCancelled,
  RunNotFound,
  RunNotResumable,
  StateEncodeError,
  StateExpired,
  StateKeyMissing,
  StepTimeout,
  TemplateMismatch,
  WorkflowTimeout
} from "../Errors.js"
import type { Issue } from "../Errors.js"
import type { Event } from "../Event.js"
import type * as Settings from "../Settings.js"
import { defaultRetry, defaults } from "../Settings.js"
import type {
  ErrorSummary,
  RunRecord,
  SnapshotStore,
  StateDelta,
  StepRecord,
  StepStatus,
  StoredEntry,
  StoredState
} from "../SnapshotStore.js"
import type * as State from "../State.js"
import type * as Step from "../Step.js"
import type * as Template from "../Template.js"
import * as Trace from "../Trace.js"
import { compileStep, inputValidator, keyCodecs } from "./compile.js"
import { isSuspended, runDurable } from "./durable.js"
import { runFlow } from "./flow.js"
import { isDeadLocalOwner } from "./owner.js"

/** What a run needs from its engine. */
export interface RunnerEnv {
  readonly store: SnapshotStore["Type"]
  readonly settings: Settings.WeftSettings
  readonly publish: (event: Event) => Effect.Effect<void>
  /** Identifies this engine when claiming runs. */
  readonly owner: string
  readonly withPermit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** What a finished run returns. */
export interface RunOutcome {
  readonly runId: string
  readonly state: Record<string, unknown>
  readonly info: {
    readonly createdAt: Date
    readonly updatedAt: Date
    readonly entries: Readonly<Record<string, State.EntryInfo>>
  }
  readonly trace: Trace.Trace
}

export interface Entry {
  readonly value: unknown
  readonly stored: StoredEntry
  readonly size: number
}

export interface Policy {
  readonly retry: Schedule.Schedule<unknown, never> | undefined
  readonly stepTimeout: Duration.Duration | undefined
}

/** Full snapshots are written once the deltas since the last one weigh this much or the state's size. */
const minSnapshotBytes = 64 * 1024
/** Lease on a claimed run; renewed as steps complete. */
const leaseMillis = 60_000

export class RunContext {
  readonly entries = new Map<string, Entry>()
  readonly trace: Array<Trace.Entry> = []
  completed: ReadonlySet<string> = new Set()
  seq = 0
  createdAt = 0
  updatedAt = 0
  stateBytes = 0
  bytesSinceSnapshot = 0
  leaseUntil = 0
  /**
   * The run's own context. A flow view (internal/flow.ts: one forEach
   * element, one parallel branch) has `entries` of its own but shares the
   * run's cursor, trace and lease through `root`, and mirrors its writes into
   * the root's state under `storePrefix`, so that checkpoints and snapshots
   * keep them apart from the run's own keys.
   */
  root: RunContext = this
  storePrefix = ""
  /** Serializes checkpoints: concurrent flow branches share one cursor. */
  readonly checkpointLock = Effect.unsafeMakeSemaphore(1)
  constructor(
    readonly env: RunnerEnv,
    readonly template: Template.Template.Any,
    readonly runId: string
  ) {}

  /** The key under which a write of this context is stored (view keys `~view/...` are absolute). */
  storedKey(key: string): string {
    return this.root === this || key.startsWith("~view/") ? key : this.storePrefix + key
  }

  set(key: string, entry: Entry): void {
    if (this.root !== this) this.root.set(this.storedKey(key), entry)
    const previous = this.entries.get(key)
    this.stateBytes += entry.size - (previous?.size ?? 0)
    this.entries.set(key, entry)
  }

  unset(key: string): void {
    if (this.root !== this) this.root.unset(this.storedKey(key))
    const previous = this.entries.get(key)
    if (previous === undefined) return
    this.stateBytes -= previous.size
    this.entries.delete(key)
  }

  storedState(): StoredState {
    const entries: Record<string, StoredEntry> = {}
    for (const [key, entry] of this.entries) entries[key] = entry.stored
    return { entries, createdAt: this.createdAt, updatedAt: this.updatedAt }
  }
}

/** A JSON-safe summary of any failure. */
export const summarize = (error: unknown): ErrorSummary => {
  if (typeof error === "object" && error !== null) {
    const tag = "_tag" in error && typeof error._tag === "string"
      ? error._tag
      : error instanceof Error
      ? error.name
      : "Error"
    const message = "message" in error && typeof error.message === "string" && error.message !== ""
      ? error.message
      : safeJson(error)
    return { tag, message }
  }
  return { tag: typeof error, message: String(error) }
}

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** The size of an encoded value as JSON, or `undefined` if it is not JSON-safe. */
export const jsonSize = (value: unknown): number | undefined => {
  try {
    const json = JSON.stringify(value)
    return json === undefined ? undefined : json.length
  } catch {
    return undefined
  }
}

export const expiryOf = (now: number, ttl: Duration.Duration): number | null =>
  Duration.isFinite(ttl) ? now + Duration.toMillis(ttl) : null

// ---------------------------------------------------------------------------
// one step
// ---------------------------------------------------------------------------

type Attempted = { readonly value: Record<string, unknown>; readonly encoded: Record<string, unknown> }

const readSlice = (
  ctx: RunContext,
  step: Step.Step.Any,
  key: string,
  now: number
): Either.Either<Record<string, unknown>, StateKeyMissing | StateExpired> => {
  const compiled = compileStep(step)
  const slice: Record<string, unknown> = {}
  for (const name of compiled.inputKeys) {
    const entry = ctx.entries.get(name)
    if (entry === undefined) {
      if (compiled.mandatoryKeys.has(name)) return Either.left(new StateKeyMissing({ step: key, key: name }))
      continue
    }
    if (entry.stored.expiresAt !== null && entry.stored.expiresAt <= now) {
      return Either.left(new StateExpired({ step: key, key: name, expiredAt: entry.stored.expiresAt }))
    }
    slice[name] = entry.value
  }
  return Either.right(slice)
}

const noRetry: Schedule.Schedule<unknown, unknown> = defaultRetry({ ...defaults, maxRetries: 0 })
const retryCache = new WeakMap<Settings.WeftSettings, Schedule.Schedule<unknown, unknown>>()

/** The default retry policy of some settings, built once per settings object. */
const settingsRetry = (settings: Settings.WeftSettings): Schedule.Schedule<unknown, unknown> => {
  if (settings.maxRetries === 0) return noRetry
  let schedule = retryCache.get(settings)
  if (schedule === undefined) {
    schedule = defaultRetry(settings)
    retryCache.set(settings, schedule)
  }
  return schedule
}

const isRetriable = (error: unknown): boolean =>
  !(error instanceof InvalidStepOutput || error instanceof StateEncodeError)

/** Runs one step (not its fallback) with retries and timeout; validates and encodes its output. */
const attemptStep = (
  ctx: RunContext,
  step: Step.Step.Any,
  key: string,
  policy: Policy,
  slice: Record<string, unknown>,
  attempts: { n: number },
  /** The error that led here (a fallback's first attempt follows the primary's last failure). */
  previousError?: unknown
): Effect.Effect<Attempted, unknown, unknown> => {
  const { env, runId } = ctx
  const compiled = compileStep(step)
  const run = (step as Step.Step<unknown, unknown, unknown, unknown>).run
  const timeout = step.timeout ?? policy.stepTimeout
  const schedule = step.retry ?? policy.retry ?? settingsRetry(env.settings)
  const idempotencyKey = `${runId}/${key}`
  let lastError: unknown = previousError

  const once = Effect.suspend(() => {
    attempts.n++
    const attempt = attempts.n
    const announce = attempt === 1
      ? Effect.flatMap(Clock.currentTimeMillis, (at) => env.publish({ _tag: "StepStarted", runId, step: key, at }))
      : Effect.flatMap(Clock.currentTimeMillis, (at) =>
        env.publish({ _tag: "StepRetried", runId, step: key, attempt, error: summarize(lastError), at }))
    let work = run(slice, { runId, stepKey: key, idempotencyKey, attempt })
    if (timeout !== undefined && Duration.isFinite(timeout)) {
      work = Effect.timeoutFail(work, { duration: timeout, onTimeout: () => new StepTimeout({ step: key, timeout }) })
    }
    return Effect.zipRight(announce, Effect.tapError(work, (error) => Effect.sync(() => (lastError = error))))
  })

  // no retry policy and no retries allowed: skip the retry machinery
  const attempted = schedule === noRetry
    ? once
    : Effect.retry(once, { schedule: schedule as Schedule.Schedule<unknown, unknown>, while: isRetriable })
  return attempted.pipe(
    Effect.flatMap((output): Effect.Effect<Attempted, InvalidStepOutput | StateEncodeError> => {
      const validated = compiled.validateOutput(output)
      if (Either.isLeft(validated)) return Effect.fail(new InvalidStepOutput({ step: key, issues: validated.left }))
      const encoded = compiled.encodeOutput(validated.right)
      if (Either.isLeft(encoded)) return Effect.fail(encodeError(key, encoded.left))
      return Effect.succeed<Attempted>({ value: validated.right, encoded: encoded.right })
    })
  )
}

const encodeError = (step: string, issues: ReadonlyArray<Issue>) =>
  new StateEncodeError({
    step,
    key: issues[0] === undefined ? "(unknown)" : String(issues[0].path[0] ?? "(root)"),
    detail: issues.map((issue) => issue.message).join("; ")
  })

/**
 * Appends one checkpoint: applies the delta to the in-memory state and records it in the store.
 * Checkpoints of one run are serialized (flow branches run concurrently) and
 * not interruptible, so that the in-memory cursor always matches the store's.
 */
export const checkpoint = (
  ctx: RunContext,
  record: Omit<StepRecord, "runId" | "seq" | "idempotencyKey">,
  written: ReadonlyMap<string, { readonly value: unknown; readonly size: number }>
) =>
  Effect.gen(function*() {
    const run = ctx.root
    const seq = run.seq + 1
    let deltaBytes = 0
    for (const [name, stored] of Object.entries(record.delta.set)) {
      const { value, size } = written.get(name)!
      deltaBytes += size
      ctx.set(name, { value, stored, size })
    }
    for (const name of record.delta.unset) ctx.unset(name)
    run.updatedAt = record.endedAt
    run.bytesSinceSnapshot += deltaBytes + 64
    const delta = run === ctx ? record.delta : {
      set: Object.fromEntries(Object.entries(record.delta.set).map(([name, stored]) => [ctx.storedKey(name), stored])),
      unset: record.delta.unset.map((name) => ctx.storedKey(name))
    }
    const full: StepRecord = {
      ...record,
      delta,
      runId: ctx.runId,
      seq,
      idempotencyKey: `${ctx.runId}/${record.stepKey}`
    }
    let snapshot: StoredState | undefined
    if (run.bytesSinceSnapshot >= Math.max(run.stateBytes, minSnapshotBytes)) {
      snapshot = run.storedState()
      run.bytesSinceSnapshot = 0
    }
    // fails with RunCancelled, writing nothing, if the run was cancelled (here or in another process)
    yield* ctx.env.store.appendStep(full, { updatedAt: record.endedAt, snapshot })
    run.seq = seq
    if (!Trace.isInternal(full)) run.trace.push(Trace.fromRecord(full))
    yield* renewLease(run, record.endedAt)
  }).pipe(Effect.uninterruptible, ctx.root.checkpointLock.withPermits(1))

const renewLease = (ctx: RunContext, now: number) =>
  now + leaseMillis / 2 < ctx.leaseUntil ? Effect.void : Effect.asVoid(claim(ctx, now))

/**
 * Takes ownership of the run. A run held by a live engine is
 * `RunAlreadyActive`; one held by a dead process of this host is taken over.
 */
const claim = (ctx: RunContext, now: number): Effect.Effect<void, RunAlreadyActive | PersistenceError> => {
  const { env, runId } = ctx
  const attempt = (takeOverFrom?: string) =>
    env.store.claim(runId, env.owner, now, now + leaseMillis, takeOverFrom)
  return Effect.flatMap(attempt(), (first) => {
    if (first.claimed) return Effect.void
    const holder = first.owner
    if (holder === null || !isDeadLocalOwner(holder)) {
      return Effect.fail(new RunAlreadyActive({ runId, owner: holder ?? "unknown" }))
    }
    return Effect.flatMap(attempt(holder), (second) =>
      second.claimed ? Effect.void : Effect.fail(new RunAlreadyActive({ runId, owner: second.owner ?? "unknown" })))
  }).pipe(Effect.tap(() => {
    ctx.leaseUntil = now + leaseMillis
  }))
}

/**
 * Renews the run's lease while it executes (a step may take longer than a
 * lease). Fails, and so stops the run, only if another engine took it over;
 * a store that is briefly unavailable is tried again at the next beat.
 */
const heartbeat = (ctx: RunContext): Effect.Effect<never, RunAlreadyActive | RunCancelled> =>
  Effect.sleep(Duration.millis(leaseMillis / 3)).pipe(
    Effect.zipRight(Clock.currentTimeMillis),
    Effect.flatMap((now) =>
      Effect.flatMap(ctx.env.store.claim(ctx.runId, ctx.env.owner, now, now + leaseMillis), (result): Effect.Effect<
        void,
        RunAlreadyActive | RunCancelled | PersistenceError
      > => {
        if (!result.claimed) {
          return Effect.fail(new RunAlreadyActive({ runId: ctx.runId, owner: result.owner ?? "unknown" }))
        }
        ctx.leaseUntil = now + leaseMillis
        // a run cancelled from another process stops at the next beat
        return Effect.flatMap(ctx.env.store.getRun(ctx.runId), (run) =>
          Option.isSome(run) && run.value.status === "cancelled"
            ? Effect.fail(new RunCancelled({ runId: ctx.runId }))
            : Effect.void)
      })
    ),
    Effect.catchTag("PersistenceError", () => Effect.void),
    Effect.forever
  )

const runStep = (ctx: RunContext, step: Step.Step.Any, key: string, policy: Policy) =>
  Effect.gen(function*() {
    if (ctx.completed.has(key)) return
    const { env, runId } = ctx
    const startedAt = yield* Clock.currentTimeMillis
    const attempts = { n: 0 }
    const slice = readSlice(ctx, step, key, startedAt)

    const finish = (status: Exclude<StepStatus, "failed">, writer: Step.Step.Any, out: Attempted | undefined, error: unknown) =>
      Effect.gen(function*() {
        const endedAt = yield* Clock.currentTimeMillis
        const ttl = writer.ttl ?? env.settings.stateTtl
        const expiresAt = expiryOf(endedAt, ttl)
        const set: Record<string, StoredEntry> = {}
        const written = new Map<string, { readonly value: unknown; readonly size: number }>()
        if (out !== undefined) {
          for (const name of Object.keys(out.encoded)) {
            const size = jsonSize(out.encoded[name])
            if (size === undefined) {
              return yield* fail(
                new StateEncodeError({ step: key, key: name, detail: "its encoded form is not JSON-serialisable" })
              )
            }
            set[name] = { value: out.encoded[name], writtenAt: endedAt, expiresAt }
            written.set(name, { value: out.value[name], size })
          }
        }
        yield* checkpoint(ctx, {
          stepKey: key,
          stepName: step.name,
          status,
          attempts: attempts.n,
          startedAt,
          endedAt,
          delta: { set, unset: [] },
          error: error === undefined ? null : summarize(error)
        }, written)
        yield* env.publish({
          _tag: "StepCompleted",
          runId,
          step: key,
          status,
          attempts: attempts.n,
          durationMs: endedAt - startedAt,
          at: endedAt
        })
      })

    const fail = (error: unknown) =>
      Effect.gen(function*() {
        const endedAt = yield* Clock.currentTimeMillis
        const summary = summarize(error)
        yield* checkpoint(ctx, {
          stepKey: key,
          stepName: step.name,
          status: "failed",
          attempts: attempts.n,
          startedAt,
          endedAt,
          delta: { set: {}, unset: [] },
          error: summary
        }, new Map())
        yield* env.publish({ _tag: "StepFailed", runId, step: key, attempts: attempts.n, error: summary, at: endedAt })
        return yield* Effect.fail(error)
      })

    if (Either.isLeft(slice)) return yield* fail(slice.left)

    const primary = yield* Effect.either(attemptStep(ctx, step, key, policy, slice.right, attempts))
    if (Either.isRight(primary)) return yield* finish("completed", step, primary.right, undefined)
    if (step.fallback !== undefined) {
      const fallback = yield* Effect.either(attemptStep(ctx, step.fallback, key, policy, slice.right, attempts, primary.left))
      if (Either.isRight(fallback)) return yield* finish("fallback", step.fallback, fallback.right, primary.left)
      return yield* fail(fallback.left)
    }
    if (step.onError === "skip") return yield* finish("skipped", step, undefined, primary.left)
    return yield* fail(primary.left)
  })

// ---------------------------------------------------------------------------
// templates
// ---------------------------------------------------------------------------

/** Child path segments, with `#2`, `#3`... for repeated sub-template names. */
const childNames = (template: Template.Template.Any): ReadonlyArray<string> => {
  const counts = new Map<string, number>()
  return template.steps.map((node) => {
    const n = (counts.get(node.name) ?? 0) + 1
    counts.set(node.name, n)
    return n === 1 ? node.name : `${node.name}#${n}`
  })
}

export const join = (path: string, name: string) => path === "" ? name : `${path}/${name}`

/** State keys under which a template keeps outer values its local keys shadow. */
const shadowPrefix = "~shadow/"

/** The state key whose Schema encodes a (possibly shadow, or flow view `~view/...`) key. */
const schemaKeyOf = (key: string) => key.startsWith("~") ? key.slice(key.lastIndexOf("/") + 1) : key

export const runTemplate = (
  ctx: RunContext,
  template: Template.Template.Any,
  path: string,
  inherited: Policy
): Effect.Effect<void, unknown, unknown> => {
  const policy: Policy = {
    retry: template.retry ?? inherited.retry,
    stepTimeout: template.stepTimeout ?? inherited.stepTimeout
  }
  const names = childNames(template)
  const children = Effect.forEach(template.steps, (node, i) => {
    const key = join(path, names[i]!)
    return node._tag === "Template"
      ? runTemplate(ctx, node, key, policy)
      : node._tag === "Flow"
      ? runFlow(ctx, node, key, policy)
      : node._tag === "Step"
      ? runStep(ctx, node, key, policy)
      : runDurable(ctx, node, key, policy)
  }, { discard: true })
  if (template.local.length === 0) return children
  // Local keys may shadow values from outside the template: those are saved
  // under a bookkeeping key when the template starts and restored when it
  // ends, each move recorded as a checkpoint so that a resume sees it too.
  const shadowKey = (name: string) => `${shadowPrefix}${join(path, name)}`
  const bookkeeping = (key: string, delta: StateDelta, written: Map<string, { value: unknown; size: number }>) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      checkpoint(ctx, {
        stepKey: key,
        stepName: key.slice(key.lastIndexOf("/") + 1),
        status: "completed",
        attempts: 0,
        startedAt: now,
        endedAt: now,
        delta,
        error: null
      }, written))
  const begin = Effect.suspend(() => {
    const beginKey = join(path, "~begin")
    if (ctx.completed.has(beginKey)) return Effect.void
    const set: Record<string, StoredEntry> = {}
    const written = new Map<string, { value: unknown; size: number }>()
    for (const name of template.local) {
      const outer = ctx.entries.get(name)
      if (outer === undefined) continue
      set[shadowKey(name)] = outer.stored
      written.set(shadowKey(name), { value: outer.value, size: outer.size })
    }
    if (written.size === 0) return Effect.void
    return bookkeeping(beginKey, { set, unset: [] }, written)
  })
  const end = Effect.suspend(() => {
    const endKey = join(path, "~end")
    if (ctx.completed.has(endKey)) return Effect.void
    const set: Record<string, StoredEntry> = {}
    const written = new Map<string, { value: unknown; size: number }>()
    const unset: Array<string> = []
    for (const name of template.local) {
      const saved = ctx.entries.get(shadowKey(name))
      if (saved !== undefined) {
        set[name] = saved.stored
        written.set(name, { value: saved.value, size: saved.size })
        unset.push(shadowKey(name))
      } else if (ctx.entries.has(name)) {
        unset.push(name)
      }
    }
    if (unset.length === 0) return Effect.void
    return bookkeeping(endKey, { set, unset }, written)
  })
  return Effect.zipRight(begin, Effect.zipRight(children, end))
}

// ---------------------------------------------------------------------------
// runs
// ---------------------------------------------------------------------------

const outcome = (ctx: RunContext): RunOutcome => {
  const state: Record<string, unknown> = {}
  const entries: Record<string, State.EntryInfo> = {}
  for (const [key, entry] of ctx.entries) {
    if (key.startsWith("~durable/")) continue
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
    trace: ctx.trace
  }
}

/** Executes the template from wherever `ctx` stands, and records how the run ended. */
const execute = (ctx: RunContext, timeout: Duration.Duration | undefined) => {
  const { env, runId, template } = ctx
  const limit = timeout ?? env.settings.workflowTimeout
  let body = runTemplate(ctx, template, "", { retry: template.retry, stepTimeout: template.stepTimeout })
  if (Duration.isFinite(limit)) {
    body = Effect.timeoutFail(body, {
      duration: limit,
      onTimeout: () => new WorkflowTimeout({ workflow: template.name, timeout: limit })
    })
  }
  body = Effect.raceFirst(body, heartbeat(ctx))
  return body.pipe(
    Effect.onExit((exit) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        if (Exit.isSuccess(exit)) {
          yield* env.store.setStatus(runId, {
            status: "completed",
            updatedAt: now,
            expiresAt: expiryOf(now, env.settings.stateTtl)
          })
          yield* env.publish({ _tag: "RunCompleted", runId, durationMs: now - ctx.createdAt, at: now })
          return
        }
        // interrupted (the process or fiber was stopped): the run stays resumable
        if (Cause.isInterruptedOnly(exit.cause)) return
        const failure = Cause.failureOption(exit.cause)
        // suspended: its status is recorded; cancelled: it was, by whoever cancelled it
        if (Option.isSome(failure) && isSuspended(failure.value)) return
        if (Option.isSome(failure) && failure.value instanceof RunCancelled) {
          yield* env.publish({ _tag: "RunCancelled", runId, at: now })
          return
        }
        const error = summarize(Cause.squash(exit.cause))
        yield* env.store.setStatus(runId, {
          status: "failed",
          updatedAt: now,
          error,
          expiresAt: expiryOf(now, env.settings.stateTtl)
        })
        yield* env.publish({ _tag: "RunFailed", runId, error, at: now })
      }).pipe(Effect.catchAll((error) => Effect.logError("weft: could not record the end of a run", error)))
    ),
    Effect.ensuring(Effect.ignore(env.store.release(runId, env.owner))),
    Effect.as(ctx)
  )
}

/**
 * Checks a new run's template and input, and builds its initial state.
 * Nothing is written: a rejected input leaves no trace in the store.
 */
export const prepare = (
  env: RunnerEnv,
  template: Template.Template.Any,
  input: unknown,
  runId: string
): Effect.Effect<RunContext, InvalidInput | InvalidTemplate> =>
  Effect.gen(function*() {
    yield* template.validate()
    const checked = inputValidator(template)(input)
    if (Either.isLeft(checked)) return yield* Effect.fail(new InvalidInput({ workflow: template.name, issues: checked.left }))
    const codecs = keyCodecs(template)
    const now = yield* Clock.currentTimeMillis
    const ctx = new RunContext(env, template, runId)
    ctx.createdAt = now
    ctx.updatedAt = now
    const issues: Array<Issue> = []
    const expiresAt = expiryOf(now, env.settings.stateTtl)
    for (const [key, value] of Object.entries(checked.right)) {
      const encoded = codecs.get(key)!.encode(value)
      const size = Either.isRight(encoded) ? jsonSize(encoded.right) : undefined
      if (Either.isLeft(encoded)) issues.push(...encoded.left)
      else if (size === undefined) issues.push({ path: [key], message: "its encoded form is not JSON-serialisable" })
      else ctx.set(key, { value, stored: { value: encoded.right, writtenAt: now, expiresAt }, size })
    }
    if (issues.length > 0) return yield* Effect.fail(new InvalidInput({ workflow: template.name, issues }))
    return ctx
  })

/** A run's whole timeout as stored: milliseconds, 0 for none. */
const timeoutMillisOf = (timeout: Duration.Duration): number =>
  Duration.isFinite(timeout) ? Math.max(1, Math.round(Duration.toMillis(timeout))) : 0

/** The timeout a stored run was started with, if it was recorded. */
const storedTimeout = (run: RunRecord): Duration.Duration | undefined =>
  run.timeoutMillis === undefined
    ? undefined
    : run.timeoutMillis === 0
    ? Duration.infinity
    : Duration.millis(run.timeoutMillis)

/**
 * Records a prepared run in the store (status `running`, cursor 0), with the
 * whole run's timeout (`timeout`, else the `workflowTimeout` setting) so that
 * a resume elsewhere keeps it.
 */
export const create = (ctx: RunContext, timeout?: Duration.Duration | undefined): Effect.Effect<void, PersistenceError> =>
  ctx.env.store.createRun({
    runId: ctx.runId,
    templateName: ctx.template.name,
    templateVersion: ctx.template.version,
    status: "running",
    seq: 0,
    createdAt: ctx.createdAt,
    updatedAt: ctx.createdAt,
    expiresAt: null,
    error: null,
    timeoutMillis: timeoutMillisOf(timeout ?? ctx.env.settings.workflowTimeout)
  }, ctx.storedState())

/** Executes a created run once a concurrency permit is free. */
export const launch = (
  ctx: RunContext,
  timeout: Duration.Duration | undefined
): Effect.Effect<RunOutcome, unknown, unknown> =>
  ctx.env.withPermit(Effect.gen(function*() {
    const { env, runId, template } = ctx
    const now = yield* Clock.currentTimeMillis
    yield* claim(ctx, now)
    yield* env.publish({ _tag: "RunStarted", runId, template: template.name, version: template.version, at: now })
    return outcome(yield* execute(ctx, timeout))
  }))

/** Executes a created child run (a sub-flow) inside its parent's execution: no permit of its own. */
export const executeChild = (ctx: RunContext): Effect.Effect<RunOutcome, unknown, unknown> =>
  Effect.gen(function*() {
    const { env, runId, template } = ctx
    const now = yield* Clock.currentTimeMillis
    yield* claim(ctx, now)
    yield* env.publish({ _tag: "RunStarted", runId, template: template.name, version: template.version, at: now })
    return outcome(yield* execute(ctx, Duration.infinity))
  })

/** Starts a new run and waits for its end. */
export const start = (
  env: RunnerEnv,
  template: Template.Template.Any,
  input: unknown,
  options: { readonly runId?: string | undefined; readonly timeout?: Duration.Duration | undefined }
): Effect.Effect<RunOutcome, unknown, unknown> =>
  Effect.gen(function*() {
    const ctx = yield* prepare(env, template, input, options.runId ?? crypto.randomUUID())
    yield* create(ctx, options.timeout)
    return yield* launch(ctx, options.timeout)
  })

/** Resumes a stored run from its last checkpoint. */
export const resume = (
  env: RunnerEnv,
  template: Template.Template.Any,
  runId: string,
  options: { readonly timeout?: Duration.Duration | undefined }
): Effect.Effect<RunOutcome, unknown, unknown> => env.withPermit(resumeRun(env, template, runId, options, false))

/**
 * Resumes a child run (a sub-flow) inside its parent's execution (no permit
 * of its own), or, when it has completed, loads its final state.
 */
export const resumeChild = (
  env: RunnerEnv,
  template: Template.Template.Any,
  runId: string
): Effect.Effect<RunOutcome, unknown, unknown> => resumeRun(env, template, runId, { timeout: Duration.infinity }, true)

const resumeRun = (
  env: RunnerEnv,
  template: Template.Template.Any,
  runId: string,
  options: { readonly timeout?: Duration.Duration | undefined },
  child: boolean
): Effect.Effect<RunOutcome, unknown, unknown> =>
  Effect.gen(function*() {
    yield* template.validate()
    const record = yield* env.store.getRun(runId)
    if (Option.isNone(record)) return yield* Effect.fail(new RunNotFound({ runId }))
    const run = record.value
    if (run.templateName !== template.name || run.templateVersion !== template.version) {
      return yield* Effect.fail(
        new TemplateMismatch({
          runId,
          stored: { name: run.templateName, version: run.templateVersion },
          given: { name: template.name, version: template.version }
        })
      )
    }
    const finished = child && run.status === "completed"
    if (run.status !== "running" && run.status !== "suspended" && !finished) {
      return yield* Effect.fail(new RunNotResumable({ runId, status: run.status }))
    }
    const now = yield* Clock.currentTimeMillis
    const ctx = new RunContext(env, template, runId)
    // claim before loading, so that the state loaded is the one we own
    if (!finished) yield* claim(ctx, now)
    const loaded = yield* env.store.load(runId)
    if (Option.isNone(loaded)) return yield* Effect.fail(new RunNotFound({ runId }))
    const { snapshot, stepsAfterSnapshot, completedStepKeys } = loaded.value
    ctx.createdAt = snapshot.createdAt
    ctx.updatedAt = loaded.value.run.updatedAt
    ctx.seq = loaded.value.run.seq
    ctx.completed = new Set(completedStepKeys)
    const codecs = keyCodecs(template)
    const restore = (key: string, stored: StoredEntry) => {
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
      ctx.set(key, { value: decoded.right, stored, size: jsonSize(stored.value) ?? 0 })
      return Effect.void
    }
    for (const [key, stored] of Object.entries(snapshot.entries)) yield* restore(key, stored)
    for (const step of stepsAfterSnapshot) {
      yield* applyDelta(step.delta, restore, ctx)
      ctx.bytesSinceSnapshot += 64
    }
    const history = yield* env.store.steps(runId)
    ctx.trace.push(...Trace.fromRecords(history.filter((record) => record.status !== "failed")))
    if (finished) return outcome(ctx)
    yield* env.publish({
      _tag: "RunResumed",
      runId,
      template: template.name,
      version: template.version,
      completedSteps: completedStepKeys.length,
      at: now
    })
    yield* env.store.setStatus(runId, { status: "running", updatedAt: now })
    // the timeout given here, else the one the run was started with
    return outcome(yield* execute(ctx, options.timeout ?? storedTimeout(run)))
  })

const applyDelta = (
  delta: StateDelta,
  restore: (key: string, stored: StoredEntry) => Effect.Effect<void, PersistenceError>,
  ctx: RunContext
) =>
  Effect.gen(function*() {
    for (const [key, stored] of Object.entries(delta.set)) yield* restore(key, stored)
    for (const key of delta.unset) ctx.unset(key)
  })
