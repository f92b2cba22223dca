/**
 * One fast check per surface through real processes, for the quick loop
 * (`npm test`): the `weft` bin (built once per test run, `test/build.ts`)
 * runs a template on a SQLite file and a process killed mid-run is resumed
 * by another with nothing re-run; `weft serve` answers the API and the web
 * view from that file. The full versions of each are in the `process` and
 * `system` projects (test/cli, test/crash, test/browser).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { repoRoot } from "../build.js"
import { json, makeProject, type Project } from "../cli/support.js"
import { expectedState, stepCount } from "../crash/flow.js"
import { lastJson, readLog, runChild } from "../crash/harness.js"

let project: Project
beforeAll(() => {
  project = makeProject()
})
afterAll(() => project.remove())

describe("the weft bin", () => {
  it("lists the project's templates and runs one on SQLite", async () => {
    const [templates, run] = await Promise.all([
      project.weft(["templates", "--format", "json"]),
      project.weft(["run", "hello", "--input", "{\"who\":\"smoke\"}", "--run-id", "smoke-1", "--format", "json"])
    ])
    expect(templates.code, templates.stderr).toBe(0)
    expect(json<ReadonlyArray<{ name: string }>>(templates).map((t) => t.name)).toContain("hello")
    expect(run.code, run.stderr).toBe(0)
    expect(json<{ run: { status: string }; state: unknown }>(run)).toMatchObject({
      run: { status: "completed" },
      state: { greeting: "hello smoke" }
    })
  })

  it("serves the API and the web view over the same file", async () => {
    const server = await project.background(["serve", "--port", "0"], /at (http:\/\/127\.0\.0\.1:\d+)\//)
    try {
      const url = server.match[1]!
      const [runs, page] = await Promise.all([
        fetch(`${url}/api/runs?limit=50`).then((r) => r.json() as Promise<{ runs: ReadonlyArray<{ runId: string }> }>),
        fetch(`${url}/`).then((r) => r.text())
      ])
      expect(runs.runs.map((r) => r.runId)).toContain("smoke-1")
      expect(page).toContain("<html")
    } finally {
      const stopped = await server.stop("SIGTERM")
      expect(stopped.code, stopped.stderr).toBe(0)
    }
  })
})

describe("a durable run across processes", () => {
  const dir = mkdtempSync(join(tmpdir(), "weft-smoke-"))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it("is resumed by a second process after the first is SIGKILLed mid-run; no completed step re-runs", async () => {
    const database = join(dir, "runs.db")
    const log = join(dir, "exec.log")
    writeFileSync(log, "")
    const child = join(repoRoot, "test/crash/child.ts")
    // killed inside its third step
    const first = await runChild(child, [database, log, "smoke", "auto"], { afterSteps: 3, delayMs: 0 })
    expect(first.signal).toBe("SIGKILL")
    const second = await runChild(child, [database, log, "smoke", "auto"])
    expect(second.code, second.lines.join("\n")).toBe(0)
    expect(lastJson(second).state).toEqual(expectedState(1))
    const lines = readLog(log)
    const resumed = lines.find((line) => line.kind === "resume" && line.pid === second.pid)
    expect(resumed).toBeDefined()
    const cursor = Number(resumed!.arg)
    expect(cursor).toBeGreaterThanOrEqual(2)
    // the second process executes only the steps after the cursor it resumed from
    const executed = lines.filter((line) => line.kind === "exec" && line.pid === second.pid)
    expect(executed.map((line) => line.arg)).toEqual(
      Array.from({ length: stepCount - cursor }, (_, i) => `s${cursor + i + 1}`)
    )
  })
})
