/**
 * One process of the signal-and-exit tests, on a SQLite file:
 *
 *   start <db> <runId>    starts the approval, waits until it suspends, exits
 *   signal <db> <runId>   sends the approval and exits at once (the webhook pattern)
 *   recover <db> <runId>  an engine with recovery on: waits for the run's end (taken up by itself)
 *
 * Prints one JSON line: what it saw. Settings come from the environment
 * (`WEFT_SHUTDOWN_GRACE`, ...), as a deployed program's would.
 */
import { Effect, Schema } from "effect"
import { Durable, Engine, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"

const [command, database, runId] = process.argv.slice(2) as [string, string, string]

export const approval = Template.make({
  name: "signal_and_exit",
  version: "1",
  steps: [
    Durable.waitForSignal("approval", Schema.Struct({ approved: Schema.Boolean })),
    Step.make({
      name: "settle",
      requires: { approval: Schema.Struct({ approved: Schema.Boolean }) },
      provides: { settled: Schema.Boolean },
      // real work that is still in flight when the signalling process ends
      run: ({ approval }) => Effect.as(Effect.sleep("300 millis"), { settled: approval.approved })
    })
  ]
})

const program = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  switch (command) {
    case "start": {
      yield* engine.start(approval, {}, { runId })
      for (;;) {
        const run = yield* engine.status(runId)
        if (run.status === "suspended") return { status: run.status }
        yield* Effect.sleep("20 millis")
      }
    }
    case "signal": {
      yield* engine.register(approval)
      yield* engine.signal(runId, "approval", { approved: true })
      // and return at once: the program ends, its engine's scope closes
      return { signalled: true }
    }
    default: {
      yield* engine.register(approval)
      const done = yield* engine.await(approval, runId)
      return { state: done.state }
    }
  }
})

Effect.runPromise(program.pipe(Effect.provide(Sqlite.layer({ filename: database })))).then(
  (outcome) => console.log(JSON.stringify(outcome)),
  (error) => {
    console.log(JSON.stringify({ error: String(error) }))
    process.exitCode = 1
  }
)
