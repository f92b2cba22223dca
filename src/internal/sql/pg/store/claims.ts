/**
 * Creating and claiming runs: a new run (queued, or claimed at once), a
 * claim of one run (or why not: not found, finished, held), the next
 * claimable runs of some templates and queues, and a heartbeat that extends
 * an owner's leases.
 *
 * @internal
 */
import { searchParams } from "../../fleetRows.js"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import type { PersistenceError } from "../../../../Errors.js"
import { duplicateRun } from "../../faults.js"
import type { ClaimResult, FollowUp, Lease, NewRun, Service } from "../../../../SnapshotStore.js"
import { isFinal } from "../../../../RunStatus.js"
import type { InsertRun, StatusRow } from "../dialect.js"
import { type Row, RowDecodeError } from "../../schema.js"
import { type Io, runText } from "./io.js"

/** A new run with its text columns encoded. */
export const encodeRun = ({ encode, encodeNullable }: Io, run: NewRun): NewRun => ({
  ...withoutSearch(run),
  runId: encode(run.runId),
  templateName: encode(run.templateName),
  templateVersion: encode(run.templateVersion),
  parentId: encodeNullable(run.parentId),
  rootId: encode(run.rootId),
  queue: encode(run.queue),
  traceContext: encodeNullable(run.traceContext),
  templateFingerprint: encodeNullable(run.templateFingerprint ?? null),
  forkedFrom: encodeNullable(run.forkedFrom ?? null),
  forkedAfter: encodeNullable(run.forkedAfter ?? null),
  migratedFrom: encodeNullable(run.migratedFrom ?? null)
})

/** Follow-up runs as rows: released (`running`, no owner, generation 0), their states as JSON. */
export const followUpRows = (io: Io, operation: string, followUps: ReadonlyArray<FollowUp> | undefined) =>
  Effect.forEach(followUps ?? [], ({ run, state }) =>
    Effect.map(io.json(operation, state), (stateJson): InsertRun => ({
      run: encodeRun(io, run),
      status: "running",
      owner: null,
      leaseUntil: null,
      generation: 0,
      state: stateJson,
      search: undefined
    })))

/** Creating and claiming runs. */
export const claims = (io: Io): Pick<Service, "createRun" | "claim" | "claimNext" | "holders" | "heartbeat"> => {
  const { decode, decodeRow, decoded, encode, json, op, q, runOf } = io
  return {
    createRun: (run, state, claim) =>
      Effect.flatMap(
        Effect.flatMap(json("createRun", state), (stateJson) =>
          op(
            "createRun",
            q.insertRun({
              run: encodeRun(io, run),
              status: claim === null ? "queued" : "running",
              owner: claim === null ? null : encode(claim.owner),
              leaseUntil: claim?.leaseUntil ?? null,
              generation: claim === null ? 0 : 1,
              state: stateJson,
              search: run.search === undefined || Object.keys(run.search).length === 0
                ? undefined
                : searchParams(run.search, encode).set
            })
          )),
        (inserted): Effect.Effect<Lease | null, PersistenceError> =>
          inserted
            ? Effect.succeed(claim === null ? null : { owner: claim.owner, generation: 1 })
            : Effect.fail(duplicateRun(run.runId, io.dialect.path))
      ),

    claim: (runId, owner, now, leaseUntil, takeOverFrom) =>
      decoded(
        "claim",
        Effect.flatMap(
          q.claim({
            runId: encode(runId),
            owner: encode(owner),
            now,
            leaseUntil,
            takeOverFrom: takeOverFrom === undefined ? null : encode(takeOverFrom)
          }),
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
            reason: isFinal(status.status)
              ? "finished"
              : status.status === "paused" || status.pausedFrom !== null
              ? "paused"
              : "held",
            owner: status.owner === null ? null : decode(status.owner),
            leaseUntil: status.leaseUntil
          }
        }
      ),

    claimNext: (owner, now, leaseUntil, filter) => {
      const limit = Math.max(0, Math.floor(filter.limit))
      if (filter.templates.length === 0 || limit === 0) return Effect.succeed([])
      return decoded(
        "claimNext",
        q.claimNext({
          owner: encode(owner),
          now,
          leaseUntil,
          templates: filter.templates.map((t) => ({ name: encode(t.name), version: encode(t.version) })),
          queues: (filter.queues ?? []).map(encode),
          recoverQueues: filter.recoverQueues === undefined ? null : filter.recoverQueues.map(encode),
          takeOverFrom: (filter.takeOverFrom ?? []).map(encode),
          limit,
          maxRecoveryAttempts: filter.deadLetter?.maxRecoveryAttempts ?? null,
          deadExpiresAt: filter.deadLetter?.expiresAt ?? null,
          rateLimit: filter.rateLimit === undefined ? null : { ...filter.rateLimit, queue: encode(filter.rateLimit.queue) }
        }),
        (rows) =>
          rows.map(runOf)
            // dead letters were ended, not claimed
            .filter((run) => run.status === "running")
            .sort((a, b) =>
              (b.priority ?? 0) - (a.priority ?? 0) || a.createdAt - b.createdAt ||
              (a.runId < b.runId ? -1 : a.runId > b.runId ? 1 : 0)
            )
            .map((run) => ({ lease: { owner, generation: run.generation }, run }))
      )
    },

    holders: (now) =>
      decoded("holders", q.holders(now), (rows) =>
        rows.map((row) => {
          const owner = decodeRow(row, runText).owner
          if (typeof owner !== "string") throw new RowDecodeError("runs", "owner", "expected a text")
          return decode(owner)
        })),

    heartbeat: (owner, leaseUntil) =>
      decoded("heartbeat", q.heartbeat(encode(owner), leaseUntil), (rows) =>
        rows.map((row) => {
          const run = decodeRow(row, runText)
          const generation = Number(run.generation)
          if (typeof run.run_id !== "string" || !Number.isFinite(generation)) {
            throw new RowDecodeError("runs", "generation", "expected { run_id, generation }")
          }
          return { runId: run.run_id, generation, pauseAsked: run.paused_from !== null && run.paused_from !== undefined }
        }))
  }
}

/** A new run without its search attributes (sent apart). */
const withoutSearch = ({ search: _search, ...run }: NewRun): NewRun => run
