/**
 * The JSON shapes of the fleet endpoints: a run's history, workers, queues,
 * metrics, bulk cancellation and export.
 *
 * @since 0.4.0
 */
import { Schema } from "effect"
import { RunStatus as RunStatusSchema } from "../../../RunStatus.js"

/**
 * One entry of a run's history (see the `History` module): `_tag` and `at`
 * (epoch ms), and the fields of its kind.
 *
 * @since 0.4.0
 * @category models
 */
export const HistoryEntry = Schema.Struct(
  { _tag: Schema.String, at: Schema.Number },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
).annotations({ identifier: "HistoryEntry" })

/**
 * A run's history: every entry, in order.
 *
 * @since 0.4.0
 * @category models
 */
export const RunHistory = Schema.Struct({
  runId: Schema.String,
  status: RunStatusSchema,
  entries: Schema.Array(HistoryEntry)
}).annotations({ identifier: "RunHistory" })

/**
 * A queue: active runs by status, the oldest queued run's age, the live workers serving it.
 *
 * @since 0.4.0
 * @category models
 */
export const QueueView = Schema.Struct({
  queue: Schema.String,
  queued: Schema.Number,
  running: Schema.Number,
  suspended: Schema.Number,
  oldestQueuedAt: Schema.NullOr(Schema.Number),
  oldestQueuedAgeMs: Schema.NullOr(Schema.Number),
  workers: Schema.Array(Schema.String)
}).annotations({ identifier: "Queue" })

/**
 * A worker: what it recorded of itself, its runs in hand, and whether it is alive, dead or stopped.
 *
 * @since 0.4.0
 * @category models
 */
export const WorkerView = Schema.Struct({
  workerId: Schema.String,
  host: Schema.String,
  pid: Schema.Number,
  queues: Schema.Record({ key: Schema.String, value: Schema.Number }),
  startedAt: Schema.Number,
  heartbeatAt: Schema.Number,
  leaseUntil: Schema.Number,
  stoppedAt: Schema.NullOr(Schema.Number),
  runsInHand: Schema.Number,
  state: Schema.Literal("alive", "dead", "stopped")
}).annotations({ identifier: "Worker" })

const Percentiles = Schema.Struct({
  count: Schema.Number,
  p50: Schema.NullOr(Schema.Number),
  p95: Schema.NullOr(Schema.Number),
  p99: Schema.NullOr(Schema.Number)
})

const ByStatus = Schema.Record({ key: Schema.String, value: Schema.Number })

/**
 * Metrics of the runs created in a window (see the `Metrics` module).
 *
 * @since 0.4.0
 * @category models
 */
export const MetricsView = Schema.Struct({
  since: Schema.Number,
  until: Schema.Number,
  sampled: Schema.Boolean,
  total: Schema.Number,
  byStatus: ByStatus,
  failureRate: Schema.Number,
  templates: Schema.Array(Schema.Struct({
    template: Schema.String,
    total: Schema.Number,
    byStatus: ByStatus,
    failureRate: Schema.Number,
    durationMs: Percentiles
  })),
  steps: Schema.Array(Schema.Struct({
    template: Schema.String,
    step: Schema.String,
    count: Schema.Number,
    failed: Schema.Number,
    retries: Schema.Number,
    timeouts: Schema.Number,
    durationMs: Percentiles
  })),
  queues: Schema.Array(QueueView)
}).annotations({ identifier: "Metrics" })

/**
 * The query of `GET /api/metrics`: the window (epoch ms); default the last hour.
 *
 * @since 0.4.0
 * @category models
 */
export const MetricsQuery = Schema.Struct({
  since: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative())),
  until: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.nonNegative()))
})

/**
 * The body of `POST /api/runs/cancel-matching`: a filter (at least one
 * field) and `dryRun` to count the matching active runs without cancelling.
 *
 * @since 0.4.0
 * @category models
 */
export const CancelMatching = Schema.Struct({
  where: Schema.optional(Schema.Array(Schema.String)),
  prefix: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  status: Schema.optional(Schema.Array(RunStatusSchema)),
  template: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  since: Schema.optional(Schema.Number),
  until: Schema.optional(Schema.Number),
  runIds: Schema.optional(Schema.Array(Schema.String).pipe(Schema.maxItems(1000))),
  dryRun: Schema.optional(Schema.Boolean)
}).annotations({ identifier: "CancelMatching" })

/**
 * What a bulk cancellation did.
 *
 * @since 0.4.0
 * @category models
 */
export const BulkCancelled = Schema.Struct({
  dryRun: Schema.Boolean,
  matched: Schema.Number,
  cancelled: Schema.Array(Schema.String)
}).annotations({ identifier: "BulkCancelled" })

/**
 * A run as one JSON document (see the `Export` module).
 *
 * @since 0.4.0
 * @category models
 */
export const RunExport = Schema.Struct({
  run: Schema.Unknown,
  searchAttributes: Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Number) }),
  history: Schema.Unknown,
  steps: Schema.Array(Schema.Unknown),
  state: Schema.Unknown
}).annotations({ identifier: "RunExport" })
