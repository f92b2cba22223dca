/**
 * `defineConfig`: the compiler checks that the project's layer provides
 * every service its templates and steps need. The `@ts-expect-error` lines
 * are checked by `tsc` (`npm test` type-checks `test/`): each fails the
 * build if the line it guards compiles.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { Step, Template } from "weftjs"
import { defineConfig } from "weftjs/cli"

class Payments extends Context.Tag("test/Payments")<Payments, { readonly charge: (n: number) => number }>() {}
class Mailer extends Context.Tag("test/Mailer")<Mailer, { readonly send: (to: string) => string }>() {}

const charge = Step.make({
  name: "charge",
  requires: { amount: Schema.Number },
  provides: { charged: Schema.Number },
  run: ({ amount }) => Effect.map(Payments, (p) => ({ charged: p.charge(amount) }))
})
const mail = Step.make({
  name: "mail",
  requires: { to: Schema.String },
  provides: { sent: Schema.String },
  run: ({ to }) => Effect.map(Mailer, (m) => ({ sent: m.send(to) }))
})
const billing = Template.make({ name: "billing", version: "1", steps: [charge] })

const payments = Layer.succeed(Payments, { charge: (n) => n })
const mailer = Layer.succeed(Mailer, { send: (to) => to })

describe("defineConfig", () => {
  it("returns its argument, typed", () => {
    const config = defineConfig({
      templates: [billing],
      steps: { mail },
      flows: ["flows/*.yaml"],
      layer: Layer.mergeAll(payments, mailer)
    })
    expect(config.templates).toEqual([billing])
    expect(config.steps.mail).toBe(mail)
    expect(defineConfig({})).toEqual({})
  })

  it("is a compile error when the layer misses a service a template or a step needs", () => {
    const ok = defineConfig({ templates: [billing], layer: payments })
    // @ts-expect-error the templates need Payments, and no layer is given
    const noLayer = defineConfig({ templates: [billing] })
    // @ts-expect-error the step `mail` (for YAML flows) needs Mailer, which the layer does not provide
    const missing = defineConfig({ templates: [billing], steps: { mail }, layer: payments })
    // @ts-expect-error a layer is a Layer
    const notALayer = defineConfig({ templates: [billing], layer: { Payments: payments } })
    expect([ok, noLayer, missing, notALayer].every((c) => c.templates?.[0] === billing)).toBe(true)
  })
})
