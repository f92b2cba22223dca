/**
 * The in-memory `SnapshotStore`: every operation is one synchronous block
 * over private maps, so it is atomic, and a checkpoint is O(1).
 *
 * @internal
 */
import { Effect, Exit, Option } from "effect"
import { PersistenceError } from "../../Errors.js"
import { isFinal } from "../../RunStatus.js"
import type {
  CancelResult,
  ClaimResult,
  LoadedRun,
  RecordSignalResult,
  RunFilter,
  RunRecord,
  ScheduleRecord,
  Service,
  SignalRecord
} from "../../SnapshotStore.js"
import { claimNextIn, recordChange, take } from "./claimNext.js"
import { control } from "./control.js"
import { fleet } from "./fleet.js"
import { matchesFilter, matchesSearch, newestFirst } from "./filter.js"
import { claimable, held, isPaused, MemoryRun, newRecord, recordFollowUps } from "./run.js"
import type { Runs } from "./run.js"
import { scheduleOps } from "./schedules.js"
import { versions } from "./versions.js"
import { type AppendStepSync, withSync } from "../store/syncAppend.js"

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
      const stored = new MemoryRun(newRecord(run, claim === null ? "queued" : "running", claim), state)
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
      const search = run.search
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

/** The fenced writes of a run's owner, and cancellation. */
const writes = (runs: Runs): Pick<Service, "appendStep" | "pause" | "finish" | "cancel"> => {
  /** A checkpoint, at once (the interpreter's fast path takes it so: see `syncAppend.ts`). */
  const appendStepSync: AppendStepSync = (step, lease, snapshot, search) => {
    const run = held(runs, step.runId, lease)
    if (!("record" in run)) return Exit.fail(run)
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
    return Exit.void
  }
  return {
    appendStep: withSync(
      (step, lease, snapshot, search) => Effect.suspend(() => appendStepSync(step, lease, snapshot, search)!),
      appendStepSync
    ),

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
  }
}

/** Reading runs, and collecting expired ones. */
const reads = (
  runs: Runs
): Pick<Service, "load" | "getRun" | "endedRuns" | "steps" | "list" | "collectExpired" | "searchAttributes" | "history"> => ({
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

  endedRuns: (runIds) =>
    Effect.sync(() => {
      const ended: Array<RunRecord> = []
      const missing: Array<string> = []
      for (const runId of new Set(runIds)) {
        const record = runs.get(runId)?.record
        if (record === undefined) missing.push(runId)
        else if (isFinal(record.status)) ended.push(record)
      }
      return { ended, missing }
    }),

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
