/**
 * What the API shows of runs, read through the engine alone (never its
 * store): records, state, traces with what each step wrote.
 *
 * @internal
 */
import { Effect } from "effect"
import type * as Engine from "../../Engine.js"
import type { PersistenceError, RunNotFound } from "../../Errors.js"
import type * as SnapshotStore from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import type * as Trace from "../../Trace.js"
import type * as Api from "../Api.js"
import { encodeState, jsonSafeRecord } from "./codec.js"

/** A run record as the API sends it. */
export const toRun = (run: SnapshotStore.RunRecord): Api.Run => ({
  runId: run.runId,
  templateName: run.templateName,
  templateVersion: run.templateVersion,
  status: run.status,
  seq: run.seq,
  createdAt: run.createdAt,
  updatedAt: run.updatedAt,
  expiresAt: run.expiresAt,
  error: run.error === null ? null : { tag: run.error.tag, message: run.error.message },
  parentId: run.parentId,
  rootId: run.rootId,
  queue: run.queue,
  waitingFor: run.waitingFor === null || (run.status !== "suspended" && run.pausedFrom !== "suspended")
    ? null
    : { runId: run.waitingFor.runId, step: run.waitingFor.step, signal: run.waitingFor.signal, deadline: run.wakeAt },
  priority: run.priority ?? 0,
  pausedFrom: run.pausedFrom ?? null,
  ...(run.triggeredBy === null || run.triggeredBy === undefined ? {} : { triggeredBy: run.triggeredBy }),
  ...(typeof run.forkedFrom === "string" ? { forkedFrom: run.forkedFrom, forkedAfter: run.forkedAfter ?? "" } : {}),
  ...(typeof run.migratedFrom === "string" ? { migratedFrom: run.migratedFrom } : {})
})

/** Reads runs for the API. */
export interface View {
  readonly run: (runId: string) => Effect.Effect<Api.Run, RunNotFound | PersistenceError>
  readonly detail: (runId: string) => Effect.Effect<Api.RunDetail, RunNotFound | PersistenceError>
  readonly trace: (runId: string) => Effect.Effect<ReadonlyArray<Api.TraceEntry>, RunNotFound | PersistenceError>
}

/** What a step changed, as JSON: encoded with the template's Schemas when the server serves it. */
const toDelta = (template: Template.Template.Any | undefined, delta: Trace.Delta | undefined): Api.TraceEntry["delta"] =>
  delta === undefined ? null : {
    set: template === undefined ? jsonSafeRecord(delta.set) : encodeState(template, delta.set),
    unset: delta.unset
  }

const toEntry = (template: Template.Template.Any | undefined) => (entry: Trace.Entry): Api.TraceEntry => ({
  step: entry.step,
  name: entry.name,
  status: entry.status,
  attempts: entry.attempts,
  startedAt: entry.startedAt.getTime(),
  endedAt: entry.endedAt.getTime(),
  durationMs: entry.durationMs,
  error: entry.error === null ? null : { tag: entry.error.tag, message: entry.error.message },
  delta: toDelta(template, entry.delta)
})

/** A view over an engine: what the API shows of runs is what the engine tells. */
export const make = (engine: Engine.Service, templates: Served): View => {
  const run = (runId: string) => Effect.map(engine.status(runId), toRun)

  /**
   * The run's trace, its deltas decoded with the template the server serves
   * for it (and encoded back as JSON); else as the engine gives them.
   */
  const trace = (runId: string): Effect.Effect<ReadonlyArray<Api.TraceEntry>, RunNotFound | PersistenceError> =>
    Effect.gen(function*() {
      const record = yield* engine.status(runId)
      const template = templates.find(record.templateName, record.templateVersion)
      if (template === undefined) return (yield* engine.trace(runId)).map(toEntry(undefined))
      // its services are not needed to read a trace: the template's type is erased here
      const typed = template as unknown as Template.Template<object, object, unknown, never>
      const entries = yield* engine.trace(runId, typed).pipe(
        Effect.map((entries) => entries.map(toEntry(template))),
        // another template under the run's name and version: the values as the engine has them
        Effect.catchTag("TemplateMismatch", () => Effect.map(engine.trace(runId), (all) => all.map(toEntry(undefined))))
      )
      return entries
    })

  /**
   * The run as it stands, from the engine: its state encoded with its
   * template's Schemas (as JSON when the server does not serve it).
   */
  const detail = (runId: string) =>
    Effect.map(engine.inspect(runId), (current): Api.RunDetail => {
      const template = templates.find(current.run.templateName, current.run.templateVersion)
      const waiting = current.waitingFor
      return {
        run: toRun(current.run),
        state: template === undefined ? jsonSafeRecord(current.state) : encodeState(template, current.state),
        position: current.position,
        waitingFor: waiting === null ? null : {
          runId: waiting.runId,
          step: waiting.step,
          signal: waiting.signal,
          deadline: waiting.deadline === null ? null : waiting.deadline.getTime()
        }
      }
    })

  return { run, detail, trace }
}

/** The templates a server serves, found by name (and version). */
export interface Served {
  readonly all: ReadonlyArray<Template.Template.Any>
  /** By name, and version when given (else the last one served under that name). */
  readonly find: (name: string, version?: string | undefined) => Template.Template.Any | undefined
}

/** Indexes templates (duplicates of one name and version: the first wins). */
export const served = (templates: ReadonlyArray<Template.Template.Any>): Served => {
  const all: Array<Template.Template.Any> = []
  const keys = new Set<string>()
  for (const template of templates) {
    const key = `${template.name}@${template.version}`
    if (keys.has(key)) continue
    keys.add(key)
    all.push(template)
  }
  return {
    all,
    find: (name, version) => {
      for (let i = all.length - 1; i >= 0; i--) {
        const template = all[i]!
        if (template.name === name && (version === undefined || template.version === version)) return template
      }
      return undefined
    }
  }
}
