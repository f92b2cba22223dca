/**
 * The PostgreSQL store (`weftjs/pg`) over `@effect/sql`'s `SqlClient`: the
 * store's semantics (fencing refusals told apart, claims, cancellation,
 * signals, paging, the encoding of ids, the mapping of faults) here, over a
 * {@link Dialect} that holds its SQL (`../queries.ts`). Only PostgreSQL uses
 * it: the SQLite store (`../../sqlite/`) is written for its own owned
 * connection and group commit.
 *
 * A dialect's queries take and return *stored* text (already through
 * {@link Dialect.encode}) and raw rows; this module encodes what it is
 * given, decodes what it reads, and turns every fault (a `SqlError`, a row
 * that does not read back, a transaction's commit that failed) into a typed
 * `PersistenceError`.
 *
 * @internal
 */
import type { Service } from "../../../../SnapshotStore.js"
import type { Dialect } from "../dialect.js"
import { claims } from "./claims.js"
import { fleet } from "./fleet.js"
import { makeIo } from "./io.js"
import { reads } from "./reads.js"
import { schedules } from "./schedules.js"
import { signals } from "./signals.js"
import { versions } from "./versions.js"
import { writes } from "./writes.js"

/** Builds a store over a dialect. */
export const makeSqlStore = (dialect: Dialect): Service => {
  const io = makeIo(dialect)
  return {
    ...claims(io),
    ...writes(io),
    ...reads(io),
    ...signals(io),
    ...schedules(io),
    ...versions(io),
    ...fleet(io),
    wakeups: dialect.wakeups
  }
}
