/**
 * Order processing: charge the card, have a person approve large orders,
 * wait out a cooling-off period, then ship and tell the customer — or, when
 * the order is refused, refund it and tell the customer why.
 *
 * ```text
 * check_order → charge_card → review ─┬─ then (total ≥ threshold): approval (waitForSignal) → record_decision
 *                                     └─ else:                       auto_approve
 *             → fulfilment ─┬─ then (approved): cooling_off (Durable.sleep) → ship_order → send_confirmation
 *                           └─ else:            refund_payment → send_cancellation
 * ```
 *
 * - **requires** `order` (lines, customer e-mail, shipping address, payment token; amounts in cents)
 * - **provides** `invoice`, `payment`, `decision`, `orderStatus` (`"shipped"` | `"cancelled"`);
 *   optionally `approval` (large orders), `shipment` or `refund`, and `notification`
 * - **services** {@link Payments}, {@link Shipping}, {@link Mailer} (each with a deterministic,
 *   idempotent `layerMemory` for tests and demos)
 * - **errors** {@link InvalidOrder}, {@link CardDeclined}, {@link AddressRejected},
 *   {@link ChargeNotFound}, and {@link PaymentUnavailable} / {@link CarrierUnavailable} once their
 *   retries are spent. A mail that cannot be sent is skipped (recorded as `skipped` in the trace):
 *   it does not undo a shipment or a refund.
 *
 * **Human approval.** An order whose total reaches the approval threshold
 * (default 1000.00) suspends at `review/then/approval` until
 * `engine.signal(runId, "approval", { approved, by, reason? })` arrives, from
 * this process or any other sharing the store (a payload that does not match
 * {@link Decision} is an `InvalidSignalPayload` and the run stays suspended).
 * No answer within the approval timeout (default 2 days) counts as a refusal.
 *
 * **At-least-once.** Charging, shipping, refunding and mailing pass the step's
 * `idempotencyKey` to their service: a retry, or the re-run of the step that
 * was in flight when a process crashed, does not charge (ship, refund, mail) twice.
 *
 * **Time.** The run sleeps through the cooling-off period (default 15 minutes)
 * while it holds its lease, and that sleep counts towards the workflow timeout:
 * run it with a timeout above it (`{ timeout: "1 hour" }`, or `WEFT_WORKFLOW_TIMEOUT=3600`
 * in the process that starts it: the timeout is stored with the run, and a
 * process resuming it after a signal keeps it). State values keep aging while the run waits
 * for approval: every step here writes its values with a 30-day TTL, and the
 * steps after the wait never read the input `order` (whose TTL is the
 * `stateTtl` setting) but the `invoice` derived from it, so the default
 * one-hour `stateTtl` is enough.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Engine } from "weftjs"
 * import { OrderProcessing } from "./templates/index.js"
 *
 * const order: OrderProcessing.Order = {
 *   orderId: "o-2", customerEmail: "ada@example.com", shippingAddress: "1 Main St", paymentToken: "tok_visa",
 *   currency: "EUR", lines: [{ sku: "espresso-machine", quantity: 3, unitPrice: 49_900 }]
 * }
 * const services = Layer.mergeAll(
 *   OrderProcessing.Payments.layerMemory(),
 *   OrderProcessing.Shipping.layerMemory(),
 *   OrderProcessing.Mailer.layerMemory()
 * )
 * const program = Effect.gen(function*() {
 *   const engine = yield* Engine.Engine
 *   const handle = yield* engine.start(OrderProcessing.template, { order }, { timeout: "1 hour" })
 *   // ... a person decides, here or in another process:
 *   yield* engine.signal(handle.runId, "approval", { approved: true, by: "ops@example.com" })
 *   return yield* handle.await
 * }).pipe(Effect.provide(Layer.merge(services, Engine.layerMemory)))
 * ```
 *
 * @since 0.1.0
 */
import { Clock, Context, Data, Duration, Effect, HashMap, Layer, Option, Ref, Schedule, Schema } from "effect"
import { Durable, Errors, Flow, Step, Template } from "weftjs"
import type { Faults as SharedFaults } from "./faults.js"

// ---------------------------------------------------------------------------
// state
// ---------------------------------------------------------------------------

/** One line of an order. `unitPrice` is in cents. */
export const OrderLine = Schema.Struct({
  sku: Schema.String,
  quantity: Schema.Number,
  unitPrice: Schema.Number
})
export type OrderLine = typeof OrderLine.Type

/** An order as the shop submits it. */
export const Order = Schema.Struct({
  orderId: Schema.String,
  customerEmail: Schema.String,
  shippingAddress: Schema.String,
  /** The card, as a token of the payment provider. */
  paymentToken: Schema.String,
  /** ISO 4217 code, e.g. `"EUR"`. */
  currency: Schema.String,
  lines: Schema.Array(OrderLine)
})
export type Order = typeof Order.Type

/**
 * The checked order, without its payment token: what every step after the
 * charge reads (it lives 30 days, so it outlives a long approval wait).
 */
export const Invoice = Schema.Struct({
  orderId: Schema.String,
  customerEmail: Schema.String,
  shippingAddress: Schema.String,
  currency: Schema.String,
  lines: Schema.Array(OrderLine),
  /** In cents. */
  total: Schema.Number
})
export type Invoice = typeof Invoice.Type

/** A charge made on the customer's card. */
export const Payment = Schema.Struct({
  chargeId: Schema.String,
  /** In cents. */
  amount: Schema.Number,
  currency: Schema.String,
  chargedAt: Schema.Number
})
export type Payment = typeof Payment.Type

/**
 * The payload of the `approval` signal: whether the order may go ahead, who
 * decided, and why.
 */
export const Decision = Schema.Struct({
  approved: Schema.Boolean,
  by: Schema.NonEmptyTrimmedString,
  reason: Schema.optional(Schema.String)
})
export type Decision = typeof Decision.Type

/** The decision the order goes on with, by a person or by rule. */
export const ReviewDecision = Schema.Struct({
  approved: Schema.Boolean,
  by: Schema.String,
  reason: Schema.String,
  automatic: Schema.Boolean
})
export type ReviewDecision = typeof ReviewDecision.Type

/** A parcel handed to the carrier. */
export const Shipment = Schema.Struct({
  trackingNumber: Schema.String,
  carrier: Schema.String,
  shippedAt: Schema.Number
})
export type Shipment = typeof Shipment.Type

/** The money given back for a refused order. */
export const Refund = Schema.Struct({
  refundId: Schema.String,
  chargeId: Schema.String,
  amount: Schema.Number,
  refundedAt: Schema.Number
})
export type Refund = typeof Refund.Type

/** An e-mail sent to the customer. */
export const Notification = Schema.Struct({
  messageId: Schema.String,
  to: Schema.String,
  subject: Schema.String
})
export type Notification = typeof Notification.Type

// ---------------------------------------------------------------------------
// errors
// ---------------------------------------------------------------------------

/** The order cannot be processed as submitted. Not retried. */
export class InvalidOrder extends Data.TaggedError("InvalidOrder")<{
  readonly orderId: string
  /** Every problem found, each saying what is wrong. */
  readonly problems: ReadonlyArray<string>
}> {
  override get message() {
    return `Order ${this.orderId} is invalid: ${this.problems.join("; ")}`
  }
}

/** The card was declined. Not retried. */
export class CardDeclined extends Data.TaggedError("CardDeclined")<{
  readonly reason: string
}> {
  override get message() {
    return `The card was declined: ${this.reason}`
  }
}

/** The payment provider could not be reached (transient: retried). */
export class PaymentUnavailable extends Data.TaggedError("PaymentUnavailable")<{}> {}

/** A refund for a charge the provider does not know. Not retried. */
export class ChargeNotFound extends Data.TaggedError("ChargeNotFound")<{
  readonly chargeId: string
}> {
  override get message() {
    return `No charge ${this.chargeId} to refund`
  }
}

/** The carrier will not deliver to this address. Not retried. */
export class AddressRejected extends Data.TaggedError("AddressRejected")<{
  readonly address: string
}> {
  override get message() {
    return `The carrier does not deliver to "${this.address}"`
  }
}

/** The carrier could not be reached (transient: retried). */
export class CarrierUnavailable extends Data.TaggedError("CarrierUnavailable")<{}> {}

/** The mail server could not be reached (transient: retried, then the mail is skipped). */
export class MailerUnavailable extends Data.TaggedError("MailerUnavailable")<{}> {}

// ---------------------------------------------------------------------------
// services
// ---------------------------------------------------------------------------

/**
 * Injected faults of the in-memory services, so tests can exercise retries
 * and timeouts.
 */
export interface Faults extends SharedFaults {
  /**
   * The first `n` calls that do their work fail anyway with the service's
   * `*Unavailable` error, as when a reply is lost on the network: the caller
   * retries, with the same idempotency key.
   */
  readonly lostAcks?: number | undefined
}

/**
 * An idempotent in-memory operation with {@link Faults}: `work` runs once
 * per idempotency key; a later call with the same key returns the first
 * result.
 */
const idempotent = <A, E, E2>(
  faults: Faults | undefined,
  unavailable: () => E2
) =>
  Effect.gen(function*() {
    const calls = yield* Ref.make(0)
    const acks = yield* Ref.make(0)
    const done = yield* Ref.make(HashMap.empty<string, A>())
    return (key: string, work: Effect.Effect<A, E>): Effect.Effect<A, E | E2> =>
      Effect.gen(function*() {
        const n = yield* Ref.updateAndGet(calls, (c) => c + 1)
        if (faults?.latency !== undefined) yield* Effect.sleep(faults.latency)
        if (n <= (faults?.unavailableFor ?? 0)) return yield* Effect.fail(unavailable())
        const previous = HashMap.get(yield* Ref.get(done), key)
        const result = Option.isSome(previous) ? previous.value : yield* work
        if (Option.isNone(previous)) yield* Ref.update(done, HashMap.set(key, result))
        if ((yield* Ref.updateAndGet(acks, (c) => c + 1)) <= (faults?.lostAcks ?? 0)) return yield* Effect.fail(unavailable())
        return result
      })
  })

const serial = (prefix: string, n: number) => `${prefix}-${String(n).padStart(6, "0")}`

/** What the shop asks the payment provider to charge. */
export interface ChargeRequest {
  /** In cents. */
  readonly amount: number
  readonly currency: string
  readonly paymentToken: string
  /** The order, for the customer's statement. */
  readonly reference: string
}

/** A charge as the in-memory provider holds it. */
export interface ChargeRecord extends Payment {
  readonly reference: string
  /** How much of it was refunded, in cents. */
  readonly refunded: number
}

/**
 * The payment provider. Charges and refunds are idempotent by their key:
 * a second call with one key (a retry, a re-run after a crash) does nothing
 * more and returns the first result.
 */
export class Payments extends Context.Tag("weft-templates/Payments")<Payments, {
  readonly charge: (request: ChargeRequest, idempotencyKey: string) => Effect.Effect<Payment, CardDeclined | PaymentUnavailable>
  readonly refund: (
    charge: Payment,
    idempotencyKey: string
  ) => Effect.Effect<Refund, ChargeNotFound | PaymentUnavailable>
  /** Every charge made, in order. */
  readonly charges: Effect.Effect<ReadonlyArray<ChargeRecord>>
}>() {
  /**
   * An in-memory provider. Cards whose token is in `declined` are declined
   * (`"insufficient funds"`).
   */
  static layerMemory(
    options?: Faults & { readonly declined?: ReadonlyArray<string> | undefined }
  ): Layer.Layer<Payments> {
    const declined = new Set(options?.declined ?? [])
    return Layer.effect(
      Payments,
      Effect.gen(function*() {
        const charges = yield* Ref.make<ReadonlyArray<ChargeRecord>>([])
        const refunds = yield* Ref.make(0)
        const charge = yield* idempotent<Payment, CardDeclined, PaymentUnavailable>(options, () => new PaymentUnavailable())
        const refund = yield* idempotent<Refund, ChargeNotFound, PaymentUnavailable>(options, () => new PaymentUnavailable())
        return {
          charge: (request, key) =>
            charge(
              key,
              Effect.gen(function*() {
                if (declined.has(request.paymentToken)) return yield* new CardDeclined({ reason: "insufficient funds" })
                const record: ChargeRecord = {
                  chargeId: serial("ch", (yield* Ref.get(charges)).length + 1),
                  amount: request.amount,
                  currency: request.currency,
                  chargedAt: yield* Clock.currentTimeMillis,
                  reference: request.reference,
                  refunded: 0
                }
                yield* Ref.update(charges, (all) => [...all, record])
                const { chargeId, amount, currency, chargedAt } = record
                return { chargeId, amount, currency, chargedAt }
              })
            ),
          refund: (payment, key) =>
            refund(
              key,
              Effect.gen(function*() {
                const all = yield* Ref.get(charges)
                if (!all.some((c) => c.chargeId === payment.chargeId)) {
                  return yield* new ChargeNotFound({ chargeId: payment.chargeId })
                }
                yield* Ref.set(
                  charges,
                  all.map((c) => c.chargeId === payment.chargeId ? { ...c, refunded: c.refunded + payment.amount } : c)
                )
                return {
                  refundId: serial("re", yield* Ref.updateAndGet(refunds, (n) => n + 1)),
                  chargeId: payment.chargeId,
                  amount: payment.amount,
                  refundedAt: yield* Clock.currentTimeMillis
                }
              })
            ),
          charges: Ref.get(charges)
        }
      })
    )
  }
}

/** What is handed to the carrier. */
export interface Parcel {
  readonly orderId: string
  readonly address: string
  readonly lines: ReadonlyArray<OrderLine>
}

/** The carrier. `ship` is idempotent by its key. */
export class Shipping extends Context.Tag("weft-templates/Shipping")<Shipping, {
  readonly ship: (parcel: Parcel, idempotencyKey: string) => Effect.Effect<Shipment, AddressRejected | CarrierUnavailable>
  /** Every parcel shipped, in order, with its shipment. */
  readonly shipments: Effect.Effect<ReadonlyArray<Parcel & Shipment>>
}>() {
  /** An in-memory carrier that does not deliver to the addresses in `undeliverable`. */
  static layerMemory(
    options?: Faults & { readonly undeliverable?: ReadonlyArray<string> | undefined }
  ): Layer.Layer<Shipping> {
    const undeliverable = new Set(options?.undeliverable ?? [])
    return Layer.effect(
      Shipping,
      Effect.gen(function*() {
        const shipments = yield* Ref.make<ReadonlyArray<Parcel & Shipment>>([])
        const ship = yield* idempotent<Shipment, AddressRejected, CarrierUnavailable>(options, () => new CarrierUnavailable())
        return {
          ship: (parcel, key) =>
            ship(
              key,
              Effect.gen(function*() {
                if (undeliverable.has(parcel.address)) return yield* new AddressRejected({ address: parcel.address })
                const shipment: Shipment = {
                  trackingNumber: serial("TRK", (yield* Ref.get(shipments)).length + 1),
                  carrier: "memory-post",
                  shippedAt: yield* Clock.currentTimeMillis
                }
                yield* Ref.update(shipments, (all) => [...all, { ...parcel, ...shipment }])
                return shipment
              })
            ),
          shipments: Ref.get(shipments)
        }
      })
    )
  }
}

/** An e-mail to send. */
export interface Email {
  readonly to: string
  readonly subject: string
  readonly body: string
}

/** The mail server. `send` is idempotent by its key. */
export class Mailer extends Context.Tag("weft-templates/Mailer")<Mailer, {
  readonly send: (email: Email, idempotencyKey: string) => Effect.Effect<Notification, MailerUnavailable>
  /** Every e-mail sent, in order. */
  readonly sent: Effect.Effect<ReadonlyArray<Email & { readonly messageId: string }>>
}>() {
  /** An in-memory mail server: it records what it sends. */
  static layerMemory(options?: Faults): Layer.Layer<Mailer> {
    return Layer.effect(
      Mailer,
      Effect.gen(function*() {
        const sent = yield* Ref.make<ReadonlyArray<Email & { readonly messageId: string }>>([])
        const send = yield* idempotent<Notification, never, MailerUnavailable>(options, () => new MailerUnavailable())
        return {
          send: (email, key) =>
            send(
              key,
              Effect.gen(function*() {
                const messageId = serial("msg", (yield* Ref.get(sent)).length + 1)
                yield* Ref.update(sent, (all) => [...all, { ...email, messageId }])
                return { messageId, to: email.to, subject: email.subject }
              })
            ),
          sent: Ref.get(sent)
        }
      })
    )
  }
}

// ---------------------------------------------------------------------------
// policy and rules
// ---------------------------------------------------------------------------

/** Whether an error may heal by itself, so another attempt is worth it. */
const isTransient = (error: unknown): boolean =>
  error instanceof PaymentUnavailable ||
  error instanceof CarrierUnavailable ||
  error instanceof MailerUnavailable ||
  error instanceof Errors.StepTimeout

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for transient errors only:
 * a declined card or a rejected address fails the step at once.
 */
const retryTransient = Schedule.exponential("1 second").pipe(
  Schedule.intersect(Schedule.recurs(3)),
  Schedule.whileInput(isTransient)
)

/** How long the values the steps write live: longer than any approval wait. */
export const retention = "30 days"

/** Each call to a service may take this long, per attempt. */
const callTimeout = "10 seconds"

/** `name@domain.tld`, roughly: enough to catch a typo, not a validator. */
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** `12345` cents → `"123.45 EUR"`. */
export const formatAmount = (cents: number, currency: string): string => `${(cents / 100).toFixed(2)} ${currency}`

/** The policy of an order-processing template. */
export interface Policy {
  /** Orders whose total (in cents) is at least this need a person's approval (default 100000: 1000.00). */
  readonly approvalThreshold: number
  /** How long to wait for the approval before refusing the order (default 2 days). */
  readonly approvalTimeout: Duration.DurationInput
  /** How long an approved order waits before it ships, so the customer may still cancel (default 15 minutes). */
  readonly coolingOff: Duration.DurationInput
  /**
   * The template's version (default `"1.0"`). Runs are pinned to it: give
   * another version to a template made with another policy.
   */
  readonly version: string
}

/** The policy of {@link template}. */
export const defaultPolicy: Policy = {
  approvalThreshold: 100_000,
  approvalTimeout: "2 days",
  coolingOff: "15 minutes",
  version: "1.0"
}

// ---------------------------------------------------------------------------
// steps
// ---------------------------------------------------------------------------

/**
 * Checks the order (at least one line, whole positive quantities, whole
 * non-negative prices in cents, an e-mail address, a shipping address, a
 * three-letter currency) and computes its total. Pure: no retry.
 *
 * requires `order`; provides `invoice`; fails with {@link InvalidOrder}.
 */
export const checkOrder = Step.make({
  name: "check_order",
  requires: { order: Order },
  provides: { invoice: Invoice },
  retry: Schedule.stop,
  ttl: retention,
  run: ({ order }) =>
    Effect.gen(function*() {
      const problems: Array<string> = []
      if (order.lines.length === 0) problems.push("it has no lines")
      order.lines.forEach((line, i) => {
        if (!Number.isInteger(line.quantity) || line.quantity < 1) {
          problems.push(`line ${i + 1} (${line.sku}): quantity ${line.quantity} is not a whole number from 1`)
        }
        if (!Number.isInteger(line.unitPrice) || line.unitPrice < 0) {
          problems.push(`line ${i + 1} (${line.sku}): unit price ${line.unitPrice} is not a whole number of cents`)
        }
      })
      const customerEmail = order.customerEmail.trim()
      if (!emailPattern.test(customerEmail)) problems.push(`"${order.customerEmail}" is not an e-mail address`)
      const shippingAddress = order.shippingAddress.trim()
      if (shippingAddress.length === 0) problems.push("the shipping address is empty")
      if (!/^[A-Z]{3}$/.test(order.currency)) problems.push(`"${order.currency}" is not a currency code`)
      if (problems.length > 0) return yield* new InvalidOrder({ orderId: order.orderId, problems })
      const total = order.lines.reduce((sum, line) => sum + line.quantity * line.unitPrice, 0)
      return {
        invoice: { orderId: order.orderId, customerEmail, shippingAddress, currency: order.currency, lines: order.lines, total }
      }
    })
})

/**
 * Charges the invoice's total to the order's card (retried, 10 s timeout).
 * The step's idempotency key goes to the provider: a retry, or a re-run
 * after a crash, charges once.
 *
 * requires `order`, `invoice`; provides `payment`; fails with
 * {@link CardDeclined}, {@link PaymentUnavailable}.
 */
export const chargeCard = Step.make({
  name: "charge_card",
  requires: { order: Order, invoice: Invoice },
  provides: { payment: Payment },
  retry: retryTransient,
  timeout: callTimeout,
  ttl: retention,
  run: ({ invoice, order }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const payments = yield* Payments
      const request = {
        amount: invoice.total,
        currency: invoice.currency,
        paymentToken: order.paymentToken,
        reference: `order ${invoice.orderId}`
      }
      return { payment: yield* payments.charge(request, idempotencyKey) }
    })
})

/**
 * Waits for a person's decision on a large order: the `approval` signal,
 * whose payload is a {@link Decision}. No answer in time is a refusal.
 */
export const awaitApproval = (timeout: Duration.DurationInput) =>
  Durable.waitForSignal("approval", Decision, {
    timeout,
    default: { approved: false, by: "nobody", reason: `no answer within ${Duration.format(Duration.decode(timeout))}` }
  })

/**
 * Records a person's decision as the order's decision. Pure.
 *
 * requires `approval`; provides `decision`.
 */
export const recordDecision = Step.make({
  name: "record_decision",
  requires: { approval: Decision },
  provides: { decision: ReviewDecision },
  ttl: retention,
  run: ({ approval }) =>
    Effect.succeed({
      decision: {
        approved: approval.approved,
        by: approval.by,
        reason: approval.reason ?? (approval.approved ? "approved" : "refused"),
        automatic: false
      }
    })
})

/**
 * Approves an order below the approval threshold, by rule. Pure.
 *
 * requires `invoice`; provides `decision`.
 */
export const autoApprove = Step.make({
  name: "auto_approve",
  requires: { invoice: Invoice },
  provides: { decision: ReviewDecision },
  ttl: retention,
  run: ({ invoice }) =>
    Effect.succeed({
      decision: {
        approved: true,
        by: "rule",
        reason: `${formatAmount(invoice.total, invoice.currency)} is below the approval threshold`,
        automatic: true
      }
    })
})

/**
 * Hands the order to the carrier (retried, 10 s timeout), idempotently.
 *
 * requires `invoice`; provides `shipment`, `orderStatus: "shipped"`; fails
 * with {@link AddressRejected}, {@link CarrierUnavailable}.
 */
export const shipOrder = Step.make({
  name: "ship_order",
  requires: { invoice: Invoice },
  provides: { shipment: Shipment, orderStatus: Schema.Literal("shipped") },
  retry: retryTransient,
  timeout: callTimeout,
  ttl: retention,
  run: ({ invoice }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const shipping = yield* Shipping
      const parcel = { orderId: invoice.orderId, address: invoice.shippingAddress, lines: invoice.lines }
      return { shipment: yield* shipping.ship(parcel, idempotencyKey), orderStatus: "shipped" as const }
    })
})

/**
 * Refunds the charge of a refused order (retried, 10 s timeout), idempotently.
 *
 * requires `payment`; provides `refund`, `orderStatus: "cancelled"`; fails
 * with {@link ChargeNotFound}, {@link PaymentUnavailable}.
 */
export const refundPayment = Step.make({
  name: "refund_payment",
  requires: { payment: Payment },
  provides: { refund: Refund, orderStatus: Schema.Literal("cancelled") },
  retry: retryTransient,
  timeout: callTimeout,
  ttl: retention,
  run: ({ payment }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const payments = yield* Payments
      return { refund: yield* payments.refund(payment, idempotencyKey), orderStatus: "cancelled" as const }
    })
})

/** The e-mail {@link sendConfirmation} sends. */
export const confirmationEmail = (invoice: Invoice, shipment: Shipment): Email => ({
  to: invoice.customerEmail,
  subject: `Your order ${invoice.orderId} is on its way`,
  body: [
    `We charged ${formatAmount(invoice.total, invoice.currency)} and shipped your order to ${invoice.shippingAddress}.`,
    `Tracking number: ${shipment.trackingNumber} (${shipment.carrier}).`
  ].join("\n")
})

/** The e-mail {@link sendCancellation} sends. */
export const cancellationEmail = (invoice: Invoice, decision: ReviewDecision, refund: Refund): Email => ({
  to: invoice.customerEmail,
  subject: `Your order ${invoice.orderId} was cancelled`,
  body: [
    `We could not accept your order (${decision.reason}).`,
    `We refunded ${formatAmount(refund.amount, invoice.currency)} (refund ${refund.refundId}).`
  ].join("\n")
})

/**
 * Tells the customer the order shipped (retried, 10 s timeout),
 * idempotently. A mail that still cannot be sent is skipped: the order has
 * shipped all the same.
 *
 * requires `invoice`, `shipment`; provides `notification` (absent when skipped).
 */
export const sendConfirmation = Step.make({
  name: "send_confirmation",
  requires: { invoice: Invoice, shipment: Shipment },
  provides: { notification: Notification },
  retry: retryTransient,
  timeout: callTimeout,
  ttl: retention,
  onError: "skip",
  run: ({ invoice, shipment }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const mailer = yield* Mailer
      return { notification: yield* mailer.send(confirmationEmail(invoice, shipment), idempotencyKey) }
    })
})

/**
 * Tells the customer the order was refused and refunded (retried, 10 s
 * timeout), idempotently; skipped when the mail still cannot be sent.
 *
 * requires `invoice`, `decision`, `refund`; provides `notification` (absent when skipped).
 */
export const sendCancellation = Step.make({
  name: "send_cancellation",
  requires: { invoice: Invoice, decision: ReviewDecision, refund: Refund },
  provides: { notification: Notification },
  retry: retryTransient,
  timeout: callTimeout,
  ttl: retention,
  onError: "skip",
  run: ({ decision, invoice, refund }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const mailer = yield* Mailer
      return { notification: yield* mailer.send(cancellationEmail(invoice, decision, refund), idempotencyKey) }
    })
})

// ---------------------------------------------------------------------------
// template
// ---------------------------------------------------------------------------

/**
 * An order-processing template with the given policy (see {@link Policy};
 * what is not given is {@link defaultPolicy}'s).
 */
export const make = (policy?: Partial<Policy>) => {
  const { approvalThreshold, approvalTimeout, coolingOff, version } = { ...defaultPolicy, ...policy }
  const manualReview = Template.make({
    name: "manual_review",
    version,
    steps: [awaitApproval(approvalTimeout), recordDecision]
  })
  const automaticReview = Template.make({ name: "automatic_review", version, steps: [autoApprove] })
  const fulfil = Template.make({
    name: "fulfil",
    version,
    steps: [Durable.sleep("cooling_off", coolingOff), shipOrder, sendConfirmation]
  })
  const cancel = Template.make({ name: "cancel", version, steps: [refundPayment, sendCancellation] })
  return Template.make({
    name: "order_processing",
    version,
    steps: [
      checkOrder,
      chargeCard,
      Flow.branch({
        name: "review",
        requires: { invoice: Invoice },
        when: ({ invoice }) => invoice.total >= approvalThreshold,
        then: manualReview,
        else: automaticReview
      }),
      Flow.branch({
        name: "fulfilment",
        requires: { decision: ReviewDecision },
        when: ({ decision }) => decision.approved,
        then: fulfil,
        else: cancel
      })
    ]
  })
}

/**
 * The order-processing template, with {@link defaultPolicy}.
 *
 * requires `order: Order`; provides `invoice`, `payment`, `decision`,
 * `orderStatus` (and optionally `approval`, `shipment`, `refund`,
 * `notification`); needs {@link Payments}, {@link Shipping}, {@link Mailer}.
 */
export const template = make()
