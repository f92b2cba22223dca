/**
 * `engine.metrics`: the runs created in a window (the newest
 * `sampleLimit`), their steps and the queues, read from the store and
 * summarized (`Metrics.summarize`).
 *
 * @internal
 */
import { Clock, Effect } from "effect"
import type { PersistenceError } from "../../Errors.js"
import * as Metrics from "../../Metrics.js"
import type { Service as Store } from "../../SnapshotStore.js"
import { retryTransient } from "../run/checkpoint.js"
import { queues } from "./workers.js"

/** Metrics of the runs created in the window. */
export const metrics = (store: Store) => (options: Metrics.Options = {}): Effect.Effect<Metrics.Metrics, PersistenceError> =>
  Effect.gen(function*() {
    const until = options.until ?? (yield* Clock.currentTimeMillis) + 1
    const since = options.since ?? until - 3_600_000
    const limit = Math.max(1, Math.floor(options.sampleLimit ?? 10_000))
    const [runs, steps, byQueue] = yield* Effect.all([
      retryTransient(store.list({ createdAfter: since, createdBefore: until, limit: limit + 1 })),
      retryTransient(store.stepSample(since, until, limit * 10 + 1)),
      queues(store)
    ])
    return Metrics.summarize({
      since,
      until,
      sampled: runs.length > limit || steps.length > limit * 10,
      runs: runs.slice(0, limit),
      steps: steps.slice(0, limit * 10),
      queues: byQueue
    })
  })
