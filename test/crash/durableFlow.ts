/**
 * The flows of the durable crash tests. Each step appends
 * `<pid> exec <step key>` to an execution log before it returns.
 */
import { appendFileSync } from "node:fs"
import { Effect, Schema } from "effect"
import { Durable, Step, Template } from "weftjs"

/** Takes a while (without blocking the process's output), so that a kill can land inside a step. */
const work = (millis: number) => millis > 0 ? Effect.sleep(millis) : Effect.void

const logged = <const P extends Schema.Struct.Fields>(
  logFile: string,
  name: string,
  requires: Schema.Struct.Fields,
  provides: P,
  value: (input: Record<string, unknown>) => Step.Slice<P>,
  millis = 0
) =>
  Step.make({
    name,
    requires,
    provides,
    run: (input, ctx) =>
      Effect.gen(function*() {
        appendFileSync(logFile, `${process.pid} exec ${ctx.stepKey}\n`)
        yield* work(millis)
        return value(input as Record<string, unknown>)
      })
  })

/** before -> sleep `sleepMillis` -> after. */
export const makeSleepFlow = (logFile: string, sleepMillis: number) =>
  Template.make({
    name: "durable_sleep",
    version: "1",
    steps: [
      logged(logFile, "before", { n: Schema.Number }, { a: Schema.Number }, (i) => ({ a: (i.n as number) + 1 })),
      Durable.sleep("nap", sleepMillis),
      logged(logFile, "after", { a: Schema.Number }, { b: Schema.Number }, (i) => ({ b: (i.a as number) * 10 }))
    ]
  })

export const Go = Schema.Struct({ amount: Schema.Number, by: Schema.String })

/** before -> waitForSignal("go") -> after (slow, so that a kill can land inside it). */
export const makeWaitFlow = (logFile: string) =>
  Template.make({
    name: "durable_wait",
    version: "1",
    steps: [
      logged(logFile, "before", { n: Schema.Number }, { a: Schema.Number }, (i) => ({ a: (i.n as number) + 1 })),
      Durable.waitForSignal("go", Go),
      logged(
        logFile,
        "after",
        { a: Schema.Number, go: Go },
        { total: Schema.Number },
        (i) => ({ total: (i.a as number) + (i.go as typeof Go.Type).amount }),
        1000
      )
    ]
  })
