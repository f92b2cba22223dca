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
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { Effect } from "effect"
import { SnapshotStore } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { type ChildResult, prng, randomKill, readLog, runChild } from "./harness.js"
import { bodySteps, expectedLoopState, iterations } from "./loop-flow.js"

const seed = Number(process.env.WEFT_CRASH_SEED ?? 20261123)
const runs = 2
const killsPerRun = 6

const dir = mkdtempSync(join(tmpdir(), "weft-loop-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const child = resolve(__dirname, "loop-child.ts")

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
        // killed within its first 6 steps (2 iterations), inside a step or just after its checkpoint
        const kill = attempt < killsPerRun ? randomKill(random, 6, 20) : undefined
        const result = await runChild(child, [database, log, runId], kill)
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
          Effect.provide(Sqlite.layerStore({ filename: database }))
        )
      )
      expect(steps.filter((s) => s.status !== "failed").map((s) => s.stepKey)).toEqual(expectedRecords)
    }, 60_000)
  }

  it("some kills landed after the first iteration, and those runs resumed in the iteration they were in", () => {
    expect(resumedLateInLoop).toBeGreaterThanOrEqual(2)
  })
})
