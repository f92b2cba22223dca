/**
 * The statements of the PostgreSQL store, on the tables `n`, by what they
 * touch: creating and claiming runs, the owner's fenced writes, reads, and
 * signals. Each is bound to its values by the queries (`./queries.ts`).
 *
 * @internal
 */
import { signalColumns, stepColumns } from "../schema.js"
import { active, final, leasePassed, type Names, notify, notifyCount, qualified, runRow, statement, take } from "./sql.js"

/**
 * The upsert of search attributes (`$search`: a JSON array of `{ name, t, n }`)
 * for the run of CTE `r`, created at `createdAt`.
 */
const searchInsert = (n: Names, createdAt: string) =>
  `INSERT INTO ${n.search} (run_id, name, value_text, value_num, created_at)
  SELECT r.run_id, x.name, x.t, x.n, ${createdAt} FROM r, json_to_recordset($search::json) AS x(name text, t text, n double precision)
  ON CONFLICT (run_id, name) DO UPDATE SET value_text = excluded.value_text, value_num = excluded.value_num`

/** Creating runs, claiming them, and leases. */
export const claimStatements = (n: Names) => {
  const insertRun = (queued: boolean, search = false) =>
    statement(`WITH r AS (
  INSERT INTO ${n.runs} (run_id, template_name, template_version, status, seq, created_at, updated_at, timeout_ms,
    elapsed_ms, parent_id, root_id, queue, owner, lease_until, generation, trace_context, template_fingerprint,
    priority, triggered_by, forked_from, forked_after, migrated_from)
  VALUES ($runId, $templateName, $templateVersion, $status, 0, $createdAt, $createdAt, $timeoutMillis, 0, $parentId,
    $rootId, $queue, $owner, $leaseUntil, $generation, $traceContext, $templateFingerprint, $priority, $triggeredBy,
    $forkedFrom, $forkedAfter, $migratedFrom)
  ON CONFLICT (run_id) DO NOTHING
  RETURNING run_id
), done AS (
  INSERT INTO ${n.snapshots} (run_id, seq, state) SELECT run_id, 0, $state::text FROM r
  ON CONFLICT (run_id) DO UPDATE SET seq = excluded.seq, state = excluded.state
  RETURNING run_id
)${search ? `, a AS (${searchInsert(n, "$createdAt::bigint")})` : ""}${queued ? notify : ""}
SELECT (SELECT count(*) FROM done)${queued ? ` + 0 * ${notifyCount}` : ""} AS n`)
  const insertQueued = insertRun(true)
  const insertClaimed = insertRun(false)
  const insertQueuedSearch = insertRun(true, true)
  const insertClaimedSearch = insertRun(false, true)

  const claim = statement(`UPDATE ${n.runs} w SET ${take}
WHERE run_id = $runId AND status IN ${active} AND status <> 'paused' AND paused_from IS NULL
  AND (owner IS NULL OR lease_until IS NULL OR lease_until <= $now OR owner = $takeOverFrom)
RETURNING ${runRow(n, "w")}`)

  const statusOf = statement(`SELECT status, owner, lease_until, root_id, paused_from FROM ${n.runs} WHERE run_id = $runId`)

  /**
   * One CTE per kind of claimable run, each on its own index (a run whose
   * lease passed by `(status, lease_until)`, a due one by `(status,
   * wake_at)`, a queued one by `(status, queue, created_at)`), so that the
   * cost follows the claimable runs, never the finished ones; each locks
   * its candidates `SKIP LOCKED`; the oldest of them are taken.
   */
  const candidates = (name: string, condition: string, limit = "$limit") =>
    `${name} AS (
  SELECT run_id, priority, created_at, '${name}' AS kind FROM ${n.runs}
  WHERE ${condition} AND parent_id IS NULL
    AND (template_name, template_version) IN (SELECT * FROM unnest($names::text[], $versions::text[]))
  ORDER BY priority DESC, created_at, run_id
  LIMIT ${limit}
  FOR UPDATE SKIP LOCKED
)`
  const recoverable = "($everyQueue OR queue = ANY ($recoverQueues::text[]))"
  const deadLetterJson = `json_build_object('tag', 'RecoveryAttemptsExceeded', 'message', 'Run "' || r.run_id ||
    '" was taken up ' || r.recovery_attempts || ' times after its execution died, and died each time (maxRecoveryAttempts ' ||
    $maxRecoveryAttempts::integer || '): ended as failed (a dead letter)', 'data', json_build_object('runId', r.run_id,
    'attempts', r.recovery_attempts, 'maxRecoveryAttempts', $maxRecoveryAttempts::integer))::text`
  /** An orphaned run (running, owned: its execution died) already taken up the most times allowed. */
  const dead = "r.status = 'running' AND r.owner IS NOT NULL AND r.recovery_attempts >= $maxRecoveryAttempts::integer"
  const claimNext = statement(`WITH parked AS (
  UPDATE ${n.runs} SET status = 'paused', owner = NULL, lease_until = NULL, updated_at = $now
  WHERE status = 'running' AND paused_from IS NOT NULL AND ${leasePassed("$now")}
  RETURNING run_id
), ${
    candidates(
      "orphaned",
      `status = 'running' AND paused_from IS NULL AND (${leasePassed("$now")} OR owner = ANY ($takeOverFrom::text[])) AND ${recoverable}`
    )
  },
${candidates("due", `status = 'suspended' AND wake_at <= $now AND ${recoverable}`)},
${candidates("queued", "status = 'queued' AND queue = ANY ($queues::text[])", "$queuedLimit")},
c AS (
  SELECT run_id, kind FROM (SELECT * FROM orphaned UNION ALL SELECT * FROM due UNION ALL SELECT * FROM queued) x
  ORDER BY priority DESC, created_at, run_id
  LIMIT $limit
)
UPDATE ${n.runs} r SET status = CASE WHEN ${dead} THEN 'failed' ELSE 'running' END,
  owner = CASE WHEN ${dead} THEN NULL ELSE $owner END,
  lease_until = CASE WHEN ${dead} THEN NULL ELSE $leaseUntil::bigint END,
  error = CASE WHEN ${dead} THEN ${deadLetterJson} ELSE r.error END,
  expires_at = CASE WHEN ${dead} THEN $deadExpiresAt::bigint ELSE r.expires_at END,
  updated_at = CASE WHEN ${dead} THEN $now ELSE r.updated_at END,
  generation = r.generation + 1, wake_at = NULL, waiting_for = NULL,
  recovery_attempts = r.recovery_attempts + (CASE WHEN r.status = 'running' AND r.owner IS NOT NULL THEN 1 ELSE 0 END)
FROM c WHERE r.run_id = c.run_id
RETURNING ${runRow(n, "r")}, c.kind AS claim_kind`)

  // the owner's rows locked in run id order, as a batch of checkpoints locks them (see `appendMany`)
  const heartbeat = statement(`WITH l AS (
  SELECT run_id FROM ${n.runs} WHERE owner = $owner AND status = 'running' ORDER BY run_id FOR NO KEY UPDATE
)
UPDATE ${n.runs} w
SET elapsed_ms = w.elapsed_ms + GREATEST(0, $leaseUntil - COALESCE(w.lease_until, $leaseUntil)), lease_until = $leaseUntil
FROM l WHERE w.run_id = l.run_id AND w.owner = $owner AND w.status = 'running'
RETURNING w.run_id, w.generation, w.paused_from`)
  const holders = statement(`SELECT DISTINCT owner FROM ${n.runs} WHERE status = 'running' AND owner IS NOT NULL
  AND lease_until > $now`)
  /** Rate limits: a queue's starts, under a lock of the queue for the transaction (concurrent claimers wait). */
  const lockQueue = statement(`SELECT pg_advisory_xact_lock(hashtext($key)) AS locked`)
  const startsCount = statement(`WITH pruned AS (
  DELETE FROM ${n.starts} WHERE queue = $queue AND started_at <= $since
)
SELECT count(*) AS n FROM ${n.starts} WHERE queue = $queue AND started_at > $since`)
  const startsInsert = statement(`INSERT INTO ${n.starts} (queue, started_at)
SELECT $queue::text, $now::bigint FROM generate_series(1, $count::integer)`)
  return {
    insertQueued,
    insertClaimed,
    insertQueuedSearch,
    insertClaimedSearch,
    claim,
    statusOf,
    claimNext,
    heartbeat,
    holders,
    lockQueue,
    startsCount,
    startsInsert
  }
}

/** The fenced writes of a run's owner, and cancellation. */
export const writeStatements = (n: Names) => {
  const appendStep = (withSnapshot: boolean, search = false) =>
    statement(`WITH r AS (
  SELECT run_id${search ? ", created_at" : ""} FROM ${n.runs}
  WHERE run_id = $runId AND status = 'running' AND generation = $generation
  FOR SHARE
)${search ? `, a AS (${searchInsert(n, "r.created_at")}), d AS (
  DELETE FROM ${n.search} WHERE run_id IN (SELECT run_id FROM r) AND name = ANY ($searchUnset::text[])
)` : ""}${
      withSnapshot
        ? `, s AS (
  INSERT INTO ${n.snapshots} (run_id, seq, state) SELECT run_id, $seq, $snapshot::text FROM r
  ON CONFLICT (run_id) DO UPDATE SET seq = excluded.seq, state = excluded.state,
    initial = COALESCE(${n.snapshots}.initial, CASE WHEN ${n.snapshots}.seq = 0 THEN ${n.snapshots}.state END)
)`
        : ""
    }
INSERT INTO ${n.steps} (${stepColumns})
SELECT run_id, $seq, $stepKey::text, $stepName::text, $status::text, $attempts::integer, $startedAt::bigint,
  $endedAt, $delta::text, $error::text, $idempotencyKey::text
FROM r
RETURNING seq`)
  const appendPlain = appendStep(false)
  const appendWithSnapshot = appendStep(true)
  const appendPlainSearch = appendStep(false, true)
  const appendWithSnapshotSearch = appendStep(true, true)

  /**
   * The checkpoints of several runs (one each, none changing search
   * attributes) in one statement: each row fenced on its own, the rows of
   * `weft_runs` locked `FOR SHARE` in run id order (as the heartbeat locks
   * them, so that the two never wait for each other in a cycle); returns
   * the `run_id` of each checkpoint written.
   */
  const appendMany = statement(`WITH i AS (
  SELECT * FROM unnest($runIds::text[], $generations::bigint[], $seqs::bigint[], $stepKeys::text[], $stepNames::text[],
    $statuses::text[], $attempts::integer[], $startedAts::bigint[], $endedAts::bigint[], $deltas::text[],
    $errors::text[], $idempotencyKeys::text[], $snapshots::text[])
    AS i(run_id, generation, seq, step_key, step_name, status, attempts, started_at, ended_at, delta, error,
      idempotency_key, snapshot)
), r AS (
  SELECT w.run_id FROM ${n.runs} w JOIN i ON w.run_id = i.run_id
  WHERE w.status = 'running' AND w.generation = i.generation
  ORDER BY w.run_id
  FOR SHARE OF w
), s AS (
  INSERT INTO ${n.snapshots} (run_id, seq, state)
  SELECT i.run_id, i.seq, i.snapshot FROM i JOIN r ON r.run_id = i.run_id WHERE i.snapshot IS NOT NULL
  ON CONFLICT (run_id) DO UPDATE SET seq = excluded.seq, state = excluded.state,
    initial = COALESCE(${n.snapshots}.initial, CASE WHEN ${n.snapshots}.seq = 0 THEN ${n.snapshots}.state END)
)
INSERT INTO ${n.steps} (${stepColumns})
SELECT i.run_id, i.seq, i.step_key, i.step_name, i.status, i.attempts, i.started_at, i.ended_at, i.delta, i.error,
  i.idempotency_key
FROM i JOIN r ON r.run_id = i.run_id
RETURNING run_id`)

  const pause = (release: boolean) =>
    statement(`WITH done AS (
  UPDATE ${n.runs} SET status = CASE WHEN paused_from IS NULL THEN $status::text ELSE 'paused' END,
    paused_from = CASE WHEN paused_from IS NULL THEN NULL ELSE $status::text END, owner = NULL, lease_until = NULL,
    updated_at = $updatedAt, elapsed_ms = elapsed_ms + $elapsedMillis, wake_at = $wakeAt, waiting_for = $waitingFor,
    recovery_attempts = 0
  WHERE run_id = $runId AND status = 'running' AND generation = $generation
  RETURNING run_id
)${release ? notify : ""}
SELECT (SELECT count(*) FROM done)${release ? ` + 0 * ${notifyCount}` : ""} AS n`)
  const suspend = pause(false)
  const release = pause(true)

  const finish = statement(`UPDATE ${n.runs} SET status = $status, error = $error, expires_at = $expiresAt, owner = NULL,
  lease_until = NULL, wake_at = NULL, waiting_for = NULL, paused_from = NULL, updated_at = $updatedAt,
  elapsed_ms = elapsed_ms + $elapsedMillis
WHERE run_id = $runId AND status = 'running' AND generation = $generation
RETURNING run_id`)

  const cancel = statement(`WITH RECURSIVE root AS (
  SELECT run_id FROM ${n.runs} WHERE run_id = $runId AND status IN ${active} FOR UPDATE
), tree(run_id) AS (
  SELECT run_id FROM root
  UNION
  SELECT r.run_id FROM ${n.runs} r JOIN tree t ON r.parent_id = t.run_id
)
UPDATE ${n.runs} SET status = 'cancelled', updated_at = $now, expires_at = $expiresAt, owner = NULL,
  lease_until = NULL, wake_at = NULL, waiting_for = NULL, paused_from = NULL
WHERE run_id IN (SELECT run_id FROM tree) AND status IN ${active}
RETURNING run_id`)
  return {
    appendPlain,
    appendWithSnapshot,
    appendPlainSearch,
    appendWithSnapshotSearch,
    appendMany,
    suspend,
    release,
    finish,
    cancel
  }
}

/** A re-run (a finished run re-opened) and a migration (a claimed run moved to another template version). */
export const versionStatements = (n: Names) => {
  const reopen = statement(`UPDATE ${n.runs} w SET status = 'running', owner = $owner, lease_until = $leaseUntil,
  generation = generation + 1, error = NULL, expires_at = NULL, wake_at = NULL, waiting_for = NULL, elapsed_ms = 0,
  updated_at = GREATEST(updated_at, $now)
WHERE run_id = $runId AND status IN ('failed', 'cancelled') AND parent_id IS NULL
RETURNING ${runRow(n, "w")}`)
  const retarget = statement(`WITH r AS (
  UPDATE ${n.runs} SET seq = $seq, updated_at = $endedAt, migrated_from = template_name || '@' || template_version,
    template_name = $templateName,
    template_version = $templateVersion, template_fingerprint = $templateFingerprint
  WHERE run_id = $runId AND status = 'running' AND generation = $generation
  RETURNING run_id
)
INSERT INTO ${n.steps} (${stepColumns})
SELECT run_id, $seq, $stepKey::text, $stepName::text, $status::text, $attempts::integer, $startedAt::bigint,
  $endedAt, $delta::text, $error::text, $idempotencyKey::text
FROM r
RETURNING seq`)
  const initialState = statement(`SELECT COALESCE(initial, CASE WHEN seq = 0 THEN state END) AS state
FROM ${n.snapshots} WHERE run_id = $runId`)
  return { reopen, retarget, initialState }
}

/** Reading runs and their steps, and collecting expired ones. */
export const readStatements = (n: Names) => {
  const selectRun = statement(`SELECT ${runRow(n, "r")} FROM ${n.runs} r WHERE r.run_id = $runId`)
  const selectLoad = statement(`SELECT ${runRow(n, "r")}, p.seq AS snapshot_seq, p.state AS snapshot_state
FROM ${n.runs} r LEFT JOIN ${n.snapshots} p ON p.run_id = r.run_id
WHERE r.run_id = $runId`)
  const stepsForLoad = statement(`SELECT run_id, seq, step_key, step_name, status, attempts, started_at, ended_at,
  CASE WHEN seq > $afterSeq THEN delta END AS delta, error, idempotency_key
FROM ${n.steps} WHERE run_id = $runId ORDER BY seq`)
  const steps = statement(`SELECT ${stepColumns} FROM ${n.steps} WHERE run_id = $runId ORDER BY seq`)

  const collectExpired = statement(`WITH gone AS (
  DELETE FROM ${n.runs} WHERE status IN ${final} AND expires_at < $now RETURNING run_id
), s AS (
  DELETE FROM ${n.steps} WHERE run_id IN (SELECT run_id FROM gone)
), p AS (
  DELETE FROM ${n.snapshots} WHERE run_id IN (SELECT run_id FROM gone)
), g AS (
  DELETE FROM ${n.signals} WHERE run_id IN (SELECT run_id FROM gone)
), a AS (
  DELETE FROM ${n.search} WHERE run_id IN (SELECT run_id FROM gone)
), h AS (
  DELETE FROM ${n.history} WHERE run_id IN (SELECT run_id FROM gone)
)
SELECT count(*) AS n FROM gone`)
  const searchOf = statement(`SELECT name, value_text, value_num FROM ${n.search} WHERE run_id = $runId ORDER BY name`)
  const historyOf = statement(`SELECT run_id, at, kind, status_from, status_to, owner_from, owner_to, generation, wake_at,
  detail FROM ${n.history} WHERE run_id = $runId ORDER BY id`)
  const statusesOf = statement(`SELECT u.asked, r.status FROM unnest($runIds::text[]) AS u(asked)
LEFT JOIN ${n.runs} r ON r.run_id = u.asked`)
  const selectRuns = statement(`SELECT ${runRow(n, "r")} FROM ${n.runs} r WHERE r.run_id = ANY($runIds::text[])`)
  return { selectRun, statusesOf, selectRuns, selectLoad, stepsForLoad, steps, collectExpired, searchOf, historyOf }
}

/** Signals: recording (under a lock of the run), taking, listing. */
export const signalStatements = (n: Names) => {
  const lockRun = statement(`SELECT status, owner, lease_until, root_id, paused_from FROM ${n.runs} WHERE run_id = $runId
FOR NO KEY UPDATE`)
  const insertSignal = statement(`WITH done AS (
  INSERT INTO ${n.signals} (run_id, name, payload, received_at, consumed_by)
  SELECT $runId::text, $name::text, $payload::text, $receivedAt::bigint, NULL
  WHERE NOT EXISTS (
    SELECT 1 FROM ${n.signals} WHERE run_id = $runId AND name = $name AND consumed_by IS NULL
  )
  RETURNING id
), woken AS (
  UPDATE ${n.runs} SET wake_at = LEAST(COALESCE(wake_at, $receivedAt), $receivedAt)
  WHERE run_id = $rootId AND (status = 'suspended' OR (status = 'paused' AND paused_from = 'suspended'))
    AND EXISTS (SELECT 1 FROM done)
)${notify}
SELECT (SELECT count(*) FROM done) + 0 * ${notifyCount} AS n`)

  const signalFields = "run_id, name, payload, received_at, consumed_by"
  const takeSignal = statement(`WITH run AS (
  SELECT run_id FROM ${n.runs} WHERE run_id = $runId AND status = 'running' AND generation = $generation FOR SHARE
), own AS (
  SELECT id FROM ${n.signals}
  WHERE run_id = $runId AND name = $name AND consumed_by = $stepKey AND EXISTS (SELECT 1 FROM run)
  ORDER BY id LIMIT 1
), pick AS (
  SELECT id FROM ${n.signals}
  WHERE run_id = $runId AND name = $name AND consumed_by IS NULL
    AND EXISTS (SELECT 1 FROM run) AND NOT EXISTS (SELECT 1 FROM own)
  ORDER BY id LIMIT 1
  FOR UPDATE
), taken AS (
  UPDATE ${n.signals} g SET consumed_by = $stepKey FROM pick WHERE g.id = pick.id
  RETURNING ${qualified("g", signalFields)}
)
SELECT 'lease' AS source, NULL::text AS run_id, NULL::text AS name, NULL::text AS payload,
  NULL::bigint AS received_at, NULL::text AS consumed_by
FROM run
UNION ALL
SELECT 'own', ${qualified("g", signalFields)} FROM ${n.signals} g JOIN own ON g.id = own.id
UNION ALL
SELECT 'taken', ${signalFields} FROM taken`)

  const signals = statement(`SELECT ${signalColumns} FROM ${n.signals} WHERE run_id = $runId ORDER BY id`)
  return { lockRun, insertSignal, takeSignal, signals }
}

/** Pausing and unpausing runs (a pause under a lock of the run: see `lockRun`). */
export const controlStatements = (n: Names) => {
  const pauseAsk = statement(`UPDATE ${n.runs} SET paused_from = 'running' WHERE run_id = $runId`)
  const pauseNow = statement(`UPDATE ${n.runs} SET status = 'paused', paused_from = status, owner = NULL,
  lease_until = NULL, updated_at = GREATEST(updated_at, $now) WHERE run_id = $runId`)
  const unpause = statement(`WITH done AS (
  UPDATE ${n.runs} SET status = CASE WHEN status = 'paused' THEN paused_from ELSE status END, paused_from = NULL,
    updated_at = GREATEST(updated_at, $now)
  WHERE run_id = $runId AND paused_from IS NOT NULL AND status IN ('paused', 'running')
  RETURNING status
)${notify}
SELECT d.status, ${notifyCount} AS n FROM done d`)
  return { pauseAsk, pauseNow, unpause }
}
