/**
 * A wait's deadline that passes while no process runs the run: the process
 * that suspended it exited; an engine of another process (or of the restarted
 * one) resumes it once the deadline has passed, so the wait's timeout path is
 * taken without anyone calling `resume`. On a real SQLite file.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema, TestClock } from "effect"
import { Deadlines, Durable, Engine, Settings, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { awaitStatusIn, engineProcess, tempFile } from "./support.js"

/** An engine on a SQLite file, with an extra layer on top (a periodic chore): one "process". */
const processOn = (
  filename: string,
  extra?: Layer.Layer<never, never, Engine.Engine>,
  settings: Partial<Settings.WeftSettings> = { recovery: false }
) =>
  engineProcess(
    Sqlite.layerStore({ filename }),
    { workflowTimeout: Duration.infinity, stateTtl: Duration.infinity, ...settings },
    extra
  )

const Decision = Schema.Struct({ approved: Schema.Boolean })

const approval = Template.make({
  name: "approval",
  version: "1",
  steps: [
    Durable.waitForSignal("decision", Decision, { timeout: "1 hour", default: { approved: false } }),
    Step.make({
      name: "settle",
      requires: { decision: Decision },
      provides: { outcome: Schema.String },
      run: ({ decision }) => Effect.succeed({ outcome: decision.approved ? "paid" : "refused (no answer)" })
    })
  ]
})

/** Starts the approval in a first process, which exits while the run is suspended. */
const suspendAndExit = (filename: string, runId: string) =>
  Effect.gen(function*() {
    const first = yield* processOn(filename)
    yield* first.engine.start(approval, {}, { runId })
    yield* awaitStatusIn(first.engine, runId, "suspended")
    expect((yield* first.engine.status(runId)).wakeAt).toBe((yield* TestClock.currentTimeMillis) + 3_600_000)
    yield* first.stop
  })

describe("Deadlines", () => {
  it.scoped("engine.resumeDue resumes an overdue wait of a registered template: the default path is taken", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      yield* suspendAndExit(filename, "a1")
      const second = yield* processOn(filename)
      yield* second.engine.register(approval)
      yield* TestClock.adjust("30 minutes")
      expect(yield* second.engine.resumeDue).toBe(0)
      yield* TestClock.adjust("31 minutes")
      expect(yield* second.engine.resumeDue).toBe(1)
      yield* awaitStatusIn(second.engine, "a1", "completed")
      const trace = yield* second.engine.trace("a1")
      expect(trace.map((entry) => [entry.step, entry.status])).toEqual([["decision", "fallback"], ["settle", "completed"]])
      expect((yield* second.engine.status("a1")).wakeAt).toBeNull()
    }))

  it.scoped("engine.resumeDue leaves a due run of a queue this engine does not serve to that queue's workers (issue 18.3)", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const first = yield* processOn(filename)
      yield* Effect.scoped(Effect.gen(function*() {
        yield* first.engine.serve({ orders: 1 })
        yield* first.engine.start(approval, {}, { runId: "q1", queue: "orders" })
        yield* awaitStatusIn(first.engine, "q1", "suspended")
      }))
      yield* first.stop
      const second = yield* processOn(filename)
      yield* second.engine.register(approval)
      yield* TestClock.adjust("2 hours")
      expect(yield* second.engine.resumeDue).toBe(0)
      expect((yield* second.engine.status("q1")).status).toBe("suspended")
      // a worker of `orders` takes it up
      yield* second.engine.serve({ orders: 1 })
      yield* awaitStatusIn(second.engine, "q1", "completed")
    }))

  it.scoped("a run whose template this engine does not know is left alone", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      yield* suspendAndExit(filename, "a2")
      const second = yield* processOn(filename)
      yield* TestClock.adjust("2 hours")
      expect(yield* second.engine.resumeDue).toBe(0)
      expect((yield* second.engine.status("a2")).status).toBe("suspended")
    }))

  it.scoped("Deadlines.layer does it periodically: the overdue run completes with no call", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      yield* suspendAndExit(filename, "a3")
      const second = yield* processOn(filename, Deadlines.layer({ every: "5 minutes" }))
      yield* second.engine.register(approval)
      yield* TestClock.adjust("50 minutes")
      expect((yield* second.engine.status("a3")).status).toBe("suspended")
      yield* TestClock.adjust("15 minutes")
      yield* awaitStatusIn(second.engine, "a3", "completed")
    }))

  it.scoped("with recovery on (the default), an engine takes the overdue run up by itself at its next poll", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      yield* suspendAndExit(filename, "a4")
      const second = yield* processOn(filename, undefined, { recovery: true, pollInterval: Duration.minutes(5) })
      yield* second.engine.register(approval)
      yield* TestClock.adjust("50 minutes")
      expect((yield* second.engine.status("a4")).status).toBe("suspended")
      // the deadline passes at 60 minutes; the next poll (at most 5 minutes later) takes the run up
      yield* TestClock.adjust("15 minutes")
      yield* awaitStatusIn(second.engine, "a4", "completed")
      const trace = yield* second.engine.trace("a4")
      expect(trace.map((entry) => [entry.step, entry.status])).toEqual([["decision", "fallback"], ["settle", "completed"]])
    }))
})
