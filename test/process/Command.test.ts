/**
 * `Steps.command` runs real programs: an argument array and no shell, only
 * the environment it is given (secrets masked), JSON output decoded, a
 * failure with its exit code and standard error's tail, a timeout and a
 * cancelled run that kill the whole process group.
 */
import { execFileSync } from "node:child_process"
import { readFileSync } from "node:fs"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Exit, Fiber, Layer, Schema } from "effect"
import { Engine, Errors, Settings, SnapshotStore, type Step, Steps, Template } from "weftjs"
import { Yaml } from "weftjs/yaml"

const node = process.execPath
const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }

/** Runs one step on a real engine (real time: the programs run in it). */
const run = <Req extends object, Prov extends object, E>(step: Step.Step<Req, Prov, E>, input: Req) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const template = Template.make({ name: `t-${step.name}`, version: "1", steps: [step as unknown as Step.Step.Any] })
    const result = yield* engine.run(template as never, input as never)
    return result.state as unknown as Prov
  }).pipe(
    Effect.scoped,
    Effect.provide(Engine.layer.pipe(Layer.provide(SnapshotStore.layerMemory), Layer.provide(Settings.layerWith(settings)), Layer.orDie))
  ) as unknown as Effect.Effect<Prov, E>

/** Whether a process runs (a zombie, killed but not yet reaped by whoever adopted it, does not). */
const alive = (pid: number): boolean => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return !/^\d+ \(.*\) [ZX]/.test(stat)
  } catch {
    return false
  }
}

afterAll(() => {
  for (const name of ["WEFT_TEST_SECRET", "WEFT_TEST_OTHER", "WEFT_TEST_TOKEN"]) delete process.env[name]
})

describe("Steps.command", () => {
  it.live("passes arguments as they are, with no shell", () =>
    Effect.gen(function*() {
      const echo = Steps.command({
        name: "echo",
        requires: { word: Schema.String },
        output: "printed",
        program: node,
        args: ({ word }) => ["-e", "process.stdout.write(JSON.stringify(process.argv.slice(1)))", word, "$HOME; rm -rf /"]
      })
      const out = yield* run(echo, { word: "a b*" })
      expect(JSON.parse(out.printed)).toEqual(["a b*", "$HOME; rm -rf /"])
    }))

  it.live("passes only the allowed environment; secrets are masked in the output and errors", () =>
    Effect.gen(function*() {
      process.env["WEFT_TEST_SECRET"] = "s3cr3t-value"
      process.env["WEFT_TEST_OTHER"] = "not passed"
      const env = Steps.command({
        name: "env",
        output: "seen",
        program: node,
        args: ["-e", "process.stdout.write(JSON.stringify(process.env))"],
        env: { MODE: "fast" },
        secrets: ["WEFT_TEST_SECRET"],
        json: Schema.Record({ key: Schema.String, value: Schema.String })
      })
      const out = yield* run(env, {})
      expect(out.seen).toEqual({ MODE: "fast", WEFT_TEST_SECRET: "***", PATH: process.env["PATH"] })
      const leak = Steps.command({
        name: "leak",
        output: "x",
        program: node,
        args: ["-e", "console.error('token=' + process.env.WEFT_TEST_SECRET); process.exit(3)"],
        secrets: ["WEFT_TEST_SECRET"]
      })
      const error = yield* Effect.flip(run(leak, {}))
      expect(error).toBeInstanceOf(Errors.CommandFailed)
      expect(error).toMatchObject({ reason: "exit", exitCode: 3, stderr: "token=***\n" })
      expect(error.message).not.toContain("s3cr3t")
    }))

  it.live("decodes JSON output with its Schema: a mismatch names the field", () =>
    Effect.gen(function*() {
      const make = (printed: string) =>
        Steps.command({
          name: "score",
          output: "score",
          program: node,
          args: ["-e", `process.stdout.write(${JSON.stringify(printed)})`],
          json: Schema.Struct({ ok: Schema.Boolean, score: Schema.Number })
        })
      expect((yield* run(make(`{"ok":true,"score":3}`), {})).score).toEqual({ ok: true, score: 3 })
      const bad = yield* Effect.flip(run(make(`{"ok":true,"score":"3"}`), {}))
      expect(bad).toBeInstanceOf(Errors.ValueInvalid)
      expect((bad as Errors.ValueInvalid).keys).toEqual(["score"])
      const notJson = yield* Effect.flip(run(make("nope"), {}))
      expect(notJson.message).toContain("not JSON")
    }))

  it.live("a program that cannot start is a CommandFailed (spawn)", () =>
    Effect.gen(function*() {
      const missing = Steps.command({ name: "missing", output: "x", program: "/nonexistent/weft-program" })
      const error = yield* Effect.flip(run(missing, {}))
      expect(error).toMatchObject({ _tag: "CommandFailed", reason: "spawn" })
    }))

  it.live("a timeout kills the whole process group (the program's own children too)", () =>
    Effect.gen(function*() {
      // the program starts a grandchild that would outlive it, and prints its pid
      const script = "const c = require('child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });" +
        "console.error('grandchild ' + c.pid); setTimeout(() => {}, 60000)"
      const slow = Steps.command({ name: "slow", output: "x", program: node, args: ["-e", script], timeout: "1500 millis" })
      const started = Date.now()
      const error = yield* Effect.flip(run(slow, {}))
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(error).toMatchObject({ _tag: "CommandFailed", reason: "timeout" })
      const pid = Number(/grandchild (\d+)/.exec((error as Errors.CommandFailed).stderr)?.[1])
      expect(pid).toBeGreaterThan(0)
      yield* Effect.sleep("200 millis")
      expect(alive(pid)).toBe(false)
    }), 20_000)

  it.live("interrupting the step (a cancelled run) kills the process group", () =>
    Effect.gen(function*() {
      const marker = `weft-cancel-${process.pid}-${Date.now()}`
      const slow = Steps.command({ name: "slow", output: "x", program: node, args: ["-e", "setTimeout(() => {}, 60000)", marker] })
      const fiber = yield* Effect.fork(run(slow, {}))
      const running = () => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).includes(marker)
      for (let i = 0; i < 100 && !running(); i++) yield* Effect.sleep("50 millis")
      expect(running()).toBe(true)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      for (let i = 0; i < 40 && running(); i++) yield* Effect.sleep("50 millis")
      expect(running()).toBe(false)
    }), 20_000)

  it.live("engine.cancel of a run whose command is running kills the process group", () =>
    Effect.gen(function*() {
      const marker = `weft-engine-cancel-${process.pid}-${Date.now()}`
      const slow = Steps.command({ name: "slow", output: "x", program: node, args: ["-e", "setTimeout(() => {}, 60000)", marker] })
      const engine = yield* Engine.Engine
      const template = Template.make({ name: "cancelled", version: "1", steps: [slow as unknown as Step.Step.Any] }) as unknown as Template.Template<
        Record<string, unknown>,
        Record<string, unknown>
      >
      yield* engine.start(template, {}, { runId: "to-cancel" })
      const running = () => execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).includes(marker)
      for (let i = 0; i < 100 && !running(); i++) yield* Effect.sleep("50 millis")
      expect(running()).toBe(true)
      yield* engine.cancel("to-cancel")
      for (let i = 0; i < 40 && running(); i++) yield* Effect.sleep("50 millis")
      expect(running()).toBe(false)
      expect((yield* engine.status("to-cancel")).status).toBe("cancelled")
    }).pipe(
      Effect.scoped,
      Effect.provide(Engine.layer.pipe(Layer.provide(SnapshotStore.layerMemory), Layer.provide(Settings.layerWith(settings)), Layer.orDie))
    ), 20_000)

  it.live("from a YAML flow: the allowed program runs; a secret is passed by name and appears in no state or trace", () =>
    Effect.gen(function*() {
      process.env["WEFT_TEST_TOKEN"] = "tok-8f2e91"
      const flow = yield* Yaml.load(
        [
          "name: cmd",
          "version: 1",
          "inputs: { who: string }",
          "steps:",
          "  - id: greet",
          "    command:",
          `      program: ${JSON.stringify(node)}`,
          "      args: [-e, \"process.stdout.write(JSON.stringify({ hello: process.argv[1], token: process.env.WEFT_TEST_TOKEN, mode: process.env.MODE }))\", \"${inputs.who}\"]",
          "      env: { MODE: \"${inputs.who}-mode\" }",
          "      secrets: [WEFT_TEST_TOKEN]",
          "      parse: json",
          "      type: { hello: string, token: string, mode: string }",
          "    timeout: 10s",
          "    output: greeting"
        ].join("\n"),
        { file: "cmd.yaml", registry: { steps: {}, builtins: { commands: [node], env: ["WEFT_TEST_TOKEN"] } } }
      )
      const engine = yield* Engine.Engine
      const result = yield* engine.run(flow, { who: "ada" })
      expect(result.state["greeting"]).toEqual({ hello: "ada", token: "***", mode: "ada-mode" })
      expect(JSON.stringify(result)).not.toContain("tok-8f2e91")
      const trace = yield* engine.trace(result.runId)
      expect(JSON.stringify(trace)).not.toContain("tok-8f2e91")
    }).pipe(
      Effect.provide(Engine.layer.pipe(Layer.provide(SnapshotStore.layerMemory), Layer.provide(Settings.layerWith(settings)), Layer.orDie))
    ))
})
