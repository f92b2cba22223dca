/**
 * The demo `npm start` runs: a composed flow on the default engine (SQLite,
 * `weft.db` in the working directory), with live progress and the trace.
 *
 *   npm start                 run the flow once
 *   npm start -- --crash      run it in a child process, kill that process with
 *                             SIGKILL in the middle of a step, then resume the
 *                             run from the database here
 */
import { spawn } from "node:child_process"
import { Duration, Effect, Fiber, Schedule, Schema, Stream } from "effect"
import { composeWorkflow, Engine, Event, Step, Template, Trace } from "weftjs"
import { Sqlite } from "weftjs/sqlite"

/** Real work takes time; so does this demo's, so that progress is visible. */
const work = (millis: number) => Effect.sleep(Duration.millis(millis))

let sensorCalls = 0

const inspection = Template.make({
  name: "inspection",
  version: "1.0",
  steps: [
    Step.make({
      name: "validate_inputs",
      requires: { equipmentId: Schema.String, processParams: Schema.Struct({ temperature: Schema.Number }) },
      provides: { validated: Schema.Boolean },
      run: ({ processParams }) => Effect.as(work(300), { validated: processParams.temperature < 500 })
    }),
    Step.make({
      name: "read_sensors",
      requires: { equipmentId: Schema.String },
      provides: { vibration: Schema.Number },
      // the sensor gateway drops the first request: watch the retry
      retry: Schedule.spaced("400 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
      run: ({ equipmentId }) =>
        Effect.zipRight(
          work(300),
          ++sensorCalls === 1
            ? Effect.fail({ _tag: "GatewayTimeout", message: "sensor gateway did not answer" } as const)
            : Effect.succeed({ vibration: equipmentId.length * 0.7 })
        )
    }),
    Step.make({
      name: "check_equipment_status",
      requires: { validated: Schema.Boolean, vibration: Schema.Number },
      provides: { equipmentStatus: Schema.Literal("ok", "degraded", "down") },
      run: ({ validated, vibration }, ctx) =>
        Effect.gen(function*() {
          if (process.env.WEFT_DEMO_CRASH === "1") {
            yield* work(200)
            console.log(`  💥 killing this process (pid ${process.pid}) in the middle of ${ctx.stepKey}`)
            process.kill(process.pid, "SIGKILL")
          }
          yield* work(300)
          return { equipmentStatus: !validated ? "down" as const : vibration > 5 ? "degraded" as const : "ok" as const }
        })
    })
  ]
})

const reporting = Template.make({
  name: "reporting",
  version: "1.0",
  steps: [
    Step.make({
      name: "write_report",
      requires: { equipmentId: Schema.String, equipmentStatus: Schema.String, vibration: Schema.Number },
      provides: { report: Schema.String },
      run: (s) => Effect.as(work(300), { report: `${s.equipmentId}: ${s.equipmentStatus} (vibration ${s.vibration.toFixed(1)} mm/s)` })
    }),
    Step.make({
      name: "notify",
      requires: { report: Schema.String },
      provides: { notified: Schema.Boolean },
      run: () => Effect.as(work(200), { notified: true })
    })
  ]
})

/** The demo flow: the compiler checked that reporting's inputs match inspection's outputs. */
export const flow = composeWorkflow(inspection, reporting)

const input = { equipmentId: "reactor-7", processParams: { temperature: 320 } }

/**
 * Prints every event of the engine as it happens, until a run ends. Subscribes
 * at once, so the run started next is seen from its first event; join the
 * returned fiber to wait until everything is printed.
 */
const showProgress = Effect.flatMap(Engine.Engine, (engine) =>
  Effect.flatMap(engine.subscribe, (events) =>
    events.pipe(
      Stream.takeUntil((event) => event._tag === "RunCompleted" || event._tag === "RunFailed"),
      Stream.runForEach((event) => Effect.sync(() => console.log(Event.format(event)))),
      Effect.forkScoped
    )))

const printResult = (result: Engine.RunResult<{ readonly report: string }>) =>
  Effect.sync(() => {
    console.log(`\nreport: ${result.state.report}\n`)
    console.log(Trace.format(result.trace))
  })

const runOnce = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  const progress = yield* showProgress
  const result = yield* engine.run(flow, input)
  yield* Fiber.join(progress)
  yield* printResult(result)
  console.log(`\nrun ${result.runId} is stored in ${engine.settings.database}`)
})

/** Child mode: run with a given id (and crash, when WEFT_DEMO_CRASH=1). */
const runChild = (runId: string) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    yield* showProgress
    yield* engine.run(flow, input, { runId })
  })

const crashAndResume = Effect.gen(function*() {
  const runId = `demo-${Date.now()}`
  console.log(`starting run ${runId} in a child process...\n`)
  const signal = yield* Effect.async<NodeJS.Signals | null>((resume) => {
    const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, "--child", runId], {
      stdio: "inherit",
      env: { ...process.env, WEFT_DEMO_CRASH: "1" }
    })
    child.on("exit", (_code, signal) => resume(Effect.succeed(signal)))
  })
  console.log(`\nthe child process died (${signal}); resuming run ${runId} from the database in this process:\n`)
  const engine = yield* Engine.Engine
  const progress = yield* showProgress
  const result = yield* engine.resume(flow, runId)
  yield* Fiber.join(progress)
  yield* printResult(result)
  console.log(`\nvalidate_inputs and read_sensors ran once; check_equipment_status, in flight when the process died, ran again.`)
})

const args = process.argv.slice(2)
const program = args[0] === "--child"
  ? runChild(args[1]!)
  : args[0] === "--crash"
  ? crashAndResume
  : runOnce

program.pipe(
  Effect.scoped,
  Effect.provide(Sqlite.layerDefault),
  Effect.catchAll((error) => Effect.sync(() => {
    console.error(`failed: ${error.message}`)
    process.exitCode = 1
  })),
  Effect.runPromise
)

