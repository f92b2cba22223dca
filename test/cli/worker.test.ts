/**
 * `weft worker` in this process (`Cli.run`, interrupted as Ctrl-C would):
 * it executes the runs queued on its queues with the project's services,
 * prints each run's first execution as started, and leaves other queues'
 * runs alone.
 */
import { NodeContext } from "@effect/platform-node"
import { ConfigProvider, Effect, Fiber } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { Cli } from "weftjs/cli"
import type { Project } from "./support.js"
import { capture, json, makeProject } from "./support.js"

let project: Project

beforeAll(() => {
  project = makeProject()
})
afterAll(() => project.remove())

const until = async (check: () => boolean, what: string) => {
  for (let i = 0; i < 600; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe("weft worker (in process)", () => {
  it("executes the runs of its queues, each announced as started, until interrupted", async () => {
    const weft = project.inProcess
    expect((await weft(["start", "hello", "--input", "{\"who\":\"w\"}", "--run-id", "work-1"])).code).toBe(0)
    expect((await weft(["start", "hello", "--input", "{\"who\":\"x\"}", "--run-id", "work-2", "--queue", "reports"])).code)
      .toBe(0)
    const stdout: Array<string> = []
    const stderr: Array<string> = []
    const settings = new Map([["WEFT_DATABASE", project.database], ["WEFT_RETRY_DELAY", "0"]])
    const cwd = process.cwd()
    process.chdir(project.dir)
    const worker = Effect.runFork(
      Cli.run(["node", "weft", "worker", "--queue", "default:2"]).pipe(
        Effect.provide(NodeContext.layer),
        Effect.withConsole(capture(stdout, stderr)),
        Effect.withConfigProvider(ConfigProvider.fromMap(settings, { pathDelim: "_" }))
      )
    )
    try {
      await until(() => stdout.some((line) => line.startsWith("weft: worker serving default (at most 2 at once)")), "the worker")
      process.chdir(cwd)
      await until(() => stdout.some((line) => line.startsWith("run work-1 completed")), "work-1")
    } finally {
      process.chdir(cwd)
      await Effect.runPromise(Fiber.interrupt(worker))
    }
    expect(stderr).toEqual([])
    expect(stdout).toContain("run work-1 started (hello@1)")
    expect(stdout.some((line) => line.includes("resumed"))).toBe(false)
    const [result, untouched] = [
      await weft(["result", "work-1", "--format", "json"]),
      await weft(["status", "work-2", "--format", "json"])
    ]
    expect(json<{ state: unknown }>(result).state).toEqual({ who: "w", greeting: "hello w" })
    expect(json(untouched)).toMatchObject({ status: "queued", queue: "reports" })
  }, 120_000)
})
