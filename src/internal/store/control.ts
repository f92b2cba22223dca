/**
 * The records of run control: pausing, unpausing and cancelling a run (re-
 * exported by `SnapshotStore`).
 *
 * @internal
 */
import type { RunStatus } from "../../SnapshotStore.js"

/**
 * What a paused run returns to when unpaused.
 *
 * @since 0.4.0
 * @category models
 */
export type PausedFrom = "queued" | "running" | "suspended"

/**
 * The outcome of a pause ({@link Service} `pauseRun`): `Paused` (the run is
 * now `paused`, or was already; `from` is what it returns to), `Pausing`
 * (it executes under `owner`'s live lease: that engine hands it back,
 * `paused`, at its next checkpoint), or why not.
 *
 * @since 0.4.0
 * @category models
 */
export type PauseResult =
  | { readonly _tag: "Paused"; readonly from: PausedFrom }
  | { readonly _tag: "Pausing"; readonly owner: string }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Finished"; readonly status: RunStatus }

/**
 * The outcome of an unpause ({@link Service} `unpauseRun`): `Unpaused` with
 * the status the run returned to (a pause asked of an executing run is
 * withdrawn: `"running"`), or why not.
 *
 * @since 0.4.0
 * @category models
 */
export type UnpauseResult =
  | { readonly _tag: "Unpaused"; readonly status: PausedFrom }
  | { readonly _tag: "NotPaused"; readonly status: RunStatus }
  | { readonly _tag: "NotFound" }

/**
 * The outcome of a cancellation: the ids cancelled (the run and its active
 * descendants), or why nothing was.
 *
 * @since 0.2.0
 * @category models
 */
export type CancelResult =
  | { readonly _tag: "Cancelled"; readonly runIds: ReadonlyArray<string> }
  | { readonly _tag: "NotFound" }
  | { readonly _tag: "Finished"; readonly status: RunStatus }
