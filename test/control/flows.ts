/**
 * The flows of the run-control process tests, in the worker processes and in
 * the test process alike. Every step appends a line to a log shared by all
 * processes:
 *
 *   <ms since epoch> <pid> <start|end> <run id> <step name>
 */
import { appendFileSync, readFileSync } from "node:fs"
import { Duration, Effect, Schema } from "effect"
import { Durable, type Engine, Step, Template } from "weftjs"

/** One line of the log. */
export interface LogLine {
  readonly at: number
  readonly pid: number
  readonly phase: string
  readonly runId: string
  readonly step: string
}

/** Reads the log (empty before any step). */
export const readLog = (file: string): ReadonlyArray<LogLine> => {
  let text = ""
  try {
    text = readFileSync(file, "utf8")
  } catch {
    return []
  }
  return text.split("\n").filter((line) => line !== "").map((line) => {
    const [at, pid, phase, runId, step] = line.split(" ")
    return { at: Number(at), pid: Number(pid), phase: phase!, runId: runId!, step: step! }
  })
}

const note = (log: string, phase: string, ctx: Step.Context, step: string) =>
  Effect.sync(() => appendFileSync(log, `${Date.now()} ${process.pid} ${phase} ${ctx.runId} ${step}\n`))

/** A step that logs its start, sleeps `ms` (from the state), and logs its end. */
const work = (log: string, name: string) =>
  Step.make({
    name,
    requires: { ms: Schema.Number },
    provides: {},
    run: ({ ms }, ctx) =>
      note(log, "start", ctx, name).pipe(
        Effect.zipRight(Effect.sleep(Duration.millis(ms))),
        Effect.zipRight(note(log, "end", ctx, name)),
        Effect.as({})
      )
  })

/** `ctl_long@1`: a step of `ms`, then `next`, then `last`. */
export const long = (log: string) =>
  Template.make({ name: "ctl_long", version: "1", steps: [work(log, "long"), work(log, "next"), work(log, "last")] })

/** `ctl_nap@1`: a durable sleep of 1.5 s, then `after`. */
export const nap = (log: string) =>
  Template.make({ name: "ctl_nap", version: "1", steps: [Durable.sleep("nap", "1500 millis"), work(log, "after")] })

/** The payload of {@link wait}'s signal. */
export const Go = Schema.Struct({ n: Schema.Number })

/** `ctl_wait@1`: a wait for `go`, then `after`. */
export const wait = (log: string) =>
  Template.make({ name: "ctl_wait", version: "1", steps: [Durable.waitForSignal("go", Go), work(log, "after")] })

/** `ctl_poison@1`: its one step kills the process executing it (SIGKILL), every time. */
export const poison = (log: string) =>
  Template.make({
    name: "ctl_poison",
    version: "1",
    steps: [Step.make({
      name: "explode",
      requires: {},
      provides: {},
      run: (_, ctx) =>
        Effect.zipRight(
          note(log, "start", ctx, "explode"),
          Effect.sync(() => {
            process.kill(process.pid, "SIGKILL")
            return {}
          })
        )
    })]
  })

/** `ctl_quick@1`: one step of `ms`. */
export const quick = (log: string) => Template.make({ name: "ctl_quick", version: "1", steps: [work(log, "only")] })

/** Every flow of these tests. */
export const flows = (log: string) => [long(log), nap(log), wait(log), poison(log), quick(log)] as const

/** Registers every flow of these tests in an engine. */
export const registerAll = (engine: Engine.Service, log: string) =>
  Effect.orDie(Effect.all([
    engine.register(long(log)),
    engine.register(nap(log)),
    engine.register(wait(log)),
    engine.register(poison(log)),
    engine.register(quick(log))
  ], { discard: true }))
