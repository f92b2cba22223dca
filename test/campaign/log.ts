/**
 * The execution log of the campaigns: every step execution of every process
 * appends a line when it starts (`S`), when it returns (`E`) and when it fails
 * on purpose (`F`, an attempt that the step's retry policy repeats), each
 * with the run, the step key, the idempotency key the engine gave it, the
 * process id, the attempt, an execution id unique across processes, and a
 * time on the machine's monotonic clock (shared by every process of the
 * machine, unlike `performance.now()`).
 *
 * Lines are written with one `appendFileSync` each on a file opened with
 * `O_APPEND`: a line is written whole, lines of concurrent processes never
 * interleave, and a line written before a SIGKILL stays.
 *
 * The execution id is also written by the step into the state (its "mark",
 * a value `x:<pid>.<n>`), so the store's checkpoint of a step says which
 * execution it recorded.
 */
import { appendFileSync, readFileSync } from "node:fs"

/** Milliseconds on the machine's monotonic clock (CLOCK_MONOTONIC: the same for every process). */
export const monotonicMillis = (): number => Number(process.hrtime.bigint() / 1000n) / 1000

/** One line of the log. */
export interface LogLine {
  /** `S` started, `E` returned (ended), `F` failed on purpose. */
  readonly k: "S" | "E" | "F"
  readonly run: string
  readonly step: string
  readonly key: string
  readonly pid: number
  readonly attempt: number
  readonly exec: string
  /** Monotonic milliseconds. */
  readonly t: number
}

let executed = 0

/** A new execution id, unique across processes (pids of live processes differ; a restart gets a new pid). */
export const newExecId = (): string => `x:${process.pid}.${++executed}`

/** Whether a stored value is an execution mark. */
export const isMark = (value: unknown): value is string => typeof value === "string" && /^x:\d+\.\d+$/.test(value)

/** Appends one line to the log. */
export const append = (file: string, line: LogLine): void => {
  appendFileSync(file, `${JSON.stringify(line)}\n`, { flag: "a" })
}

/** One execution (attempt) of a step, from its log lines. */
export interface Execution {
  readonly run: string
  readonly step: string
  readonly key: string
  readonly pid: number
  readonly attempt: number
  readonly exec: string
  readonly start: number
  /** When it returned or failed; `undefined` when its process died (or was stopped) first. */
  readonly end: number | undefined
  /** It failed on purpose (a retried attempt). */
  readonly failed: boolean
}

/** Pairs the lines of a log into executions, in the order they started. */
export const toExecutions = (lines: ReadonlyArray<LogLine>): ReadonlyArray<Execution> => {
  const byExec = new Map<string, { start?: LogLine; end?: LogLine }>()
  for (const line of lines) {
    const entry = byExec.get(line.exec) ?? {}
    if (line.k === "S") entry.start = line
    else entry.end = line
    byExec.set(line.exec, entry)
  }
  const result: Array<Execution> = []
  for (const { end, start } of byExec.values()) {
    if (start === undefined) continue
    result.push({
      run: start.run,
      step: start.step,
      key: start.key,
      pid: start.pid,
      attempt: start.attempt,
      exec: start.exec,
      start: start.t,
      end: end?.t,
      failed: end?.k === "F"
    })
  }
  return result.sort((a, b) => a.start - b.start)
}

/** Reads a log file (a torn last line, which O_APPEND writes never leave, would be a broken log: it throws). */
export const readLog = (file: string): ReadonlyArray<LogLine> =>
  readFileSync(file, "utf8").split("\n").filter((line) => line !== "").map((line) => JSON.parse(line) as LogLine)
