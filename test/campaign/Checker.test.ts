/**
 * The campaigns' checker catches every kind of violation it claims to (each
 * on a small made-up history next to its lawful twin), and the log pairs
 * lines into executions.
 */
import { describe, expect, it } from "vitest"
import { check, type ProcessInfo, type StoredRun, type Violation } from "./check.js"
import { type Execution, isMark, type LogLine, toExecutions } from "./log.js"

let n = 0
const exec = (
  run: string,
  step: string,
  pid: number,
  start: number,
  end: number | undefined,
  more: Partial<Execution> = {}
): Execution => ({
  run,
  step,
  key: `${run}/${step}`,
  pid,
  attempt: 1,
  exec: `x:${pid}.${++n}`,
  start,
  end,
  failed: false,
  ...more
})

const proc = (pid: number, killedAt?: number): ProcessInfo => ({ pid, role: "worker", killedAt, exitedAt: killedAt })

/** A completed run whose checkpoints record the given executions. */
const completed = (runId: string, recorded: ReadonlyArray<Execution>, result: unknown = 1): StoredRun => ({
  runId,
  status: "completed",
  error: null,
  steps: recorded.map((e) => ({ stepKey: e.step, status: "completed", idempotencyKey: `${runId}/${e.step}`, values: [7, e.exec] })),
  result
})

const kinds = (violations: ReadonlyArray<Violation>) => violations.map((v) => v.kind)

const expected = (...runIds: ReadonlyArray<string>) => new Map(runIds.map((id) => [id, 1]))

describe("the checker", () => {
  it("a run executed once, step after step: no violation", () => {
    const a = exec("r", "a", 1, 0, 10)
    const b = exec("r", "b", 1, 11, 20)
    const findings = check({ executions: [a, b], processes: [proc(1)], runs: [completed("r", [a, b])], expected: expected("r") })
    expect(findings.violations).toEqual([])
    expect([findings.completed, findings.executions, findings.reExecutions, findings.kills]).toEqual([1, 2, 0, 0])
  })

  it("a step cut by a kill runs again elsewhere: counted, not a violation", () => {
    const cut = exec("r", "a", 1, 0, undefined)
    const again = exec("r", "a", 2, 20, 30)
    const findings = check({
      executions: [cut, again],
      processes: [proc(1, 15), proc(2)],
      runs: [completed("r", [again])],
      expected: expected("r")
    })
    expect(findings.violations).toEqual([])
    expect([findings.reExecutions, findings.kills, findings.killsMidStep]).toEqual([1, 1, 1])
  })

  it("a step that returned, then ran again while its process lived: ran-again / rerun-without-death", () => {
    // issue 9, item 1: a run completed elsewhere, then executed from its prepared state
    const recorded = exec("r", "a", 2, 0, 10)
    const stale = exec("r", "a", 1, 20, 30)
    expect(kinds(check({
      executions: [recorded, stale],
      processes: [proc(1), proc(2)],
      runs: [completed("r", [recorded])],
      expected: expected("r")
    }).violations)).toEqual(["ran-again"])

    // the first execution returned but was not recorded, and its process did not die: not at-least-once by a kill
    const lost = exec("r", "a", 1, 0, 10)
    const rerun = exec("r", "a", 2, 20, 30)
    const run = [completed("r", [rerun])]
    expect(kinds(check({ executions: [lost, rerun], processes: [proc(1), proc(2)], runs: run, expected: expected("r") }).violations))
      .toEqual(["rerun-without-death"])
    // killed, but only after the step had run again: still not a re-execution caused by the kill
    expect(kinds(check({ executions: [lost, rerun], processes: [proc(1, 25), proc(2)], runs: run, expected: expected("r") }).violations))
      .toEqual(["rerun-without-death"])
    // killed between the two: lawful
    expect(check({ executions: [lost, rerun], processes: [proc(1, 15), proc(2)], runs: run, expected: expected("r") }).violations)
      .toEqual([])
  })

  it("attempts that failed on purpose are retries, not re-executions", () => {
    const first = exec("r", "a", 1, 0, 5, { failed: true })
    const second = exec("r", "a", 1, 6, 9, { failed: true, attempt: 2 })
    const third = exec("r", "a", 1, 10, 15, { attempt: 3 })
    const findings = check({
      executions: [first, second, third],
      processes: [proc(1)],
      runs: [completed("r", [third])],
      expected: expected("r")
    })
    expect(findings.violations).toEqual([])
    expect([findings.retried, findings.reExecutions]).toEqual([2, 0])
    // a retry after the recorded attempt ran a completed step again
    const late = exec("r", "a", 1, 20, 25, { failed: true, attempt: 4 })
    expect(kinds(check({
      executions: [first, third, late],
      processes: [proc(1)],
      runs: [completed("r", [third])],
      expected: expected("r")
    }).violations)).toEqual(["ran-again"])
  })

  it("two live processes executing one run at once: overlap; a killed one's execution ends at the kill", () => {
    const slow = exec("r", "a", 1, 0, 50)
    const other = exec("r", "b", 2, 10, 20)
    const runs = [completed("r", [slow, other])]
    expect(kinds(check({ executions: [slow, other], processes: [proc(1), proc(2)], runs, expected: expected("r") }).violations))
      .toEqual(["overlap"])
    const cut = exec("r", "a", 1, 0, undefined)
    const after = exec("r", "a", 2, 10, 20)
    const lawful = check({
      executions: [cut, after],
      processes: [proc(1, 5), proc(2)],
      runs: [completed("r", [after])],
      expected: expected("r")
    })
    expect(lawful.violations).toEqual([])
    // the same, killed only after the other process had started: both executed it at once
    expect(kinds(check({
      executions: [cut, after],
      processes: [proc(1, 12), proc(2)],
      runs: [completed("r", [after])],
      expected: expected("r")
    }).violations)).toEqual(["rerun-without-death", "overlap"])
  })

  it("idempotency keys: an execution or a checkpoint under another key", () => {
    const a = exec("r", "a", 1, 0, 10, { key: "r/other" })
    expect(kinds(check({ executions: [a], processes: [proc(1)], runs: [completed("r", [a])], expected: expected("r") }).violations))
      .toEqual(["key-changed"])
    const b = exec("r", "b", 1, 0, 10)
    const run = completed("r", [b])
    const moved: StoredRun = { ...run, steps: run.steps.map((s) => ({ ...s, idempotencyKey: "r/b2" })) }
    expect(kinds(check({ executions: [b], processes: [proc(1)], runs: [moved], expected: expected("r") }).violations))
      .toEqual(["key-changed"])
  })

  it("runs that did not complete, are missing, or completed with another result", () => {
    const failed: StoredRun = { runId: "f", status: "failed", error: "PersistenceError: busy", steps: [], result: undefined }
    const wrong = completed("w", [], 2)
    const findings = check({ executions: [], processes: [], runs: [failed, wrong], expected: expected("f", "w", "m") })
    expect(findings.violations.map((v) => [v.kind, v.runId])).toEqual([
      ["not-completed", "f"],
      ["wrong-result", "w"],
      ["missing", "m"]
    ])
    expect([findings.completed, findings.failed]).toEqual([1, 1])
    expect(findings.violations[0]!.detail).toContain("PersistenceError: busy")
  })

  it("a checkpoint of no logged execution; an executed step never recorded", () => {
    const a = exec("r", "a", 1, 0, 10)
    const ghost: StoredRun = {
      runId: "r",
      status: "completed",
      error: null,
      steps: [
        { stepKey: "a", status: "completed", idempotencyKey: "r/a", values: ["x:99.1"] },
        // a durable node's record: no execution of ours, no mark: not a step of ours
        { stepKey: "nap", status: "completed", idempotencyKey: "r/nap", values: [] }
      ],
      result: 1
    }
    // (and so the execution of "a" in the log was never recorded)
    expect(kinds(check({ executions: [a], processes: [proc(1)], runs: [ghost], expected: expected("r") }).violations))
      .toEqual(["unknown-checkpoint", "unrecorded"])
    const b = exec("r", "b", 1, 11, 20)
    expect(kinds(check({ executions: [a, b], processes: [proc(1)], runs: [completed("r", [a])], expected: expected("r") }).violations))
      .toEqual(["unrecorded"])
  })
})

describe("the execution log", () => {
  it("pairs start and end lines into executions, in start order; marks are recognized", () => {
    const line = (k: LogLine["k"], exec: string, t: number): LogLine => ({
      k,
      run: "r",
      step: "a",
      key: "r/a",
      pid: 1,
      attempt: 1,
      exec,
      t
    })
    const executions = toExecutions([line("S", "x:1.2", 5), line("S", "x:1.1", 1), line("F", "x:1.1", 2), line("E", "x:1.2", 9)])
    expect(executions.map((e) => [e.exec, e.start, e.end, e.failed])).toEqual([["x:1.1", 1, 2, true], ["x:1.2", 5, 9, false]])
    expect([isMark("x:12.3"), isMark("x:12"), isMark(3), isMark("y:1.2")]).toEqual([true, false, false, false])
  })
})
