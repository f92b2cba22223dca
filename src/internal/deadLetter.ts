/**
 * Dead letters, as every store records them: the error summary of a run
 * ended `failed` because its executions kept dying (`RecoveryAttemptsExceeded`),
 * the same in each store so that any process revives the same error.
 *
 * @internal
 */
import { RecoveryAttemptsExceeded } from "../Errors.js"
import type { ErrorSummary } from "../SnapshotStore.js"

/** The summary of a dead letter's error: its tag, message and fields. */
export const deadLetterError = (runId: string, attempts: number, maxRecoveryAttempts: number): ErrorSummary => {
  const error = new RecoveryAttemptsExceeded({ runId, attempts, maxRecoveryAttempts })
  return { tag: error._tag, message: error.message, data: { runId, attempts, maxRecoveryAttempts } }
}
