/**
 * The in-memory `SnapshotStore`: every operation is one synchronous block
 * over private maps, so it is atomic, and a checkpoint is O(1).
 *
 * @internal
 */
import { Effect, Option } from "effect"
import { LeaseLost, PersistenceError, RunCancelled } from "../../Errors.js"
import { isFinal } from "../../RunStatus.js"
import type {
  CancelResult,
  ClaimFilter,
  ClaimResult,
  FollowUp,
  NewRun,
  Lease,
  LoadedRun,
  RecordSignalResult,
  RunFilter,
  RunRecord,
  ScheduleRecord,
  HistoryRecord,
  SearchValue,
  Service,
  SignalRecord,
  StepRecord,

  StoredState
} from "../../SnapshotStore.js"
import { deadLetterError } from "../deadLetter.js"
import { control } from "./control.js"
import { fleet } from "./fleet.js"
import { isRunnable, matchesFilter, matchesSearch, newestFirst } from "./filter.js"
import { scheduleOps } from "./schedules.js"

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
const held = (runs: Runs, runId: string, lease: Lease): MemoryRun | RunCancelled | LeaseLost => {
  const run = runs.get(runId)
  if (run !== undefined && run.claim.status === "running" && run.claim.generation === lease.generation) {
    return run
  }
  if (run !== undefined && run.claim.status === "cancelled") return new RunCancelled({ runId })
  return new LeaseLost({ runId, owner: lease.owner, generation: lease.generation })
}

/** Whether a run is paused, or a pause was asked of it. */
const isPaused = (record: RunRecord): boolean => record.status === "paused" || (record.pausedFrom ?? null) !== null

/** Whether a run may be claimed now: active, not paused, and not held by another owner's live lease. */
const claimable = (record: RunRecord, now: number, takeOverFrom: string | undefined): boolean =>
  !isFinal(record.status) && !isPaused(record) &&
  (record.owner === null || (record.leaseUntil ?? 0) <= now || record.owner === takeOverFrom)

/** Whether claiming the run now is taking it up after its execution died (a recovery attempt). */
const isOrphaned = (record: RunRecord): boolean => record.status === "running" && record.owner !== null

/** Records a change of a run in its history (as the SQL stores' trigger does). */
const recordChange = (run: MemoryRun, next: RunRecord, at: number): void => {
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
const take = (run: MemoryRun, owner: string, leaseUntil: number, now: number): Lease => {
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

/** Every run under a run (its sub-flows' runs, and theirs). */
const descendants = (runs: Runs, runId: string): ReadonlyArray<MemoryRun> => {
  const found: Array<MemoryRun> = []
  const frontier = [runId]
  while (frontier.length > 0) {
    const parent = frontier.pop()!
    for (const run of runs.values()) {
      if (run.record.parentId === parent) {
        found.push(run)
        frontier.push(run.record.runId)
      }
    }
  }
  return found
}

/** A new run's record: queued, claimed (`running` under `claim`), or released (`running`, no owner). */
const newRecord = (
  run: NewRun,
  status: "queued" | "running",
  claim: { readonly owner: string; readonly leaseUntil: number } | null
): RunRecord => ({
  ...run,
  status,
  seq: 0,
  updatedAt: run.createdAt,
  expiresAt: null,
  error: null,
  elapsedMillis: 0,
  wakeAt: null,
  waitingFor: null,
  owner: claim?.owner ?? null,
  leaseUntil: claim?.leaseUntil ?? null,
  generation: claim === null ? 0 : 1,
  templateFingerprint: run.templateFingerprint ?? null,
  priority: run.priority ?? 0,
  recoveryAttempts: 0,
  pausedFrom: null,
  triggeredBy: run.triggeredBy ?? null
})

/** Records follow-up runs (released: any engine takes them up); an existing id is left alone. */
const recordFollowUps = (runs: Runs, followUps: ReadonlyArray<FollowUp> | undefined): void => {
  for (const { run, state } of followUps ?? []) {
    if (!runs.has(run.runId)) runs.set(run.runId, new MemoryRun(newRecord(run, "running", null), state))
  }
}

/** `claimNext`: orphaned runs asked to pause are paused; dead letters ended; the rest claimed by priority, then age. */
const claimNextIn = (
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

/** Creating and claiming runs. */
const claims = (
  runs: Runs,
  starts: Map<string, ReadonlyArray<number>>
): Pick<Service, "createRun" | "claim" | "claimNext" | "holders" | "heartbeat"> => ({
  createRun: (run, state, claim) =>
    Effect.suspend(() => {
      if (runs.has(run.runId)) {
        return Effect.fail(
          new PersistenceError({
            operation: "createRun",
            reason: "duplicate",
            detail: `a run with id ${JSON.stringify(run.runId)} already exists`
          })
        )
      }
      const { search, ...fields } = run
      const stored = new MemoryRun(newRecord(fields, claim === null ? "queued" : "running", claim), state)
      if (claim !== null) {
        stored.history.push({
          runId: run.runId,
          at: run.createdAt,
          kind: "claimed",
          statusFrom: null,
          statusTo: "running",
          ownerFrom: null,
          ownerTo: claim.owner,
          generation: 1,
          wakeAt: null,
          detail: null
        })
      }
      for (const key in search) stored.search.set(key, search[key]!)
      runs.set(run.runId, stored)
      return Effect.succeed(claim === null ? null : { owner: claim.owner, generation: 1 })
    }),

  claim: (runId, owner, now, leaseUntil, takeOverFrom) =>
    Effect.sync((): ClaimResult => {
      const run = runs.get(runId)
      if (run === undefined) return { claimed: false, reason: "not-found", owner: null, leaseUntil: null }
      const { record } = run
      if (isFinal(record.status)) {
        return { claimed: false, reason: "finished", owner: record.owner, leaseUntil: record.leaseUntil }
      }
      if (isPaused(record)) return { claimed: false, reason: "paused", owner: record.owner, leaseUntil: record.leaseUntil }
      if (!claimable(record, now, takeOverFrom)) {
        return { claimed: false, reason: "held", owner: record.owner, leaseUntil: record.leaseUntil }
      }
      const lease = take(run, owner, leaseUntil, now)
      return { claimed: true, lease, run: run.record }
    }),

  claimNext: (owner, now, leaseUntil, filter) => Effect.sync(() => claimNextIn(runs, starts, owner, now, leaseUntil, filter)),

  holders: (now) =>
    Effect.sync(() => {
      const owners = new Set<string>()
      for (const { record } of runs.values()) {
        if (record.status === "running" && record.owner !== null && (record.leaseUntil ?? 0) > now) owners.add(record.owner)
      }
      return Array.from(owners)
    }),

  heartbeat: (owner, leaseUntil) =>
    Effect.sync(() => {
      const renewed: Array<{ readonly runId: string; readonly generation: number; readonly pauseAsked: boolean }> = []
      for (const run of runs.values()) {
        if (run.record.owner === owner && run.record.status === "running") {
          const moved = Math.max(0, leaseUntil - (run.record.leaseUntil ?? leaseUntil))
          run.record = { ...run.record, leaseUntil, elapsedMillis: run.record.elapsedMillis + moved }
          renewed.push({
            runId: run.record.runId,
            generation: run.record.generation,
            pauseAsked: run.record.pausedFrom === "running"
          })
        }
      }
      return renewed
    })
})

/** Re-opening a finished run (a re-run) and moving a claimed run to another version (a migration). */
const versions = (runs: Runs): Pick<Service, "reopen" | "retarget" | "initialState"> => ({
  initialState: (runId) => Effect.sync(() => Option.fromNullable(runs.get(runId)?.initial)),

  reopen: (runId, owner, now, leaseUntil) =>
    Effect.sync((): ClaimResult => {
      const run = runs.get(runId)
      if (run === undefined) return { claimed: false, reason: "not-found", owner: null, leaseUntil: null }
      const record = run.record
      if ((record.status !== "failed" && record.status !== "cancelled") || record.parentId !== null) {
        return { claimed: false, reason: isFinal(record.status) ? "finished" : "held", owner: record.owner, leaseUntil: record.leaseUntil }
      }
      const generation = record.generation + 1
      run.record = {
        ...record,
        status: "running",
        owner,
        leaseUntil,
        generation,
        error: null,
        expiresAt: null,
        wakeAt: null,
        waitingFor: null,
        elapsedMillis: 0,
        updatedAt: Math.max(record.updatedAt, now)
      }
      return { claimed: true, lease: { owner, generation }, run: run.record }
    }),

  retarget: (step, lease, template) =>
    Effect.suspend(() => {
      const run = held(runs, step.runId, lease)
      if (!("record" in run)) return Effect.fail(run)
      run.steps.push(step)
      run.advance(step.seq, step.endedAt)
      run.record = {
        ...run.record,
        templateName: template.name,
        templateVersion: template.version,
        templateFingerprint: template.fingerprint
      }
      return Effect.void
    })
})

/** The fenced writes of a run's owner, and cancellation. */
const writes = (runs: Runs): Pick<Service, "appendStep" | "pause" | "finish" | "cancel"> => ({
  appendStep: (step, lease, snapshot, search) =>
    Effect.suspend(() => {
      const run = held(runs, step.runId, lease)
      if (!("record" in run)) return Effect.fail(run)
      for (const key in search) {
        const value = search[key]!
        if (value === null) run.search.delete(key)
        else run.search.set(key, value)
      }
      run.steps.push(step)
      run.advance(step.seq, step.endedAt)
      if (snapshot !== undefined) {
        run.snapshot = snapshot
        run.snapshotSeq = step.seq
      }
      return Effect.void
    }),

  pause: (runId, lease, pause, at) =>
    Effect.suspend(() => {
      const run = held(runs, runId, lease)
      if (!("record" in run)) return Effect.fail(run)
      const base = {
        ...run.record,
        owner: null,
        leaseUntil: null,
        updatedAt: at.updatedAt,
        elapsedMillis: run.record.elapsedMillis + at.elapsedMillis
      }
      const asked = (run.record.pausedFrom ?? null) !== null
      recordChange(
        run,
        pause._tag === "Suspend"
          ? {
            ...base,
            status: asked ? "paused" : "suspended",
            pausedFrom: asked ? "suspended" : null,
            wakeAt: pause.wakeAt,
            waitingFor: pause.waitingFor,
            recoveryAttempts: 0
          }
          : { ...base, status: asked ? "paused" : "running", wakeAt: null, waitingFor: null, recoveryAttempts: 0 },
        at.updatedAt
      )
      return Effect.void
    }),

  finish: (runId, lease, ending, at) =>
    Effect.suspend(() => {
      const run = held(runs, runId, lease)
      if (!("record" in run)) return Effect.fail(run)
      run.record = {
        ...run.record,
        status: ending.status,
        error: ending.error,
        expiresAt: ending.expiresAt,
        owner: null,
        leaseUntil: null,
        wakeAt: null,
        waitingFor: null,
        pausedFrom: null,
        updatedAt: at.updatedAt,
        elapsedMillis: run.record.elapsedMillis + at.elapsedMillis
      }
      recordFollowUps(runs, ending.followUps)
      return Effect.void
    }),

  cancel: (runId, now, expiresAt, followUps) =>
    Effect.sync((): CancelResult => {
      const run = runs.get(runId)
      if (run === undefined) return { _tag: "NotFound" }
      if (isFinal(run.record.status)) return { _tag: "Finished", status: run.record.status }
      const cancelled: Array<string> = []
      for (const target of [run, ...descendants(runs, runId)]) {
        if (isFinal(target.record.status)) continue
        recordChange(target, {
          ...target.record,
          status: "cancelled",
          updatedAt: now,
          expiresAt,
          owner: null,
          leaseUntil: null,
          wakeAt: null,
          waitingFor: null,
          pausedFrom: null
        }, now)
        cancelled.push(target.record.runId)
      }
      recordFollowUps(runs, followUps)
      return { _tag: "Cancelled", runIds: cancelled }
    })
})

/** Reading runs, and collecting expired ones. */
const reads = (
  runs: Runs
): Pick<Service, "load" | "getRun" | "steps" | "list" | "collectExpired" | "searchAttributes" | "history"> => ({
  searchAttributes: (runId) => Effect.sync(() => Object.fromEntries(runs.get(runId)?.search ?? [])),

  history: (runId) => Effect.sync(() => runs.get(runId)?.history.slice() ?? []),

  load: (runId) =>
    Effect.sync(() => {
      const run = runs.get(runId)
      if (run === undefined) return Option.none()
      return Option.some<LoadedRun>({
        run: run.record,
        snapshotSeq: run.snapshotSeq,
        snapshot: run.snapshot,
        stepsAfterSnapshot: run.steps.filter((s) => s.seq > run.snapshotSeq),
        completedStepKeys: run.steps.filter((s) => s.status !== "failed").map((s) => s.stepKey)
      })
    }),

  getRun: (runId) => Effect.sync(() => Option.fromNullable(runs.get(runId)?.record)),

  steps: (runId) => Effect.sync(() => runs.get(runId)?.steps.slice() ?? []),

  list: (filter: RunFilter) =>
    Effect.sync(() => {
      const all = Array.from(runs.values()).filter((run) =>
        matchesFilter(run.record, filter) && matchesSearch(run.search, filter.where)
      ).map((run) => run.record)
      all.sort(newestFirst)
      return filter.limit === undefined ? all : all.slice(0, Math.max(0, Math.floor(filter.limit)))
    }),

  collectExpired: (now) =>
    Effect.sync(() => {
      let deleted = 0
      for (const [id, run] of runs) {
        const { expiresAt, status } = run.record
        if (isFinal(status) && expiresAt !== null && expiresAt < now) {
          runs.delete(id)
          deleted++
        }
      }
      return deleted
    })
})

/** Recording, taking and listing signals. */
const signals = (runs: Runs): Pick<Service, "recordSignal" | "takeSignal" | "signals"> => ({
  recordSignal: (signal) =>
    Effect.sync((): RecordSignalResult => {
      const run = runs.get(signal.runId)
      if (run === undefined) return "not-found"
      if (isFinal(run.record.status)) return "run-ended"
      if (run.signals.some((s) => s.name === signal.name && s.consumedBy === null)) return "already-pending"
      run.signals.push({ ...signal, consumedBy: null })
      const root = runs.get(run.record.rootId)
      if (root !== undefined && (root.record.status === "suspended" || root.record.pausedFrom === "suspended")) {
        const wakeAt = root.record.wakeAt === null ? signal.receivedAt : Math.min(root.record.wakeAt, signal.receivedAt)
        root.record = { ...root.record, wakeAt }
      }
      return "recorded"
    }),

  takeSignal: (runId, name, stepKey, lease) =>
    Effect.suspend(() => {
      const run = held(runs, runId, lease)
      if (!("record" in run)) return Effect.fail(run)
      const taken = run.signals.find((s) => s.name === name && s.consumedBy === stepKey)
      if (taken !== undefined) return Effect.succeed(Option.some(taken))
      const index = run.signals.findIndex((s) => s.name === name && s.consumedBy === null)
      if (index < 0) return Effect.succeed(Option.none<SignalRecord>())
      const consumed = { ...run.signals[index]!, consumedBy: stepKey }
      run.signals[index] = consumed
      return Effect.succeed(Option.some(consumed))
    }),

  signals: (runId) => Effect.sync(() => runs.get(runId)?.signals.slice() ?? [])
})

/** Builds an empty in-memory store. */
export const makeMemoryStore: Effect.Effect<Service> = Effect.sync(() => {
  const runs: Runs = new Map()
  const schedules = new Map<string, ScheduleRecord>()
  const service: Service = {
    durable: false,
    ...claims(runs, new Map()),
    ...writes(runs),
    ...control(runs),
    ...versions(runs),
    ...reads(runs),
    ...signals(runs),
    ...scheduleOps(schedules),
    ...fleet(runs, new Map())
  }
  return service
})
