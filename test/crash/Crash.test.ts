/**
 * Crash safety, for real: a child Node process runs a 20-step flow on a
 * SQLite file and is killed with SIGKILL at seeded random moments; each time
 * the run is resumed in a new process, until it completes.
 *
 * Replay a failure with the seed it prints: WEFT_CRASH_SEED=<seed> npx vitest run test/crash
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { SnapshotStore, SqlSnapshotStore } from "weft"
import { expectedState, stepCount } from "./flow.js"

const seed = Number(process.env.WEFT_CRASH_SEED ?? 20261122)
/** Runs in the suite; each is killed up to `killsPerRun` times (a kill that lands after the run completed misses). */
const runs = Number(process.env.WEFT_CRASH_RUNS ?? 14)
const killsPerRun = 5
const minKills = 50

/** mulberry32: a small seeded PRNG, so a failing sequence of kills can be replayed. */
const prng = (s: number) => () => {
  s = (s + 0x6d2b79f5) | 0
  let t = Math.imul(s ^ (s >>> 15), 1 | s)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const dir = mkdtempSync(join(tmpdir(), "weft-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const child = resolve(__dirname, "child.ts")

interface ChildResult {
  readonly pid: number
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly lines: ReadonlyArray<string>
}

/** Runs the child; when `killAfter` is given, SIGKILLs it that many ms after it says "ready". */
const runChild = (args: ReadonlyArray<string>, killAfter?: number): Promise<ChildResult> =>
  new Promise((done, fail) => {
    const proc: ChildProcess = spawn(process.execPath, ["--import", "tsx", child, ...args], {
      cwd: resolve(__dirname, "../.."),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let out = ""
    let err = ""
    proc.stdout!.on("data", (chunk: Buffer) => {
      const before = out
      out += chunk.toString()
      if (killAfter !== undefined && !before.includes("ready\n") && out.includes("ready\n")) {
        setTimeout(() => proc.kill("SIGKILL"), killAfter)
      }
    })
    proc.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()))
    proc.on("error", fail)
    proc.on("exit", (code, signal) => {
      if (code !== null && code !== 0 && code !== 1) fail(new Error(`child exited ${code}: ${err}`))
      else done({ pid: proc.pid!, code, signal, lines: out.split("\n").filter((l) => l !== "") })
    })
  })

const lastJson = (result: ChildResult): Record<string, unknown> => JSON.parse(result.lines[result.lines.length - 1]!)

interface LogLine {
  readonly pid: number
  readonly kind: "start" | "resume" | "done" | "exec"
  readonly arg: string
  readonly key?: string | undefined
}

const readLog = (file: string): ReadonlyArray<LogLine> =>
  readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((line) => {
    const [pid, kind, arg, key] = line.split(" ")
    return { pid: Number(pid), kind: kind as LogLine["kind"], arg: arg!, key }
  })

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
        const killAfter = attempt < killsPerRun ? Math.floor(random() * 140) : undefined
        // "auto": start when no process got as far as recording the run, else resume
        const result = await runChild([database, log, runId, "auto"], killAfter)
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
          Effect.provide(SqlSnapshotStore.layer({ filename: database }))
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
  it("exactly one proceeds; the other gets RunAlreadyActive", async () => {
    const database = join(dir, "race.db")
    const log = join(dir, "race.log")
    writeFileSync(log, "")
    const crashed = await runChild([database, log, "race", "start", "200"], 500)
    expect(crashed.signal).toBe("SIGKILL")
    const [a, b] = await Promise.all([
      runChild([database, log, "race", "resume", "200"]),
      runChild([database, log, "race", "resume", "200"])
    ])
    const outcomes = [lastJson(a), lastJson(b)]
    expect(outcomes.filter((o) => "state" in o)).toHaveLength(1)
    expect(outcomes.filter((o) => o.error === "RunAlreadyActive")).toHaveLength(1)
    expect(outcomes.find((o) => "state" in o)!.state).toEqual(expectedState(1))
  }, 120_000)

  it("a process cannot resume a run another live process is executing", async () => {
    const database = join(dir, "live.db")
    const log = join(dir, "live.log")
    writeFileSync(log, "")
    const running = runChild([database, log, "live", "start", "200"])
    await new Promise((r) => setTimeout(r, 1500))
    const intruder = await runChild([database, log, "live", "resume", "200"])
    expect(lastJson(intruder).error).toBe("RunAlreadyActive")
    expect(lastJson(await running).state).toEqual(expectedState(1))
  }, 120_000)
})
