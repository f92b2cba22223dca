/**
 * SQLite faults as `PersistenceError`s: the `reason` from the SQLite result
 * code (looked up through a `SqlError`'s `cause` chain), and a message that
 * says what is wrong with the file when the driver's says only "unable to
 * open database file".
 *
 * | result code                                 | reason          |
 * |---------------------------------------------|-----------------|
 * | `SQLITE_BUSY*`, `SQLITE_LOCKED*`            | `"locked"`      |
 * | `SQLITE_READONLY_DBMOVED`                   | `"unavailable"` (the file was removed or renamed) |
 * | `SQLITE_READONLY*`                          | `"read-only"`   |
 * | `SQLITE_CORRUPT*`, `SQLITE_NOTADB`          | `"corrupt"`     |
 * | `SQLITE_CANTOPEN*`                          | `"read-only"` when the file or its folder cannot be written, else `"unavailable"` |
 * | `SQLITE_IOERR*`, `SQLITE_FULL`, `SQLITE_PERM`, `SQLITE_NOLFS`, `SQLITE_PROTOCOL` | `"unavailable"` |
 * | anything else                               | `"unknown"`     |
 *
 * @internal
 */
import { accessSync, constants, existsSync, statSync } from "node:fs"
import { dirname } from "node:path"
import { PersistenceError } from "../../../Errors.js"
import { decodeFault } from "../faults.js"
import { RowDecodeError } from "../schema.js"

type Reason = PersistenceError["reason"]

/** The SQLite result code and message of a driver error, looking through `cause`s. */
export const sqliteErrorOf = (u: unknown): { readonly code: string; readonly message: string } | undefined => {
  let current = u
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const code: unknown = (current as { readonly code?: unknown }).code
    if (typeof code === "string" && code.startsWith("SQLITE_")) {
      const message: unknown = (current as { readonly message?: unknown }).message
      return { code, message: typeof message === "string" ? message : code }
    }
    current = (current as { readonly cause?: unknown }).cause
  }
  return undefined
}

/** The innermost message of an error chain (the driver's, not a wrapper's). */
const innermostMessage = (u: unknown): string | undefined => {
  let message: string | undefined
  let current = u
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    const m: unknown = (current as { readonly message?: unknown }).message
    if (typeof m === "string" && m.length > 0) message = m
    current = (current as { readonly cause?: unknown }).cause
  }
  return message ?? (typeof u === "string" ? u : undefined)
}

/** Whether a result code (extended or primary) is one of `primary`'s family. */
const isCode = (code: string, primary: string): boolean => code === primary || code.startsWith(`${primary}_`)

/** The reason of a SQLite result code, before looking at the file. */
export const reasonOfCode = (code: string): Reason => {
  if (isCode(code, "SQLITE_BUSY") || isCode(code, "SQLITE_LOCKED")) return "locked"
  if (code === "SQLITE_READONLY_DBMOVED") return "unavailable"
  if (isCode(code, "SQLITE_READONLY")) return "read-only"
  if (isCode(code, "SQLITE_CORRUPT") || isCode(code, "SQLITE_NOTADB")) return "corrupt"
  if (
    isCode(code, "SQLITE_CANTOPEN") || isCode(code, "SQLITE_IOERR") || isCode(code, "SQLITE_FULL") ||
    isCode(code, "SQLITE_PERM") || isCode(code, "SQLITE_NOLFS") || isCode(code, "SQLITE_PROTOCOL")
  ) return "unavailable"
  return "unknown"
}

const writable = (path: string): boolean => {
  try {
    accessSync(path, constants.W_OK)
    return true
  } catch {
    return false
  }
}

const isDirectory = (path: string): boolean => {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/**
 * What is wrong with a database path that SQLite cannot open or write, in
 * words, when the file system tells: a missing folder, a folder given as the
 * file, a read-only file, a folder where the file (or its `-wal`/`-shm`
 * companions) cannot be created. `undefined` when nothing is visibly wrong.
 */
export const diagnosePath = (path: string): { readonly reason: Reason; readonly detail: string } | undefined => {
  if (path === "" || path === ":memory:" || path.startsWith("file:")) return undefined
  const dir = dirname(path)
  if (!existsSync(dir)) {
    return { reason: "unavailable", detail: `the folder ${dir} does not exist` }
  }
  if (isDirectory(path)) {
    return { reason: "unavailable", detail: `${path} is a folder, not a database file` }
  }
  if (existsSync(path) && !writable(path)) {
    return {
      reason: "read-only",
      detail: `the database file is read-only (no write permission on ${path}); weft needs to write it`
    }
  }
  if (!writable(dir)) {
    return {
      reason: "read-only",
      detail: `the folder ${dir} cannot be written: SQLite needs to create the database file ` +
        `and its -wal and -shm files there`
    }
  }
  return undefined
}

/** better-sqlite3 raises a `TypeError` for a closed connection or a missing folder. */
const isConnectionGone = (message: string): boolean =>
  message.includes("database connection is not open") || message.includes("directory does not exist")

/**
 * Maps a driver fault (a `SqliteError`, a `SqlError` wrapping one, a
 * `TypeError` of the driver, a row that does not read back) to a
 * `PersistenceError` of `operation` on the file `path`.
 */
export const fromDriver = (
  operation: string,
  path: string | undefined,
  cause: unknown,
  fallback: Reason = "unknown"
): PersistenceError => {
  if (cause instanceof PersistenceError) return cause
  if (cause instanceof RowDecodeError) return decodeFault(operation, path, cause)
  const sqlite = sqliteErrorOf(cause)
  const message = sqlite?.message ?? innermostMessage(cause) ?? String(cause)
  let reason: Reason = sqlite !== undefined
    ? reasonOfCode(sqlite.code)
    : isConnectionGone(message)
    ? "unavailable"
    : fallback
  let detail = sqlite === undefined ? message : `${message} (${sqlite.code})`
  if (sqlite?.code === "SQLITE_READONLY_DBMOVED") {
    detail = `the database file was removed or renamed while the store had it open (${sqlite.code})`
  } else if (
    path !== undefined &&
    (reason === "read-only" || isCode(sqlite?.code ?? "", "SQLITE_CANTOPEN") || isConnectionGone(message))
  ) {
    const diagnosis = diagnosePath(path)
    if (diagnosis !== undefined) {
      reason = diagnosis.reason
      detail = `${diagnosis.detail} (${sqlite?.code ?? message})`
    } else if (reason === "read-only") {
      detail = `the database is read-only: ${detail}`
    }
  } else if (reason === "corrupt") {
    detail = `the file is not a weft database, or it is damaged: ${detail}`
  }
  return new PersistenceError({ operation, reason, path, detail, cause })
}

/** Whether a thrown value is a constraint failure of SQLite (a statement refused, the transaction intact). */
export const isConstraint = (u: unknown): boolean => {
  const sqlite = sqliteErrorOf(u)
  return sqlite !== undefined && isCode(sqlite.code, "SQLITE_CONSTRAINT")
}
