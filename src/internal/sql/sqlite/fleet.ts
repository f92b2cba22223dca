/**
 * The SQLite store's fleet operations: workers, queue statistics, step
 * samples for metrics.
 *
 * @internal
 */
import type { Effect } from "effect"
import type { PersistenceError } from "../../../Errors.js"
import type { Service } from "../../../SnapshotStore.js"
import { fleetSql, toQueueStats, toStepSample, toWorker } from "../fleetRows.js"
import type { Row } from "../schema.js"
import type { Connection } from "./connection.js"

const sql = fleetSql({ runs: "weft_runs", steps: "weft_steps", workers: "weft_workers" }, (name) => `@${name}`)

/** The fleet operations on the connection; `op` runs one (the file checked, faults mapped). */
export const fleetOps = (
  connection: Connection,
  op: <A>(operation: string, fn: () => A) => Effect.Effect<A, PersistenceError>
): Pick<Service, "recordWorker" | "workers" | "queueStats" | "stepSample"> => ({
  recordWorker: (worker) =>
    op("recordWorker", () => {
      connection.write(() =>
        connection.prepare(sql.recordWorker).run({ ...worker, queues: JSON.stringify(worker.queues) })
      )
    }),
  workers: (forget) =>
    op("workers", () => {
      if (forget !== undefined) connection.write(() => connection.prepare(sql.forgetWorkers).run({ forget }))
      return (connection.prepare(sql.workers).all() as ReadonlyArray<Row>).map((row) => toWorker(row))
    }),
  queueStats: op("queueStats", () => (connection.prepare(sql.queueStats).all() as ReadonlyArray<Row>).map((row) => toQueueStats(row))),
  stepSample: (since, until, limit) =>
    op("stepSample", () =>
      (connection.prepare(sql.stepSample).all({ since, until, limit }) as ReadonlyArray<Row>).map((row) => toStepSample(row)))
})
