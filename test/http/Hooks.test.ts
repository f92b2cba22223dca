/**
 * Webhooks over HTTP (`POST /hooks/<name>`), against a real server on a
 * free port: signed deliveries, the idempotency key as the run id (two
 * deliveries at once start one run), and refusals (400 naming the key, 401,
 * 404) that write nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import * as fc from "fast-check"
import { Step, Template, Trigger } from "weftjs"
import { checkSignature, signature } from "../../src/http/internal/hooks.js"
import { makeClient, memoryEngine, serve } from "./fixtures.js"

const order = Template.make({
  name: "hooked_order",
  version: "1",
  steps: [Step.make({
    name: "take",
    requires: { orderId: Schema.String, cents: Schema.Number },
    provides: { taken: Schema.Boolean },
    run: () => Effect.succeed({ taken: true })
  })]
})

const secret = "a-long-webhook-secret"

const signed = Trigger.webhook("orders", order, {
  body: Schema.Struct({ id: Schema.String, amount: Schema.Struct({ cents: Schema.Int }) }),
  input: (body) => ({ orderId: body.id, cents: body.amount.cents }),
  secret: Redacted.make(secret)
})

const open = Trigger.webhook("open", order, {
  body: Schema.Struct({ id: Schema.String }),
  input: (body) => ({ orderId: body.id, cents: 0 })
})

const post = (url: string, body: string, headers: Record<string, string> = {}) =>
  Effect.promise(async () => {
    const response = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json", ...headers } })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  })

const signedHeaders = (body: string, at = Math.floor(Date.now() / 1000)) => ({
  "x-weft-timestamp": String(at),
  "x-weft-signature": `sha256=${signature(secret, String(at), body)}`
})

const setup = Effect.gen(function*() {
  const server = yield* serve(memoryEngine)
  yield* server.engine.trigger(signed)
  yield* server.engine.trigger(open)
  return server
})

describe("POST /hooks/<name>", () => {
  it.scopedLive("a signed delivery answers 202 with the run id; the same key twice at once starts one run", () =>
    Effect.gen(function*() {
      const { engine, url } = yield* setup
      const body = JSON.stringify({ id: "o-1", amount: { cents: 250 } })
      const both = yield* Effect.all([
        post(`${url}/hooks/orders`, body, { ...signedHeaders(body), "idempotency-key": "delivery-1" }),
        post(`${url}/hooks/orders`, body, { ...signedHeaders(body), "idempotency-key": "delivery-1" })
      ], { concurrency: 2 })
      expect(both.map((r) => r.status)).toEqual([202, 202])
      expect(both.map((r) => r.body.runId)).toEqual(["hook:orders:delivery-1", "hook:orders:delivery-1"])
      expect(both.filter((r) => r.body.started === true)).toHaveLength(1)
      const result = yield* engine.await(order, "hook:orders:delivery-1")
      expect(result.state).toEqual({ orderId: "o-1", cents: 250, taken: true })
      const runs = yield* engine.list({ templateName: "hooked_order" })
      expect(runs.map((r) => r.runId)).toEqual(["hook:orders:delivery-1"])
    }))

  it.scopedLive("refusals write nothing: 401 bad or stale signature, 400 naming the key, 404 unknown", () =>
    Effect.gen(function*() {
      const { engine, url } = yield* setup
      const body = JSON.stringify({ id: "o-2", amount: { cents: 1 } })
      const unsigned = yield* post(`${url}/hooks/orders`, body)
      expect(unsigned.status).toBe(401)
      const forged = yield* post(`${url}/hooks/orders`, body, { ...signedHeaders(`${body} `), "idempotency-key": "x" })
      expect(forged.status).toBe(401)
      const stale = yield* post(`${url}/hooks/orders`, body, signedHeaders(body, Math.floor(Date.now() / 1000) - 3600))
      expect(stale.status).toBe(401)
      expect(String(stale.body.message)).toContain("tolerance")
      const bad = JSON.stringify({ id: "o-3", amount: { cents: "many" } })
      const invalid = yield* post(`${url}/hooks/orders`, bad, signedHeaders(bad))
      expect(invalid.status).toBe(400)
      expect(String(invalid.body.message)).toContain("amount.cents")
      const unknown = yield* post(`${url}/hooks/nope`, "{}")
      expect(unknown.status).toBe(404)
      const notJson = yield* post(`${url}/hooks/open`, "{", {})
      expect(notJson.status).toBe(400)
      expect(yield* engine.list({ templateName: "hooked_order" })).toEqual([])
      const fine = yield* post(`${url}/hooks/open`, JSON.stringify({ id: "o-4" }))
      expect(fine.status).toBe(202)
      expect(fine.body.started).toBe(true)
    }))
})

describe("/api/schedules and /api/triggers", () => {
  it.scopedLive("create, list, pause, resume, delete schedules; list triggers; a run shows what started it", () =>
    Effect.gen(function*() {
      const { engine, url } = yield* setup
      const client = yield* makeClient(url)
      const created = yield* client.schedules.create({
        payload: { name: "nightly", template: "hooked_order", cron: "0 3 * * *", timeZone: "Europe/Paris", input: { orderId: "n", cents: 1 } }
      })
      expect(created).toMatchObject({ name: "nightly", paused: false, timeZone: "Europe/Paris" })
      expect(created.nextTicks).toHaveLength(3)
      const bad = yield* Effect.flip(
        client.schedules.create({ payload: { name: "bad", template: "hooked_order", cron: "0 3 * *", input: {} } })
      )
      expect(bad._tag).toBe("InvalidSchedule")
      const dup = yield* Effect.flip(
        client.schedules.create({ payload: { name: "nightly", template: "hooked_order", cron: "0 3 * * *", input: { orderId: "n", cents: 1 } } })
      )
      expect(dup._tag).toBe("ScheduleExists")
      expect((yield* client.schedules.pause({ path: { name: "nightly" } })).paused).toBe(true)
      expect((yield* client.schedules.resume({ path: { name: "nightly" } })).paused).toBe(false)
      expect((yield* client.schedules.list()).map((x) => x.name)).toEqual(["nightly"])
      yield* client.schedules.delete({ path: { name: "nightly" } })
      expect((yield* Effect.flip(client.schedules.delete({ path: { name: "nightly" } })))._tag).toBe("ScheduleNotFound")
      const triggers = yield* client.schedules.triggers()
      expect(triggers).toEqual([
        { name: "orders", kind: "webhook", template: "hooked_order@1", signed: true },
        { name: "open", kind: "webhook", template: "hooked_order@1", signed: false }
      ])
      const body = JSON.stringify({ id: "o-9" })
      yield* post(`${url}/hooks/open`, body, { "idempotency-key": "k9" })
      const detail = yield* client.runs.get({ path: { runId: "hook:open:k9" } })
      expect(detail.run.triggeredBy).toEqual({ _tag: "Webhook", hook: "open", delivery: "k9" })
      yield* engine.await(order, "hook:open:k9")
    }))
})

describe("checkSignature", () => {
  it("accepts exactly the signature of the body and timestamp, within the tolerance (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 0, max: 2_000_000_000 }), fc.string(), (body, other, at, forged) => {
        const now = at * 1000
        const good = { "x-weft-timestamp": String(at), "x-weft-signature": `sha256=${signature(secret, String(at), body)}` }
        expect(checkSignature(secret, good, body, now, 300_000)).toBeUndefined()
        if (other !== body) expect(checkSignature(secret, good, other, now, 300_000)).toBeDefined()
        expect(checkSignature(secret, good, body, now + 301_000, 300_000)).toBeDefined()
        expect(checkSignature(secret, { ...good, "x-weft-signature": forged }, body, now, 300_000)).toBeDefined()
        expect(checkSignature("another-secret", good, body, now, 300_000)).toBeDefined()
      })
    )
  })
})
