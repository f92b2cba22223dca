/**
 * The trace of a run: one entry per step, in the order steps ended, with
 * status, attempts, timing and error.
 *
 * @since 0.1.0
 */
import { isHiddenStep } from "./internal/run/keys.js"
import type { ErrorSummary, StepRecord, StepStatus } from "./SnapshotStore.js"

/**
 * One step of a trace.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  /** The step's path in the run, e.g. `process_control/validate_inputs`. */
  readonly step: string
  /** The step's own name. */
  readonly name: string
  readonly status: StepStatus
  readonly attempts: number
  readonly startedAt: Date
  readonly endedAt: Date
  readonly durationMs: number
  readonly error: ErrorSummary | null
  /**
   * What the step changed in the run's state. `engine.trace` gives it (a
   * run's result leaves it out, to stay cheap).
   *
   * @since 0.2.0
   */
  readonly delta?: Delta
}

/**
 * What one step changed in a run's state: the keys it wrote, with their
 * values, and the keys it removed (weft's own bookkeeping keys left out).
 * The values are decoded with the template's Schemas when the engine knows
 * the template (given to `engine.trace`, or registered), else as stored
 * (JSON).
 *
 * @since 0.2.0
 * @category models
 */
export interface Delta {
  readonly set: Readonly<Record<string, unknown>>
  readonly unset: ReadonlyArray<string>
}

/**
 * A run's trace.
 *
 * @since 0.1.0
 * @category models
 */
export type Trace = ReadonlyArray<Entry>

/**
 * Whether a stored step record is an internal bookkeeping record (the end of
 * a scope) rather than a user step.
 *
 * @since 0.1.0
 * @category guards
 */
export const isInternal = (record: StepRecord): boolean => isHiddenStep(record.stepName)

/**
 * The trace entry of a stored step record.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRecord = (record: StepRecord): Entry => ({
  step: record.stepKey,
  name: record.stepName,
  status: record.status,
  attempts: record.attempts,
  startedAt: new Date(record.startedAt),
  endedAt: new Date(record.endedAt),
  durationMs: record.endedAt - record.startedAt,
  error: record.error
})

/**
 * The trace of stored step records (bookkeeping records left out).
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromRecords = (records: ReadonlyArray<StepRecord>): Trace =>
  records.filter((record) => !isInternal(record)).map(fromRecord)

/**
 * A plain-text table of a trace, for terminals and logs.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (trace: Trace): string => {
  const rows = trace.map((entry) => [
    entry.step,
    entry.status,
    String(entry.attempts),
    `${entry.durationMs} ms`,
    entry.error === null ? "" : `${entry.error.tag}: ${entry.error.message}`
  ])
  const header = ["step", "status", "attempts", "duration", "error"]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}
