/**
 * A child process for the crash tests:
 *   node .build/test/crash/child.js <database> <log file> <run id> start|resume|auto [extra ms per step]
 *
 * `auto` starts the run when the store has no record of it (an earlier process
 * was killed before the run was recorded), resumes it when it is active, and,
 * when it already completed (an earlier process was killed after the last
 * checkpoint but before it could report), reports the final state read back
 * from the store with `engine.result`.
 *
 * With `WEFT_CRASH_GATE=<file>` every step waits until that file exists.
 *
 * Prints "ready" when the engine is up, then a JSON line with the final state
 * when the run completes (exit 0), or the error's tag and message (exit 1).
 */
import { appendFileSync } from "node:fs"
import { Duration, Effect, Layer, Option } from "effect"
import { Engine, Settings } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { makeFlow } from "./flow.js"
import { runAsChild } from "./harness.js"

const [database, logFile, runId, mode, extra] = process.argv.slice(2)
if (
  database === undefined || logFile === undefined || runId === undefined ||
  (mode !== "start" && mode !== "resume" && mode !== "auto")
) {
  console.error("usage: child.ts <database> <log file> <run id> start|resume|auto")
  process.exit(2)
}

const flow = makeFlow(logFile, Number(extra ?? 0), process.env.WEFT_CRASH_GATE || undefined)

const EngineLive = Sqlite.layer({ filename: database }).pipe(
  Layer.provide(Settings.layerWith({ retryDelay: Duration.millis(10), workflowTimeout: Duration.infinity }))
)

const program = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  const existing = yield* Effect.option(engine.status(runId))
  const resuming = mode === "resume" || (mode === "auto" && Option.isSome(existing))
  if (Option.isSome(existing) && mode === "auto" && existing.value.status === "completed") {
    appendFileSync(logFile, `${process.pid} done ${existing.value.seq}\n`)
    process.stdout.write("ready\n")
    const { state } = yield* engine.result(flow, runId)
    process.stdout.write(`${JSON.stringify({ state, alreadyCompleted: true })}\n`)
    return
  }
  appendFileSync(
    logFile,
    resuming ? `${process.pid} resume ${Option.isSome(existing) ? existing.value.seq : -1}\n` : `${process.pid} start 0\n`
  )
  process.stdout.write("ready\n")
  const result = resuming
    ? yield* engine.resume(flow, runId)
    : yield* engine.run(flow, { v0: 1 }, { runId })
  process.stdout.write(`${JSON.stringify({ state: result.state, trace: result.trace.length })}\n`)
})

runAsChild(program.pipe(Effect.provide(EngineLive)))
