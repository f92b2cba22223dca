/**
 * The `weft` command run in this process through `Cli.run` (the embedding
 * API) on a temporary project and database: the many cases of bad input,
 * project files, filters and tables, without the cost of a process each.
 * `cli.test.ts` runs the real bin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Project, Result } from "./support.js"
import { json, makeProject } from "./support.js"

/** Every test runs several commands, one after another. */
const slow = 120_000

let project: Project
let weft: Project["inProcess"]

beforeAll(() => {
  project = makeProject()
  weft = project.inProcess
})
afterAll(() => project.remove())

interface RunJson {
  readonly runId: string
  readonly template: string
  readonly status: string
  readonly createdAt: string
  readonly queue: string
}

type Page = { readonly runs: ReadonlyArray<RunJson>; readonly nextCursor: string | null }

const allRuns = async () => json<Page>(await weft(["list", "--limit", "1000", "--format", "json"])).runs

/** Exit code `code`, nothing on stdout, and `text` in the one line on stderr. */
const refused = (result: Result, code: number, text: string | RegExp) => {
  expect(result.code, result.stderr).toBe(code)
  expect(result.stdout).toBe("")
  if (typeof text === "string") expect(result.stderr).toContain(text)
  else expect(result.stderr).toMatch(text)
}

describe("weft (in process)", () => {
  it("runs runs to fill the store", async () => {
    for (const [template, input, id] of [
      ["hello", "{\"who\":\"a\"}", "r1"],
      ["hello", "{\"who\":\"b\"}", "r2"],
      ["failing", "{\"n\":1}", "r3"],
      ["approval", "{\"amount\":3}", "r4"],
      ["nested", "{\"n\":5,\"who\":\"c\"}", "r5"]
    ] as const) {
      const result = await weft(["run", template, "--input", input, "--run-id", id])
      expect(result.code, result.stderr).toBe(template === "failing" ? 1 : 0)
    }
    expect((await allRuns()).map((r) => r.runId)).toEqual(["r5", "r4", "r3", "r2", "r1"])
  }, slow)

  it("refuses bad input naming what was wrong, with exit code 2, and writes nothing", async () => {
    const before = await allRuns()
    const missing = `${project.dir}/missing.json`
    const cases: ReadonlyArray<readonly [ReadonlyArray<string>, string | RegExp]> = [
      [["run", "hello", "--input", "{bad"], /^weft: --input: invalid JSON: /],
      [["run", "hello", "--input", "[1,2]"], "--input: expected a JSON object (the run's input, one field per key), got an array"],
      [["run", "hello", "--input", "\"who\""], "--input: expected a JSON object (the run's input, one field per key), got a string"],
      [["run", "hello", "--input", "{\"who\":1}"], "Invalid input for template \"hello\": who: expected a string, got 1"],
      [["run", "hello", "--input", "{}"], "who: is missing"],
      [["run", "hello"], "who: is missing"],
      [["run", "approval", "--input", "{\"amount\":\"12\"}"], "amount: expected a number, got \"12\""],
      [["run", "nosuch", "--input", "{}"], "unknown template \"nosuch\": the project has hello@1, approval@1, failing@1, nested@1"],
      [["run", "hello@2", "--input", "{}"], "unknown template \"hello@2\""],
      [["run", "hello", "--input-file", missing], `--input-file: cannot read ${missing}`],
      [["run", "hello", "--input", "{}", "--input-file", missing], "give --input or --input-file, not both"],
      [["run", "hello", "--input", "{\"who\":\"x\"}", "--var", "a=b"], "--var applies to YAML flows (a *.yaml file), not to template \"hello\""],
      [["run", "hello", "--input", "{\"who\":\"x\"}", "--timeout", "soon"], "--timeout: expected a duration such as 90s, 15m, 1h30m or 2d, got \"soon\""],
      [["run", "hello", "--input", "{\"who\":\"x\"}", "--run-id", "r1"], "a run with id \"r1\" exists already"],
      [["start", "hello", "--input", "{\"who\":\"x\"}", "--run-id", "r4"], "a run with id \"r4\" exists already"],
      [["start", "hello", "--input", "{\"who\":2}"], "who: expected a string, got 2"],
      [["start", "nosuch"], "unknown template \"nosuch\""],
      [["graph", "nosuch"], "unknown template \"nosuch\""],
      [["status", "nope"], "No run with id \"nope\""],
      [["trace", "nope"], "No run with id \"nope\""],
      [["result", "nope"], "No run with id \"nope\""],
      [["cancel", "nope"], "No run with id \"nope\""],
      [["resume", "nope"], "No run with id \"nope\""],
      [["watch", "nope"], "No run with id \"nope\""],
      [["signal", "nope", "decision", "{}"], "No run with id \"nope\""],
      [["signal", "r4", "decision", "{\"approved\":1}"], /approved: expected a boolean, got 1; by: is missing/],
      [["signal", "r4", "decision", "[]"], /\(root\): expected an object, got an empty array/],
      [["signal", "r4", "decision", "nope"], "payload: invalid JSON"],
      [["signal", "r4", "decision"], "Invalid payload for signal \"decision\""],
      [["signal", "r4", "other", "{}"], "has no waitForSignal(\"other\")"],
      [["signal", "r1", "decision", "{\"approved\":true,\"by\":\"x\"}"], "rejected (run-ended)"],
      [["resume", "r1"], "run r1 has ended (completed): there is nothing to resume"],
      [["result", "r4"], "run r4 has not completed yet (it is suspended): follow it with weft watch r4"],
      [["list", "--status", "done"], "--status: unknown status \"done\" (one of queued, running, suspended, paused, completed, failed, cancelled)"],
      [["list", "--since", "yesterday"], "--since: expected an ISO date (2024-05-01, 2024-05-01T12:00:00Z) or a duration ago"],
      [["list", "--until", "2024-13-45"], "--until: \"2024-13-45\" is not a valid date"],
      [["list", "--since", "1h", "--until", "2h"], "--since must be before --until"],
      [["list", "--limit", "0"], "--limit: expected a whole number from 1 to 1000, got 0"],
      [["list", "--limit", "5000"], "--limit: expected a whole number from 1 to 1000, got 5000"],
      [["list", "--cursor", "not-a-cursor"], "--cursor: \"not-a-cursor\" is not a cursor given by a previous \"weft list\""],
      [["watch", "r1", "--interval", "1ms"], "--interval: at least 10ms"],
      [["watch", "r1", "--interval", "often"], "--interval: "],
      [["validate", "missing.yaml"], "missing.yaml:1:1: cannot read the file"],
      [["graph", "missing.yaml"], "missing.yaml:1:1: cannot read the file"]
    ]
    for (const [args, text] of cases) {
      const result = await weft(args)
      refused(result, 2, text)
      // one clear line, ours
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1)
      expect(result.stderr, args.join(" ")).toMatch(/^(weft: |missing\.yaml:)/)
    }
    const after = await allRuns()
    expect(after).toEqual(before)
  }, slow)

  it("leaves usage errors to @effect/cli, with exit code 2", async () => {
    for (const [args, text] of [
      [["run", "hello", "--bogus"], "Received unknown argument: '--bogus'"],
      [["status"], "Missing argument <run-id>"],
      [["list", "--limit", "many"], "many"],
      [["list", "--format", "xml"], "Expected one of the following cases: table, json"],
      [["frobnicate"], "Invalid subcommand"]
    ] as const) {
      const result = await weft(args)
      expect(result.code, args.join(" ")).toBe(2)
      expect(result.stderr, args.join(" ")).toContain(text)
      // prefixed as every other error, without colour codes (stderr is not a terminal here)
      expect(result.stderr, args.join(" ")).toMatch(/^weft: /)
      expect(result.stderr, args.join(" ")).not.toContain("\u001b")
    }
  }, slow)

  it("prints help without colour codes when stdout is not a terminal, or NO_COLOR is set", async () => {
    for (const args of [["--help"], [], ["list", "--help"]]) {
      const help = await weft(args)
      expect(help.code, args.join(" ")).toBe(0)
      expect(help.stdout, args.join(" ")).toContain("weft")
      expect(help.stdout, args.join(" ")).not.toContain("\u001b")
    }
    const tty = Object.getOwnPropertyDescriptor(process.stdout, "isTTY")
    const noColor = process.env["NO_COLOR"]
    try {
      Object.defineProperty(process.stdout, "isTTY", { value: true, configurable: true })
      delete process.env["NO_COLOR"]
      expect((await weft(["--help"])).stdout).toContain("\u001b[")
      process.env["NO_COLOR"] = "1"
      expect((await weft(["--help"])).stdout).not.toContain("\u001b")
    } finally {
      if (tty === undefined) delete (process.stdout as { isTTY?: boolean }).isTTY
      else Object.defineProperty(process.stdout, "isTTY", tty)
      if (noColor === undefined) delete process.env["NO_COLOR"]
      else process.env["NO_COLOR"] = noColor
    }
  }, slow)

  it("says when the store cannot be opened (exit code 1) or a setting is malformed (exit code 2)", async () => {
    refused(
      await weft(["gc"], { WEFT_DATABASE: "/proc/no-such-dir/runs.db" }),
      1,
      /^weft: cannot start the engine: .*no-such-dir/
    )
    refused(await weft(["list"], { WEFT_MAX_RETRIES: "many" }), 2, /^weft: bad settings: .*MAX_RETRIES.*"many"/)
  }, slow)

  it("says in one line what is wrong with a project file, with exit code 2", async () => {
    const write = (name: string, text: string) => project.write(name, text)
    const cases: ReadonlyArray<readonly [string, string]> = [
      ["nowhere.config.ts", "nowhere.config.ts: not found"],
      [write("empty.config.ts", "export const x = 1\n"), "empty.config.ts: has no default export: write export default defineConfig({ templates: [...] })"],
      [write("array.config.ts", "export default [1]\n"), "array.config.ts: its default export must be an object (defineConfig({ ... })), got an array"],
      [write("notemplate.config.ts", "export default { templates: [{ name: \"x\" }] }\n"), "notemplate.config.ts: templates[0] is not a template (Template.make), got an object"],
      [write("unknown.config.ts", "export default { template: [] }\n"), "unknown.config.ts: unknown field \"template\" in its default export"],
      [write("badlayer.config.ts", "export default { layer: 42 }\n"), "badlayer.config.ts: \"layer\" must be a Layer, got a number"],
      [write("badsteps.config.ts", "export default { steps: { a: 1 } }\n"), "badsteps.config.ts: steps.a is not a step (Step.make) or a template, got a number"],
      [write("badflows.config.ts", "export default { flows: [1] }\n"), "badflows.config.ts: \"flows\" must be an array of file paths or patterns (strings)"],
      [write("throws.config.ts", "throw new Error(\"no database password\")\nexport default {}\n"), "throws.config.ts: cannot be loaded: no database password"],
      [write("syntax.config.ts", "export default {\n"), "syntax.config.ts: cannot be loaded: "],
      [
        write(
          "duplicate.config.ts",
          "import config from \"./weft.config.ts\"\nexport default { templates: [...config.templates!, config.templates![0]!] }\n"
        ),
        "duplicate.config.ts: two templates are named hello@1: templates[0] and templates[4] (give one another name or version)"
      ],
      [write("missingflow.config.ts", "export default { flows: [\"flows/none.yaml\"] }\n"), "missingflow.config.ts: flow flows/none.yaml not found"]
    ]
    for (const [file, text] of cases) {
      const result = await weft(["templates", "--config", file])
      refused(result, 2, `weft: ${text}`)
      expect(result.stderr.trim().split("\n"), file).toHaveLength(1)
    }
    // no project file at all
    const bare = await weft(["templates", "--config", project.dir])
    refused(bare, 2, "is a folder, not a project file")
  }, slow)

  it("loads a JavaScript project file with a plain import, and YAML flows from patterns", async () => {
    project.write(
      "plain.config.mjs",
      "import config from \"./weft.config.ts\"\nexport default { templates: config.templates.slice(0, 1), steps: config.steps, flows: [\"flows/*.yaml\"], layer: config.layer }\n"
    )
    project.write("flows/greet.yaml", "name: greet_flow\nversion: \"1\"\nvars:\n  who: world\nsteps:\n  - use: greet\n    with: { who: \"${vars.who}\" }\n")
    const result = await weft(["templates", "--config", "plain.config.mjs", "--format", "json"])
    expect(result.code, result.stderr).toBe(0)
    const names = json<ReadonlyArray<{ name: string; version: string }>>(result).map((t) => t.name)
    expect(names).toEqual(["hello", "greet_flow"])
    // a flow with errors: every error with its position
    project.write("badflows/bad.yaml", "name: bad_flow\nversion: \"1\"\nsteps:\n  - use: gret\n")
    project.write("badflow.config.mjs", "import config from \"./weft.config.ts\"\nexport default { steps: config.steps, flows: [\"badflows/**/*.yaml\"] }\n")
    const bad = await weft(["templates", "--config", "badflow.config.mjs"])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("badflows/bad.yaml: 1 error(s):")
    expect(bad.stderr).toMatch(/badflows\/bad\.yaml:4:10: unknown step "gret" \(did you mean "greet"\?\)/)
  }, slow)

  it("lists with every filter, newest first, one page after another", async () => {
    const all = await allRuns()
    const list = async (...args: ReadonlyArray<string>) => json<Page>(await weft(["list", "--format", "json", ...args]))
    expect((await list("--status", "completed")).runs.map((r) => r.runId)).toEqual(["r5", "r2", "r1"])
    expect((await list("--status", "failed,suspended")).runs.map((r) => r.runId)).toEqual(["r4", "r3"])
    expect((await list("-s", "failed", "-s", "suspended")).runs.map((r) => r.runId)).toEqual(["r4", "r3"])
    expect((await list("--template", "hello")).runs.map((r) => r.runId)).toEqual(["r2", "r1"])
    expect((await list("--template", "hello", "--status", "failed")).runs).toEqual([])
    expect((await list("--since", "1h")).runs).toHaveLength(all.length)
    expect((await list("--until", "1h")).runs).toHaveLength(0)
    expect((await list("--since", "2000-01-01", "--until", "2999-01-01")).runs).toHaveLength(all.length)
    // pages: every run once, in order
    const seen: Array<string> = []
    let cursor: string | null = null
    for (let page = 0; page < 10; page++) {
      const next: Page = await list("--limit", "2", ...(cursor === null ? [] : ["--cursor", cursor]))
      seen.push(...next.runs.map((r) => r.runId))
      cursor = next.nextCursor
      if (cursor === null) break
    }
    expect(seen).toEqual(all.map((r) => r.runId))
    // the table
    const table = await weft(["list", "--limit", "2"])
    expect(table.stdout).toMatch(/^RUN ID\s+TEMPLATE\s+STATUS\s+CREATED\s+UPDATED\s+ERROR\nr5\s+nested@1\s+completed/)
    expect(table.stdout).toMatch(/more: weft list --cursor \S+ \(with the same filters\)/)
    expect((await weft(["list", "--template", "none"])).stdout.trim()).toBe("no runs")
  }, slow)

  it("prints a run's record, its trace as a tree, its result", async () => {
    const status = await weft(["status", "r4"])
    expect(status.stdout).toMatch(
      /^run:\s+r4\ntemplate:\s+approval@1\nstatus:\s+suspended\n(.+\n)*waiting for:\s+signal "decision" at decision\n(.+\n)*last step:\s+prepare\n$/
    )
    const trace = await weft(["trace", "r5"])
    expect(trace.stdout.split("\n").map((line) => line.split(/\s{2,}/)[0])).toEqual([
      "STEP",
      "check",
      "route",
      "└─ else",
      "hello",
      "└─ greet",
      ""
    ])
    const failed = await weft(["trace", "r3"])
    expect(failed.stdout).toMatch(/explode\s+failed\s+2\s+\d+ ms\s+Boom: boom: n was 3|explode\s+failed\s+2\s+\d+ ms\s+Boom: boom: n was 1/)
    const result = await weft(["result", "r1"])
    expect(result.stdout).toMatch(/^KEY\s+VALUE\nwho\s+"a"\ngreeting\s+"hello a"\n$/)
  }, slow)

  it("draws graphs of templates and flows", async () => {
    const graph = await weft(["graph", "approval"])
    expect(graph.stdout.trim().split("\n")).toEqual([
      "flowchart TD",
      "  n1([\"approval@1\"])",
      "  n2[\"prepare\"]",
      "  n3{{\"wait for signal decision\"}}",
      "  n4[\"act\"]",
      "  n5([\"end\"])",
      "  n1 --> n2",
      "  n2 --> n3",
      "  n3 --> n4",
      "  n4 --> n5"
    ])
    project.write("flows/greet.yaml", "name: greet_flow\nversion: \"1\"\nvars:\n  who: world\nsteps:\n  - use: greet\n    with: { who: \"${vars.who}\" }\n")
    const flow = await weft(["graph", "flows/greet.yaml", "--var", "who=ann"])
    expect(flow.code, flow.stderr).toBe(0)
    expect(flow.stdout).toMatch(/n1\(\["greet_flow@1\+sha256:[0-9a-f]+"\]\)\n\s+n2\["greet"\]/)
  }, slow)

  it("says what state a run is in when it is cancelled once it has ended (not an error of usage)", async () => {
    const ended = await weft(["cancel", "r1"])
    expect(ended.code, ended.stderr).toBe(0)
    expect(ended.stdout).toBe("run r1 has already ended (completed): there is nothing to cancel\n")
    expect((await weft(["run", "approval", "--input", "{\"amount\":2}", "--run-id", "c1"])).code).toBe(0)
    const first = await weft(["cancel", "c1"])
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toBe("run c1 cancelled\n")
    const again = await weft(["cancel", "c1"])
    expect(again.code, again.stderr).toBe(0)
    expect(again.stdout).toBe("run c1 was already cancelled\n")
    const json = await weft(["cancel", "c1", "--format", "json"])
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ runId: "c1", status: "cancelled" })
  }, slow)
})
