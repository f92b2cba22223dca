import { describe, expect, it } from "@effect/vitest"
import { Effect, Ref, Schedule, Schema } from "effect"
import { composeWorkflow, Errors, Step, Template, Testing } from "weftjs"
import { checkEquipment, flow, goodInput, processControl, report, validateInputs } from "./fixtures.js"

describe("Template.make", () => {
  it("computes requiredState and providedState at run time", () => {
    expect(processControl.requiredState).toEqual(["equipmentId", "processParams"])
    expect(processControl.providedState).toEqual(["validated", "equipmentStatus"])
    expect(report.requiredState).toEqual(["equipmentStatus"])
  })

  it.effect("validate() accepts a good template", () => processControl.validate())

  it.effect("validate() rejects an empty template", () =>
    Effect.gen(function*() {
      const empty = Template.make({ name: "empty", version: "1", steps: [] })
      const error = yield* Effect.flip(empty.validate())
      expect(error).toBeInstanceOf(Errors.InvalidTemplate)
      expect(error.reason).toBe("empty")
    }))

  it.effect("validate() rejects duplicate step names, naming the step", () =>
    Effect.gen(function*() {
      const twice = Template.make({ name: "twice", version: "1", steps: [validateInputs, validateInputs] })
      const error = yield* Effect.flip(twice.validate())
      expect(error.reason).toBe("duplicate-step")
      expect(error.message).toContain("validate_inputs")
    }))

  it.effect("validate() checks nested templates", () =>
    Effect.gen(function*() {
      const inner = Template.make({ name: "inner", version: "1", steps: [checkEquipment, checkEquipment] })
      const outer = Template.make({ name: "outer", version: "1", steps: [validateInputs, inner] })
      expect((yield* Effect.flip(outer.validate())).template).toBe("inner")
    }))

  it.effect("a run of an invalid template fails before anything runs", () =>
    Effect.gen(function*() {
      const twice = Template.make({ name: "twice", version: "1", steps: [validateInputs, validateInputs] })
      const error = yield* Effect.flip(Testing.runTemplate(twice, goodInput))
      expect(error._tag).toBe("InvalidTemplate")
    }))

  it.effect("a template can be a step of another template", () =>
    Effect.gen(function*() {
      const outer = Template.make({ name: "outer", version: "2", steps: [processControl, report.steps[0]!] })
      expect(outer.requiredState).toEqual(["equipmentId", "processParams"])
      const result = yield* Testing.runTemplate(
        Template.make({
          name: "outer",
          version: "2",
          steps: [processControl, Step.make({
            name: "summary",
            requires: { equipmentStatus: Schema.String },
            provides: { summary: Schema.String },
            run: ({ equipmentStatus }) => Effect.succeed({ summary: equipmentStatus.toUpperCase() })
          })]
        }),
        goodInput
      )
      expect(result.state.summary).toBe("OK")
      expect(result.trace.map((e) => e.step)).toEqual([
        "process_control/validate_inputs",
        "process_control/check_equipment_status",
        "summary"
      ])
    }))

  it.effect("a template's retry policy applies to its steps that declare none", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make(0)
      const failing = Step.make({
        name: "failing",
        requires: {},
        provides: { x: Schema.Number },
        run: () => Effect.zipRight(Ref.update(calls, (c) => c + 1), Effect.fail("nope" as const))
      })
      const t = Template.make({ name: "t", version: "1", steps: [failing], retry: Schedule.recurs(5) })
      yield* Effect.flip(Testing.runTemplate(t, {}))
      expect(yield* Ref.get(calls)).toBe(6)
    }))
})

describe("local keys", () => {
  const scratch = Step.make({
    name: "scratch",
    requires: { text: Schema.String },
    provides: { words: Schema.Array(Schema.String) },
    run: ({ text }) => Effect.succeed({ words: text.split(" ") })
  })
  const count = Step.make({
    name: "count",
    requires: { words: Schema.Array(Schema.String) },
    provides: { wordCount: Schema.Number },
    run: ({ words }) => Effect.succeed({ wordCount: words.length })
  })
  const counter = Template.make({ name: "counter", version: "1", steps: [scratch, count], local: ["words"] })

  it("are not in providedState", () => {
    expect(counter.providedState).toEqual(["wordCount"])
  })

  it.effect("are dropped from the state when the template ends", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(counter, { text: "a b c" })
      expect(result.state).toEqual({ text: "a b c", wordCount: 3 })
      expect("words" in result.state).toBe(false)
    }))

  it.effect("a later template that reads a dropped key gets it as an outside requirement", () =>
    Effect.gen(function*() {
      const reader = Template.make({ name: "reader", version: "1", steps: [count] })
      const composite = composeWorkflow(counter, Template.make({
        name: "again",
        version: "1",
        steps: [Step.make({
          name: "recount",
          requires: { words: Schema.Array(Schema.String) },
          provides: { again: Schema.Number },
          run: ({ words }) => Effect.succeed({ again: words.length })
        })]
      }))
      expect(reader.requiredState).toEqual(["words"])
      expect(composite.requiredState).toEqual(["text", "words"])
      const result = yield* Testing.runTemplate(composite, { text: "a b", words: ["x"] })
      expect(result.state.again).toBe(1)
    }))

  it.effect("validate() rejects a local key that no step writes", () =>
    Effect.gen(function*() {
      const bad = Template.make({ name: "bad", version: "1", steps: [count], local: ["nope" as "wordCount"] })
      expect((yield* Effect.flip(bad.validate())).reason).toBe("unknown-local-key")
    }))
})

describe("composeWorkflow", () => {
  it("concatenates parts; requirements nobody upstream provides become the composite's", () => {
    expect(flow.requiredState).toEqual(["equipmentId", "processParams"])
    expect(flow.providedState).toEqual(["validated", "equipmentStatus", "report"])
    expect(flow.name).toBe("process_control+report")
    expect(flow.version).toBe("process_control@1.0+report@1.0")
  })

  it.effect("runs the parts in order and keeps their names in the trace", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(flow, goodInput)
      expect(result.state).toEqual({
        ...goodInput,
        validated: true,
        equipmentStatus: "ok",
        report: "status: ok"
      })
      expect(result.trace.map((entry) => entry.step)).toEqual([
        "process_control/validate_inputs",
        "process_control/check_equipment_status",
        "report/write_report"
      ])
    }))

  it.effect("input must satisfy every part that reads an outside key", () =>
    Effect.gen(function*() {
      const wide = Template.make({ name: "wide", version: "1", steps: [Step.make({
        name: "wide", requires: { mode: Schema.String }, provides: {}, run: () => Effect.succeed({})
      })] })
      const narrow = Template.make({ name: "narrow", version: "1", steps: [Step.make({
        name: "narrow", requires: { mode: Schema.Literal("a", "b") }, provides: {}, run: () => Effect.succeed({})
      })] })
      const both = composeWorkflow(wide, narrow)
      yield* Testing.runTemplate(both, { mode: "a" })
      const error = yield* Effect.flip(Testing.runTemplate(both, { mode: "c" as "a" }))
      expect(error._tag).toBe("InvalidInput")
    }))

  it.effect("the same template twice gets distinct step keys", () =>
    Effect.gen(function*() {
      const twice = composeWorkflow(processControl, processControl)
      yield* twice.validate()
      const result = yield* Testing.runTemplate(twice, goodInput)
      expect(result.trace.map((e) => e.step)).toEqual([
        "process_control/validate_inputs",
        "process_control/check_equipment_status",
        "process_control#2/validate_inputs",
        "process_control#2/check_equipment_status"
      ])
    }))

  it("composes 50 templates", () => {
    const parts = Array.from({ length: 50 }, (_, i) =>
      Template.make({
        name: `t${i}`,
        version: "1",
        steps: [Step.make({
          name: `s${i}`,
          requires: { [`k${i}`]: Schema.Number },
          provides: { [`k${i + 1}`]: Schema.Number },
          run: (input) => Effect.succeed({ [`k${i + 1}`]: (input as Record<string, number>)[`k${i}`]! + 1 })
        })]
      }))
    const composite = composeWorkflow(...(parts as unknown as [Template.Template.Any]))
    expect(composite.requiredState).toEqual(["k0"])
    expect(composite.providedState).toHaveLength(50)
  })
})
