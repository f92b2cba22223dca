/**
 * The engine's operations on runs, untyped (Engine.ts types them): starting
 * (recorded and claimed at once, or queued), resuming (claimed, restored,
 * executed), inspecting a run as it stands, reading a completed run back.
 *
 * @internal
 */
import { Clock, Duration, Effect, Either, Option } from "effect"
import * as Errors from "../../Errors.js"
import type { RunRecord, Service as Store } from "../../SnapshotStore.js"
import { isFinal } from "../../RunStatus.js"
import { defaultQueue } from "../../SnapshotStore.js"
import type * as Settings from "../../Settings.js"
import type * as Template from "../../Template.js"
import * as Trace from "../../Trace.js"
import { retryTransient } from "../run/checkpoint.js"
import type { RunContext, RunEnv, RunOutcome } from "../run/context.js"
import { isInternalKey } from "../run/keys.js"
import { checkPinned, create, load, prepare, restore } from "../run/lifecycle.js"
import { type Crossing, isPosition, positionKey } from "../run/position.js"
import { newTraceContext } from "../run/tracing.js"
import { readBack } from "./awaiting.js"
import { type Executor, visibleRecords } from "./executor.js"
import { InlineRuns } from "./inline.js"
import { isDeadLocalOwner } from "./owner.js"
import type { Poller } from "./recovery.js"
import { turnIfOverdue } from "../eventLoop.js"
import type { Registry } from "./registry.js"

/** What the operations need from their engine. */
export interface RunsDeps {
  readonly env: RunEnv
  readonly store: Store
  readonly settings: Settings.WeftSettings
  readonly registry: Registry
  readonly executor: Executor
  readonly poller: Poller
  readonly leaseMillis: number
  readonly awaiting: (runId: string, template?: Template.Template.Any) => Effect.Effect<RunOutcome, unknown>
}

/** Options of a new run, as the engine takes them. */
export interface StartOptions {
  readonly runId?: string | undefined
  readonly timeout?: Duration.DurationInput | undefined
  readonly queue?: string | undefined
  readonly priority?: number | undefined
}

const maxRunIdLength = 256

/** Checks a run id given by a caller: not blank, at most 256 characters, well-formed UTF-16 without NUL. */
export const checkRunId = (runId: string): Effect.Effect<string, Errors.InvalidRunId> => {
  const reason: Errors.InvalidRunId["reason"] | undefined = runId.length === 0
    ? "empty"
    : runId.trim().length === 0
    ? "blank"
    : runId.length > maxRunIdLength
    ? "too-long"
    : runId.includes("\u0000")
    ? "nul"
    : !runId.isWellFormed()
    ? "malformed"
    : undefined
  return reason === undefined ? Effect.succeed(runId) : Effect.fail(new Errors.InvalidRunId({ runId, reason }))
}

/** Checks a run's priority: an integer (default 0) that fits the store's column. */
const checkPriority = (priority: number | undefined): Effect.Effect<number, Errors.InvalidInput> =>
  priority === undefined
    ? Effect.succeed(0)
    : Number.isSafeInteger(priority) && Math.abs(priority) <= 2 ** 31 - 1
    ? Effect.succeed(priority === 0 ? 0 : priority) // -0 is 0
    : Effect.fail(
      new Errors.InvalidInput({
        template: "(run options)",
        issues: [{ path: ["priority"], message: `expected an integer of at most 2^31-1 in size, got ${String(priority)}` }]
      })
    )

/** A run's whole timeout as stored: milliseconds, 0 for none. */
export const millisOf = (duration: Duration.Duration): number =>
  Duration.isFinite(duration) ? Math.max(1, Math.round(Duration.toMillis(duration))) : 0

/** A run's record, or `RunNotFound`. */
export const getRun = (store: Store) => (runId: string): Effect.Effect<RunRecord, Errors.RunNotFound | Errors.PersistenceError> =>
  Effect.flatMap(
    retryTransient(store.getRun(runId)),
    Option.match({ onNone: () => Effect.fail(new Errors.RunNotFound({ runId })), onSome: Effect.succeed })
  )

/**
 * Registers a template with the services of the current context, and looks for work it can now take
 * (`always`: even when the registration changed nothing; else only when it did, as when a run starts).
 */
export const register = (deps: RunsDeps, always = false) => (template: Template.Template.Any) =>
  Effect.flatMap(Effect.context<never>(), (context) =>
    Either.match(deps.registry.register(template, context), {
      onLeft: Effect.fail,
      onRight: (changed) => changed || always ? deps.poller.nudge : Effect.void
    }))

/** Checks a new run's options, template and input, and builds its context (nothing is written). */
const prepareNew = (deps: RunsDeps, template: Template.Template.Any, input: unknown, options: StartOptions | undefined) =>
  Effect.gen(function*() {
    const runId = yield* checkRunId(options?.runId ?? crypto.randomUUID())
    yield* register(deps)(template)
    const timeout = options?.timeout === undefined ? deps.settings.workflowTimeout : Duration.decode(options.timeout)
    return yield* prepare(deps.env, template, input, {
      runId,
      timeoutMillis: millisOf(timeout),
      parentId: null,
      rootId: runId,
      queue: options?.queue ?? defaultQueue,
      traceContext: yield* newTraceContext,
      priority: yield* checkPriority(options?.priority)
    })
  })

/** Records a prepared run claimed by this engine. */
const createClaimed = (deps: RunsDeps, ctx: RunContext) =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => create(ctx, null, { leaseUntil: now + deps.leaseMillis }))

/** Checks, records and starts a run; returns its id (see `Engine.Service.start`). */
export const start = (deps: RunsDeps) =>
(
  template: Template.Template.Any,
  input: unknown,
  options: StartOptions | undefined
) =>
  Effect.gen(function*() {
    const { executor, poller } = deps
    const ctx = yield* prepareNew(deps, template, input, options)
    // the waiter exists before the run can end
    executor.waiter(ctx.runId)
    if (options?.queue !== undefined) {
      yield* create(ctx, null, null)
      yield* poller.nudge
    } else {
      yield* createClaimed(deps, ctx)
      yield* executor.launch(ctx, yield* Effect.context<never>(), "started")
    }
    // a caller starting runs in a loop lets the event loop turn (timers, I/O, the heartbeat) when overdue
    yield* turnIfOverdue
    return ctx.runId
  })

/**
 * Runs a template to the end (see `Engine.Service.run`): executed in the caller's fiber when it can
 * be (`inline.ts`: not queued, the engine not stopping, a caller without children of its own), else
 * started in the background and awaited; a run that goes on (suspended, held elsewhere) is awaited.
 */
export const run = (deps: RunsDeps) =>
(
  template: Template.Template.Any,
  input: unknown,
  options: StartOptions | undefined
): Effect.Effect<RunOutcome, unknown> =>
  Effect.withFiberRuntime((fiber) => {
    const { executor } = deps
    const awaited = (runId: string) => Effect.onInterrupt(deps.awaiting(runId, template), () => executor.stop(runId, "shutdown"))
    if (options?.queue !== undefined || executor.slots.stopped || !InlineRuns.canHost(fiber)) {
      return Effect.flatMap(start(deps)(template, input, options), awaited)
    }
    return Effect.gen(function*() {
      const ctx = yield* prepareNew(deps, template, input, options)
      yield* createClaimed(deps, ctx)
      const learnt = yield* executor.runHere(ctx, yield* Effect.context<never>())
      return yield* learnt === undefined ? awaited(ctx.runId) : learnt
    })
  })

/** Claims a stored run, restores it and executes it here, unless it executes here already (see `Engine.Service.resume`). */
export const resume = (deps: RunsDeps) =>
(
  template: Template.Template.Any,
  runId: string,
  options: { readonly timeout?: Duration.DurationInput | undefined } | undefined
) =>
  Effect.gen(function*() {
    const { env, executor, store } = deps
    yield* register(deps)(template)
    const run = yield* getRun(store)(runId)
    yield* checkPinned(template, run)
    if (isFinal(run.status)) return yield* new Errors.RunNotResumable({ runId, status: run.status })
    if (run.status === "paused") return yield* new Errors.RunPaused({ runId })
    if (executor.active.has(runId)) return
    const now = yield* Clock.currentTimeMillis
    // held by a dead process of this machine, or by this engine though it no longer executes it (its
    // hand-back failed): taken over at once
    const takeOverFrom = run.owner !== null && (run.owner === env.owner || isDeadLocalOwner(run.owner)) ? run.owner : undefined
    // held by a live lease, as read: answered without a write (a resume loop must not keep the
    // store's write lock from the engine executing the run, or its heartbeat may starve)
    if (
      run.status === "running" && run.owner !== null && takeOverFrom === undefined && (run.leaseUntil ?? 0) > now
    ) {
      return yield* new Errors.RunAlreadyActive({ runId, owner: run.owner })
    }
    const claimed = yield* retryTransient(store.claim(runId, env.owner, now, now + deps.leaseMillis, takeOverFrom))
    if (!claimed.claimed) {
      return yield* claimed.reason === "held"
        ? new Errors.RunAlreadyActive({ runId, owner: claimed.owner ?? "unknown" })
        : claimed.reason === "paused"
        ? new Errors.RunPaused({ runId })
        : claimed.reason === "finished"
        ? new Errors.RunNotResumable({ runId, status: (yield* getRun(store)(runId)).status })
        : new Errors.RunNotFound({ runId })
    }
    const { loaded, records } = yield* load(env, runId)
    const ctx = yield* restore(env, template, loaded, visibleRecords(records), claimed.lease)
    if (options?.timeout !== undefined) ctx.timeoutMillis = millisOf(Duration.decode(options.timeout))
    executor.waiter(runId)
    yield* executor.launch(ctx, yield* Effect.context<never>(), "resumed")
  })

/** A run as it stands now (see `Engine.Service.inspect`). */
export const inspect = (deps: RunsDeps) => (runId: string, template?: Template.Template.Any) =>
  Effect.gen(function*() {
    const { env, registry } = deps
    const { loaded, records } = yield* load(env, runId)
    const run = loaded.run
    if (template !== undefined) yield* checkPinned(template, run)
    const known = template ?? registry.get(run.templateName, run.templateVersion)?.template
    const state: Record<string, unknown> = {}
    let lineage: ReadonlyArray<Crossing> = []
    if (known !== undefined) {
      const ctx = yield* restore(env, known, loaded, [], { owner: env.owner, generation: -1 })
      for (const [key, entry] of ctx.entries) if (!isInternalKey(key)) state[key] = entry.value
      const marker = ctx.entries.get(positionKey)?.value
      if (isPosition(marker)) lineage = marker.lineage
    } else {
      // not known here: the values as stored (JSON)
      const put = (key: string, value: unknown) => {
        if (!isInternalKey(key)) state[key] = value
        else if (key === positionKey && isPosition(value)) lineage = value.lineage
      }
      for (const [key, stored] of Object.entries(loaded.snapshot.entries)) put(key, stored.value)
      for (const step of loaded.stepsAfterSnapshot) {
        for (const [key, stored] of Object.entries(step.delta.set)) put(key, stored.value)
        for (const key of step.delta.unset) delete state[key]
      }
    }
    const visible = Trace.fromRecords(visibleRecords(records))
    const waiting = run.waitingFor
    return {
      run,
      state,
      position: {
        lastStep: visible.length === 0 ? null : visible[visible.length - 1]!.step,
        completedSteps: visible.length
      },
      lineage,
      waitingFor: waiting === null ? null : {
        runId: waiting.runId,
        step: waiting.step,
        signal: waiting.signal,
        deadline: run.wakeAt === null ? null : new Date(run.wakeAt)
      }
    }
  })

/** A completed run read back (see `Engine.Service.result`). */
export const result = (deps: RunsDeps) => (template: Template.Template.Any, runId: string) =>
  Effect.gen(function*() {
    const run = yield* getRun(deps.store)(runId)
    yield* checkPinned(template, run)
    if (run.status !== "completed") {
      return yield* new Errors.RunNotCompleted({ runId, status: run.status, error: run.error })
    }
    return yield* readBack(deps.env, template, runId)
  })

/**
 * Takes up, once, the runs of the registered templates that need an engine, of the queues this engine
 * serves (`default`, and a worker's own within their limits), as recovery does (see `Engine.Service.resumeDue`).
 */
export const resumeDue = (deps: RunsDeps): Effect.Effect<number, Errors.PersistenceError> => deps.poller.takeUpOnce
