/**
 * Opening a SQLite store: the connection, its schema brought up to date
 * (or checked, read-only), the store on it.
 *
 * @internal
 */
import { SqlClient } from "@effect/sql/SqlClient"
import { Effect } from "effect"
import type { Scope } from "effect"
import { PersistenceError } from "../../../Errors.js"
import type { Service } from "../../../SnapshotStore.js"
import { migrationFault } from "../faults.js"
import { latestMigration, migrate, schemaVersion } from "../schema.js"
import { type Connection, type ConnectionOptions, open } from "./connection.js"
import { fromDriver } from "./errors.js"
import { makeStore } from "./store.js"

/** A migration's fault: the SQLite fault of a failed migration, or the migrator's own. */
const migrationError = (path: string, error: unknown): PersistenceError =>
  migrationFault((operation, at, cause) => fromDriver(operation, at, cause), path, error)

/** Brings the schema up to date; another process migrating at once is waited for (retried). */
const upgrade = (path: string) =>
  migrate.pipe(
    Effect.mapError((error) => migrationError(path, error)),
    Effect.catchAllDefect((defect) => Effect.fail(migrationError(path, defect))),
    Effect.retry({ times: 3, while: (error) => error.reason === "locked" })
  )

/** A read-only store needs the current schema: it cannot write one. */
const checkVersion = (path: string) =>
  Effect.flatMap(
    Effect.mapError(schemaVersion, (error) => fromDriver("open", path, error)),
    (version) =>
      version === latestMigration ? Effect.void : Effect.fail(
        new PersistenceError({
          operation: "open",
          reason: "read-only",
          path,
          detail: `the file is opened read-only and its schema is at version ${version}, ` +
            `expected ${latestMigration}: open it once for writing to upgrade it`
        })
      )
  )

/** Opens a store and gives it with its connection (tests and the benchmark look at the connection). */
export const openStore = (
  options: ConnectionOptions
): Effect.Effect<{ readonly store: Service; readonly connection: Connection }, PersistenceError, Scope.Scope> =>
  Effect.gen(function*() {
    const connection = yield* open(options)
    const path = connection.path ?? options.filename
    const schema = options.readonly ? checkVersion(path) : upgrade(path)
    yield* Effect.provideService(schema, SqlClient, connection.client)
    const store = yield* makeStore(connection)
    return { store, connection }
  })
