/**
 * A run as one JSON document: its record, its search attributes, its
 * history, its steps with what each wrote (`delta`, as stored: the state
 * after any step follows from them) and its current state (as stored:
 * each key's encoded value with its times). `engine.export`, `weft export`
 * (one run, or `--where …` as JSON lines), `GET /api/runs/:runId/export`.
 *
 * @since 0.4.0
 */
import type * as History from "./History.js"
import type { RunRecord, SearchValue, StepRecord, StoredState } from "./SnapshotStore.js"

/**
 * One run, exported.
 *
 * @since 0.4.0
 * @category models
 */
export interface RunExport {
  readonly run: RunRecord
  readonly searchAttributes: Readonly<Record<string, SearchValue>>
  readonly history: History.History
  /** Every step record, in order, with its delta (encoded values). */
  readonly steps: ReadonlyArray<StepRecord>
  /** The run's current state, as stored. */
  readonly state: StoredState
}

/**
 * What a bulk cancellation did: how many active runs matched, and the ids
 * cancelled (none for a dry run).
 *
 * @since 0.4.0
 * @category models
 */
export interface BulkCancel {
  readonly dryRun: boolean
  readonly matched: number
  readonly cancelled: ReadonlyArray<string>
}
