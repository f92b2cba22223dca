/**
 * A run's history as data: its state as it was after any step,
 * reconstructed from its first state and the deltas of its step records
 * (never by executing anything), and decoded with the template's Schemas.
 *
 * @internal
 */
import { Effect, Either, Option } from "effect"
import * as Errors from "../../Errors.js"
import type { LoadedRun, RunRecord, StepRecord, StoredEntry } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import { retryTransient } from "../run/checkpoint.js"
import { keyCodecs } from "../run/codecs.js"
import { isInternalKey, schemaKeyOf } from "../run/keys.js"
import { load } from "../run/lifecycle.js"
import { completedOf, isPosition, positionKey } from "../run/position.js"
import type { RunsDeps } from "./runs.js"

/** A run's stored state after one of its steps, with what is needed to go on from there. */
export interface StateAfter {
  readonly run: RunRecord
  readonly loaded: LoadedRun
  readonly records: ReadonlyArray<StepRecord>
  /** The step's record (its last non-failed one, else its last). */
  readonly target: StepRecord
  /** The state right after it, as stored (bookkeeping keys included). */
  readonly entries: Readonly<Record<string, StoredEntry>>
  /** The keys completed by then. */
  readonly completed: ReadonlySet<string>
}

/** The record of `step` in a run's records: its last non-failed one, else its last. */
const recordOf = (records: ReadonlyArray<StepRecord>, step: string): StepRecord | undefined => {
  let found: StepRecord | undefined
  for (const record of records) {
    if (record.stepKey !== step) continue
    if (record.status !== "failed" || found === undefined || found.status === "failed") found = record
  }
  return found
}

/**
 * The stored state of a run right after `step`: its first state (or the
 * latest full snapshot, when taken before the step) with the deltas of
 * every record up to the step's applied in order.
 */
export const stateAfter = (deps: RunsDeps, runId: string, step: string, before = false) =>
  Effect.gen(function*() {
    const { loaded, records } = yield* load(deps.env, runId)
    const target = before ? records.filter((record) => record.stepKey === step).at(-1) : recordOf(records, step)
    if (target === undefined) return yield* new Errors.StepNotFound({ runId, step, reason: "unknown-step" })
    // from the latest snapshot when it was taken by then, else from the run's first state
    let base = loaded.snapshot
    let baseSeq = loaded.snapshotSeq
    const last = before ? target.seq - 1 : target.seq
    if (baseSeq > last) {
      const initial = yield* retryTransient(deps.store.initialState(runId))
      if (Option.isNone(initial)) return yield* new Errors.StepNotFound({ runId, step, reason: "history-unavailable" })
      base = initial.value
      baseSeq = 0
    }
    const entries: Record<string, StoredEntry> = { ...base.entries }
    for (const record of records) {
      if (record.seq <= baseSeq || record.seq > last) continue
      for (const [key, stored] of Object.entries(record.delta.set)) entries[key] = stored
      for (const key of record.delta.unset) delete entries[key]
    }
    const marker = entries[positionKey]?.value
    const completed = completedOf(isPosition(marker) ? marker : undefined, records.filter((r) => r.seq <= last))
    return { run: loaded.run, loaded, records, target, entries, completed } satisfies StateAfter
  })

/**
 * Stored entries as a user sees them: bookkeeping keys left out, values
 * decoded with the template's Schemas when it is known (a value that no
 * longer decodes, after a Schema changed, is shown as stored).
 */
export const visibleState = (
  entries: Readonly<Record<string, StoredEntry>>,
  template: Template.Template.Any | undefined
): Record<string, unknown> => {
  const codecs = template === undefined ? undefined : keyCodecs(template)
  const state: Record<string, unknown> = {}
  for (const [key, stored] of Object.entries(entries)) {
    if (isInternalKey(key)) continue
    const decoded = codecs?.get(schemaKeyOf(key))?.decode(stored.value)
    state[key] = decoded !== undefined && Either.isRight(decoded) ? decoded.right : stored.value
  }
  return state
}

/** A run's state as it was right after `step` (see `Engine.Service.stateAt`). */
export const stateAt = (deps: RunsDeps) =>
(
  runId: string,
  step: string,
  template?: Template.Template.Any,
  options?: { readonly before?: boolean | undefined }
) =>
  Effect.map(stateAfter(deps, runId, step, options?.before === true), ({ entries, run }) =>
    visibleState(entries, template ?? deps.registry.get(run.templateName, run.templateVersion)?.template))

/** The lineage a run's state records: the forks and migrations that led to it. */
export const lineageOf = (entries: Readonly<Record<string, StoredEntry>>) => {
  const marker = entries[positionKey]?.value
  return isPosition(marker) ? marker.lineage : []
}
