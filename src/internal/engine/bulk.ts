/**
 * Operations on many runs: cancelling every active run a filter matches
 * (with a dry run that only counts), and exporting runs as JSON documents.
 *
 * @internal
 */
import { Effect, Option } from "effect"
import { PersistenceError, RunNotFound } from "../../Errors.js"
import type * as Export from "../../Export.js"
import * as RunStatus from "../../RunStatus.js"
import type { RunFilter, RunRecord, Service as Store, StoredEntry, StoredState } from "../../SnapshotStore.js"
import { retryTransient } from "../run/checkpoint.js"
import { history } from "./history.js"

/** A filter's runs, page by page (newest first), through `each`. */
export const forEachRun = <E, R>(
  store: Store,
  filter: RunFilter,
  each: (run: RunRecord) => Effect.Effect<void, E, R>,
  pageSize = 500
): Effect.Effect<void, E | PersistenceError, R> =>
  Effect.gen(function*() {
    let after = filter.after
    while (true) {
      const page = yield* retryTransient(store.list({ ...filter, after, limit: pageSize }))
      for (const run of page) yield* each(run)
      if (page.length < pageSize) return
      const last = page[page.length - 1]!
      after = { createdAt: last.createdAt, runId: last.runId }
    }
  })

/** Cancels (or, dry, counts) every active run the filter matches. */
export const cancelMatching = (
  store: Store,
  cancel: (runId: string) => Effect.Effect<void, unknown>
) =>
(filter: RunFilter, options: { readonly dryRun: boolean }): Effect.Effect<Export.BulkCancel, PersistenceError> =>
  Effect.gen(function*() {
    const asked = filter.status === undefined ? RunStatus.active : typeof filter.status === "string" ? [filter.status] : filter.status
    const status = asked.filter(RunStatus.isActive)
    const { after: _a, limit: _l, ...rest } = filter
    let matched = 0
    const cancelled: Array<string> = []
    const targets: Array<string> = []
    if (status.length > 0) yield* forEachRun(store, { ...rest, status }, (run) => Effect.sync(() => void targets.push(run.runId)))
    matched = targets.length
    if (!options.dryRun) {
      for (const runId of targets) {
        // a run that ended or was cancelled meanwhile is not an error of the bulk operation
        const done = yield* Effect.either(cancel(runId))
        if (done._tag === "Right") cancelled.push(runId)
        else if (done.left instanceof PersistenceError) return yield* done.left
      }
    }
    return { dryRun: options.dryRun, matched, cancelled }
  })

const applyDelta = (entries: Record<string, StoredEntry>, delta: { readonly set: Readonly<Record<string, StoredEntry>>; readonly unset: ReadonlyArray<string> }) => {
  for (const key in delta.set) entries[key] = delta.set[key]!
  for (const key of delta.unset) delete entries[key]
}

/** One run as a JSON document. */
export const exportRun = (store: Store) => (runId: string): Effect.Effect<Export.RunExport, RunNotFound | PersistenceError> =>
  Effect.gen(function*() {
    const loaded = yield* retryTransient(store.load(runId))
    if (Option.isNone(loaded)) return yield* new RunNotFound({ runId })
    const { run, snapshot, stepsAfterSnapshot } = loaded.value
    const entries: Record<string, StoredEntry> = { ...snapshot.entries }
    for (const step of stepsAfterSnapshot) applyDelta(entries, step.delta)
    const state: StoredState = { entries, createdAt: snapshot.createdAt, updatedAt: run.updatedAt }
    const [searchAttributes, steps, runHistory] = yield* Effect.all([
      retryTransient(store.searchAttributes(runId)),
      retryTransient(store.steps(runId)),
      history(store)(runId)
    ])
    return { run, searchAttributes, history: runHistory, steps, state }
  })
