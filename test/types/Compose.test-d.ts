/**
 * Type-level contract of `composeWorkflow`: what a composite requires and
 * provides, and which wirings the compiler rejects.
 *
 * Every `@ts-expect-error` is preceded by a passing twin (the same thing wired
 * correctly), so each test proves that only the wrong wiring is rejected.
 */
import { Context, Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { composeWorkflow, Engine, Errors, Step, Template, Workflow } from "weftjs"
import type { Checked, ConflictingRequirement, IncompatibleKey } from "../../src/internal/types/wiring.js"

// ---------------------------------------------------------------------------
// The contract example of the core issue
// ---------------------------------------------------------------------------

const validateInputs = Step.make({
  name: "validate_inputs",
  requires: { equipmentId: Schema.String, processParams: Schema.Struct({ temperature: Schema.Number }) },
  provides: { validated: Schema.Boolean },
  run: ({ processParams }) => Effect.succeed({ validated: processParams.temperature < 500 })
})

const checkEquipmentStatus = Step.make({
  name: "check_equipment_status",
  requires: { equipmentId: Schema.String, validated: Schema.Boolean },
  provides: { equipmentStatus: Schema.Literal("ok", "degraded", "down") },
  run: ({ validated }) => Effect.succeed({ equipmentStatus: validated ? "ok" as const : "down" as const })
})

const processControl = Template.make({
  name: "process_control",
  version: "1.0",
  steps: [validateInputs, checkEquipmentStatus]
})

const report = Template.make({
  name: "report",
  version: "1.0",
  steps: [Step.make({
    name: "write_report",
    requires: { equipmentStatus: Schema.String },
    provides: { report: Schema.String },
    run: ({ equipmentStatus }) => Effect.succeed({ report: `status: ${equipmentStatus}` })
  })]
})

/** Requires `equipmentStatus` as a number: cannot follow process_control. */
const wrong = Template.make({
  name: "wrong",
  version: "1.0",
  steps: [Step.make({
    name: "needs_number",
    requires: { equipmentStatus: Schema.Number },
    provides: {},
    run: () => Effect.succeed({})
  })]
})

const flow = composeWorkflow(processControl, report)

type FlowRequires = {
  readonly equipmentId: string
  readonly processParams: { readonly temperature: number }
}
type FlowProvides = {
  readonly validated: boolean
  readonly equipmentStatus: "ok" | "degraded" | "down"
  readonly report: string
}

// ---------------------------------------------------------------------------
// Helpers: one-step templates
// ---------------------------------------------------------------------------

/** A step reading `requires` and writing `provides` (run is irrelevant to types). */
const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Step.make({ name, requires, provides, run: () => Effect.succeed({} as Step.Slice<PF>) })

/** A one-step template. */
const part = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Template.make({ name, version: "1", steps: [step(name, requires, provides)] })

describe("the contract example: process_control then report", () => {
  it("process_control's requiredState names its outside keys", () => {
    expectTypeOf(processControl.requiredState).toEqualTypeOf<ReadonlyArray<"equipmentId" | "processParams">>()
    expectTypeOf(report.requiredState).toEqualTypeOf<ReadonlyArray<"equipmentStatus">>()
    expectTypeOf(flow.requiredState).toEqualTypeOf<ReadonlyArray<"equipmentId" | "processParams">>()
    expectTypeOf(flow.providedState).toEqualTypeOf<ReadonlyArray<"validated" | "equipmentStatus" | "report">>()
  })

  it("the composite requires exactly the outside keys and provides every part's keys", () => {
    expectTypeOf<Template.Requires<typeof flow>>().toEqualTypeOf<FlowRequires>()
    expectTypeOf<Template.Provides<typeof flow>>().toEqualTypeOf<FlowProvides>()
    // a composite is a template (invariant in what it requires and provides) that also carries its parts as positions
    expectTypeOf(flow).toMatchTypeOf<Template.Template<FlowRequires, FlowProvides, never, never>>()
  })

  it("requiring equipmentStatus as a number after process_control does not compile", () => {
    composeWorkflow(processControl, report)
    // @ts-expect-error equipmentStatus is provided as "ok" | "degraded" | "down" but required as number
    composeWorkflow(processControl, wrong)
  })

  it("the error names the key, the provided type and the required type", () => {
    expectTypeOf<Checked<[typeof processControl, typeof report]>>().toEqualTypeOf<readonly [unknown, unknown]>()
    expectTypeOf<Checked<[typeof processControl, typeof wrong]>>().toEqualTypeOf<
      readonly [unknown, IncompatibleKey<"equipmentStatus", "ok" | "degraded" | "down", number>]
    >()
  })
})

describe("outside requirements", () => {
  it("keys nobody upstream provides become requirements with their types", () => {
    const needsOperator = part("sign", { equipmentStatus: Schema.String, operator: Schema.String }, {
      signedBy: Schema.String
    })
    const composite = composeWorkflow(processControl, needsOperator)
    expectTypeOf<Template.Requires<typeof composite>>().toEqualTypeOf<{
      readonly equipmentId: string
      readonly processParams: { readonly temperature: number }
      readonly operator: string
    }>()
  })

  it("a key required by an earlier part and provided by a later one stays a requirement", () => {
    const reads = part("reads", { mode: Schema.String }, {})
    const writes = part("writes", {}, { mode: Schema.Literal("a", "b") })
    const composite = composeWorkflow(reads, writes)
    expectTypeOf<Template.Requires<typeof composite>>().toEqualTypeOf<{ readonly mode: string }>()
    expectTypeOf<Template.Provides<typeof composite>>().toEqualTypeOf<{ readonly mode: "a" | "b" }>()
  })

  it("two parts requiring the same outside key with incompatible types is an error", () => {
    const asString = part("as_string", { limit: Schema.String }, {})
    const asOtherString = part("as_other_string", { limit: Schema.String }, {})
    const asNumber = part("as_number", { limit: Schema.Number }, {})
    composeWorkflow(asString, asOtherString)
    // @ts-expect-error limit is required as string by one part and as number by another
    composeWorkflow(asString, asNumber)
    expectTypeOf<Checked<[typeof asString, typeof asNumber]>>().toEqualTypeOf<
      readonly [unknown, ConflictingRequirement<"limit", string, number>]
    >()
  })

  it("compatible requirements of one outside key are fine: the composite requires the narrower", () => {
    const wide = part("wide", { mode: Schema.String }, {})
    const narrow = part("narrow", { mode: Schema.Literal("a", "b") }, {})
    const wideThenNarrow = composeWorkflow(wide, narrow)
    const narrowThenWide = composeWorkflow(narrow, wide)
    expectTypeOf<Template.Requires<typeof wideThenNarrow>>().toEqualTypeOf<{ readonly mode: "a" | "b" }>()
    expectTypeOf<Template.Requires<typeof narrowThenWide>>().toEqualTypeOf<{ readonly mode: "a" | "b" }>()
  })

  it("a provided value narrower than the requirement is accepted, a wider one is not", () => {
    const writesLiteral = part("writes_literal", {}, { level: Schema.Literal(1, 2) })
    const writesNumber = part("writes_number", {}, { level: Schema.Number })
    const readsNumber = part("reads_number", { level: Schema.Number }, {})
    const readsLiteral = part("reads_literal", { level: Schema.Literal(1, 2) }, {})
    composeWorkflow(writesLiteral, readsNumber)
    composeWorkflow(writesLiteral, readsLiteral)
    // @ts-expect-error level is provided as number but required as 1 | 2
    composeWorkflow(writesNumber, readsLiteral)
  })
})

describe("skippable steps", () => {
  const probeStatus = Step.make({
    name: "probe",
    requires: { equipmentId: Schema.String },
    provides: { equipmentStatus: Schema.Literal("ok", "degraded", "down") },
    onError: "skip",
    run: () => Effect.fail("unreachable" as const)
  })
  const maybeStatus = Template.make({ name: "maybe_status", version: "1", steps: [probeStatus] })
  const readsOptional = part("reads_optional", { equipmentStatus: Schema.optional(Schema.String) }, {
    summary: Schema.String
  })

  it("a skip step's keys are optional downstream, and its errors are handled", () => {
    expectTypeOf<Template.Provides<typeof maybeStatus>>().toEqualTypeOf<{
      readonly equipmentStatus?: "ok" | "degraded" | "down"
    }>()
    expectTypeOf<Template.Error<typeof maybeStatus>>().toEqualTypeOf<never>()
  })

  it("a later part requiring them as non-optional is rejected", () => {
    composeWorkflow(maybeStatus, readsOptional)
    composeWorkflow(processControl, report)
    // @ts-expect-error equipmentStatus may be missing (skipped) but report requires it
    composeWorkflow(maybeStatus, report)
  })

  it("the same holds between the steps of one template", () => {
    expectTypeOf<Step.Provides<typeof probeStatus>>().toEqualTypeOf<{
      readonly equipmentStatus?: "ok" | "degraded" | "down"
    }>()
    expectTypeOf<Step.Error<typeof probeStatus>>().toEqualTypeOf<never>()
    const needsStatus = step("needs_status", { equipmentStatus: Schema.String }, {})
    const mayReadStatus = step("may_read_status", { equipmentStatus: Schema.optional(Schema.String) }, {})
    Template.make({ name: "ok", version: "1", steps: [probeStatus, mayReadStatus] })
    Template.make({ name: "bad", version: "1", steps: [
      probeStatus,
      // @ts-expect-error equipmentStatus may be missing (skipped) but this step requires it
      needsStatus
    ] })
  })
})

describe("composites", () => {
  const archive = part("archive", { report: Schema.String, equipmentId: Schema.String }, {
    archivedAt: Schema.Number
  })

  it("a composite of composites folds like a flat composition", () => {
    const nested = composeWorkflow(flow, archive)
    const flat = composeWorkflow(processControl, report, archive)
    type Expected = Template.Template<
      FlowRequires,
      FlowProvides & { readonly archivedAt: number } extends infer P ? { [K in keyof P]: P[K] } : never
    >
    expectTypeOf(nested).toMatchTypeOf<Expected>()
    expectTypeOf(flat).toMatchTypeOf<Expected>()
    expectTypeOf<Template.Provides<typeof nested>>().toEqualTypeOf<Template.Provides<Expected>>()
    expectTypeOf<Template.Provides<typeof flat>>().toEqualTypeOf<Template.Provides<Expected>>()
  })

  it("a composite is checked against its neighbours like any part", () => {
    composeWorkflow(flow, archive)
    // @ts-expect-error equipmentStatus is provided by the composite as "ok" | "degraded" | "down", required as number
    composeWorkflow(flow, wrong)
  })

  it("three or more parts: each is checked against everything before it", () => {
    const a = part("a", { seed: Schema.Number }, { x: Schema.Number })
    const b = part("b", { x: Schema.Number }, { y: Schema.String })
    const c = part("c", { y: Schema.String, extra: Schema.Boolean }, { z: Schema.Boolean })
    const d = part("d", { x: Schema.Number, z: Schema.Boolean }, { done: Schema.Literal(true) })
    const yAsNumber = part("y_as_number", { y: Schema.Number }, {})
    const four = composeWorkflow(a, b, c, d)
    expectTypeOf<Template.Requires<typeof four>>().toEqualTypeOf<{
      readonly seed: number
      readonly extra: boolean
    }>()
    expectTypeOf<Template.Provides<typeof four>>().toEqualTypeOf<{
      readonly x: number
      readonly y: string
      readonly z: boolean
      readonly done: true
    }>()
    composeWorkflow(a, b, c, d, c)
    // @ts-expect-error y is provided by b as string, required by the fifth part as number
    composeWorkflow(a, b, c, d, yAsNumber)
    expectTypeOf<Checked<[typeof a, typeof b, typeof c, typeof d, typeof yAsNumber]>>().toEqualTypeOf<
      readonly [unknown, unknown, unknown, unknown, IncompatibleKey<"y", string, number>]
    >()
  })

  it("the error sits on the offending part, not on the whole call (regression)", () => {
    const a = part("a", { seed: Schema.Number }, { x: Schema.Number })
    const b = part("b", { x: Schema.Number }, { y: Schema.String })
    const yAsNumber = part("y_as_number", { y: Schema.Number }, {})
    composeWorkflow(
      a,
      b,
      b
    )
    composeWorkflow(
      a,
      b,
      // @ts-expect-error y is provided by b as string, required here as number: the error is on this line only
      yAsNumber
    )
  })

  it("a later write replaces the provided type", () => {
    const first = part("first", {}, { v: Schema.String })
    const second = part("second", {}, { v: Schema.Number })
    const readsNumber = part("reads_number", { v: Schema.Number }, {})
    composeWorkflow(first, second, readsNumber)
    // @ts-expect-error v was last written as string
    composeWorkflow(second, first, readsNumber)
  })
})

describe("errors and services", () => {
  class Registry extends Context.Tag("test/Registry")<Registry, { readonly status: Effect.Effect<string> }>() {}
  class Mailer extends Context.Tag("test/Mailer")<Mailer, { readonly send: (s: string) => Effect.Effect<void> }>() {}
  class Offline extends Schema.TaggedError<Offline>()("Offline", {}) {}
  class Rejected extends Schema.TaggedError<Rejected>()("Rejected", {}) {}

  const lookup = Template.make({
    name: "lookup",
    version: "1",
    steps: [Step.make({
      name: "lookup",
      requires: { equipmentId: Schema.String },
      provides: { equipmentStatus: Schema.String },
      run: () =>
        Effect.flatMap(Registry, (registry) => registry.status).pipe(
          Effect.flatMap((equipmentStatus) =>
            equipmentStatus === "" ? Effect.fail(new Offline()) : Effect.succeed({ equipmentStatus })
          )
        )
    })]
  })
  const notify = Template.make({
    name: "notify",
    version: "1",
    steps: [Step.make({
      name: "notify",
      requires: { equipmentStatus: Schema.String },
      provides: { notified: Schema.Boolean },
      run: ({ equipmentStatus }) =>
        Effect.flatMap(Mailer, (mailer) => mailer.send(equipmentStatus)).pipe(
          Effect.zipRight(Effect.fail(new Rejected())),
          Effect.as({ notified: true })
        )
    })]
  })

  it("Template.Error and Template.Services are the unions of the steps'", () => {
    const composite = composeWorkflow(lookup, notify)
    expectTypeOf<Template.Error<typeof lookup>>().toEqualTypeOf<Offline>()
    expectTypeOf<Template.Services<typeof lookup>>().toEqualTypeOf<Registry>()
    expectTypeOf<Template.Error<typeof composite>>().toEqualTypeOf<Offline | Rejected>()
    expectTypeOf<Template.Services<typeof composite>>().toEqualTypeOf<Registry | Mailer>()
    expectTypeOf<Template.Error<typeof flow>>().toEqualTypeOf<never>()
    expectTypeOf<Template.Services<typeof flow>>().toEqualTypeOf<never>()
  })

  it("Workflow.run carries them in its error and context channels", () => {
    const program = Workflow.run(composeWorkflow(lookup, notify), { equipmentId: "eq-7" })
    expectTypeOf<Effect.Effect.Error<typeof program>>().toEqualTypeOf<
      Offline | Rejected | Errors.RunError | Errors.RunAlreadyActive
    >()
    expectTypeOf<Effect.Effect.Context<typeof program>>().toEqualTypeOf<Registry | Mailer | Engine.Engine>()
  })
})

describe("Workflow.run", () => {
  const goodInput = { equipmentId: "eq-7", processParams: { temperature: 320 } }

  it("the result's state has every input and provided key, typed", () => {
    const program = Workflow.run(flow, goodInput)
    type Result = Effect.Effect.Success<typeof program>
    expectTypeOf<Result["state"]["report"]>().toEqualTypeOf<string>()
    expectTypeOf<Result["state"]>().toEqualTypeOf<{
      readonly equipmentId: string
      readonly processParams: { readonly temperature: number }
      readonly validated: boolean
      readonly equipmentStatus: "ok" | "degraded" | "down"
      readonly report: string
    }>()
    expectTypeOf<Result>().toEqualTypeOf<Engine.RunResult<Template.FinalState<typeof flow>>>()
  })

  it("input missing a key does not compile", () => {
    Workflow.run(flow, { equipmentId: "eq-7", processParams: { temperature: 320 } })
    // @ts-expect-error processParams is missing
    Workflow.run(flow, { equipmentId: "eq-7" })
  })

  it("input with a key of the wrong type does not compile", () => {
    Workflow.run(flow, { equipmentId: "eq-7", processParams: { temperature: 320 } })
    // @ts-expect-error temperature must be a number
    Workflow.run(flow, { equipmentId: "eq-7", processParams: { temperature: "hot" } })
  })
})

describe("Step.run", () => {
  it("receives exactly the required slice", () => {
    expectTypeOf(validateInputs.run).parameter(0).toEqualTypeOf<{
      readonly equipmentId: string
      readonly processParams: { readonly temperature: number }
    }>()
    expectTypeOf<Step.Requires<typeof checkEquipmentStatus>>().toEqualTypeOf<{
      readonly equipmentId: string
      readonly validated: boolean
    }>()
    expectTypeOf<Step.Provides<typeof checkEquipmentStatus>>().toEqualTypeOf<{
      readonly equipmentStatus: "ok" | "degraded" | "down"
    }>()
  })

  it("a step cannot read a key it did not require", () => {
    Step.make({
      name: "peek",
      requires: { validated: Schema.Boolean },
      provides: { peeked: Schema.Boolean },
      run: (input) => {
        const validated: boolean = input.validated
        // @ts-expect-error equipmentId is in the state but this step did not require it
        const equipmentId = input.equipmentId
        return Effect.succeed({ peeked: validated && equipmentId !== undefined })
      }
    })
  })

  it("a step must return its provided slice", () => {
    Step.make({
      name: "returns_right",
      requires: {},
      provides: { peeked: Schema.Boolean },
      run: () => Effect.succeed({ peeked: true })
    })
    Step.make({
      name: "returns_wrong",
      requires: {},
      provides: { peeked: Schema.Boolean },
      // @ts-expect-error peeked must be a boolean
      run: () => Effect.succeed({ peeked: "yes" })
    })
  })
})
