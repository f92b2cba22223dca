/**
 * What the API shows of runs, read through the engine (and, when the
 * application provides it, the `SnapshotStore` beside it, for what each
 * step wrote).
 *
 * @internal
 */
import { Effect, Option } from "effect"
import type * as Engine from "../../Engine.js"
import type { PersistenceError, RunNotFound } from "../../Errors.js"
import type * as SnapshotStore from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
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
  waitingFor: run.waitingFor === null || run.status !== "suspended"
    ? null
    : { runId: run.waitingFor.runId, step: run.waitingFor.step, signal: run.waitingFor.signal, deadline: run.wakeAt }
})

/** Whether a key is weft's own bookkeeping (never shown). */
const isInternalKey = (key: string): boolean => key.startsWith("~")

/** An encoded state without weft's bookkeeping keys. */
const visible = (entries: Readonly<Record<string, { readonly value: unknown }>>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, entry] of Object.entries(entries)) if (!isInternalKey(key)) out[key] = entry.value
  return out
}

const toDelta = (delta: SnapshotStore.StateDelta): Api.TraceEntry["delta"] => ({
  set: visible(delta.set),
  unset: delta.unset.filter((key) => !isInternalKey(key))
})

const isInternalRecord = (record: SnapshotStore.StepRecord): boolean => record.stepName.startsWith("~")

/** Reads runs for the API. */
export interface View {
  readonly run: (runId: string) => Effect.Effect<Api.Run, RunNotFound | PersistenceError>
  readonly detail: (runId: string) => Effect.Effect<Api.RunDetail, RunNotFound | PersistenceError>
  readonly trace: (runId: string) => Effect.Effect<ReadonlyArray<Api.TraceEntry>, RunNotFound | PersistenceError>
}

/**
 * A view over an engine and, when there is one, the store it runs on (the
 * engine's trace does not hold what each step wrote).
 */
export const make = (
  engine: Engine.Service,
  store: Option.Option<SnapshotStore.SnapshotStore["Type"]>,
  templates: Served
): View => {
  const run = (runId: string) => Effect.map(engine.status(runId), toRun)

  const trace = (runId: string): Effect.Effect<ReadonlyArray<Api.TraceEntry>, RunNotFound | PersistenceError> =>
    Option.isNone(store)
      ? Effect.map(engine.trace(runId), (entries) =>
        entries.map((entry) => ({
          step: entry.step,
          name: entry.name,
          status: entry.status,
          attempts: entry.attempts,
          startedAt: entry.startedAt.getTime(),
          endedAt: entry.endedAt.getTime(),
          durationMs: entry.durationMs,
          error: entry.error === null ? null : { tag: entry.error.tag, message: entry.error.message },
          delta: null
        })))
      : Effect.zipRight(
        engine.status(runId),
        Effect.map(store.value.steps(runId), (records) =>
          records.filter((record) => !isInternalRecord(record)).map((record) => ({
            step: record.stepKey,
            name: record.stepName,
            status: record.status,
            attempts: record.attempts,
            startedAt: record.startedAt,
            endedAt: record.endedAt,
            durationMs: record.endedAt - record.startedAt,
            error: record.error === null ? null : { tag: record.error.tag, message: record.error.message },
            delta: toDelta(record.delta)
          })))
      )

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
