/**
 * Type-level contract of the built-in steps (`Steps`, `HttpStep`): each is
 * an ordinary `Step` reading its `requires`, writing its value under its
 * `output` key (typed by its Schema: text for a command without `json`,
 * `unknown` for a read without `schema`), failing with its own errors; a
 * skippable one writes an optional key and cannot fail; settings computed
 * from the input see the input typed.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { type Errors, Step, Steps, Template } from "weftjs"
import { HttpStep } from "weftjs/http"

const Item = Schema.Struct({ id: Schema.String, n: Schema.Number })

describe("Steps", () => {
  it("command: text by default, the json Schema's type otherwise; its errors", () => {
    const text = Steps.command({ name: "t", requires: { file: Schema.String }, output: "lines", program: "wc", args: ({ file }) => ["-l", file] })
    expectTypeOf(text).toEqualTypeOf<Step.Step<{ readonly file: string }, { readonly lines: string }, Errors.CommandFailed | Errors.ValueInvalid>>()
    const json = Steps.command({ name: "j", output: "item", program: "x", json: Item })
    expectTypeOf(json).toEqualTypeOf<Step.Step<{}, { readonly item: { readonly id: string; readonly n: number } }, Errors.CommandFailed | Errors.ValueInvalid>>()
    // @ts-expect-error: args computed from the input see it typed (file is a string)
    Steps.command({ name: "t", requires: { file: Schema.String }, output: "x", program: "wc", args: ({ file }) => [file * 2] })
  })

  it("read, write, transform, validate", () => {
    expectTypeOf(Steps.read({ name: "r", output: "raw", root: ".", path: "a.json" })).toEqualTypeOf<
      Step.Step<{}, { readonly raw: unknown }, Errors.FileFailed | Errors.ValueInvalid>
    >()
    expectTypeOf(Steps.read({ name: "r", output: "items", root: ".", path: "a.json", schema: Schema.Array(Item) }))
      .toEqualTypeOf<Step.Step<{}, { readonly items: ReadonlyArray<{ readonly id: string; readonly n: number }> }, Errors.FileFailed | Errors.ValueInvalid>>()
    expectTypeOf(Steps.write({ name: "w", requires: { items: Schema.Array(Item) }, output: "saved", root: ".", path: "out.json", value: ({ items }) => items }))
      .toEqualTypeOf<Step.Step<{ readonly items: ReadonlyArray<{ readonly id: string; readonly n: number }> }, { readonly saved: string }, Errors.FileFailed>>()
    expectTypeOf(Steps.transform({ name: "t", requires: { n: Schema.Number }, output: "twice", schema: Schema.Number, run: ({ n }) => n * 2 }))
      .toEqualTypeOf<Step.Step<{ readonly n: number }, { readonly twice: number }, never>>()
    // @ts-expect-error: a transform's value must be of its Schema's type
    Steps.transform({ name: "t", requires: { n: Schema.Number }, output: "twice", schema: Schema.Number, run: ({ n }) => `${n}` })
    expectTypeOf(Steps.validate({ name: "v", requires: { raw: Schema.Unknown }, output: "item", schema: Item, value: ({ raw }) => raw }))
      .toEqualTypeOf<Step.Step<{ readonly raw: unknown }, { readonly item: { readonly id: string; readonly n: number } }, Errors.ValueInvalid>>()
  })

  it("onError: skip makes the key optional and the step infallible", () => {
    const skipped = Steps.command({ name: "s", output: "out", program: "x", onError: "skip" })
    expectTypeOf(skipped).toEqualTypeOf<Step.Step<{}, { readonly out?: string }, never>>()
  })

  it("wires like any step: a later step reading the output with another type is a compile error", () => {
    const count = Steps.command({ name: "count", output: "lines", program: "wc" })
    const double = { name: "double", requires: { lines: Schema.Number }, provides: { twice: Schema.Number }, run: ({ lines }: { readonly lines: number }) => Effect.succeed({ twice: lines * 2 }) }
    const show = { name: "show", requires: { lines: Schema.String }, provides: { shown: Schema.String }, run: ({ lines }: { readonly lines: string }) => Effect.succeed({ shown: lines }) }
    Template.make({ name: "ok", version: "1", steps: [count, Step.make(show)] })
    // @ts-expect-error: "lines" is a string (the command's output), "double" reads it as a number
    Template.make({ name: "bad", version: "1", steps: [count, Step.make(double)] })
  })
})

describe("HttpStep", () => {
  it("the response's Schema type under the output key; its errors", () => {
    const get = HttpStep.make({ name: "g", requires: { id: Schema.String }, output: "order", url: ({ id }) => `https://x.example/${id}`, schema: Item })
    expectTypeOf(get).toEqualTypeOf<
      Step.Step<{ readonly id: string }, { readonly order: { readonly id: string; readonly n: number } }, Errors.HttpFailed | Errors.ValueInvalid>
    >()
  })
})
