/**
 * The SQLite store's run control and claims of the next runs: pausing and
 * unpausing (each inside the caller's write transaction), and `claimNext`
 * with dead letters (an orphaned run taken up too often ends failed instead).
 *
 * @internal
 */
import type Database from "better-sqlite3"
import type * as RunStatus from "../../../RunStatus.js"
import type { ClaimFilter, Lease, PausedFrom, PauseResult, RunRecord, UnpauseResult } from "../../../SnapshotStore.js"
import { deadLetterError } from "../../deadLetter.js"
import { errorJson } from "../schema.js"
import { claimNextSql, type Statements } from "./statements.js"

/** What claims, pauses and signals read of a run. */
export interface StatusRow {
  readonly status: RunStatus.RunStatus
  readonly owner: string | null
  readonly lease_until: number | null
  readonly generation: number
  readonly root_id: string
  readonly paused_from: PausedFrom | null
}

/** A candidate of `claimNext`: enough to tell a dead letter. */
interface Candidate {
  readonly run_id: string
  readonly status: RunStatus.RunStatus
  readonly owner: string | null
  readonly recovery_attempts: number
  readonly queue: string
}

/** `claimNext`, synchronously on the connection (inside the store's operation). */
export const claimNextIn = (
  connection: {
    readonly prepare: (sql: string) => Database.Statement
    readonly write: <A>(fn: () => A) => A
  },
  st: Statements,
  claimed: (runId: string, owner: string) => { readonly lease: Lease; readonly run: RunRecord },
  owner: string,
  now: number,
  leaseUntil: number,
  filter: ClaimFilter
): ReadonlyArray<{ readonly lease: Lease; readonly run: RunRecord }> => {
  const limit = Math.max(0, Math.floor(filter.limit))
  if (filter.templates.length === 0 || limit === 0) return []
  const queues = filter.queues ?? []
  const recover = filter.recoverQueues
  const dead = filter.takeOverFrom ?? []
  const candidates = connection.prepare(claimNextSql(filter.templates.length, queues.length, recover?.length, dead.length))
  const letter = filter.deadLetter
  const rate = filter.rateLimit
  const params = [
    ...filter.templates.flatMap((t) => [t.name, t.version]),
    now,
    ...dead,
    now,
    ...(recover ?? []),
    ...queues,
    // queued runs past a rate limit are passed over: look at more
    rate === undefined ? limit : limit * 2
  ]
  return connection.write(() => {
    // runs whose engine is gone after a pause was asked of them: paused
    st.parkAsked.run({ now })
    const rows = candidates.all(...params) as ReadonlyArray<Candidate>
    const taken: Array<{ readonly lease: Lease; readonly run: RunRecord }> = []
    let allowed = Infinity
    if (rate !== undefined) {
      st.startsPrune.run(rate.queue, now - rate.periodMillis)
      allowed = Math.max(0, rate.limit - (st.startsCount.pluck(true).get(rate.queue, now - rate.periodMillis) as number))
    }
    for (const row of rows) {
      if (taken.length >= limit) break
      const runId = row.run_id
      if (rate !== undefined && row.status === "queued" && row.queue === rate.queue) {
        if (allowed <= 0) continue
        allowed--
        st.startsInsert.run(rate.queue, now)
      }
      const orphaned = row.status === "running" && row.owner !== null
      if (letter !== undefined && orphaned && row.recovery_attempts >= letter.maxRecoveryAttempts) {
        const error = deadLetterError(runId, row.recovery_attempts, letter.maxRecoveryAttempts)
        st.deadLetter.run({ runId, error: errorJson(error), expiresAt: letter.expiresAt, now })
        continue
      }
      st.take.run({ runId, owner, leaseUntil })
      taken.push(claimed(runId, owner))
    }
    return taken
  })
}

/** `pauseRun`, inside a write transaction, given the run's status row. */
export const pauseRunIn = (st: Statements, row: StatusRow | undefined, runId: string, now: number): PauseResult => {
  if (row === undefined) return { _tag: "NotFound" }
  if (row.status === "completed" || row.status === "failed" || row.status === "cancelled") {
    return { _tag: "Finished", status: row.status }
  }
  if (row.status === "paused") return { _tag: "Paused", from: row.paused_from ?? "queued" }
  if (row.status === "running" && row.owner !== null && (row.lease_until ?? 0) > now) {
    if (row.paused_from === null) st.pauseAsk.run(runId)
    return { _tag: "Pausing", owner: row.owner }
  }
  st.pauseNow.run(now, runId)
  return { _tag: "Paused", from: row.status }
}

/** `unpauseRun`, inside a write transaction. */
export const unpauseRunIn = (
  st: Statements,
  statusOf: (runId: string) => StatusRow | undefined,
  runId: string,
  now: number
): UnpauseResult => {
  const back = st.unpause.get(now, runId) as { readonly status: PausedFrom } | undefined
  if (back !== undefined) return { _tag: "Unpaused", status: back.status }
  const row = statusOf(runId)
  return row === undefined ? { _tag: "NotFound" } : { _tag: "NotPaused", status: row.status }
}
