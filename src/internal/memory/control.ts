/**
 * Pausing and unpausing runs in the in-memory store (see `SnapshotStore`'s
 * `pauseRun` and `unpauseRun`).
 *
 * @internal
 */
import { Effect } from "effect"
import { isFinal } from "../../RunStatus.js"
import type { PauseResult, Service, UnpauseResult } from "../../SnapshotStore.js"
import { recordChange } from "./claimNext.js"
import type { Runs } from "./run.js"

/** Pausing and unpausing runs. */
export const control = (runs: Runs): Pick<Service, "pauseRun" | "unpauseRun"> => ({
  pauseRun: (runId, now) =>
    Effect.sync((): PauseResult => {
      const run = runs.get(runId)
      if (run === undefined) return { _tag: "NotFound" }
      const { record } = run
      if (isFinal(record.status)) return { _tag: "Finished", status: record.status }
      if (record.status === "paused") return { _tag: "Paused", from: record.pausedFrom ?? "queued" }
      if (record.status === "running" && record.owner !== null && (record.leaseUntil ?? 0) > now) {
        if (record.pausedFrom !== "running") run.record = { ...record, pausedFrom: "running" }
        return { _tag: "Pausing", owner: record.owner }
      }
      const from = record.status
      recordChange(run, { ...record, status: "paused", pausedFrom: from, owner: null, leaseUntil: null, updatedAt: now }, now)
      return { _tag: "Paused", from }
    }),

  unpauseRun: (runId, now) =>
    Effect.sync((): UnpauseResult => {
      const run = runs.get(runId)
      if (run === undefined) return { _tag: "NotFound" }
      const { record } = run
      const from = record.pausedFrom ?? null
      if (from === null || (record.status !== "paused" && record.status !== "running")) {
        return { _tag: "NotPaused", status: record.status }
      }
      recordChange(run, { ...record, status: record.status === "paused" ? from : "running", pausedFrom: null, updatedAt: now }, now)
      return { _tag: "Unpaused", status: record.status === "paused" ? from : "running" }
    })
})
