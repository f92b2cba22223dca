/**
 * The records of claims: the lease an engine holds on a run, what it may
 * claim, and the outcome of a claim (re-exported by `SnapshotStore`).
 *
 * @internal
 */
import type { RunRecord } from "../../SnapshotStore.js"

/**
 * The claim an engine holds on a run: every write it makes carries it.
 *
 * @since 0.2.0
 * @category models
 */
export interface Lease {
  readonly owner: string
  readonly generation: number
}

/**
 * The outcome of a claim: the lease and the run as claimed, or why not.
 *
 * @since 0.1.0
 * @category models
 */
export type ClaimResult =
  | { readonly claimed: true; readonly lease: Lease; readonly run: RunRecord }
  | {
    readonly claimed: false
    /**
     * `"held"`: a live lease of another owner; `"finished"`: a final status;
     * `"paused"`: paused, or a pause was asked of it; `"not-found"`.
     */
    readonly reason: "held" | "finished" | "paused" | "not-found"
    readonly owner: string | null
    readonly leaseUntil: number | null
  }

/**
 * Which runs {@link SnapshotStore} `claimNext` may take.
 *
 * @since 0.2.0
 * @category models
 */
export interface ClaimFilter {
  /** Only runs of these templates (name and version): an engine claims only what it can execute. */
  readonly templates: ReadonlyArray<{ readonly name: string; readonly version: string }>
  /**
   * `queued` runs of these queues are claimed too (a worker); without it,
   * only runs that need recovery or are due.
   */
  readonly queues?: ReadonlyArray<string> | undefined
  /**
   * Orphaned and due runs (see `claimNext`) only of these queues; of every
   * queue when absent. An engine takes up only the runs of the queues it may
   * execute: `default` (runs started without a queue), and a worker's own.
   */
  readonly recoverQueues?: ReadonlyArray<string> | undefined
  /**
   * Owners the caller knows to be dead (processes of its machine that have
   * exited): their `running` runs are orphaned at once, whatever their
   * lease, as with `claim`'s `takeOverFrom`.
   */
  readonly takeOverFrom?: ReadonlyArray<string> | undefined
  /** At most this many. */
  readonly limit: number
  /**
   * Dead letters: an orphaned run (see `claimNext`) already taken up
   * `maxRecoveryAttempts` times in a row after its execution died is not
   * claimed but ended `failed` with `RecoveryAttemptsExceeded` (expiring at
   * `expiresAt`), in the same atomic step. Without it, orphaned runs are
   * claimed however often they died.
   */
  readonly deadLetter?: { readonly maxRecoveryAttempts: number; readonly expiresAt: number | null } | undefined
  /**
   * A rate limit of `queue` (one of `queues`): at most `limit` of its queued
   * runs start (are claimed from `queued`) in any `periodMillis`, counted
   * across every caller sharing the store, in the same atomic step as the
   * claim. Orphaned and due runs are not starts.
   */
  readonly rateLimit?: { readonly queue: string; readonly limit: number; readonly periodMillis: number } | undefined
}
