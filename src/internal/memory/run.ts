/**
 * A stored run of the in-memory store, and the small helpers over its record.
 *
 * @internal
 */
import { LeaseLost, RunCancelled } from "../../Errors.js"
import { isFinal } from "../../RunStatus.js"
import type { FollowUp, HistoryRecord, Lease, NewRun, RunRecord, SearchValue, SignalRecord, StepRecord, StoredState } from "../../SnapshotStore.js"

/**
 * A stored run. Its record is immutable (handed out as is); a checkpoint
 * only moves the cursor (`seq`, `updatedAt`), and the record is rebuilt with
 * it when next read, so that a checkpoint copies nothing.
 */
export class MemoryRun {
  private current: RunRecord
  private seq: number
  private updatedAt: number
  snapshotSeq = 0
  /** The run's first state, whatever snapshots came after. */
  readonly initial: StoredState
  /** Appended to in place; handed out as copies. */
  readonly steps: Array<StepRecord> = []
  signals: Array<SignalRecord> = []
  readonly search = new Map<string, SearchValue>()
  readonly history: Array<HistoryRecord> = []
  constructor(record: RunRecord, public snapshot: StoredState) {
    this.initial = snapshot
    this.current = record
    this.seq = record.seq
    this.updatedAt = record.updatedAt
  }

  /** The record, cursor included. */
  get record(): RunRecord {
    if (this.current.seq !== this.seq || this.current.updatedAt !== this.updatedAt) {
      this.current = { ...this.current, seq: this.seq, updatedAt: this.updatedAt }
    }
    return this.current
  }

  set record(record: RunRecord) {
    this.current = record
    this.seq = record.seq
    this.updatedAt = record.updatedAt
  }

  /** The record's fields a checkpoint does not move (status, claim), without rebuilding it. */
  get claim(): RunRecord {
    return this.current
  }

  /** Moves the cursor: a checkpoint. */
  advance(seq: number, updatedAt: number): void {
    this.seq = seq
    this.updatedAt = updatedAt
  }
}

/** The stored runs, by id. */
export type Runs = Map<string, MemoryRun>

/** The run `lease` holds while it is running, or why the write must be refused. */
export const held = (runs: Runs, runId: string, lease: Lease): MemoryRun | RunCancelled | LeaseLost => {
  const run = runs.get(runId)
  if (run !== undefined && run.claim.status === "running" && run.claim.generation === lease.generation) {
    return run
  }
  if (run !== undefined && run.claim.status === "cancelled") return new RunCancelled({ runId })
  return new LeaseLost({ runId, owner: lease.owner, generation: lease.generation })
}

/** Whether a run is paused, or a pause was asked of it. */
export const isPaused = (record: RunRecord): boolean => record.status === "paused" || (record.pausedFrom ?? null) !== null

/** Whether a run may be claimed now: active, not paused, and not held by another owner's live lease. */
export const claimable = (record: RunRecord, now: number, takeOverFrom: string | undefined): boolean =>
  !isFinal(record.status) && !isPaused(record) &&
  (record.owner === null || (record.leaseUntil ?? 0) <= now || record.owner === takeOverFrom)

/**
 * A new run's record: queued, claimed (`running` under `claim`), or released (`running`, no owner).
 * Built field by field (not spread): one object of one shape, as every record the store keeps.
 */
export const newRecord = (
  run: NewRun,
  status: "queued" | "running",
  claim: { readonly owner: string; readonly leaseUntil: number } | null
): RunRecord => ({
  runId: run.runId,
  templateName: run.templateName,
  templateVersion: run.templateVersion,
  status,
  seq: 0,
  createdAt: run.createdAt,
  updatedAt: run.createdAt,
  expiresAt: null,
  error: null,
  timeoutMillis: run.timeoutMillis,
  elapsedMillis: 0,
  wakeAt: null,
  waitingFor: null,
  parentId: run.parentId,
  rootId: run.rootId,
  queue: run.queue,
  owner: claim === null ? null : claim.owner,
  leaseUntil: claim === null ? null : claim.leaseUntil,
  generation: claim === null ? 0 : 1,
  traceContext: run.traceContext,
  templateFingerprint: run.templateFingerprint ?? null,
  priority: run.priority ?? 0,
  recoveryAttempts: 0,
  pausedFrom: null,
  triggeredBy: run.triggeredBy ?? null,
  forkedFrom: run.forkedFrom ?? null,
  forkedAfter: run.forkedAfter ?? null,
  migratedFrom: run.migratedFrom ?? null
})

/** Records follow-up runs (released: any engine takes them up); an existing id is left alone. */
export const recordFollowUps = (runs: Runs, followUps: ReadonlyArray<FollowUp> | undefined): void => {
  for (const { run, state } of followUps ?? []) {
    if (!runs.has(run.runId)) runs.set(run.runId, new MemoryRun(newRecord(run, "running", null), state))
  }
}
