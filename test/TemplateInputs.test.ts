/**
 * Declared inputs at run time (`requiredState`, `requirements`,
 * `validate()` agree with the types), and `Template.label`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import * as fc from "fast-check"
import { composeWorkflow, Engine, Errors, Flow, Step, Template, Workflow } from "weftjs"

const Line = Schema.Struct({ sku: Schema.String, quantity: Schema.Number })
const parse = Step.make({
  name: "parse",
  requires: { text: Schema.String },
  provides: { lines: Schema.Array(Line) },
  run: ({ text }) => Effect.succeed({ lines: text === "" ? [] : [{ sku: text, quantity: 1 }] })
})
const priceLine = Template.make({
  name: "price_line",
  version: "1",
  steps: [Step.make({
    name: "price",
    requires: { item: Line, currency: Schema.String },
    provides: { amount: Schema.Number },
    run: ({ item }) => Effect.succeed({ amount: item.quantity * 10 })
  })]
})
const each = <const Over extends string>(over: Over) =>
  Flow.forEach({ name: "each", over, as: "item", body: priceLine, collect: "amount", into: "amounts" })

const part = (name: string, version = "1") =>
  Template.make({
    name,
    version,
    steps: [Step.make({ name, requires: {}, provides: {}, run: () => Effect.succeed({}) })]
  })

const invalidReason = (template: Template.Template.Any) =>
  Effect.map(Effect.exit(template.validate()), (exit) =>
    Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error instanceof Errors.InvalidTemplate
      ? { reason: exit.cause.error.reason, detail: exit.cause.error.detail }
      : Exit.isSuccess(exit)
      ? "valid"
      : "other")

describe("declared inputs", () => {
  it.effect("come first in requiredState and requirements, even when no step reads them", () =>
    Effect.gen(function*() {
      const t = Template.make({
        name: "t",
        version: "1",
        inputs: { text: Schema.String, currency: Schema.String, note: Schema.optional(Schema.String) },
        steps: [parse, each("lines")]
      })
      expect(t.requiredState).toEqual(["text", "currency", "note"])
      expect(t.requirements.map(([key]) => key)).toEqual(["text", "currency", "note", "text", "currency"])
      expect(Object.keys(t.inputs ?? {})).toEqual(["text", "currency", "note"])
      expect(yield* invalidReason(t)).toBe("valid")
    }))

  it.effect("validate() names an undeclared requirement, with the closest key", () =>
    Effect.gen(function*() {
      // the compiler rejects this (see test/types/Inputs.test-d.ts); built untyped, as YAML or JSON would
      const steps: ReadonlyArray<Template.Node> = [parse, each("line")]
      const t = Template.make({
        name: "typo",
        version: "1",
        inputs: { text: Schema.String, currency: Schema.String, lines: Schema.Array(Line) },
        steps: steps as never
      })
      expect(yield* invalidReason(t)).toEqual({
        reason: "undeclared-input",
        detail: `key "line" is read from outside but not declared in inputs (did you mean "lines"?)`
      })
    }))

  it.effect("with nothing close, no suggestion", () =>
    Effect.gen(function*() {
      const steps: ReadonlyArray<Template.Node> = [parse, each("lines")]
      const t = Template.make({ name: "missing", version: "1", inputs: { text: Schema.String }, steps: steps as never })
      expect(yield* invalidReason(t)).toEqual({
        reason: "undeclared-input",
        detail: `key "currency" is read from outside but not declared in inputs`
      })
    }))

  it.effect("without inputs, nothing is checked", () =>
    Effect.gen(function*() {
      const t = Template.make({ name: "loose", version: "1", steps: [parse, each("line")] })
      expect(t.inputs).toBeUndefined()
      expect(t.requiredState).toEqual(["text", "line", "currency"])
      expect(yield* invalidReason(t)).toBe("valid")
    }))

  it.effect("composeWorkflow.withInputs declares the composite's inputs", () =>
    Effect.gen(function*() {
      const parsing = Template.make({ name: "parsing", version: "1", steps: [parse] })
      const pricing = Template.make({ name: "pricing", version: "2", steps: [each("lines")] })
      const flow = composeWorkflow.withInputs({ text: Schema.String, currency: Schema.String })(parsing, pricing)
      expect(flow.name).toBe("parsing+pricing")
      expect(flow.version).toBe("parsing@1+pricing@2")
      expect(flow.requiredState).toEqual(["text", "currency"])
      expect(yield* invalidReason(flow)).toBe("valid")
      const narrow = composeWorkflow.withInputs({ text: Schema.String })(parsing, pricing as never)
      expect(yield* invalidReason(narrow)).toEqual({
        reason: "undeclared-input",
        detail: `key "currency" is read from outside but not declared in inputs`
      })
    }))

  it("a nested template's own declared inputs are checked with it", () =>
    Effect.gen(function*() {
      const inner = Template.make({ name: "inner", version: "1", inputs: { text: Schema.String }, steps: [parse, each("lines")] as never })
      const outer = Template.make({ name: "outer", version: "1", steps: [inner] })
      expect(yield* invalidReason(outer)).toEqual({
        reason: "undeclared-input",
        detail: `key "currency" is read from outside but not declared in inputs`
      })
    }).pipe(Effect.runPromise))
})

describe("Template.label", () => {
  it("is name@version for a template, the version alone for a composite", () => {
    const parsing = part("parsing")
    const pricing = part("pricing", "2.1")
    expect(Template.label(parsing)).toBe("parsing@1")
    expect(Template.label(pricing)).toBe("pricing@2.1")
    const flow = composeWorkflow(parsing, pricing, part("approval"), part("settle"))
    expect(flow.version).toBe("parsing@1+pricing@2.1+approval@1+settle@1")
    expect(Template.label(flow)).toBe("parsing@1+pricing@2.1+approval@1+settle@1")
  })

  it("a composite of composites reads flat", () => {
    const ab = composeWorkflow(part("a"), part("b"))
    const abc = composeWorkflow(ab, part("c"))
    expect(abc.name).toBe("a+b+c")
    expect(abc.version).toBe("a@1+b@1+c@1")
    expect(Template.label(abc)).toBe("a@1+b@1+c@1")
    expect(Template.label(composeWorkflow(part("solo")))).toBe("solo@1")
  })

  it("a template whose steps are templates, under its own name, is not a composite", () => {
    const outer = Template.make({ name: "outer", version: "3", steps: [part("a"), part("b")] })
    expect(Template.label(outer)).toBe("outer@3")
  })

  it("property: the label of any composite is its parts' labels joined by +", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/)
    const version = fc.stringMatching(/^[0-9]{1,2}(\.[0-9]{1,2}){0,2}$/)
    fc.assert(
      fc.property(fc.array(fc.tuple(name, version), { minLength: 1, maxLength: 6 }), (specs) => {
        const parts = specs.map(([n, v]) => part(n, v))
        const flow = composeWorkflow(...(parts as unknown as [Template.Template<{}, {}>]))
        expect(Template.label(flow)).toBe(specs.map(([n, v]) => `${n}@${v}`).join("+"))
        for (const [i, p] of parts.entries()) expect(Template.label(p)).toBe(`${specs[i]![0]}@${specs[i]![1]}`)
      })
    )
  })
})

describe("a run's input", () => {
  const echo = Template.make({
    name: "echo_unknown",
    version: "1",
    steps: [Step.make({
      name: "echo",
      requires: { payload: Schema.Unknown },
      provides: { out: Schema.Unknown },
      run: ({ payload }) => Effect.succeed({ out: payload })
    })]
  })
  const maybe = Template.make({
    name: "echo_optional",
    version: "1",
    inputs: { note: Schema.optional(Schema.Unknown) },
    steps: [Step.make({ name: "noop", requires: {}, provides: {}, run: () => Effect.succeed({}) })]
  })

  it.effect("undefined for a key read as Schema.Unknown is refused up front with InvalidInput (issue 18.8)", () =>
    Effect.gen(function*() {
      for (const input of [{ payload: undefined }, {}]) {
        const error = yield* Effect.flip(Workflow.run(echo, input as never))
        expect(error).toBeInstanceOf(Errors.InvalidInput)
        expect((error as Errors.InvalidInput).issues.map((issue) => issue.path)).toEqual([["payload"]])
      }
      // nothing was recorded for the refused runs
      const engine = yield* Engine.Engine
      expect(yield* engine.list()).toHaveLength(0)
      // a value (null included) is a value; an optional key may be left out
      expect((yield* Workflow.run(echo, { payload: null })).state.out).toBe(null)
      expect(Object.keys((yield* Workflow.run(maybe, {})).state)).not.toContain("note")
    }).pipe(Effect.provide(Engine.layerMemory)))
})
