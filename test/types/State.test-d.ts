/**
 * Type-level contract of the typed state: `State.get` and the metadata a run
 * result carries per key.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { composeWorkflow, Engine, Errors, State, Step, Template, Workflow } from "weftjs"

const state = State.make({ equipmentId: "eq-7", processParams: { temperature: 320 }, validated: true })

describe("State.get", () => {
  it("is typed by the key and fails with StateExpired | StateKeyMissing", () => {
    const id = State.get(state, "equipmentId")
    const params = State.get(state, "processParams")
    expectTypeOf(id).toEqualTypeOf<Effect.Effect<string, Errors.StateExpired | Errors.StateKeyMissing>>()
    expectTypeOf<Effect.Effect.Success<typeof params>>().toEqualTypeOf<{ temperature: number }>()
    expectTypeOf<Effect.Effect.Error<typeof params>>().toEqualTypeOf<Errors.StateExpired | Errors.StateKeyMissing>()
    expectTypeOf<Effect.Effect.Context<typeof params>>().toEqualTypeOf<never>()
  })

  it("only accepts keys of the state", () => {
    State.get(state, "validated")
    // @ts-expect-error report is not a key of this state
    State.get(state, "report")
  })

  it("the errors can be caught by tag", () => {
    const program = State.get(state, "validated").pipe(
      Effect.catchTag("StateExpired", (e) => Effect.succeed(e.expiredAt > 0))
    )
    expectTypeOf(program).toEqualTypeOf<Effect.Effect<boolean, Errors.StateKeyMissing>>()
  })
})

describe("State metadata", () => {
  it("entries are keyed like the values", () => {
    expectTypeOf<keyof (typeof state)["entries"]>().toEqualTypeOf<"equipmentId" | "processParams" | "validated">()
    expectTypeOf(state.entries.validated).toEqualTypeOf<State.EntryInfo>()
    expectTypeOf(state.createdAt).toEqualTypeOf<Date>()
    expectTypeOf(state.updatedAt).toEqualTypeOf<Date>()
    expectTypeOf<State.EntryInfo>().toEqualTypeOf<{ readonly writtenAt: Date; readonly expiresAt: Date | null }>()
  })

  it("a run result's entries are keyed like its final state", () => {
    const first = Template.make({
      name: "first",
      version: "1",
      steps: [Step.make({
        name: "first",
        requires: { input: Schema.String },
        provides: { length: Schema.Number },
        run: ({ input }) => Effect.succeed({ length: input.length })
      })]
    })
    const second = Template.make({
      name: "second",
      version: "1",
      steps: [Step.make({
        name: "second",
        requires: { length: Schema.Number },
        provides: { long: Schema.Boolean },
        run: ({ length }) => Effect.succeed({ long: length > 80 })
      })]
    })
    const program = Workflow.run(composeWorkflow(first, second), { input: "text" })
    type Result = Effect.Effect.Success<typeof program>
    expectTypeOf<Result["state"]>().toEqualTypeOf<{
      readonly input: string
      readonly length: number
      readonly long: boolean
    }>()
    expectTypeOf<keyof Result["entries"]>().toEqualTypeOf<keyof Result["state"]>()
    expectTypeOf<Result["entries"]>().toEqualTypeOf<{
      readonly input: State.EntryInfo
      readonly length: State.EntryInfo
      readonly long: State.EntryInfo
    }>()
    expectTypeOf<Result>().toEqualTypeOf<Engine.RunResult<Result["state"]>>()
  })

  it("entries of keys the state does not have are a type error", () => {
    const program = Workflow.run(
      Template.make({
        name: "only",
        version: "1",
        steps: [Step.make({
          name: "only",
          requires: {},
          provides: { done: Schema.Boolean },
          run: () => Effect.succeed({ done: true })
        })]
      }),
      {}
    )
    Effect.map(program, (result) => result.entries.done.writtenAt)
    // @ts-expect-error the run's state has no key "missing"
    Effect.map(program, (result) => result.entries.missing)
  })
})
