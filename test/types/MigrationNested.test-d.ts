/**
 * Positions inside nested nodes: a migration may map a node inside a nested
 * template, a branch's arm or a loop's body (at any depth), and between two
 * composites; it compiles only when what the old version has there covers
 * what the new version needs from there on — the rest of the arm or body,
 * the loop again, then the rest of the enclosing templates. Nodes inside a
 * forEach's or parallel's template are refused with a sentence.
 */
import { Effect, Schema } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import { composeWorkflow, Durable, Flow, Step, Template } from "weftjs"
import type { CheckMapping } from "../../src/internal/types/positions.js"

const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF
) => Step.make({ name, requires, provides, run: () => Effect.succeed({} as Step.Slice<PF>) })

const Ok = Schema.Struct({ ok: Schema.Boolean })
const quote = step("quote", { sku: Schema.String }, { price: Schema.Number })
const approve = Durable.waitForSignal("approve", Ok)
const approval = Durable.waitForSignal("approval", Ok, { key: "approve" })
const bill = step("bill", { price: Schema.Number, approve: Ok }, { billed: Schema.Boolean })
const billIn = step("bill", { price: Schema.Number, approve: Ok, currency: Schema.String }, { billed: Schema.Boolean })
const ship = step("ship", { billed: Schema.Boolean }, { shipped: Schema.Boolean })
const shipTo = step("ship", { billed: Schema.Boolean, address: Schema.String }, { shipped: Schema.Boolean })

const review1 = Template.make({ name: "review", version: "1", steps: [approve, bill] })
const review2 = Template.make({ name: "review", version: "2", steps: [approval, billIn] })
const auto = Template.make({ name: "auto", version: "1", steps: [step("auto", { price: Schema.Number }, { billed: Schema.Boolean })] })
const route1 = Flow.branch({ name: "route", requires: { price: Schema.Number }, when: ({ price }) => price > 100, then: review1, else: auto })
const route2 = Flow.branch({ name: "route", requires: { price: Schema.Number }, when: ({ price }) => price > 100, then: review2, else: auto })
const v1 = Template.make({ name: "order", version: "1", steps: [quote, route1, ship] })
const v2 = Template.make({ name: "order", version: "2", steps: [quote, route2, ship] })
const v2ship = Template.make({ name: "order", version: "2", steps: [quote, route2, shipTo] })

describe("positions inside a branch's arm", () => {
  it("accepts a wait mapped to a renamed wait inside the arm, with what the rest of the arm needs", () => {
    Template.migration(v1, v2, (at) => [at(approve, approval, () => ({ currency: "EUR" }))])
  })

  it("the state function sees the state at the nested node: the input and what ran before it, at every level", () => {
    Template.migration(v1, v2, (at) => [
      at(approve, approval, (state) => {
        expectTypeOf(state).toEqualTypeOf<{ readonly sku: string; readonly price: number }>()
        return { currency: "EUR" }
      })
    ])
  })

  it("refuses a key the rest of the arm needs, naming the nested positions", () => {
    Template.migration(v1, v2, (at) => [
      // @ts-expect-error the arm's bill needs 'currency', which v1 never provided
      at(approve, approval)
    ])
    expectTypeOf<CheckMapping<typeof v1, typeof v2, typeof approve, typeof approval, {}>>().toEqualTypeOf<
      "weft: a run migrated at from.steps[1].then.steps[0] goes on at to.steps[1].then.steps[0], which (or a node after it) requires 'currency', but the old version has not provided it by then and the state function does not add it"
    >()
  })

  it("refuses a key a node after the branch needs (the rest of the enclosing template counts)", () => {
    Template.migration(v1, v2ship, (at) => [
      // @ts-expect-error ship, after the branch, needs 'address'
      at(approve, approval, () => ({ currency: "EUR" }))
    ])
    expectTypeOf<CheckMapping<typeof v1, typeof v2ship, typeof approve, typeof approval, { currency: string }>>()
      .toEqualTypeOf<
        "weft: a run migrated at from.steps[1].then.steps[0] goes on at to.steps[1].then.steps[0], which (or a node after it) requires 'address', but the old version has not provided it by then and the state function does not add it"
      >()
    Template.migration(v1, v2ship, (at) => [at(approve, approval, () => ({ currency: "EUR", address: "Main St" }))])
  })

  it("a top-level node may be mapped to a nested one and back", () => {
    const flat = Template.make({ name: "order", version: "0", steps: [quote, approve, bill, ship] })
    Template.migration(flat, v2, (at) => [at(approve, approval, () => ({ currency: "EUR" }))])
    Template.migration(v2, flat, (at) => [at(approval, approve)])
  })
})

describe("positions inside a loop's body", () => {
  const poll = step("poll", { deviceId: Schema.String }, { ready: Schema.Boolean })
  const nap = Durable.sleep("nap", "1 minute")
  const pollWith = step("poll", { deviceId: Schema.String, region: Schema.String }, { ready: Schema.Boolean })
  const body1 = Template.make({ name: "probe", version: "1", steps: [nap, poll] })
  const body2 = Template.make({ name: "probe", version: "2", steps: [nap, pollWith] })
  const wait1 = Flow.loop({ name: "wait", requires: { ready: Schema.Boolean }, while: ({ ready }) => !ready, check: "after", body: body1, maxIterations: 5 })
  const wait2 = Flow.loop({ name: "wait", requires: { ready: Schema.Boolean }, while: ({ ready }) => !ready, check: "after", body: body2, maxIterations: 5 })
  const l1 = Template.make({ name: "device", version: "1", steps: [wait1] })
  const l2 = Template.make({ name: "device", version: "2", steps: [wait2] })

  it("accepts a sleep inside the body when the state function gives what the next iterations need", () => {
    Template.migration(l1, l2, (at) => [at(nap, nap, () => ({ region: "eu" }))])
  })

  it("refuses it otherwise, naming the body's position", () => {
    Template.migration(l1, l2, (at) => [
      // @ts-expect-error the body's poll needs 'region'
      at(nap, nap)
    ])
    expectTypeOf<CheckMapping<typeof l1, typeof l2, typeof nap, typeof nap, {}>>().toEqualTypeOf<
      "weft: a run migrated at from.steps[0].body.steps[0] goes on at to.steps[0].body.steps[0], which (or a node after it) requires 'region', but the old version has not provided it by then and the state function does not add it"
    >()
  })
})

describe("the loop runs again after its body", () => {
  const poll = step("poll", { deviceId: Schema.String }, { ready: Schema.Boolean })
  const pollWith = step("poll", { deviceId: Schema.String, region: Schema.String }, { ready: Schema.Boolean })
  const nap = Durable.sleep("nap", "1 minute")
  const body1 = Template.make({ name: "probe", version: "1", steps: [poll, nap] })
  const body2 = Template.make({ name: "probe", version: "2", steps: [pollWith, nap] })
  const loop1 = Flow.loop({ name: "wait", requires: { ready: Schema.Boolean }, while: ({ ready }) => !ready, check: "after", body: body1, maxIterations: 5 })
  const loop2 = Flow.loop({ name: "wait", requires: { ready: Schema.Boolean }, while: ({ ready }) => !ready, check: "after", body: body2, maxIterations: 5 })
  const l1 = Template.make({ name: "device", version: "1", steps: [loop1] })
  const l2 = Template.make({ name: "device", version: "2", steps: [loop2] })

  it("refuses a key only the next iteration needs (the last node of the body is not the end)", () => {
    expectTypeOf<CheckMapping<typeof l1, typeof l2, typeof nap, typeof nap, {}>>().toEqualTypeOf<
      "weft: a run migrated at from.steps[0].body.steps[1] goes on at to.steps[0].body.steps[1], which (or a node after it) requires 'region', but the old version has not provided it by then and the state function does not add it"
    >()
    Template.migration(l1, l2, (at) => [at(nap, nap, () => ({ region: "eu" }))])
  })
})

describe("positions inside forEach and parallel", () => {
  const item = step("item", { line: Schema.String }, { done: Schema.Boolean })
  const wait = Durable.waitForSignal("each", Ok)
  const body = Template.make({ name: "line", version: "1", steps: [wait, item] })
  const each = Flow.forEach({ name: "lines", over: "lines", as: "line", body, collect: "done", into: "dones" })
  const e1 = Template.make({ name: "batch", version: "1", steps: [each] })
  const e2 = Template.make({ name: "batch", version: "2", steps: [each] })

  it("refuses a node inside a forEach's template with a sentence, and accepts the forEach itself", () => {
    Template.migration(e1, e2, (at) => [
      // @ts-expect-error elements stand each at their own place
      at(wait, wait)
    ])
    expectTypeOf<CheckMapping<typeof e1, typeof e2, typeof wait, typeof wait, {}>>().toEqualTypeOf<
      "weft: a run cannot be migrated at from.steps[0].body.steps[0]: it is inside a forEach or parallel, whose elements or branches each stand at their own place on a view of their own; map the forEach or parallel node itself"
    >()
    Template.migration(e1, e2, (at) => [at(each, each)])
  })

  it("refuses a node inside a parallel's branch", () => {
    const other = Template.make({ name: "other", version: "1", steps: [step("x", {}, { x: Schema.Number })] })
    const par = Flow.parallel({ name: "par", branches: { review: review1, other } })
    const p1 = Template.make({ name: "par", version: "1", steps: [quote, par] })
    expectTypeOf<CheckMapping<typeof p1, typeof p1, typeof approve, typeof approve, {}>>().toEqualTypeOf<
      "weft: a run cannot be migrated at from.steps[1].review.steps[0]: it is inside a forEach or parallel, whose elements or branches each stand at their own place on a view of their own; map the forEach or parallel node itself"
    >()
  })
})

describe("composites", () => {
  const pricing = Template.make({ name: "pricing", version: "1", steps: [quote] })
  const shipping = Template.make({ name: "shipping", version: "1", steps: [ship] })
  const c1 = composeWorkflow(pricing, review1, shipping)
  const c2 = composeWorkflow(pricing, review2, shipping)

  it("carry their parts' nodes as positions: a migration between composites is checked the same way", () => {
    Template.migration(c1, c2, (at) => [
      at(pricing, pricing, () => ({ currency: "EUR" })),
      at(approve, approval, () => ({ currency: "EUR" })),
      at(shipping, shipping)
    ])
  })

  it("refuses what the new composite needs from a position on, naming the position inside the part", () => {
    Template.migration(c1, c2, (at) => [
      // @ts-expect-error review2's bill needs 'currency'
      at(approve, approval)
    ])
    expectTypeOf<CheckMapping<typeof c1, typeof c2, typeof approve, typeof approval, {}>>().toEqualTypeOf<
      "weft: a run migrated at from.steps[1].steps[0] goes on at to.steps[1].steps[0], which (or a node after it) requires 'currency', but the old version has not provided it by then and the state function does not add it"
    >()
    expectTypeOf<CheckMapping<typeof c1, typeof c2, typeof pricing, typeof pricing, {}>>().toEqualTypeOf<
      "weft: a run migrated at from.steps[0] goes on at to.steps[0], which (or a node after it) requires 'currency', but the old version has not provided it by then and the state function does not add it"
    >()
  })
})
