/**
 * The SQL of the SQLite store's hot path, prepared once per connection.
 *
 * A run's cursor (`seq`) and the step part of its `updated_at` are read from
 * its last step row (`(run_id, seq)` is the steps' primary key, so that is
 * one index probe), not kept in `weft_runs` by the checkpoint: a checkpoint
 * is then one fenced INSERT, which costs ~1.05× a plain INSERT where
 * INSERT + UPDATE of the run (or the 0.1 trigger) costs ~1.25–1.35×
 * (bench/README.md). `updated_at` reads as the later of the run row's (set
 * by create, pause, finish, cancel) and the last step's end.
 *
 * @internal
 */
import type Database from "better-sqlite3"
import { activeStatuses as active, activeTerm, finalStatuses as final, signalColumns, stepColumns } from "../schema.js"

/** A run's record with its cursor, from `weft_runs r`; add a `WHERE` on `r.`. */
export const runSelect = `SELECT r.run_id, r.template_name, r.template_version, r.status,
  COALESCE(s.seq, 0) AS seq, r.created_at, MAX(r.updated_at, COALESCE(s.ended_at, r.updated_at)) AS updated_at,
  r.expires_at, r.error, r.timeout_ms, r.elapsed_ms, r.wake_at, r.waiting_for, r.parent_id, r.root_id, r.queue,
  r.owner, r.lease_until, r.generation, r.trace_context, r.template_fingerprint
FROM weft_runs r
LEFT JOIN weft_steps s ON s.run_id = r.run_id AND s.seq = (SELECT MAX(m.seq) FROM weft_steps m WHERE m.run_id = r.run_id)`

/** What a run is claimable in, at `now`: no owner, a passed lease, or (optionally) a given dead owner. */
const claimable = "(owner IS NULL OR COALESCE(lease_until, 0) <= @now OR owner = @takeOverFrom)"

const take = "status = 'running', owner = @owner, lease_until = @leaseUntil, generation = generation + 1, " +
  "wake_at = NULL, waiting_for = NULL"

/** The SQL of the statements, by name. */
export const statementSql = {
  insertRun: `INSERT INTO weft_runs (run_id, template_name, template_version, status, seq, created_at,
  updated_at, timeout_ms, elapsed_ms, parent_id, root_id, queue, owner, lease_until, generation, trace_context,
  template_fingerprint)
VALUES (?, ?, ?, ?, 0, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`,
  upsertSnapshot: `INSERT INTO weft_snapshots (run_id, seq, state) VALUES (?, ?, ?)
ON CONFLICT (run_id) DO UPDATE SET seq = excluded.seq, state = excluded.state`,
  selectRun: `${runSelect} WHERE r.run_id = ?`,
  statusOf: `SELECT status, owner, lease_until, generation, root_id FROM weft_runs WHERE run_id = ?`,
  claim: `UPDATE weft_runs SET ${take} WHERE run_id = @runId AND status IN ${active} AND ${claimable}`,
  take: `UPDATE weft_runs SET ${take} WHERE run_id = @runId`,
  holders: `SELECT DISTINCT owner FROM weft_runs WHERE status = 'running' AND owner IS NOT NULL AND lease_until > ?
  AND ${activeTerm}`,
  heartbeat: `UPDATE weft_runs SET elapsed_ms = elapsed_ms + MAX(0, ? - COALESCE(lease_until, ?)),
  lease_until = ? WHERE owner = ? AND status = 'running' AND ${activeTerm}
RETURNING run_id, generation`,
  /** The checkpoint: inserted only while the lease's generation holds the running run. */
  insertStep: `INSERT INTO weft_steps (${stepColumns})
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM weft_runs WHERE run_id = ? AND status = 'running' AND generation = ?`,
  pause: `UPDATE weft_runs SET status = ?, owner = NULL, lease_until = NULL, updated_at = ?,
  elapsed_ms = elapsed_ms + ?, wake_at = ?, waiting_for = ?
WHERE run_id = ? AND status = 'running' AND generation = ?`,
  finish: `UPDATE weft_runs SET status = ?, error = ?, expires_at = ?, owner = NULL, lease_until = NULL,
  wake_at = NULL, waiting_for = NULL, updated_at = ?, elapsed_ms = elapsed_ms + ?
WHERE run_id = ? AND status = 'running' AND generation = ?`,
  cancel: `WITH RECURSIVE tree(run_id) AS (
  SELECT ? UNION SELECT r.run_id FROM weft_runs r JOIN tree t ON r.parent_id = t.run_id
)
UPDATE weft_runs SET status = 'cancelled', updated_at = ?, expires_at = ?, owner = NULL, lease_until = NULL,
  wake_at = NULL, waiting_for = NULL
WHERE run_id IN (SELECT run_id FROM tree) AND status IN ${active} RETURNING run_id`,
  snapshotOf: `SELECT seq, state FROM weft_snapshots WHERE run_id = ?`,
  stepsAfter: `SELECT ${stepColumns} FROM weft_steps WHERE run_id = ? AND seq > ? ORDER BY seq`,
  completedKeys: `SELECT step_key FROM weft_steps WHERE run_id = ? AND status <> 'failed' ORDER BY seq`,
  expiredSteps: `DELETE FROM weft_steps WHERE run_id IN
  (SELECT run_id FROM weft_runs WHERE status IN ${final} AND expires_at < ?)`,
  expiredSnapshots: `DELETE FROM weft_snapshots WHERE run_id IN
  (SELECT run_id FROM weft_runs WHERE status IN ${final} AND expires_at < ?)`,
  expiredSignals: `DELETE FROM weft_signals WHERE run_id IN
  (SELECT run_id FROM weft_runs WHERE status IN ${final} AND expires_at < ?)`,
  expiredSearch: `DELETE FROM weft_search WHERE run_id IN
  (SELECT run_id FROM weft_runs WHERE status IN ${final} AND expires_at < ?)`,
  expiredHistory: `DELETE FROM weft_history WHERE run_id IN
  (SELECT run_id FROM weft_runs WHERE status IN ${final} AND expires_at < ?)`,
  /** A search attribute of a run (run id, name, text, number, the run's creation time). */
  upsertSearch: `INSERT INTO weft_search (run_id, name, value_text, value_num, created_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (run_id, name) DO UPDATE SET value_text = excluded.value_text, value_num = excluded.value_num`,
  /** A search attribute set by a checkpoint: the run's creation time read from its row. */
  stepSearch: `INSERT INTO weft_search (run_id, name, value_text, value_num, created_at)
SELECT run_id, ?, ?, ?, created_at FROM weft_runs WHERE run_id = ?
ON CONFLICT (run_id, name) DO UPDATE SET value_text = excluded.value_text, value_num = excluded.value_num`,
  deleteSearch: `DELETE FROM weft_search WHERE run_id = ? AND name = ?`,
  searchOf: `SELECT name, value_text, value_num FROM weft_search WHERE run_id = ? ORDER BY name`,
  historyOf: `SELECT run_id, at, kind, status_from, status_to, owner_from, owner_to, generation, wake_at, detail
FROM weft_history WHERE run_id = ? ORDER BY id`,
  expiredRuns: `DELETE FROM weft_runs WHERE status IN ${final} AND expires_at < ?`,
  pendingSignal: `SELECT 1 AS one FROM weft_signals WHERE run_id = ? AND name = ? AND consumed_by IS NULL LIMIT 1`,
  insertSignal: `INSERT INTO weft_signals (run_id, name, payload, received_at, consumed_by)
VALUES (?, ?, ?, ?, NULL)`,
  wakeRoot: `UPDATE weft_runs SET wake_at = MIN(COALESCE(wake_at, @at), @at) WHERE run_id = @root AND status = 'suspended'`,
  ownSignal: `SELECT ${signalColumns} FROM weft_signals
WHERE run_id = ? AND name = ? AND consumed_by = ? ORDER BY id LIMIT 1`,
  consumeSignal: `UPDATE weft_signals SET consumed_by = ? WHERE id = (SELECT id FROM weft_signals
  WHERE run_id = ? AND name = ? AND consumed_by IS NULL ORDER BY id LIMIT 1) RETURNING ${signalColumns}`,
  signals: `SELECT ${signalColumns} FROM weft_signals WHERE run_id = ? ORDER BY id`,
  steps: `SELECT ${stepColumns} FROM weft_steps WHERE run_id = ? ORDER BY seq`
} as const

/** The prepared statements of one connection. */
export type Statements = { readonly [K in keyof typeof statementSql]: Database.Statement }

/** The statements, prepared on one connection. */
export const prepareStatements = (prepare: (sql: string) => Database.Statement): Statements => {
  const prepared: Partial<Record<keyof typeof statementSql, Database.Statement>> = {}
  for (const name of Object.keys(statementSql) as Array<keyof typeof statementSql>) prepared[name] = prepare(statementSql[name])
  return prepared as Statements
}

/**
 * `claimNext`'s candidates: top-level runs of the given templates that need
 * an engine, oldest first; orphaned and due ones only of `recoverQueues`
 * queues when it is a number. One text per number of templates and queues
 * (cached by the connection). Parameters: the templates' names and
 * versions, `now`, the dead owners, `now`, the recover queues, the queues, the limit.
 */
export const claimNextSql = (
  templates: number,
  queues: number,
  recoverQueues?: number | undefined,
  deadOwners = 0
): string => {
  const known = Array.from({ length: templates }, () => "(template_name = ? AND template_version = ?)").join(" OR ")
  const list = (n: number) => Array(n).fill("?").join(", ")
  const dead = deadOwners === 0 ? "" : ` OR owner IN (${list(deadOwners)})`
  const recoverable = `(status = 'running' AND (owner IS NULL OR COALESCE(lease_until, 0) <= ?${dead}))\n  ` +
    "OR (status = 'suspended' AND wake_at <= ?)"
  const recover = recoverQueues === undefined
    ? recoverable
    : recoverQueues === 0
    ? "(0 AND ? AND ?)"
    : `((${recoverable}) AND queue IN (${list(recoverQueues)}))`
  const queued = queues === 0 ? "" : ` OR (status = 'queued' AND queue IN (${list(queues)}))`
  return `SELECT run_id FROM weft_runs WHERE ${activeTerm} AND parent_id IS NULL AND (${known}) AND (
  ${recover}${queued}
) ORDER BY created_at, run_id LIMIT ?`
}
