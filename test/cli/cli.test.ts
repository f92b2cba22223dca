/**
 * The `weft` command end to end: the real bin, spawned on a temporary
 * project (test/cli/fixtures/weft.config.ts) and a temporary SQLite
 * database, as a person would use it. Every command runs here at least
 * once; spawning costs a second or two, so independent commands run
 * together, and the many cases of bad input run in process
 * (inprocess.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Project, Result } from "./support.js"
import { json, makeProject } from "./support.js"

/** Each test spawns a few commands. */
const slow = 90_000

let project: Project
let weft: Project["weft"]

beforeAll(() => {
  project = makeProject()
  weft = project.weft
})
afterAll(() => project.remove())

interface RunJson {
  readonly runId: string
  readonly template: string
  readonly version: string
  readonly status: string
  readonly createdAt: string
  readonly updatedAt: string
  readonly error: { readonly tag: string; readonly message: string } | null
  readonly parentId: string | null
  readonly rootId: string
  readonly queue: string
  readonly waitingFor: { readonly runId: string; readonly step: string; readonly signal: string | null } | null
  readonly wakeAt: string | null
  readonly expiresAt: string | null
}

interface StepJson {
  readonly step: string
  readonly status: string
  readonly attempts: number
  readonly error: { readonly tag: string; readonly message: string } | null
}

interface FollowJson {
  readonly run: RunJson
  readonly trace: ReadonlyArray<StepJson>
  readonly state: Record<string, unknown> | null
  readonly waitingFor: { readonly runId: string; readonly step: string; readonly signal: string | null } | null
}

const runKeys = [
  "runId",
  "template",
  "version",
  "status",
  "createdAt",
  "updatedAt",
  "error",
  "parentId",
  "rootId",
  "queue",
  "waitingFor",
  "wakeAt",
  "expiresAt",
  "priority",
  "pausedFrom"
]

/** Exit code `code`, nothing on stdout, and `text` in the one line on stderr. */
const refused = (result: Result, code: number, text: string) => {
  expect(result.code, result.stderr).toBe(code)
  expect(result.stdout).toBe("")
  expect(result.stderr).toContain(text)
  expect(result.stderr.trim().split("\n")).toHaveLength(1)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("the weft bin", () => {
  it("has help, lists templates with their types, draws a graph", async () => {
    const [help, runHelp, templates, graph, noProject] = await Promise.all([
      weft(["--help"]),
      weft(["run", "--help"]),
      weft(["templates", "--format", "json"]),
      weft(["graph", "nested"]),
      weft(["templates", "--config", "missing.config.ts"])
    ])
    expect(help.code).toBe(0)
    for (const command of ["templates", "graph", "run", "start", "resume", "signal", "cancel", "list", "status", "trace", "result", "watch", "gc", "validate", "schema"]) {
      expect(help.stdout).toContain(`- ${command} `)
    }
    expect(runHelp.stdout).toContain("--input-file")
    const list = json<ReadonlyArray<Record<string, unknown>>>(templates)
    expect(list.map((t) => `${t["name"]}@${t["version"]}`)).toEqual(["hello@1", "approval@1", "failing@1", "nested@1"])
    expect(list[0]).toEqual({
      name: "hello",
      version: "1",
      requires: [{ key: "who", type: "string", optional: false, schema: { type: "string" } }],
      provides: [{ key: "greeting", type: "string", optional: false, schema: { type: "string" } }],
      signals: []
    })
    expect(list[1]!["signals"]).toEqual([{
      signal: "decision",
      step: "decision",
      type: "{ readonly approved: boolean; readonly by: string }",
      schema: {
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        required: ["approved", "by"],
        properties: { approved: { type: "boolean" }, by: { type: "string" } },
        additionalProperties: false
      }
    }])
    expect(graph.code).toBe(0)
    expect(graph.stdout.split("\n")[0]).toBe("flowchart TD")
    expect(graph.stdout).toContain("n3{\"route\"}")
    expect(graph.stdout).toContain("n3 -->|\"then\"| n4")
    refused(noProject, 2, "weft: missing.config.ts: not found")
  }, slow)

  it("runs a template with live progress and its trace; JSON on stdout, progress on stderr", async () => {
    const [table, asJson, failed, badJson, unknown] = await Promise.all([
      weft(["run", "hello", "--input", "{\"who\":\"ada\"}", "--run-id", "hello-1"]),
      weft(["run", "nested", "--input", "{\"n\":0,\"who\":\"bob\"}", "--run-id", "nested-1", "--format", "json"]),
      weft(["run", "failing", "--input", "{\"n\":3}", "--run-id", "fail-1"]),
      weft(["run", "hello", "--input", "{\"who\":"]),
      weft(["run", "hello", "--input", "{\"who\":7}"])
    ])
    expect(table.code, table.stderr).toBe(0)
    expect(table.stdout).toContain("run hello-1 started (hello@1)\n  ▶ greet\n  ✔ greet completed (1 attempt(s), ")
    expect(table.stdout).toMatch(/STEP\s+STATUS\s+ATTEMPTS\s+DURATION\s+ERROR\ngreet\s+completed\s+1\s+\d+ ms\n/)
    expect(table.stdout).toContain("run hello-1 completed")

    expect(asJson.code, asJson.stderr).toBe(0)
    expect(asJson.stderr).toContain("▶ route/then/restart")
    const result = json<FollowJson>(asJson)
    expect(Object.keys(result)).toEqual(["run", "trace", "state", "waitingFor"])
    expect(Object.keys(result.run)).toEqual(runKeys)
    expect(result.run).toMatchObject({ runId: "nested-1", template: "nested", status: "completed", error: null, rootId: "nested-1" })
    expect(result.trace.map((s) => s.step)).toEqual(["check", "route/then", "route/then/restart", "hello/greet"])
    expect(Object.keys(result.trace[0]!)).toEqual(["step", "name", "status", "attempts", "startedAt", "endedAt", "durationMs", "error"])
    expect(result.state).toMatchObject({ n: 0, who: "bob", healthy: false, action: "restarted", greeting: "hello bob" })

    expect(failed.code).toBe(1)
    expect(failed.stdout).toContain("↻ explode attempt 2 after Boom: boom: n was 3")
    expect(failed.stdout).toMatch(/explode\s+failed\s+2\s+\d+ ms\s+Boom: boom: n was 3/)
    expect(failed.stderr.trim()).toBe("weft: run fail-1 failed: Boom: boom: n was 3")

    refused(badJson, 2, "weft: --input: invalid JSON")
    refused(unknown, 2, "weft: Invalid input for template \"hello\": who: expected a string, got 7")
  }, slow)

  it("suspends at a wait, refuses a bad signal payload, goes on with a good one", async () => {
    const started = await weft(["run", "approval", "--input", "{\"amount\":12}", "--run-id", "appr-1"])
    expect(started.code, started.stderr).toBe(0)
    expect(started.stdout).toContain("run appr-1 is suspended at decision, waiting for signal \"decision\"; send it with:\n")
    expect(started.stdout).toContain("  weft signal appr-1 decision '<json payload>'")

    const [before, bad] = await Promise.all([
      weft(["status", "appr-1", "--format", "json"]),
      weft(["signal", "appr-1", "decision", "{\"approved\":\"yes\"}"])
    ])
    const beforeBody = json<RunJson & { position: unknown }>(before)
    expect(Object.keys(beforeBody)).toEqual([...runKeys, "position"])
    expect(beforeBody).toMatchObject({
      status: "suspended",
      waitingFor: { runId: "appr-1", step: "decision", signal: "decision" },
      position: { lastStep: "prepare" }
    })
    refused(bad, 2, "approved: expected a boolean, got \"yes\"; by: is missing")
    const unchanged = await weft(["status", "appr-1", "--format", "json"])
    expect(json<RunJson>(unchanged)).toEqual(json<RunJson>(before))

    const signalled = await weft(["signal", "appr-1", "decision", "{\"approved\":true,\"by\":\"ops\"}"])
    expect(signalled.code, signalled.stderr).toBe(0)
    expect(signalled.stdout).toContain("signal \"decision\" recorded for run appr-1")
    expect(signalled.stdout).toMatch(/prepare\s+completed[^\n]*\ndecision\s+completed[^\n]*\nact\s+completed/)
    expect(signalled.stdout).toContain("run appr-1 completed")

    const [result, trace, status] = await Promise.all([
      weft(["result", "appr-1", "--format", "json"]),
      weft(["trace", "appr-1", "--format", "json"]),
      weft(["status", "appr-1"])
    ])
    const body = json<RunJson & { state: unknown }>(result)
    expect(Object.keys(body)).toEqual([...runKeys, "state"])
    expect(body.state).toEqual({ amount: 12, prepared: true, decision: { approved: true, by: "ops" }, outcome: "paid 12" })
    const steps = json<{ runId: string; status: string; steps: ReadonlyArray<StepJson> }>(trace)
    expect(steps).toMatchObject({ runId: "appr-1", status: "completed" })
    expect(steps.steps.map((s) => s.step)).toEqual(["prepare", "decision", "act"])
    expect(status.stdout).toMatch(/^run:\s+appr-1\ntemplate:\s+approval@1\nstatus:\s+completed\n/)
    expect(status.stdout).toMatch(/\nlast step:\s+act\n/)
  }, slow)

  it("lists runs, a page at a time", async () => {
    const [table, page1] = await Promise.all([
      weft(["list"]),
      weft(["list", "--limit", "2", "--format", "json"])
    ])
    expect(table.stdout).toMatch(/^RUN ID\s+TEMPLATE\s+STATUS\s+CREATED\s+UPDATED\s+ERROR\n/)
    expect(table.stdout).toMatch(/\nfail-1\s+failing@1\s+failed\s+\S+\s+\S+\s+Boom: boom: n was 3\n/)
    type Page = { runs: ReadonlyArray<RunJson>; nextCursor: string | null }
    const first = json<Page>(page1)
    expect(first.runs).toHaveLength(2)
    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/)
    const second = json<Page>(await weft(["list", "--limit", "2", "--cursor", first.nextCursor!, "--format", "json"]))
    const ids = [...first.runs, ...second.runs].map((r) => r.runId)
    expect(new Set(ids).size).toBe(4)
    const created = [...first.runs, ...second.runs].map((r) => r.createdAt)
    expect([...created].sort().reverse()).toEqual(created)
  }, slow)

  it("starts a run for a worker, resumes it here; cancels a suspended run", async () => {
    const [started, suspended] = await Promise.all([
      weft(["start", "hello", "--input", "{\"who\":\"dee\"}", "--run-id", "bg-1"]),
      weft(["run", "approval", "--input", "{\"amount\":1}", "--run-id", "cancel-1"])
    ])
    expect(started.code, started.stderr).toBe(0)
    expect(started.stdout).toBe("bg-1\n")
    expect(suspended.code, suspended.stderr).toBe(0)
    const [resumed, cancelled] = await Promise.all([
      weft(["resume", "bg-1", "--format", "json"]),
      weft(["cancel", "cancel-1", "--format", "json"])
    ])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(json<FollowJson>(resumed)).toMatchObject({ run: { runId: "bg-1", status: "completed" }, state: { greeting: "hello dee" } })
    expect(cancelled.code, cancelled.stderr).toBe(0)
    expect(json<RunJson>(cancelled)).toMatchObject({ runId: "cancel-1", status: "cancelled" })
    const [signal, watch] = await Promise.all([
      weft(["signal", "cancel-1", "decision", "{\"approved\":true,\"by\":\"x\"}"]),
      weft(["watch", "cancel-1"])
    ])
    refused(signal, 2, "rejected (run-ended)")
    expect(watch.code).toBe(1)
    expect(watch.stdout).toContain("run cancel-1 cancelled")
  }, slow)

  it("watches a run that another process moves on, until it ends", async () => {
    const started = await weft(["run", "approval", "--input", "{\"amount\":7}", "--run-id", "watch-1"])
    expect(started.code, started.stderr).toBe(0)
    // the watcher sees the run suspended, then the signal comes
    const watching = await project.background(
      ["watch", "watch-1", "--interval", "100ms", "--format", "json"],
      /"type":"status".*"status":"suspended"/
    )
    const signalled = await weft(["signal", "watch-1", "decision", "{\"approved\":false,\"by\":\"z\"}"])
    expect(signalled.code, signalled.stderr).toBe(0)
    const watched = await watching.ended
    expect(watched.code, watched.stderr).toBe(0)
    const lines = watched.stdout.trim().split("\n").map((line) => JSON.parse(line) as { type: string; step?: string; run?: RunJson })
    expect(lines.filter((l) => l.type === "step").map((l) => l.step)).toEqual(["prepare", "decision", "act"])
    const statuses = lines.filter((l) => l.type === "status").map((l) => l.run!.status)
    expect(statuses[0]).toBe("suspended")
    expect(statuses[statuses.length - 1]).toBe("completed")
    // a failed run: exit code 1
    const failed = await weft(["watch", "fail-1"])
    expect(failed.code).toBe(1)
    expect(failed.stdout).toContain("run fail-1 failed: Boom: boom: n was 3")
  }, slow)

  it("collects expired runs", async () => {
    const run = await weft(["run", "hello", "--input", "{\"who\":\"old\"}", "--run-id", "gc-1"], { WEFT_STATE_TTL: "1" })
    expect(run.code, run.stderr).toBe(0)
    await sleep(1_100)
    const gc = await weft(["gc", "--format", "json"])
    expect(json<{ collected: number }>(gc).collected).toBeGreaterThanOrEqual(1)
    refused(await weft(["status", "gc-1"]), 2, "No run with id \"gc-1\"")
  }, slow)

  it("validates, runs and draws YAML flows, and writes their JSON Schema", async () => {
    project.write("flows/greet.yaml", "name: greet_flow\nversion: \"1\"\nvars:\n  who: world\nsteps:\n  - use: greet\n    with: { who: \"${vars.who}\" }\n")
    project.write("flows/bad.yaml", "name: bad_flow\nversion: \"1\"\nsteps:\n  - use: gret\n  - use: greet\n    with: { whom: 1 }\n")
    const [valid, invalid, run, schema] = await Promise.all([
      weft(["validate", "flows/greet.yaml", "--format", "json"]),
      weft(["validate", "flows/greet.yaml", "flows/bad.yaml"]),
      weft(["run", "flows/greet.yaml", "--var", "who=ann", "--format", "json"]),
      weft(["schema", "--output", "flow.schema.json"])
    ])
    expect(valid.code, valid.stderr).toBe(0)
    expect(json(valid)).toEqual({
      valid: true,
      files: [{ file: "flows/greet.yaml", valid: true, template: { name: "greet_flow", version: expect.stringMatching(/^1\+/) }, errors: [] }]
    })
    expect(invalid.code).toBe(2)
    expect(invalid.stdout).toMatch(/^ok {2}flows\/greet\.yaml {2}\(greet_flow@1\+\S+\)\n$/)
    expect(invalid.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^flows\/bad\.yaml:4:10: unknown step "gret" \(did you mean "greet"\?\)/),
      expect.stringMatching(/^flows\/bad\.yaml:5:10: /),
      expect.stringMatching(/^flows\/bad\.yaml:6:13: .*"whom"/)
    ])
    expect(run.code, run.stderr).toBe(0)
    expect(json<FollowJson>(run)).toMatchObject({ run: { template: "greet_flow", status: "completed" }, state: { greeting: "hello ann" } })
    expect(schema.code, schema.stderr).toBe(0)
    expect(schema.stderr).toContain("wrote flow.schema.json")
    const written = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync(`${project.dir}/flow.schema.json`, "utf8")))
    expect(written.$schema).toBe("http://json-schema.org/draft-07/schema#")
    expect(JSON.stringify(written)).toContain("\"greet\"")
  }, slow)

  it("serves the API and the web view until it is stopped", async () => {
    const server = await project.background(["serve", "--port", "0"], /serving 4 template\(s\) at (http:\/\/127\.0\.0\.1:\d+)\//)
    const url = server.match[1]!
    const [templates, runs, page] = await Promise.all([
      fetch(`${url}/api/templates`).then((r) => r.json() as Promise<ReadonlyArray<{ name: string }>>),
      fetch(`${url}/api/runs?limit=500`).then((r) => r.json() as Promise<{ runs: ReadonlyArray<{ runId: string }> }>),
      fetch(`${url}/`).then((r) => r.text())
    ])
    expect(templates.map((t) => t.name)).toEqual(["hello", "approval", "failing", "nested"])
    // the runs the other commands recorded, from the same store
    expect(runs.runs.map((r) => r.runId)).toEqual(expect.arrayContaining(["hello-1", "appr-1", "fail-1"]))
    expect(page).toContain("<html")
    const stopped = await server.stop("SIGTERM")
    expect(stopped.code, stopped.stderr).toBe(0)
    const refusedHost = await weft(["serve", "--host", "0.0.0.0"])
    refused(refusedHost, 2, "Refusing to listen on \"0.0.0.0\" without a token")
  }, slow)

  it("runs a worker that executes the runs queued on its queues, until SIGTERM", async () => {
    const [queued, other] = await Promise.all([
      weft(["start", "hello", "--input", "{\"who\":\"w\"}", "--run-id", "work-1"]),
      weft(["start", "hello", "--input", "{\"who\":\"x\"}", "--run-id", "work-2", "--queue", "reports"])
    ])
    expect(queued.code, queued.stderr).toBe(0)
    expect(other.code, other.stderr).toBe(0)
    const worker = await project.background(["worker", "--queue", "default:2"], /worker serving default \(at most 2 at once\)/)
    // the worker runs it with the project's services (the Greeter of the project file)
    const watched = await weft(["watch", "work-1", "--interval", "100ms"])
    expect(watched.code, watched.stdout + watched.stderr).toBe(0)
    const stopped = await worker.stop("SIGTERM")
    expect(stopped.code, stopped.stderr).toBe(0)
    expect(stopped.stdout).toMatch(/run work-1 completed/)
    const [result, untouched] = await Promise.all([
      weft(["result", "work-1", "--format", "json"]),
      weft(["status", "work-2", "--format", "json"])
    ])
    expect(json<{ state: unknown }>(result).state).toEqual({ who: "w", greeting: "hello w" })
    // a queue it does not serve is left alone
    expect(json<RunJson>(untouched)).toMatchObject({ status: "queued", queue: "reports" })
  }, slow)
})
