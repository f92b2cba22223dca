/**
 * Settings, read through Effect `Config` from environment variables prefixed
 * `WEFT_` (or from any `ConfigProvider` you install). The defaults are those
 * of the Dana workflow design.
 *
 * | variable                          | default          | meaning                                         |
 * |-----------------------------------|------------------|-------------------------------------------------|
 * | `WEFT_STATE_PERSISTENCE`          | `true`           | persist runs (SQLite); `false` keeps them in memory |
 * | `WEFT_STATE_TTL`                  | `3600`           | seconds a finished run is kept before collection; `0` = forever |
 * | `WEFT_MAX_RETRIES`                | `3`              | retries of a failing step (after the first attempt) |
 * | `WEFT_RETRY_DELAY`                | `5`              | base retry delay in seconds (exponential, jittered) |
 * | `WEFT_MAX_CONCURRENT_WORKFLOWS`   | `10`             | runs executing at once, per engine              |
 * | `WEFT_WORKFLOW_TIMEOUT`           | `300`            | seconds of execution a whole run may take; `0` = no limit |
 * | `WEFT_DATABASE`                   | `weft.db`        | SQLite file, relative to the working directory  |
 * | `WEFT_DATABASE_URL`               | (none)           | PostgreSQL URL for `weftjs/pg`'s `Pg.layerFromSettings` |
 * | `WEFT_LEASE`                      | `30`             | seconds an engine's claim on a run lasts without a heartbeat |
 * | `WEFT_POLL_INTERVAL`              | `2`              | seconds between two looks for runs to take up (or a run's end) |
 * | `WEFT_RECOVERY`                   | `true`           | take up runs whose engine died, and due runs, automatically |
 * | `WEFT_SHUTDOWN_GRACE`             | `10`             | seconds a stopping engine lets its runs finish before handing them back |
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Settings } from "weftjs"
 *
 * const program = Effect.gen(function*() {
 *   const settings = yield* Settings.Settings
 *   return settings.maxRetries
 * }).pipe(Effect.provide(Settings.layer))
 * ```
 *
 * @since 0.1.0
 */
import { Config, Context, Duration, Effect, Layer, Option, Schedule } from "effect"
import type { ConfigError } from "effect/ConfigError"
import type { Redacted } from "effect"

/**
 * The resolved settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface WeftSettings {
  readonly statePersistence: boolean
  /**
   * How long a finished run (completed, failed, cancelled) is kept before
   * `Collector` deletes it; `Duration.infinity` for ever. State values
   * themselves live as long as their run, unless a step gives them a `ttl`.
   */
  readonly stateTtl: Duration.Duration
  readonly maxRetries: number
  readonly retryDelay: Duration.Duration
  readonly maxConcurrentWorkflows: number
  /**
   * The default whole-run timeout: the execution time a run may take, summed
   * over every process that executes it (durable sleeps and retry delays
   * count; time suspended waiting for a signal does not). `Duration.infinity`
   * for no limit.
   */
  readonly workflowTimeout: Duration.Duration
  readonly database: string
  /** The PostgreSQL server of `weftjs/pg`'s `Pg.layerFromSettings` (`WEFT_DATABASE_URL`); none by default. */
  readonly databaseUrl?: Redacted.Redacted | undefined
  /** How long an engine's claim on a run lasts without a heartbeat (it beats every third of it). */
  readonly leaseDuration: Duration.Duration
  /** Time between two looks for runs to take up, and the longest wait between two looks at a run's end. */
  readonly pollInterval: Duration.Duration
  /** Whether an engine takes up orphaned and due runs of its templates by itself. */
  readonly recovery: boolean
  /** How long a stopping engine lets the runs it executes finish before handing them back. */
  readonly shutdownGrace: Duration.Duration
  /**
   * Dead letters: how many times in a row a run whose execution died (its
   * process crashed or was killed) is taken up again; the next time it is
   * found so, it ends `failed` with `RecoveryAttemptsExceeded` instead
   * (`WEFT_MAX_RECOVERY_ATTEMPTS`, default 5).
   */
  readonly maxRecoveryAttempts: number
}

/**
 * The environment variable prefix.
 *
 * @since 0.1.0
 * @category constants
 */
export const envPrefix = "WEFT"

/**
 * The defaults, as used when no variable is set.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: WeftSettings = {
  statePersistence: true,
  stateTtl: Duration.seconds(3600),
  maxRetries: 3,
  retryDelay: Duration.seconds(5),
  maxConcurrentWorkflows: 10,
  workflowTimeout: Duration.seconds(300),
  database: "weft.db",
  leaseDuration: Duration.seconds(30),
  pollInterval: Duration.seconds(2),
  recovery: true,
  shutdownGrace: Duration.seconds(10),
  maxRecoveryAttempts: 5
}

const seconds = (name: string, fallback: Duration.Duration) =>
  Config.integer(name).pipe(
    Config.validate({ message: "must be a whole number of seconds, 0 or more", validation: (n) => n >= 0 }),
    Config.map((n) => n === 0 ? Duration.infinity : Duration.seconds(n)),
    Config.withDefault(fallback)
  )

/** A positive number of seconds (fractions allowed). */
const positiveSeconds = (name: string, fallback: Duration.Duration) =>
  Config.number(name).pipe(
    Config.validate({ message: "must be a number of seconds above 0", validation: (n) => Number.isFinite(n) && n > 0 }),
    Config.map((n) => Duration.millis(Math.round(n * 1000))),
    Config.withDefault(fallback)
  )

/** A number of seconds, 0 or more (fractions allowed). */
const graceSeconds = (name: string, fallback: Duration.Duration) =>
  Config.number(name).pipe(
    Config.validate({ message: "must be a number of seconds, 0 or more", validation: (n) => Number.isFinite(n) && n >= 0 }),
    Config.map((n) => Duration.millis(Math.round(n * 1000))),
    Config.withDefault(fallback)
  )

const positive = (name: string, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({ message: "must be a whole number, 1 or more", validation: (n) => n >= 1 }),
    Config.withDefault(fallback)
  )

/**
 * The settings as a `Config`, under the `WEFT_` prefix.
 *
 * @since 0.1.0
 * @category config
 */
export const config: Config.Config<WeftSettings> = Config.nested(
  Config.all({
    statePersistence: Config.boolean("STATE_PERSISTENCE").pipe(Config.withDefault(defaults.statePersistence)),
    stateTtl: seconds("STATE_TTL", defaults.stateTtl),
    maxRetries: Config.integer("MAX_RETRIES").pipe(
      Config.validate({ message: "must be a whole number, 0 or more", validation: (n) => n >= 0 }),
      Config.withDefault(defaults.maxRetries)
    ),
    retryDelay: seconds("RETRY_DELAY", defaults.retryDelay),
    maxConcurrentWorkflows: positive("MAX_CONCURRENT_WORKFLOWS", defaults.maxConcurrentWorkflows),
    workflowTimeout: seconds("WORKFLOW_TIMEOUT", defaults.workflowTimeout),
    database: Config.string("DATABASE").pipe(Config.withDefault(defaults.database)),
    databaseUrl: Config.option(Config.redacted("DATABASE_URL")).pipe(Config.map(Option.getOrUndefined)),
    leaseDuration: positiveSeconds("LEASE", defaults.leaseDuration),
    pollInterval: positiveSeconds("POLL_INTERVAL", defaults.pollInterval),
    recovery: Config.boolean("RECOVERY").pipe(Config.withDefault(defaults.recovery)),
    shutdownGrace: graceSeconds("SHUTDOWN_GRACE", defaults.shutdownGrace),
    maxRecoveryAttempts: Config.integer("MAX_RECOVERY_ATTEMPTS").pipe(
      Config.validate({ message: "must be a whole number, 0 or more", validation: (n) => n >= 0 }),
      Config.withDefault(defaults.maxRecoveryAttempts)
    )
  }),
  envPrefix
)

/**
 * The settings service.
 *
 * @since 0.1.0
 * @category services
 */
export class Settings extends Context.Tag("weft/Settings")<Settings, WeftSettings>() {}

/**
 * Reads the settings from the current `ConfigProvider` (environment
 * variables by default). A malformed variable fails with a `ConfigError`
 * naming it.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Settings, ConfigError> = Layer.effect(Settings, config)

/**
 * Fixed settings: the defaults with some overridden. Handy in tests.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWith = (overrides: Partial<WeftSettings>): Layer.Layer<Settings> =>
  Layer.succeed(Settings, { ...defaults, ...overrides })

/**
 * The settings in context if any, else read from `Config`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const get: Effect.Effect<WeftSettings, ConfigError> = Effect.flatMap(
  Effect.serviceOption(Settings),
  Option.match({ onNone: () => config, onSome: Effect.succeed })
)

/**
 * The default retry policy: exponential from the base delay, jittered,
 * at most `maxRetries` retries.
 *
 * @since 0.1.0
 * @category config
 */
export const defaultRetry = (settings: WeftSettings): Schedule.Schedule<unknown, unknown> =>
  Schedule.exponential(settings.retryDelay).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(settings.maxRetries))
  )
