/**
 * `engine.result`: the typed result of a completed run, read back from the
 * store by another process, however long after; a run that has not completed
 * is a typed `RunNotCompleted`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schedule, Schema } from "effect"
import { Durable, Engine, Errors, Settings, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { flow, goodInput, processControl } from "./fixtures.js"
import { awaitStatusIn, tempFile } from "./support.js"

/** One "process": an engine on the file, for the duration of `f`. */
const inProcess = <A, E>(filename: string, f: (engine: Engine.Service) => Effect.Effect<A, E>) =>
  Effect.scoped(Effect.flatMap(Engine.Engine, f).pipe(
    Effect.provide(
      Sqlite.layer({ filename }).pipe(
        Layer.provide(Settings.layerWith({ workflowTimeout: Duration.infinity, stateTtl: Duration.infinity }))
      )
    )
  ))

describe("engine.result", () => {
  it.scoped("another process reads a completed run's typed state and trace back", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const original = yield* inProcess(filename, (engine) => engine.run(flow, goodInput, { runId: "done" }))
      const read = yield* inProcess(filename, (engine) => engine.result(flow, "done"))
      const report: string = read.state.report // typed by the template
      expect(report).toBe("status: ok")
      expect(read.state).toEqual(original.state)
      expect(read.trace.map((entry) => [entry.step, entry.status])).toEqual(
        original.trace.map((entry) => [entry.step, entry.status])
      )
      expect(read.createdAt).toEqual(original.createdAt)
      // reading does not change the run
      expect((yield* inProcess(filename, (engine) => engine.status("done"))).status).toBe("completed")
    }))

  it.scoped("a run that has not completed is RunNotCompleted, naming its status and, when it failed, why", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      const waiting = Template.make({ name: "waiting", version: "1", steps: [Durable.waitForSignal("go", Schema.Boolean)] })
      const broken = Template.make({ name: "broken", version: "1", steps: [Step.make({
        name: "boom", requires: {}, provides: {}, retry: Schedule.stop, run: () => Effect.fail("exploded" as const)
      })] })
      yield* inProcess(filename, (engine) =>
        Effect.gen(function*() {
          yield* engine.start(waiting, {}, { runId: "waiting" })
          yield* awaitStatusIn(engine, "waiting", "suspended")
          yield* Effect.flip(engine.run(broken, {}, { runId: "broken" }))
        }))
      const suspended = yield* Effect.flip(inProcess(filename, (engine) => engine.result(waiting, "waiting")))
      expect(suspended).toBeInstanceOf(Errors.RunNotCompleted)
      expect(suspended.message).toBe(`Run "waiting" is suspended, not completed`)
      const failed = yield* Effect.flip(inProcess(filename, (engine) => engine.result(broken, "broken")))
      expect(failed).toBeInstanceOf(Errors.RunNotCompleted)
      expect((failed as Errors.RunNotCompleted).error?.message).toContain("exploded")
    }))

  it.scoped("with another template than the run's it is TemplateMismatch; an unknown id is RunNotFound", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      yield* inProcess(filename, (engine) => engine.run(flow, goodInput, { runId: "done" }))
      const mismatch = yield* Effect.flip(inProcess(filename, (engine) => engine.result(processControl, "done")))
      expect(mismatch._tag).toBe("TemplateMismatch")
      const missing = yield* Effect.flip(inProcess(filename, (engine) => engine.result(flow, "nope")))
      expect(missing._tag).toBe("RunNotFound")
    }))
})
