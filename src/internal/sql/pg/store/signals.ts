/**
 * Signals: recorded for a run (one pending per name), taken by the waiting
 * step under its fence, and listed.
 *
 * @internal
 */
import { Effect, Option } from "effect"
import type { Service } from "../../../../SnapshotStore.js"
import type { Io } from "./io.js"

/** Recording, taking and listing signals. */
export const signals = (io: Io): Pick<Service, "recordSignal" | "takeSignal" | "signals"> => {
  const { decoded, encode, json, op, q, refusal, signalOf } = io
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
