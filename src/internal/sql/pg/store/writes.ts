/**
 * The fenced writes of a run's owner (a step, a pause, the end), each
 * refused with its reason when the fence no longer holds, and cancellation
 * (with the run's active descendants).
 *
 * @internal
 */
import { Effect } from "effect"
import { PersistenceError } from "../../../../Errors.js"
import type { CancelResult, Service } from "../../../../SnapshotStore.js"
import { isFinal } from "../../../../RunStatus.js"
import { RowDecodeError, toJson } from "../../schema.js"
import type { InsertRun } from "../dialect.js"
import { followUpRows } from "./claims.js"
import type { Io } from "./io.js"
import { searchParams } from "../../fleetRows.js"

/**
 * Cancels the run and its active descendants, or says why not. A run that
 * is active when read back after nothing was cancelled appeared in
 * between (created at that moment): cancelled by the next attempt.
 */
const cancelRun = (
  io: Io,
  runId: string,
  now: number,
  expiresAt: number | null,
  attempts: number,
  followUps: ReadonlyArray<InsertRun>
): Effect.Effect<CancelResult, PersistenceError> => {
  const { decode, decoded, encode, q } = io
  return Effect.flatMap(
    decoded(
      "cancel",
      Effect.flatMap(q.cancel(encode(runId), now, expiresAt, followUps), (ids) =>
        ids.length > 0
          ? Effect.succeed({ ids, status: undefined })
          : Effect.map(q.statusOf(encode(runId)), (status) => ({ ids, status }))),
      ({ ids, status }): CancelResult | undefined => {
        if (ids.length > 0) {
          return {
            _tag: "Cancelled",
            runIds: ids.map((id) => {
              if (typeof id !== "string") throw new RowDecodeError("runs", "run_id", "expected text")
              return decode(id)
            })
          }
        }
        if (status === undefined) return { _tag: "NotFound" }
        return isFinal(status.status) ? { _tag: "Finished", status: status.status } : undefined
      }
    ),
    (result) =>
      result !== undefined
        ? Effect.succeed(result)
        : attempts > 1
        ? cancelRun(io, runId, now, expiresAt, attempts - 1, followUps)
        : Effect.fail(
          new PersistenceError({
            operation: "cancel",
            reason: "locked",
            path: io.dialect.path,
            detail: `run ${JSON.stringify(runId)} changed while it was being cancelled; try again`
          })
        )
  )
}

/** The fenced writes of a run's owner, cancellation, pausing and unpausing. */
export const writes = (
  io: Io
): Pick<Service, "appendStep" | "pause" | "finish" | "cancel" | "pauseRun" | "unpauseRun"> => {
  const { encode, fenced, json, op, q } = io
  return {
    pauseRun: (runId, now) => op("pauseRun", q.pauseRun(encode(runId), now)),

    unpauseRun: (runId, now) => op("unpauseRun", q.unpauseRun(encode(runId), now)),

    appendStep: (step, lease, snapshot, search) =>
      Effect.flatMap(
        json("appendStep", step, (step) => [
          toJson(step.delta),
          step.error === null ? null : toJson(step.error),
          snapshot === undefined ? undefined : toJson(snapshot)
        ] as const),
        ([delta, error, snapshotJson]) =>
          fenced(
            "appendStep",
            step.runId,
            lease,
            q.appendStep({
              step: {
                ...step,
                runId: encode(step.runId),
                stepKey: encode(step.stepKey),
                stepName: encode(step.stepName),
                idempotencyKey: encode(step.idempotencyKey)
              },
              delta,
              error,
              generation: lease.generation,
              snapshot: snapshotJson,
              search: search === undefined ? undefined : searchParams(search, encode)
            })
          ).pipe(
            Effect.catchIf(
              (e): e is PersistenceError => e instanceof PersistenceError && e.reason === "duplicate",
              (e) =>
                Effect.fail(
                  new PersistenceError({
                    operation: "appendStep",
                    reason: "duplicate",
                    path: e.path,
                    detail: `step ${step.seq} of run ${JSON.stringify(step.runId)} is recorded already; ` +
                      "nothing was written",
                    cause: e.cause
                  })
                )
            )
          )
      ),

    pause: (runId, lease, pause, at) =>
      Effect.flatMap(
        pause._tag === "Suspend" ? json("pause", pause.waitingFor) : Effect.succeed(null),
        (waitingFor) =>
          fenced(
            "pause",
            runId,
            lease,
            q.pause({
              runId: encode(runId),
              generation: lease.generation,
              status: pause._tag === "Suspend" ? "suspended" : "running",
              updatedAt: at.updatedAt,
              elapsedMillis: at.elapsedMillis,
              wakeAt: pause._tag === "Suspend" ? pause.wakeAt : null,
              waitingFor
            })
          )
      ),

    finish: (runId, lease, ending, at) =>
      Effect.flatMap(
        Effect.all([json("finish", ending.error), followUpRows(io, "finish", ending.followUps)]),
        ([error, followUps]) =>
          fenced(
            "finish",
            runId,
            lease,
            q.finish({
              runId: encode(runId),
              generation: lease.generation,
              status: ending.status,
              error: ending.error === null ? null : error,
              expiresAt: ending.expiresAt,
              updatedAt: at.updatedAt,
              elapsedMillis: at.elapsedMillis
            }, followUps)
          )
      ),

    cancel: (runId, now, expiresAt, followUps) =>
      Effect.flatMap(followUpRows(io, "cancel", followUps), (rows) => cancelRun(io, runId, now, expiresAt, 3, rows))
  }
}
