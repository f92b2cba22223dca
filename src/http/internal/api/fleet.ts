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
