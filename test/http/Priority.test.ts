/**
 * Property tests of a run's priority as it comes from outside: the HTTP
 * API's `StartRun` body and `engine.start`'s option accept exactly the
 * integers a store can hold (|p| ≤ 2^31 − 1), and refuse anything else with
 * a typed error naming `priority` (nothing is recorded).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import * as fc from "fast-check"
import { Engine, Step, Template } from "weftjs"
import { Http } from "weftjs/http"

const bound = 2 ** 31 - 1
const fits = (u: unknown): boolean => typeof u === "number" && Number.isInteger(u) && Math.abs(u) <= bound

const anyPriority = fc.oneof(
  fc.integer({ min: -bound, max: bound }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(bound, -bound, bound + 1, -bound - 1, 2 ** 53, Number.NaN, Infinity, -0),
  fc.string({ maxLength: 4 }),
  fc.constant(null),
  fc.boolean()
)

const flow = Template.make({
  name: "priority_probe",
  version: "1",
  steps: [Step.make({ name: "only", requires: {}, provides: {}, run: () => Effect.succeed({}) })]
})

describe("a run's priority from outside", () => {
  it("the API body decodes exactly the integers that fit", () =>
    fc.assert(
      fc.property(anyPriority, (priority) => {
        const decoded = Schema.decodeUnknownEither(Http.StartRun)({ template: "t", input: {}, priority })
        expect(Either.isRight(decoded)).toBe(fits(priority))
      }),
      { numRuns: 500 }
    ))

  it.effect("engine.start records exactly the integer priorities that fit, and refuses the rest naming `priority`", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const samples = fc.sample(fc.oneof(fc.integer({ min: -bound, max: bound }), fc.integer(), fc.double()), 200)
      for (const priority of samples) {
        const started = yield* Effect.either(engine.start(flow, {}, { queue: "nobody", priority }))
        if (fits(priority)) {
          expect(Either.isRight(started)).toBe(true)
          if (Either.isRight(started)) expect((yield* engine.status(started.right.runId)).priority).toBe(priority === 0 ? 0 : priority)
        } else {
          expect(Either.isLeft(started) && started.left._tag === "InvalidInput").toBe(true)
          if (Either.isLeft(started) && started.left._tag === "InvalidInput") {
            expect(started.left.issues[0]?.path).toEqual(["priority"])
          }
        }
      }
    }).pipe(Effect.provide(Engine.layerMemory)))
})
