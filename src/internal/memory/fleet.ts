/**
 * The in-memory store's fleet operations: workers, queue statistics and
 * step samples for metrics.
 *
 * @internal
 */
import { Effect } from "effect"
import type { RunRecord, Service, StepRecord, StepSample, WorkerInHand, WorkerRecord } from "../../SnapshotStore.js"
import { newestFirst } from "./filter.js"

/** What these operations read of a stored run. */
interface StoredRun {
  /** The record's fields a checkpoint does not move (status, claim). */
  readonly claim: RunRecord
  readonly record: RunRecord
  readonly steps: ReadonlyArray<StepRecord>
}

/** Workers, queues and step samples (the fleet). */
export const fleet = (
  runs: ReadonlyMap<string, StoredRun>,
  workers: Map<string, WorkerRecord>
): Pick<Service, "recordWorker" | "workers" | "queueStats" | "stepSample"> => ({
  recordWorker: (worker) => Effect.sync(() => void workers.set(worker.workerId, worker)),
  workers: (forget) =>
    Effect.sync(() => {
      const inHand = new Map<string, number>()
      for (const run of runs.values()) {
        const { owner, status } = run.claim
        if (status === "running" && owner !== null) inHand.set(owner, (inHand.get(owner) ?? 0) + 1)
      }
      const out: Array<WorkerInHand> = []
      for (const [id, worker] of workers) {
        const runsInHand = inHand.get(id) ?? 0
        if (forget !== undefined && worker.leaseUntil < forget && runsInHand === 0) workers.delete(id)
        else out.push({ ...worker, runsInHand })
      }
      return out.sort((a, b) => a.startedAt - b.startedAt || (a.workerId < b.workerId ? -1 : 1))
    }),
  queueStats: Effect.sync(() => {
    const byQueue = new Map<string, { queued: number; running: number; suspended: number; oldestQueuedAt: number | null }>()
    for (const run of runs.values()) {
      const { createdAt, queue, status } = run.claim
      if (status !== "queued" && status !== "running" && status !== "suspended") continue
      let stats = byQueue.get(queue)
      if (stats === undefined) byQueue.set(queue, stats = { queued: 0, running: 0, suspended: 0, oldestQueuedAt: null })
      stats[status]++
      if (status === "queued") stats.oldestQueuedAt = Math.min(stats.oldestQueuedAt ?? createdAt, createdAt)
    }
    return Array.from(byQueue, ([queue, stats]) => ({ queue, ...stats })).sort((a, b) => (a.queue < b.queue ? -1 : 1))
  }),
  stepSample: (since, until, limit) =>
    Effect.sync(() => {
      const chosen = Array.from(runs.values()).map((run) => run.record)
        .filter((r) => r.createdAt >= since && r.createdAt < until).sort(newestFirst)
      const out: Array<StepSample> = []
      for (const record of chosen) {
        for (const step of runs.get(record.runId)!.steps) {
          if (out.length >= limit) return out
          out.push({
            templateName: record.templateName,
            stepName: step.stepName,
            status: step.status,
            attempts: step.attempts,
            startedAt: step.startedAt,
            endedAt: step.endedAt,
            errorTag: step.error?.tag ?? null
          })
        }
      }
      return out
    })
})

