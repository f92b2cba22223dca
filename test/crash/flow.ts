/**
 * The 20-step flow the crash tests run in a child process. Each step appends
 * one line to an execution log *before* it returns (so a kill after the line
 * and before the checkpoint shows up as a re-execution), and derives its value
 * from the previous step's, so the final state proves every step saw the
 * right input.
 */
import { appendFileSync, existsSync } from "node:fs"
import { Effect, Schema } from "effect"
import { Step, Template } from "weftjs"
import { reportStep, spin } from "./harness.js"

export const stepCount = 20

/** The value step `i` writes when it reads `previous`. */
export const next = (previous: number, i: number): number => (previous * 31 + i * 7) % 1_000_003

/** Busy-waits a little, so that kills land inside steps as well as between them. */
const work = spin

/** Waits until the file `gate` exists (polling): a step that holds its run until a test lets it go. */
const passGate = (gate: string | undefined): Effect.Effect<void> =>
  gate === undefined || existsSync(gate)
    ? Effect.void
    : Effect.zipRight(Effect.sleep("20 millis"), Effect.suspend(() => passGate(gate)))

/**
 * `extraMillis` slows every step down; with `gate`, every step waits (after
 * logging its execution) until that file exists, so that a test can hold a
 * run active in this process for as long as it needs.
 */
export const makeFlow = (logFile: string, extraMillis = 0, gate?: string) =>
  Template.make({
    name: "crash_flow",
    version: "1",
    steps: Array.from({ length: stepCount }, (_, i) =>
      Step.make({
        name: `s${i + 1}`,
        requires: { [`v${i}`]: Schema.Number },
        provides: { [`v${i + 1}`]: Schema.Number },
        run: (input, ctx) =>
          Effect.gen(function*() {
            const previous = (input as Record<string, number>)[`v${i}`]!
            appendFileSync(logFile, `${process.pid} exec ${ctx.stepKey} ${ctx.idempotencyKey}\n`)
            reportStep(ctx.stepKey)
            yield* passGate(gate)
            yield* work(2 + ((previous + i) % 7) + extraMillis)
            return { [`v${i + 1}`]: next(previous, i + 1) }
          })
      }) as unknown as Step.Step.Any)
  }) as unknown as Template.Template<{ readonly v0: number }, Record<string, number>>

/** The final state of an uninterrupted run. */
export const expectedState = (v0: number): Record<string, number> => {
  const state: Record<string, number> = { v0 }
  for (let i = 1; i <= stepCount; i++) state[`v${i}`] = next(state[`v${i - 1}`]!, i)
  return state
}
