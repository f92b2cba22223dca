/**
 * `weft state`, `weft rerun` (one run, and many by filter), `weft fork` and
 * `weft migrate`, in this process (`Cli.run`) on a temporary project with
 * two versions of a template and the migration between them.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Project } from "./support.js"
import { json, makeProject, root } from "./support.js"

const slow = 120_000

let project: Project
let weft: Project["inProcess"]

beforeAll(() => {
  project = makeProject()
  project.write("weft.config.ts", readFileSync(join(root, "test/cli/fixtures/versions.config.ts"), "utf8"))
  weft = project.inProcess
})
afterAll(() => {
  delete process.env.WEFT_TEST_FAIL_BILL
  project.remove()
})

describe("weft: runs that outlive their code", () => {
  it("state --at: a run's state after a step; rerun: a failed run goes on from its failed step", async () => {
    process.env.WEFT_TEST_FAIL_BILL = "1"
    expect((await weft(["run", "order", "--input", "{\"sku\":\"abcd\"}", "--run-id", "o1"])).code).toBe(1)
    const state = await weft(["state", "o1", "--at", "quote", "--format", "json"])
    expect(state.code, state.stderr).toBe(0)
    expect(json(state)).toEqual({ runId: "o1", step: "quote", state: { sku: "abcd", price: 40 } })
    const unknown = await weft(["state", "o1", "--at", "ship"])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("has no step \"ship\"")
    delete process.env.WEFT_TEST_FAIL_BILL
    const rerun = await weft(["rerun", "o1", "--format", "json"])
    expect(rerun.code, rerun.stderr).toBe(0)
    const followed = json<{ run: { status: string }; trace: ReadonlyArray<{ step: string; status: string }>; state: unknown }>(rerun)
    expect(followed.run.status).toBe("completed")
    expect(followed.trace.map((s) => `${s.step}:${s.status}`)).toEqual(["quote:completed", "bill:failed", "bill:completed"])
    expect(followed.state).toEqual({ sku: "abcd", price: 40, invoice: "INV-40" })
  }, slow)

  it("rerun by filter: a dry run counts, then each goes on", async () => {
    process.env.WEFT_TEST_FAIL_BILL = "1"
    for (const id of ["o2", "o3"]) await weft(["run", "order", "--input", "{\"sku\":\"ab\"}", "--run-id", id])
    delete process.env.WEFT_TEST_FAIL_BILL
    const dry = await weft(["rerun", "--status", "failed", "--template", "order", "--since", "1h", "--dry-run", "--format", "json"])
    expect(dry.code, dry.stderr).toBe(0)
    expect(json(dry)).toEqual({ dryRun: true, count: 2, runIds: ["o3", "o2"] })
    const text = await weft(["rerun", "--status", "failed", "--dry-run"])
    expect(text.stdout).toContain("would re-run 2 run(s)")
    const done = await weft(["rerun", "--status", "failed", "--template", "order", "--format", "json"])
    expect(json<{ count: number }>(done).count).toBe(2)
  }, slow)

  it("fork --after --patch: a new run from a step's state, the patch read with the key's Schema", async () => {
    const forked = await weft(["fork", "o1", "--after", "quote", "--patch", "{\"price\":7}", "--fork-id", "o1-f", "--format", "json"])
    expect(forked.code, forked.stderr).toBe(0)
    expect(json<{ state: unknown }>(forked).state).toEqual({ sku: "abcd", price: 7, invoice: "INV-7" })
    const bad = await weft(["fork", "o1", "--after", "quote", "--patch", "{\"price\":\"seven\"}"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("price")
  }, slow)

  it("list --forked-from: the run's forks; status shows a fork's lineage", async () => {
    const again = await weft(["fork", "o1", "--after", "quote", "--fork-id", "o1-g", "--format", "json"])
    expect(again.code, again.stderr).toBe(0)
    const listed = await weft(["list", "--forked-from", "o1", "--format", "json"])
    expect(listed.code, listed.stderr).toBe(0)
    const { runs } = json<{ runs: ReadonlyArray<{ runId: string; forkedFrom?: unknown }> }>(listed)
    expect(runs.map((run) => run.runId).sort()).toEqual(["o1-f", "o1-g"])
    expect(runs[0]!.forkedFrom).toEqual({ runId: "o1", after: "quote" })
    const none = await weft(["list", "--forked-from", "o1-f", "--format", "json"])
    expect(json<{ runs: ReadonlyArray<unknown> }>(none).runs).toEqual([])
    const status = await weft(["status", "o1-f"])
    expect(status.code, status.stderr).toBe(0)
    expect(status.stdout).toMatch(/forked from:\s+o1 after quote/)
    const empty = await weft(["list", "--forked-from", ""])
    expect(empty.code).toBe(2)
    expect(empty.stderr).toContain("--forked-from")
  }, slow)

  it("migrate: a dry run reports, then the suspended run goes on under v2 once signalled", async () => {
    expect((await weft(["run", "approved@1", "--input", "{\"sku\":\"abc\"}", "--run-id", "w1"])).code).toBe(0)
    const dry = await weft(["migrate", "approved@1", "approved@2", "--dry-run", "--where", "status=suspended", "--format", "json"])
    expect(dry.code, dry.stderr).toBe(0)
    expect(json<{ migrated: number; runs: ReadonlyArray<{ runId: string; from: string; to: string }> }>(dry)).toMatchObject({
      dryRun: true,
      migrated: 1,
      runs: [{ runId: "w1", result: "migrated", from: "approval", to: "approval" }]
    })
    const table = await weft(["migrate", "approved@1", "approved@2"])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toContain("migrated 1 of 1 run(s)")
    const status = json<{ template: string; version: string }>(await weft(["status", "w1", "--format", "json"]))
    expect([status.template, status.version]).toEqual(["approved", "2"])
    const signalled = await weft(["signal", "w1", "approval", "{\"ok\":true}", "--format", "json"])
    expect(signalled.code, signalled.stderr).toBe(0)
    expect(json<{ state: { invoice: string } }>(signalled).state.invoice).toBe("INV-30-EUR")
    const missing = await weft(["migrate", "approved@2", "approved@3"])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("declares no migration from approved@2 to approved@3")
  }, slow)

  it("migrate --dry-run: a run at a nested position the migration maps, and one at a nested position it does not (it stays)", async () => {
    // each run ends its execution suspended: big in the arm's wait, small in the other arm's
    expect((await weft(["run", "nested@1", "--input", "{\"sku\":\"abcdefghijkl\"}", "--run-id", "big"])).code).toBe(0)
    expect((await weft(["run", "nested@1", "--input", "{\"sku\":\"ab\"}", "--run-id", "small"])).code).toBe(0)
    const dry = await weft(["migrate", "nested@1", "nested@2", "--dry-run", "--format", "json"])
    expect(dry.code, dry.stderr).toBe(0)
    const runs = json<{ runs: ReadonlyArray<{ runId: string }> }>(dry).runs.slice().sort((a, b) => a.runId.localeCompare(b.runId))
    expect(runs).toEqual([
      { runId: "big", result: "migrated", from: "route/then/approve", to: "route/then/approval", detail: "dry run: nothing was written" },
      {
        runId: "small",
        result: "unmapped",
        from: null,
        to: null,
        detail: "it stands at \"route\" in \"route/else/hold\", which the migration does not map"
      }
    ])
    const text = await weft(["migrate", "nested@1", "nested@2", "--dry-run"])
    expect(text.stdout).toContain("unmapped")
    expect(text.stdout).toContain("route/else/hold")
  }, slow)
})
