/**
 * A child process for the batch crash test:
 *   node .build/test/crash/batch-child.js <database> <files folder> <log file> <run id>
 * Runs the YAML batch of `examples/batch` (built-in steps only) on a SQLite
 * file: starts the run when the store has no record of it, else resumes it
 * (first logging `<pid> resume <step keys the store has as completed>`).
 * Prints `exec <step key>` when an item's command step starts (the harness
 * kills by that), then a JSON line with the final state (exit 0) or the
 * error (exit 1). The batch's program logs `<this pid> exec <item id>` each
 * time it runs.
 */
import { appendFileSync } from "node:fs"
import { Duration, Effect, Layer, Option, Stream } from "effect"
import { Engine, Settings, SnapshotStore } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { loadBatch } from "../../examples/batch/main.js"
import { reportStep, runAsChild } from "./harness.js"

const [database, files, logFile, runId] = process.argv.slice(2)
if (database === undefined || files === undefined || logFile === undefined || runId === undefined) {
  console.error("usage: batch-child.ts <database> <files folder> <log file> <run id>")
  process.exit(2)
}

const EngineLive = Engine.layer.pipe(
  Layer.provideMerge(Sqlite.layerStore({ filename: database })),
  Layer.provide(Settings.layerWith({ maxRetries: 0, workflowTimeout: Duration.infinity }))
)

const program = Effect.gen(function*() {
  const flow = yield* loadBatch(files, { log: logFile })
  const engine = yield* Engine.Engine
  const store = yield* SnapshotStore.SnapshotStore
  const events = yield* engine.subscribe
  yield* Effect.forkScoped(Stream.runForEach(events, (event) =>
    Effect.sync(() => {
      if (event._tag === "StepStarted" && event.step.endsWith("/processed")) reportStep(event.step)
    })))
  const input = { source: "items.json", target: "out/results.json" }
  const existing = yield* Effect.option(engine.status(runId))
  if (Option.isNone(existing)) {
    appendFileSync(logFile, `${process.pid} start -\n`)
    const result = yield* engine.run(flow, input, { runId })
    process.stdout.write(`${JSON.stringify({ state: result.state })}\n`)
    return
  }
  const completed = (yield* store.steps(runId)).filter((s) => s.status !== "failed").map((s) => s.stepKey)
  if (existing.value.status === "completed") {
    const { state } = yield* engine.result(flow, runId)
    process.stdout.write(`${JSON.stringify({ state, alreadyCompleted: true })}\n`)
    return
  }
  appendFileSync(logFile, `${process.pid} resume ${completed.join(",") || "-"}\n`)
  const result = yield* engine.resume(flow, runId)
  process.stdout.write(`${JSON.stringify({ state: result.state })}\n`)
})

runAsChild(program.pipe(Effect.scoped, Effect.provide(EngineLive)))
