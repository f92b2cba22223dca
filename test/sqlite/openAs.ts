/**
 * A child process for the read-only tests (run as another user when the
 * tests run as root, who may write anything): for each file given, opens
 * a SQLite store on it, records a run, and prints the outcome as one JSON line.
 */
import { Effect } from "effect"
import { Sqlite } from "../../src/sqlite.js"

const attempt = (filename: string) => Effect.scoped(
  Effect.gen(function*() {
    const store = yield* Sqlite.make({ filename })
    const createdAt = Date.now()
    yield* store.createRun(
      {
        runId: "r1",
        templateName: "t",
        templateVersion: "1",
        createdAt,
        timeoutMillis: 0,
        parentId: null,
        rootId: "r1",
        queue: "default",
        traceContext: null
      },
      { entries: {}, createdAt, updatedAt: createdAt },
      null
    )
  })
)

const program = Effect.forEach(process.argv.slice(2), (filename) =>
  Effect.map(Effect.either(attempt(filename)), (result) => {
    const outcome = result._tag === "Right"
      ? { ok: true }
      : { ok: false, reason: result.left.reason, message: result.left.message }
    process.stdout.write(JSON.stringify(outcome) + "\n")
  }))

Effect.runPromise(program)
