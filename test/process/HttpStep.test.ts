/**
 * The built-in HTTP step against a local `node:http` server: JSON body and
 * headers from the input, retries on 5xx and 429 that wait what
 * `Retry-After` says, the response decoded with its Schema (a mismatch
 * names the field), a timeout and a final status as `HttpFailed`; the same
 * from a YAML flow's `http:` step. (Real time: the process project.)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema } from "effect"
import { Engine, Errors, Settings, SnapshotStore, type Step, Template } from "weftjs"
import { HttpStep } from "weftjs/http"
import { retryAfter } from "../../src/http/internal/step.js"
import { load } from "../yaml/support.js"

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }

interface Seen {
  readonly method: string
  readonly url: string
  readonly body: string
  readonly auth: string | undefined
  readonly at: number
}
const seen: Array<Seen> = []
let server: Server
let base = ""
/** Per path: how many more requests fail before one succeeds. */
const failures = new Map<string, number>()

const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
  const url = new URL(req.url ?? "/", "http://localhost")
  seen.push({ method: req.method ?? "", url: req.url ?? "", body, auth: req.headers.authorization, at: Date.now() })
  const left = failures.get(url.pathname) ?? 0
  if (left > 0) {
    failures.set(url.pathname, left - 1)
    if (url.pathname === "/busy") res.writeHead(429, { "retry-after": "1" }).end("slow down")
    else res.writeHead(503).end("unavailable")
    return
  }
  if (url.pathname === "/slow") return void setTimeout(() => res.writeHead(200).end("{}"), 3000)
  if (url.pathname === "/missing") return void res.writeHead(404).end("no such order")
  res.writeHead(200, { "content-type": "application/json" }).end(
    JSON.stringify({ id: url.searchParams.get("id") ?? "o-1", total: url.pathname === "/bad" ? "12" : 12, echo: body === "" ? null : JSON.parse(body) })
  )
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ""
    req.on("data", (chunk) => (body += String(chunk)))
    req.on("end", () => handle(req, res, body))
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

/** Runs a template on a real engine (real time). */
const run = <E>(steps: ReadonlyArray<Step.Step.Any>, input: Record<string, unknown>) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const template = Template.make({ name: "http", version: "1", steps: steps as never })
    return (yield* engine.run(template as never, input as never)).state as Record<string, unknown>
  }).pipe(
    Effect.scoped,
    Effect.provide(Engine.layer.pipe(Layer.provide(SnapshotStore.layerMemory), Layer.provide(Settings.layerWith(settings)), Layer.orDie))
  ) as unknown as Effect.Effect<Record<string, unknown>, E>

const Order = Schema.Struct({ id: Schema.String, total: Schema.Number, echo: Schema.Unknown })

describe("HttpStep", () => {
  it("Retry-After: seconds or a date", () => {
    expect(retryAfter("3", 0)).toEqual(Duration.seconds(3))
    expect(retryAfter(new Date(10_000).toUTCString(), 4_000)).toEqual(Duration.millis(6_000))
    expect(retryAfter("soon", 0)).toBeUndefined()
    expect(retryAfter(undefined, 0)).toBeUndefined()
  })

  it.live("sends method, headers, query and JSON body from the input; decodes the response", () =>
    Effect.gen(function*() {
      seen.length = 0
      const post = HttpStep.make({
        name: "post",
        requires: { id: Schema.String, qty: Schema.Number },
        output: "order",
        method: "POST",
        url: `${base}/orders`,
        headers: { authorization: "Bearer t" },
        query: ({ id }) => ({ id }),
        body: ({ qty }) => ({ qty }),
        schema: Order
      })
      const state = yield* run([post as unknown as Step.Step.Any], { id: "o-7", qty: 2 })
      expect(state["order"]).toEqual({ id: "o-7", total: 12, echo: { qty: 2 } })
      expect(seen).toMatchObject([{ method: "POST", url: "/orders?id=o-7", body: `{"qty":2}`, auth: "Bearer t" }])
    }))

  it.live("retries 5xx, and 429 after what Retry-After asks; a final status, a mismatch and a timeout are typed failures", () =>
    Effect.gen(function*() {
      seen.length = 0
      failures.set("/flaky", 2).set("/busy", 1)
      const get = (path: string, extra: { readonly retries?: number; readonly timeout?: Duration.DurationInput; readonly schema?: typeof Order } = {}) =>
        HttpStep.make({ name: "get", output: "out", url: `${base}${path}`, retryDelay: "10 millis", ...extra }) as unknown as Step.Step.Any
      expect((yield* run([get("/flaky")], {}))["out"]).toMatchObject({ total: 12 })
      expect(seen.length).toBe(3)
      const busy = yield* run([get("/busy")], {})
      expect(busy["out"]).toMatchObject({ total: 12 })
      const [first, second] = seen.slice(3)
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(950)
      failures.set("/flaky", 5)
      const gaveUp = yield* Effect.flip(run([get("/flaky", { retries: 1 })], {}))
      expect(gaveUp).toBeInstanceOf(Errors.HttpFailed)
      expect(gaveUp).toMatchObject({ reason: "status", status: 503, detail: "unavailable" })
      failures.delete("/flaky")
      expect(yield* Effect.flip(run([get("/missing")], {}))).toMatchObject({ reason: "status", status: 404, detail: "no such order" })
      const bad = yield* Effect.flip(run([get("/bad", { schema: Order })], {}))
      expect(bad).toBeInstanceOf(Errors.ValueInvalid)
      expect((bad as Errors.ValueInvalid).keys).toEqual(["total"])
      expect(yield* Effect.flip(run([get("/slow", { timeout: "200 millis" })], {}))).toMatchObject({ _tag: "HttpFailed", reason: "timeout" })
    }), 20_000)

  it.live("a YAML flow's http: step", () =>
    Effect.gen(function*() {
      seen.length = 0
      const flow = load(
        [
          "name: fetch",
          "version: 1",
          "inputs: { id: string, token: string }",
          "steps:",
          "  - id: order",
          "    http:",
          "      method: post",
          `      url: ${base}/orders`,
          "      headers: { authorization: \"Bearer ${inputs.token}\" }",
          "      query: { id: \"${inputs.id}\" }",
          "      body: { lines: [\"${inputs.id}\", 2] }",
          "      type: { id: string, total: number }",
          "    timeout: 5s",
          "  - id: doubled",
          "    transform: ${order.total * 2}"
        ].join("\n"),
        { steps: {} }
      )
      const state = yield* run([flow as unknown as Step.Step.Any], { id: "o-9", token: "abc" })
      expect(state).toMatchObject({ order: { id: "o-9", total: 12 }, doubled: 24 })
      expect(seen).toMatchObject([{ method: "POST", url: "/orders?id=o-9", body: `{"lines":["o-9",2]}`, auth: "Bearer abc" }])
    }))
})
