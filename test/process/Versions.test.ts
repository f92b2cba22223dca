/**
 * Runs that outlive their code, across real processes on a real SQLite
 * file: a run that failed in one process is re-run in another (its
 * completed step is not run again), and a migration leaves a run that a
 * live process executes alone (held), then moves it once that process is
 * gone (killed: its lease runs out), and an engine that knows the new
 * version finishes it.
 */
import { execFileSync, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, describe, expect, it } from "vitest"
import { built } from "../build.js"

const dir = mkdtempSync(join(tmpdir(), "weft-versions-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
const child = fileURLToPath(new URL("./versionsChild.ts", import.meta.url))
const root = fileURLToPath(new URL("../..", import.meta.url))
const env = { ...process.env, WEFT_LEASE: "1", WEFT_POLL_INTERVAL: "0.2" }

/** Runs the child to its end; returns its JSON line. */
const run = (args: ReadonlyArray<string>): unknown => {
  const out = execFileSync(process.execPath, [built(child), ...args], { cwd: root, env, encoding: "utf8", timeout: 60_000 })
  return JSON.parse(out.trim().split("\n").at(-1)!)
}

describe("runs that outlive their code, across processes", () => {
  it("a run that failed in one process is re-run in another, from its failed step", () => {
    const database = join(dir, "rerun.db")
    expect(run(["fail", database, "o1"])).toEqual({ error: "Declined", status: "failed" })
    expect(run(["rerun", database, "o1"])).toEqual({
      state: { sku: "abcd", price: 40, invoice: "INV-40" },
      trace: ["quote:completed", "bill:failed", "bill:completed"]
    })
  }, 120_000)

  it("a migration leaves a run another process executes alone, and moves it once that process is gone", async () => {
    const database = join(dir, "migrate.db")
    const holder = spawn(process.execPath, [built(child), "hold", database, "s1"], { cwd: root, env })
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the holding process never started its step")), 60_000)
      holder.stdout.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("started")) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    try {
      expect(run(["migrate", database])).toEqual({ outcomes: [["s1", "held", "quote", "quote"]] })
    } finally {
      holder.kill("SIGKILL")
    }
    await new Promise((resolve) => holder.on("close", resolve))
    // its lease (1 s) runs out
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(run(["migrate", database])).toEqual({ outcomes: [["s1", "migrated", "quote", "quote"]] })
    expect(run(["finish", database, "s1"])).toEqual({
      state: { sku: "abc", price: 30, currency: "EUR", invoice: "INV-30-EUR" },
      version: "2"
    })
  }, 120_000)
})
