/**
 * The records of the fleet: search attributes, a run's history, workers,
 * queues and step samples (re-exported by `SnapshotStore`).
 *
 * @internal
 */
import type { RunStatus, StepStatus } from "../../SnapshotStore.js"

/**
 * A search attribute's value as stored in the search index: a number
 * (compared as a number) or a string (compared as text). A boolean is stored
 * as `"true"`/`"false"`, any other JSON value as its JSON text.
 *
 * @since 0.4.0
 * @category models
 */
export type SearchValue = string | number

/**
 * What a checkpoint changes in a run's search attributes: each changed
 * attribute's new value, `null` for one removed from the state.
 *
 * @since 0.4.0
 * @category models
 */
export type SearchUpdate = Readonly<Record<string, SearchValue | null>>

/**
 * One entry of a run's stored history: a change of the run that no step or
 * signal record tells (recorded by the store with the change itself).
 * `kind`: `claimed` (a new generation: `ownerTo` took the run, from
 * `statusFrom`: `queued`, a due `suspended`, or `running` when recovered
 * from `ownerFrom` or taken up after a hand-back), `suspended` (with
 * `wakeAt` and what it waits for in `detail`), `released` (handed back by
 * `ownerFrom`), `cancelled`, or `status` (another change of status). New
 * kinds may be added: a reader shows one it does not know as it is.
 *
 * @since 0.4.0
 * @category models
 */
export interface HistoryRecord {
  readonly runId: string
  readonly at: number
  readonly kind: string
  readonly statusFrom: RunStatus | null
  readonly statusTo: RunStatus | null
  readonly ownerFrom: string | null
  readonly ownerTo: string | null
  readonly generation: number
  readonly wakeAt: number | null
  readonly detail: string | null
}

/**
 * A worker process as it records itself (one row per engine serving
 * queues): renewed at every beat, marked stopped when it stops.
 *
 * @since 0.4.0
 * @category models
 */
export interface WorkerRecord {
  /** The engine's owner id (`host:pid:nonce`): the runs it holds carry it. */
  readonly workerId: string
  readonly host: string
  readonly pid: number
  /** The queues it serves, each with how many of its runs it executes at once. */
  readonly queues: Readonly<Record<string, number>>
  readonly startedAt: number
  readonly heartbeatAt: number
  /** Until when it counts as alive without another beat. */
  readonly leaseUntil: number
  /** When it stopped (its layer closed); `null` while it serves. */
  readonly stoppedAt: number | null
}

/**
 * A worker with the runs it holds now (`running`, claimed by it).
 *
 * @since 0.4.0
 * @category models
 */
export interface WorkerInHand extends WorkerRecord {
  readonly runsInHand: number
}

/**
 * The active runs of one queue: how many wait to be claimed (`queued`),
 * execute (`running`) or wait (`suspended`), and when the oldest queued
 * one was created.
 *
 * @since 0.4.0
 * @category models
 */
export interface QueueStats {
  readonly queue: string
  readonly queued: number
  readonly running: number
  readonly suspended: number
  readonly oldestQueuedAt: number | null
}

/**
 * A step record with its run's template, for metrics.
 *
 * @since 0.4.0
 * @category models
 */
export interface StepSample {
  readonly templateName: string
  readonly stepName: string
  readonly status: StepStatus
  readonly attempts: number
  readonly startedAt: number
  readonly endedAt: number
  readonly errorTag: string | null
}

/**
 * A condition on a search attribute: `key op value`. A number value compares
 * numerically (only with attributes stored as numbers), a string value
 * compares as text.
 *
 * @since 0.4.0
 * @category models
 */
export interface SearchCondition {
  readonly key: string
  readonly op: "=" | "!=" | "<" | "<=" | ">" | ">="
  readonly value: SearchValue
}
