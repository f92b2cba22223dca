/**
 * The one better-sqlite3 connection a SQLite store owns: opened with WAL,
 * `synchronous` and `busy_timeout` set; a statement cache (BEGIN/COMMIT
 * included); synchronous transactions for the hot path (`BEGIN IMMEDIATE`
 * for writes: SQLite answers BUSY at once, ignoring the busy timeout, when a
 * deferred transaction that has read tries to write); a check that the file
 * is still the one opened; and an `@effect/sql` `SqlClient` on the same
 * connection (migrations, queries), whose transactions also begin
 * `IMMEDIATE`.
 *
 * Every write of the hot path is one synchronous call into the driver, so
 * no fiber can run a statement inside another's transaction. The
 * `SqlClient`'s transactions span several effects: while one is open (the
 * driver says `inTransaction`), hot-path work waits for the client's permit.
 *
 * @internal
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlConnection from "@effect/sql/SqlConnection"
import { SqlError } from "@effect/sql/SqlError"
import * as Statement from "@effect/sql/Statement"
import Database from "better-sqlite3"
import { statSync } from "node:fs"
import { resolve } from "node:path"
import { Effect, Scope, Stream } from "effect"
import { PersistenceError } from "../../../Errors.js"
import { diagnosePath, fromDriver } from "./errors.js"

/** `PRAGMA synchronous` values. */
export type Synchronous = "OFF" | "NORMAL" | "FULL" | "EXTRA"

/** How to open a connection. */
export interface ConnectionOptions {
  /** The database file (created when missing), or `":memory:"`. */
  readonly filename: string
  /** Open read-only: every write fails with reason `"read-only"`. */
  readonly readonly: boolean
  /** How long a statement waits for a lock another connection holds (ms). */
  readonly busyTimeoutMillis: number
  readonly synchronous: Synchronous
  /** At most how often the write path checks that the file is still the one opened (ms). */
  readonly fileCheckMillis: number
}

/** Counters, for tests and the benchmark. */
export interface Stats {
  /** Write transactions committed by the hot path. */
  commits: number
  /** Rows committed by the latest group commits, per commit (the last {@link maxBatchesKept}). */
  readonly batches: Array<number>
  /** Group commits so far, and the rows they committed. */
  groupCommits: number
  groupedRows: number
}

/** How many of the latest group commits `Stats.batches` keeps. */
export const maxBatchesKept = 256

/** Counts a group commit of `rows` rows. */
export const countBatch = (stats: Stats, rows: number): void => {
  stats.groupCommits++
  stats.groupedRows += rows
  if (stats.batches.length >= 2 * maxBatchesKept) stats.batches.splice(0, stats.batches.length - maxBatchesKept)
  stats.batches.push(rows)
}

/** The owned connection. */
export interface Connection {
  readonly db: Database.Database
  /** The file, for messages; `undefined` for an in-memory database. */
  readonly path: string | undefined
  readonly client: SqlClient.SqlClient
  readonly stats: Stats
  /** A prepared statement, cached by its text. */
  readonly prepare: (sql: string) => Database.Statement
  /** Runs `fn` in a `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back when it throws. */
  readonly write: <A>(fn: () => A) => A
  /** Runs `fn` in a (deferred) read transaction, so that its statements see one state of the file. */
  readonly read: <A>(fn: () => A) => A
  /**
   * Throws a `PersistenceError` (`"unavailable"`) when the file was removed
   * or replaced since it was opened: checked at most every
   * `fileCheckMillis`, or now with `force`. Once seen, every later call throws.
   */
  readonly checkFile: (operation: string, force: boolean) => void
  /**
   * Runs `fn` (synchronous driver work) as an effect: at once when no
   * `SqlClient` transaction is open, else after it ends; a thrown driver
   * fault becomes a `PersistenceError` of `operation`.
   */
  readonly run: <A>(operation: string, fn: () => A) => Effect.Effect<A, PersistenceError>
  /** Runs `fn` when no `SqlClient` transaction is open (at once, or after the open one ends). */
  readonly whenFree: (fn: () => void) => void
}

const statementCacheSize = 256

/**
 * Opens the connection and its `SqlClient`; closed when the scope ends.
 * Opening faults are `PersistenceError`s naming the file.
 */
export const open = (options: ConnectionOptions): Effect.Effect<Connection, PersistenceError, Scope.Scope> =>
  Effect.gen(function*() {
    const inMemory = options.filename === ":memory:" || options.filename === ""
    const path = inMemory ? undefined : resolve(options.filename)
    const fail = (cause: unknown, fallback: PersistenceError["reason"] = "unavailable") =>
      fromDriver("open", path ?? options.filename, cause, fallback)

    if (path !== undefined && !options.readonly) {
      // SQLite opens a file it cannot write read-only without a word, and
      // says only "unable to open database file" for a folder it cannot
      // write: ask the file system first, to say what is wrong
      const diagnosis = diagnosePath(path)
      if (diagnosis !== undefined) {
        return yield* new PersistenceError({ operation: "open", reason: diagnosis.reason, path, detail: diagnosis.detail })
      }
    }

    const db = yield* Effect.acquireRelease(
      Effect.try({
        try: () =>
          new Database(path ?? ":memory:", {
            readonly: options.readonly,
            fileMustExist: options.readonly,
            timeout: options.busyTimeoutMillis
          }),
        catch: (cause) => fail(cause)
      }),
      (db) => Effect.sync(() => db.open && db.close())
    )
    yield* Effect.try({
      try: () => {
        // the busy timeout is set by the constructor's `timeout`; WAL and sync mode here
        if (!options.readonly) {
          db.pragma("journal_mode = WAL")
          db.pragma(`synchronous = ${options.synchronous}`)
        } else {
          // a file that is not a database fails here rather than at first use
          db.prepare("SELECT COUNT(*) AS n FROM sqlite_master").get()
        }
      },
      catch: (cause) => fail(cause)
    })

    const cache = new Map<string, Database.Statement>()
    const prepare = (sql: string): Database.Statement => {
      let statement = cache.get(sql)
      if (statement === undefined) {
        if (cache.size >= statementCacheSize) cache.clear()
        statement = db.prepare(sql)
        cache.set(sql, statement)
      }
      return statement
    }

    const stats: Stats = { commits: 0, batches: [], groupCommits: 0, groupedRows: 0 }
    const begin = prepare("BEGIN IMMEDIATE")
    const beginRead = prepare("BEGIN")
    const commit = prepare("COMMIT")
    const rollback = prepare("ROLLBACK")

    const write = <A>(fn: () => A): A => {
      begin.run()
      try {
        const result = fn()
        commit.run()
        stats.commits++
        return result
      } catch (error) {
        if (db.inTransaction) rollback.run()
        throw error
      }
    }

    const read = <A>(fn: () => A): A => {
      beginRead.run()
      try {
        const result = fn()
        commit.run()
        return result
      } catch (error) {
        if (db.inTransaction) rollback.run()
        throw error
      }
    }

    // --- the file it opened -------------------------------------------------

    const identity = path === undefined ? undefined : statSync(path)
    let checkedAt = Date.now()
    let gone: PersistenceError | undefined
    const checkFile = (operation: string, force: boolean): void => {
      if (identity === undefined) return
      if (gone !== undefined) {
        throw new PersistenceError({ operation, reason: "unavailable", path, detail: gone.detail })
      }
      const now = Date.now()
      if (!force && now - checkedAt < options.fileCheckMillis) return
      checkedAt = now
      const current = statSync(path!, { throwIfNoEntry: false })
      const what = current === undefined
        ? "was removed"
        : current.ino !== identity.ino || current.dev !== identity.dev
        ? "was replaced by another file"
        : undefined
      if (what === undefined) return
      gone = new PersistenceError({
        operation,
        reason: "unavailable",
        path,
        detail: `the database file ${what} while the store had it open; ` +
          "nothing more is written to it (restore the file and restart the process)"
      })
      throw gone
    }

    // --- the SqlClient on the same connection --------------------------------

    const semaphore = yield* Effect.makeSemaphore(1)
    const sqlError = (cause: unknown) => new SqlError({ cause, message: "Failed to execute statement" })
    const execute = (statement: Database.Statement, params: ReadonlyArray<unknown>, raw: boolean) =>
      Effect.try({
        try: (): ReadonlyArray<unknown> => {
          if (statement.reader) return statement.all(...params)
          const result = statement.run(...params)
          return raw ? result as unknown as ReadonlyArray<unknown> : []
        },
        catch: sqlError
      })
    const connection: SqlConnection.Connection = {
      execute: (sql, params, transformRows) =>
        Effect.flatMap(Effect.try({ try: () => prepare(sql), catch: sqlError }), (statement) =>
          Effect.map(execute(statement, params, false), (rows) =>
            transformRows === undefined ? rows : transformRows(rows as ReadonlyArray<object>))),
      executeRaw: (sql, params) =>
        Effect.flatMap(Effect.try({ try: () => prepare(sql), catch: sqlError }), (statement) =>
          execute(statement, params, true)),
      executeValues: (sql, params) =>
        Effect.try({
          try: () => {
            const statement = prepare(sql)
            if (!statement.reader) {
              statement.run(...params)
              return []
            }
            statement.raw(true)
            try {
              return statement.all(...params) as ReadonlyArray<ReadonlyArray<unknown>>
            } finally {
              statement.raw(false)
            }
          },
          catch: sqlError
        }),
      executeUnprepared: (sql, params, transformRows) =>
        Effect.flatMap(Effect.try({ try: () => db.prepare(sql), catch: sqlError }), (statement) =>
          Effect.map(execute(statement, params ?? [], false), (rows) =>
            transformRows === undefined ? rows : transformRows(rows as ReadonlyArray<object>))),
      executeStream: () => Stream.die(new Error("executeStream is not supported by weft's SQLite connection"))
    }
    const client = yield* SqlClient.make({
      acquirer: semaphore.withPermits(1)(Effect.succeed(connection)),
      transactionAcquirer: Effect.uninterruptibleMask((restore) =>
        Effect.as(
          Effect.zipRight(
            restore(semaphore.take(1)),
            Effect.tap(Effect.scope, (scope) => Scope.addFinalizer(scope, semaphore.release(1)))
          ),
          connection
        )
      ),
      compiler: Statement.makeCompilerSqlite(),
      spanAttributes: [["db.system.name", "sqlite"]],
      beginTransaction: "BEGIN IMMEDIATE"
    }).pipe(Effect.provideServiceEffect(Reactivity.Reactivity, Reactivity.make))

    // --- hot-path work as effects -------------------------------------------

    const attempt = <A>(operation: string, fn: () => A): Effect.Effect<A, PersistenceError> => {
      try {
        return Effect.succeed(fn())
      } catch (error) {
        return Effect.fail(fromDriver(operation, path, error))
      }
    }
    const run = <A>(operation: string, fn: () => A): Effect.Effect<A, PersistenceError> =>
      Effect.suspend(() =>
        db.inTransaction
          ? semaphore.withPermits(1)(Effect.suspend(() => attempt(operation, fn)))
          : attempt(operation, fn)
      )
    const whenFree = (fn: () => void): void => {
      if (!db.inTransaction) return fn()
      Effect.runFork(semaphore.withPermits(1)(Effect.sync(fn)))
    }

    return { db, path, client, stats, prepare, write, read, checkFile, run, whenFree } satisfies Connection
  })
