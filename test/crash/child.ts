/**
 * A child process for the crash tests:
 *   tsx test/crash/child.ts <database> <log file> <run id> start|resume [extra ms per step]
 * Prints "ready" when the engine is up, then a JSON line with the final state
 * when the run completes (exit 0), or the error's tag and message (exit 1).
 */
import { appendFileSync } from "node:fs"
import { Duration, Effect, Layer } from "effect"
import { Engine, Settings, SqlSnapshotStore } from "weft"
import { makeFlow } from "./flow.js"

const [database, logFile, runId, mode, extra] = process.argv.slice(2)
if (database === undefined || logFile === undefined || runId === undefined || (mode !== "start" && mode !== "resume")) {
  console.error("usage: child.ts <database> <log file> <run id> start|resume")
  process.exit(2)
}

const flow = makeFlow(logFile, Number(extra ?? 0))

const EngineLive = Engine.layer.pipe(
  Layer.provide(SqlSnapshotStore.layer({ filename: database })),
  Layer.provide(Settings.layerWith({ retryDelay: Duration.millis(10), workflowTimeout: Duration.infinity }))
)

const program = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  if (mode === "resume") {
    const run = yield* engine.status(runId)
    appendFileSync(logFile, `${process.pid} resume ${run.seq}\n`)
  } else {
    appendFileSync(logFile, `${process.pid} start 0\n`)
  }
  process.stdout.write("ready\n")
  const result = mode === "start"
    ? yield* engine.run(flow, { v0: 1 }, { runId })
    : yield* engine.resume(flow, runId)
  process.stdout.write(`${JSON.stringify({ state: result.state, trace: result.trace.length })}\n`)
})

Effect.runPromiseExit(program.pipe(Effect.provide(EngineLive))).then((exit) => {
  if (exit._tag === "Success") process.exit(0)
  const failure = exit.cause._tag === "Fail" ? exit.cause.error : exit.cause
  const tag = typeof failure === "object" && failure !== null && "_tag" in failure ? String(failure._tag) : "Defect"
  process.stdout.write(`${JSON.stringify({ error: tag, message: String((failure as { message?: unknown }).message ?? failure) })}\n`)
  process.exit(1)
})
