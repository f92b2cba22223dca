/**
 * Claiming runs in the in-memory store: the history of a run's changes, and `claimNext`.
 *
 * @internal
 */
import type { ClaimFilter, Lease, RunRecord } from "../../SnapshotStore.js"
import { deadLetterError } from "../deadLetter.js"
import { isRunnable } from "./filter.js"
import type { MemoryRun, Runs } from "./run.js"

/** Whether claiming the run now is taking it up after its execution died (a recovery attempt). */
const isOrphaned = (record: RunRecord): boolean => record.status === "running" && record.owner !== null

/** Records a change of a run in its history (as the SQL stores' trigger does). */
export const recordChange = (run: MemoryRun, next: RunRecord, at: number): void => {
  const before = run.claim
  const kind = next.generation !== before.generation
    ? "claimed"
    : next.status === before.status && !(next.owner === null && before.owner !== null && next.status === "running")
    ? undefined
    : next.status === "completed" || next.status === "failed"
    ? undefined
    : next.status === "suspended" || next.status === "cancelled"
    ? next.status
    : next.status === "running" && next.owner === null
    ? "released"
    : "status"
  if (kind !== undefined) {
    run.history.push({
      runId: next.runId,
      at,
      kind,
      statusFrom: before.status,
      statusTo: next.status,
      ownerFrom: before.owner,
      ownerTo: next.owner,
      generation: next.generation,
      wakeAt: next.wakeAt,
      detail: next.waitingFor === null ? null : JSON.stringify(next.waitingFor)
    })
  }
  run.record = next
}

/** Claims a run: running, owned, leased, its generation bumped (and its recovery attempts, when orphaned). */
export const take = (run: MemoryRun, owner: string, leaseUntil: number, now: number): Lease => {
  const generation = run.record.generation + 1
  const recoveryAttempts = (run.record.recoveryAttempts ?? 0) + (isOrphaned(run.record) ? 1 : 0)
  recordChange(
    run,
    { ...run.record, status: "running", owner, leaseUntil, generation, wakeAt: null, waitingFor: null, recoveryAttempts },
    now
  )
  return { owner, generation }
}

/** Whether a running run's execution is gone at `now` (no owner, a passed lease, or a dead owner). */
const unheld = (record: RunRecord, now: number, dead: ReadonlySet<string> | undefined): boolean =>
  record.owner === null || (record.leaseUntil ?? 0) <= now || dead?.has(record.owner) === true

/** `claimNext`: orphaned runs asked to pause are paused; dead letters ended; the rest claimed by priority, then age. */
export const claimNextIn = (
  runs: Runs,
  starts: Map<string, ReadonlyArray<number>>,
  owner: string,
  now: number,
  leaseUntil: number,
  filter: ClaimFilter
): ReadonlyArray<{ readonly lease: Lease; readonly run: RunRecord }> => {
  const known = new Set(filter.templates.map((t) => JSON.stringify([t.name, t.version])))
  const queues = filter.queues === undefined ? undefined : new Set(filter.queues)
  const recoverQueues = filter.recoverQueues === undefined ? undefined : new Set(filter.recoverQueues)
  const dead = filter.takeOverFrom === undefined ? undefined : new Set(filter.takeOverFrom)
  // a run whose engine died after a pause was asked of it: paused now
  for (const run of runs.values()) {
    const { record } = run
    if (record.status === "running" && record.pausedFrom === "running" && unheld(record, now, dead)) {
      run.record = { ...record, status: "paused", owner: null, leaseUntil: null, updatedAt: now }
    }
  }
  const candidates = Array.from(runs.values()).filter(({ record }) =>
    record.parentId === null &&
    known.has(JSON.stringify([record.templateName, record.templateVersion])) &&
    isRunnable(record, now, queues, recoverQueues, dead)
  ).sort((a, b) =>
    (b.record.priority ?? 0) - (a.record.priority ?? 0) || a.record.createdAt - b.record.createdAt ||
    (a.record.runId < b.record.runId ? -1 : 1)
  )
  const claimed: Array<{ readonly lease: Lease; readonly run: RunRecord }> = []
  const rate = filter.rateLimit
  const started = rate === undefined ? [] : (starts.get(rate.queue) ?? []).filter((t) => t > now - rate.periodMillis)
  let allowed = rate === undefined ? Infinity : Math.max(0, rate.limit - started.length)
  let taken = 0
  for (const run of candidates) {
    if (taken >= Math.max(0, filter.limit)) break
    if (rate !== undefined && run.record.status === "queued" && run.record.queue === rate.queue) {
      // past the queue's rate limit: it stays queued, for a later claim
      if (allowed <= 0) continue
      allowed--
      started.push(now)
    }
    taken++
    const attempts = run.record.recoveryAttempts ?? 0
    const letter = filter.deadLetter
    if (letter !== undefined && isOrphaned(run.record) && attempts >= letter.maxRecoveryAttempts) {
      recordChange(run, {
        ...run.record,
        status: "failed",
        error: deadLetterError(run.record.runId, attempts, letter.maxRecoveryAttempts),
        expiresAt: letter.expiresAt,
        owner: null,
        leaseUntil: null,
        updatedAt: now
      }, now)
      continue
    }
    const lease = take(run, owner, leaseUntil, now)
    claimed.push({ lease, run: run.record })
  }
  if (rate !== undefined) starts.set(rate.queue, started)
  return claimed
}
