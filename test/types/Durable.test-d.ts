/**
 * Type-level contract of the durable nodes: the payload of a signal flows
 * into the state typed by its Schema, a later step that reads it with a
 * wrong type is a compile error, and sub-flows carry their template's
 * requirements and results.
 *
 * Every `@ts-expect-error` is preceded by a passing twin.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { composeWorkflow, Durable, type Engine, type Errors, Step, Template } from "weftjs"

const Decision = Schema.Struct({ approved: Schema.Boolean, by: Schema.String })
type Decision = typeof Decision.Type

const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Step.make({ name, requires, provides, run: () => Effect.succeed({} as Step.Slice<PF>) })

const readsApproval = step("reads_approval", { approval: Decision }, { done: Schema.Boolean })
const readsApprovalAsString = step("reads_approval_as_string", { approval: Schema.String }, { done: Schema.Boolean })
const readsApprovedFlag = step("reads_flag", { approval: Schema.Struct({ approved: Schema.Boolean }) }, {})

describe("waitForSignal", () => {
  it("provides the signal's payload under its name, typed by its Schema", () => {
    const wait = Durable.waitForSignal("approval", Decision)
    expectTypeOf<Template.Provides<typeof wait>>().toEqualTypeOf<{ readonly approval: Decision }>()
    expectTypeOf<Template.Requires<typeof wait>>().toEqualTypeOf<{}>()
    expectTypeOf<Template.Error<typeof wait>>().toEqualTypeOf<never>()
  })

  it("the payload's type flows into the state of the template and its final state", () => {
    const t = Template.make({ name: "t", version: "1", steps: [Durable.waitForSignal("approval", Decision), readsApproval] })
    // the signal satisfies the later step: nothing is required from outside
    expectTypeOf<Template.Requires<typeof t>>().toEqualTypeOf<{}>()
    expectTypeOf<Template.FinalState<typeof t>>().toEqualTypeOf<{
      readonly approval: Decision
      readonly done: boolean
    }>()
  })

  it("a later step reading the signal's key with an incompatible type is a compile error", () => {
    // a step that reads less of the payload is fine
    Template.make({ name: "good", version: "1", steps: [Durable.waitForSignal("approval", Decision), readsApprovedFlag] })
    Template.make({
      name: "bad",
      version: "1",
      steps: [
        Durable.waitForSignal("approval", Decision),
        // @ts-expect-error approval is provided as { approved: boolean; by: string } but read as string
        readsApprovalAsString
      ]
    })
  })

  it("the same error across templates composed with composeWorkflow", () => {
    const waits = Template.make({ name: "waits", version: "1", steps: [Durable.waitForSignal("approval", Decision)] })
    const good = Template.make({ name: "good", version: "1", steps: [readsApproval] })
    const bad = Template.make({ name: "bad", version: "1", steps: [readsApprovalAsString] })
    const composite = composeWorkflow(waits, good)
    expectTypeOf<Template.Requires<typeof composite>>().toEqualTypeOf<{}>()
    // @ts-expect-error approval is provided as { approved: boolean; by: string } but read as string
    composeWorkflow(waits, bad)
  })

  it("options.key chooses the state key", () => {
    const wait = Durable.waitForSignal("approval", Decision, { key: "decision" })
    expectTypeOf<Template.Provides<typeof wait>>().toEqualTypeOf<{ readonly decision: Decision }>()
  })

  it("a timeout without a default adds SignalTimeout to the errors; with a default it does not", () => {
    const strict = Durable.waitForSignal("approval", Decision, { timeout: "1 hour" })
    expectTypeOf<Template.Error<typeof strict>>().toEqualTypeOf<Errors.SignalTimeout>()
    const lenient = Durable.waitForSignal("approval", Decision, {
      timeout: "1 hour",
      default: { approved: false, by: "nobody" }
    })
    expectTypeOf<Template.Error<typeof lenient>>().toEqualTypeOf<never>()
    // @ts-expect-error the default value must have the payload's type
    Durable.waitForSignal("approval", Decision, { timeout: "1 hour", default: { approved: "no", by: "nobody" } })
  })
})

describe("typed signals: wait.send(runId, payload)", () => {
  const approval = Durable.waitForSignal("approval", Decision)

  it("takes a payload of the Schema's type and needs an Engine", () => {
    const sent = approval.send("run-1", { approved: true, by: "dana" })
    expectTypeOf(sent).toEqualTypeOf<
      Effect.Effect<
        void,
        | Errors.RunNotFound
        | Errors.SignalRejected
        | Errors.InvalidSignalPayload
        | Errors.TemplateNotRegistered
        | Errors.PersistenceError,
        Engine.Engine
      >
    >()
  })

  it("a payload of another type does not compile", () => {
    approval.send("run-1", { approved: false, by: "dana" })
    // @ts-expect-error approved must be a boolean
    approval.send("run-1", { approved: "yes", by: "dana" })
    // @ts-expect-error by is missing
    approval.send("run-1", { approved: true })
    // @ts-expect-error the payload is the Schema's Type, not JSON text
    approval.send("run-1", "{\"approved\":true}")
  })

  it("a transformed Schema takes its decoded type (it is encoded before sending)", () => {
    const due = Durable.waitForSignal("due", Schema.Struct({ at: Schema.Date }), { key: "dueAt" })
    due.send("run-1", { at: new Date(0) })
    // @ts-expect-error at is a Date here; its ISO string is what engine.signal takes
    due.send("run-1", { at: "1970-01-01T00:00:00.000Z" })
  })

  it("the untyped engine.signal stays for JSON from outside", () => {
    type Signal = Engine.Service["signal"]
    expectTypeOf<Parameters<Signal>>().toEqualTypeOf<[runId: string, name: string, payload: unknown]>()
  })
})

describe("sleep", () => {
  it("reads and writes nothing and cannot fail", () => {
    const nap = Durable.sleep("nap", "1 hour")
    expectTypeOf<Template.Provides<typeof nap>>().toEqualTypeOf<{}>()
    expectTypeOf<Template.Requires<typeof nap>>().toEqualTypeOf<{}>()
    expectTypeOf<Template.Error<typeof nap>>().toEqualTypeOf<never>()
  })
})

describe("subflow", () => {
  const child = Template.make({
    name: "child",
    version: "1",
    steps: [step("score", { text: Schema.String }, { score: Schema.Number })]
  })

  it("requires what its template requires, provides what it provides, fails with SubflowFailed", () => {
    const sub = Durable.subflow(child)
    expectTypeOf<Template.Requires<typeof sub>>().toEqualTypeOf<{ readonly text: string }>()
    expectTypeOf<Template.Provides<typeof sub>>().toEqualTypeOf<{ readonly score: number }>()
    expectTypeOf<Template.Error<typeof sub>>().toEqualTypeOf<Errors.SubflowFailed>()
  })

  it("its result is wired to later steps like a step's", () => {
    const readsScore = step("reads_score", { score: Schema.Number }, {})
    const readsScoreAsString = step("reads_score_as_string", { score: Schema.String }, {})
    const t = Template.make({ name: "good", version: "1", steps: [Durable.subflow(child), readsScore] })
    expectTypeOf<Template.Requires<typeof t>>().toEqualTypeOf<{ readonly text: string }>()
    Template.make({
      name: "bad",
      version: "1",
      steps: [
        Durable.subflow(child),
        // @ts-expect-error score is provided as number but read as string
        readsScoreAsString
      ]
    })
  })
})
