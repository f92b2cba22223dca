/**
 * One error model: every error of `Errors` is in `Errors.WeftError`, has a
 * kind, and survives the store's summary as its own class; any other error
 * comes back as a tagged error with its tag, message and JSON fields.
 */
import { describe, expect, it } from "@effect/vitest"
import { Data, Duration } from "effect"
import { Errors } from "weftjs"
import { revive, summarize } from "../src/internal/run/errors.js"

const issues = [{ path: ["order", 0, "qty"], message: "Expected number, actual \"2\"" }]
const samples: ReadonlyArray<Errors.WeftError> = [
  new Errors.InvalidInput({ template: "order", issues }),
  new Errors.InvalidStepOutput({ step: "charge", issues }),
  new Errors.StateEncodeError({ step: "charge", key: "total", detail: "NaN" }),
  new Errors.StateExpired({ step: "ship", key: "quote", expiredAt: 1_700_000_000_000 }),
  new Errors.StateKeyMissing({ step: "ship", key: "quote" }),
  new Errors.StepTimeout({ step: "charge", timeout: Duration.seconds(30) }),
  new Errors.WorkflowTimeout({ template: "order", timeout: Duration.infinity }),
  new Errors.InvalidTemplate({ template: "order", reason: "empty", detail: "it has no steps" }),
  new Errors.PersistenceError({ operation: "appendStep", reason: "corrupt", path: "/tmp/x.db", detail: "bad page" }),
  new Errors.LeaseLost({ runId: "r1", owner: "e1", generation: 3 }),
  new Errors.InvalidRunId({ runId: "", reason: "empty" }),
  new Errors.TemplateConflict({ name: "order", version: "1", detail: "step 2 differs" }),
  new Errors.RunNotFound({ runId: "r1" }),
  new Errors.RunAlreadyActive({ runId: "r1", owner: "e1" }),
  new Errors.TemplateMismatch({ runId: "r1", stored: { name: "a", version: "1" }, given: { name: "a", version: "2" } }),
  new Errors.RunNotResumable({ runId: "r1", status: "completed" }),
  new Errors.RunNotCompleted({ runId: "r1", status: "failed", error: { tag: "Boom", message: "boom" } }),
  new Errors.LoopLimitExceeded({ loop: "poll", maxIterations: 5 }),
  new Errors.RunCancelled({ runId: "r1" }),
  new Errors.SignalTimeout({ runId: "r1", step: "wait", signal: "approved", timeout: Duration.millis(1500) }),
  new Errors.SignalRejected({ runId: "r1", signal: "approved", reason: "run-ended", detail: "the run is completed" }),
  new Errors.InvalidSignalPayload({ runId: "r1", signal: "approved", issues }),
  new Errors.TemplateNotRegistered({ runId: "r1", template: "order", version: "1" }),
  new Errors.SubflowFailed({ runId: "r1", step: "child", childRunId: "r1/child", childStatus: "failed", childError: null }),
  new Errors.CommandFailed({ step: "convert", program: "convert", reason: "exit", exitCode: 2, signal: null, stderr: "bad input" }),
  new Errors.HttpFailed({ step: "fetch", method: "GET", url: "http://x/y", reason: "status", status: 503, detail: "busy" }),
  new Errors.FileFailed({ step: "load", operation: "read", path: "items.json", reason: "not-found", detail: "no such file" }),
  new Errors.ValueInvalid({ step: "check", what: "the value", issues }),
  new Errors.RunNotPausable({ runId: "r1", reason: "finished", status: "completed", rootId: "r1" }),
  new Errors.RunNotPaused({ runId: "r1", status: "running" }),
  new Errors.RunPaused({ runId: "r1" }),
  new Errors.RecoveryAttemptsExceeded({ runId: "r1", attempts: 5, maxRecoveryAttempts: 5 }),
  new Errors.InvalidSchedule({ schedule: "nightly", reason: "cron \"61 * * * *\": invalid" }),
  new Errors.ScheduleNotFound({ schedule: "nightly" }),
  new Errors.ScheduleExists({ schedule: "nightly" }),
  new Errors.DeliveryRejected({ hook: "orders", reason: "invalid-body", detail: "the body does not decode", issues }),
  new Errors.StepNotFound({ runId: "r1", step: "ship", reason: "unknown-step" }),
  new Errors.InvalidPatch({ runId: "r1", issues }),
  new Errors.MigrationRefused({ runId: "r1", reason: "unmapped", detail: "it stands at \"approval\"" })
]

describe("Errors", () => {
  it("has a sample of every member of WeftError", () => {
    expect(new Set(samples.map((error) => error._tag)).size).toBe(Errors.WeftError.members.length)
  })

  it("revives each of weft's errors from its summary as its own class, with its fields and message", () => {
    for (const error of samples) {
      const summary = JSON.parse(JSON.stringify(summarize(error)))
      const back = revive(summary)
      expect(back).toBeInstanceOf(error.constructor)
      expect({ ...(back as object) }).toEqual({ ...error })
      expect((back as Error).message).toBe(error.message)
    }
  })

  it("keeps the tag, message and JSON fields of any other error", () => {
    class Declined extends Data.TaggedError("Declined")<{ readonly code: number; readonly card: string }> {}
    const back = revive(JSON.parse(JSON.stringify(summarize(new Declined({ code: 51, card: "visa" })))))
    expect(back).toMatchObject({ _tag: "Declined", code: 51, card: "visa" })
    expect(revive(summarize(new Error("plain")))).toMatchObject({ _tag: "Error", message: "plain" })
  })

  it("says whose fault each is: the caller's input, a run's failure, or internal", () => {
    expect(samples.filter((error) => Errors.kindOf(error) === "input").map((error) => error._tag)).toEqual([
      "InvalidInput",
      "InvalidTemplate",
      "InvalidRunId",
      "TemplateConflict",
      "RunNotFound",
      "RunAlreadyActive",
      "TemplateMismatch",
      "RunNotResumable",
      "SignalRejected",
      "InvalidSignalPayload",
      "TemplateNotRegistered",
      "RunNotPausable",
      "RunNotPaused",
      "RunPaused",
      "InvalidSchedule",
      "ScheduleNotFound",
      "ScheduleExists",
      "DeliveryRejected",
      "StepNotFound",
      "InvalidPatch",
      "MigrationRefused"
    ])
    expect(Errors.kindOf(new Errors.PersistenceError({ operation: "createRun", reason: "duplicate", detail: "r1" })))
      .toBe("input")
    expect(Errors.kindOf(new Errors.LeaseLost({ runId: "r1", owner: "e1", generation: 1 }))).toBe("internal")
    expect(Errors.kindOf(new Errors.StepTimeout({ step: "s", timeout: Duration.seconds(1) }))).toBe("failure")
    expect(Errors.kindOf(new Error("not weft's"))).toBeUndefined()
  })
})
