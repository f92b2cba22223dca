/**
 * Crash and resume on SQLite. A child process runs the content pipeline on a
 * SQLite file and is killed with SIGKILL while the model is writing the
 * draft. This process then resumes the run from the file: the steps the
 * child completed (check_brief, write_outline) are not run again; write_draft,
 * in flight when the child died, runs again, with the same idempotency key.
 *
 *   npm run example -- crash
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createInterface } from "node:readline"
import { Effect, Layer, Stream } from "effect"
import { Engine, Event, Trace } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { ContentPipeline } from "../templates/index.js"

const brief: ContentPipeline.Brief = {
  topic: "Durable workflows",
  audience: "platform engineers",
  keywords: ["checkpoints", "idempotency", "retries"],
  targetWords: 300,
  author: "Ada"
}

/** A model that takes 300 ms to answer (real time), and counts the requests it answers in this process. */
const model = () => {
  const answered: Array<string> = []
  const layer = ContentPipeline.LlmClient.layerMemory({
    latency: "300 millis",
    respond: (request) => {
      answered.push(request.prompt.split("\n")[0] ?? "")
      return ContentPipeline.deterministicModel(request)
    }
  })
  return { answered, layer }
}

const printEvents = (prefix: string) =>
  Effect.flatMap(Engine.Engine, (engine) =>
    Effect.flatMap(engine.subscribe, (events) =>
      events.pipe(
        Stream.runForEach((event) => Effect.sync(() => console.log(`${prefix}${Event.format(event)}`))),
        Effect.forkScoped
      )))

/** Child mode: start the run; the parent kills this process in the middle of it. */
const child = (database: string, runId: string) =>
  Effect.gen(function*() {
    yield* printEvents("")
    const engine = yield* Engine.Engine
    yield* engine.run(ContentPipeline.template, { brief }, { runId })
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(
      Sqlite.layer({ filename: database }),
      model().layer,
      ContentPipeline.Publisher.layerMemory()
    ))
  )

/** Runs the child and SIGKILLs it once it has been writing the draft for 150 ms. */
const runAndKillChild = (database: string, runId: string) =>
  Effect.async<NodeJS.Signals | null>((resume) => {
    const proc = spawn(
      process.execPath,
      [...process.execArgv, process.argv[1]!, "crash", "--child", database, runId],
      { stdio: ["ignore", "pipe", "inherit"] }
    )
    createInterface({ input: proc.stdout! }).on("line", (line) => {
      console.log(`  child | ${line}`)
      if (line.includes("▶ write_draft")) {
        setTimeout(() => {
          console.log(`  💥 SIGKILL to the child (pid ${proc.pid}) while it writes the draft`)
          proc.kill("SIGKILL")
        }, 150)
      }
    })
    proc.on("exit", (_code, signal) => resume(Effect.succeed(signal)))
  })

const parent = Effect.gen(function*() {
  const dir = mkdtempSync(join(tmpdir(), "weft-crash-example-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(dir, { recursive: true, force: true })))
  const database = join(dir, "runs.db")
  const runId = `article-${Date.now()}`

  console.log(`starting run ${runId} in a child process, on ${database}\n`)
  const signal = yield* runAndKillChild(database, runId)
  if (signal !== "SIGKILL") return yield* Effect.fail(new Error(`the child was not killed, it exited (${signal})`))

  const { answered, layer } = model()
  const resumed = Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const before = yield* engine.status(runId)
    console.log(`\nthe child died; the file says run ${runId} is ${before.status} after ${before.seq} step(s)`)
    console.log("resuming it in this process:\n")
    yield* printEvents("")
    const result = yield* engine.resume(ContentPipeline.template, runId)
    console.log(`\n${Trace.format(result.trace)}\n`)
    console.log(`model requests answered in this process: ${answered.join(", ")}`)
    console.log(`published "${result.state.draft.title}" at ${result.state.publication.url}`)
  }).pipe(
    Effect.scoped,
    Effect.provide(Layer.mergeAll(Sqlite.layer({ filename: database }), layer, ContentPipeline.Publisher.layerMemory()))
  )
  yield* resumed
})

export const main = (args: ReadonlyArray<string>) =>
  args[0] === "--child" && args[1] !== undefined && args[2] !== undefined
    ? child(args[1], args[2])
    : Effect.scoped(parent)
