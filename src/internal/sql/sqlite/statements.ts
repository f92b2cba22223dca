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
  r.owner, r.lease_until, r.generation, r.trace_context, r.template_fingerprint, r.priority, r.recovery_attempts,
  r.paused_from, r.triggered_by, r.forked_from, r.forked_after, r.migrated_from
FROM weft_runs r
LEFT JOIN weft_steps s ON s.run_id = r.run_id AND s.seq = (SELECT MAX(m.seq) FROM weft_steps m WHERE m.run_id = r.run_id)`

/** What a run is claimable in, at `now`: no owner, a passed lease, or (optionally) a given dead owner. */
const claimable = "(owner IS NULL OR COALESCE(lease_until, 0) <= @now OR owner = @takeOverFrom)"

/** What a claim sets; a claim of a run whose execution died (running, owned) is one more recovery attempt. */
const take = "status = 'running', owner = @owner, lease_until = @leaseUntil, generation = generation + 1, " +
  "wake_at = NULL, waiting_for = NULL, " +
  "recovery_attempts = recovery_attempts + (CASE WHEN status = 'running' AND owner IS NOT NULL THEN 1 ELSE 0 END)"

/** The SQL of the statements, by name. */
export const statementSql = {
  insertRun: `INSERT INTO weft_runs (run_id, template_name, template_version, status, seq, created_at,
  updated_at, timeout_ms, elapsed_ms, parent_id, root_id, queue, owner, lease_until, generation, trace_context,
  template_fingerprint, priority, triggered_by, forked_from, forked_after, migrated_from)
VALUES (?, ?, ?, ?, 0, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING`,
  /** The run's first state (seq 0) is kept in `initial` when a later snapshot first replaces it. */
  upsertSnapshot: `INSERT INTO weft_snapshots (run_id, seq, state) VALUES (?, ?, ?)
ON CONFLICT (run_id) DO UPDATE SET seq = excluded.seq, state = excluded.state,
  initial = COALESCE(weft_snapshots.initial, CASE WHEN weft_snapshots.seq = 0 THEN weft_snapshots.state END)`,
  selectRun: `${runSelect} WHERE r.run_id = ?`,
  /** The status of each run of a JSON array of ids (`NULL` for an id that names no run). */
  statusesOf: `SELECT j.value AS run_id, r.status FROM json_each(?) j LEFT JOIN weft_runs r ON r.run_id = j.value`,
  statusOf: `SELECT status, owner, lease_until, generation, root_id, paused_from FROM weft_runs WHERE run_id = ?`,
  claim: `UPDATE weft_runs SET ${take} WHERE run_id = @runId AND status IN ${active} AND status <> 'paused'
  AND paused_from IS NULL AND ${claimable}`,
  take: `UPDATE weft_runs SET ${take} WHERE run_id = @runId`,
  holders: `SELECT DISTINCT owner FROM weft_runs WHERE status = 'running' AND owner IS NOT NULL AND lease_until > ?
  AND ${activeTerm}`,
  heartbeat: `UPDATE weft_runs SET elapsed_ms = elapsed_ms + MAX(0, ? - COALESCE(lease_until, ?)),
  lease_until = ? WHERE owner = ? AND status = 'running' AND ${activeTerm}
RETURNING run_id, generation, paused_from`,
  /** The checkpoint: inserted only while the lease's generation holds the running run. */
  insertStep: `INSERT INTO weft_steps (${stepColumns})
SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM weft_runs WHERE run_id = ? AND status = 'running' AND generation = ?`,
  /** A hand-back or suspension; `paused` instead when a pause was asked (`paused_from` set). */
  pause: `UPDATE weft_runs SET status = CASE WHEN paused_from IS NULL THEN @status ELSE 'paused' END,
  paused_from = CASE WHEN paused_from IS NULL THEN NULL ELSE @status END, owner = NULL, lease_until = NULL,
  updated_at = @updatedAt, elapsed_ms = elapsed_ms + @elapsedMillis, wake_at = @wakeAt, waiting_for = @waitingFor,
  recovery_attempts = 0
WHERE run_id = @runId AND status = 'running' AND generation = @generation`,
  finish: `UPDATE weft_runs SET status = ?, error = ?, expires_at = ?, owner = NULL, lease_until = NULL,
  wake_at = NULL, waiting_for = NULL, paused_from = NULL, updated_at = ?, elapsed_ms = elapsed_ms + ?
WHERE run_id = ? AND status = 'running' AND generation = ?`,
  cancel: `WITH RECURSIVE tree(run_id) AS (
  SELECT ? UNION SELECT r.run_id FROM weft_runs r JOIN tree t ON r.parent_id = t.run_id
)
UPDATE weft_runs SET status = 'cancelled', updated_at = ?, expires_at = ?, owner = NULL, lease_until = NULL,
  wake_at = NULL, waiting_for = NULL, paused_from = NULL
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
  wakeRoot: `UPDATE weft_runs SET wake_at = MIN(COALESCE(wake_at, @at), @at)
WHERE run_id = @root AND (status = 'suspended' OR (status = 'paused' AND paused_from = 'suspended'))`,
  /** Runs whose engine is gone after a pause was asked of them: paused. */
  parkAsked: `UPDATE weft_runs SET status = 'paused', owner = NULL, lease_until = NULL, updated_at = @now
WHERE status = 'running' AND ${activeTerm} AND paused_from IS NOT NULL AND (owner IS NULL OR COALESCE(lease_until, 0) <= @now)`,
  deadLetter: `UPDATE weft_runs SET status = 'failed', error = @error, expires_at = @expiresAt, owner = NULL,
  lease_until = NULL, wake_at = NULL, waiting_for = NULL, paused_from = NULL, updated_at = @now WHERE run_id = @runId`,
  pauseAsk: `UPDATE weft_runs SET paused_from = 'running' WHERE run_id = ?`,
  startsPrune: `DELETE FROM weft_queue_starts WHERE queue = ? AND started_at <= ?`,
  startsCount: `SELECT count(*) FROM weft_queue_starts WHERE queue = ? AND started_at > ?`,
  startsInsert: `INSERT INTO weft_queue_starts (queue, started_at) VALUES (?, ?)`,
  pauseNow: `UPDATE weft_runs SET status = 'paused', paused_from = status, owner = NULL, lease_until = NULL,
  updated_at = MAX(updated_at, ?) WHERE run_id = ?`,
  unpause: `UPDATE weft_runs SET status = CASE WHEN status = 'paused' THEN paused_from ELSE status END,
  paused_from = NULL, updated_at = MAX(updated_at, ?)
WHERE run_id = ? AND paused_from IS NOT NULL AND status IN ('paused', 'running') RETURNING status`,
  ownSignal: `SELECT ${signalColumns} FROM weft_signals
WHERE run_id = ? AND name = ? AND consumed_by = ? ORDER BY id LIMIT 1`,
  consumeSignal: `UPDATE weft_signals SET consumed_by = ? WHERE id = (SELECT id FROM weft_signals
  WHERE run_id = ? AND name = ? AND consumed_by IS NULL ORDER BY id LIMIT 1) RETURNING ${signalColumns}`,
  signals: `SELECT ${signalColumns} FROM weft_signals WHERE run_id = ? ORDER BY id`,
  /** A run's first state: kept aside, or the snapshot still at seq 0. */
  initialState: `SELECT COALESCE(initial, CASE WHEN seq = 0 THEN state END) AS state FROM weft_snapshots WHERE run_id = ?`,
  /** A re-run: a failed or cancelled top-level run running again, claimed, under a new generation. */
  reopen: `UPDATE weft_runs SET status = 'running', owner = @owner, lease_until = @leaseUntil,
  generation = generation + 1, error = NULL, expires_at = NULL, wake_at = NULL, waiting_for = NULL, elapsed_ms = 0,
  updated_at = MAX(updated_at, @now)
WHERE run_id = @runId AND status IN ('failed', 'cancelled') AND parent_id IS NULL`,
  /** A migration: the run's template (and the one it was on), while the lease's generation holds the running run. */
  retarget: `UPDATE weft_runs SET migrated_from = template_name || '@' || template_version, template_name = ?,
  template_version = ?, template_fingerprint = ?
WHERE run_id = ? AND status = 'running' AND generation = ?`,
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
 * an engine, highest priority first, then oldest (never a paused run, nor one asked to pause); orphaned and due ones only of `recoverQueues`
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
  const recoverable = `(status = 'running' AND paused_from IS NULL AND (owner IS NULL OR COALESCE(lease_until, 0) <= ?${dead}))\n  ` +
    "OR (status = 'suspended' AND wake_at <= ?)"
  const recover = recoverQueues === undefined
    ? recoverable
    : recoverQueues === 0
    ? "(0 AND ? AND ?)"
    : `((${recoverable}) AND queue IN (${list(recoverQueues)}))`
  const queued = queues === 0 ? "" : ` OR (status = 'queued' AND queue IN (${list(queues)}))`
  return `SELECT run_id, status, owner, recovery_attempts, queue FROM weft_runs
WHERE ${activeTerm} AND parent_id IS NULL AND (${known}) AND (
  ${recover}${queued}
) ORDER BY priority DESC, created_at, run_id LIMIT ?`
}
