/**
 * `weft schedules` and `weft triggers`, run in this process (`Cli.run`) on
 * a temporary project and SQLite database: stored schedules created,
 * listed, paused, resumed and deleted; bad ones refused with exit code 2,
 * nothing saved; the project's triggers listed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import type { Project } from "./support.js"
import { json, makeProject } from "./support.js"

let project: Project

beforeAll(() => {
  project = makeProject()
})
afterAll(() => project.remove())

interface ScheduleJson {
  readonly name: string
  readonly template: string
  readonly cron: string
  readonly timeZone: string | null
  readonly paused: boolean
  readonly nextTicks: ReadonlyArray<string>
}

describe("weft schedules / weft triggers", () => {
  it("lists the project's triggers", async () => {
    const listed = await project.inProcess(["triggers", "--format", "json"])
    expect(listed.code, listed.stderr).toBe(0)
    expect(json(listed)).toEqual([{ name: "greetings", kind: "webhook", template: "hello@1", signed: false }])
    const table = await project.inProcess(["triggers"])
    expect(table.stdout).toContain("POST /hooks/greetings")
  }, 60_000)

  it("creates, lists, pauses, resumes and deletes schedules; refuses bad ones with exit code 2", async () => {
    const weft = project.inProcess
    const created = await weft([
      "schedules",
      "create",
      "nightly",
      "--template",
      "hello",
      "--cron",
      "0 3 * * *",
      "--tz",
      "Europe/Paris",
      "--input",
      "{\"who\":\"night\"}",
      "--format",
      "json"
    ])
    expect(created.code, created.stderr).toBe(0)
    expect(json<ScheduleJson>(created)).toMatchObject({ name: "nightly", template: "hello@1", timeZone: "Europe/Paris", paused: false })
    const badCron = await weft(["schedules", "create", "x", "--template", "hello", "--cron", "0 3 * *", "--input", "{\"who\":\"x\"}"])
    expect(badCron.code).toBe(2)
    expect(badCron.stderr).toContain("cron")
    const badInput = await weft(["schedules", "create", "x", "--template", "hello", "--cron", "0 3 * * *", "--input", "{\"who\":3}"])
    expect(badInput.code).toBe(2)
    expect(badInput.stderr).toContain("who")
    const again = await weft(["schedules", "create", "nightly", "--template", "hello", "--cron", "0 3 * * *", "--input", "{\"who\":\"x\"}"])
    expect(again.code).toBe(2)
    expect(again.stderr).toContain("exists already")
    expect((await weft(["schedules", "pause", "nightly"])).stdout).toContain("paused")
    const listed = json<ReadonlyArray<ScheduleJson>>(await weft(["schedules", "list", "--format", "json"]))
    expect(listed.map((s) => [s.name, s.paused, s.nextTicks.length])).toEqual([["nightly", true, 0]])
    expect((await weft(["schedules", "resume", "nightly"])).stdout).toContain("resumed")
    const table = await weft(["schedules", "list"])
    expect(table.stdout).toContain("Europe/Paris")
    expect((await weft(["schedules", "delete", "nightly"])).code).toBe(0)
    const missing = await weft(["schedules", "delete", "nightly"])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("No schedule named")
  }, 120_000)
})

describe("weft status of a triggered run", () => {
  it("shows what started it, in the table and the JSON", async () => {
    const { runFields, runJson } = await import("../../src/cli/internal/output.js")
    const record = {
      runId: "after:notify:r1",
      templateName: "notify",
      templateVersion: "1",
      status: "completed" as const,
      seq: 1,
      createdAt: 0,
      updatedAt: 1,
      expiresAt: null,
      error: null,
      timeoutMillis: 0,
      elapsedMillis: 0,
      wakeAt: null,
      waitingFor: null,
      parentId: null,
      rootId: "after:notify:r1",
      queue: "default",
      owner: null,
      leaseUntil: null,
      generation: 1,
      traceContext: null,
      templateFingerprint: null,
      triggeredBy: { _tag: "Run" as const, trigger: "notify", runId: "r1", status: "completed" as const }
    }
    expect(runJson(record).triggeredBy).toEqual(record.triggeredBy)
    expect(runFields(runJson(record))).toContain("trigger notify, after run r1 completed")
    expect(runJson({ ...record, triggeredBy: null })).not.toHaveProperty("triggeredBy")
  })
})
