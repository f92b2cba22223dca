/**
 * The engine: the service that runs templates, persists them through a
 * `SnapshotStore`, enforces the global limit on concurrently running
 * workflows, and publishes progress events.
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
import {
  Cause,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  Exit,
  Fiber,
  FiberId,
  FiberMap,
  Layer,
  Option,
  PubSub,
  Schema,
  Scope,
  Stream
} from "effect"
import type { ConfigError } from "effect/ConfigError"
import type {
  InvalidInput,
  InvalidTemplate,
  PersistenceError,
  RunAlreadyActive,
  RunError,
  RunNotFound,
  RunNotResumable,
  TemplateMismatch
} from "./Errors.js"
import {
  InvalidSignalPayload,
  RunNotCompleted,
  RunNotFound as RunNotFoundError,
  RunNotResumable as RunNotResumableError,
  SignalRejected,
  TemplateNotRegistered
} from "./Errors.js"
import type * as Durable from "./Durable.js"
import type { Event } from "./Event.js"
import { toIssues } from "./internal/compile.js"
import { isSuspended, parentKey } from "./internal/durable.js"
import { makeOwnerId } from "./internal/owner.js"
import * as runner from "./internal/runner.js"
import * as Settings from "./Settings.js"
import * as SnapshotStore from "./SnapshotStore.js"
import * as SqlSnapshotStore from "./SqlSnapshotStore.js"
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
  /** The run's id (default: a random UUID). Must be unique in the store. */
  readonly runId?: string | undefined
  /**
   * The whole run's timeout (default: the `workflowTimeout` setting). It is
   * stored with the run: a resume in another process keeps it, unless that
   * resume gives a timeout of its own.
   */
  readonly timeout?: Duration.DurationInput | undefined
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
 * end (it can be awaited many times).
 *
 * @since 0.1.0
 * @category models
 */
export interface RunHandle<S, E> {
  readonly runId: string
  readonly await: Effect.Effect<RunResult<S>, E>
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
   * that suspends (`Durable.waitForSignal`) is waited for: it goes on when a
   * signal reaches it through this engine, or its wait times out.
   * Interrupting the caller interrupts the run (it stays resumable).
   */
  readonly run: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    input: Req,
    options?: RunOptions
  ) => Effect.Effect<RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>, E | RunError | RunAlreadyActive, R>
  /**
   * Validates the input, records the run and starts it in the background;
   * succeeds with a handle as soon as the run is recorded. Bad input fails
   * here, with nothing written. The run lives as long as the engine's layer.
   */
  readonly start: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    input: Req,
    options?: RunOptions
  ) => Effect.Effect<
    RunHandle<Template.FinalState<Template.Template<Req, Prov, E, R>>, E | RunError | RunAlreadyActive>,
    InvalidInput | InvalidTemplate | PersistenceError,
    R
  >
  /**
   * Cancels a running or suspended run: it is recorded as `cancelled` and can
   * no longer be resumed or signalled. A run executing (or waiting) in this
   * engine is interrupted at once, its steps' work included. A run executing
   * in another engine sharing the store stops at that engine's next
   * checkpoint or lease heartbeat (at most 20 s), without recording anything
   * more: the result of the step in flight there is discarded. Cancelling a
   * finished run is a `RunNotResumable` error. The active child runs of its
   * sub-flows (at any depth) are cancelled with it.
   */
  readonly cancel: (runId: string) => Effect.Effect<void, RunNotFound | RunNotResumable | PersistenceError>
  /**
   * Sends the signal `name` to a run that waits for it with
   * `Durable.waitForSignal(name, schema)`: decodes `payload` with that
   * Schema, records it in the store (durably, before anything else), and,
   * when the run is suspended, resumes it in the background in this engine
   * (its template must be registered here: see {@link Service.register}).
   * Succeeds once the signal is recorded.
   *
   * A payload that does not decode is `InvalidSignalPayload` and nothing is
   * recorded. A run that has ended, whose template has no wait for `name`,
   * or that has a signal `name` pending already, is `SignalRejected`. A
   * signal sent before the run reaches its wait is kept until it gets there.
   * A wait inside a sub-flow is signalled through the child run's id
   * (`<parent id>/<step key>`); the parent resumes with it.
   */
  readonly signal: (
    runId: string,
    name: string,
    payload: unknown
  ) => Effect.Effect<
    void,
    RunNotFound | SignalRejected | InvalidSignalPayload | TemplateNotRegistered | PersistenceError
  >
  /**
   * Makes a template (and the templates of its sub-flows) known to this
   * engine, with the services its steps need, so that it can decode signals
   * for its runs and resume them. Templates are registered as well when
   * `run`, `start` or `resume` is called with them: a process that only
   * sends signals registers its templates with this.
   */
  readonly register: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>
  ) => Effect.Effect<void, never, R>
  /**
   * Continues a stored run from its last checkpoint: completed steps are not
   * run again, the step that was in flight runs again with the same
   * idempotency key. The template must be the one the run started with. A
   * suspended run is resumed too: it goes on if its signal has come (or its
   * deadline passed), else it suspends again and this waits, as `run` does.
   */
  readonly resume: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    runId: string,
    options?: Omit<RunOptions, "runId">
  ) => Effect.Effect<RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>, E | RunError | ResumeError, R>
  /** A run's record: template, version, status, times, error. */
  readonly status: (runId: string) => Effect.Effect<SnapshotStore.RunRecord, RunNotFound | PersistenceError>
  /** Runs matching a filter, newest first. */
  readonly list: (filter?: SnapshotStore.RunFilter) => Effect.Effect<ReadonlyArray<SnapshotStore.RunRecord>, PersistenceError>
  /** A run's trace, from the store. */
  readonly trace: (runId: string) => Effect.Effect<Trace.Trace, RunNotFound | PersistenceError>
  /**
   * The result of a completed run (its final typed state, metadata and
   * trace), read back from the store: from any process sharing it, however
   * long after. A run that has not completed is `RunNotCompleted`, naming its
   * status (and, when it failed, its error); the template must be the one the
   * run was started with.
   */
  readonly result: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    runId: string
  ) => Effect.Effect<
    RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>,
    RunNotFound | RunNotCompleted | TemplateMismatch | InvalidTemplate | PersistenceError
  >
  /** Deletes finished runs whose TTL has passed; returns how many. */
  readonly collectExpired: Effect.Effect<number, PersistenceError>
  /**
   * Resumes, in the background, every suspended run whose wait has timed out
   * and whose template is registered in this engine (its deadline then
   * applies: `SignalTimeout`, or the wait's default); succeeds with how many.
   * The engine that suspended a run applies its deadline by itself; this is
   * for deadlines that passed while no process ran the run (it exited, it
   * crashed). `Deadlines.layer` calls it periodically.
   */
  readonly resumeDue: Effect.Effect<number, PersistenceError>
  /**
   * Progress events of every run of this engine, from the moment the stream
   * starts running. A stream forked just before a run may start after the
   * run's first events: use {@link Service.subscribe} to be sure to see them.
   */
  readonly events: Stream.Stream<Event>
  /**
   * Subscribes now and returns the stream of every event from this moment
   * on, for as long as the scope lives: a progress display that subscribes
   * before starting a run sees all of its events.
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
 * @since 0.1.0
 * @category tags
 */
export class Engine extends Context.Tag("weft/Engine")<Engine, Service>() {}

/**
 * Builds an engine over the `SnapshotStore` in context, with settings from
 * context or `Config`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: Effect.Effect<Service, ConfigError, SnapshotStore.SnapshotStore | Scope.Scope> = Effect.gen(function*() {
  const store = yield* SnapshotStore.SnapshotStore
  const settings = yield* Settings.get
  const pubsub = yield* PubSub.unbounded<Event>()
  const background = yield* FiberMap.make<string, Exit.Exit<RunResult<unknown>, unknown>>()
  const semaphore = yield* Effect.makeSemaphore(settings.maxConcurrentWorkflows)
  const env: runner.RunnerEnv = {
    store,
    settings,
    owner: makeOwnerId(),
    publish: (event) => Effect.asVoid(PubSub.publish(pubsub, event)),
    withPermit: semaphore.withPermits(1)
  }
  const toResult = (outcome: runner.RunOutcome) => ({
    runId: outcome.runId,
    state: outcome.state,
    createdAt: outcome.info.createdAt,
    updatedAt: outcome.info.updatedAt,
    entries: outcome.info.entries,
    trace: outcome.trace
  })
  const timeoutOf = (options: { readonly timeout?: Duration.DurationInput | undefined } | undefined) =>
    options?.timeout === undefined ? undefined : Duration.decode(options.timeout)
  const getRun = (runId: string) =>
    Effect.flatMap(
      store.getRun(runId),
      Option.match({ onNone: () => Effect.fail(new RunNotFoundError({ runId })), onSome: Effect.succeed })
    )

  /** Provides a run's services (captured where the run was started or its template registered). */
  const withContext = <A>(effect: Effect.Effect<A, unknown, unknown>, context: Context.Context<never>) =>
    Effect.provide(effect as Effect.Effect<A, unknown>, context)

  // --- templates known to this engine ------------------------------------

  interface Registered {
    readonly template: Template.Template.Any
    readonly context: Context.Context<never>
  }
  const registry = new Map<string, Registered>()
  const registryKey = (name: string, version: string) => `${name}@${version}`
  /** Registers a template and, found anywhere inside it, the templates of its sub-flows. */
  const registerWith = (template: Template.Template.Any, context: Context.Context<never>): void => {
    registry.set(registryKey(template.name, template.version), { template, context })
    const visit = (t: Template.Template.Any): void => {
      for (const node of t.steps) {
        if (node._tag === "Template") visit(node)
        else if (node._tag === "Flow") node.children.forEach(visit)
        else if (node._tag === "Subflow") registerWith(node.template, context)
      }
    }
    visit(template)
  }
  const registerHere = (template: Template.Template.Any) =>
    Effect.map(Effect.context<never>(), (context) => registerWith(template, context))
  const registeredFor = (run: SnapshotStore.RunRecord) =>
    Effect.suspend(() => {
      const entry = registry.get(registryKey(run.templateName, run.templateVersion))
      return entry === undefined
        ? Effect.fail(
          new TemplateNotRegistered({ runId: run.runId, template: run.templateName, version: run.templateVersion })
        )
        : Effect.succeed(entry)
    })
  /** The waits for signal `name` of a template (not those of its sub-flows: they are other runs). */
  const waitsFor = (template: Template.Template.Any, name: string): ReadonlyArray<Durable.WaitForSignal.Any> =>
    template.steps.flatMap((node): ReadonlyArray<Durable.WaitForSignal.Any> =>
      node._tag === "Template"
        ? waitsFor(node, name)
        : node._tag === "Flow"
        ? node.children.flatMap((child) => waitsFor(child, name))
        : node._tag === "WaitForSignal" && node.signal === name
        ? [node]
        : []
    )
  /** The parent run of a sub-flow's child run, as recorded in its state (none for other runs). */
  const parentOf = (runId: string): Effect.Effect<string | undefined, PersistenceError> =>
    Effect.map(store.load(runId), (loaded) => {
      const parent = Option.isSome(loaded) ? loaded.value.snapshot.entries[parentKey]?.value : undefined
      return typeof parent === "string" ? parent : undefined
    })
  /** The run at the top of a chain of sub-flows (a run that is no child is its own root). */
  const rootOf = (runId: string): Effect.Effect<string, PersistenceError> =>
    Effect.flatMap(parentOf(runId), (parent) => parent === undefined ? Effect.succeed(runId) : rootOf(parent))
  /** Whether `runId` is a child run of `ancestor`, at any depth. */
  const descendsFrom = (runId: string, ancestor: string): Effect.Effect<boolean, PersistenceError> =>
    Effect.flatMap(parentOf(runId), (parent) =>
      parent === undefined ? Effect.succeed(false) : parent === ancestor ? Effect.succeed(true) : descendsFrom(parent, ancestor))

  // --- driving runs through their suspensions --------------------------

  type Outcome = Exit.Exit<RunResult<unknown>, unknown>
  /** Who awaits the end of a run started by this engine. */
  const waiters = new Map<string, Deferred.Deferred<RunResult<unknown>, unknown>>()
  /** How to wake the driver of a suspended run of this engine. */
  const wakers = new Map<string, Deferred.Deferred<void>>()
  /** Errors with which a resume refuses to start: they say nothing about how the run ends. */
  const refusals = new Set([
    "RunNotFound",
    "TemplateMismatch",
    "RunNotResumable",
    "RunAlreadyActive",
    "TemplateNotRegistered"
  ])
  const isRefusal = (exit: Outcome) =>
    Exit.isFailure(exit) && Option.exists(Cause.failureOption(exit.cause), (error) =>
      typeof error === "object" && error !== null && "_tag" in error && refusals.has(String(error._tag)))
  const suspensionOf = (exit: Outcome) =>
    Exit.isFailure(exit) ? Option.filter(Cause.failureOption(exit.cause), isSuspended) : Option.none()
  const resumeRegistered = (runId: string, timeout: Duration.Duration | undefined) =>
    Effect.gen(function*() {
      const entry = yield* registeredFor(yield* getRun(runId))
      return yield* withContext(runner.resume(env, entry.template, runId, { timeout }), entry.context)
    })
  const isFinished = (status: SnapshotStore.RunStatus) =>
    status === "completed" || status === "failed" || status === "cancelled"
  /** How often `settle` looks at a run another engine executes. */
  const watchInterval = Duration.seconds(20)
  const statusOf = (runId: string) =>
    store.getRun(runId).pipe(
      Effect.map(Option.match({ onNone: () => "gone" as const, onSome: (run) => run.status })),
      Effect.orElseSucceed(() => "unknown" as const)
    )
  /**
   * Ends when the stored run is no longer suspended (another engine resumed,
   * ended or cancelled it). Looks after 5 s, then ever less often, at least
   * every 5 minutes.
   */
  const watch = (runId: string) =>
    Effect.gen(function*() {
      for (let delay = 5_000;; delay = Math.min(delay * 2, 300_000)) {
        yield* Effect.sleep(Duration.millis(delay))
        const status = yield* statusOf(runId)
        if (status !== "suspended" && status !== "unknown") return
      }
    })
  /**
   * Reports to a run's waiter (if any) how the run ended in another engine,
   * looking at the store until it has ended: its result, read back, when it
   * completed; an interruption when it was cancelled; a defect naming the
   * error when it failed.
   */
  const settle = (runId: string): Effect.Effect<void> =>
    Effect.gen(function*() {
      for (;;) {
        const waiter = waiters.get(runId)
        if (waiter === undefined) return
        const read = yield* Effect.either(store.getRun(runId))
        // the store is unavailable, or another engine executes the run: look again later
        if (Either.isLeft(read) || (Option.isSome(read.right) && !isFinished(read.right.value.status))) {
          yield* Effect.sleep(watchInterval)
          continue
        }
        waiters.delete(runId)
        const run = read.right
        if (Option.isNone(run)) return yield* Deferred.die(waiter, new Error(`run "${runId}" no longer exists`))
        const status = run.value.status
        if (status === "cancelled") return yield* Deferred.interrupt(waiter)
        if (status === "failed") {
          const error = run.value.error
          return yield* Deferred.die(
            waiter,
            new Error(`run "${runId}" failed in another engine${error === null ? "" : `: ${error.tag}: ${error.message}`}`)
          )
        }
        const result = yield* Effect.exit(
          Effect.flatMap(registeredFor(run.value), (entry) =>
            Effect.map(withContext(runner.resumeChild(env, entry.template, runId), entry.context), toResult))
        )
        return yield* Deferred.done(waiter, result)
      }
    })
  /**
   * Executes a run and, each time it suspends, waits (holding neither lease
   * nor permit) for a signal sent through this engine or for its deadline,
   * then resumes it; completes its waiter with how it ended.
   */
  const drive = (
    runId: string,
    first: Effect.Effect<runner.RunOutcome, unknown, never>,
    timeout: Duration.Duration | undefined
  ): Effect.Effect<Outcome> =>
    Effect.gen(function*() {
      let exit: Outcome = yield* Effect.exit(Effect.map(first, toResult))
      let resumed = false
      for (let suspended = suspensionOf(exit); Option.isSome(suspended); suspended = suspensionOf(exit)) {
        const { deadline, signal, waitingRunId } = suspended.value
        const wake = yield* Deferred.make<void>()
        wakers.set(runId, wake)
        // a signal recorded while the run was suspending: no need to wait
        const pending = yield* store.signals(waitingRunId).pipe(
          Effect.map((signals) => signals.some((s) => s.name === signal && s.consumedBy === null)),
          Effect.orElseSucceed(() => false)
        )
        if (!pending) {
          const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
          const timer = deadline === null ? Effect.never : Effect.sleep(Duration.millis(Math.max(0, deadline - now)))
          yield* Effect.raceAll([Deferred.await(wake), timer, watch(runId)])
        }
        wakers.delete(runId)
        exit = yield* Effect.exit(Effect.map(resumeRegistered(runId, timeout), toResult))
        resumed = true
      }
      if (resumed && isRefusal(exit)) {
        // another engine resumed, ended or cancelled the run: learn its end from the store
        yield* settle(runId)
        return exit
      }
      const waiter = waiters.get(runId)
      waiters.delete(runId)
      if (waiter !== undefined) yield* Deferred.done(waiter, exit)
      return exit
    }).pipe(
      Effect.onInterrupt(() =>
        Effect.suspend(() => {
          const waiter = waiters.get(runId)
          waiters.delete(runId)
          return waiter === undefined ? Effect.void : Deferred.interrupt(waiter)
        })
      ),
      Effect.ensuring(Effect.sync(() => wakers.delete(runId)))
    )

  const startRun = (
    template: Template.Template.Any,
    input: unknown,
    options: RunOptions | undefined
  ) =>
    Effect.gen(function*() {
      const ctx = yield* runner.prepare(env, template, input, options?.runId ?? crypto.randomUUID())
      const timeout = timeoutOf(options)
      yield* runner.create(ctx, timeout)
      yield* registerHere(template)
      const context = yield* Effect.context<never>()
      const done = Deferred.unsafeMake<RunResult<unknown>, unknown>(FiberId.none)
      waiters.set(ctx.runId, done)
      yield* FiberMap.run(
        background,
        ctx.runId,
        drive(ctx.runId, withContext(runner.launch(ctx, timeout), context), timeout)
      )
      return { runId: ctx.runId, await: Deferred.await(done) }
    })

  return {
    settings,
    run: (template, input, options) =>
      Effect.flatMap(startRun(template, input, options), (handle) =>
        handle.await.pipe(Effect.onInterrupt(() => FiberMap.remove(background, handle.runId)))) as never,
    start: (template, input, options) => startRun(template, input, options) as never,
    cancel: (runId) =>
      Effect.gen(function*() {
        const run = yield* getRun(runId)
        if (run.status !== "running" && run.status !== "suspended") {
          return yield* Effect.fail(new RunNotResumableError({ runId, status: run.status }))
        }
        yield* FiberMap.remove(background, runId)
        const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        const markCancelled = (id: string) =>
          Effect.gen(function*() {
            yield* store.setStatus(id, {
              status: "cancelled",
              updatedAt: now,
              expiresAt: Duration.isFinite(settings.stateTtl) ? now + Duration.toMillis(settings.stateTtl) : null
            })
            const waiter = waiters.get(id)
            waiters.delete(id)
            if (waiter !== undefined) yield* Deferred.interrupt(waiter)
            yield* pubsub.publish({ _tag: "RunCancelled", runId: id, at: now })
          })
        yield* markCancelled(runId)
        // its sub-flows' child runs, at any depth, end with it: their ids start with
        // "<run id>/" (a cheap filter), and their recorded parents lead to it
        const active = yield* Effect.map(
          Effect.all([store.list({ status: "running" }), store.list({ status: "suspended" })]),
          ([running, suspended]) => [...running, ...suspended]
        )
        for (const child of active) {
          if (child.runId.startsWith(`${runId}/`) && (yield* descendsFrom(child.runId, runId))) {
            yield* markCancelled(child.runId)
          }
        }
      }),
    signal: (runId, name, payload) =>
      Effect.gen(function*() {
        const run = yield* getRun(runId)
        if (run.status !== "running" && run.status !== "suspended") {
          return yield* new SignalRejected({
            runId,
            signal: name,
            reason: "run-ended",
            detail: `the run is ${run.status}`
          })
        }
        const entry = yield* registeredFor(run)
        const wait = waitsFor(entry.template, name)[0]
        if (wait === undefined) {
          return yield* new SignalRejected({
            runId,
            signal: name,
            reason: "not-awaited",
            detail: `template ${run.templateName}@${run.templateVersion} has no waitForSignal("${name}")`
          })
        }
        const decoded = Schema.decodeUnknownEither(wait.schema)(payload, { errors: "all" })
        const encoded = Either.flatMap(decoded, (value) => Schema.encodeEither(wait.schema)(value, { errors: "all" }))
        if (Either.isLeft(encoded)) {
          return yield* new InvalidSignalPayload({ runId, signal: name, issues: toIssues(encoded.left) })
        }
        const root = yield* rootOf(runId)
        const rootRun = root === runId ? run : yield* getRun(root)
        yield* registeredFor(rootRun)
        const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        const recorded = yield* store.recordSignal({ runId, name, payload: encoded.right, receivedAt: now })
        switch (recorded) {
          case "not-found":
            return yield* new RunNotFoundError({ runId })
          case "run-ended":
            return yield* new SignalRejected({ runId, signal: name, reason: "run-ended", detail: "the run has ended" })
          case "already-pending":
            return yield* new SignalRejected({
              runId,
              signal: name,
              reason: "already-pending",
              detail: `a signal "${name}" is already pending for this run`
            })
        }
        yield* pubsub.publish({ _tag: "SignalReceived", runId, signal: name, at: now })
        const waker = wakers.get(root)
        if (waker !== undefined) return yield* Deferred.succeed(waker, undefined)
        const current = yield* getRun(root)
        if (current.status === "suspended" && Option.isNone(yield* Effect.option(FiberMap.get(background, root)))) {
          yield* FiberMap.run(background, root, drive(root, resumeRegistered(root, undefined), undefined))
        }
      }),
    register: (template) => registerHere(template),
    resume: (template, runId, options) =>
      Effect.gen(function*() {
        yield* registerHere(template)
        const timeout = timeoutOf(options)
        const waker = wakers.get(runId)
        if (waker !== undefined) {
          // a driver of this engine waits for this suspended run: wake it and wait for the end
          const done = waiters.get(runId) ?? Deferred.unsafeMake<RunResult<unknown>, unknown>(FiberId.none)
          waiters.set(runId, done)
          yield* Deferred.succeed(waker, undefined)
          return yield* Deferred.await(done)
        }
        const running = yield* Effect.option(FiberMap.get(background, runId))
        const context = yield* Effect.context<never>()
        const fiber = Option.isSome(running)
          ? running.value
          : yield* FiberMap.run(
            background,
            runId,
            drive(runId, withContext(runner.resume(env, template, runId, { timeout }), context), timeout)
          )
        const exit = yield* Fiber.join(fiber).pipe(Effect.onInterrupt(() => FiberMap.remove(background, runId)))
        return yield* exit
      }) as never,
    status: getRun,
    list: (filter) => store.list(filter ?? {}),
    trace: (runId) => Effect.zipRight(getRun(runId), Effect.map(store.steps(runId), Trace.fromRecords)),
    result: (template, runId) =>
      Effect.gen(function*() {
        const run = yield* getRun(runId)
        if (run.status !== "completed") {
          return yield* new RunNotCompleted({ runId, status: run.status, error: run.error })
        }
        // a completed run is only read back: nothing is claimed or executed
        return toResult(yield* runner.resumeChild(env, template, runId))
      }) as never,
    collectExpired: Effect.flatMap(Effect.clockWith((clock) => clock.currentTimeMillis), store.collectExpired),
    resumeDue: Effect.gen(function*() {
      const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
      const due = yield* store.list({ status: "suspended", wakeBefore: now })
      let resumed = 0
      for (const run of due) {
        if (!registry.has(registryKey(run.templateName, run.templateVersion))) continue
        // a child run resumes with its parent
        if ((yield* rootOf(run.runId)) !== run.runId) continue
        const waker = wakers.get(run.runId)
        if (waker !== undefined) {
          // this engine's own driver waits for it: wake it
          yield* Deferred.succeed(waker, undefined)
        } else if (Option.isNone(yield* Effect.option(FiberMap.get(background, run.runId)))) {
          yield* FiberMap.run(background, run.runId, drive(run.runId, resumeRegistered(run.runId, undefined), undefined))
        } else {
          continue
        }
        resumed++
      }
      return resumed
    }),
    events: Stream.fromPubSub(pubsub),
    subscribe: Effect.map(PubSub.subscribe(pubsub), (queue) => Stream.fromQueue(queue))
  }
})

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

/**
 * An engine over a SQLite file (WAL mode, tables created when missing).
 *
 * @example
 * ```ts
 * import { Engine } from "weftjs"
 *
 * const EngineLive = Engine.layerSqlite({ filename: "runs.db" })
 * ```
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSqlite = (
  options: SqlSnapshotStore.LayerOptions
): Layer.Layer<Engine, ConfigError | PersistenceError> => Layer.provide(layer, SqlSnapshotStore.layer(options))

/**
 * The engine every program gets unless it asks for another: from the
 * settings, a SQLite file (`WEFT_DATABASE`, default `weft.db` in the working
 * directory), or, when `WEFT_STATE_PERSISTENCE=false`, an in-memory store.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerDefault: Layer.Layer<Engine, ConfigError | PersistenceError> = Layer.unwrapEffect(
  Effect.map(Settings.get, (settings) => {
    const engine = settings.statePersistence ? layerSqlite({ filename: settings.database }) : layerMemory
    // the engine runs with the settings read here, not read a second time
    return Layer.provide(engine, Settings.layerWith(settings))
  })
)
