/**
 * The YAML batch of `examples/batch` (read a file of items, run a program
 * on each in a forEach, validate, write the results; retried and skipped on
 * error — built-in steps only) runs end to end on a SQLite file, and is
 * resumed after a SIGKILL of its process in the middle of the forEach: the
 * results are those of an uninterrupted run, every item is processed, and a
 * resumed process never runs the program again for an item the store has
 * as done.
 *
 * Replay a failure with the seed it prints: WEFT_CRASH_SEED=<seed> npx vitest run --project crash test/crash/BatchCrash.test.ts
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { type ChildResult, lastJson, prng, randomKill, readLog, runChild } from "./harness.js"

const seed = Number(process.env.WEFT_CRASH_SEED ?? 20261207)
const runs = 2
const killsPerRun = 3

const dir = mkdtempSync(join(tmpdir(), "weft-batch-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const child = resolve(__dirname, "batch-child.ts")
const examples = resolve(__dirname, "../../examples/batch")
const items = JSON.parse(readFileSync(join(examples, "items.json"), "utf8")) as ReadonlyArray<{ readonly id: string; readonly text: string }>

/** The results of an uninterrupted run: a3 always fails (skipped after its retries), a5's output does not validate. */
const expected = items.map(({ id, text }) =>
  text.includes("FAIL") || text.includes("BAD")
    ? { id, ok: false, result: null }
    : { id, ok: true, result: { id, words: text.split(/\s+/).length, upper: text.toUpperCase() } }
)

/** The item of a forEach step key (`each/<index>/processed`, by its index). */
const itemOf = (stepKey: string): string | undefined => {
  const index = /\/(\d+)\/processed$/.exec(stepKey)?.[1]
  return index === undefined ? undefined : items[Number(index)]?.id
}

describe(`the YAML batch example, killed mid-forEach and resumed (seed ${seed})`, () => {
  const random = prng(seed)
  const database = join(dir, "batch.db")
  let resumedMidForEach = 0

  for (let r = 0; r < runs; r++) {
    it(`run ${r}: killed while items are processed, resumed until complete`, async () => {
      const runId = `batch-${r}`
      const files = join(dir, `files-${r}`)
      mkdirSync(files)
      copyFileSync(join(examples, "items.json"), join(files, "items.json"))
      const log = join(dir, `${runId}.log`)
      writeFileSync(log, "")
      let final: ChildResult | undefined
      let kills = 0
      for (let attempt = 0; attempt < killsPerRun + 3 && final === undefined; attempt++) {
        // killed within the first 4 commands it starts (in the program, or just after the step's checkpoint)
        const kill = attempt < killsPerRun ? randomKill(random, 4, 150) : undefined
        const result = await runChild(child, [database, files, log, runId], kill)
        if (result.signal === "SIGKILL") kills++
        else {
          expect(result.code, JSON.stringify(result.lines)).toBe(0)
          final = result
        }
      }
      expect(final).toBeDefined()
      expect(kills).toBeGreaterThan(0)
      expect(lastJson(final!).state).toMatchObject({ saved: "out/results.json", outcomes: expected })
      expect(JSON.parse(readFileSync(join(files, "out/results.json"), "utf8"))).toEqual(expected)

      const lines = readLog(log)
      const execs = lines.filter((l) => l.kind === "exec")
      for (const { id } of items) expect(execs.some((l) => l.arg === id), id).toBe(true)
      // a resumed process never runs the program for an item whose step the store had as completed
      for (const resume of lines.filter((l) => l.kind === "resume")) {
        const done = new Set(resume.arg === "-" ? [] : resume.arg.split(",").flatMap((key) => itemOf(key) ?? []))
        if (done.size > 0 && done.size < items.length) resumedMidForEach++
        for (const e of execs.filter((l) => l.pid === resume.pid)) {
          expect(done.has(e.arg), `${e.arg} ran again in ${resume.pid} after it completed`).toBe(false)
        }
      }
    }, 120_000)
  }

  it("some resume happened in the middle of the forEach", () => {
    expect(resumedMidForEach).toBeGreaterThan(0)
  })
})
