/**
 * A run's full history: one ordered list of what happened to it — created,
 * claimed (by which engine, which generation; woken up, recovered from a
 * dead engine, taken up after a hand-back), each step's attempts and
 * outcome (timeouts named), signals received with their payloads, waits,
 * hand-backs, cancellation, and its end.
 *
 * Built when read, from what the store keeps anyway (the run's record, its
 * step records, its signals) and its stored history of claims, hand-backs,
 * suspensions and cancellations, which the store records in the write that
 * makes each change: a checkpoint writes nothing more for it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Engine, History } from "weftjs"
 *
 * const show = (runId: string) =>
 *   Effect.gen(function*() {
 *     const history = yield* (yield* Engine.Engine).history(runId)
 *     for (const entry of history.entries) yield* Effect.log(History.format(entry))
 *   })
 * ```
 *
 * @since 0.4.0
 */
import { isHiddenStep } from "./internal/run/keys.js"
import type { ErrorSummary, HistoryRecord, RunRecord, RunStatus, SignalRecord, StepRecord, StepStatus, WaitingFor } from "./SnapshotStore.js"

/**
 * One thing that happened to a run; `at` is epoch milliseconds.
 *
 * @since 0.4.0
 * @category models
 */
export type Entry =
  | { readonly _tag: "Created"; readonly at: number; readonly template: string; readonly queue: string; readonly parentId: string | null }
  | {
    readonly _tag: "Claimed"
    readonly at: number
    readonly owner: string | null
    readonly generation: number
    /**
     * Why: `started` (claimed by the engine that created it), `queued` (a worker took it), `woken` (a suspended run was due),
     * `recovered` (taken from `previousOwner`, whose lease had passed or who
     * died), `handed-back` (taken up after a hand-back), `resumed`.
     */
    readonly reason: "started" | "queued" | "woken" | "recovered" | "handed-back" | "resumed"
    readonly previousOwner: string | null
  }
  | {
    readonly _tag: "Step"
    readonly at: number
    readonly step: string
    readonly name: string
    readonly status: StepStatus
    readonly attempts: number
    readonly startedAt: number
    readonly durationMs: number
    readonly error: ErrorSummary | null
    /** Whether its (last) attempt timed out. */
    readonly timedOut: boolean
  }
  | {
    readonly _tag: "Signal"
    readonly at: number
    readonly name: string
    readonly payload: unknown
    /** The step that consumed it; `null` while pending. */
    readonly consumedBy: string | null
  }
  | {
    readonly _tag: "Suspended"
    readonly at: number
    readonly owner: string | null
    readonly waitingFor: WaitingFor | null
    /** When it is due (a deadline), `null` for none. */
    readonly wakeAt: number | null
  }
  | { readonly _tag: "Released"; readonly at: number; readonly owner: string | null }
  | { readonly _tag: "Cancelled"; readonly at: number }
  | { readonly _tag: "StatusChanged"; readonly at: number; readonly kind: string; readonly from: RunStatus | null; readonly to: RunStatus | null }
  | {
    readonly _tag: "Ended"
    readonly at: number
    readonly status: "completed" | "failed"
    readonly error: ErrorSummary | null
    /** Whether the run failed because its whole-run timeout passed. */
    readonly timedOut: boolean
  }

/**
 * A run's history.
 *
 * @since 0.4.0
 * @category models
 */
export interface History {
  readonly runId: string
  readonly status: RunStatus
  readonly entries: ReadonlyArray<Entry>
}

/** The order of entries at the same time: the run's life-cycle order. */
const rank: Readonly<Record<Entry["_tag"], number>> = {
  Created: 0,
  Signal: 1,
  Claimed: 2,
  Step: 3,
  Suspended: 4,
  Released: 4,
  StatusChanged: 4,
  Cancelled: 5,
  Ended: 6
}

const isTimeout = (error: ErrorSummary | null): boolean =>
  error !== null && (error.tag === "StepTimeout" || error.tag === "TimeoutException" || error.tag === "WorkflowTimeout")

const fromStored = (h: HistoryRecord): Entry => {
  switch (h.kind) {
    case "claimed":
      return {
        _tag: "Claimed",
        at: h.at,
        owner: h.ownerTo,
        generation: h.generation,
        reason: h.statusFrom === null
          ? "started"
          : h.statusFrom === "queued"
          ? "queued"
          : h.statusFrom === "suspended"
          ? "woken"
          : h.statusFrom === "running" && h.ownerFrom !== null
          ? "recovered"
          : h.statusFrom === "running"
          ? "handed-back"
          : "resumed",
        previousOwner: h.ownerFrom
      }
    case "suspended": {
      let waitingFor: WaitingFor | null = null
      try {
        waitingFor = h.detail === null ? null : JSON.parse(h.detail) as WaitingFor
      } catch {
        waitingFor = null
      }
      return { _tag: "Suspended", at: h.at, owner: h.ownerFrom, waitingFor, wakeAt: h.wakeAt }
    }
    case "released":
      return { _tag: "Released", at: h.at, owner: h.ownerFrom }
    case "cancelled":
      return { _tag: "Cancelled", at: h.at }
    default:
      return { _tag: "StatusChanged", at: h.at, kind: h.kind, from: h.statusFrom, to: h.statusTo }
  }
}

/**
 * Builds a run's history from its record, stored history, steps and
 * signals: one list, in time order (entries at the same time in life-cycle
 * order: created, signal, claimed, step, wait, end); weft's own
 * bookkeeping steps left out.
 *
 * @since 0.4.0
 * @category constructors
 */
export const fromRecords = (
  run: RunRecord,
  stored: ReadonlyArray<HistoryRecord>,
  steps: ReadonlyArray<StepRecord>,
  signals: ReadonlyArray<SignalRecord>
): History => {
  const entries: Array<Entry> = [{
    _tag: "Created",
    at: run.createdAt,
    template: `${run.templateName}@${run.templateVersion}`,
    queue: run.queue,
    parentId: run.parentId
  }]
  for (const h of stored) entries.push(fromStored(h))
  for (const s of steps) {
    if (isHiddenStep(s.stepName)) continue // weft's own bookkeeping (a wait's start, a scope's end)
    entries.push({
      _tag: "Step",
      at: s.endedAt,
      step: s.stepKey,
      name: s.stepName,
      status: s.status,
      attempts: s.attempts,
      startedAt: s.startedAt,
      durationMs: s.endedAt - s.startedAt,
      error: s.error,
      timedOut: isTimeout(s.error)
    })
  }
  for (const s of signals) {
    entries.push({ _tag: "Signal", at: s.receivedAt, name: s.name, payload: s.payload, consumedBy: s.consumedBy })
  }
  if (run.status === "completed" || run.status === "failed") {
    entries.push({ _tag: "Ended", at: run.updatedAt, status: run.status, error: run.error, timedOut: isTimeout(run.error) })
  }
  const order = entries.map((entry, index) => ({ entry, index }))
  order.sort((a, b) => a.entry.at - b.entry.at || rank[a.entry._tag] - rank[b.entry._tag] || a.index - b.index)
  return { runId: run.runId, status: run.status, entries: order.map((o) => o.entry) }
}

const time = (at: number) => new Date(at).toISOString()

/**
 * One entry as a line of text: its time, then what happened.
 *
 * @since 0.4.0
 * @category formatting
 */
export const format = (entry: Entry): string => `${time(entry.at)}  ${describe(entry)}`

/**
 * What happened, in words (without the time).
 *
 * @since 0.4.0
 * @category formatting
 */
export const describe = (entry: Entry): string => {
  switch (entry._tag) {
    case "Created":
      return `created (${entry.template}, queue ${entry.queue}${entry.parentId === null ? "" : `, sub-flow of ${entry.parentId}`})`
    case "Claimed": {
      const by = `by ${entry.owner ?? "?"}, generation ${entry.generation}`
      switch (entry.reason) {
        case "started":
          return `started ${by}`
        case "queued":
          return `claimed ${by}`
        case "woken":
          return `woken up and claimed ${by}`
        case "recovered":
          return `recovered from ${entry.previousOwner} ${by}`
        case "handed-back":
          return `taken up after a hand-back ${by}`
        default:
          return `claimed ${by}`
      }
    }
    case "Step": {
      const attempts = entry.attempts === 1 ? "1 attempt" : `${entry.attempts} attempts`
      const error = entry.error === null ? "" : `: ${entry.error.tag}: ${entry.error.message}`
      return `step ${entry.step} ${entry.timedOut ? "timed out" : entry.status} (${attempts}, ${entry.durationMs} ms)${error}`
    }
    case "Signal":
      return `signal ${entry.name} received ${JSON.stringify(entry.payload)}${
        entry.consumedBy === null ? " (pending)" : ` (consumed by ${entry.consumedBy})`
      }`
    case "Suspended": {
      const what = entry.waitingFor === null
        ? "waits"
        : entry.waitingFor.signal === null
        ? `waits at ${entry.waitingFor.step}`
        : `waits for signal ${entry.waitingFor.signal} at ${entry.waitingFor.step}`
      return `suspended: ${what}${entry.wakeAt === null ? "" : ` (until ${time(entry.wakeAt)})`}`
    }
    case "Released":
      return `handed back by ${entry.owner ?? "?"}`
    case "Cancelled":
      return "cancelled"
    case "StatusChanged":
      return `${entry.kind}: ${entry.from ?? "?"} → ${entry.to ?? "?"}`
    case "Ended":
      return entry.status === "completed"
        ? "completed"
        : `failed${entry.timedOut ? " (timed out)" : ""}${entry.error === null ? "" : `: ${entry.error.tag}: ${entry.error.message}`}`
  }
}
