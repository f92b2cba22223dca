/**
 * `weft pause`, `weft unpause` and `weft start --priority` in this process
 * (`Cli.run`) on a temporary project and database: a queued run is paused,
 * listed as paused, unpaused back to its queue; a suspended one keeps what
 * it waits for; a run that has ended cannot be paused (exit code 2).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Project } from "./support.js"
import { json, makeProject } from "./support.js"

let project: Project
let weft: Project["inProcess"]

beforeAll(() => {
  project = makeProject()
  weft = project.inProcess
})
afterAll(() => project.remove())

interface RunJson {
  readonly runId: string
  readonly status: string
  readonly priority: number
  readonly pausedFrom: string | null
  readonly waitingFor: { readonly signal: string | null } | null
}

describe("weft pause / unpause (in process)", () => {
  it("pauses a queued run, lists it as paused, and unpauses it back to its queue", async () => {
    const started = await weft(["start", "hello", "--input", "{\"who\":\"q\"}", "--queue", "later", "--priority", "4", "--run-id", "q1", "--format", "json"])
    expect(started.code, started.stderr).toBe(0)
    expect(json<RunJson>(started).priority).toBe(4)
    const paused = await weft(["pause", "q1"])
    expect(paused.code, paused.stderr).toBe(0)
    expect(paused.stdout.trim()).toBe("run q1 paused")
    const listed = json<{ readonly runs: ReadonlyArray<RunJson> }>(await weft(["list", "--status", "paused", "--format", "json"]))
    expect(listed.runs.map((r) => [r.runId, r.status, r.pausedFrom])).toEqual([["q1", "paused", "queued"]])
    const unpaused = await weft(["unpause", "q1", "--format", "json"])
    expect(json<RunJson>(unpaused).status).toBe("queued")
    const again = await weft(["unpause", "q1"])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain("Run \"q1\" is queued, not paused")
  }, 120_000)

  it("pauses a suspended run, keeping what it waits for; a finished run is refused", async () => {
    expect((await weft(["run", "approval", "--input", "{\"amount\":3}", "--run-id", "w1"])).code).toBe(0)
    const paused = json<RunJson>(await weft(["pause", "w1", "--format", "json"]))
    expect([paused.status, paused.pausedFrom]).toEqual(["paused", "suspended"])
    const back = json<RunJson>(await weft(["unpause", "w1", "--format", "json"]))
    expect(back.status).toBe("suspended")
    expect((await weft(["run", "hello", "--input", "{\"who\":\"d\"}", "--run-id", "d1"])).code).toBe(0)
    const ended = await weft(["pause", "d1"])
    expect(ended.code).toBe(2)
    expect(ended.stderr).toContain("Run \"d1\" is completed and cannot be paused")
  }, 120_000)
})
