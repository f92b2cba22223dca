/**
 * A child process for the loop crash test:
 *   node .build/test/crash/loop-child.js <database> <log file> <run id>
 * Starts the run when the store has no record of it, else resumes it (or,
 * when it already completed, reports its final state from the store). Before
 * resuming it logs the keys of the steps the store has as completed, so the
 * test can check that none of them runs again. Prints "ready" when the engine
 * is up, then a JSON line with the final state (exit 0) or the error (exit 1).
 */
import { appendFileSync } from "node:fs"
import { Duration, Effect, Layer, Option } from "effect"
import { Engine, Settings, SnapshotStore } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { makeLoopFlow } from "./loop-flow.js"
import { runAsChild } from "./harness.js"

const [database, logFile, runId] = process.argv.slice(2)
if (database === undefined || logFile === undefined || runId === undefined) {
  console.error("usage: loop-child.ts <database> <log file> <run id>")
  process.exit(2)
}

const flow = makeLoopFlow(logFile)

const EngineLive = Engine.layer.pipe(
  Layer.provideMerge(Sqlite.layerStore({ filename: database })),
  Layer.provide(Settings.layerWith({ retryDelay: Duration.millis(10), workflowTimeout: Duration.infinity }))
)

const program = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  const store = yield* SnapshotStore.SnapshotStore
  const existing = yield* Effect.option(engine.status(runId))
  if (Option.isNone(existing)) {
    appendFileSync(logFile, `${process.pid} start -\n`)
    process.stdout.write("ready\n")
    const result = yield* engine.run(flow, { acc: 1, i: 0 }, { runId })
    process.stdout.write(`${JSON.stringify({ state: result.state })}\n`)
    return
  }
  const completed = (yield* store.steps(runId)).filter((s) => s.status !== "failed").map((s) => s.stepKey)
  if (existing.value.status === "completed") {
    process.stdout.write("ready\n")
    const { state } = yield* engine.result(flow, runId)
    process.stdout.write(`${JSON.stringify({ state, alreadyCompleted: true })}\n`)
    return
  }
  appendFileSync(logFile, `${process.pid} resume ${completed.join(",") || "-"}\n`)
  process.stdout.write("ready\n")
  const result = yield* engine.resume(flow, runId)
  process.stdout.write(`${JSON.stringify({ state: result.state })}\n`)
})

runAsChild(program.pipe(Effect.provide(EngineLive)))
