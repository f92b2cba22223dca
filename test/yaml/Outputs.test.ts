/**
 * Named outputs (`output:` / `as:` renaming what a registered step writes)
 * and per-step conditions (`if:`): checked like every other wiring, each
 * problem at its position; a key written only under a condition may be
 * missing downstream.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Schema } from "effect"
import { Testing } from "weftjs"
import type { Yaml } from "weftjs/yaml"
import { errorsOf, expectErrors, flow, load, part, step } from "./support.js"

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }

const registry: Yaml.Registry = {
  steps: {
    price: step("price", { sku: Schema.String }, { amount: Schema.Number }, ({ sku }) => ({ amount: sku.length })),
    quote: step("quote", {}, { amount: Schema.Number, currency: Schema.String }, () => ({ amount: 3, currency: "EUR" })),
    show: step("show", { amount: Schema.Number }, { shown: Schema.String }, ({ amount }) => ({ shown: `${amount}` }))
  }
}

describe("output: renames what a step writes", () => {
  it.effect("a step's keys under other names; the step reads and writes as before", () =>
    Effect.gen(function*() {
      const source = flow(
        "name: renames",
        "version: 1",
        "inputs: { sku: string }",
        "steps:",
        "  - use: price",
        "    output: unit_price",
        "  - use: quote",
        "    as: { amount: quoted, currency: cur }",
        "  - use: show",
        "    with: { amount: \"${unit_price + quoted}\" }"
      )
      const loaded = load(source, registry)
      const result = yield* Testing.runTemplate(loaded, { sku: "abcd" })
      expect(result.state).toMatchObject({ unit_price: 4, quoted: 3, cur: "EUR", shown: "7" })
      expect(Object.hasOwn(result.state, "amount")).toBe(false)
    }).pipe(Effect.provide(Testing.layer(settings))))

  it("a rename of a key the step does not write, two keys to one, a key of another type, both output and as: positioned", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "inputs: { sku: string, label: string }",
          "steps:",
          "  - use: quote",
          "    output: { amout: a, currency: a }",
          "  - use: quote",
          "    id: q2",
          "    output: label",
          "  - use: price",
          "    output: label",
          "    as: other",
          "  - use: quote",
          "    id: q3",
          "    output: { amount: currency }"
        ),
        registry
      ),
      [
        ["6:15", `step "quote" does not write "amout" (did you mean "amount"?)`],
        ["9:13", `step "q2" writes "amount" and "currency": rename its keys one by one`],
        ["11:13", `step "price" (price) writes "label" as number, but "label" is string here (written by the input): give it another name`],
        ["12:5", `"as" is another name for "output": write one of them`],
        ["15:13", `"amount" is renamed to "currency", which step "q3" writes too: rename "currency" as well`],
        ["15:23", `step "q3" (quote) writes "currency" as number, but "currency" is string here (written by step "q2")`]
      ]
    )
  })
})

describe("if: on a step", () => {
  it.effect("runs the step only when the condition holds", () =>
    Effect.gen(function*() {
      const source = flow(
        "name: conditional",
        "version: 1",
        "inputs: { sku: string, big: boolean }",
        "steps:",
        "  - use: price",
        "    if: big",
        "  - id: total",
        "    transform: ${amount ?? 0}"
      )
      const loaded = load(source, registry)
      expect((yield* Testing.runTemplate(loaded, { sku: "abc", big: true })).state).toMatchObject({ amount: 3, total: 3 })
      const small = yield* Testing.runTemplate(loaded, { sku: "abc", big: false })
      expect(small.state["total"]).toBe(0)
      expect(Object.hasOwn(small.state, "amount")).toBe(false)
    }).pipe(Effect.provide(Testing.layer(settings))))

  it.effect("on control flow and durable steps too: a forEach, a template, a sleep", () =>
    Effect.gen(function*() {
      const withTemplate: Yaml.Registry = { steps: { ...registry.steps }, templates: [part("priced", { sku: Schema.String }, { listed: Schema.Boolean }, () => ({ listed: true }))] }
      const source = flow(
        "name: conditional_kinds",
        "version: 1",
        "inputs: { skus: \"string[]\", sku: string, go: boolean }",
        "steps:",
        "  - id: each",
        "    if: go",
        "    forEach: { over: skus, as: sku, collect: amount, into: amounts, steps: [{ use: price }] }",
        "  - use: priced",
        "    if: not go",
        "  - id: nap",
        "    if: go",
        "    sleep: 1ms",
        "  - id: summary",
        "    transform: { amounts: \"${amounts ?? []}\", listed: \"${listed ?? false}\" }"
      )
      const loaded = load(source, withTemplate)
      const on = yield* Testing.runTemplate(loaded, { skus: ["a", "bb"], sku: "x", go: true })
      expect(on.state["summary"]).toEqual({ amounts: [1, 2], listed: false })
      const off = yield* Testing.runTemplate(loaded, { skus: ["a"], sku: "x", go: false })
      expect(off.state["summary"]).toEqual({ amounts: [], listed: true })
    }).pipe(Effect.provide(Testing.layer(settings))))

  it.effect("a condition that checks keys with != null makes them present inside the step", () =>
    Effect.gen(function*() {
      const withMaybe: Yaml.Registry = {
        steps: {
          ...registry.steps,
          maybe: step("maybe", { sku: Schema.String }, { amount: Schema.NullOr(Schema.Number) }, ({ sku }) => ({ amount: sku === "" ? null : sku.length }), { onError: "skip" })
        }
      }
      const source = flow(
        "name: narrowed",
        "version: 1",
        "inputs: { sku: string }",
        "steps:",
        "  - use: maybe",
        "  - use: show",
        "    if: ${amount != null and sku != \"\"}",
        "  - id: after",
        "    transform: ${shown ?? \"none\"}"
      )
      const loaded = load(source, withMaybe)
      expect((yield* Testing.runTemplate(loaded, { sku: "abc" })).state["after"]).toBe("3")
      expect((yield* Testing.runTemplate(loaded, { sku: "" })).state["after"]).toBe("none")
      // without the check, or with another one, the key may be missing (or null) there
      expectErrors(errorsOf(source.replace("${amount != null and sku != \"\"}", "${sku != \"\"}"), withMaybe), [
        ["6:10", `step "show" reads "amount", but it may be missing here`]
      ])
      expectErrors(errorsOf(source.replace("amount != null", "amount == null"), withMaybe), [
        ["6:10", `step "show" reads "amount", but it may be missing here`]
      ])
      // after the step, the key is as it was: written by "maybe" alone, and may be missing
      expectErrors(errorsOf(`${source}  - use: show\n    id: again\n`, withMaybe), [
        ["10:10", `step "again" reads "amount", but it may be missing here: step "maybe" (line 5) may not have run`]
      ])
    }).pipe(Effect.provide(Testing.layer(settings))))

  it("a key written only under a condition, read without a default: an error at the read; a condition that is not a boolean", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "inputs: { sku: string, big: boolean }",
          "steps:",
          "  - use: price",
          "    if: ${big}",
          "  - use: show",
          "  - id: t",
          "    transform: ${amount + 1}",
          "  - use: price",
          "    id: again",
          "    if: sku"
        ),
        registry
      ),
      [
        ["7:10", `step "show" reads "amount", but it may be missing here: step "price"`],
        ["9:18", `the left side of + may be missing here`],
        ["12:9", `the condition of step "again" must be a boolean, but it is string`]
      ]
    )
  })
})
