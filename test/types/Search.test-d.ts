/**
 * Search attributes are keys of the template's state: a key the template
 * neither requires nor provides (or a local one) is a compile error naming
 * it. Every `@ts-expect-error` is preceded by a passing twin.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { Step, Template } from "weftjs"
import type { SearchChecked } from "../../src/Template.js"

const price = Step.make({
  name: "price",
  requires: { orderId: Schema.Number },
  provides: { amount: Schema.Number, scratch: Schema.String },
  run: ({ orderId }) => Effect.succeed({ amount: orderId * 2, scratch: "x" })
})

describe("Template.make({ searchAttributes })", () => {
  it("accepts required and provided keys, and records them", () => {
    const t = Template.make({ name: "orders", version: "1", steps: [price], searchAttributes: ["orderId", "amount"] })
    expectTypeOf(t.searchAttributes).toEqualTypeOf<ReadonlyArray<string>>()
  })

  it("a key the template neither requires nor provides is a compile error naming it", () => {
    Template.make({ name: "orders", version: "1", steps: [price], searchAttributes: ["orderId"] })
    // @ts-expect-error: 'orderID' is neither required nor provided
    Template.make({ name: "orders", version: "1", steps: [price], searchAttributes: ["orderID"] })
  })

  it("a local key is not searchable", () => {
    Template.make({ name: "orders", version: "1", steps: [price], local: ["scratch"], searchAttributes: ["amount"] })
    // @ts-expect-error: 'scratch' is local
    Template.make({ name: "orders", version: "1", steps: [price], local: ["scratch"], searchAttributes: ["scratch"] })
  })

  it("a declared input is searchable", () => {
    Template.make({
      name: "orders",
      version: "1",
      inputs: { orderId: Schema.Number, customer: Schema.String },
      steps: [price],
      searchAttributes: ["customer"]
    })
  })

  it("the sentence names the offending keys", () => {
    expectTypeOf<SearchChecked<readonly ["a", "b"], "a">>().toEqualTypeOf<
      "weft: search attribute 'b' is neither required nor provided by the template"
    >()
    expectTypeOf<SearchChecked<readonly ["a"], "a" | "c">>().toEqualTypeOf<unknown>()
  })
})
