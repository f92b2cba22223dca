/**
 * `engine.history`: a run's record, stored history, steps and signals read
 * from the store (each retried while the store fails transiently) and
 * merged in order (`History.fromRecords`).
 *
 * @internal
 */
import { Effect } from "effect"
import type { PersistenceError, RunNotFound } from "../../Errors.js"
import * as History from "../../History.js"
import type { Service as Store } from "../../SnapshotStore.js"
import { retryTransient } from "../run/checkpoint.js"
import { getRun } from "./runs.js"

/** A run's full history, or `RunNotFound`. */
export const history = (store: Store) => (runId: string): Effect.Effect<History.History, RunNotFound | PersistenceError> =>
  Effect.flatMap(getRun(store)(runId), (run) =>
    Effect.map(
      Effect.all([
        retryTransient(store.history(runId)),
        retryTransient(store.steps(runId)),
        retryTransient(store.signals(runId))
      ]),
      ([stored, steps, signals]) => History.fromRecords(run, stored, steps, signals)
    ))
