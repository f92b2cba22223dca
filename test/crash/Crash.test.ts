/**
 * Crash safety, for real: a child Node process runs a 20-step flow on a
 * SQLite file and is killed with SIGKILL at seeded random moments; each time
 * the run is resumed in a new process, until it completes.
 *
 * Replay a failure with the seed it prints: WEFT_CRASH_SEED=<seed> npx vitest run test/crash
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { SnapshotStore } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { expectedState, stepCount } from "./flow.js"
import { type ChildResult, lastJson, type LogLine, prng, randomKill, readLog, runChild } from "./harness.js"

const seed = Number(process.env.WEFT_CRASH_SEED ?? 20261122)
/** Runs in the suite; each is killed up to `killsPerRun` times (a kill that lands after the run completed misses). */
const runs = Number(process.env.WEFT_CRASH_RUNS ?? 14)
const killsPerRun = 5
const minKills = 50

const dir = mkdtempSync(join(tmpdir(), "weft-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const child = resolve(__dirname, "child.ts")

const stepIndex = (stepKey: string) => Number(stepKey.slice(1))

describe(`crash and resume (seed ${seed})`, () => {
  const random = prng(seed)
  let totalKills = 0
  const database = join(dir, "crash.db")

  // tests are registered before any runs, so the number of runs is fixed here
  for (let r = 0; r < runs; r++) {
    it(`run ${r}: killed at random moments, resumed until complete`, async () => {
      const runId = `run-${r}`
      const log = join(dir, `${runId}.log`)
      writeFileSync(log, "")
      const killed = new Set<number>()
      let final: ChildResult | undefined
      for (let attempt = 0; attempt < killsPerRun + 5 && final === undefined; attempt++) {
        // killed within its first 3 steps (inside one, or just after its checkpoint), then let finish
        const kill = attempt < killsPerRun ? randomKill(random, 3, 8) : undefined
        // "auto": start when no process got as far as recording the run, else resume
        const result = await runChild(child, [database, log, runId, "auto"], kill)
        if (result.signal === "SIGKILL") {
          killed.add(result.pid)
          totalKills++
        } else {
          expect(result.code, JSON.stringify(result.lines)).toBe(0)
          final = result
        }
      }
      expect(final).toBeDefined()
      // the final state equals that of an uninterrupted run
      expect(lastJson(final!).state).toEqual(expectedState(1))

      const lines = readLog(log)
      const execs = lines.filter((l) => l.kind === "exec")
      // every step ran, always with its stable idempotency key
      for (let i = 1; i <= stepCount; i++) {
        const runsOf = execs.filter((l) => l.arg === `s${i}`)
        expect(runsOf.length, `s${i}`).toBeGreaterThanOrEqual(1)
        for (const e of runsOf) expect(e.key).toBe(`${runId}/s${i}`)
      }
      // no completed step ever runs again: a resuming process runs only steps after its cursor
      for (const resume of lines.filter((l) => l.kind === "resume")) {
        const cursor = Number(resume.arg)
        for (const e of execs.filter((l) => l.pid === resume.pid)) expect(stepIndex(e.arg)).toBeGreaterThan(cursor)
      }
      // a step runs more than once only when the process running it was killed
      const byProcess = new Map<number, Array<LogLine>>()
      for (const e of execs) byProcess.set(e.pid, [...(byProcess.get(e.pid) ?? []), e])
      const counts = new Map<string, number>()
      for (const e of execs) counts.set(e.arg, (counts.get(e.arg) ?? 0) + 1)
      for (const [step, count] of counts) {
        if (count === 1) continue
        const killedWhileRunning = [...byProcess.entries()].filter(([pid, es]) =>
          killed.has(pid) && es[es.length - 1]!.arg === step
        ).length
        expect(count - 1, `${step} re-ran ${count - 1} time(s)`).toBeLessThanOrEqual(killedWhileRunning)
      }
      // the store holds exactly one completed checkpoint per step, in order
      const steps = await Effect.runPromise(
        Effect.flatMap(SnapshotStore.SnapshotStore, (store) => store.steps(runId)).pipe(
          Effect.provide(Sqlite.layerStore({ filename: database }))
        )
      )
      expect(steps.map((s) => [s.seq, s.stepKey, s.status])).toEqual(
        Array.from({ length: stepCount }, (_, i) => [i + 1, `s${i + 1}`, "completed"])
      )
    }, 120_000)
  }

  it(`killed at least ${minKills} times in all; the database passes integrity_check`, () => {
    console.log(`crash suite (seed ${seed}): ${totalKills} SIGKILLs over ${runs} runs`)
    expect(totalKills).toBeGreaterThanOrEqual(minKills)
    const db = new Database(database, { readonly: true })
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok")
    db.close()
  })
})

describe("two processes resuming the same run", () => {
  // the process executing the run holds it at a gate (a file) until the other one has answered: no
  // outcome depends on how fast either process starts
  it("exactly one proceeds; the other gets RunAlreadyActive", async () => {
    const database = join(dir, "race.db")
    const log = join(dir, "race.log")
    const gate = join(dir, "race.gate")
    writeFileSync(log, "")
    const crashed = await runChild(child, [database, log, "race", "start", "200"], { afterSteps: 2, delayMs: 50 })
    expect(crashed.signal).toBe("SIGKILL")
    const a = runChild(child, [database, log, "race", "resume", "20"], undefined, { WEFT_CRASH_GATE: gate })
    const b = runChild(child, [database, log, "race", "resume", "20"], undefined, { WEFT_CRASH_GATE: gate })
    // the one that claimed the run waits at the gate: the first to end is the other
    const first = await Promise.race([a, b])
    expect(lastJson(first).error).toBe("RunAlreadyActive")
    writeFileSync(gate, "")
    const outcomes = [lastJson(await a), lastJson(await b)]
    expect(outcomes.filter((o) => "state" in o)).toHaveLength(1)
    expect(outcomes.filter((o) => o.error === "RunAlreadyActive")).toHaveLength(1)
    expect(outcomes.find((o) => "state" in o)!.state).toEqual(expectedState(1))
  }, 120_000)

  it("a process cannot resume a run another live process is executing", async () => {
    const database = join(dir, "live.db")
    const log = join(dir, "live.log")
    const gate = join(dir, "live.gate")
    writeFileSync(log, "")
    let ended = false
    const running = runChild(child, [database, log, "live", "start", "20"], undefined, { WEFT_CRASH_GATE: gate })
      .finally(() => (ended = true))
    // wait until the first process is executing the run (its first step has started, at the gate)
    while (!ended && !readLog(log).some((l) => l.kind === "exec")) await new Promise((r) => setTimeout(r, 50))
    expect(ended).toBe(false)
    const intruder = await runChild(child, [database, log, "live", "resume", "20"])
    expect(lastJson(intruder).error).toBe("RunAlreadyActive")
    writeFileSync(gate, "")
    expect(lastJson(await running).state).toEqual(expectedState(1))
  }, 120_000)
})
