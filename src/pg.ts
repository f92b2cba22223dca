/**
 * `weftjs/pg`: runs persisted in PostgreSQL (on `@effect/sql-pg`), for
 * several engines and workers on several machines sharing one database.
 *
 * The store creates its tables (or brings them up to date) when it opens,
 * one process at a time. Every write of an executing engine is fenced by the
 * generation of its claim; claims take runs `FOR UPDATE SKIP LOCKED`, so
 * concurrent workers never take one run twice; a run queued or released and
 * a signal recorded wake idle engines at once through LISTEN/NOTIFY. Give a
 * `schema` (or a table `prefix`) so that two applications can share a
 * database without seeing each other's runs.
 *
 * @example
 * ```ts
 * import { Pg } from "weftjs/pg"
 *
 * // an engine whose runs live in PostgreSQL
 * const EngineLive = Pg.layer({ url: "postgres://weft@db.internal:5432/app" })
 * // just the store, in a schema of its own
 * const StoreLive = Pg.layerStore({ url: "postgres://weft@db.internal:5432/app", schema: "orders" })
 * ```
 *
 * @since 0.2.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as PgClient from "@effect/sql-pg/PgClient"
import { ConfigError, Context, Duration, Effect, Layer, Redacted } from "effect"
import type { Scope } from "effect"
import type { ConnectionOptions as TlsOptions } from "node:tls"
import * as Engine from "./Engine.js"
import type { PersistenceError } from "./Errors.js"
import { fromPg } from "./internal/sql/pg/errors.js"
import { describe, makePgStore } from "./internal/sql/pg/make.js"
import * as Settings from "./Settings.js"
import { type Service, SnapshotStore } from "./SnapshotStore.js"

/**
 * Where the tables live in the database.
 *
 * @since 0.2.0
 * @category models
 */
export interface TablesOptions {
  /**
   * A PostgreSQL schema for weft's tables, created when missing (letters,
   * digits and `_`, at most 32). Default: the connection's search path
   * (usually `public`).
   */
  readonly schema?: string | undefined
  /** Put before every table and index name (letters, digits and `_`, at most 24). Default `weft_`. */
  readonly prefix?: string | undefined
}

/**
 * How to reach the server: a `url`, or its parts (the parts override the
 * URL's).
 *
 * @since 0.2.0
 * @category models
 */
export interface ConnectionOptions {
  /** `postgres://user:password@host:5432/database`; a `Redacted` one keeps the password out of logs. */
  readonly url?: string | Redacted.Redacted | undefined
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly database?: string | undefined
  readonly username?: string | undefined
  readonly password?: string | Redacted.Redacted | undefined
  readonly ssl?: boolean | TlsOptions | undefined
  /** The pool's size. Default 10. */
  readonly maxConnections?: number | undefined
  /** How long opening a connection may take. Default 5 seconds. */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** How long an unused pooled connection is kept. */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /** The `application_name` the server shows for the store's connections. Default `weft`. */
  readonly applicationName?: string | undefined
}

/**
 * How to open a PostgreSQL store.
 *
 * @since 0.2.0
 * @category models
 */
export interface StoreOptions extends ConnectionOptions, TablesOptions {}

const redacted = (value: string | Redacted.Redacted | undefined): Redacted.Redacted | undefined =>
  value === undefined ? undefined : Redacted.isRedacted(value) ? value : Redacted.make(value)

/** The `@effect/sql-pg` settings of a store's pool. */
const clientConfig = (options: ConnectionOptions): PgClient.PgClientConfig => ({
  url: redacted(options.url),
  host: options.host,
  port: options.port,
  database: options.database,
  username: options.username,
  password: redacted(options.password),
  ssl: options.ssl,
  maxConnections: options.maxConnections,
  connectTimeout: options.connectTimeout ?? Duration.seconds(5),
  idleTimeout: options.idleTimeout,
  applicationName: options.applicationName ?? "weft"
})

/**
 * Opens a store on a PostgreSQL server with a pool of its own, creating or
 * upgrading its tables; the pool is closed when the scope ends. A server
 * that cannot be reached is a `PersistenceError` of reason `"unavailable"`.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: StoreOptions): Effect.Effect<Service, PersistenceError, Scope.Scope> =>
  Effect.gen(function*() {
    const config = clientConfig(options)
    const context = yield* Layer.build(PgClient.layer(config)).pipe(
      Effect.mapError((error) => fromPg("open", describe(config, options), error))
    )
    const client = Context.get(context, PgClient.PgClient)
    return yield* Effect.provideService(makePgStore(options, client), SqlClient.SqlClient, client)
  })

/**
 * Opens a store over the application's own `PgClient` (its pool is shared).
 *
 * @since 0.2.0
 * @category constructors
 */
export const makeFromClient = (
  options: TablesOptions = {}
): Effect.Effect<Service, PersistenceError, PgClient.PgClient | Scope.Scope> =>
  Effect.flatMap(
    PgClient.PgClient,
    (client) => Effect.provideService(makePgStore(options, client), SqlClient.SqlClient, client)
  )

/**
 * A `SnapshotStore` on a PostgreSQL server.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerStore = (options: StoreOptions): Layer.Layer<SnapshotStore, PersistenceError> =>
  Layer.scoped(SnapshotStore, make(options))

/**
 * A `SnapshotStore` over the `PgClient` the application provides.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerStoreFromClient = (
  options: TablesOptions = {}
): Layer.Layer<SnapshotStore, PersistenceError, PgClient.PgClient> => Layer.scoped(SnapshotStore, makeFromClient(options))

/**
 * An engine whose runs are persisted in PostgreSQL.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: StoreOptions): Layer.Layer<Engine.Engine, ConfigError.ConfigError | PersistenceError> =>
  Layer.provide(Engine.layer, layerStore(options))

/**
 * The engine a program gets from its settings: PostgreSQL at
 * `WEFT_DATABASE_URL` (a `ConfigError` naming the variable when it is not
 * set), with the other settings read once.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerFromSettings: Layer.Layer<Engine.Engine, ConfigError.ConfigError | PersistenceError> = Layer.unwrapEffect(
  Effect.flatMap(Settings.get, (settings) =>
    settings.databaseUrl === undefined
      ? Effect.fail(
        ConfigError.MissingData(
          [`${Settings.envPrefix}_DATABASE_URL`],
          `set ${Settings.envPrefix}_DATABASE_URL to the PostgreSQL server's URL (postgres://user@host:5432/database)`
        )
      )
      : Effect.succeed(
        // the engine runs with the settings read here, not read a second time
        Layer.provide(layer({ url: settings.databaseUrl }), Settings.layerWith(settings))
      ))
)

/**
 * This module as a namespace: `import { Pg } from "weftjs/pg"`.
 *
 * @since 0.2.0
 */
export * as Pg from "./pg.js"
