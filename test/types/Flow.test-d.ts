/**
 * Type-level contract of the control-flow nodes (`Flow.branch`, `Flow.match`,
 * `Flow.loop`, `Flow.forEach`, `Flow.parallel`): what each requires and
 * provides, and which wirings the compiler rejects.
 *
 * Every `@ts-expect-error` is preceded by a passing twin (the same thing wired
 * correctly), so each test proves that only the wrong wiring is rejected.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { composeWorkflow, Errors, Flow, Step, Template } from "weftjs"
import type { Clashes, LoopCheck } from "../../src/internal/types/flow.js"
import type { LoopIncompatible } from "../../src/internal/types/messages.js"

/** A step reading `requires` and writing `provides` (run is irrelevant to types). */
const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Step.make({ name, requires, provides, run: () => Effect.succeed({} as Step.Slice<PF>) })

/** A one-step template. */
const template = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Template.make({ name, version: "1", steps: [step(name, requires, provides)] })

const Status = Schema.Literal("ok", "degraded", "down")

const fix = template("fix", { equipmentId: Schema.String }, { action: Schema.String, ticket: Schema.Number })
const keep = template("keep", {}, { action: Schema.Literal("none") })

const readsAction = step("reads_action", { action: Schema.String }, { report: Schema.String })
const readsTicket = step("reads_ticket", { ticket: Schema.Number }, { closed: Schema.Boolean })
const readsTicketIfAny = step("reads_ticket_if_any", { ticket: Schema.optional(Schema.Number) }, { closed: Schema.Boolean })

describe("Flow.branch", () => {
  const route = Flow.branch({
    name: "route",
    requires: { status: Status },
    when: ({ status }) => status !== "ok",
    then: fix,
    else: keep
  })

  it("requires the predicate's keys and every arm's; provides what both arms provide, the rest optional", () => {
    expectTypeOf<Template.Requires<typeof route>>().toEqualTypeOf<{
      readonly status: "ok" | "degraded" | "down"
      readonly equipmentId: string
    }>()
    expectTypeOf<Template.Provides<typeof route>>().toEqualTypeOf<{
      readonly action: string
      readonly ticket?: number
    }>()
  })

  it("a later step that requires a key only one arm provides is a compile error", () => {
    Template.make({ name: "good", version: "1", steps: [route, readsAction] })
    Template.make({ name: "good", version: "1", steps: [route, readsTicketIfAny] })
    Template.make({
      name: "bad",
      version: "1",
      steps: [
        route,
        // @ts-expect-error ticket is written by the "then" arm only
        readsTicket
      ]
    })
  })

  it("two arms requiring the same outside key with incompatible types is a compile error naming the key", () => {
    const limitAsString = template("as_string", { limit: Schema.String }, { out: Schema.String })
    const limitAsNumber = template("as_number", { limit: Schema.Number }, { out: Schema.String })
    const limitAsLiteral = template("as_literal", { limit: Schema.Literal("low", "high") }, { out: Schema.String })
    // compatible: the narrower requirement is the branch's
    const narrowed = Flow.branch({ name: "ok", requires: {}, when: () => true, then: limitAsString, else: limitAsLiteral })
    expectTypeOf<Template.Requires<typeof narrowed>>().toEqualTypeOf<{ readonly limit: "low" | "high" }>()
    Flow.branch({
      name: "clash",
      requires: {},
      when: () => true,
      then: limitAsString,
      // @ts-expect-error limit is required as string by one arm and as number by the other
      else: limitAsNumber
    })
  })

  it("without an else arm, everything the branch provides is optional", () => {
    const maybe = Flow.branch({ name: "maybe", requires: {}, when: () => true, then: fix })
    expectTypeOf<Template.Provides<typeof maybe>>().toEqualTypeOf<{
      readonly action?: string
      readonly ticket?: number
    }>()
  })

  it("the predicate is typed by the Schemas in `requires`", () => {
    Flow.branch({ name: "ok", requires: { status: Status }, when: ({ status }) => status === "down", then: fix })
    Flow.branch({
      name: "bad",
      requires: { status: Status },
      // @ts-expect-error the predicate reads status as a number, the Schema says a literal union
      when: ({ status }: { readonly status: number }) => status > 1,
      then: fix
    })
    Flow.branch({
      name: "bad",
      requires: { status: Status },
      // @ts-expect-error the predicate must return a boolean
      when: ({ status }) => status,
      then: fix
    })
  })

  it("keeps the arms' errors and services", () => {
    class Boom {
      readonly _tag = "Boom"
    }
    const failing = Template.make({
      name: "failing",
      version: "1",
      steps: [Step.make({ name: "boom", requires: {}, provides: {}, run: () => Effect.fail(new Boom()) })]
    })
    const b = Flow.branch({ name: "b", requires: {}, when: () => true, then: failing })
    expectTypeOf<Template.Error<typeof b>>().toEqualTypeOf<Boom>()
  })
})

describe("Flow.match", () => {
  const triage = Flow.match({
    name: "triage",
    requires: { status: Status },
    select: ({ status }) => status === "ok" ? "keep" : "fix",
    arms: { keep, fix }
  })

  it("provides what every arm provides; the selector returns an arm's label", () => {
    expectTypeOf<Template.Provides<typeof triage>>().toEqualTypeOf<{
      readonly action: string
      readonly ticket?: number
    }>()
    Flow.match({
      name: "bad",
      requires: { status: Status },
      // @ts-expect-error "repair" is not one of the arms
      select: ({ status }) => status === "ok" ? "keep" : "repair",
      arms: { keep, fix }
    })
  })
})

// ---------------------------------------------------------------------------
// loop
// ---------------------------------------------------------------------------

const probe = template("probe", { deviceId: Schema.String }, { ready: Schema.Boolean, polls: Schema.Number })

describe("Flow.loop", () => {
  it("checked before each iteration: the body may not run, so what it provides is optional (unless also required)", () => {
    const l = Flow.loop({
      name: "l",
      requires: { ready: Schema.Boolean },
      while: ({ ready }) => !ready,
      body: probe,
      maxIterations: 3
    })
    expectTypeOf<Template.Requires<typeof l>>().toEqualTypeOf<{
      readonly ready: boolean
      readonly deviceId: string
    }>()
    expectTypeOf<Template.Provides<typeof l>>().toEqualTypeOf<{ readonly ready: boolean; readonly polls?: number }>()
    expectTypeOf<Template.Error<typeof l>>().toEqualTypeOf<Errors.LoopLimitExceeded>()
    const readsPolls = step("reads_polls", { polls: Schema.Number }, {})
    const readsReady = step("reads_ready", { ready: Schema.Boolean }, {})
    Template.make({ name: "good", version: "1", steps: [l, readsReady] })
    Template.make({
      name: "bad",
      version: "1",
      steps: [
        l,
        // @ts-expect-error polls is only there if the body ran at least once
        readsPolls
      ]
    })
  })

  it("a key provided before the loop stays provided after it, whether or not the body runs (regression)", () => {
    const counts = step("counts", { n: Schema.Number }, { summary: Schema.String, more: Schema.Boolean })
    const body = Template.make({
      name: "body",
      version: "1",
      steps: [step("dec", { n: Schema.Number }, { n: Schema.Number }), counts]
    })
    const l = Flow.loop({ name: "l", requires: { more: Schema.Boolean }, while: ({ more }) => more, body, maxIterations: 5 })
    const readsSummary = step("reads_summary", { summary: Schema.String }, {})
    const t = Template.make({ name: "t", version: "1", steps: [counts, l, readsSummary] })
    expectTypeOf<Template.Provides<typeof t>>().toEqualTypeOf<{
      readonly summary: string
      readonly more: boolean
      readonly n: number
    }>()
    // without the earlier write, summary is only there if the body ran
    Template.make({
      name: "no_earlier_write",
      version: "1",
      // @ts-expect-error summary is only there if the body ran at least once
      steps: [l, readsSummary]
    })
  })

  it("checked after each iteration: the body's keys are provided and feed the predicate", () => {
    const l = Flow.loop({
      name: "l",
      requires: { ready: Schema.Boolean },
      while: ({ ready }) => !ready,
      check: "after",
      body: probe,
      maxIterations: 3
    })
    expectTypeOf<Template.Requires<typeof l>>().toEqualTypeOf<{ readonly deviceId: string }>()
    expectTypeOf<Template.Provides<typeof l>>().toEqualTypeOf<{ readonly ready: boolean; readonly polls: number }>()
    Template.make({ name: "good", version: "1", steps: [l, step("after", { polls: Schema.Number }, {})] })
  })

  it("a body that writes what the predicate reads with another type is a compile error", () => {
    Flow.loop({ name: "ok", requires: { polls: Schema.Number }, while: ({ polls }) => polls < 3, body: probe, maxIterations: 3 })
    Flow.loop({
      name: "bad",
      requires: { polls: Schema.String },
      while: ({ polls }) => polls !== "3",
      // @ts-expect-error the body writes polls as a number, the predicate reads a string
      body: probe,
      maxIterations: 3
    })
    expectTypeOf<LoopCheck<{ readonly polls: string }, typeof probe>>().toEqualTypeOf<
      LoopIncompatible<"polls", number, string>
    >()
  })

  it("the predicate is typed by the Schemas in `requires`", () => {
    Flow.loop({
      name: "bad",
      requires: { ready: Schema.Boolean },
      // @ts-expect-error ready is a boolean, not a string
      while: ({ ready }: { readonly ready: string }) => ready === "no",
      body: probe,
      maxIterations: 3
    })
  })
})

// ---------------------------------------------------------------------------
// forEach
// ---------------------------------------------------------------------------

const Doc = Schema.Struct({ id: Schema.Number, text: Schema.String })
const summarize = template("summarize", { doc: Doc, language: Schema.String }, {
  summary: Schema.String,
  tokens: Schema.Number
})

describe("Flow.forEach", () => {
  const each = Flow.forEach({
    name: "each",
    over: "docs",
    as: "doc",
    body: summarize,
    collect: "summary",
    into: "summaries",
    concurrency: 4
  })

  it("requires a list of what the body reads per element; provides the collected list", () => {
    expectTypeOf<Template.Requires<typeof each>>().toEqualTypeOf<{
      readonly language: string
      readonly docs: ReadonlyArray<{ readonly id: number; readonly text: string }>
    }>()
    expectTypeOf<Template.Provides<typeof each>>().toEqualTypeOf<{ readonly summaries: ReadonlyArray<string> }>()
  })

  it("a forEach over a key upstream provides as something other than a list of elements is a compile error", () => {
    const listsDocs = step("lists_docs", {}, { docs: Schema.Array(Doc) })
    const docsAsText = step("docs_as_text", {}, { docs: Schema.String })
    Template.make({ name: "good", version: "1", steps: [listsDocs, each] })
    Template.make({
      name: "bad",
      version: "1",
      steps: [
        docsAsText,
        // @ts-expect-error docs is a string, not a list of documents
        each
      ]
    })
  })

  it("`as` must be a key the body reads and `collect` a key it writes", () => {
    Flow.forEach({
      name: "bad",
      over: "docs",
      // @ts-expect-error the body does not read "document"
      as: "document",
      body: summarize,
      collect: "summary",
      into: "summaries"
    })
    Flow.forEach({
      name: "bad",
      over: "docs",
      as: "doc",
      body: summarize,
      // @ts-expect-error the body does not write "title"
      collect: "title",
      into: "summaries"
    })
  })
})

// ---------------------------------------------------------------------------
// parallel
// ---------------------------------------------------------------------------

const credit = template("credit", { customerId: Schema.String }, { creditScore: Schema.Number, score: Schema.Number })
const fraud = template("fraud", { customerId: Schema.String, ip: Schema.String }, {
  fraudScore: Schema.Number,
  score: Schema.Number
})
const geo = template("geo", { ip: Schema.String }, { country: Schema.String })

describe("Flow.parallel", () => {
  it("requires what every branch requires and provides what they all write", () => {
    const p = Flow.parallel({ name: "p", branches: { credit, geo } })
    expectTypeOf<Template.Requires<typeof p>>().toEqualTypeOf<{
      readonly customerId: string
      readonly ip: string
    }>()
    expectTypeOf<Template.Provides<typeof p>>().toEqualTypeOf<{
      readonly creditScore: number
      readonly score: number
      readonly country: string
    }>()
  })

  it("two branches providing the same key is a compile error unless a merge function is given", () => {
    const p = Flow.parallel({
      name: "ok",
      branches: { credit, fraud },
      merge: { score: (values) => Math.max(...values) }
    })
    expectTypeOf<Template.Provides<typeof p>>().toEqualTypeOf<{
      readonly creditScore: number
      readonly score: number
      readonly fraudScore: number
    }>()
    Flow.parallel({
      name: "bad",
      // @ts-expect-error credit and fraud both provide score, and nothing merges it
      branches: { credit, fraud }
    })
    expectTypeOf<Clashes<{ credit: typeof credit; fraud: typeof fraud; geo: typeof geo }>>().toEqualTypeOf<"score">()
  })

  it("a merge function is only for keys that clash, and is typed by them", () => {
    Flow.parallel({
      name: "bad",
      branches: { credit, geo },
      // @ts-expect-error country is written by one branch only: there is nothing to merge
      merge: { country: (values) => values[0]! }
    })
    Flow.parallel({
      name: "bad",
      branches: { credit, fraud },
      // @ts-expect-error the merged score must be a number
      merge: { score: (values) => String(values[0]) }
    })
  })

  it("mode \"first\" provides what every branch provides; a key only some write is optional", () => {
    const p = Flow.parallel({ name: "race", mode: "first", branches: { credit, fraud } })
    expectTypeOf<Template.Provides<typeof p>>().toEqualTypeOf<{
      readonly score: number
      readonly creditScore?: number
      readonly fraudScore?: number
    }>()
    const readsScore = step("reads_score", { score: Schema.Number }, {})
    const readsCreditScore = step("reads_credit_score", { creditScore: Schema.Number }, {})
    Template.make({ name: "good", version: "1", steps: [p, readsScore] })
    Template.make({
      name: "bad",
      version: "1",
      steps: [
        p,
        // @ts-expect-error only the credit branch writes creditScore
        readsCreditScore
      ]
    })
  })
})

describe("flow nodes in composeWorkflow", () => {
  it("a template holding flow nodes composes like any other, keeping the checks", () => {
    const decide = Template.make({
      name: "decide",
      version: "1",
      steps: [Flow.branch({ name: "route", requires: { status: Status }, when: ({ status }) => status !== "ok", then: fix, else: keep })]
    })
    const reportT = Template.make({ name: "report", version: "1", steps: [readsAction] })
    const closeT = Template.make({ name: "close", version: "1", steps: [readsTicket] })
    const flow = composeWorkflow(decide, reportT)
    expectTypeOf<Template.Requires<typeof flow>>().toEqualTypeOf<{
      readonly status: "ok" | "degraded" | "down"
      readonly equipmentId: string
    }>()
    // @ts-expect-error ticket is provided by one arm of decide's branch only
    composeWorkflow(decide, closeT)
  })
})
