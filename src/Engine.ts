/**
 * The engine: the service that runs templates, persists them through a
 * `SnapshotStore`, enforces the global limit on concurrently running
 * workflows, and publishes progress events.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Engine } from "weft"
 *
 * const program = Effect.gen(function*() {
 *   const engine = yield* Engine.Engine
 *   return yield* engine.list({ status: "failed" })
 * }).pipe(Effect.provide(Engine.layerMemory))
 * ```
 *
 * @since 0.1.0
 */
import { Context, Deferred, Duration, Effect, FiberMap, Layer, Option, PubSub, Scope, Stream } from "effect"
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
import { RunNotFound as RunNotFoundError, RunNotResumable as RunNotResumableError } from "./Errors.js"
import type { Event } from "./Event.js"
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
  /** The whole run's timeout (default: the `workflowTimeout` setting). */
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
  /** Runs a template to the end and returns its final state and trace. */
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
   * Cancels a run: a run executing in this engine is interrupted (its steps'
   * work included); the run is recorded as `cancelled` and can no longer be
   * resumed. Cancelling a finished run is a `RunNotResumable` error.
   */
  readonly cancel: (runId: string) => Effect.Effect<void, RunNotFound | RunNotResumable | PersistenceError>
  /**
   * Continues a stored run from its last checkpoint: completed steps are not
   * run again, the step that was in flight runs again with the same
   * idempotency key. The template must be the one the run started with.
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
  /** Deletes finished runs whose TTL has passed; returns how many. */
  readonly collectExpired: Effect.Effect<number, PersistenceError>
  /** Progress events of every run of this engine, from the moment of subscription. */
  readonly events: Stream.Stream<Event>
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
  const background = yield* FiberMap.make<string>()
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

  return {
    settings,
    run: (template, input, options) =>
      Effect.map(
        runner.start(env, template, input, { runId: options?.runId, timeout: timeoutOf(options) }),
        toResult
      ) as never,
    start: (template, input, options) =>
      Effect.gen(function*() {
        const ctx = yield* runner.prepare(env, template, input, options?.runId ?? crypto.randomUUID())
        yield* runner.create(ctx)
        const done = yield* Deferred.make<RunResult<never>, unknown>()
        const context = yield* Effect.context<never>()
        yield* FiberMap.run(
          background,
          ctx.runId,
          runner.launch(ctx, timeoutOf(options)).pipe(
            Effect.map(toResult),
            Effect.exit,
            Effect.flatMap((exit) => Deferred.done(done, exit as never)),
            Effect.onInterrupt(() => Deferred.interrupt(done)),
            Effect.provide(context)
          )
        )
        return { runId: ctx.runId, await: Deferred.await(done) }
      }) as never,
    cancel: (runId) =>
      Effect.gen(function*() {
        const run = yield* getRun(runId)
        if (run.status !== "running" && run.status !== "suspended") {
          return yield* Effect.fail(new RunNotResumableError({ runId, status: run.status }))
        }
        yield* FiberMap.remove(background, runId)
        const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        yield* store.setStatus(runId, {
          status: "cancelled",
          updatedAt: now,
          expiresAt: Duration.isFinite(settings.stateTtl) ? now + Duration.toMillis(settings.stateTtl) : null
        })
      }),
    resume: (template, runId, options) =>
      Effect.map(runner.resume(env, template, runId, { timeout: timeoutOf(options) }), toResult) as never,
    status: getRun,
    list: (filter) => store.list(filter ?? {}),
    trace: (runId) => Effect.zipRight(getRun(runId), Effect.map(store.steps(runId), Trace.fromRecords)),
    collectExpired: Effect.flatMap(Effect.clockWith((clock) => clock.currentTimeMillis), store.collectExpired),
    events: Stream.fromPubSub(pubsub)
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
 * import { Engine } from "weft"
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
  Effect.map(Settings.get, (settings) =>
    settings.statePersistence
      ? layerSqlite({ filename: settings.database }).pipe(Layer.provide(Settings.layerWith(settings)))
      : layerMemory.pipe(Layer.provide(Settings.layerWith(settings))))
)
