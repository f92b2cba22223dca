/**
 * Search attributes through the engine: a template's declared keys are
 * promoted to the store's search index from the run's input and at every
 * checkpoint that changes them (on memory and SQLite stores), nested
 * templates' too; `engine.list({ where })` finds the runs. The text form of
 * a condition (`--where`, `where=`) parses back what it prints.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Schema } from "effect"
import * as fc from "fast-check"
import { composeWorkflow, Engine, Settings, SnapshotStore, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { formatWhere, parseWhere } from "../../src/internal/fleet/where.js"
import type { SearchCondition } from "../../src/SnapshotStore.js"
import { tempFile } from "../support.js"

const price = Step.make({
  name: "price",
  requires: { orderId: Schema.Number },
  provides: { amount: Schema.Number, status: Schema.String },
  run: ({ orderId }) => Effect.succeed({ amount: orderId % 1000, status: "priced" })
})
const ship = Step.make({
  name: "ship",
  requires: { amount: Schema.Number },
  provides: { status: Schema.String, carrier: Schema.Struct({ name: Schema.String }) },
  run: ({ amount }) => Effect.succeed({ status: amount > 500 ? "express" : "shipped", carrier: { name: "dhl" } })
})
const orders = Template.make({
  name: "orders",
  version: "1",
  steps: [price, ship],
  searchAttributes: ["orderId", "amount", "status", "carrier"]
})
const audit = Template.make({
  name: "audit",
  version: "1",
  steps: [Step.make({
    name: "audit",
    requires: { status: Schema.String },
    provides: { audited: Schema.Boolean },
    run: () => Effect.succeed({ audited: true })
  })],
  searchAttributes: ["audited"]
})
const composite = composeWorkflow(orders, audit)

const stores = {
  memory: SnapshotStore.layerMemory,
  sqlite: Layer.unwrapScoped(Effect.map(tempFile, (filename) => Sqlite.layerStore({ filename })))
}

describe.each(Object.entries(stores))("search attributes through the engine (%s)", (_, store) => {
  const live = Layer.provideMerge(Engine.layer, Layer.merge(store, Settings.layerWith({})))

  it.scoped("promoted from the input and by checkpoints; engine.list finds runs by them", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const s = yield* SnapshotStore.SnapshotStore
      for (const orderId of [4711, 4200, 5600]) yield* engine.run(orders, { orderId }, { runId: `o-${orderId}` })
      yield* engine.run(composite, { orderId: 9999 }, { runId: "c-9999" })
      expect(yield* s.searchAttributes("o-4711")).toEqual({
        amount: 711,
        carrier: "{\"name\":\"dhl\"}",
        orderId: 4711,
        status: "express"
      })
      // a nested template's attributes are the composite run's
      expect(yield* s.searchAttributes("c-9999")).toMatchObject({ orderId: 9999, audited: "true", status: "express" })
      const ids = (filter: SnapshotStore.RunFilter) => Effect.map(engine.list(filter), (runs) => runs.map((r) => r.runId))
      expect(yield* ids({ where: [{ key: "orderId", op: "=", value: 4711 }] })).toEqual(["o-4711"])
      expect(yield* ids({ where: [{ key: "amount", op: "<", value: 300 }] })).toEqual(["o-4200"])
      expect(yield* ids({ where: [{ key: "status", op: "=", value: "express" }, { key: "orderId", op: "<", value: 5000 }] }))
        .toEqual(["o-4711"])
      expect(yield* ids({ where: [{ key: "audited", op: "=", value: "true" }] })).toEqual(["c-9999"])
      expect([...(yield* ids({ runIdPrefix: "o-4" }))].sort()).toEqual(["o-4200", "o-4711"])
    }).pipe(Effect.provide(live)))

  it.scoped("a template without search attributes writes none", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const plain = Template.make({ name: "plain", version: "1", steps: [price] })
      yield* engine.run(plain, { orderId: 1 }, { runId: "p-1" })
      expect(yield* (yield* SnapshotStore.SnapshotStore).searchAttributes("p-1")).toEqual({})
    }).pipe(Effect.provide(live)))
})

describe("the text form of a search condition", () => {
  it("parses numbers as numbers, quoted values as text, anything else as text", () => {
    expect(parseWhere("orderId=4711")).toEqual(Either.right({ key: "orderId", op: "=", value: 4711 }))
    expect(parseWhere(" amount >= 100.5 ")).toEqual(Either.right({ key: "amount", op: ">=", value: 100.5 }))
    expect(parseWhere("orderId=\"4711\"")).toEqual(Either.right({ key: "orderId", op: "=", value: "4711" }))
    expect(parseWhere("customer!=ada lovelace")).toEqual(Either.right({ key: "customer", op: "!=", value: "ada lovelace" }))
    expect(parseWhere("note=a=b")).toEqual(Either.right({ key: "note", op: "=", value: "a=b" }))
    expect(Either.isLeft(parseWhere("orderId"))).toBe(true)
    expect(Either.isLeft(parseWhere("=4711"))).toBe(true)
    expect(Either.isLeft(parseWhere("k=\"unterminated"))).toBe(false) // text as given
    expect(Either.getLeft(parseWhere("k=\"a\\q\""))._tag).toBe("Some")
  })

  it("never throws, and what it prints parses back to the same condition (property)", () => {
    fc.assert(fc.property(fc.string(), (text) => {
      parseWhere(text)
    }))
    const condition: fc.Arbitrary<SearchCondition> = fc.record({
      key: fc.string({ minLength: 1 }).filter((k) => !/[<>=!]/.test(k) && k.trim() === k && k !== ""),
      op: fc.constantFrom("=", "!=", "<", "<=", ">", ">=" as const),
      value: fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => Object.is(n, -0) ? 0 : n))
    })
    fc.assert(fc.property(condition, (c) => {
      expect(parseWhere(formatWhere(c))).toEqual(Either.right(c))
    }), { examples: [[{ key: "\"", op: ">", value: "=" }], [{ key: "k", op: "<", value: "==x" }]] })
  })
})
