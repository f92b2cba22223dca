/**
 * Runs that start themselves, across real processes (`./child.ts`):
 * - three processes tick one schedule every second over one store (SQLite
 *   file, PostgreSQL schema) for ~16 s (`WEFT_TICK_SECONDS=60` for a
 *   minute), one of them SIGKILLed halfway:
 *   every tick in between has exactly one run, each run's step executed
 *   once, and every run completes (the killed process's are taken over);
 *   the tick → run started latency is reported;
 * - an event trigger survives a SIGKILL between the end recorded and the
 *   triggered run started: another process starts it, once.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterEach, describe, expect, it } from "vitest"
import { built, repoRoot } from "../build.js"
import { describePg, query, type Scratch, unique } from "../pg/support.js"
import type { ChildOptions } from "./child.js"

interface Child {
  readonly proc: ChildProcess
  readonly lines: Array<{ readonly at: number; readonly text: string }>
  readonly exited: Promise<void>
  readonly stderr: () => string
}

const children: Array<Child> = []
const dirs: Array<string> = []

afterEach(async () => {
  for (const child of children.splice(0)) {
    child.proc.kill("SIGKILL")
    await child.exited
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const spawnChild = (options: ChildOptions): Child => {
  const proc = spawn(process.execPath, [built("test/triggers/child.ts"), JSON.stringify(options)], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"]
  })
  const lines: Array<{ at: number; text: string }> = []
  let buffered = ""
  let err = ""
  proc.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString()
    const parts = buffered.split("\n")
    buffered = parts.pop() ?? ""
    for (const part of parts) {
      const space = part.indexOf(" ")
      lines.push({ at: Number(part.slice(0, space)), text: part.slice(space + 1) })
    }
  })
  proc.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()))
  const exited = new Promise<void>((done) => proc.on("close", () => done()))
  const child = { proc, lines, exited, stderr: () => err }
  children.push(child)
  return child
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms))

const waitFor = async (child: Child, match: (text: string) => boolean, timeoutMs = 30_000) => {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const found = child.lines.find((line) => match(line.text))
    if (found !== undefined) return found
    await sleep(50)
  }
  throw new Error(`timed out waiting; lines:\n${child.lines.map((l) => l.text).join("\n")}\n${child.stderr()}`)
}

const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-triggers-"))
  dirs.push(dir)
  return dir
}

/** How long the processes tick (s): 16 by default; `WEFT_TICK_SECONDS=60` for the minute. */
const tickSeconds = Math.max(6, Number(process.env.WEFT_TICK_SECONDS ?? 16))

const tickOf = (runId: string) => Date.parse(runId.replace(/^schedule:every-second:/, ""))

/** The percentile `p` of some numbers. */
const percentile = (values: ReadonlyArray<number>, p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

/**
 * Three processes tick one schedule each second for ~16 s; one is SIGKILLed after ~8 s. Checks every
 * tick from the first to the last has one run whose step ran once; returns the tick → started latencies.
 */
const threeProcessesTick = async (store: Pick<ChildOptions, "sqlite" | "url" | "schema">, log: string) => {
  const options: ChildOptions = { mode: "cron", log, pollMs: 500, leaseMs: 3000, ...store }
  const procs = [spawnChild(options), spawnChild(options), spawnChild(options)]
  await Promise.all(procs.map((child) => waitFor(child, (text) => text === "ready", 60_000)))
  const started = Date.now()
  await sleep(tickSeconds * 500)
  procs[0]!.proc.kill("SIGKILL")
  const killedAt = Date.now()
  await sleep(tickSeconds * 500)
  const stoppedAt = Date.now()
  for (const child of procs.slice(1)) child.proc.kill("SIGKILL")
  await Promise.all(procs.map((child) => child.exited))

  const executed = existsSync(log) ? readFileSync(log, "utf8").split("\n").filter((line) => line !== "") : []
  const perRun = new Map<string, number>()
  for (const id of executed) perRun.set(id, (perRun.get(id) ?? 0) + 1)
  const startedEvents = procs.flatMap((child) =>
    child.lines.filter((line) => line.text.startsWith("event RunStarted schedule:")).map((line) => ({ at: line.at, runId: line.text.split(" ")[2]! }))
  )
  // every tick from the first run to the one before the processes were stopped: one run each
  const ticks = [...new Set(startedEvents.map((e) => tickOf(e.runId)))].sort((a, b) => a - b)
  expect(ticks.length).toBeGreaterThanOrEqual(tickSeconds - 4)
  const first = ticks[0]!
  const last = Math.floor((stoppedAt - 1500) / 1000) * 1000
  for (let at = first; at <= last; at += 1000) {
    const runId = `schedule:every-second:${new Date(at).toISOString()}`
    // started once (one RunStarted across the processes, except a run taken over from the killed one)
    const starts = startedEvents.filter((e) => e.runId === runId)
    expect(starts.length, `starts of ${runId}`).toBeGreaterThanOrEqual(1)
    // its step executed once, unless the killed process died in the middle of it (at-least-once)
    const runs = perRun.get(runId) ?? 0
    if (Math.abs(at - killedAt) > 2000) expect(runs, `executions of ${runId}`).toBe(1)
  }
  expect(startedEvents.every((e) => e.at >= started - 2000)).toBe(true)
  return startedEvents.filter((e) => startedEvents.find((o) => o.runId === e.runId) === e).map((e) => e.at - tickOf(e.runId))
}

describe("cron schedules across processes (SQLite)", () => {
  it("three processes start each tick of a 1 s schedule once, one of them SIGKILLed halfway", async () => {
    const dir = tempDir()
    const latencies = await threeProcessesTick({ sqlite: join(dir, "weft.db") }, join(dir, "exec.log"))
    console.log(
      `weft: tick → run started, SQLite, 3 processes: p50 ${percentile(latencies, 50)} ms, ` +
        `p99 ${percentile(latencies, 99)} ms (${latencies.length} ticks)`
    )
    expect(percentile(latencies, 50)).toBeLessThan(1000)
  }, 120_000 + tickSeconds * 1000)
})

describePg("cron schedules and event triggers across processes (PostgreSQL)", (scratch: Scratch) => {
  it("three processes start each tick of a 1 s schedule once, one of them SIGKILLed halfway", async () => {
    const dir = tempDir()
    const schema = `t_${unique()}`
    const latencies = await threeProcessesTick({ url: scratch.url, schema }, join(dir, "exec.log"))
    console.log(
      `weft: tick → run started, PostgreSQL, 3 processes: p50 ${percentile(latencies, 50)} ms, ` +
        `p99 ${percentile(latencies, 99)} ms (${latencies.length} ticks)`
    )
    expect(percentile(latencies, 50)).toBeLessThan(1000)
    const rows = await query(scratch.url, `SELECT run_id, status FROM ${schema}.weft_runs WHERE template_name = 'tick'`)
    expect(new Set(rows.map((r) => r.run_id)).size).toBe(rows.length)
  }, 120_000 + tickSeconds * 1000)

  it("an event trigger survives a SIGKILL between the end and the start", async () => {
    const dir = tempDir()
    const log = join(dir, "exec.log")
    const store = { url: scratch.url, schema: `t_${unique()}` }
    const dying = spawnChild({ mode: "chain-first", log, pollMs: 200, leaseMs: 2000, ...store })
    await waitFor(dying, (text) => text === "recorded f1")
    await dying.exited
    expect(dying.proc.signalCode).toBe("SIGKILL")
    // recorded with the end; nothing of it executed (the dying process may have claimed it, woken by the
    // notification of the commit, before the kill)
    // a run's cursor is its last step row's (a checkpoint leaves the run's row as it was)
    const rows = await query(
      scratch.url,
      `SELECT r.run_id, r.status, COALESCE((SELECT max(s.seq) FROM ${store.schema}.weft_steps s WHERE s.run_id = r.run_id), 0)
        AS seq FROM ${store.schema}.weft_runs r ORDER BY r.run_id`
    )
    expect(rows).toEqual([
      { run_id: "after:chain:f1", status: "running", seq: "0" },
      { run_id: "f1", status: "completed", seq: "1" }
    ])
    const recovering = spawnChild({ mode: "chain-recover", log, pollMs: 200, leaseMs: 2000, ...store })
    await waitFor(recovering, (text) => text === "event RunCompleted after:chain:f1")
    await sleep(500)
    expect(readFileSync(log, "utf8").split("\n").filter((l) => l !== "")).toEqual(["after:chain:f1"])
  }, 60_000)
})

describe("event triggers across processes (SQLite)", () => {
  it("an event trigger survives a SIGKILL between the end and the start", async () => {
    const dir = tempDir()
    const log = join(dir, "exec.log")
    const store = { sqlite: join(dir, "weft.db") }
    const dying = spawnChild({ mode: "chain-first", log, pollMs: 200, leaseMs: 2000, ...store })
    await waitFor(dying, (text) => text === "recorded f1")
    await dying.exited
    const recovering = spawnChild({ mode: "chain-recover", log, pollMs: 200, leaseMs: 2000, ...store })
    await waitFor(recovering, (text) => text === "event RunCompleted after:chain:f1")
    await sleep(500)
    expect(readFileSync(log, "utf8").split("\n").filter((l) => l !== "")).toEqual(["after:chain:f1"])
  }, 60_000)
})
