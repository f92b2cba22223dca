/**
 * Metrics of the runs in a store over a window of time: counts by status
 * and template, failure rate, duration percentiles (p50, p95, p99) per
 * template and per step, retries and timeouts per step, and each queue's
 * depth and oldest queued run's age. `engine.metrics` computes them from
 * the store (runs created in the window, at most `sampleLimit` of them, the
 * newest); `weft stats`, the HTTP API's `/api/metrics` and the web view's
 * dashboard show them; `weftjs/otel` exports them as OpenTelemetry metrics.
 *
 * @since 0.4.0
 */
import type { RunRecord, RunStatus, StepSample } from "./SnapshotStore.js"
import type * as Worker from "./Worker.js"

/**
 * Which runs `engine.metrics` reads.
 *
 * @since 0.4.0
 * @category models
 */
export interface Options {
  /** The window's start (epoch ms); default: an hour before `until`. */
  readonly since?: number | undefined
  /** The window's end (epoch ms, excluded); default: now. */
  readonly until?: number | undefined
  /** At most this many runs (the newest; default 10,000) and 10× as many steps. */
  readonly sampleLimit?: number | undefined
}

/**
 * Duration percentiles (ms) of `count` durations; `null` when there are none.
 *
 * @since 0.4.0
 * @category models
 */
export interface Percentiles {
  readonly count: number
  readonly p50: number | null
  readonly p95: number | null
  readonly p99: number | null
}

/**
 * One template's runs in the window.
 *
 * @since 0.4.0
 * @category models
 */
export interface TemplateMetrics {
  readonly template: string
  readonly total: number
  readonly byStatus: Readonly<Partial<Record<RunStatus, number>>>
  /** Failed runs over finished runs (completed + failed + cancelled); 0 when none finished. */
  readonly failureRate: number
  /** Durations of finished runs (creation to end). */
  readonly durationMs: Percentiles
}

/**
 * One step (by template and step name) over the window.
 *
 * @since 0.4.0
 * @category models
 */
export interface StepMetrics {
  readonly template: string
  readonly step: string
  readonly count: number
  readonly failed: number
  /** Attempts beyond the first, summed. */
  readonly retries: number
  /** Steps whose (last) attempt timed out. */
  readonly timeouts: number
  readonly durationMs: Percentiles
}

/**
 * Metrics over a window.
 *
 * @since 0.4.0
 * @category models
 */
export interface Metrics {
  readonly since: number
  readonly until: number
  /** Whether the window held more runs (or steps) than were read: the figures are of the newest. */
  readonly sampled: boolean
  readonly total: number
  readonly byStatus: Readonly<Partial<Record<RunStatus, number>>>
  readonly failureRate: number
  readonly templates: ReadonlyArray<TemplateMetrics>
  readonly steps: ReadonlyArray<StepMetrics>
  readonly queues: ReadonlyArray<Worker.Queue>
}

/**
 * The percentiles of some durations (nearest rank).
 *
 * @since 0.4.0
 * @category constructors
 */
export const percentiles = (durations: ReadonlyArray<number>): Percentiles => {
  if (durations.length === 0) return { count: 0, p50: null, p95: null, p99: null }
  const sorted = [...durations].sort((a, b) => a - b)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99) }
}

const timeoutTags: ReadonlySet<string> = new Set(["StepTimeout", "TimeoutException", "WorkflowTimeout"])

const isFinished = (status: RunStatus) => status === "completed" || status === "failed" || status === "cancelled"

const rate = (byStatus: Readonly<Partial<Record<RunStatus, number>>>): number => {
  const finished = (byStatus.completed ?? 0) + (byStatus.failed ?? 0) + (byStatus.cancelled ?? 0)
  return finished === 0 ? 0 : (byStatus.failed ?? 0) / finished
}

/**
 * Metrics from the runs created in a window, their steps and the queues.
 *
 * @since 0.4.0
 * @category constructors
 */
export const summarize = (input: {
  readonly since: number
  readonly until: number
  readonly sampled: boolean
  readonly runs: ReadonlyArray<RunRecord>
  readonly steps: ReadonlyArray<StepSample>
  readonly queues: ReadonlyArray<Worker.Queue>
}): Metrics => {
  const byStatus: Partial<Record<RunStatus, number>> = {}
  const templates = new Map<string, { byStatus: Partial<Record<RunStatus, number>>; durations: Array<number>; total: number }>()
  for (const run of input.runs) {
    byStatus[run.status] = (byStatus[run.status] ?? 0) + 1
    const name = `${run.templateName}@${run.templateVersion}`
    let t = templates.get(name)
    if (t === undefined) templates.set(name, t = { byStatus: {}, durations: [], total: 0 })
    t.total++
    t.byStatus[run.status] = (t.byStatus[run.status] ?? 0) + 1
    if (isFinished(run.status)) t.durations.push(run.updatedAt - run.createdAt)
  }
  const steps = new Map<string, { template: string; step: string; durations: Array<number>; failed: number; retries: number; timeouts: number }>()
  for (const s of input.steps) {
    if (s.stepName.startsWith("~")) continue
    const key = JSON.stringify([s.templateName, s.stepName])
    let m = steps.get(key)
    if (m === undefined) steps.set(key, m = { template: s.templateName, step: s.stepName, durations: [], failed: 0, retries: 0, timeouts: 0 })
    m.durations.push(s.endedAt - s.startedAt)
    if (s.status === "failed") m.failed++
    m.retries += Math.max(0, s.attempts - 1)
    if (s.errorTag !== null && timeoutTags.has(s.errorTag)) m.timeouts++
  }
  return {
    since: input.since,
    until: input.until,
    sampled: input.sampled,
    total: input.runs.length,
    byStatus,
    failureRate: rate(byStatus),
    templates: Array.from(templates, ([template, t]) => ({
      template,
      total: t.total,
      byStatus: t.byStatus,
      failureRate: rate(t.byStatus),
      durationMs: percentiles(t.durations)
    })).sort((a, b) => b.total - a.total || (a.template < b.template ? -1 : 1)),
    steps: Array.from(steps.values(), (m) => ({
      template: m.template,
      step: m.step,
      count: m.durations.length,
      failed: m.failed,
      retries: m.retries,
      timeouts: m.timeouts,
      durationMs: percentiles(m.durations)
    })).sort((a, b) => (a.template < b.template ? -1 : a.template > b.template ? 1 : a.step < b.step ? -1 : 1)),
    queues: input.queues
  }
}
