/**
 * A child process for the durable crash tests:
 *   node .build/test/crash/durableChild.js <database> <log file> <run id> <mode> [arg]
 *
 * modes: sleep-start <sleep ms> | sleep-resume <sleep ms> | wait-start |
 * signal <payload JSON> | wait-resume
 *
 * Prints "ready" when the engine is up, one `event <tag> [<step>]` line per
 * engine event, and at the end a JSON line: the final state (exit 0), or
 * `{ "error": tag }` (exit 1). `signal` first prints the outcome of each
 * signal it sends (`{ "signal": "ok" }` or `{ "signal": tag }`), then waits
 * for the run to complete in this process, and reports `{ completed: true }`.
 */
import { Duration, Effect, Layer, Stream } from "effect"
import { Engine, Settings } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { makeSleepFlow, makeWaitFlow } from "./durableFlow.js"
import { printLine, runAsChild } from "./harness.js"

const [database, logFile, runId, mode, arg] = process.argv.slice(2)
if (database === undefined || logFile === undefined || runId === undefined || mode === undefined) {
  console.error("usage: durableChild.ts <database> <log file> <run id> <mode> [arg]")
  process.exit(2)
}

const EngineLive = Engine.layer.pipe(
  Layer.provide(Sqlite.layerStore({ filename: database })),
  Layer.provide(Settings.layerWith({ workflowTimeout: Duration.infinity, stateTtl: Duration.infinity }))
)

const print = (line: string) => Effect.sync(() => printLine(line))

const program = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  yield* engine.events.pipe(
    Stream.runForEach((event) => print(`event ${event._tag}${"step" in event ? ` ${event.step}` : ""}`)),
    Effect.forkScoped
  )
  yield* Effect.yieldNow()
  yield* print("ready")
  const sleepFlow = makeSleepFlow(logFile, Number(arg ?? 0))
  const waitFlow = makeWaitFlow(logFile)
  switch (mode) {
    case "sleep-start":
      return (yield* engine.run(sleepFlow, { n: 1 }, { runId })).state
    case "sleep-resume":
      // when this process, up and running, takes the run up (the test's bounds start here, not at its spawn)
      yield* print(JSON.stringify({ resumingAt: Date.now() }))
      return (yield* engine.resume(sleepFlow, runId)).state
    case "wait-start":
      return (yield* engine.run(waitFlow, { n: 1 }, { runId })).state
    case "wait-resume":
      return (yield* engine.resume(waitFlow, runId)).state
    case "signal": {
      yield* engine.register(waitFlow)
      for (const payload of JSON.parse(arg ?? "[]") as ReadonlyArray<unknown>) {
        const sent = yield* Effect.either(engine.signal(runId, "go", payload))
        yield* print(JSON.stringify({ signal: sent._tag === "Right" ? "ok" : sent.left._tag }))
      }
      // the run resumes in this process: wait for its end (its state is read from the store)
      while ((yield* engine.status(runId)).status !== "completed") yield* Effect.sleep("20 millis")
      return { completed: true }
    }
    default:
      return yield* Effect.dieMessage(`unknown mode ${mode}`)
  }
})

runAsChild(program.pipe(Effect.scoped, Effect.provide(EngineLive)), (state) => {
  process.stdout.write(`${JSON.stringify({ state })}\n`)
})
