/** `weftjs/sqlite`: a run on a SQLite file, read back by a second engine on the same file. */
import { Effect } from "effect"
import { Engine, Workflow } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { hello, report } from "./shared.js"

const filename = process.argv[2] ?? "runs.db"

const { runId, state } = await Effect.runPromise(
  Workflow.run(hello, { who: "sqlite" }).pipe(Effect.provide(Sqlite.layer({ filename })))
)

// a new engine on the same file, as another process would open it
const stored = await Effect.runPromise(
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    return { run: yield* engine.status(runId), trace: yield* engine.trace(runId) }
  }).pipe(Effect.provide(Sqlite.layer({ filename })))
)

report({ greeting: state.greeting, status: stored.run.status, steps: stored.trace.map((entry) => entry.step) })

/** Never called: the compiler must refuse these (the entry's types are not `any`). */
export const wrongUses = () => [
  // @ts-expect-error filename is a string
  Sqlite.layer({ filename: 7 })
]
