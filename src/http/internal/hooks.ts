/**
 * Webhooks: `POST /hooks/<name>` for each webhook trigger declared with the
 * engine. The raw body's signature is checked first when the webhook has a
 * secret (`x-weft-signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`
 * and `x-weft-timestamp: <epoch seconds>` within the webhook's tolerance,
 * compared in constant time), then the body is decoded with its Schema and
 * the run started, its id from the `idempotency-key` header. Answers `202
 * { runId, started }`; `400` naming the key for a body that does not
 * decode, `401` for a bad signature, `404` for an unknown webhook — with
 * nothing written for any of them. These routes need no bearer token: a
 * webhook's sender proves itself with its signature.
 *
 * @internal
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { HttpApiBuilder, HttpRouter, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, Config, Duration, Effect, Either, Layer, Redacted } from "effect"
import * as Engine from "../../Engine.js"
import type * as Errors from "../../Errors.js"
import type * as Trigger from "../../Trigger.js"

const json = (status: number, body: unknown) => HttpServerResponse.unsafeJson(body, { status })

const refused = (status: number, error: { readonly _tag: string; readonly message: string; readonly issues?: unknown }) =>
  json(status, { _tag: error._tag, message: error.message, ...(error.issues === undefined ? {} : { issues: error.issues }) })

/** The signature a sender computes: hex HMAC-SHA256 of `<timestamp>.<body>`. */
export const signature = (secret: string, timestamp: string, body: string): string =>
  createHmac("sha256", secret).update(`${timestamp}.${body}`, "utf8").digest("hex")

/** Whether two strings are equal, compared in constant time (lengths compared first: they are not secret). */
const sameText = (a: string, b: string): boolean => {
  const x = Buffer.from(a, "utf8")
  const y = Buffer.from(b, "utf8")
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Why a delivery's signature does not check, or `undefined` when it does. */
export const checkSignature = (
  secret: string,
  headers: Readonly<Record<string, string | undefined>>,
  body: string,
  now: number,
  toleranceMillis: number
): string | undefined => {
  const timestamp = headers["x-weft-timestamp"]
  const given = headers["x-weft-signature"]
  if (timestamp === undefined || given === undefined) return "x-weft-timestamp and x-weft-signature are required"
  if (!/^\d{1,15}$/.test(timestamp)) return "x-weft-timestamp is not epoch seconds"
  if (Math.abs(now - Number(timestamp) * 1000) > toleranceMillis) return "x-weft-timestamp is outside the tolerance"
  const expected = `sha256=${signature(secret, timestamp, body)}`
  return sameText(expected, given) ? undefined : "the signature does not match"
}

const secretOf = (hook: Trigger.Webhook<unknown>): Effect.Effect<string | undefined, unknown> =>
  hook.secret === undefined
    ? Effect.succeed(undefined)
    : Redacted.isRedacted(hook.secret)
    ? Effect.succeed(Redacted.value(hook.secret as Redacted.Redacted<string>))
    : Effect.map(hook.secret as Config.Config<Redacted.Redacted>, (r) => Redacted.value(r as Redacted.Redacted<string>))

/** One delivery. */
const deliver = (engine: Engine.Service, name: string) =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    const hook = (yield* engine.triggers).find((t): t is Trigger.Webhook<unknown> => t._tag === "Webhook" && t.name === name)
    if (hook === undefined) {
      return refused(404, { _tag: "DeliveryRejected", message: `Webhook "${name}" delivery rejected (not-found): no webhook of that name is declared` })
    }
    const text = yield* Effect.orElseSucceed(request.text, () => "")
    const secret = yield* Effect.either(secretOf(hook))
    if (Either.isLeft(secret)) {
      yield* Effect.logError(`weft http: the secret of webhook ${name} cannot be read`, secret.left)
      return refused(500, { _tag: "InternalServerError", message: "The webhook's secret cannot be read" })
    }
    if (secret.right !== undefined) {
      const now = yield* Clock.currentTimeMillis
      const why = checkSignature(secret.right, request.headers, text, now, Duration.toMillis(Duration.decode(hook.tolerance)))
      if (why !== undefined) {
        return refused(401, { _tag: "DeliveryRejected", message: `Webhook "${name}" delivery rejected (bad-signature): ${why}` })
      }
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return refused(400, { _tag: "DeliveryRejected", message: `Webhook "${name}" delivery rejected (invalid-body): not JSON` })
    }
    const delivered = yield* Effect.either(engine.deliver(name, body, request.headers["idempotency-key"]))
    if (Either.isRight(delivered)) return json(202, delivered.right)
    const error: Errors.DeliveryRejected | Errors.PersistenceError | Errors.InvalidRunId = delivered.left
    switch (error._tag) {
      case "DeliveryRejected":
        return refused(error.reason === "not-found" ? 404 : error.reason === "bad-signature" ? 401 : 400, error)
      case "InvalidRunId":
        return refused(400, error)
      case "PersistenceError":
        return refused(error.transient ? 503 : 500, error)
    }
  })

/** The webhook routes, on the API's router. */
export const layer: Layer.Layer<never, never, Engine.Engine> = HttpApiBuilder.Router.use((router) =>
  Effect.flatMap(Engine.Engine, (engine) =>
    router.post(
      "/hooks/:name",
      Effect.flatMap(HttpRouter.params, (params) => deliver(engine, params.name ?? ""))
    ))
)
