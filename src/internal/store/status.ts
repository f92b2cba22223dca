/**
 * Run statuses: which are final.
 *
 * @internal
 */
import type { RunStatus } from "../../SnapshotStore.js"

/** Whether a status is final (`completed`, `failed`, `cancelled`). */
export const isFinal = (status: RunStatus): status is "completed" | "failed" | "cancelled" =>
  status === "completed" || status === "failed" || status === "cancelled"
