/**
 * Re-opening a failed or cancelled run (a re-run) and moving a claimed run
 * to another version of its template (a migration), each one statement.
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"
import type { ClaimResult, Service } from "../../../../SnapshotStore.js"
import { isFinal } from "../../../../RunStatus.js"
import type { StatusRow } from "../dialect.js"
import { type Row, type RowDecodeError, toStoredState } from "../../schema.js"
import type { Io } from "./io.js"

/** Re-runs and migrations. */
export const versions = (io: Io): Pick<Service, "reopen" | "retarget" | "initialState"> => {
  const { decode, decoded, encode, encodeNullable, fenced, json, q, runOf } = io
  return {
    initialState: (runId) =>
      decoded(
        "initialState",
        q.initialState(encode(runId)),
        (row) => row === undefined || row.state === null || row.state === undefined ? Option.none() : Option.some(toStoredState(row.state))
      ),

    reopen: (runId, owner, now, leaseUntil) =>
      decoded(
        "reopen",
        Effect.flatMap(
          q.reopen({ runId: encode(runId), owner: encode(owner), now, leaseUntil }),
          (row): Effect.Effect<{ readonly row: Row | undefined; readonly status: StatusRow | undefined }, SqlError | RowDecodeError> =>
            row !== undefined
              ? Effect.succeed({ row, status: undefined })
              : Effect.map(q.statusOf(encode(runId)), (status) => ({ row, status }))
        ),
        ({ row, status }): ClaimResult => {
          if (row !== undefined) {
            const run = runOf(row)
            return { claimed: true, lease: { owner, generation: run.generation }, run }
          }
          if (status === undefined) return { claimed: false, reason: "not-found", owner: null, leaseUntil: null }
          return {
            claimed: false,
            reason: isFinal(status.status) ? "finished" : "held",
            owner: status.owner === null ? null : decode(status.owner),
            leaseUntil: status.leaseUntil
          }
        }
      ),

    retarget: (step, lease, template) =>
      Effect.flatMap(
        Effect.all([json("retarget", step.delta), json("retarget", step.error)]),
        ([delta, error]) =>
          fenced(
            "retarget",
            step.runId,
            lease,
            q.retarget({
              step: {
                ...step,
                runId: encode(step.runId),
                stepKey: encode(step.stepKey),
                stepName: encode(step.stepName),
                idempotencyKey: encode(step.idempotencyKey)
              },
              delta,
              error: step.error === null ? null : error,
              generation: lease.generation,
              snapshot: undefined,
              search: undefined,
              templateName: encode(template.name),
              templateVersion: encode(template.version),
              templateFingerprint: encodeNullable(template.fingerprint)
            })
          )
      )
  }
}
