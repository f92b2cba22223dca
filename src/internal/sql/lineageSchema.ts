/**
 * Migration 12 (`schema.ts` runs it): a run's lineage in columns of
 * `weft_runs`, so that forks can be listed by SQL: `forked_from` (the
 * original run), `forked_after` (the step of the original after which the
 * fork starts) and `migrated_from` (`name@version`: the version the run was
 * on before its last migration, or its original's when it was forked onto
 * another version), with a partial index of forks by original.
 *
 * Runs forked or migrated before migration 12 kept their lineage only in
 * their state (the position marker, `~position`): the migration backfills
 * the columns from it. A fork's first state holds its marker, whose last
 * `fork` crossing is its own (a fork of a fork carries its original's
 * crossings before it), with a `migration` crossing at seq 0 right before
 * it when the fork was made onto another version; a run migrated in flight
 * has a migration checkpoint whose delta sets the marker, the last
 * migration crossing being that one.
 *
 * @internal
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Effect } from "effect"
import { encodeText } from "./pg/text.js"

/** The DDL of migration 12, per dialect. */
export const lineageDdl = {
  sqlite: [
    `ALTER TABLE weft_runs ADD COLUMN forked_from TEXT`,
    `ALTER TABLE weft_runs ADD COLUMN forked_after TEXT`,
    `ALTER TABLE weft_runs ADD COLUMN migrated_from TEXT`,
    `CREATE INDEX IF NOT EXISTS weft_runs_forked_from ON weft_runs (forked_from, created_at, run_id) WHERE forked_from IS NOT NULL`
  ],
  pg: [
    `ALTER TABLE weft_runs ADD COLUMN IF NOT EXISTS forked_from TEXT`,
    `ALTER TABLE weft_runs ADD COLUMN IF NOT EXISTS forked_after TEXT`,
    `ALTER TABLE weft_runs ADD COLUMN IF NOT EXISTS migrated_from TEXT`,
    `CREATE INDEX IF NOT EXISTS weft_runs_forked_from ON weft_runs (forked_from, created_at, run_id) WHERE forked_from IS NOT NULL`
  ]
} as const

/** A crossing of a stored position marker (see `internal/run/position.ts`), as far as the backfill reads it. */
interface StoredCrossing {
  readonly kind?: unknown
  readonly from?: unknown
  readonly step?: unknown
  readonly seq?: unknown
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The crossings of the marker under `path` of a JSON text (`[]` when it holds none, or is not JSON). */
const crossingsIn = (text: unknown, path: ReadonlyArray<string>): ReadonlyArray<StoredCrossing> => {
  if (typeof text !== "string") return []
  let node: unknown
  try {
    node = JSON.parse(text)
  } catch {
    return []
  }
  for (const key of path) node = isObject(node) ? node[key] : undefined
  const lineage = isObject(node) ? node.lineage : undefined
  return Array.isArray(lineage) ? lineage.filter(isObject) : []
}

/** What a run's columns are backfilled with. */
interface Backfill {
  forkedFrom: string | null
  forkedAfter: string | null
  migratedFrom: string | null
}

/** A fork's columns from the marker of its first state. */
const fromFirstState = (crossings: ReadonlyArray<StoredCrossing>): Backfill | undefined => {
  let i = crossings.length - 1
  while (i >= 0 && crossings[i]!.kind !== "fork") i--
  const fork = crossings[i]
  if (fork === undefined || typeof fork.from !== "string" || typeof fork.step !== "string") return undefined
  const before = crossings[i - 1]
  const migrated = before !== undefined && before.kind === "migration" && before.seq === 0 && typeof before.from === "string"
  return { forkedFrom: fork.from, forkedAfter: fork.step, migratedFrom: migrated ? before.from as string : null }
}

/**
 * Fills the lineage columns of the runs forked or migrated before migration
 * 12 from their position markers (table names as the prefix makes them).
 * Text written to PostgreSQL is escaped as its store escapes it.
 */
export const backfillLineage = (
  client: SqlClient.SqlClient,
  names: { readonly runs: string; readonly steps: string; readonly snapshots: string }
) =>
  Effect.gen(function*() {
    const sql = client.withoutTransforms()
    const encode = sql.onDialectOrElse({ pg: () => encodeText, orElse: () => (s: string) => s })
    const found = new Map<unknown, Backfill>()
    const firstStates = yield* sql<{ readonly run_id: unknown; readonly state: unknown }>`SELECT run_id,
  COALESCE(initial, state) AS state FROM ${sql(names.snapshots)} WHERE COALESCE(initial, state) LIKE ${"%\"~position\"%"}`
    for (const row of firstStates) {
      const fork = fromFirstState(crossingsIn(row.state, ["entries", "~position", "value"]))
      if (fork !== undefined) found.set(row.run_id, fork)
    }
    const checkpoints = yield* sql<{ readonly run_id: unknown; readonly delta: unknown }>`SELECT run_id, delta
FROM ${sql(names.steps)} WHERE delta LIKE ${"%\"~position\"%"} ORDER BY run_id, seq`
    for (const row of checkpoints) {
      const last = crossingsIn(row.delta, ["set", "~position", "value"]).at(-1)
      if (last?.kind !== "migration" || typeof last.from !== "string") continue
      const known = found.get(row.run_id) ?? { forkedFrom: null, forkedAfter: null, migratedFrom: null }
      known.migratedFrom = last.from
      found.set(row.run_id, known)
    }
    const text = (s: string | null) => s === null ? null : encode(s)
    for (const [runId, columns] of found) {
      yield* sql`UPDATE ${sql(names.runs)} SET forked_from = ${text(columns.forkedFrom)},
  forked_after = ${text(columns.forkedAfter)}, migrated_from = ${text(columns.migratedFrom)} WHERE run_id = ${runId as string}`
    }
  })
