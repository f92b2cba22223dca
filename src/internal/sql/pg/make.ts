/**
 * Opening the PostgreSQL store on a `PgClient`: checking the schema and
 * prefix names, creating or upgrading the tables (one process at a time,
 * under an advisory lock), and building the store over the PostgreSQL
 * queries, with wake-ups on a LISTEN connection of its own.
 *
 * @internal
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { PgClient, PgClientConfig } from "@effect/sql-pg/PgClient"
import { Duration, Effect, Redacted } from "effect"
import type { Scope } from "effect"
import type * as Pg from "pg"
import { PersistenceError } from "../../../Errors.js"
import type { Service } from "../../../SnapshotStore.js"
import { migrationFault } from "../faults.js"
import { migrate, TablePrefix, tables } from "../schema.js"
import { makeSqlStore } from "./store/index.js"
import { fromPg, isUnsent } from "./errors.js"
import { makeQueries } from "./queries.js"
import { names, quote } from "./sql.js"
import { decodeText, encodeText } from "./text.js"
import { listen } from "./wakeups.js"
import { makeWriter } from "./writer.js"

/** Where the tables live. */
export interface Tables {
  /** A PostgreSQL schema, created when missing; default: the connection's search path (usually `public`). */
  readonly schema?: string | undefined
  /** Put before every table and index name; default `weft_`. */
  readonly prefix?: string | undefined
}

const defaultPrefix = tables.runs.slice(0, tables.runs.length - "runs".length)

/** Names weft puts into SQL as identifiers: plain ones only (and short enough for PostgreSQL's 63 bytes). */
const checkName = (what: "schema" | "prefix", value: string, max: number): PersistenceError | undefined => {
  if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(value) && value.length <= max) return undefined
  return new PersistenceError({
    operation: "open",
    reason: "unknown",
    detail: `the ${what} ${JSON.stringify(value)} is not a plain name: use 1 to ${max} letters, digits or ` +
      `underscores, not starting with a digit`
  })
}

/** The server as errors name it: user, host, port and database, never the password. */
export const describe = (config: PgClientConfig | undefined, t: Tables): string => {
  let where = "PostgreSQL"
  if (config !== undefined) {
    let host = config.host
    let port = config.port
    let user = config.username
    let database = config.database
    if (config.url !== undefined) {
      try {
        const url = new URL(Redacted.value(config.url))
        host ??= decodeURIComponent(url.hostname) || undefined
        port ??= url.port === "" ? undefined : Number(url.port)
        user ??= decodeURIComponent(url.username) || undefined
        database ??= decodeURIComponent(url.pathname.slice(1)) || undefined
      } catch {
        // not a URL: the fields given are all we say
      }
    }
    where = `postgresql://${user === undefined ? "" : `${user}@`}${host ?? "localhost"}${port === undefined ? "" : `:${port}`}` +
      `/${database ?? ""}`
  }
  const namespace = [
    ...(t.schema === undefined ? [] : [`schema ${t.schema}`]),
    ...(t.prefix === undefined || t.prefix === defaultPrefix ? [] : [`prefix ${t.prefix}`])
  ]
  return namespace.length === 0 ? where : `${where} (${namespace.join(", ")})`
}

/** A `pg` connection's settings from the client's (for the LISTEN connection: `(listen)` after its name). */
export const pgConfig = (config: PgClientConfig, role = " (listen)"): Pg.ClientConfig => ({
  ...(config.url === undefined ? {} : { connectionString: Redacted.value(config.url) }),
  ...(config.username === undefined ? {} : { user: config.username }),
  ...(config.host === undefined ? {} : { host: config.host }),
  ...(config.database === undefined ? {} : { database: config.database }),
  ...(config.password === undefined ? {} : { password: Redacted.value(config.password) }),
  ...(config.ssl === undefined ? {} : { ssl: config.ssl }),
  ...(config.port === undefined ? {} : { port: config.port }),
  ...(config.connectTimeout === undefined ? {} : { connectionTimeoutMillis: Duration.toMillis(config.connectTimeout) }),
  application_name: `${config.applicationName ?? "weft"}${role}`
})

/**
 * Creates the schema if missing and brings the tables to the current
 * version: in one transaction under an advisory lock of the schema and
 * prefix, so processes starting together migrate one after the other.
 */
const upgrade = (sql: SqlClient.SqlClient, schema: string | undefined, prefix: string, path: string) =>
  sql.withTransaction(Effect.gen(function*() {
    yield* sql`SELECT pg_advisory_xact_lock(hashtext('weft'), hashtext(${`${schema ?? ""}.${prefix}`}))`
    if (schema !== undefined) {
      const found = yield* sql`SELECT 1 AS one FROM pg_namespace WHERE nspname = ${schema}`
      if (found.length === 0) yield* sql.unsafe(`CREATE SCHEMA ${quote(schema)}`)
      // the migrations name their tables unqualified: here, they are the schema's
      yield* sql.unsafe(`SET LOCAL search_path TO ${quote(schema)}`)
    }
    // the migrator's own table, created here so that its check for it cannot fail inside this transaction
    yield* sql.unsafe(`CREATE TABLE IF NOT EXISTS ${quote(`${prefix}migrations`)} (
  migration_id integer PRIMARY KEY,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  name text NOT NULL
)`)
    yield* Effect.provideService(migrate, TablePrefix, prefix)
  })).pipe(
    Effect.catchAllDefect((defect) => Effect.fail(defect)),
    Effect.mapError((error) => migrationError(path, error))
  )

/** A migration's fault: the server's fault of a failed migration, or the migrator's own. */
const migrationError = (path: string, error: unknown): PersistenceError => migrationFault(fromPg, path, error)

/**
 * Opens the store on the `SqlClient` in context (a PostgreSQL one), with its
 * tables where `t` says; `client` (the `PgClient`, when there is one) gives
 * the settings of the LISTEN connection and the server's name in errors.
 */
export const makePgStore = (
  t: Tables,
  client: PgClient | undefined
): Effect.Effect<Service, PersistenceError, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function*() {
    const prefix = t.prefix ?? defaultPrefix
    const schema = t.schema
    const bad = checkName("prefix", prefix, 24) ?? (schema === undefined ? undefined : checkName("schema", schema, 32))
    if (bad !== undefined) return yield* bad
    const path = describe(client?.config, { schema, prefix })
    const sql = (yield* SqlClient.SqlClient).withoutTransforms()
    yield* upgrade(sql, schema, prefix, path).pipe(
      Effect.retry({ times: 3, while: (error) => error.reason === "locked" })
    )
    const channel = `${schema === undefined ? "" : `${schema}.`}${prefix}wakeup`
    // the writes of executing runs on connections of the store's own, under the pool's name
    const writer = client === undefined
      ? undefined
      : yield* Effect.acquireRelease(Effect.sync(() => makeWriter(pgConfig(client.config, ""))), (w) =>
        Effect.promise(w.close))
    const queries = yield* makeQueries(names(prefix, schema), channel, writer)
    return makeSqlStore({
      queries,
      encode: encodeText,
      decode: decodeText,
      path,
      fromError: (operation, cause) => fromPg(operation, path, cause),
      unsent: isUnsent,
      wakeups: client === undefined ? undefined : listen(pgConfig(client.config), channel, path)
    })
  })
