/**
 * The checker of the campaigns: from the execution log, what the supervisor
 * knows of its processes (when each was killed) and what the store holds
 * after the campaign, the violations of weft's guarantees:
 *
 * - `not-completed`: a run of the campaign did not end `completed` (a
 *   `failed` one says why); `missing`: the store has no record of it;
 *   `wrong-result`: it completed with another result than an uninterrupted
 *   run gives.
 * - `key-changed`: an execution of a step ran with an idempotency key other
 *   than `<run id>/<step key>` (the store's checkpoint included).
 * - `unrecorded`: a step executed in a completed run has no checkpoint; or
 *   `unknown-checkpoint`: a checkpoint records an execution that is not in
 *   the log (or that did not return).
 * - `ran-again`: an execution of a step started after the execution the
 *   store recorded had started (a completed step ran again, or ran twice at
 *   once).
 * - `rerun-without-death`: an execution the store did not record, which did
 *   not fail on purpose, was not cut by the death of its process (its
 *   process was not killed after it started and before the step's next
 *   execution started): a step re-ran although its process did not die
 *   mid-step.
 * - `overlap`: two processes executed steps of one run at the same time,
 *   both alive (an execution of a killed process lasts until the kill).
 *
 * A step that fails on purpose (`F` in the log) and is retried is not a
 * re-execution. A re-execution after a kill is counted, not flagged.
 */
import type { Execution } from "./log.js"
import { isMark } from "./log.js"

/** What the supervisor knows of a process it started. */
export interface ProcessInfo {
  readonly pid: number
  readonly role: string
  /** Monotonic ms when it was sent SIGKILL; `undefined` when it was not killed. */
  readonly killedAt: number | undefined
  /** Monotonic ms when it exited, as the supervisor saw it. */
  readonly exitedAt: number | undefined
}

/** A checkpoint as the store holds it. */
export interface StoredStep {
  readonly stepKey: string
  readonly status: string
  readonly idempotencyKey: string
  /** Every value of its delta (marks among them). */
  readonly values: ReadonlyArray<unknown>
}

/** A run as the store holds it after the campaign. */
export interface StoredRun {
  readonly runId: string
  readonly status: string
  readonly error: string | null
  readonly steps: ReadonlyArray<StoredStep>
  /** The run's result, compared with `expected.result` (`undefined` when it did not complete). */
  readonly result: unknown
}

/** How long after a SIGKILL is sent its victim may still be seen starting a step. */
const killLandsWithinMs = 100

/** One violation. */
export interface Violation {
  readonly kind:
    | "missing"
    | "not-completed"
    | "wrong-result"
    | "key-changed"
    | "unrecorded"
    | "unknown-checkpoint"
    | "ran-again"
    | "rerun-without-death"
    | "overlap"
  readonly runId: string
  readonly stepKey?: string | undefined
  readonly detail: string
}

/** What the checker found. */
export interface Findings {
  readonly violations: ReadonlyArray<Violation>
  readonly runs: number
  readonly completed: number
  readonly failed: number
  /** Step executions (attempts) in the log. */
  readonly executions: number
  /** Attempts that failed on purpose and were retried. */
  readonly retried: number
  /** Executions cut by a kill and run again (at-least-once, as allowed). */
  readonly reExecutions: number
  readonly kills: number
  /** Kills that cut at least one execution short. */
  readonly killsMidStep: number
}

/** Whether a step key is a user step (bookkeeping records have a `~` segment). */
const isUserStep = (stepKey: string): boolean => !stepKey.split("/").some((part) => part.startsWith("~"))

const describe = (e: Execution, procs: ReadonlyMap<number, ProcessInfo>): string => {
  const proc = procs.get(e.pid)
  const fate = proc?.killedAt !== undefined ? `killed at ${proc.killedAt.toFixed(1)}` : "not killed"
  const end = e.end === undefined ? "no end" : `${e.failed ? "failed" : "ended"} at ${e.end.toFixed(1)}`
  return `${e.exec} (pid ${e.pid}, ${proc?.role ?? "?"}, ${fate}; attempt ${e.attempt}, started ${e.start.toFixed(1)}, ${end})`
}

/**
 * Checks a campaign. `expected` lists the runs it had to complete, with the
 * result each must end with.
 */
export const check = (input: {
  readonly executions: ReadonlyArray<Execution>
  readonly processes: ReadonlyArray<ProcessInfo>
  readonly runs: ReadonlyArray<StoredRun>
  readonly expected: ReadonlyMap<string, unknown>
}): Findings => {
  const violations: Array<Violation> = []
  const procs = new Map(input.processes.map((p) => [p.pid, p]))
  const stored = new Map(input.runs.map((r) => [r.runId, r]))
  const byStep = new Map<string, Array<Execution>>()
  const byRun = new Map<string, Array<Execution>>()
  for (const e of [...input.executions].sort((a, b) => a.start - b.start)) {
    const stepId = `${e.run}\u0000${e.step}`
    byStep.set(stepId, [...(byStep.get(stepId) ?? []), e])
    byRun.set(e.run, [...(byRun.get(e.run) ?? []), e])
  }

  let completed = 0
  let failed = 0
  for (const [runId, result] of input.expected) {
    const run = stored.get(runId)
    if (run === undefined) {
      violations.push({ kind: "missing", runId, detail: "the store has no record of the run" })
      continue
    }
    if (run.status === "failed") failed++
    if (run.status !== "completed") {
      violations.push({
        kind: "not-completed",
        runId,
        detail: `status ${run.status}${run.error === null ? "" : `: ${run.error}`}`
      })
      continue
    }
    completed++
    if (JSON.stringify(run.result) !== JSON.stringify(result)) {
      violations.push({
        kind: "wrong-result",
        runId,
        detail: `ended with ${JSON.stringify(run.result)}, expected ${JSON.stringify(result)}`
      })
    }
  }
  for (const runId of byRun.keys()) {
    if (!input.expected.has(runId)) {
      violations.push({ kind: "missing", runId, detail: "steps of a run the campaign did not start were executed" })
    }
  }

  // the store's checkpoints: one per user step, under the stable key, naming a logged execution that returned
  const recordedExec = new Map<string, string>()
  for (const run of input.runs) {
    if (!input.expected.has(run.runId)) continue
    for (const step of run.steps) {
      if (step.status === "failed" || !isUserStep(step.stepKey)) continue
      if (step.idempotencyKey !== `${run.runId}/${step.stepKey}`) {
        violations.push({
          kind: "key-changed",
          runId: run.runId,
          stepKey: step.stepKey,
          detail: `the checkpoint's idempotency key is ${step.idempotencyKey}`
        })
      }
      const marks = step.values.filter(isMark)
      const execs = byStep.get(`${run.runId}\u0000${step.stepKey}`) ?? []
      // a durable node's record (a sleep, a wait): no step of ours executed under its key
      if (marks.length === 0 && execs.length === 0) continue
      const recorded = execs.find((e) => marks.includes(e.exec))
      if (marks.length !== 1 || recorded === undefined || recorded.end === undefined || recorded.failed) {
        violations.push({
          kind: "unknown-checkpoint",
          runId: run.runId,
          stepKey: step.stepKey,
          detail: `the checkpoint's marks ${JSON.stringify(marks)} name no logged execution that returned`
        })
        continue
      }
      recordedExec.set(`${run.runId}\u0000${step.stepKey}`, recorded.exec)
    }
  }

  let retried = 0
  let reExecutions = 0
  const cut = new Set<number>()
  for (const [stepId, execs] of byStep) {
    const [runId, stepKey] = stepId.split("\u0000") as [string, string]
    for (const e of execs) {
      if (e.key !== `${runId}/${stepKey}`) {
        violations.push({ kind: "key-changed", runId, stepKey, detail: `${describe(e, procs)} ran with key ${e.key}` })
      }
      if (e.failed) retried++
    }
    const recorded = recordedExec.get(stepId)
    const run = stored.get(runId)
    if (recorded === undefined) {
      if (run?.status === "completed" && isUserStep(stepKey)) {
        violations.push({ kind: "unrecorded", runId, stepKey, detail: `executed ${execs.length} time(s), never recorded` })
      }
      continue
    }
    const chosen = execs.find((e) => e.exec === recorded)!
    execs.forEach((e, k) => {
      if (e === chosen) return
      if (e.start > chosen.start) {
        violations.push({
          kind: "ran-again",
          runId,
          stepKey,
          detail: `${describe(e, procs)} started after the recorded ${describe(chosen, procs)}`
        })
        return
      }
      if (e.failed) return
      // cut by a kill: its process was killed after it started and before the step ran again
      const next = execs[k + 1]!
      const proc = procs.get(e.pid)
      // a SIGKILL is logged when it is sent: the victim may still begin a step before it lands (a few ms
      // on a loaded machine), and that step was cut short by the kill all the same
      if (proc?.killedAt === undefined || proc.killedAt + killLandsWithinMs < e.start || proc.killedAt > next.start) {
        violations.push({
          kind: "rerun-without-death",
          runId,
          stepKey,
          detail: `${describe(e, procs)} was not recorded, and its process did not die between it and ${
            describe(next, procs)
          }`
        })
        return
      }
      reExecutions++
      cut.add(e.pid)
    })
  }

  // no two live processes execute one run at once
  const deathOf = (pid: number, e: Execution): number => {
    const proc = procs.get(pid)
    const death = proc?.killedAt ?? proc?.exitedAt ?? Number.POSITIVE_INFINITY
    return Math.max(death, e.start)
  }
  for (const [runId, execs] of byRun) {
    const intervals = execs.map((e) => ({ e, from: e.start, to: e.end ?? deathOf(e.pid, e) }))
    const reported = new Set<string>()
    for (let i = 0; i < intervals.length; i++) {
      for (let j = i + 1; j < intervals.length; j++) {
        const a = intervals[i]!
        const b = intervals[j]!
        if (a.e.pid === b.e.pid || b.from >= a.to || a.from >= b.to) continue
        const pair = `${Math.min(a.e.pid, b.e.pid)}/${Math.max(a.e.pid, b.e.pid)}`
        if (reported.has(pair)) continue
        reported.add(pair)
        violations.push({
          kind: "overlap",
          runId,
          stepKey: b.e.step,
          detail: `${describe(a.e, procs)} and ${describe(b.e, procs)} ran at the same time`
        })
      }
    }
  }

  for (const proc of input.processes) {
    if (proc.killedAt === undefined || cut.has(proc.pid)) continue
    // a kill cut an execution short when the process had one without an end
    if (input.executions.some((e) => e.pid === proc.pid && e.end === undefined)) cut.add(proc.pid)
  }
  return {
    violations,
    runs: input.expected.size,
    completed,
    failed,
    executions: input.executions.length,
    retried,
    reExecutions,
    kills: input.processes.filter((p) => p.killedAt !== undefined).length,
    killsMidStep: cut.size
  }
}
