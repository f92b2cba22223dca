import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Duration, Effect, Exit, Fiber, Layer, TestClock } from "effect"
import { Engine, Errors, Template, Testing } from "weftjs"
import { awaitStatusIn } from "../support.js"
import { OrderProcessing } from "../../templates/index.js"
import { expectTag, failingAttempts } from "./support.js"

const {
  autoApprove,
  chargeCard,
  checkOrder,
  Mailer,
  Payments,
  recordDecision,
  refundPayment,
  sendCancellation,
  sendConfirmation,
  Shipping,
  shipOrder
} = OrderProcessing

/** A small order: 2 × 19.90 + 1 × 5.00 = 44.80 EUR, below the approval threshold. */
const order: OrderProcessing.Order = {
  orderId: "o-1",
  customerEmail: " ada@example.com ",
  shippingAddress: "1 Main St, Springfield",
  paymentToken: "tok_visa",
  currency: "EUR",
  lines: [{ sku: "mug", quantity: 2, unitPrice: 1990 }, { sku: "card", quantity: 1, unitPrice: 500 }]
}

/** A large order: 3 × 499.00 = 1497.00 EUR, above the approval threshold. */
const largeOrder: OrderProcessing.Order = {
  ...order,
  orderId: "o-2",
  lines: [{ sku: "espresso-machine", quantity: 3, unitPrice: 49_900 }]
}

const invoice: OrderProcessing.Invoice = {
  orderId: "o-1",
  customerEmail: "ada@example.com",
  shippingAddress: "1 Main St, Springfield",
  currency: "EUR",
  lines: order.lines,
  total: 4480
}

const payment: OrderProcessing.Payment = { chargeId: "ch-000001", amount: 4480, currency: "EUR", chargedAt: 0 }
const shipment: OrderProcessing.Shipment = { trackingNumber: "TRK-000001", carrier: "memory-post", shippedAt: 0 }

const charges = Effect.flatMap(Payments, (payments) => payments.charges)
const shipments = Effect.flatMap(Shipping, (shipping) => shipping.shipments)
const sent = Effect.flatMap(Mailer, (mailer) => mailer.sent)

/** The services, all working. */
const services = Layer.mergeAll(Payments.layerMemory(), Shipping.layerMemory(), Mailer.layerMemory())

/** The order flow sleeps 15 minutes: it needs a workflow timeout above the default 300 s. */
const settings = { workflowTimeout: Duration.hours(1) }

describe("check_order", () => {
  it.effect("computes the total in cents and trims the addresses", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(checkOrder, { order })).toEqual({ invoice })
    }))

  it.effect("reports every problem of an invalid order at once, not retried", () =>
    Effect.gen(function*() {
      const bad: OrderProcessing.Order = {
        ...order,
        customerEmail: "ada at example.com",
        shippingAddress: "  ",
        currency: "euro",
        lines: [{ sku: "mug", quantity: 0, unitPrice: 1990 }, { sku: "pen", quantity: 1, unitPrice: 1.5 }]
      }
      const { attempts, error } = yield* failingAttempts(checkOrder, { order: bad })
      expect(expectTag(error, "InvalidOrder").problems).toEqual([
        "line 1 (mug): quantity 0 is not a whole number from 1",
        "line 2 (pen): unit price 1.5 is not a whole number of cents",
        `"ada at example.com" is not an e-mail address`,
        "the shipping address is empty",
        `"euro" is not a currency code`
      ])
      expect(attempts).toBe(1)
    }))

  it.effect("an order needs a line", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(checkOrder, { order: { ...order, lines: [] } }))
      expect(error).toEqual(new OrderProcessing.InvalidOrder({ orderId: "o-1", problems: ["it has no lines"] }))
      expect(error.message).toBe("Order o-1 is invalid: it has no lines")
    }))
})

describe("charge_card", () => {
  it.effect("charges the total to the order's card", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(chargeCard, { order, invoice })).toEqual({ payment })
      expect(yield* charges).toEqual([{ ...payment, reference: "order o-1", refunded: 0 }])
    }).pipe(Effect.provide(Payments.layerMemory())))

  it.effect("lost replies are retried with the same key: charged once, the first receipt returned", () =>
    Effect.gen(function*() {
      const probe = Template.make({ name: "probe", version: "1", steps: [chargeCard] })
      const result = yield* Testing.runTemplate(probe, { order, invoice })
      expect(result.trace.map((e) => [e.step, e.status, e.attempts])).toEqual([["charge_card", "completed", 3]])
      expect(result.state.payment.chargeId).toBe("ch-000001")
      expect(yield* charges).toHaveLength(1)
    }).pipe(Effect.provide(Payments.layerMemory({ lostAcks: 2 }))))

  it.effect("a declined card fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(chargeCard, { order, invoice })
      expect(error).toEqual(new OrderProcessing.CardDeclined({ reason: "insufficient funds" }))
      expect(attempts).toBe(1)
      expect(yield* charges).toEqual([])
    }).pipe(Effect.provide(Payments.layerMemory({ declined: ["tok_visa"] }))))

  it.effect("a provider that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(chargeCard, { order, invoice })
      expect(error).toBeInstanceOf(OrderProcessing.PaymentUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(Payments.layerMemory({ unavailableFor: 100 }))))

  it.effect("a provider slower than 10 s times out", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runStep(chargeCard, { order, invoice }))
      expect(error).toBeInstanceOf(Errors.StepTimeout)
    }).pipe(Effect.provide(Payments.layerMemory({ latency: "11 seconds" }))))
})

describe("record_decision and auto_approve", () => {
  it.effect("a person's decision is recorded with its reason, or a plain one", () =>
    Effect.gen(function*() {
      const approved = yield* Testing.runStep(recordDecision, { approval: { approved: true, by: "bob", reason: "known customer" } })
      expect(approved).toEqual({ decision: { approved: true, by: "bob", reason: "known customer", automatic: false } })
      const refused = yield* Testing.runStep(recordDecision, { approval: { approved: false, by: "eve" } })
      expect(refused).toEqual({ decision: { approved: false, by: "eve", reason: "refused", automatic: false } })
    }))

  it.effect("a small order is approved by rule", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(autoApprove, { invoice })).toEqual({
        decision: { approved: true, by: "rule", reason: "44.80 EUR is below the approval threshold", automatic: true }
      })
    }))
})

describe("ship_order", () => {
  it.effect("hands the parcel to the carrier", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(shipOrder, { invoice })).toEqual({ shipment, orderStatus: "shipped" })
      expect(yield* shipments).toEqual([
        { orderId: "o-1", address: "1 Main St, Springfield", lines: order.lines, ...shipment }
      ])
    }).pipe(Effect.provide(Shipping.layerMemory())))

  it.effect("a lost reply is retried with the same key: shipped once", () =>
    Effect.gen(function*() {
      expect((yield* Testing.runStep(shipOrder, { invoice })).shipment.trackingNumber).toBe("TRK-000001")
      expect(yield* shipments).toHaveLength(1)
    }).pipe(Effect.provide(Shipping.layerMemory({ lostAcks: 3 }))))

  it.effect("an address the carrier does not deliver to fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(shipOrder, { invoice })
      expect(error).toEqual(new OrderProcessing.AddressRejected({ address: "1 Main St, Springfield" }))
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(Shipping.layerMemory({ undeliverable: ["1 Main St, Springfield"] }))))

  it.effect("a carrier that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(shipOrder, { invoice })
      expect(error).toBeInstanceOf(OrderProcessing.CarrierUnavailable)
      expect(attempts).toBe(4)
      expect(yield* shipments).toEqual([])
    }).pipe(Effect.provide(Shipping.layerMemory({ unavailableFor: 100 }))))
})

describe("refund_payment", () => {
  it.effect("refunds the charge", () =>
    Effect.gen(function*() {
      const charged = yield* Effect.flatMap(Payments, (payments) =>
        payments.charge({ amount: 4480, currency: "EUR", paymentToken: "tok_visa", reference: "order o-1" }, "k"))
      expect(yield* Testing.runStep(refundPayment, { payment: charged })).toEqual({
        refund: { refundId: "re-000001", chargeId: "ch-000001", amount: 4480, refundedAt: 0 },
        orderStatus: "cancelled"
      })
      expect((yield* charges).map((c) => c.refunded)).toEqual([4480])
    }).pipe(Effect.provide(Payments.layerMemory())))

  it.effect("refunding a charge the provider does not know fails at once", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(refundPayment, { payment })
      expect(error).toEqual(new OrderProcessing.ChargeNotFound({ chargeId: "ch-000001" }))
      expect(attempts).toBe(1)
    }).pipe(Effect.provide(Payments.layerMemory())))

  it.effect("a provider that stays unreachable fails after 3 retries", () =>
    Effect.gen(function*() {
      const { attempts, error } = yield* failingAttempts(refundPayment, { payment })
      expect(error).toBeInstanceOf(OrderProcessing.PaymentUnavailable)
      expect(attempts).toBe(4)
    }).pipe(Effect.provide(Payments.layerMemory({ unavailableFor: 100 }))))
})

describe("send_confirmation and send_cancellation", () => {
  const decision: OrderProcessing.ReviewDecision = { approved: false, by: "eve", reason: "suspected fraud", automatic: false }
  const refund: OrderProcessing.Refund = { refundId: "re-000001", chargeId: "ch-000001", amount: 4480, refundedAt: 0 }

  it.effect("mails the customer the tracking number", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(sendConfirmation, { invoice, shipment })).toEqual({
        notification: { messageId: "msg-000001", to: "ada@example.com", subject: "Your order o-1 is on its way" }
      })
      const mails = yield* sent
      expect(mails).toHaveLength(1)
      expect(mails[0]?.body).toBe(
        "We charged 44.80 EUR and shipped your order to 1 Main St, Springfield.\nTracking number: TRK-000001 (memory-post)."
      )
    }).pipe(Effect.provide(Mailer.layerMemory())))

  it.effect("mails the customer why the order was cancelled and what was refunded", () =>
    Effect.gen(function*() {
      const out = yield* Testing.runStep(sendCancellation, { invoice, decision, refund })
      expect(out.notification?.subject).toBe("Your order o-1 was cancelled")
      expect((yield* sent)[0]?.body).toBe(
        "We could not accept your order (suspected fraud).\nWe refunded 44.80 EUR (refund re-000001)."
      )
    }).pipe(Effect.provide(Mailer.layerMemory())))

  it.effect("a mail server down for two attempts is retried; the mail goes once", () =>
    Effect.gen(function*() {
      expect((yield* Testing.runStep(sendConfirmation, { invoice, shipment })).notification?.messageId).toBe("msg-000001")
      expect(yield* sent).toHaveLength(1)
    }).pipe(Effect.provide(Mailer.layerMemory({ unavailableFor: 2 }))))

  it.effect("a mail that still cannot be sent after its retries is skipped, not a failure", () =>
    Effect.gen(function*() {
      expect(yield* Testing.runStep(sendConfirmation, { invoice, shipment })).toEqual({})
      expect(yield* Testing.runStep(sendCancellation, { invoice, decision, refund })).toEqual({})
      expect(yield* sent).toEqual([])
    }).pipe(Effect.provide(Mailer.layerMemory({ unavailableFor: 100 }))))
})

// ---------------------------------------------------------------------------
// the whole template
// ---------------------------------------------------------------------------

/** Lets background fibers run until something sleeps until `at` (ms on the TestClock). */
const untilSleepUntil = (at: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 2000; i++) {
      if (Chunk.some(yield* TestClock.sleeps(), (wake) => wake === at)) return
      yield* Effect.yieldNow()
    }
    throw new Error(`nothing sleeps until ${at}`)
  })

/** An in-memory engine driven by hand with TestClock.adjust, over the template's services. */
const engineAndServices = Layer.merge(Testing.layer(settings), services)

describe("the order processing template", () => {
  const { template } = OrderProcessing

  it("declares what it requires and provides", () => {
    expect(template.requiredState).toEqual(["order"])
    expect(template.providedState).toEqual(
      expect.arrayContaining(["invoice", "payment", "decision", "orderStatus", "shipment", "refund", "notification"])
    )
  })

  it.effect("is valid", () => template.validate())

  it.effect("a small order is approved by rule, waits out the cooling-off period, ships and is mailed", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(template, { order }, { settings })
      expect(result.trace.map((entry) => [entry.step, entry.status])).toEqual([
        ["check_order", "completed"],
        ["charge_card", "completed"],
        ["review/else", "completed"],
        ["review/else/auto_approve", "completed"],
        ["fulfilment/then", "completed"],
        ["fulfilment/then/cooling_off", "completed"],
        ["fulfilment/then/ship_order", "completed"],
        ["fulfilment/then/send_confirmation", "completed"]
      ])
      // the sleep took 15 minutes of (fake) time, and shipping came after it
      expect(result.trace.find((e) => e.step === "fulfilment/then/cooling_off")?.durationMs).toBe(15 * 60_000)
      expect(result.state.shipment?.shippedAt).toBe(15 * 60_000)
      expect(result.state.orderStatus).toBe("shipped")
      expect(result.state.decision.automatic).toBe(true)
      expect(yield* charges).toHaveLength(1)
      expect(yield* shipments).toHaveLength(1)
      expect((yield* sent).map((mail) => mail.subject)).toEqual(["Your order o-1 is on its way"])
    }).pipe(Effect.provide(services)))

  it.effect("with the default 300 s workflow timeout, the cooling-off period does not fit: WorkflowTimeout", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runTemplate(template, { order }))
      expect(error).toBeInstanceOf(Errors.WorkflowTimeout)
      expect(yield* shipments).toEqual([])
    }).pipe(Effect.provide(services)))

  it.effect("a declined card stops the order before review: nothing shipped, nothing mailed", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runTemplate(template, { order }, { settings }))
      expect(error).toBeInstanceOf(OrderProcessing.CardDeclined)
      expect(yield* shipments).toEqual([])
      expect(yield* sent).toEqual([])
    }).pipe(Effect.provide(Layer.mergeAll(Payments.layerMemory({ declined: ["tok_visa"] }), Shipping.layerMemory(), Mailer.layerMemory()))))

  it.effect("an undeliverable address fails the run after the charge (the charge stays, for a person to refund)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Testing.runTemplate(template, { order }, { settings }))
      expect(error).toBeInstanceOf(OrderProcessing.AddressRejected)
      expect(yield* charges).toHaveLength(1)
    }).pipe(Effect.provide(Layer.mergeAll(
      Payments.layerMemory(),
      Shipping.layerMemory({ undeliverable: ["1 Main St, Springfield"] }),
      Mailer.layerMemory()
    ))))

  it.effect("a mail server that stays down does not fail the order: the mail is skipped", () =>
    Effect.gen(function*() {
      const result = yield* Testing.runTemplate(template, { order }, { settings })
      expect(result.state.orderStatus).toBe("shipped")
      expect(result.state.notification).toBeUndefined()
      expect(result.trace.at(-1)).toMatchObject({ step: "fulfilment/then/send_confirmation", status: "skipped" })
    }).pipe(Effect.provide(Layer.mergeAll(Payments.layerMemory(), Shipping.layerMemory(), Mailer.layerMemory({ unavailableFor: 100 })))))

  it.effect("bad input is rejected before anything runs", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Testing.runTemplate(template, JSON.parse(`{ "order": { "orderId": "o-9", "lines": [{ "sku": "x" }] } }`), { settings })
      )
      expect(expectTag(error, "InvalidInput").keys).toEqual([
        "order.customerEmail",
        "order.shippingAddress",
        "order.paymentToken",
        "order.currency",
        "order.lines.0.quantity",
        "order.lines.0.unitPrice"
      ])
      expect(yield* charges).toEqual([])
    }).pipe(Effect.provide(services)))

  it.scoped(
    "a large order suspends for approval; a bad payload is rejected; engine.signal resumes it, and the cooling-off sleep is honoured",
    () =>
      Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const handle = yield* engine.start(template, { order: largeOrder }, { runId: "big" })
        yield* awaitStatusIn(engine, "big", "suspended")
        expect((yield* engine.trace("big")).map((e) => e.step)).toEqual(["check_order", "charge_card", "review/then"])
        expect(yield* charges).toHaveLength(1)

        const bad = yield* Effect.flip(engine.signal("big", "approval", { approved: "yes", by: " " }))
        const invalid = expectTag(bad, "InvalidSignalPayload")
        expect(invalid.issues.map((issue) => issue.path.join("."))).toEqual(["approved", "by"])
        yield* Effect.repeatN(Effect.yieldNow(), 20)
        expect((yield* engine.status("big")).status).toBe("suspended")

        // a day later, a person approves: the input `order` has expired by then (stateTtl is 1 hour),
        // but the steps after the wait read only values written with the template's 30-day TTL
        yield* TestClock.adjust("1 day")
        expect((yield* engine.status("big")).status).toBe("suspended")
        yield* engine.signal("big", "approval", { approved: true, by: "ops@example.com", reason: "regular customer" })
        const wakeUp = 24 * 60 * 60_000 + 15 * 60_000
        yield* untilSleepUntil(wakeUp)
        expect((yield* engine.status("big")).status).toBe("running")
        yield* TestClock.adjust("14 minutes")
        expect(yield* shipments).toEqual([])
        yield* TestClock.adjust("1 minute")
        const result = yield* handle.await
        expect(result.state.approval).toEqual({ approved: true, by: "ops@example.com", reason: "regular customer" })
        expect(result.state.decision).toEqual({
          approved: true,
          by: "ops@example.com",
          reason: "regular customer",
          automatic: false
        })
        expect(result.state.orderStatus).toBe("shipped")
        expect(result.state.shipment?.shippedAt).toBe(wakeUp)
        // input values live as long as their run (no TTL unless a step gives one)
        expect(result.entries.order.expiresAt).toBeNull()
        expect((yield* engine.trace("big")).map((e) => e.step)).toEqual([
          "check_order",
          "charge_card",
          "review/then",
          "review/then/approval",
          "review/then/record_decision",
          "fulfilment/then",
          "fulfilment/then/cooling_off",
          "fulfilment/then/ship_order",
          "fulfilment/then/send_confirmation"
        ])
        expect(yield* charges).toHaveLength(1)
        expect(yield* shipments).toHaveLength(1)
      }).pipe(Effect.provide(engineAndServices))
  )

  it.scoped("a refused large order is refunded and the customer told why; nothing ships", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(template, { order: largeOrder }, { runId: "refused" })
      yield* awaitStatusIn(engine, "refused", "suspended")
      yield* engine.signal("refused", "approval", { approved: false, by: "eve", reason: "suspected fraud" })
      const result = yield* handle.await
      expect(result.state.orderStatus).toBe("cancelled")
      expect(result.state.refund?.amount).toBe(149_700)
      expect(result.state.shipment).toBeUndefined()
      expect((yield* charges).map((c) => [c.amount, c.refunded])).toEqual([[149_700, 149_700]])
      expect(yield* shipments).toEqual([])
      const mails = yield* sent
      expect(mails.map((mail) => mail.subject)).toEqual(["Your order o-2 was cancelled"])
      expect(mails[0]?.body).toContain("(suspected fraud)")
    }).pipe(Effect.provide(engineAndServices)))

  it.scoped("no answer within 2 days is a refusal: the wait takes its default (status fallback) and the order is refunded", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(template, { order: largeOrder }, { runId: "silent" })
      yield* awaitStatusIn(engine, "silent", "suspended")
      yield* TestClock.adjust("47 hours")
      expect((yield* engine.status("silent")).status).toBe("suspended")
      yield* TestClock.adjust("1 hour")
      const result = yield* handle.await
      expect(result.state.decision).toEqual({
        approved: false,
        by: "nobody",
        reason: "no answer within 2d",
        automatic: false
      })
      expect(result.state.orderStatus).toBe("cancelled")
      const wait = (yield* engine.trace("silent")).find((e) => e.step === "review/then/approval")
      expect(wait?.status).toBe("fallback")
      expect(wait?.error?.tag).toBe("SignalTimeout")
    }).pipe(Effect.provide(engineAndServices)))

  it.effect("the approval threshold is the policy's", () =>
    Effect.gen(function*() {
      const strict = OrderProcessing.make({ approvalThreshold: 1000, coolingOff: "1 minute", version: "strict" })
      const engineRun = Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const handle = yield* engine.start(strict, { order }, { runId: "strict" })
        yield* awaitStatusIn(engine, "strict", "suspended")
        yield* engine.signal("strict", "approval", { approved: true, by: "bob" })
        yield* TestClock.adjust("1 minute")
        return yield* handle.await
      })
      const result = yield* engineRun.pipe(Effect.provide(Testing.layer()))
      expect(result.state.decision.by).toBe("bob")
      expect(result.trace.find((e) => e.step === "fulfilment/then/cooling_off")?.durationMs).toBe(60_000)
      expect(strict.version).toBe("strict")
    }).pipe(Effect.provide(services)))

  it.scoped("a crash after the provider charged, before the checkpoint: the resumed run charges again with the same key, once", () =>
    Effect.gen(function*() {
      const charged = yield* Deferred.make<void>()
      let calls = 0
      // a provider whose first reply never comes back, as when the process dies right after the charge
      const dying = Layer.effect(
        Payments,
        Effect.map(Payments, (real) => ({
          ...real,
          charge: (request: OrderProcessing.ChargeRequest, key: string) =>
            ++calls === 1
              ? real.charge(request, key).pipe(Effect.zipRight(Deferred.succeed(charged, undefined)), Effect.zipRight(Effect.never))
              : real.charge(request, key)
        }))
      ).pipe(Layer.provide(Payments.layerMemory()))
      const run = Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const fiber = yield* Effect.fork(engine.run(template, { order }, { runId: "crashy" }))
        yield* Deferred.await(charged)
        yield* Fiber.interrupt(fiber) // the process dies
        expect((yield* engine.status("crashy")).status).toBe("running")
        const resumed = yield* Effect.fork(engine.resume(template, "crashy"))
        yield* untilSleepUntil(15 * 60_000)
        yield* TestClock.adjust("15 minutes")
        const exit = yield* Fiber.await(resumed)
        expect(Exit.isSuccess(exit) && exit.value.state.orderStatus).toBe("shipped")
        expect(calls).toBe(2)
        const all = yield* charges
        expect(all).toHaveLength(1)
        expect(Exit.isSuccess(exit) && exit.value.state.payment.chargeId).toBe(all[0]?.chargeId)
      })
      yield* run.pipe(
        Effect.provide(Layer.mergeAll(Testing.layer(settings), dying, Shipping.layerMemory(), Mailer.layerMemory()))
      )
    }))
})
