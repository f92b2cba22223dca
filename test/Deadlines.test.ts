/**
 * A wait's deadline that passes while no process runs the run: the process
 * that suspended it exited; an engine of another process (or of the restarted
 * one) resumes it once the deadline has passed, so the wait's timeout path is
 * taken without anyone calling `resume`. On a real SQLite file.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Exit, Layer, Schema, Scope, TestClock } from "effect"
import { Deadlines, Durable, Engine, Settings, SnapshotStore, Step, Template, Testing } from "weft"

const settings = Settings.layerWith({ workflowTimeout: Duration.infinity, stateTtl: Duration.infinity })

/** An engine on a SQLite file, with an extra layer on top (a periodic chore): one "process". */
const processOn = (filename: string, extra: Layer.Layer<never, never, Engine.Engine> = Layer.empty) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const engineLayer = Engine.layerSqlite({ filename }).pipe(Layer.provide(settings), Layer.orDie)
    const context = yield* Layer.buildWithScope(Layer.provideMerge(extra, engineLayer), scope)
    return { engine: Context.get(context, Engine.Engine), stop: Scope.close(scope, Exit.void) }
  })

const tempFile = Effect.map(
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "weft-deadlines-"))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  ),
  (dir) => join(dir, "runs.db")
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

const statusIn = (engine: Engine.Service, runId: string, status: SnapshotStore.RunStatus) =>
  Effect.provideService(Testing.awaitStatus(runId, status), Engine.Engine, engine)

/** Starts the approval in a first process, which exits while the run is suspended. */
const suspendAndExit = (filename: string, runId: string) =>
  Effect.gen(function*() {
    const first = yield* processOn(filename)
    yield* first.engine.start(approval, {}, { runId })
    yield* statusIn(first.engine, runId, "suspended")
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
      yield* statusIn(second.engine, "a1", "completed")
      const trace = yield* second.engine.trace("a1")
      expect(trace.map((entry) => [entry.step, entry.status])).toEqual([["decision", "fallback"], ["settle", "completed"]])
      expect((yield* second.engine.status("a1")).wakeAt).toBeUndefined()
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
      yield* statusIn(second.engine, "a3", "completed")
    }))
})
