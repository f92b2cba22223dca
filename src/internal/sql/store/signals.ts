/**
 * Signals: recorded for a run (one pending per name), taken by the waiting
 * step under its fence, and listed.
 *
 * @internal
 */
import type { SqlError } from "@effect/sql/SqlError"
import { Effect, Option } from "effect"
import { PersistenceError } from "../../../Errors.js"
import type { CancelResult, ClaimResult, Lease, LoadedRun, Service, StepRecord } from "../../../SnapshotStore.js"
import { isFinal } from "../../store/status.js"
import type { StatusRow, StoredFilter } from "../dialect.js"
import { type Row, RowDecodeError, toStoredState } from "../schema.js"
import { type Io, runText } from "./io.js"

/** Recording, taking and listing signals. */
export const signals = (io: Io): Pick<Service, "recordSignal" | "takeSignal" | "signals"> => {
  const { decode, decodeRow, decoded, encode, encodeNullable, fenced, json, op, q, refusal, runOf, signalOf, stepOf } = io
  return {
    recordSignal: (signal) =>
      Effect.flatMap(json("recordSignal", signal.payload), (payload) =>
        op(
          "recordSignal",
          q.recordSignal({
            runId: encode(signal.runId),
            name: encode(signal.name),
            payload,
            receivedAt: signal.receivedAt
          })
        )),

    takeSignal: (runId, name, stepKey, lease) =>
      Effect.flatMap(
        decoded(
          "takeSignal",
          q.takeSignal({ runId: encode(runId), generation: lease.generation, name: encode(name), stepKey: encode(stepKey) }),
          ({ held, signal }) => ({ held, signal: signal === undefined ? Option.none() : Option.some(signalOf(signal)) })
        ),
        ({ held, signal }) => held ? Effect.succeed(signal) : refusal("takeSignal", runId, lease)
      ),

    signals: (runId) => decoded("signals", q.signals(encode(runId)), (rows) => rows.map(signalOf))
  }
}
