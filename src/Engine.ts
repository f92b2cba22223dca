/**
 * The engine: the service that runs templates over a `SnapshotStore`. It
 * records and claims runs, executes them (at most `maxConcurrentWorkflows`
 * at once), takes up by itself the runs that need an engine (suspended runs
 * whose signal or deadline came, runs whose engine died), stops what it no
 * longer holds, and publishes progress events.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Engine } from "weftjs"
 *
 * const program = Effect.gen(function*() {
 *   const engine = yield* Engine.Engine
 *   return yield* engine.list({ status: "failed" })
 * }).pipe(Effect.provide(Engine.layerMemory))
 * ```
 *
 * @since 0.1.0
 */
import { Clock, Context, Duration, Effect, Either, Layer, Option } from "effect"
import type { Scope, Stream } from "effect"
import type { ConfigError } from "effect/ConfigError"
import type {
  InvalidInput,
  InvalidTemplate,
  PersistenceError,
  RunAlreadyActive,
  RunError,
  RunNotCompleted,
  RunNotFound,
  RunNotResumable,
  TemplateConflict,
  TemplateMismatch
} from "./Errors.js"
import * as Errors from "./Errors.js"
import type { Event } from "./Event.js"
import { awaitRun, readBack } from "./internal/engine/awaiting.js"
import * as Events from "./internal/engine/events.js"
import * as Executor from "./internal/engine/executor.js"
import * as Heartbeat from "./internal/engine/heartbeat.js"
import { cancel } from "./internal/engine/lineage.js"
import { isDeadLocalOwner, makeOwnerId } from "./internal/engine/owner.js"
import * as Recovery from "./internal/engine/recovery.js"
import { Registry } from "./internal/engine/registry.js"
import { signal } from "./internal/engine/signals.js"
import { retryTransient } from "./internal/run/checkpoint.js"
import type { RunEnv, RunOutcome } from "./internal/run/context.js"
import { interpret } from "./internal/run/interpret.js"
import { newTraceContext } from "./internal/run/tracing.js"
import { isInternalKey } from "./internal/run/keys.js"
import { checkPinned, childRuns, create, prepare, restore } from "./internal/run/lifecycle.js"
import { load } from "./internal/run/lifecycle.js"
import * as Settings from "./Settings.js"
import * as SnapshotStore from "./SnapshotStore.js"
import type * as State from "./State.js"
import type * as Template from "./Template.js"
import * as Trace from "./Trace.js"

/**
 * What a finished run returns: its id, its final typed state with the state's
 * metadata, and its trace.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunResult<S> {
  readonly runId: string
  /** The final state: the input and every key the template provides. */
  readonly state: S
  readonly createdAt: Date
  readonly updatedAt: Date
  /** When each key was written and when it expires. */
  readonly entries: { readonly [K in keyof S]: State.EntryInfo }
  readonly trace: Trace.Trace
}

/**
 * Options of a run.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunOptions {
  /**
   * The run's id (default: a random UUID): unique in the store, at most 256
   * characters of well-formed UTF-16.
   */
  readonly runId?: string | undefined
  /**
   * The whole run's timeout (default: the `workflowTimeout` setting): the
   * execution time it may take, summed over every process that executes it
   * (durable sleeps and retry delays count, time suspended waiting for a
   * signal does not). Stored with the run.
   */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * Records the run on this queue, for a `Worker` serving it to execute,
   * instead of executing it in this engine.
   */
  readonly queue?: string | undefined
}

/**
 * The errors of resuming a run, besides those of running it.
 *
 * @since 0.1.0
 * @category models
 */
export type ResumeError = RunNotFound | TemplateMismatch | RunNotResumable | RunAlreadyActive

/**
 * A run started in the background: its id, and an Effect that waits for its
 * end (it can be awaited many times, from any fiber).
 *
 * @since 0.1.0
 * @category models
 */
export interface RunHandle<S, E> {
  readonly runId: string
  readonly await: Effect.Effect<RunResult<S>, E>
}

/**
 * A run as it stands now, read from the store: its record, its current
 * state, how far it got and what it waits for.
 *
 * @since 0.2.0
 * @category models
 */
export interface RunView<S> {
  readonly run: SnapshotStore.RunRecord
  /**
   * Its state now: decoded with the template's Schemas (when the template is
   * given or registered here), else as stored (JSON).
   */
  readonly state: S
  readonly position: {
    /** The last step recorded (bookkeeping left out), `null` before any. */
    readonly lastStep: string | null
    readonly completedSteps: number
  }
  /** What a suspended run waits for, and until when; `null` otherwise. */
  readonly waitingFor:
    | {
      readonly runId: string
      readonly step: string
      readonly signal: string | null
      readonly deadline: Date | null
    }
    | null
}

/**
 * The engine service.
 *
 * @since 0.1.0
 * @category models
 */
export interface Service {
  /**
   * Runs a template to the end and returns its final state and trace. A run
   * that suspends (`Durable.waitForSignal`) is waited for: it goes on when
   * its signal comes (sent from any process) or its wait times out.
   * Interrupting the caller stops the run here (it stays resumable).
   */
  readonly run: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    input: Req,
    options?: RunOptions
  ) => Effect.Effect<
    RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>,
    E | RunError | RunAlreadyActive,
    R
  >
  /**
   * Validates the input, records the run (claimed by this engine, or queued
   * with `options.queue`) and starts it in the background; succeeds with a
   * handle as soon as the run is recorded. Bad input fails here, with nothing
   * written. The run executes as long as the engine's layer lives; when the
   * layer closes, runs still executing get the `shutdownGrace` to finish,
   * then are handed back for any engine to take up.
   */
  readonly start: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    input: Req,
    options?: RunOptions
  ) => Effect.Effect<
    RunHandle<Template.FinalState<Template.Template<Req, Prov, E, R>>, E | RunError | RunAlreadyActive>,
    InvalidInput | InvalidTemplate | PersistenceError | TemplateConflict | Errors.InvalidRunId,
    R
  >
  /**
   * Waits for a run's end, from any process sharing the store: its result
   * (read back), or its error — the same `_tag` and fields as where it
   * failed (weft's own errors as their classes). Awaiting a cancelled run is
   * interrupted.
   */
  readonly await: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    runId: string
  ) => Effect.Effect<RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>, E | RunError | RunNotFound>
  /**
   * Cancels a run that has not ended, and its sub-flows' child runs: recorded
   * `cancelled` (final). A run executing (or waiting) here is stopped at
   * once; in another engine it stops at its next checkpoint or heartbeat,
   * recording nothing more. A finished run is `RunNotResumable`.
   */
  readonly cancel: (runId: string) => Effect.Effect<void, RunNotFound | RunNotResumable | PersistenceError>
  /**
   * Sends the signal `name` to a run that waits for it with
   * `Durable.waitForSignal(name, schema)`: decodes `payload` with that
   * Schema, records it durably, and takes the run up here when it is
   * suspended (else the engine that claims it first does). Succeeds once the
   * signal is recorded. For a payload checked at compile time, use the wait
   * node's own `signal(runId, payload)`.
   *
   * A payload that does not decode (or would not read back) is
   * `InvalidSignalPayload`, and nothing is recorded. A run that has ended,
   * whose template has no wait for `name`, or that has a signal `name`
   * pending already, is `SignalRejected`. A signal sent before the run
   * reaches its wait is kept until it gets there. A wait inside a sub-flow
   * is signalled through the child run's id (`<parent id>/<step key>`).
   */
  readonly signal: (
    runId: string,
    name: string,
    payload: unknown
  ) => Effect.Effect<
    void,
    RunNotFound | Errors.SignalRejected | Errors.InvalidSignalPayload | Errors.TemplateNotRegistered | PersistenceError
  >
  /**
   * Makes a template (and the templates of its sub-flows) known to this
   * engine, with the services its steps need, so that it can decode signals
   * for its runs and take them up. A different template under a name and
   * version known already is a `TemplateConflict`.
   */
  readonly register: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>
  ) => Effect.Effect<void, TemplateConflict, R>
  /** The templates registered in this engine. */
  readonly templates: Effect.Effect<ReadonlyArray<Template.Template.Any>>
  /**
   * Continues a stored run from its last checkpoint: completed steps are not
   * run again, the step that was in flight runs again with the same
   * idempotency key. The template must be the one the run started with. A
   * suspended run goes on if its signal has come (or its deadline passed),
   * else it suspends again and this waits, as `run` does.
   */
  readonly resume: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    runId: string,
    options?: Omit<RunOptions, "runId" | "queue">
  ) => Effect.Effect<
    RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>,
    E | RunError | ResumeError,
    R
  >
  /** A run's record: template, version, status, times, error, claim, lineage. */
  readonly status: (runId: string) => Effect.Effect<SnapshotStore.RunRecord, RunNotFound | PersistenceError>
  /** A run as it stands now: its state, position and what it waits for (see {@link RunView}). */
  readonly inspect: {
    <Req extends object, Prov extends object, E, R>(
      runId: string,
      template: Template.Template<Req, Prov, E, R>
    ): Effect.Effect<
      RunView<Partial<Template.FinalState<Template.Template<Req, Prov, E, R>>>>,
      RunNotFound | TemplateMismatch | PersistenceError
    >
    (runId: string): Effect.Effect<RunView<Readonly<Record<string, unknown>>>, RunNotFound | PersistenceError>
  }
  /** Runs matching a filter, newest first (page with `limit` and `after`). */
  readonly list: (
    filter?: SnapshotStore.RunFilter
  ) => Effect.Effect<ReadonlyArray<SnapshotStore.RunRecord>, PersistenceError>
  /** A run's trace, from the store. */
  readonly trace: (runId: string) => Effect.Effect<Trace.Trace, RunNotFound | PersistenceError>
  /**
   * The result of a completed run, read back from the store: from any
   * process sharing it, however long after. A run that has not completed is
   * `RunNotCompleted`, naming its status (and its error).
   */
  readonly result: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    runId: string
  ) => Effect.Effect<
    RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>,
    RunNotFound | RunNotCompleted | TemplateMismatch | PersistenceError
  >
  /** Deletes finished runs kept longer than the `stateTtl` setting; returns how many. */
  readonly collectExpired: Effect.Effect<number, PersistenceError>
  /**
   * Takes up, once, the runs of the templates registered here that need an
   * engine (suspended runs that are due, runs whose engine died); succeeds
   * with how many. Engines do this by themselves every poll interval (the
   * `recovery` setting).
   */
  readonly resumeDue: Effect.Effect<number, PersistenceError>
  /**
   * Serves queues as a worker for as long as the scope lives: runs queued on
   * them (`start(..., { queue })`) are claimed and executed here, at most
   * `limit` of each queue at once. `Worker.layer` calls it.
   */
  readonly serve: (queues: Readonly<Record<string, number>>) => Effect.Effect<void, never, Scope.Scope>
  /**
   * Progress events of every run of this engine, from the moment the stream
   * starts running (prefer {@link Service.subscribe}, which cannot miss a
   * run's first events).
   */
  readonly events: Stream.Stream<Event>
  /**
   * Subscribes now and returns the stream of every event from this moment
   * on, for as long as the scope lives.
   *
   * @example
   * ```ts
   * import { Effect, Stream } from "effect"
   * import { Engine, Event } from "weftjs"
   *
   * const showProgress = Effect.gen(function*() {
   *   const engine = yield* Engine.Engine
   *   const events = yield* engine.subscribe
   *   yield* Effect.forkScoped(Stream.runForEach(events, (e) => Effect.log(Event.format(e))))
   * })
   * ```
   */
  readonly subscribe: Effect.Effect<Stream.Stream<Event>, never, Scope.Scope>
  /** The settings this engine runs with. */
  readonly settings: Settings.WeftSettings
}

/**
 * The engine's tag.
 *
 * @since 0.1.0
 * @category tags
 */
export class Engine extends Context.Tag("weft/Engine")<Engine, Service>() {}

/** The interpreter is untyped inside: templates are typed at the edges, here. */
const typed = <A, E, R>(effect: Effect.Effect<unknown, unknown, unknown>): Effect.Effect<A, E, R> =>
  effect as Effect.Effect<A, E, R>

const toResult = (outcome: RunOutcome): RunResult<Record<string, unknown>> => ({
  runId: outcome.runId,
  state: outcome.state,
  createdAt: outcome.info.createdAt,
  updatedAt: outcome.info.updatedAt,
  entries: outcome.info.entries,
  trace: Trace.fromRecords(outcome.records)
})

const maxRunIdLength = 256

/** Checks a run id given by a caller. */
const checkRunId = (runId: string): Effect.Effect<string, Errors.InvalidRunId> => {
  if (runId.length === 0) return Effect.fail(new Errors.InvalidRunId({ runId, reason: "empty" }))
  if (runId.length > maxRunIdLength) return Effect.fail(new Errors.InvalidRunId({ runId, reason: "too-long" }))
  if (!runId.isWellFormed() || runId.includes("\u0000")) {
    return Effect.fail(new Errors.InvalidRunId({ runId, reason: "malformed" }))
  }
  return Effect.succeed(runId)
}

const millisOf = (duration: Duration.Duration): number =>
  Duration.isFinite(duration) ? Math.max(1, Math.round(Duration.toMillis(duration))) : 0

/**
 * Builds an engine over the `SnapshotStore` in context, with settings from
 * context or `Config`. Its background work (heartbeat, taking up runs)
 * lives as long as the scope.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, ConfigError, SnapshotStore.SnapshotStore | Scope.Scope> = Effect.gen(
  function*() {
    const store = yield* SnapshotStore.SnapshotStore
    const settings = yield* Settings.get
    const events = yield* Events.make
    const owner = makeOwnerId()
    const registry = new Registry()
    const leaseMillis = Math.max(3, Math.round(Duration.toMillis(settings.leaseDuration)))
    const permits = yield* Effect.makeSemaphore(settings.maxConcurrentWorkflows)
    const env: RunEnv = {
      store,
      settings,
      owner,
      publish: events.publish,
      listening: events.listening,
      interpret,
      children: childRuns(() => leaseMillis)
    }
    const executor = yield* Executor.make({ env, registry, permits, leaseMillis })
    const durable = store.durable !== false
    yield* Effect.forkScoped(Heartbeat.run({ store, owner, executor, leaseMillis }))
    const poller = yield* Recovery.make({
      store,
      owner,
      registry,
      executor,
      leaseMillis,
      interval: settings.pollInterval,
      recovery: settings.recovery && durable
    })
    // when the engine stops: runs executing get their grace, then are handed back
    yield* Effect.addFinalizer(() => executor.drain(durable ? settings.shutdownGrace : Duration.zero))

    const awaiting = awaitRun({ env, store, executor, registry, pollInterval: settings.pollInterval })
    const getRun = (runId: string) =>
      Effect.flatMap(
        retryTransient(store.getRun(runId)),
        Option.match({ onNone: () => Effect.fail(new Errors.RunNotFound({ runId })), onSome: Effect.succeed })
      )
    const register = (template: Template.Template.Any) =>
      Effect.flatMap(Effect.context<never>(), (context) => Either.match(registry.register(template, context), {
        onLeft: Effect.fail,
        onRight: () => Effect.zipRight(poller.nudge, Effect.void)
      }))
    const awaitResult = (runId: string, template: Template.Template.Any) => Effect.map(awaiting(runId, template), toResult)

    const start = (template: Template.Template.Any, input: unknown, options: RunOptions | undefined) =>
      Effect.gen(function*() {
        const runId = yield* checkRunId(options?.runId ?? crypto.randomUUID())
        yield* register(template)
        const timeout = options?.timeout === undefined ? settings.workflowTimeout : Duration.decode(options.timeout)
        const queue = options?.queue
        const ctx = yield* prepare(env, template, input, {
          runId,
          timeoutMillis: millisOf(timeout),
          parentId: null,
          rootId: runId,
          queue: queue ?? "default",
          traceContext: yield* newTraceContext
        })
        // the waiter exists before the run can end
        executor.waiter(runId)
        if (queue !== undefined) {
          yield* create(ctx, null, null)
          yield* poller.nudge
        } else {
          const now = yield* Clock.currentTimeMillis
          yield* create(ctx, null, { leaseUntil: now + leaseMillis })
          yield* executor.launch(ctx, yield* Effect.context<never>(), "started")
        }
        return { runId, await: awaitResult(runId, template) }
      })

    const resume = (template: Template.Template.Any, runId: string, options: Omit<RunOptions, "runId" | "queue"> | undefined) =>
      Effect.gen(function*() {
        yield* register(template)
        const run = yield* getRun(runId)
        yield* checkPinned(template, run)
        if (SnapshotStore.isFinal(run.status)) return yield* new Errors.RunNotResumable({ runId, status: run.status })
        if (!executor.active.has(runId)) {
          const now = yield* Clock.currentTimeMillis
          const takeOverFrom = run.owner !== null && isDeadLocalOwner(run.owner) ? run.owner : undefined
          const claimed = yield* retryTransient(store.claim(runId, owner, now, now + leaseMillis, takeOverFrom))
          if (!claimed.claimed) {
            return yield* claimed.reason === "held"
              ? new Errors.RunAlreadyActive({ runId, owner: claimed.owner ?? "unknown" })
              : claimed.reason === "finished"
              ? new Errors.RunNotResumable({ runId, status: (yield* getRun(runId)).status })
              : new Errors.RunNotFound({ runId })
          }
          const { loaded, records } = yield* load(env, runId)
          const ctx = yield* restore(env, template, loaded, Executor.visibleRecords(records), claimed.lease)
          if (options?.timeout !== undefined) ctx.timeoutMillis = millisOf(Duration.decode(options.timeout))
          executor.waiter(runId)
          yield* executor.launch(ctx, yield* Effect.context<never>(), "resumed")
        }
        return yield* awaitResult(runId, template)
      })

    const inspect = (runId: string, template?: Template.Template.Any) =>
      Effect.gen(function*() {
        const { loaded, records } = yield* load(env, runId)
        const run = loaded.run
        if (template !== undefined) yield* checkPinned(template, run)
        const known = template ?? registry.get(run.templateName, run.templateVersion)?.template
        let state: Record<string, unknown>
        if (known !== undefined) {
          const ctx = yield* restore(env, known, loaded, [], { owner, generation: -1 })
          state = {}
          for (const [key, entry] of ctx.entries) if (!isInternalKey(key)) state[key] = entry.value
        } else {
          state = {}
          const put = (key: string, value: unknown) => {
            if (!isInternalKey(key)) state[key] = value
          }
          for (const [key, stored] of Object.entries(loaded.snapshot.entries)) put(key, stored.value)
          for (const step of loaded.stepsAfterSnapshot) {
            for (const [key, stored] of Object.entries(step.delta.set)) put(key, stored.value)
            for (const key of step.delta.unset) delete state[key]
          }
        }
        const visible = Trace.fromRecords(records)
        const waiting = run.waitingFor
        return {
          run,
          state,
          position: {
            lastStep: visible.length === 0 ? null : visible[visible.length - 1]!.step,
            completedSteps: loaded.completedStepKeys.length
          },
          waitingFor: waiting === null ? null : {
            runId: waiting.runId,
            step: waiting.step,
            signal: waiting.signal,
            deadline: run.wakeAt === null ? null : new Date(run.wakeAt)
          }
        } satisfies RunView<Record<string, unknown>>
      })

    const service: Service = {
      settings,
      run: (template, input, options) =>
        typed(Effect.flatMap(start(template, input, options), (handle) =>
          handle.await.pipe(Effect.onInterrupt(() => executor.stop(handle.runId, "shutdown"))))),
      start: (template, input, options) => typed(start(template, input, options)),
      await: (template, runId) => typed(awaitResult(runId, template)),
      cancel: cancel({ store, settings, executor, publish: events.publish }),
      signal: signal({ store, registry, executor, publish: events.publish }),
      register: (template) => typed(register(template)),
      templates: Effect.sync(() => registry.templates()),
      resume: (template, runId, options) => typed(resume(template, runId, options)),
      status: getRun,
      inspect: ((runId: string, template?: Template.Template.Any) => inspect(runId, template)) as Service["inspect"],
      list: (filter) => retryTransient(store.list(filter ?? {})),
      trace: (runId) =>
        Effect.zipRight(getRun(runId), Effect.map(retryTransient(store.steps(runId)), Trace.fromRecords)),
      result: (template, runId) =>
        typed(Effect.gen(function*() {
          const run = yield* getRun(runId)
          yield* checkPinned(template, run)
          if (run.status !== "completed") {
            return yield* new Errors.RunNotCompleted({ runId, status: run.status, error: run.error })
          }
          return toResult(yield* readBack(env, template, runId))
        })),
      collectExpired: Effect.flatMap(Clock.currentTimeMillis, (now) => retryTransient(store.collectExpired(now))),
      resumeDue: Effect.gen(function*() {
        if (registry.size === 0) return 0
        const now = yield* Clock.currentTimeMillis
        const claimed = yield* store.claimNext(owner, now, now + leaseMillis, {
          templates: registry.keys(),
          limit: Math.max(1, executor.freePermits())
        })
        for (const c of claimed) yield* executor.launchClaimed(c)
        return claimed.length
      }),
      serve: (queues) => poller.serve(new Map(Object.entries(queues))),
      events: events.stream,
      subscribe: events.subscribe
    }
    return service
  }
)

/**
 * An engine over the `SnapshotStore` in context.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Engine, ConfigError, SnapshotStore.SnapshotStore> = Layer.scoped(Engine, make)

/**
 * An engine over a fresh in-memory store: for tests and for programs that
 * do not need runs to outlive the process.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<Engine, ConfigError> = Layer.provide(layer, SnapshotStore.layerMemory)
