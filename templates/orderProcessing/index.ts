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
 * This file reads top-down: the template, then its steps in flow order, then
 * the rules they apply. The Schemas, errors and service Tags are in
 * `model.ts`, the in-memory services in `memory.ts`.
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
import { Duration, Effect, Schedule, Schema } from "effect"
import { Durable, Errors, Flow, Step, Template } from "weftjs"
import {
  AddressRejected,
  CardDeclined,
  ChargeNotFound,
  Decision,
  type Email,
  InvalidOrder,
  Invoice,
  Mailer,
  MailerUnavailable,
  Notification,
  Order,
  Payment,
  Payments,
  Refund,
  ReviewDecision,
  Shipment,
  Shipping
} from "./model.js"

export * from "./model.js"
export * from "./memory.js"
// the service Tags with their in-memory layers (`Payments.layerMemory`, ...)
export { Mailer, Payments, Shipping } from "./memory.js"

// ---------------------------------------------------------------------------
// the template
// ---------------------------------------------------------------------------

/**
 * An order-processing template with the given policy (see {@link Policy};
 * what is not given is {@link defaultPolicy}'s).
 */
export function make(policy?: Partial<Policy>) {
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
// steps, in flow order
// ---------------------------------------------------------------------------

/** How long the values the steps write live: longer than any approval wait. */
export const retention = "30 days"

/** Each call to a service may take this long, per attempt. */
const callTimeout = "10 seconds"

/**
 * Up to 3 more attempts, 1 s, 2 s and 4 s apart, for the errors each step
 * lists with `Step.retryOn` (its services' `*Unavailable`, `StepTimeout`):
 * a declined card or a rejected address fails the step at once.
 */
const backoff = Schedule.exponential("1 second").pipe(Schedule.intersect(Schedule.recurs(3)))

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
  retry: backoff,
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
}).pipe(Step.retryOn("PaymentUnavailable", "StepTimeout"))

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
  retry: backoff,
  timeout: callTimeout,
  ttl: retention,
  run: ({ invoice }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const shipping = yield* Shipping
      const parcel = { orderId: invoice.orderId, address: invoice.shippingAddress, lines: invoice.lines }
      return { shipment: yield* shipping.ship(parcel, idempotencyKey), orderStatus: "shipped" as const }
    })
}).pipe(Step.retryOn("CarrierUnavailable", "StepTimeout"))

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
  retry: backoff,
  // a skippable step's errors are not in its type (they skip it, they do not fail the run),
  // so there are no tags for `Step.retryOn` to check: a predicate says what to retry
  retryWhile: (error) => error instanceof MailerUnavailable || error instanceof Errors.StepTimeout,
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
 * Refunds the charge of a refused order (retried, 10 s timeout), idempotently.
 *
 * requires `payment`; provides `refund`, `orderStatus: "cancelled"`; fails
 * with {@link ChargeNotFound}, {@link PaymentUnavailable}.
 */
export const refundPayment = Step.make({
  name: "refund_payment",
  requires: { payment: Payment },
  provides: { refund: Refund, orderStatus: Schema.Literal("cancelled") },
  retry: backoff,
  timeout: callTimeout,
  ttl: retention,
  run: ({ payment }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const payments = yield* Payments
      return { refund: yield* payments.refund(payment, idempotencyKey), orderStatus: "cancelled" as const }
    })
}).pipe(Step.retryOn("PaymentUnavailable", "StepTimeout"))

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
  retry: backoff,
  // a skippable step's errors are not in its type (they skip it, they do not fail the run),
  // so there are no tags for `Step.retryOn` to check: a predicate says what to retry
  retryWhile: (error) => error instanceof MailerUnavailable || error instanceof Errors.StepTimeout,
  timeout: callTimeout,
  ttl: retention,
  onError: "skip",
  run: ({ decision, invoice, refund }, { idempotencyKey }) =>
    Effect.gen(function*() {
      const mailer = yield* Mailer
      return { notification: yield* mailer.send(cancellationEmail(invoice, decision, refund), idempotencyKey) }
    })
})

/**
 * The order-processing template, with {@link defaultPolicy}.
 *
 * requires `order: Order`; provides `invoice`, `payment`, `decision`,
 * `orderStatus` (and optionally `approval`, `shipment`, `refund`,
 * `notification`); needs {@link Payments}, {@link Shipping}, {@link Mailer}.
 */
export const template = make()

// ---------------------------------------------------------------------------
// rules
// ---------------------------------------------------------------------------

/** `name@domain.tld`, roughly: enough to catch a typo, not a validator. */
const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** `12345` cents → `"123.45 EUR"`. */
export const formatAmount = (cents: number, currency: string): string => `${(cents / 100).toFixed(2)} ${currency}`

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
