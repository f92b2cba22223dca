/**
 * A run's trace as `Engine.Service.trace` gives it: one entry per step (the
 * interpreter's hidden checkpoints left out), each with what the step
 * changed in the run's state, decoded with the template's Schemas when the
 * template is known here (given, or registered).
 *
 * @internal
 */
import { Effect, Either } from "effect"
import type * as Template from "../../Template.js"
import * as Trace from "../../Trace.js"
import type { StateDelta } from "../../SnapshotStore.js"
import { retryTransient } from "../run/checkpoint.js"
import { type KeyCodec, keyCodecs } from "../run/codecs.js"
import { isInternalKey, schemaKeyOf } from "../run/keys.js"
import { checkPinned } from "../run/lifecycle.js"
import { getRun, type RunsDeps } from "./runs.js"

/**
 * A stored delta as a trace shows it: bookkeeping keys left out, each value
 * decoded with its key's codec when there is one (a value that no longer
 * decodes, after a Schema changed, is shown as stored).
 */
export const deltaOf = (delta: StateDelta, codecs: ReadonlyMap<string, KeyCodec> | undefined): Trace.Delta => {
  const set: Record<string, unknown> = {}
  for (const [key, stored] of Object.entries(delta.set)) {
    if (isInternalKey(key)) continue
    const codec = codecs?.get(schemaKeyOf(key))
    const decoded = codec === undefined ? undefined : codec.decode(stored.value)
    set[key] = decoded !== undefined && Either.isRight(decoded) ? decoded.right : stored.value
  }
  return { set, unset: delta.unset.filter((key) => !isInternalKey(key)) }
}

/** A run's trace with each step's delta (see `Engine.Service.trace`). */
export const trace = (deps: RunsDeps) => (runId: string, template?: Template.Template.Any) =>
  Effect.gen(function*() {
    const run = yield* getRun(deps.store)(runId)
    if (template !== undefined) yield* checkPinned(template, run)
    const known = template ?? deps.registry.get(run.templateName, run.templateVersion)?.template
    const codecs = known === undefined ? undefined : keyCodecs(known)
    const records = yield* retryTransient(deps.store.steps(runId))
    return records.filter((record) => !Trace.isInternal(record)).map((record): Trace.Entry => ({
      ...Trace.fromRecord(record),
      delta: deltaOf(record.delta, codecs)
    }))
  })
