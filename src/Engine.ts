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
import { Context, Duration, Effect, Layer } from "effect"
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
import type * as Errors from "./Errors.js"
import type { Event } from "./Event.js"
import type * as History from "./History.js"
import { awaitRun } from "./internal/engine/awaiting.js"
import * as Events from "./internal/engine/events.js"
import * as Executor from "./internal/engine/executor.js"
import * as Heartbeat from "./internal/engine/heartbeat.js"
import { makeOwnerId } from "./internal/engine/owner.js"
import * as Recovery from "./internal/engine/recovery.js"
import { Registry } from "./internal/engine/registry.js"
import type * as Runs from "./internal/engine/runs.js"
import { makeService } from "./internal/engine/service.js"
import { engineKey } from "./internal/engineTag.js"
import type { RunEnv } from "./internal/run/context.js"
import { interpret } from "./internal/run/interpret.js"
import { childRuns } from "./internal/run/lifecycle.js"
import * as Settings from "./Settings.js"
import * as SnapshotStore from "./SnapshotStore.js"
import type * as State from "./State.js"
import type * as Template from "./Template.js"
import type * as Worker from "./Worker.js"
import type * as Metrics from "./Metrics.js"
import type * as Export from "./Export.js"
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
   * characters of well-formed UTF-16, not blank, without U+0000.
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
   * suspended (else the engine that claims it first does) — unless the run
   * was queued on a named queue this engine does not serve: a worker serving
   * it goes on with it. Succeeds once the signal is recorded. For a payload checked at compile time, use the wait
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
  /**
   * A run's trace, from the store: per step, its status, attempts, times,
   * error and what it changed in the state (`delta`), its values decoded
   * with the template's Schemas when the template is given (it must be the
   * run's: else `TemplateMismatch`) or registered here, else as stored.
   */
  readonly trace: {
    <Req extends object, Prov extends object, E, R>(
      runId: string,
      template: Template.Template<Req, Prov, E, R>
    ): Effect.Effect<Trace.Trace, RunNotFound | TemplateMismatch | PersistenceError>
    (runId: string): Effect.Effect<Trace.Trace, RunNotFound | PersistenceError>
  }
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
  /**
   * A run's full history, in order: created, claims (by which engine,
   * which generation), steps with attempts and outcome, signals with their
   * payloads, waits, hand-backs, recoveries, cancellation, its end.
   */
  readonly history: (runId: string) => Effect.Effect<History.History, RunNotFound | PersistenceError>
  /**
   * The workers recorded in the store (every engine serving queues records
   * itself and beats), with the runs each holds; a dead one is shown until
   * its runs are taken over.
   */
  readonly workers: Effect.Effect<ReadonlyArray<Worker.Status>, PersistenceError>
  /** The queues with active runs or live workers: depth, oldest queued run's age, who serves them. */
  readonly queues: Effect.Effect<ReadonlyArray<Worker.Queue>, PersistenceError>
  /**
   * Metrics of the runs created in a window (default: the last hour):
   * counts by status and template, failure rate, duration percentiles per
   * template and per step, retries and timeouts per step, queue depths.
   */
  readonly metrics: (options?: Metrics.Options) => Effect.Effect<Metrics.Metrics, PersistenceError>
  /**
   * Cancels every active run the filter matches (its `status`, if given,
   * narrowed to active statuses), as `cancel` does each; with `dryRun`,
   * only counts them.
   */
  readonly cancelMatching: (
    filter: SnapshotStore.RunFilter,
    options?: { readonly dryRun?: boolean | undefined }
  ) => Effect.Effect<Export.BulkCancel, PersistenceError>
  /** A run as one JSON document: record, search attributes, history, steps with their deltas, current state. */
  readonly export: (runId: string) => Effect.Effect<Export.RunExport, RunNotFound | PersistenceError>
  /** Deletes finished runs kept longer than the `stateTtl` setting; returns how many. */
  readonly collectExpired: Effect.Effect<number, PersistenceError>
  /**
   * Takes up, once, the runs of the templates registered here that need an
   * engine (suspended runs that are due, runs whose engine died) and that
   * this engine may execute, as recovery does: runs of `default`, and of
   * the queues it serves as a worker (within their limits, queued runs
   * included); succeeds with how many. Engines do this by themselves every
   * poll interval (the `recovery` setting).
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
export class Engine extends Context.Tag(engineKey)<Engine, Service>() {}

/**
 * Builds an engine over the `SnapshotStore` in context, with settings from
 * context or `Config`. Its background work (heartbeat, taking up runs)
 * lives as long as the scope; when the scope closes, the runs it executes
 * get the `shutdownGrace` to finish, then are handed back.
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
    const env: RunEnv = {
      store,
      settings,
      owner,
      publish: events.publish,
      listening: events.listening,
      interpret,
      children: childRuns(() => leaseMillis)
    }
    const durable = store.durable !== false
    const executor = yield* Executor.make({ env, registry, leaseMillis, recovery: settings.recovery && durable })
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
    const deps: Runs.RunsDeps = { env, store, settings, registry, executor, poller, leaseMillis, awaiting }
    return makeService(deps, events)
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
