/**
 * The property of `PrototypeKeys.test.ts`, shared by the stores' tests:
 * state keys named as `Object.prototype`'s members are read, written and
 * cross a suspension and a resume by another engine.
 */
import { Duration, Effect, type Layer, Schema } from "effect"
import { expect } from "@effect/vitest"
import * as fc from "fast-check"
import { Durable, type SnapshotStore, Step, Template } from "weftjs"
import { awaitStatusIn, engineProcess } from "./support.js"

export const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }

/** Names of `Object.prototype`'s members. */
export const prototypeNames = [
  "constructor",
  "toString",
  "toLocaleString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
  "__defineGetter__",
  "__defineSetter__",
  "__lookupGetter__",
  "__lookupSetter__"
] as const

/** Reads `a` and writes `b` (+1), waits for a signal, then reads both and writes `sum` and `a` again (×10). */
const template = (a: string, b: string) =>
  Template.make({
    name: "prototype_keys",
    version: `${a}-${b}`,
    steps: [
      Step.make({
        name: "first",
        requires: { [a]: Schema.Number },
        provides: { [b]: Schema.Number },
        run: (input: Readonly<Record<string, number>>) => Effect.succeed({ [b]: input[a]! + 1 })
      }),
      Durable.waitForSignal("go", Schema.Boolean),
      Step.make({
        name: "then",
        requires: { [a]: Schema.Number, [b]: Schema.Number },
        provides: { sum: Schema.Number, [a]: Schema.Number },
        run: (input: Readonly<Record<string, number>>) => Effect.succeed({ sum: input[a]! + input[b]!, [a]: input[a]! * 10 })
      })
    ] as never // keys known only at run time: the compiler cannot follow them
  }) as unknown as Template.Template<Record<string, unknown>, Record<string, unknown>>

const cases = (numRuns: number) =>
  fc.sample(
    fc.tuple(fc.constantFrom(...prototypeNames), fc.constantFrom(...prototypeNames), fc.integer({ min: -1000, max: 1000 }))
      .filter(([a, b]) => a !== b),
    { numRuns, seed: 20261207 }
  )

export const property = (store: Layer.Layer<SnapshotStore.SnapshotStore, unknown>, numRuns: number) =>
  Effect.gen(function*() {
    const first = yield* engineProcess(store, settings)
    const second = yield* engineProcess(store, settings)
    for (const [i, [a, b, n]] of cases(numRuns).entries()) {
      const flow = template(a, b)
      expect(flow.requiredState).toEqual([a])
      yield* second.engine.register(flow)
      const runId = `keys-${i}`
      yield* first.engine.start(flow, { [a]: n }, { runId })
      yield* awaitStatusIn(first.engine, runId, "suspended")
      yield* second.engine.signal(runId, "go", true)
      yield* awaitStatusIn(second.engine, runId, "completed")
      const result = yield* second.engine.result(flow, runId)
      const state = result.state
      expect(Object.hasOwn(state, a) && Object.hasOwn(state, b), `${a}, ${b}`).toBe(true)
      expect([state[a], state[b], state["sum"]], `${a}, ${b}`).toEqual([n * 10, n + 1, 2 * n + 1])
    }
  })

