/**
 * The PostgreSQL store's fleet operations: workers, queue statistics, step
 * samples for metrics.
 *
 * @internal
 */
import { Effect } from "effect"
import type { Service } from "../../../../SnapshotStore.js"
import { toQueueStats, toStepSample, toWorker } from "../../fleetRows.js"
import type { Io } from "./io.js"

/** Workers, queues and step samples. */
export const fleet = (io: Io): Pick<Service, "recordWorker" | "workers" | "queueStats" | "stepSample"> => {
  const { decode, decoded, encode, op, q } = io
  return {
    recordWorker: (worker) =>
      op(
        "recordWorker",
        Effect.asVoid(q.fleet("recordWorker", {
          ...worker,
          workerId: encode(worker.workerId),
          host: encode(worker.host),
          queues: encode(JSON.stringify(worker.queues))
        }))
      ),
    workers: (forget) =>
      decoded(
        "workers",
        Effect.zipRight(
          forget === undefined ? Effect.void : q.fleet("forgetWorkers", { forget }),
          q.fleet("workers", {})
        ),
        (rows) => rows.map((row) => toWorker(row, decode))
      ),
    queueStats: decoded("queueStats", q.fleet("queueStats", {}), (rows) => rows.map((row) => toQueueStats(row, decode))),
    stepSample: (since, until, limit) =>
      decoded("stepSample", q.fleet("stepSample", { since, until, limit }), (rows) => rows.map((row) => toStepSample(row, decode)))
  }
}
