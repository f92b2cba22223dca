/**
 * A flow's `triggers:` (cron, webhook, after another template): checked at
 * load time with positions, kept with the loaded flow (`Yaml.triggersOf`)
 * and declared with an engine like any trigger.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Engine, Trigger } from "weftjs"
import { Yaml } from "weftjs/yaml"
import { errorsOf, expectErrors, flow, load, part } from "./support.js"

const order = part("order", { orderId: Schema.String }, { total: Schema.Number }, () => ({ total: 42 }))
const ship = part("ship", { ref: Schema.String, amount: Schema.Number }, { shipped: Schema.Boolean }, () => ({ shipped: true }))
const registry = { steps: { ship }, templates: [order] }

const shipping = flow(
  "name: shipping",
  "version: 1",
  "inputs:",
  "  ref: string",
  "  amount: number",
  "steps:",
  "  - use: ship",
  "    with:",
  "      ref: ${inputs.ref}",
  "      amount: ${inputs.amount}",
  "triggers:",
  "  - cron: \"0 6 * * *\"",
  "    name: every-morning",
  "    timeZone: Europe/Paris",
  "    input: { ref: morning, amount: 1 }",
  "  - webhook: shipments",
  "  - after: order",
  "    name: ship-after-order",
  "    input: { ref: orderId, amount: total }"
)

describe("YAML triggers:", () => {
  it.effect("are loaded with the flow and start its runs", () =>
    Effect.gen(function*() {
      const loaded = load(shipping, registry)
      const triggers = Yaml.triggersOf(loaded)
      expect(triggers.map(Trigger.info)).toEqual([
        { name: "every-morning", kind: "cron", template: loaded.name + "@" + loaded.version, cron: "0 6 * * *", timeZone: "Europe/Paris" },
        { name: "shipments", kind: "webhook", template: loaded.name + "@" + loaded.version, signed: false },
        { name: "ship-after-order", kind: "on-end", template: loaded.name + "@" + loaded.version, from: "order@1", on: ["completed"] }
      ])
      const engine = yield* Engine.Engine
      for (const trigger of triggers) yield* engine.trigger(trigger as Trigger.Trigger<never>)
      yield* engine.run(order as unknown as Yaml.Flow, { orderId: "o-1" }, { runId: "o-1" })
      const shipped = yield* engine.await(loaded, "after:ship-after-order:o-1")
      expect(shipped.state).toMatchObject({ ref: "o-1", amount: 42, shipped: true })
      const delivered = yield* engine.deliver("shipments", { ref: "w", amount: 2 }, "k1")
      expect((yield* engine.await(loaded, delivered.runId)).state).toMatchObject({ ref: "w", shipped: true })
      expect((yield* Effect.flip(engine.deliver("shipments", { ref: 3 }, "k2"))).message).toContain("ref")
      expect((yield* engine.schedules.list).map((s) => [s.name, s.timeZone])).toEqual([["every-morning", "Europe/Paris"]])
    }).pipe(Effect.provide(Engine.layerMemory)))

  it("are checked at load time, every error positioned", () => {
    const bad = flow(
      "name: shipping",
      "version: 1",
      "inputs:",
      "  ref: string",
      "  amount: number",
      "steps:",
      "  - use: ship",
      "    with:",
  "      ref: ${inputs.ref}",
  "      amount: ${inputs.amount}",
      "triggers:",
      "  - cron: \"61 * * * *\"",
      "    name: bad-cron",
      "  - cron: \"* * * * *\"",
      "  - after: ordr",
      "    name: x",
      "  - after: order",
      "    name: y",
      "    input: { ref: orderIdd }",
      "  - webhook: w",
      "    cron: \"* * * * *\"",
      "  - cron: \"* * * * *\"",
      "    name: z",
      "    overlap: sometimes"
    )
    expectErrors(errorsOf(bad, registry), [
      ["12:11", "cron \"61 * * * *\""],
      ["14:5", "needs a \"name\""],
      ["15:12", "\"ordr\" is not a registered template (known: order)"],
      ["19:19", "input.ref reads \"orderIdd\", which \"order\" does not provide"],
      ["20:5", "one of \"cron\", \"webhook\" or \"after\""],
      ["24:14", "overlap must be one of skip, allow, bufferOne"]
    ])
  })
})
