/**
 * YAML flows: the order-processing and data-quality templates written again
 * in YAML (`order-processing.yaml`, `data-quality.yaml`) over their
 * registered steps (`registry.ts`), loaded with `Yaml.loadFile` into ordinary
 * templates and run on an in-memory engine.
 *
 *   npm run example -- yaml          load both flows, run them, print their traces
 *   npm run example -- yaml schema   write flow.schema.json here, for editors (yaml-language-server)
 *
 * The order is large enough to need a person's approval: the run suspends at
 * its `waitForSignal`, this program sends the `approval` signal, and the run
 * sleeps through its cooling-off period (2 seconds, given as a var), ships
 * and mails. Last, a flow with mistakes shows how they are reported: every
 * one, with its line and column.
 */
import { writeFileSync } from "node:fs"
import { Effect, Layer, Stream } from "effect"
import { Engine, Trace } from "weftjs"
import { Yaml } from "weftjs/yaml"
import { DataQuality, OrderProcessing } from "../../templates/index.js"
import { folder, registry } from "./registry.js"

const services = Layer.mergeAll(
  OrderProcessing.Payments.layerMemory(),
  OrderProcessing.Shipping.layerMemory(),
  OrderProcessing.Mailer.layerMemory(),
  DataQuality.DatasetStore.layerMemory({
    "boiler-7": {
      sensor: "boiler-7/temperature",
      unit: "°C",
      range: { min: 0, max: 120 },
      readings: [{ at: 3, value: 71.5 }, { at: 1, value: 70 }, { at: 2, value: null }, { at: 2, value: 70.5 }, { at: 4, value: 72 }]
    }
  }),
  DataQuality.QualityAlerts.layerMemory()
)

const order: OrderProcessing.Order = {
  orderId: "o-3003",
  customerEmail: "ada@example.com",
  shippingAddress: "1 Main St, Springfield",
  paymentToken: "tok_visa",
  currency: "EUR",
  lines: [{ sku: "espresso-machine", quantity: 3, unitPrice: 49_900 }]
}

const broken = `name: broken
version: 1
inputs:
  datasetId: strin
steps:
  - use: load_datset
  - use: profile
    retry: { count: 3, delay: 10 parsecs }
  - use: find_anomalies
  - id: clean
    loop:
      while: anomalies.fixable
      steps:
        - use: fix_anomalies
`

const runFlows = Effect.gen(function*() {
  const engine = yield* Engine.Engine

  const dataQuality = yield* Yaml.loadFile(`${folder}data-quality.yaml`, { registry })
  console.log(`loaded ${dataQuality.name}@${dataQuality.version}: requires ${dataQuality.requiredState.join(", ")}`)
  const checked = yield* engine.run(dataQuality, { datasetId: "boiler-7" })
  console.log(`\n${Trace.format(checked.trace)}\n`)
  console.log(`dataset boiler-7: ${String(checked.state["verdict"])}, saved as version ${String(checked.state["savedVersion"])}\n`)

  const orders = yield* Yaml.loadFile(`${folder}order-processing.yaml`, { registry, vars: { coolingOff: "2 seconds" } })
  console.log(`loaded ${orders.name}@${orders.version}: requires ${orders.requiredState.join(", ")}`)
  const runId = `order-${order.orderId}`
  const events = yield* engine.subscribe
  const handle = yield* engine.start(orders, { order }, { runId })
  yield* events.pipe(Stream.filter((event) => event.runId === runId && event._tag === "RunSuspended"), Stream.runHead)
  console.log(`run ${runId} is ${(yield* engine.status(runId)).status}, waiting for its approval; approving it`)
  yield* engine.signal(runId, "approval", { approved: true, by: "ops@example.com", reason: "regular customer" })
  const shipped = yield* handle.await
  console.log(`\n${Trace.format(shipped.trace)}\n`)
  const { orderStatus, shipment } = shipped.state as { readonly orderStatus: string; readonly shipment?: OrderProcessing.Shipment }
  console.log(`order ${order.orderId} ${orderStatus}: tracking number ${shipment?.trackingNumber ?? "(none)"}\n`)

  const errors = yield* Effect.flip(Yaml.load(broken, { file: "broken.yaml", registry }))
  console.log(`a flow with mistakes is refused, every one at its position:\n${errors.message}`)
})

export const main = (args: ReadonlyArray<string>) => {
  if (args[0] === "schema") {
    return Effect.sync(() => {
      const path = `${folder}flow.schema.json`
      writeFileSync(path, `${JSON.stringify(Yaml.jsonSchema(registry), null, 2)}\n`)
      console.log(`wrote ${path}`)
    })
  }
  return runFlows.pipe(Effect.scoped, Effect.provide(Layer.merge(Engine.layerMemory, services)))
}
