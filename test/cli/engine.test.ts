/**
 * What the command line reads its runs from: the `Engine` alone (a fake one
 * here, with no store), the store the settings choose (a SQLite file that
 * must exist for commands that only read; PostgreSQL when
 * `WEFT_DATABASE_URL` is set), and which one it is (`--verbose`). In
 * process (`Cli.run`).
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { describePg } from "../pg/support.js"
import type { Project } from "./support.js"
import { json, makeProject } from "./support.js"

const slow = 120_000

let project: Project
let weft: Project["inProcess"]

beforeAll(() => {
  project = makeProject()
  weft = project.inProcess
  project.write("fake.config.ts", readFileSync(new URL("./fixtures/fake.config.ts", import.meta.url), "utf8"))
})
afterAll(() => project.remove())

describe("weft over an Engine", () => {
  it("runs its commands on a hand-made Engine service: no store, no database file", async () => {
    const fake = (...args: ReadonlyArray<string>) => weft(["--config", "fake.config.ts", ...args])
    const list = await fake("list", "--format", "json")
    expect(list.code, list.stderr).toBe(0)
    expect(json<{ runs: ReadonlyArray<{ runId: string; status: string }> }>(list).runs).toMatchObject([
      { runId: "fake-1", status: "completed" }
    ])
    const status = await fake("status", "fake-1", "--format", "json")
    expect(json(status)).toMatchObject({ runId: "fake-1", position: { lastStep: "greet", completedSteps: 1 } })
    const trace = await fake("trace", "fake-1")
    expect(trace.stdout).toMatch(/^STEP\s+STATUS\s+ATTEMPTS\s+DURATION\s+ERROR\ngreet\s+completed\s+1\s+250 ms\n$/)
    const result = await fake("result", "fake-1", "--format", "json")
    expect(json(result)).toMatchObject({ runId: "fake-1", state: { who: "fake", greeting: "hello fake" } })
    const cancel = await fake("cancel", "fake-1")
    expect(cancel.stdout).toBe("run fake-1 has already ended (completed): there is nothing to cancel\n")
    const gc = await fake("gc", "--format", "json", "--verbose")
    expect(json(gc)).toEqual({ collected: 7 })
    expect(gc.stderr).toBe(`weft: store: the engine of ${join(project.dir, "fake.config.ts")}\n`)
    const missing = await fake("status", "nope")
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("No run with id \"nope\"")
    // the settings' database was never opened
    expect(existsSync(project.database)).toBe(false)
  }, slow)
})

describe("the store the settings choose", () => {
  it("refuses to read a SQLite file that does not exist (naming it) and creates none", async () => {
    const typo = join(project.dir, "typo.db")
    for (const args of [["list"], ["status", "r1"], ["trace", "r1"], ["result", "r1"], ["watch", "r1"]]) {
      const result = await weft(args, { WEFT_DATABASE: "typo.db" })
      expect(result.code, `${args.join(" ")}: ${result.stderr}`).toBe(2)
      expect(result.stdout).toBe("")
      expect(result.stderr.trim()).toBe(
        `weft: no database at ${typo} (WEFT_DATABASE): nothing to read there; check the path, or set WEFT_DATABASE_URL for PostgreSQL`
      )
      expect(existsSync(typo), args.join(" ")).toBe(false)
    }
    // a command that needs no store does not care
    const templates = await weft(["templates"], { WEFT_DATABASE: "typo.db" })
    expect(templates.code, templates.stderr).toBe(0)
    expect(existsSync(typo)).toBe(false)
    // a command that writes creates it, and says so with --verbose
    const started = await weft(["start", "hello", "--input", "{\"who\":\"a\"}", "--verbose"], { WEFT_DATABASE: "typo.db" })
    expect(started.code, started.stderr).toBe(0)
    expect(started.stderr).toBe(`weft: store: SQLite file ${typo} (created) (WEFT_DATABASE)\n`)
    const listed = await weft(["--verbose", "list", "--format", "json"], { WEFT_DATABASE: "typo.db" })
    expect(listed.stderr).toBe(`weft: store: SQLite file ${typo} (WEFT_DATABASE)\n`)
    expect(json<{ runs: ReadonlyArray<unknown> }>(listed).runs).toHaveLength(1)
  }, slow)
})

describePg("WEFT_DATABASE_URL", (scratch) => {
  it("alone switches the command line to PostgreSQL", async () => {
    const env = { WEFT_DATABASE_URL: scratch.url }
    const started = await weft(["start", "hello", "--input", "{\"who\":\"pg\"}", "--run-id", "pg-1", "--verbose"], env)
    expect(started.code, started.stderr).toBe(0)
    expect(started.stderr).toMatch(/^weft: store: PostgreSQL at postgres:\/\/.*\/weft_test_\w+ \(WEFT_DATABASE_URL\)\n$/)
    const ran = await weft(["resume", "pg-1", "--format", "json"], env)
    expect(ran.code, ran.stderr).toBe(0)
    expect(json(ran)).toMatchObject({ run: { runId: "pg-1", status: "completed" }, state: { greeting: "hello pg" } })
    const listed = await weft(["list", "--format", "json"], env)
    expect(json<{ runs: ReadonlyArray<{ runId: string }> }>(listed).runs.map((r) => r.runId)).toEqual(["pg-1"])
    // the SQLite file of WEFT_DATABASE was not touched
    expect(existsSync(project.database)).toBe(false)
  }, slow)
})
