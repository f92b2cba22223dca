/**
 * PostgreSQL faults as `PersistenceError`s: the `reason` from the SQLSTATE of
 * the server's error (looked up through a `SqlError`'s `cause` chain), or
 * from the socket error when there was no server to answer.
 *
 * | SQLSTATE / fault                                        | reason          |
 * |---------------------------------------------------------|-----------------|
 * | class `08` (connection), `57P01`–`57P04` (shutdown, `pg_terminate_backend`, database dropped), class `53` (too many connections, disk full, out of memory), class `58` (I/O), `3D000` (no such database) | `"unavailable"` |
 * | a refused, reset or timed-out socket; "Connection terminated"; a pool that ended | `"unavailable"` |
 * | `40001` (serialization), `40P01` (deadlock), `55P03` (lock not available), `57014` (statement cancelled or timed out) | `"locked"` |
 * | `23505` (unique violation)                              | `"duplicate"`   |
 * | `25006` (read-only transaction: a standby), `42501` (no privilege) | `"read-only"` |
 * | `XX001`, `XX002` (data or index corrupted), `42P01`, `42703` (a weft table or column is missing) | `"corrupt"` |
 * | a stored value that does not read back                  | `"decode"`      |
 * | anything else                                           | `"unknown"`     |
 *
 * @internal
 */
import { PersistenceError } from "../../../Errors.js"
import { decodeFault } from "../faults.js"
import { RowDecodeError } from "../schema.js"

type Reason = PersistenceError["reason"]

interface ServerError {
  readonly code: string
  readonly message: string
}

const isObject = (u: unknown): u is Readonly<Record<string, unknown>> => typeof u === "object" && u !== null

/** The error objects of a chain: the value, its `cause`s, and the `errors` of an `AggregateError`. */
const chain = (u: unknown): ReadonlyArray<Readonly<Record<string, unknown>>> => {
  const found: Array<Readonly<Record<string, unknown>>> = []
  const frontier: Array<unknown> = [u]
  while (frontier.length > 0 && found.length < 16) {
    const current = frontier.shift()
    if (!isObject(current) || found.includes(current)) continue
    found.push(current)
    frontier.push(current.cause)
    if (Array.isArray(current.errors)) frontier.push(...current.errors)
  }
  return found
}

/** The SQLSTATE and message of the server's error in a chain, if the server answered. */
export const serverErrorOf = (u: unknown): ServerError | undefined => {
  for (const e of chain(u)) {
    if (typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === "string") {
      return { code: e.code, message: typeof e.message === "string" ? e.message : e.code }
    }
  }
  return undefined
}

const socketCodes: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENOENT"
])

/** Messages of `pg` and `pg-pool` for a connection that is gone or could not be made. */
const connectionGone =
  /connection terminated|not queryable|connection timeout|timeout exceeded when trying to connect|cannot use a pool after calling end|client was closed|connection ended|failed to connect|connection timed out|server closed the connection/i

/** The socket error code of a chain (`ECONNREFUSED`, ...), if any. */
const socketErrorOf = (u: unknown): string | undefined => {
  for (const e of chain(u)) {
    if (typeof e.code === "string" && socketCodes.has(e.code)) return e.code
  }
  return undefined
}

/** The innermost message of a chain (the driver's, not a wrapper's). */
const innermostMessage = (u: unknown): string => {
  let message: string | undefined
  for (const e of chain(u)) {
    if (typeof e.message === "string" && e.message.length > 0) message = e.message
  }
  return message ?? String(u)
}

/**
 * Whether `pg` refused a query without sending it: the pooled connection it
 * was given had already failed (a backend terminated while idle, a server
 * restarted). Trying again on another connection is then safe, even for a
 * write.
 */
export const isUnsent = (u: unknown): boolean =>
  serverErrorOf(u) === undefined && chain(u).some((e) => typeof e.message === "string" && /is not queryable/.test(e.message))

/** The reason of a SQLSTATE. */
export const reasonOfState = (code: string): Reason => {
  const cls = code.slice(0, 2)
  if (cls === "08" || cls === "53" || cls === "58") return "unavailable"
  if (code === "57P01" || code === "57P02" || code === "57P03" || code === "57P04" || code === "3D000") {
    return "unavailable"
  }
  if (code === "40001" || code === "40P01" || code === "55P03" || code === "57014") return "locked"
  if (code === "23505") return "duplicate"
  if (code === "25006" || code === "42501") return "read-only"
  if (code === "XX001" || code === "XX002" || code === "42P01" || code === "42703") return "corrupt"
  return "unknown"
}

const explain = (code: string, message: string): string => {
  switch (code) {
    case "57P01":
      return `the server ended the connection (${message}); it is re-opened on the next operation`
    case "25006":
      return `the server is read-only (a standby?): ${message}`
    case "42501":
      return `the database role may not do this: ${message}`
    case "42P01":
    case "42703":
      return `the weft tables are missing or not the expected shape (was the schema dropped?): ${message}`
    case "54000":
      return `a value is too large for an index (ids and names must stay under ~2,700 bytes): ${message}`
    default:
      return message
  }
}

/**
 * Maps a driver fault (a `SqlError` wrapping a `pg` error, a socket error,
 * a row that does not read back) to a `PersistenceError` of `operation` on
 * the server `path`.
 */
export const fromPg = (operation: string, path: string | undefined, cause: unknown): PersistenceError => {
  if (cause instanceof PersistenceError) return cause
  if (cause instanceof RowDecodeError) return decodeFault(operation, path, cause)
  const server = serverErrorOf(cause)
  if (server !== undefined) {
    return new PersistenceError({
      operation,
      reason: reasonOfState(server.code),
      path,
      detail: `${explain(server.code, server.message)} (SQLSTATE ${server.code})`,
      cause
    })
  }
  const socket = socketErrorOf(cause)
  const message = innermostMessage(cause)
  if (socket !== undefined || connectionGone.test(message)) {
    return new PersistenceError({
      operation,
      reason: "unavailable",
      path,
      detail: `the database server cannot be reached: ${message}${socket === undefined ? "" : ` (${socket})`}`,
      cause
    })
  }
  return new PersistenceError({ operation, reason: "unknown", path, detail: message, cause })
}
