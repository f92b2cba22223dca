/**
 * A `SnapshotStore` over the generic `SqlClient`: the store's semantics
 * (fencing refusals told apart, claims, cancellation, signals, paging, the
 * encoding of ids, the mapping of faults) written once, over a
 * {@link Dialect} that holds the SQL of one database. The PostgreSQL store
 * (`weftjs/pg`) is this over `./pg/queries.ts`; a SQLite dialect over a
 * user's own `SqlClient` would be another `Dialect`.
 *
 * A dialect's queries take and return *stored* text (already through
 * {@link Dialect.encode}) and raw rows; this module encodes what it is
 * given, decodes what it reads, and turns every fault (a `SqlError`, a row
 * that does not read back, a transaction's commit that failed) into a typed
 * `PersistenceError`.
 *
 * @internal
 */
import type { Service } from "../../SnapshotStore.js"
import type { Dialect } from "./dialect.js"
import { claims } from "./store/claims.js"
import { makeIo } from "./store/io.js"
import { reads } from "./store/reads.js"
import { signals } from "./store/signals.js"
import { writes } from "./store/writes.js"

/** Builds a store over a dialect. */
export const makeSqlStore = (dialect: Dialect): Service => {
  const io = makeIo(dialect)
  return { ...claims(io), ...writes(io), ...reads(io), ...signals(io), wakeups: dialect.wakeups }
}
