/**
 * The model of the order-processing template: the Schemas of the state it
 * reads and writes, its typed errors, and the services it needs (their
 * in-memory fakes are in `memory.ts`).
 *
 * @since 0.1.0
 */
import type { Effect } from "effect"
import { Context, Data, Schema } from "effect"

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

/** What the shop asks the payment provider to charge. */
export interface ChargeRequest {
  /** In cents. */
  readonly amount: number
  readonly currency: string
  readonly paymentToken: string
  /** The order, for the customer's statement. */
  readonly reference: string
}

/** A charge as the provider holds it. */
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
}>() {}

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
}>() {}

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
}>() {}
