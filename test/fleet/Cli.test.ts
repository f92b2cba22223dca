/**
 * The fleet commands of `weft`, run in this process (`Cli.run`) on a
 * temporary project and SQLite database: `history`, `stats`, `workers`,
 * `queues`, and `list --where/--prefix` (a bad condition is exit code 2,
 * naming it).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Project } from "../cli/support.js"
import { json, makeProject } from "../cli/support.js"

let project: Project
beforeAll(() => {
  project = makeProject()
})
afterAll(() => project.remove())

describe("weft fleet commands", () => {
  it("history, stats, workers, queues, list --where/--prefix", async () => {
    const weft = project.inProcess
    for (const [template, input, id] of [
      ["hello", "{\"who\":\"a\"}", "r1"],
      ["failing", "{\"n\":1}", "r2"],
      ["approval", "{\"amount\":3}", "r3"]
    ] as const) {
      await weft(["run", template, "--input", input, "--run-id", id])
    }
    const history = await weft(["history", "r3"])
    expect(history.code, history.stderr).toBe(0)
    const lines = history.stdout.trim().split("\n")
    expect(lines[0]).toBe("run r3 (suspended)")
    expect(lines[1]).toMatch(/created \(approval@/)
    expect(lines.at(-1)).toMatch(/suspended: waits for signal/)
    const historyJson = json<{ entries: ReadonlyArray<{ _tag: string }> }>(await weft(["history", "r3", "--format", "json"]))
    expect(historyJson.entries[0]!._tag).toBe("Created")
    expect((await weft(["history", "nope"])).code).not.toBe(0)

    const stats = json<{ total: number; byStatus: Record<string, number>; failureRate: number; templates: ReadonlyArray<{ template: string }> }>(
      await weft(["stats", "--since", "1h", "--format", "json"])
    )
    expect(stats.total).toBe(3)
    expect(stats.byStatus).toMatchObject({ completed: 1, failed: 1, suspended: 1 })
    expect(stats.failureRate).toBe(0.5)
    const statsText = await weft(["stats"])
    expect(statsText.stdout).toMatch(/failure rate 50\.0%/)
    expect(statsText.stdout).toMatch(/TEMPLATE\s+STEP\s+COUNT/)

    expect((await weft(["workers"])).stdout.trim()).toBe("no workers")
    expect(json(await weft(["queues", "--format", "json"]))).toEqual([
      { queue: "default", queued: 0, running: 0, suspended: 1, oldestQueuedAt: null, oldestQueuedAgeMs: null, workers: [] }
    ])

    const page = json<{ runs: ReadonlyArray<{ runId: string }> }>(await weft(["list", "--prefix", "r", "--where", "orderId=1", "--format", "json"]))
    expect(page.runs).toEqual([])
    const prefixed = json<{ runs: ReadonlyArray<{ runId: string }> }>(await weft(["list", "--prefix", "r", "--format", "json"]))
    expect(prefixed.runs.map((r) => r.runId)).toEqual(["r3", "r2", "r1"])
    const bad = await weft(["list", "--where", "orderId"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("--where: expected key<op>value")

    // export: one document, or JSON lines
    const doc = json<{ run: { runId: string }; history: { entries: ReadonlyArray<unknown> } }>(await weft(["export", "r1", "--format", "json"]))
    expect(doc.run.runId).toBe("r1")
    const exported = await weft(["export", "--prefix", "r"])
    expect(exported.stdout.trim().split("\n").map((line) => (JSON.parse(line) as { run: { runId: string } }).run.runId)).toEqual(["r3", "r2", "r1"])
    expect(exported.stderr).toContain("exported 3 run(s)")

    // cancel-all: a filter is needed; a dry run counts; then the suspended run is cancelled
    expect((await weft(["cancel-all"])).code).toBe(2)
    expect((await weft(["cancel-all", "--prefix", "r", "--dry-run"])).stdout).toContain("1 active run(s) match: nothing cancelled (dry run)")
    expect((await weft(["cancel-all", "--prefix", "r"])).stdout).toContain("cancelled 1 of 1 matching run(s)")
    expect(json<{ status: string }>(await weft(["status", "r3", "--format", "json"])).status).toBe("cancelled")
  }, 120_000)
})
