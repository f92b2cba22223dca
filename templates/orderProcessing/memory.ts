/**
 * In-memory services of the order-processing template: deterministic and
 * idempotent by key, with injectable faults (`Testing.Faults`), for tests and
 * demos. Each class is the service Tag of `model.ts` with its `layerMemory`.
 *
 * @since 0.1.0
 */
import { Clock, Effect, HashMap, Layer, Option, Ref } from "effect"
import { Testing } from "weftjs"
import * as Model from "./model.js"

/**
 * Injected faults of the in-memory services, so tests can exercise retries
 * and timeouts. `lostAcks: n`: the first `n` calls that do their work fail
 * anyway with the service's `*Unavailable` error, as when a reply is lost on
 * the network: the caller retries, with the same idempotency key.
 */
export type Faults = Testing.Faults

/** The payment provider ({@link Model.Payments}), with its in-memory layer. */
export class Payments extends Model.Payments {
  /**
   * An in-memory provider. Cards whose token is in `declined` are declined
   * (`"insufficient funds"`).
   */
  static layerMemory(
    options?: Faults & { readonly declined?: ReadonlyArray<string> | undefined }
  ): Layer.Layer<Model.Payments> {
    const declined = new Set(options?.declined ?? [])
    return Layer.effect(
      Model.Payments,
      Effect.gen(function*() {
        const charges = yield* Ref.make<ReadonlyArray<Model.ChargeRecord>>([])
        const refunds = yield* Ref.make(0)
        const charge = yield* idempotent<Model.Payment, Model.CardDeclined, Model.PaymentUnavailable>(
          options,
          () => new Model.PaymentUnavailable()
        )
        const refund = yield* idempotent<Model.Refund, Model.ChargeNotFound, Model.PaymentUnavailable>(
          options,
          () => new Model.PaymentUnavailable()
        )
        return {
          charge: (request, key) =>
            charge(
              key,
              Effect.gen(function*() {
                if (declined.has(request.paymentToken)) return yield* new Model.CardDeclined({ reason: "insufficient funds" })
                const record: Model.ChargeRecord = {
                  chargeId: serial("ch", (yield* Ref.get(charges)).length + 1),
                  amount: request.amount,
                  currency: request.currency,
                  chargedAt: yield* Clock.currentTimeMillis,
                  reference: request.reference,
                  refunded: 0
                }
                yield* Ref.update(charges, (all) => [...all, record])
                const { amount, chargeId, chargedAt, currency } = record
                return { chargeId, amount, currency, chargedAt }
              })
            ),
          refund: (payment, key) =>
            refund(
              key,
              Effect.gen(function*() {
                const all = yield* Ref.get(charges)
                if (!all.some((c) => c.chargeId === payment.chargeId)) {
                  return yield* new Model.ChargeNotFound({ chargeId: payment.chargeId })
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

/** The carrier ({@link Model.Shipping}), with its in-memory layer. */
export class Shipping extends Model.Shipping {
  /** An in-memory carrier that does not deliver to the addresses in `undeliverable`. */
  static layerMemory(
    options?: Faults & { readonly undeliverable?: ReadonlyArray<string> | undefined }
  ): Layer.Layer<Model.Shipping> {
    const undeliverable = new Set(options?.undeliverable ?? [])
    return Layer.effect(
      Model.Shipping,
      Effect.gen(function*() {
        const shipments = yield* Ref.make<ReadonlyArray<Model.Parcel & Model.Shipment>>([])
        const ship = yield* idempotent<Model.Shipment, Model.AddressRejected, Model.CarrierUnavailable>(
          options,
          () => new Model.CarrierUnavailable()
        )
        return {
          ship: (parcel, key) =>
            ship(
              key,
              Effect.gen(function*() {
                if (undeliverable.has(parcel.address)) return yield* new Model.AddressRejected({ address: parcel.address })
                const shipment: Model.Shipment = {
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

/** The mail server ({@link Model.Mailer}), with its in-memory layer. */
export class Mailer extends Model.Mailer {
  /** An in-memory mail server: it records what it sends. */
  static layerMemory(options?: Faults): Layer.Layer<Model.Mailer> {
    return Layer.effect(
      Model.Mailer,
      Effect.gen(function*() {
        const sent = yield* Ref.make<ReadonlyArray<Model.Email & { readonly messageId: string }>>([])
        const send = yield* idempotent<Model.Notification, never, Model.MailerUnavailable>(
          options,
          () => new Model.MailerUnavailable()
        )
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

/**
 * An idempotent in-memory operation with {@link Faults}: `work` runs once
 * per idempotency key; a later call with the same key returns the first
 * result.
 */
const idempotent = <A, E, E2>(faults: Faults | undefined, unavailable: () => E2) =>
  Effect.gen(function*() {
    const withFaults = yield* Testing.faults(faults, unavailable)
    const done = yield* Ref.make(HashMap.empty<string, A>())
    return (key: string, work: Effect.Effect<A, E>): Effect.Effect<A, E | E2> =>
      withFaults(Effect.gen(function*() {
        const previous = HashMap.get(yield* Ref.get(done), key)
        if (Option.isSome(previous)) return previous.value
        const result = yield* work
        yield* Ref.update(done, HashMap.set(key, result))
        return result
      }))
  })

const serial = (prefix: string, n: number) => `${prefix}-${String(n).padStart(6, "0")}`
