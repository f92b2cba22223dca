/**
 * Re-opening and re-targeting runs in the in-memory store.
 *
 * @internal
 */
import { Effect, Option } from "effect"
import { isFinal } from "../../RunStatus.js"
import type { ClaimResult, Service } from "../../SnapshotStore.js"
import { held } from "./run.js"
import type { Runs } from "./run.js"

/** Re-opening a finished run (a re-run) and moving a claimed run to another version (a migration). */
export const versions = (runs: Runs): Pick<Service, "reopen" | "retarget" | "initialState"> => ({
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
        migratedFrom: `${run.record.templateName}@${run.record.templateVersion}`,
        templateName: template.name,
        templateVersion: template.version,
        templateFingerprint: template.fingerprint
      }
      return Effect.void
    })
})
