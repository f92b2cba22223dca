/**
 * The looping flow the loop crash test runs in a child process: a loop of
 * `iterations` iterations over a three-step body. Each step appends one line
 * to an execution log *before* it returns (so a kill after the line and
 * before the checkpoint shows up as a re-execution) and derives its value
 * from what the previous step wrote, so the final state proves every step saw
 * the right input.
 */
import { appendFileSync } from "node:fs"
import { Effect, Schema } from "effect"
import { Flow, Step, Template } from "weftjs"
import { reportStep, spin } from "./harness.js"

export const iterations = 8
export const bodySteps = ["a", "b", "c"] as const

/** Busy-waits a little, so that kills land inside steps as well as between them. */
const work = spin

const mix = (value: number, salt: number): number => (value * 31 + salt * 7) % 1_000_003

export const makeLoopFlow = (logFile: string) => {
  const logged = <A>(key: string, idempotencyKey: string, value: A) =>
    Effect.sync(() => {
      appendFileSync(logFile, `${process.pid} exec ${key} ${idempotencyKey}\n`)
      reportStep(key)
    }).pipe(
      Effect.zipRight(work(15 + (key.length % 5))),
      Effect.as(value)
    )
  const body = Template.make({
    name: "body",
    version: "1",
    steps: [
      Step.make({
        name: "a",
        requires: { acc: Schema.Number, i: Schema.Number },
        provides: { x: Schema.Number },
        run: ({ acc, i }, ctx) => logged(ctx.stepKey, ctx.idempotencyKey, { x: mix(acc, i) })
      }),
      Step.make({
        name: "b",
        requires: { x: Schema.Number },
        provides: { y: Schema.Number },
        run: ({ x }, ctx) => logged(ctx.stepKey, ctx.idempotencyKey, { y: mix(x, 2) })
      }),
      Step.make({
        name: "c",
        requires: { y: Schema.Number, i: Schema.Number },
        provides: { acc: Schema.Number, i: Schema.Number },
        run: ({ i, y }, ctx) => logged(ctx.stepKey, ctx.idempotencyKey, { acc: mix(y, 3), i: i + 1 })
      })
    ]
  })
  return Template.make({
    name: "loop_flow",
    version: "1",
    steps: [Flow.loop({
      name: "spin",
      requires: { i: Schema.Number },
      while: ({ i }) => i < iterations,
      body,
      maxIterations: iterations + 2
    })]
  })
}

/** The final state of an uninterrupted run from `{ acc, i: 0 }`. */
export const expectedLoopState = (acc0: number): Record<string, number> => {
  let acc = acc0
  let x = 0
  let y = 0
  for (let i = 0; i < iterations; i++) {
    x = mix(acc, i)
    y = mix(x, 2)
    acc = mix(y, 3)
  }
  return { acc, i: iterations, x, y }
}
