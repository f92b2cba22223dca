/**
 * Signal, then exit (the webhook pattern): a process that signals a
 * suspended run and returns at once does not leave it stuck. Its engine lets
 * the run it resumed finish within the shutdown grace; with no grace, it
 * hands the run back, and the next engine that starts takes it up by itself.
 * Real processes on a real SQLite file.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import Database from "better-sqlite3"
import { afterAll, describe, expect, it } from "vitest"
import { built } from "../build.js"

const dir = mkdtempSync(join(tmpdir(), "weft-signal-exit-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const child = fileURLToPath(new URL("./approvalChild.ts", import.meta.url))
const root = fileURLToPath(new URL("../..", import.meta.url))

/** Runs the child to its end; returns its JSON line. */
const run = (args: ReadonlyArray<string>, env: Record<string, string> = {}): unknown => {
  const out = execFileSync(process.execPath, [built(child), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 60_000
  })
  return JSON.parse(out.trim().split("\n").at(-1)!)
}

const row = (database: string, runId: string) => {
  const db = new Database(database, { readonly: true })
  try {
    return db.prepare("SELECT status, owner FROM weft_runs WHERE run_id = ?").get(runId) as {
      status: string
      owner: string | null
    }
  } finally {
    db.close()
  }
}

describe("signal, then exit", () => {
  it("the signalling process finishes the run before it ends (within its shutdown grace)", () => {
    const database = join(dir, "grace.db")
    expect(run(["start", database, "r1"])).toEqual({ status: "suspended" })
    expect(run(["signal", database, "r1"])).toEqual({ signalled: true })
    // the process has ended: the run completed, nobody holds it
    expect(row(database, "r1")).toEqual({ status: "completed", owner: null })
  }, 120_000)

  it("with no grace the run is handed back, and the next engine takes it up by itself", () => {
    const database = join(dir, "no-grace.db")
    expect(run(["start", database, "r2"])).toEqual({ status: "suspended" })
    expect(run(["signal", database, "r2"], { WEFT_SHUTDOWN_GRACE: "0" })).toEqual({ signalled: true })
    // handed back: running, held by nobody, claimable at once (no lease to wait out)
    expect(row(database, "r2")).toEqual({ status: "running", owner: null })
    expect(run(["recover", database, "r2"])).toEqual({ state: { approval: { approved: true }, settled: true } })
    expect(row(database, "r2")).toEqual({ status: "completed", owner: null })
  }, 120_000)
})
