/**
 * Durable waits survive SIGKILL, for real: child Node processes run flows
 * with a sleep and a signal wait on a SQLite file, are killed at chosen
 * moments, and the runs are resumed (or signalled) in new processes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import Database from "better-sqlite3"
import { Effect } from "effect"
import { SnapshotStore } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { type ChildResult, runChild } from "./harness.js"

const dir = mkdtempSync(join(tmpdir(), "weft-durable-crash-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const child = resolve(__dirname, "durableChild.ts")

const json = (result: ChildResult): ReadonlyArray<Record<string, unknown>> =>
  result.lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))

const execs = (log: string): ReadonlyArray<{ readonly pid: number; readonly step: string }> =>
  readFileSync(log, "utf8").split("\n").filter((l) => l !== "").map((line) => {
    const [pid, , step] = line.split(" ")
    return { pid: Number(pid), step: step! }
  })

const fromStore = <A>(database: string, f: (store: SnapshotStore.SnapshotStore["Type"]) => Effect.Effect<A, unknown>) =>
  Effect.runPromise(
    Effect.flatMap(SnapshotStore.SnapshotStore, f).pipe(Effect.provide(Sqlite.layerStore({ filename: database })))
  )

const raw = <A>(database: string, f: (db: Database.Database) => A): A => {
  const db = new Database(database, { readonly: true })
  try {
    return f(db)
  } finally {
    db.close()
  }
}

describe("durable crash and resume", () => {
  it("a process killed during a sleep: the resumed process sleeps only what remains", async () => {
    const database = join(dir, "sleep.db")
    const log = join(dir, "sleep.log")
    writeFileSync(log, "")
    const sleepMillis = 8000
    // killed well into the sleep: 5 s of its 8 s (the child kills itself then, should the runner be late)
    const first = await runChild(child, [database, log, "s", "sleep-start", String(sleepMillis)], {
      afterLine: "event StepStarted nap",
      delayMs: 5000
    })
    expect(first.signal).toBe("SIGKILL")
    expect(raw(database, (db) => db.prepare("SELECT status FROM weft_runs WHERE run_id = 's'").pluck().get())).toBe(
      "running"
    )
    const second = await runChild(child, [database, log, "s", "sleep-resume", String(sleepMillis)])
    expect(second.code, second.lines.join("\n")).toBe(0)
    expect(json(second).at(-1)).toEqual({ state: { n: 1, a: 2, b: 20 } })
    const resumingAt = json(second).find((line) => "resumingAt" in line)!.resumingAt as number

    const steps = await fromStore(database, (store) => store.steps("s"))
    const started = steps.find((s) => s.stepKey === "nap/~sleep")!
    const nap = steps.find((s) => s.stepKey === "nap")!
    const wakeAt = started.delta.set["~durable/nap/~wake"]!.value as number
    expect(wakeAt).toBe(started.endedAt + sleepMillis)
    // the sleep ended at its recorded wake-up time, not a whole sleep after the second process took
    // the run up: that came at least 5 s into the sleep (however long the process took to start), so
    // at most 3 s remained, while a whole sleep would end 8 s or more after it
    expect(nap.endedAt).toBeGreaterThanOrEqual(wakeAt)
    expect(nap.endedAt - resumingAt).toBeLessThan(sleepMillis)
    expect(execs(log)).toEqual([{ pid: first.pid, step: "before" }, { pid: second.pid, step: "after" }])
  }, 60_000)

  it("a suspended run outlives its process; a bad payload is refused; a process killed after the signal is resumed by another", async () => {
    const database = join(dir, "wait.db")
    const log = join(dir, "wait.log")
    writeFileSync(log, "")
    // the run suspends; the process, waiting for the end, is killed
    const first = await runChild(child, [database, log, "w", "wait-start"], { afterLine: "event RunSuspended", delayMs: 100 })
    expect(first.signal).toBe("SIGKILL")
    const status = () => raw(database, (db) => db.prepare("SELECT status FROM weft_runs WHERE run_id = 'w'").pluck().get())
    const signals = () => raw(database, (db) => db.prepare("SELECT COUNT(*) FROM weft_signals").pluck().get())
    expect(status()).toBe("suspended")

    // another process: a payload that does not decode is refused, nothing recorded; a good one
    // is recorded and resumes the run there; that process is killed inside the next step
    const second = await runChild(
      child,
      [database, log, "w", "signal", JSON.stringify([{ amount: "ten", by: 1 }, { amount: 10, by: "bob" }])],
      { afterLine: "event StepStarted after", delayMs: 150 }
    )
    expect(second.signal).toBe("SIGKILL")
    expect(json(second)).toEqual([{ signal: "InvalidSignalPayload" }, { signal: "ok" }])
    expect(signals()).toBe(1)
    expect(status()).toBe("running")

    // a third process resumes it from its checkpoint: the wait is done, the signal is in the state
    const third = await runChild(child, [database, log, "w", "wait-resume"])
    expect(third.code, third.lines.join("\n")).toBe(0)
    expect(json(third).at(-1)).toEqual({ state: { n: 1, a: 2, go: { amount: 10, by: "bob" }, total: 12 } })
    expect(status()).toBe("completed")
    const ran = execs(log)
    expect(ran.filter((e) => e.step === "before")).toEqual([{ pid: first.pid, step: "before" }])
    // "after" was cut by the kill in the second process and ran again in the third
    expect(ran.filter((e) => e.step === "after")).toEqual([
      { pid: second.pid, step: "after" },
      { pid: third.pid, step: "after" }
    ])
    expect(raw(database, (db) => db.prepare("PRAGMA integrity_check").pluck().get())).toBe("ok")
  }, 60_000)
})
