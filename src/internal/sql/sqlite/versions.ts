/**
 * The SQLite store's re-runs (a failed or cancelled run re-opened, claimed)
 * and migrations (a claimed run's checkpoint and new template, in one
 * fenced transaction).
 *
 * @internal
 */
import { Effect, Option } from "effect"
import type { LeaseLost, PersistenceError, RunCancelled } from "../../../Errors.js"
import * as RunStatus from "../../../RunStatus.js"
import type { ClaimResult, Lease, RunRecord, Service } from "../../../SnapshotStore.js"
import { toStoredState } from "../schema.js"
import type { Connection } from "./connection.js"
import { refusal, stepParams } from "./groupCommit.js"
import type { Statements } from "./statements.js"

type Fenced = RunCancelled | LeaseLost

/** What the operations need of the store they belong to. */
export interface VersionDeps {
  readonly connection: Connection
  readonly st: Statements
  readonly op: <A>(operation: string, fn: () => A) => Effect.Effect<A, PersistenceError>
  readonly fenced: (result: Fenced | undefined) => Effect.Effect<void, Fenced>
  readonly claimed: (runId: string, owner: string) => { readonly lease: Lease; readonly run: RunRecord }
  readonly statusOf: (runId: string) =>
    | { readonly status: RunStatus.RunStatus; readonly owner: string | null; readonly lease_until: number | null }
    | undefined
}

/** Re-runs and migrations. */
export const versionOps = ({ claimed, connection, fenced, op, st, statusOf }: VersionDeps): Pick<Service, "reopen" | "retarget" | "initialState"> => ({
  initialState: (runId) =>
    op("initialState", () => {
      const row = st.initialState.get(runId) as { readonly state: unknown } | undefined
      return row === undefined || row.state === null ? Option.none() : Option.some(toStoredState(row.state))
    }),

  reopen: (runId, owner, now, leaseUntil) =>
    op("reopen", () =>
      connection.write((): ClaimResult => {
        if (st.reopen.run({ runId, owner, now, leaseUntil }).changes === 1) return { claimed: true, ...claimed(runId, owner) }
        const row = statusOf(runId)
        if (row === undefined) return { claimed: false, reason: "not-found", owner: null, leaseUntil: null }
        return {
          claimed: false,
          reason: RunStatus.isFinal(row.status) ? "finished" : "held",
          owner: row.owner,
          leaseUntil: row.lease_until
        }
      })),

  retarget: (step, lease, template) =>
    Effect.flatMap(
      op("retarget", () => {
        const params = stepParams(step, lease)
        return connection.write((): Fenced | undefined => {
          const moved = st.retarget.run(template.name, template.version, template.fingerprint, step.runId, lease.generation)
          if (moved.changes !== 1) return refusal(st, step.runId, lease)
          st.insertStep.run(...params)
          return undefined
        })
      }),
      fenced
    )
})
