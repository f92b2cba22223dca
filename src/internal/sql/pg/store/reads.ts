/**
 * Reading runs: a run to resume (its latest snapshot and the steps after
 * it), a record, a trace, pages of records, and the collection of expired
 * runs.
 *
 * @internal
 */
import { Effect, Option } from "effect"
import * as RunStatus from "../../../../RunStatus.js"
import type { LoadedRun, Service, StepRecord } from "../../../../SnapshotStore.js"
import type { StoredFilter } from "../dialect.js"
import { RowDecodeError, toStoredState } from "../../schema.js"
import type { Io } from "./io.js"
import { toHistoryRecord, toSearchAttributes } from "../../fleetRows.js"

/** Reading runs, and collecting expired ones. */
export const reads = (
  io: Io
): Pick<Service, "load" | "getRun" | "endedRuns" | "steps" | "list" | "collectExpired" | "searchAttributes" | "history"> => {
  const { decode, decoded, encode, op, q, runOf, stepOf } = io
  return {
    load: (runId) =>
      decoded(
        "load",
        Effect.flatMap(q.selectLoad(encode(runId)), (row) =>
          row === undefined
            ? Effect.succeed(undefined)
            : Number(row.seq) === 0
            // no checkpoint yet (the cursor is the last step row's): no step rows to read
            ? Effect.succeed({ row, steps: [] })
            : Effect.map(
              q.stepsForLoad(encode(runId), Number(row.snapshot_seq ?? 0)),
              (steps) => ({ row, steps })
            )),
        (found): Option.Option<LoadedRun> => {
          if (found === undefined) return Option.none()
          const { row, steps } = found
          if (row.snapshot_state === null || row.snapshot_state === undefined) {
            throw new RowDecodeError("snapshots", "state", `run ${JSON.stringify(runId)} has no snapshot`)
          }
          const snapshotSeq = Number(row.snapshot_seq)
          if (!Number.isFinite(snapshotSeq)) throw new RowDecodeError("snapshots", "seq", "expected a number")
          const stepsAfterSnapshot: Array<StepRecord> = []
          const completedStepKeys: Array<string> = []
          for (const stepRow of steps) {
            if (Number(stepRow.seq) > snapshotSeq) stepsAfterSnapshot.push(stepOf(stepRow))
            if (stepRow.status !== "failed") {
              if (typeof stepRow.step_key !== "string") throw new RowDecodeError("steps", "step_key", "expected text")
              completedStepKeys.push(decode(stepRow.step_key))
            }
          }
          return Option.some({
            run: runOf(row),
            snapshotSeq,
            snapshot: toStoredState(row.snapshot_state),
            stepsAfterSnapshot,
            completedStepKeys
          })
        }
      ),

    getRun: (runId) =>
      decoded("getRun", q.selectRun(encode(runId)), (row) => row === undefined ? Option.none() : Option.some(runOf(row))),

    endedRuns: (runIds) => {
      const asked = [...new Set(runIds)]
      const stored = new Map(asked.map((runId) => [encode(runId), runId]))
      return decoded(
        "endedRuns",
        Effect.flatMap(q.statusesOf([...stored.keys()]), (statuses) => {
          const missing: Array<string> = []
          const ended: Array<string> = []
          for (const row of statuses) {
            const runId = stored.get(String(row.asked))!
            if (row.status === null || row.status === undefined) missing.push(runId)
            else if (RunStatus.isFinal(row.status as RunStatus.RunStatus)) ended.push(encode(runId))
          }
          return Effect.map(
            ended.length === 0 ? Effect.succeed([]) : q.selectRuns(ended),
            (rows) => ({ rows, missing })
          )
        }),
        ({ missing, rows }) => ({ ended: rows.map(runOf), missing })
      )
    },

    steps: (runId) => decoded("steps", q.steps(encode(runId)), (rows) => rows.map(stepOf)),

    list: (filter) => {
      const statuses = filter.status === undefined ? undefined : typeof filter.status === "string" ? [filter.status] : filter.status
      if (statuses !== undefined && statuses.length === 0) return Effect.succeed([])
      if (filter.limit !== undefined && Math.floor(filter.limit) <= 0) return Effect.succeed([])
      const stored: StoredFilter = {
        ...filter,
        status: statuses,
        templateName: filter.templateName === undefined ? undefined : encode(filter.templateName),
        queue: filter.queue === undefined ? undefined : encode(filter.queue),
        parentId: filter.parentId === undefined ? undefined : encode(filter.parentId),
        rootId: filter.rootId === undefined ? undefined : encode(filter.rootId),
        forkedFrom: filter.forkedFrom === undefined ? undefined : encode(filter.forkedFrom),
        runIdPrefix: filter.runIdPrefix === undefined ? undefined : encode(filter.runIdPrefix),
        where: filter.where?.map((c) => ({ ...c, key: encode(c.key), value: typeof c.value === "string" ? encode(c.value) : c.value })),
        after: filter.after === undefined ? undefined : { createdAt: filter.after.createdAt, runId: encode(filter.after.runId) },
        limit: filter.limit === undefined ? undefined : Math.floor(filter.limit)
      }
      return decoded("list", q.list(stored), (rows) => rows.map(runOf))
    },

    collectExpired: (now) => op("collectExpired", q.collectExpired(now)),

    searchAttributes: (runId) =>
      decoded("searchAttributes", q.searchOf(encode(runId)), (rows) => toSearchAttributes(rows, decode)),

    history: (runId) =>
      decoded("history", q.historyOf(encode(runId)), (rows) => rows.map((row) => toHistoryRecord(row, decode)))
  }
}
