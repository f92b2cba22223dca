/**
 * What both SQL backends' fault mappings share: a row that does not read
 * back, and a failed migration (the driver's fault inside it, or the
 * migrator's own).
 *
 * @internal
 */
import * as Migrator from "@effect/sql/Migrator"
import { PersistenceError } from "../../Errors.js"
import type { RowDecodeError } from "./schema.js"

/** A backend's mapping of a driver fault to a `PersistenceError`. */
export type FromDriver = (operation: string, path: string | undefined, cause: unknown) => PersistenceError

/** A stored value that does not read back, as a `PersistenceError` of reason `decode`. */
export const decodeFault = (operation: string, path: string | undefined, cause: RowDecodeError): PersistenceError =>
  new PersistenceError({
    operation,
    reason: "decode",
    path,
    detail: `a stored value does not read back: ${cause.message}`,
    cause
  })

/** A migration's fault: the driver's fault of a failed migration (mapped by `fromDriver`), or the migrator's own. */
export const migrationFault = (fromDriver: FromDriver, path: string, error: unknown): PersistenceError => {
  if (error instanceof Migrator.MigrationError) {
    if (error.cause !== undefined) return fromDriver("migrate", path, error.cause)
    return new PersistenceError({
      operation: "migrate",
      reason: error.reason === "locked" ? "locked" : "unknown",
      path,
      detail: error.message,
      cause: error
    })
  }
  return fromDriver("migrate", path, error)
}

/** `createRun` refused: a run with that id exists (nothing was written). */
export const duplicateRun = (runId: string, path: string | undefined): PersistenceError =>
  new PersistenceError({
    operation: "createRun",
    reason: "duplicate",
    path,
    detail: `a run with id ${JSON.stringify(runId)} already exists; nothing was written`
  })
