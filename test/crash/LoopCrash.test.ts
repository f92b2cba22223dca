/**
 * Crash safety of `Flow.loop`, for real: a child Node process runs an
 * 8-iteration loop (3 steps per iteration) on a SQLite file and is killed
 * with SIGKILL at seeded random moments; each time the run is resumed in a
 * new process, until it completes. A resumed process must go on in the
 * iteration the run was in: no step the store has as completed (of earlier
 * iterations or of the current one) runs again.
 *
 * Replay a failure with the seed it prints: WEFT_CRASH_SEED=<seed> npx vitest run test/crash/LoopCrash.test.ts
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { SnapshotStore, SqlSnapshotStore } from "weft"
import { bodySteps, expectedLoopState, iterations } from "./loop-flow.js"

const seed = Number(process.env.WEFT_CRASH_SEED ?? 20261123)
const runs = 2
const killsPerRun = 6

/** mulberry32: a small seeded PRNG, so a failing sequence of kills can be replayed. */
const prng = (s: number) => () => {
  s = (s + 0x6d2b79f5) | 0
  let t = Math.imul(s ^ (s >>> 15), 1 | s)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

const dir = mkdtempSync(join(tmpdir(), "weft-loop-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const child = resolve(__dirname, "loop-child.ts")

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
      if (code !== null && code !== 0) fail(new Error(`child exited ${code}: ${out} ${err}`))
      else done({ pid: proc.pid!, code, signal, lines: out.split("\n").filter((l) => l !== "") })
    })
  })

interface LogLine {
  readonly pid: number
  readonly kind: "start" | "resume" | "exec"
  readonly arg: string
  readonly key?: string | undefined
}

const readLog = (file: string): ReadonlyArray<LogLine> =>
  readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((line) => {
    const [pid, kind, arg, key] = line.split(" ")
    return { pid: Number(pid), kind: kind as LogLine["kind"], arg: arg!, key }
  })

/** The completed checkpoints of an uninterrupted run, in order. */
const expectedRecords = [
  ...Array.from({ length: iterations }, (_, n) => [
    `spin/~iter/${n + 1}`,
    ...bodySteps.map((s) => `spin/${n + 1}/${s}`)
  ]).flat(),
  "spin/~done"
]

describe(`loop crash and resume (seed ${seed})`, () => {
  const random = prng(seed)
  const database = join(dir, "loop.db")
  let resumedLateInLoop = 0

  for (let r = 0; r < runs; r++) {
    it(`run ${r}: killed at random moments mid-loop, resumed until complete`, async () => {
      const runId = `loop-${r}`
      const log = join(dir, `${runId}.log`)
      writeFileSync(log, "")
      const killed = new Set<number>()
      let final: ChildResult | undefined
      for (let attempt = 0; attempt < killsPerRun + 3 && final === undefined; attempt++) {
        // a whole uninterrupted run takes ~0.5 s after "ready": most kills land inside the loop
        const killAfter = attempt < killsPerRun ? 60 + Math.floor(random() * 600) : undefined
        const result = await runChild([database, log, runId], killAfter)
        if (result.signal === "SIGKILL") killed.add(result.pid)
        else final = result
      }
      expect(final).toBeDefined()
      const outcome = JSON.parse(final!.lines[final!.lines.length - 1]!) as { state?: unknown; error?: string }
      expect(outcome.error).toBeUndefined()
      // the final state equals that of an uninterrupted run
      expect(outcome.state).toEqual(expectedLoopState(1))

      const lines = readLog(log)
      const execs = lines.filter((l) => l.kind === "exec")
      // every step of every iteration ran, always with its stable idempotency key
      for (let n = 1; n <= iterations; n++) {
        for (const s of bodySteps) {
          const key = `spin/${n}/${s}`
          const runsOf = execs.filter((l) => l.arg === key)
          expect(runsOf.length, key).toBeGreaterThanOrEqual(1)
          for (const e of runsOf) expect(e.key).toBe(`${runId}/${key}`)
        }
      }
      // a resumed process never runs a step the store had as completed when it resumed
      for (const resume of lines.filter((l) => l.kind === "resume")) {
        const completed = new Set(resume.arg === "-" ? [] : resume.arg.split(","))
        if (completed.has("spin/~iter/2") && !completed.has("spin/~done")) resumedLateInLoop++
        for (const e of execs.filter((l) => l.pid === resume.pid)) {
          expect(completed.has(e.arg), `${e.arg} re-ran after it completed`).toBe(false)
        }
      }
      // a step runs more than once only when the process running it was killed
      const counts = new Map<string, number>()
      for (const e of execs) counts.set(e.arg, (counts.get(e.arg) ?? 0) + 1)
      for (const [key, count] of counts) {
        if (count === 1) continue
        const killedWhileRunning = [...killed].filter((pid) => {
          const own = execs.filter((e) => e.pid === pid)
          return own.length > 0 && own[own.length - 1]!.arg === key
        }).length
        expect(count - 1, `${key} re-ran ${count - 1} time(s)`).toBeLessThanOrEqual(killedWhileRunning)
      }
      // the store holds exactly one completed checkpoint per step and per iteration, in order
      const steps = await Effect.runPromise(
        Effect.flatMap(SnapshotStore.SnapshotStore, (store) => store.steps(runId)).pipe(
          Effect.provide(SqlSnapshotStore.layer({ filename: database }))
        )
      )
      expect(steps.filter((s) => s.status !== "failed").map((s) => s.stepKey)).toEqual(expectedRecords)
    }, 60_000)
  }

  it("some kills landed after the first iteration, and those runs resumed in the iteration they were in", () => {
    expect(resumedLateInLoop).toBeGreaterThanOrEqual(2)
  })
})
