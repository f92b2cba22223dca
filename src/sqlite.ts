/**
 * `weftjs/sqlite`: runs persisted in a SQLite file, the embedded default.
 *
 * weft opens one better-sqlite3 connection per store and keeps it (WAL
 * journal, `synchronous = NORMAL` unless asked for `FULL`, a busy timeout):
 * checkpoints are prepared statements on that connection, and the
 * checkpoints of runs executing at once are committed together (group
 * commit: a step is acknowledged once its batch is committed, and a lone run
 * waits for nobody). Its tables are created, or brought up to date from an
 * older weft, when the file is opened.
 *
 * Several processes may share one file: every write takes the write lock up
 * front and waits for it up to the busy timeout (better-sqlite3 waits
 * synchronously: the process does nothing else meanwhile). Faults are
 * `PersistenceError`s whose `reason` says what to do: `"locked"` and
 * `"unavailable"` (busy past the timeout, I/O error, disk full, the file
 * removed or replaced while open) are transient and leave runs resumable;
 * `"read-only"` (the file or its folder cannot be written), `"corrupt"` (not
 * a database) and `"duplicate"` (a run id that exists) are not.
 *
 * @example
 * ```ts
 * import { Sqlite } from "weftjs/sqlite"
 *
 * // an engine whose runs live in runs.db
 * const EngineLive = Sqlite.layer({ filename: "runs.db" })
 * // just the store, to build an engine (or a worker) over it yourself
 * const StoreLive = Sqlite.layerStore({ filename: "runs.db", synchronous: "FULL" })
 * ```
 *
 * @since 0.2.0
 */
import { Duration, Effect, Layer } from "effect"
import type { Scope } from "effect"
import type { ConfigError } from "effect/ConfigError"
import * as Engine from "./Engine.js"
import type { PersistenceError } from "./Errors.js"
import { openStore } from "./internal/sql/sqlite/make.js"
import * as Settings from "./Settings.js"
import { layerMemory, SnapshotStore, type Service } from "./SnapshotStore.js"

/**
 * How to open a SQLite store.
 *
 * @since 0.2.0
 * @category models
 */
export interface StoreOptions {
  /** The database file (created with its folder's `-wal`/`-shm` companions when missing), or `":memory:"`. */
  readonly filename: string
  /**
   * `PRAGMA synchronous`: `"NORMAL"` (the default; with WAL a commit survives
   * a crash of the process, and may be lost only with the machine's power),
   * or `"FULL"` (each commit is synced to disk; group commit keeps it
   * affordable with concurrent runs).
   */
  readonly synchronous?: "NORMAL" | "FULL" | "EXTRA" | undefined
  /** How long a write waits for a lock another process holds before failing with reason `"locked"`. Default 5 seconds. */
  readonly busyTimeout?: Duration.DurationInput | undefined
  /**
   * Open the file read-only (to inspect runs): reads work, every write fails
   * with a `PersistenceError` of reason `"read-only"`. The file must exist
   * and its schema be current. Default `false`.
   */
  readonly readonly?: boolean | undefined
}

const maxBusyMillis = 2 ** 31 - 1

/** How often, at most, the write path checks that the file is still the one opened (heartbeats always do). */
const fileCheckMillis = 1000

/**
 * Opens a store on a SQLite file, creating or upgrading its tables; the
 * connection is closed (after writing the checkpoints still queued) when the
 * scope ends. A file that cannot be opened or written (a missing folder, a
 * read-only file or folder, a file that is not a database) is a
 * `PersistenceError` that says so.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (options: StoreOptions): Effect.Effect<Service, PersistenceError, Scope.Scope> =>
  Effect.gen(function*() {
    const { store } = yield* openStore({
      filename: options.filename,
      readonly: options.readonly === true,
      busyTimeoutMillis: Math.min(
        maxBusyMillis,
        Math.max(0, Math.round(Duration.toMillis(options.busyTimeout ?? Duration.seconds(5))))
      ),
      synchronous: options.synchronous ?? "NORMAL",
      fileCheckMillis
    })
    return store
  })

/**
 * A `SnapshotStore` on a SQLite file.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerStore = (options: StoreOptions): Layer.Layer<SnapshotStore, PersistenceError> =>
  Layer.scoped(SnapshotStore, make(options))

/**
 * An engine whose runs are persisted in a SQLite file.
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = (options: StoreOptions): Layer.Layer<Engine.Engine, ConfigError | PersistenceError> =>
  Layer.provide(Engine.layer, layerStore(options))

/**
 * The engine a program gets from its settings: a SQLite file
 * (`WEFT_DATABASE`, default `weft.db` in the working directory), or, with
 * `WEFT_STATE_PERSISTENCE=false`, an in-memory store.
 *
 * @since 0.2.0
 * @category layers
 */
export const layerDefault: Layer.Layer<Engine.Engine, ConfigError | PersistenceError> = Layer.unwrapEffect(
  Effect.map(Settings.get, (settings) => {
    const engine = settings.statePersistence
      ? layer({ filename: settings.database })
      : Layer.provide(Engine.layer, layerMemory)
    // the engine runs with the settings read here, not read a second time
    return Layer.provide(engine, Settings.layerWith(settings))
  })
)

/**
 * This module as a namespace: `import { Sqlite } from "weftjs/sqlite"`.
 *
 * @since 0.2.0
 */
export * as Sqlite from "./sqlite.js"
