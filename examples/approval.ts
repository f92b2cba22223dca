/**
 * A human approval answered from a second command. The first command starts
 * an order large enough to need a person's approval, on a SQLite file, and
 * exits while the run is suspended; the second, another process, sends the
 * `approval` signal with `engine.signal`, and the run goes on there: it
 * sleeps through the cooling-off period, ships and mails the customer.
 *
 *   npm run example -- approval start
 *   npm run example -- approval approve <runId>
 *
 * The runs are kept in `approval-example.db` in the working directory. The
 * payment provider, carrier and mail server are the template's in-memory
 * ones: each process has its own, so the second one ships and mails but
 * knows nothing of the charge the first one made.
 */
import { Effect, Layer, Stream } from "effect"
import { Engine, Event, Trace } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { OrderProcessing } from "../templates/index.js"

/** The SQLite file both commands share, in the working directory. */
export const database = "approval-example.db"

/**
 * The order-processing template with a 2-second cooling-off period, so that
 * the example ends quickly; another policy, so another version.
 */
const template = OrderProcessing.make({ coolingOff: "2 seconds", version: "1.0-example" })

const order: OrderProcessing.Order = {
  orderId: "o-1001",
  customerEmail: "ada@example.com",
  shippingAddress: "1 Main St, Springfield",
  paymentToken: "tok_visa",
  currency: "EUR",
  lines: [{ sku: "espresso-machine", quantity: 3, unitPrice: 49_900 }]
}

const services = Layer.mergeAll(
  OrderProcessing.Payments.layerMemory(),
  OrderProcessing.Shipping.layerMemory(),
  OrderProcessing.Mailer.layerMemory()
)

const environment = Layer.merge(Sqlite.layer({ filename: database }), services)

/** Prints every event of this engine, from now on, for as long as the scope lives. */
const printEvents = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  const events = yield* engine.subscribe
  yield* events.pipe(
    Stream.runForEach((event) => Effect.sync(() => console.log(`  ${Event.format(event)}`))),
    Effect.forkScoped
  )
})

/** Starts the order and returns once its run is suspended, waiting for the approval. */
const start = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  yield* printEvents
  // subscribe before starting, so as not to miss the suspension
  const suspended = yield* engine.subscribe
  const runId = `order-${order.orderId}-${Date.now()}`
  const total = order.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0)
  console.log(`order ${order.orderId} for ${OrderProcessing.formatAmount(total, order.currency)}: run ${runId} on ${database}\n`)
  yield* engine.start(template, { order }, { runId })
  const stop = yield* suspended.pipe(
    Stream.filter((event) =>
      event.runId === runId && (event._tag === "RunSuspended" || event._tag === "RunFailed" || event._tag === "RunCompleted")
    ),
    Stream.runHead
  )
  const record = yield* engine.status(runId)
  if (record.status !== "suspended") {
    return yield* Effect.fail(new Error(`run ${runId} is ${record.status}, not waiting for an approval (${stop._tag})`))
  }
  console.log(`\nrun ${runId} is ${record.status}: orders from ${OrderProcessing.formatAmount(OrderProcessing.defaultPolicy.approvalThreshold, order.currency)} need a person's approval.`)
  console.log("This process exits now; the run waits in the file. To approve the order, run:\n")
  console.log(`  npm run example -- approval approve ${runId}\n`)
})

/** Sends the approval to a suspended run and waits, in this process, for the run to end. */
const approve = (runId: string) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    yield* printEvents
    const before = yield* engine.status(runId)
    console.log(`run ${runId} is ${before.status}; approving it from this process (pid ${process.pid})\n`)
    // this process must know the template (and its services) to decode the signal and resume the run
    yield* engine.register(template)
    yield* engine.signal(runId, "approval", { approved: true, by: "operator", reason: "approved from the command line" })
    // the signal resumed the run in the background, here: wait for its end
    const result = yield* engine.resume(template, runId)
    console.log(`\n${Trace.format(result.trace)}\n`)
    const { decision, orderStatus, shipment } = result.state
    console.log(`approved by ${decision.by} (${decision.reason})`)
    console.log(`order ${order.orderId} ${orderStatus}: tracking number ${shipment?.trackingNumber ?? "(none)"}`)
    const mails = yield* Effect.flatMap(OrderProcessing.Mailer, (mailer) => mailer.sent)
    for (const mail of mails) console.log(`mail to ${mail.to}: "${mail.subject}"`)
  })

const usage = "usage: npm run example -- approval start | approval approve <runId>"

export const main = (args: ReadonlyArray<string>) => {
  const [command, runId] = args
  const program = command === "start"
    ? start
    : command === "approve" && runId !== undefined
    ? approve(runId)
    : Effect.fail(new Error(usage))
  return program.pipe(Effect.scoped, Effect.provide(environment))
}
