/**
 * The flows the worker tests run, in the worker processes and in the test
 * process alike (same names, versions and structure: the same templates).
 *
 * Every step appends two lines to an execution log shared by all processes
 * (`appendFileSync` of a short line is one `write` on an `O_APPEND` file:
 * lines of several processes never mix):
 *
 *   <ms since epoch> <pid> start|end <run id> <step key> <idempotency key>
 *
 * and writes the pid of the process that executed it into the state
 * (`by1`, `by2`, ...), so that the steps table tells which process recorded
 * which step.
 */
import { appendFileSync, readFileSync } from "node:fs"
import { Effect, Schema } from "effect"
import { Durable, Step, Template } from "weftjs"

/** One line of the execution log. */
export interface LogLine {
  readonly at: number
  readonly pid: number
  readonly phase: "start" | "end"
  readonly runId: string
  readonly stepKey: string
  readonly key: string
}

/** Reads the execution log (empty when no step ran yet). */
export const readLog = (file: string): ReadonlyArray<LogLine> => {
  let text: string
  try {
    text = readFileSync(file, "utf8")
  } catch {
    return []
  }
  return text.split("\n").filter((line) => line !== "").map((line) => {
    const [at, pid, phase, runId, stepKey, key] = line.split(" ")
    return { at: Number(at), pid: Number(pid), phase: phase as LogLine["phase"], runId: runId!, stepKey: stepKey!, key: key! }
  })
}

const note = (log: string, phase: "start" | "end", ctx: Step.Context) =>
  Effect.sync(() =>
    appendFileSync(log, `${Date.now()} ${process.pid} ${phase} ${ctx.runId} ${ctx.stepKey} ${ctx.idempotencyKey}\n`)
  )

/** A step that logs its start, sleeps `ms` (from the state), logs its end and writes this process's pid as `by<i>`. */
const work = (log: string, i: number) =>
  Step.make({
    name: `s${i}`,
    requires: { ms: Schema.Number },
    provides: { [`by${i}`]: Schema.Number },
    run: ({ ms }, ctx) =>
      note(log, "start", ctx).pipe(
        Effect.zipRight(Effect.sleep(ms)),
        Effect.zipRight(note(log, "end", ctx)),
        Effect.as({ [`by${i}`]: process.pid })
      )
  })

/** The input of {@link chain}: how long each step takes. */
export interface ChainInput {
  readonly ms: number
}

/** `wk_chain@1`: `steps` steps `s1`..`sN`, each taking `ms` milliseconds. */
export const chain = (log: string, steps = 4): Template.Template<ChainInput, Record<string, number>> =>
  Template.make({
    name: "wk_chain",
    version: `${steps}`,
    steps: Array.from({ length: steps }, (_, i) => work(log, i + 1)) as never
  }) as unknown as Template.Template<ChainInput, Record<string, number>>

/** The payload of {@link wait}'s signal. */
export const Go = Schema.Struct({ n: Schema.Number })

/** `wk_wait@1`: `s1`, then a wait for the signal `go`, then `s2` (which reads the payload). */
export const wait = (log: string) =>
  Template.make({
    name: "wk_wait",
    version: "1",
    steps: [
      work(log, 1),
      Durable.waitForSignal("go", Go),
      Step.make({
        name: "s2",
        requires: { go: Go },
        provides: { total: Schema.Number, by2: Schema.Number },
        run: ({ go }, ctx) =>
          note(log, "start", ctx).pipe(
            Effect.zipRight(note(log, "end", ctx)),
            Effect.as({ total: go.n + 1, by2: process.pid })
          )
      })
    ]
  })
