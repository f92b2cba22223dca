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
import { makeAwaiting } from "./internal/engine/awaiting.js"
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
import { childRuns } from "./internal/run/children.js"
import * as Settings from "./Settings.js"
import * as SnapshotStore from "./SnapshotStore.js"
import type * as State from "./State.js"
import type * as Template from "./Template.js"
import type * as Worker from "./Worker.js"
import type * as Metrics from "./Metrics.js"
import type * as Export from "./Export.js"
import * as Trace from "./Trace.js"
import type * as Trigger from "./Trigger.js"
import { runTicker } from "./internal/engine/schedules.js"
import { makeTriggerService } from "./internal/engine/triggerService.js"
import { cancelFollowUps, runTriggers, startOnce, TriggerRegistry } from "./internal/engine/triggers.js"

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
  /**
   * The run's priority within its queue (default 0, an integer): workers
   * claim queued runs of higher priority first, then the oldest.
   */
  readonly priority?: number | undefined
}

/**
 * A queue's rate limit: at most `limit` starts (claims of queued runs) in
 * any `period`.
 *
 * @since 0.4.0
 * @category models
 */
export interface RateLimit {
  readonly limit: number
  readonly period: Duration.DurationInput
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
  /**
   * How the run came to be what it is: the forks and migrations in its
   * past, oldest first (empty for a run started as it is).
   *
   * @since 0.4.0
   */
  readonly lineage: ReadonlyArray<Lineage>
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
 * One crossing in a run's past: it was forked from another run after a
 * step, or migrated from one template version to another (at a position of
 * the old version, to one of the new; `seq`: its checkpoint in the trace).
 *
 * @since 0.4.0
 * @category models
 */
export type Lineage =
  | { readonly kind: "fork"; readonly from: string; readonly step: string }
  | {
    readonly kind: "migration"
    readonly from: string
    readonly to: string
    readonly fromStep: string
    readonly toStep: string
    readonly seq: number
  }

/**
 * How one run fared in `engine.migrate`: `"migrated"` (or, in a dry run,
 * would be), or why not (see `MigrationRefused`), with the position it
 * stands at in the old version and the one it goes on at in the new.
 *
 * @since 0.4.0
 * @category models
 */
export interface MigrationOutcome {
  readonly runId: string
  readonly result: "migrated" | Errors.MigrationRefused["reason"]
  readonly from: string | null
  readonly to: string | null
  readonly detail: string
}

/**
 * Options of `engine.fork`.
 *
 * @since 0.4.0
 * @category models
 */
export interface ForkOptions<S> {
  /** The step after which the fork starts: its key in the original run (as its trace names it). */
  readonly after: string
  /** Keys to set in the fork's first state (typed values, encoded with the template's Schemas). */
  readonly patch?: Partial<S> | undefined
  /** Starts the fork on another version, through a declared migration. */
  readonly migration?: Template.Migration | undefined
  /** The fork's id (default: a random UUID). */
  readonly runId?: string | undefined
}

/**
 * Which runs `engine.rerunAll` re-runs: `failed` ones by default.
 *
 * @since 0.4.0
 * @category models
 */
export interface RerunFilter {
  readonly status?: "failed" | "cancelled" | ReadonlyArray<"failed" | "cancelled"> | undefined
  readonly templateName?: string | undefined
  /** Runs created at or after this time (epoch ms). */
  readonly createdAfter?: number | undefined
  /** Count them, re-run nothing. */
  readonly dryRun?: boolean | undefined
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
   * Pauses a top-level run that has not ended: no engine executes it until
   * it is unpaused. A queued or suspended run (its deadline kept; a signal
   * sent meanwhile is recorded) is `paused` at once (`"paused"`). An
   * executing run finishes the step in flight, is recorded, and is handed
   * back `paused` at its next checkpoint (a durable sleep stops at once):
   * at once when it executes in this engine, else when its engine's next
   * heartbeat learns of it (`"pausing"` until then). Pausing a paused run
   * does nothing. A finished run or a child run is `RunNotPausable`.
   */
  readonly pause: (runId: string) => Effect.Effect<"paused" | "pausing", RunNotFound | Errors.RunNotPausable | PersistenceError>
  /**
   * Unpauses a run: it returns to what it was (queued; suspended with its
   * deadline, taken up at once if the deadline passed or a signal came
   * meanwhile; handed back, for any engine to take up), or a pause still
   * being asked of its engine is withdrawn. Succeeds with that status. A run
   * that is not paused is `RunNotPaused`.
   */
  readonly unpause: (
    runId: string
  ) => Effect.Effect<"queued" | "running" | "suspended", RunNotFound | Errors.RunNotPaused | PersistenceError>
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
   * A run's state as it was right after one of its steps (its key, as the
   * trace names it), reconstructed from the stored deltas — nothing is
   * executed — and decoded with the template's Schemas (given, or
   * registered here; else as stored). With `before`, the state the step
   * started from (as its last execution saw it). A step the run has no
   * record of, or whose history is not kept (a run recorded by an older
   * weft), is `StepNotFound`.
   *
   * @since 0.4.0
   */
  readonly stateAt: {
    <Req extends object, Prov extends object, E, R>(
      runId: string,
      step: string,
      template: Template.Template<Req, Prov, E, R>,
      options?: { readonly before?: boolean | undefined }
    ): Effect.Effect<
      Partial<Template.FinalState<Template.Template<Req, Prov, E, R>>>,
      RunNotFound | Errors.StepNotFound | PersistenceError
    >
    (runId: string, step: string): Effect.Effect<
      Readonly<Record<string, unknown>>,
      RunNotFound | Errors.StepNotFound | PersistenceError
    >
  }
  /**
   * Forks a run after one of its steps: a new run (executed here) whose
   * first state is the original's right after `after` (from the stored
   * deltas), with `patch` applied (checked by the compiler against the
   * template's keys, and decoded with their Schemas: a wrong key or value is
   * `InvalidPatch`), whose completed steps are the original's by then, on
   * the same version or, with `migration`, on a newer one. The fork records
   * its lineage (`inspect(...).lineage`). Succeeds with the fork's id.
   *
   * @since 0.4.0
   */
  readonly fork: <Req extends object, Prov extends object, E, R>(
    template: Template.Template<Req, Prov, E, R>,
    runId: string,
    options: ForkOptions<Template.FinalState<Template.Template<Req, Prov, E, R>>>
  ) => Effect.Effect<
    string,
    | RunNotFound
    | TemplateMismatch
    | Errors.StepNotFound
    | Errors.InvalidPatch
    | Errors.MigrationRefused
    | Errors.InvalidRunId
    | TemplateConflict
    | PersistenceError,
    R
  >
  /**
   * Re-runs a `failed` or `cancelled` run from its last checkpoint: the
   * steps it completed are not run again, the one that failed is; the
   * original failure stays in its trace; its id stays, a new execution
   * generation starts (the only operation that changes a final status),
   * here, with its template registered. With `migration`, it is first moved
   * to the newer version (where it stands must be mapped). Succeeds once
   * it executes: `await` it for its end.
   *
   * @since 0.4.0
   */
  readonly rerun: (
    runId: string,
    options?: { readonly migration?: Template.Migration | undefined }
  ) => Effect.Effect<
    void,
    | RunNotFound
    | RunNotResumable
    | Errors.TemplateNotRegistered
    | Errors.MigrationRefused
    | TemplateConflict
    | TemplateMismatch
    | PersistenceError
  >
  /**
   * Re-runs every run a filter selects (`failed` by default), as
   * {@link Service.rerun} does; with `dryRun`, only counts them. Succeeds
   * with the ids re-run (or that would be), skipping those that cannot be
   * (their template is not registered here, they changed meanwhile).
   *
   * @since 0.4.0
   */
  readonly rerunAll: (filter?: RerunFilter) => Effect.Effect<ReadonlyArray<string>, PersistenceError>
  /**
   * Applies a migration to the stored runs of its old version that have not
   * ended (or to `runIds`, or to those of `status`): each is claimed and
   * moved in one fenced write — a run another engine executes is not
   * touched (`"held"`: it goes on under the old version), a run standing
   * at a position the migration does not map stays on the old version
   * (`"unmapped"`). A migrated run records both versions (its lineage, and
   * a checkpoint in its trace where it crossed); a wait keeps its deadline
   * and gets a signal sent meanwhile (also under a name the migration
   * renamed). A run standing inside a nested node goes on at the innermost
   * position mapped; a run waiting in a sub-flow moves when the new version
   * keeps that sub-flow (same key, same template version), its child run
   * unchanged (else `"subflow"`). With `dryRun`, nothing is written.
   *
   * @since 0.4.0
   */
  readonly migrate: (
    migration: Template.Migration,
    options?: {
      readonly runIds?: ReadonlyArray<string> | undefined
      readonly status?: SnapshotStore.RunStatus | ReadonlyArray<SnapshotStore.RunStatus> | undefined
      readonly dryRun?: boolean | undefined
    }
  ) => Effect.Effect<ReadonlyArray<MigrationOutcome>, PersistenceError | TemplateConflict>
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
   * `limit` of each queue at once, and no more starts of a queue than its
   * rate limit allows. `Worker.layer` calls it.
   */
  readonly serve: (
    queues: Readonly<Record<string, number>>,
    options?: {
      /**
       * Rate limits of queues: at most `limit` of a queue's runs start in any
       * `period` (a sliding window), counted through the store across every
       * worker that serves the queue with the same limit.
       */
      readonly rateLimits?: Readonly<Record<string, RateLimit>> | undefined
    }
  ) => Effect.Effect<void, never, Scope.Scope>
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
  /**
   * Declares a trigger (see the `Trigger` module) with this engine, and
   * registers its templates with the services of the current context: a
   * cron schedule is saved in the store (its definition replaced, its
   * paused flag and history kept: declaring it at each start is idempotent)
   * and ticked by every engine that knows its template; an event trigger
   * starts its run when a top-level run of its first template ends here; a
   * webhook is served by `weftjs/http` over this engine.
   */
  readonly trigger: <R>(
    trigger: Trigger.Trigger<R>
  ) => Effect.Effect<void, TemplateConflict | Errors.InvalidSchedule | PersistenceError, R>
  /** The triggers declared with this engine. */
  readonly triggers: Effect.Effect<ReadonlyArray<Trigger.Trigger<unknown>>>
  /** The stored schedules, at run time: list, create, pause, resume, delete. */
  readonly schedules: Trigger.Schedules
  /**
   * Starts the run of a webhook delivery: `body` (JSON) decoded with the
   * webhook's Schema and mapped to its template's input, the run's id taken
   * from `delivery` (an idempotency key: a second delivery of it starts
   * nothing and answers the same id, `started: false`). A body that does not
   * decode, or maps to an invalid input, is `DeliveryRejected` naming each
   * key, with nothing written. (Signatures are checked by `weftjs/http`.)
   */
  readonly deliver: (
    hook: string,
    body: unknown,
    delivery?: string | undefined
  ) => Effect.Effect<
    { readonly runId: string; readonly started: boolean },
    Errors.DeliveryRejected | PersistenceError | Errors.InvalidRunId
  >
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
    const triggers = new TriggerRegistry()
    const leaseMillis = Math.max(3, Math.round(Duration.toMillis(settings.leaseDuration)))
    const env: RunEnv = {
      store,
      settings,
      owner,
      publish: events.publish,
      listening: events.listening,
      interpret,
      children: childRuns(() => leaseMillis),
      triggers: runTriggers(() => env, triggers, () => executor, (queue) => poller.serves(queue))
    }
    const durable = store.durable !== false
    const executor = yield* Executor.make({ env, registry, leaseMillis, recovery: settings.recovery && durable })
    const heartbeat = Heartbeat.make({ store, owner, executor, leaseMillis })
    yield* Effect.forkScoped(heartbeat.run)
    const poller = yield* Recovery.make({
      store,
      owner,
      registry,
      executor,
      leaseMillis,
      interval: settings.pollInterval,
      settings,
      recovery: settings.recovery && durable,
      renewIfDue: heartbeat.renewIfDue
    })
    // when the engine stops: runs executing get their grace, then are handed back
    yield* Effect.addFinalizer(() => executor.drain(durable ? settings.shutdownGrace : Duration.zero))
    const awaiting = yield* makeAwaiting({ env, store, executor, registry, pollInterval: settings.pollInterval })
    const deps: Runs.RunsDeps = { env, store, settings, registry, executor, poller, leaseMillis, awaiting }
    const ticker = yield* runTicker({ store, registry, triggers, pollInterval: settings.pollInterval, start: startOnce(deps) })
    const onCancel = (runId: string) => cancelFollowUps(env, registry, triggers, runId)
    return {
      ...makeService(deps, events, onCancel),
      ...(makeTriggerService({ runs: deps, triggers, nudge: ticker.nudge }) as Pick<
        Service,
        "trigger" | "triggers" | "schedules" | "deliver"
      >)
    }
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
