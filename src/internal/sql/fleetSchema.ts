/**
 * The DDL of migration 11 (`schema.ts` runs it): the tables of search
 * attributes, run history and workers, and the trigger that records a run's
 * history, for SQLite and PostgreSQL.
 *
 * @internal
 */

/**
 * The tables of migration 11 (the fleet):
 * - `weft_search`: one row per run and search attribute, its value as
 *   number or text, and the run's creation time, indexed by `(name, value,
 *   created_at)` so that a search is one index range;
 * - `weft_history`: an append-only record of what happened to a run that no
 *   other table keeps (claims, hand-backs, suspensions, cancellations,
 *   recoveries), each with a `kind`; written by a trigger on `weft_runs` in
 *   the statement that changes the run, never by a checkpoint;
 * - `weft_workers`: one row per worker process, its heartbeat and the runs in its hand.
 *
 * A later migration that rebuilds `weft_runs` (SQLite) must create the
 * history trigger again.
 */
export const fleetTables = (bigint: string, real: string): ReadonlyArray<string> => [
  `CREATE TABLE IF NOT EXISTS weft_search (
  run_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value_text TEXT,
  value_num ${real},
  created_at ${bigint} NOT NULL,
  PRIMARY KEY (run_id, name)
)`,
  `CREATE INDEX IF NOT EXISTS weft_search_text ON weft_search (name, value_text, created_at)`,
  `CREATE INDEX IF NOT EXISTS weft_search_num ON weft_search (name, value_num, created_at)`,
  `CREATE TABLE IF NOT EXISTS weft_history (
  id ${bigint === "BIGINT" ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY"},
  run_id TEXT NOT NULL,
  at ${bigint} NOT NULL,
  kind TEXT NOT NULL,
  status_from TEXT,
  status_to TEXT,
  owner_from TEXT,
  owner_to TEXT,
  generation ${bigint},
  wake_at ${bigint},
  detail TEXT
)`,
  `CREATE INDEX IF NOT EXISTS weft_history_run ON weft_history (run_id, id)`,
  `CREATE TABLE IF NOT EXISTS weft_workers (
  worker_id TEXT PRIMARY KEY NOT NULL,
  host TEXT NOT NULL,
  pid ${bigint} NOT NULL,
  queues TEXT NOT NULL,
  started_at ${bigint} NOT NULL,
  heartbeat_at ${bigint} NOT NULL,
  lease_until ${bigint} NOT NULL,
  stopped_at ${bigint}
)`
]

/**
 * The history's `kind` of a change of a run row: `claimed` (a new
 * generation; a run created claimed is recorded so too, by an insert trigger), `suspended`, `released` (handed back: running, no owner),
 * `cancelled`, or `status` for any other change of status (a later feature's).
 * Completions and failures are not recorded (the run record has them).
 */
const historyKind = `CASE
    WHEN NEW.generation <> OLD.generation THEN 'claimed'
    WHEN NEW.status = 'suspended' THEN 'suspended'
    WHEN NEW.status = 'cancelled' THEN 'cancelled'
    WHEN NEW.status = 'running' AND NEW.owner IS NULL THEN 'released'
    ELSE 'status' END`

const historyWhen = (distinct: string) =>
  `(NEW.generation <> OLD.generation OR (NEW.status ${distinct} OLD.status AND NEW.status NOT IN ('completed', 'failed'))
  OR (NEW.owner IS NULL AND OLD.owner IS NOT NULL AND NEW.status = 'running'))`

const historyInsert = (now: string) =>
  `INSERT INTO weft_history (run_id, at, kind, status_from, status_to, owner_from, owner_to, generation, wake_at, detail)
  VALUES (NEW.run_id, CASE WHEN NEW.generation <> OLD.generation THEN ${now} ELSE NEW.updated_at END, ${historyKind},
    OLD.status, NEW.status, OLD.owner, NEW.owner, NEW.generation, NEW.wake_at, NEW.waiting_for)`

/** A run created claimed (generation 1) is recorded as claimed by its creator, in the creating statement. */
const createdClaimed = `INSERT INTO weft_history (run_id, at, kind, status_from, status_to, owner_from, owner_to, generation, wake_at, detail)
  VALUES (NEW.run_id, NEW.created_at, 'claimed', NULL, NEW.status, NULL, NEW.owner, NEW.generation, NULL, NULL)`

export const historyTriggerSqlite: ReadonlyArray<string> = [
  `CREATE TRIGGER IF NOT EXISTS weft_runs_history_created AFTER INSERT ON weft_runs
FOR EACH ROW WHEN NEW.owner IS NOT NULL
BEGIN
  ${createdClaimed};
END`,
  `CREATE TRIGGER IF NOT EXISTS weft_runs_history AFTER UPDATE OF status, owner, generation ON weft_runs
FOR EACH ROW WHEN ${historyWhen("IS NOT")}
BEGIN
  ${historyInsert("CAST(ROUND((julianday('now') - 2440587.5) * 86400000) AS INTEGER)")};
END`
]

export const historyTriggerPg: ReadonlyArray<string> = [
  `CREATE OR REPLACE FUNCTION weft_runs_history() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  ${historyInsert("(extract(epoch from clock_timestamp()) * 1000)::bigint")};
  RETURN NULL;
END
$$`,
  `CREATE OR REPLACE FUNCTION weft_runs_history_created() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  ${createdClaimed};
  RETURN NULL;
END
$$`,
  `DROP TRIGGER IF EXISTS weft_runs_history_created ON weft_runs`,
  `CREATE TRIGGER weft_runs_history_created AFTER INSERT ON weft_runs
FOR EACH ROW WHEN (NEW.owner IS NOT NULL) EXECUTE FUNCTION weft_runs_history_created()`,
  `DROP TRIGGER IF EXISTS weft_runs_history ON weft_runs`,
  `CREATE TRIGGER weft_runs_history AFTER UPDATE OF status, owner, generation ON weft_runs
FOR EACH ROW WHEN ${historyWhen("IS DISTINCT FROM")} EXECUTE FUNCTION weft_runs_history()`
]

