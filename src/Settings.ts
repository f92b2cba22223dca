/**
 * Settings, read through Effect `Config` from environment variables prefixed
 * `WEFT_` (or from any `ConfigProvider` you install). The defaults are those
 * of the Dana workflow design.
 *
 * | variable                          | default          | meaning                                         |
 * |-----------------------------------|------------------|-------------------------------------------------|
 * | `WEFT_STATE_PERSISTENCE`          | `true`           | persist runs (SQLite); `false` keeps them in memory |
 * | `WEFT_STATE_TTL`                  | `3600`           | seconds a state value (and a finished run) lives; `0` = forever |
 * | `WEFT_MAX_RETRIES`                | `3`              | retries of a failing step (after the first attempt) |
 * | `WEFT_RETRY_DELAY`                | `5`              | base retry delay in seconds (exponential, jittered) |
 * | `WEFT_MAX_CONCURRENT_WORKFLOWS`   | `10`             | runs executing at once, per engine              |
 * | `WEFT_WORKFLOW_TIMEOUT`           | `300`            | seconds a whole run may take; `0` = no limit    |
 * | `WEFT_DATABASE`                   | `weft.db`        | SQLite file, relative to the working directory  |
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

/**
 * The resolved settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface WeftSettings {
  readonly statePersistence: boolean
  /** Time-to-live of state values and finished runs; `Duration.infinity` for never. */
  readonly stateTtl: Duration.Duration
  readonly maxRetries: number
  readonly retryDelay: Duration.Duration
  readonly maxConcurrentWorkflows: number
  /** `Duration.infinity` for no limit. */
  readonly workflowTimeout: Duration.Duration
  readonly database: string
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
  database: "weft.db"
}

const seconds = (name: string, fallback: Duration.Duration) =>
  Config.integer(name).pipe(
    Config.validate({ message: "must be a whole number of seconds, 0 or more", validation: (n) => n >= 0 }),
    Config.map((n) => n === 0 ? Duration.infinity : Duration.seconds(n)),
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
    database: Config.string("DATABASE").pipe(Config.withDefault(defaults.database))
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
 * @category policies
 */
export const defaultRetry = (settings: WeftSettings): Schedule.Schedule<unknown, unknown> =>
  Schedule.exponential(settings.retryDelay).pipe(
    Schedule.jittered,
    Schedule.intersect(Schedule.recurs(settings.maxRetries))
  )
