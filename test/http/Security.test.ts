/**
 * What keeps the server safe: loopback by default, a token required to
 * listen elsewhere (compared in constant time), the body limit, refusals of
 * other origins and unknown hosts, and errors as JSON `{ _tag, message }`
 * without a stack trace, whatever went wrong.
 */
import * as crypto from "node:crypto"
import { request } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { vi } from "vitest"
import { ConfigProvider, Context, Effect, Layer } from "effect"
import { Engine } from "weftjs"
import { Http } from "weftjs/http"
import { tokensMatch } from "../../src/http/internal/security.js"
import { allTemplates, engineOver, makeClient, memoryStore, setup } from "./fixtures.js"

vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>()
  return { ...actual, timingSafeEqual: vi.fn(actual.timingSafeEqual) }
})

const token = "s3cret-token-of-32-characters-ok"

/** A raw request (any Host header, any body, chunked or not): its status, headers and body. */
const raw = (
  url: string,
  options: {
    readonly method?: string
    readonly path: string
    readonly headers?: Record<string, string>
    readonly body?: string | ReadonlyArray<string>
  }
) =>
  Effect.async<{ status: number; headers: Record<string, string | Array<string> | undefined>; body: string }>((resume) => {
    const target = new URL(url)
    const req = request({
      host: target.hostname,
      port: target.port,
      method: options.method ?? "GET",
      path: options.path,
      headers: options.headers
    }, (res) => {
      let body = ""
      res.setEncoding("utf8")
      res.on("data", (chunk: string) => (body += chunk))
      res.on("end", () => resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body })))
    })
    req.on("error", (error) => resume(Effect.succeed({ status: 0, headers: {}, body: `connection error: ${error.message}` })))
    if (typeof options.body === "string") req.end(options.body)
    else if (options.body !== undefined) {
      for (const chunk of options.body) req.write(chunk)
      req.end()
    } else req.end()
  })

/**
 * A request sent as curl sends a large body: headers with `Expect: 100-continue`,
 * the body only once the server answers `100 Continue` (an answer instead ends it).
 */
const expectContinue = (url: string, headers: Record<string, string>, body: string) =>
  Effect.async<{ status: number; headers: Record<string, string | Array<string> | undefined>; body: string; continued: boolean }>(
    (resume) => {
      const target = new URL(url)
      let continued = false
      const req = request({ host: target.hostname, port: target.port, method: "POST", path: "/api/runs", headers }, (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (chunk: string) => (text += chunk))
        res.on("end", () => {
          resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, body: text, continued }))
          req.destroy()
        })
      })
      req.on("continue", () => {
        continued = true
        req.end(body)
      })
      req.on("error", (error) =>
        resume(Effect.succeed({ status: 0, headers: {}, body: `connection error: ${error.message}`, continued })))
      req.flushHeaders()
    }
  )

/** An error body: JSON with a string `_tag` and `message`, nothing that looks like a stack trace. */
const expectErrorJson = (response: { status: number; headers: Record<string, unknown>; body: string }, status: number, tag: string) => {
  expect(response.status).toBe(status)
  expect(String(response.headers["content-type"])).toMatch(/^application\/json/)
  const body = JSON.parse(response.body) as Record<string, unknown>
  expect(body._tag).toBe(tag)
  expect(typeof body.message).toBe("string")
  expect(body).not.toHaveProperty("stack")
  expect(response.body).not.toMatch(/\n\s+at |\.ts:\d+|node_modules/)
  return body
}

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const listen = (options: Http.Options<typeof allTemplates>, env: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const store = yield* Layer.build(memoryStore)
    const context = yield* Layer.build(
      Http.layer({ templates: allTemplates, port: 0, ...options }).pipe(Layer.provide(engineOver(store)))
    ).pipe(withEnv(env))
    return Context.get(context, Http.Server)
  })

describe("where the server listens", () => {
  it.scopedLive("binds to 127.0.0.1 by default", () =>
    Effect.gen(function*() {
      const server = yield* listen({})
      expect(server.host).toBe("127.0.0.1")
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    }))

  it.scopedLive("refuses to listen on another interface without a token", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(listen({ host: "0.0.0.0" }))
      expect(error).toBeInstanceOf(Http.ListenRefused)
      expect(error.message).toContain(`Refusing to listen on "0.0.0.0" without a token`)
      const empty = yield* Effect.flip(listen({ host: "0.0.0.0" }, { WEFT_API_TOKEN: "" }))
      expect(empty).toMatchObject({ _tag: "ListenRefused", reason: "no-token" })
    }))

  it.scopedLive("refuses a short token", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(listen({ host: "0.0.0.0", token: "short" }))
      expect(error).toMatchObject({ _tag: "ListenRefused", reason: "weak-token" })
    }))

  it.scopedLive("listens on another interface with a token (from WEFT_API_TOKEN), which every API request then needs", () =>
    Effect.gen(function*() {
      const server = yield* listen({ host: "0.0.0.0" }, { WEFT_API_TOKEN: token })
      const local = `http://127.0.0.1:${server.port}`
      const without = yield* raw(local, { path: "/api/templates" })
      expectErrorJson(without, 401, "Unauthorized")
      const wrong = yield* raw(local, { path: "/api/templates", headers: { authorization: `Bearer ${token}x` } })
      expectErrorJson(wrong, 401, "Unauthorized")
      const notBearer = yield* raw(local, { path: "/api/templates", headers: { authorization: `Basic ${token}` } })
      expectErrorJson(notBearer, 401, "Unauthorized")
      const right = yield* raw(local, { path: "/api/templates", headers: { authorization: `Bearer ${token}` } })
      expect(right.status).toBe(200)
      const events = yield* raw(local, { path: "/api/events" })
      expectErrorJson(events, 401, "Unauthorized")
      // the typed client, with the token
      const client = yield* makeClient(local, token)
      expect((yield* client.templates.list()).length).toBe(7)
      const anonymous = yield* makeClient(local)
      expect(yield* Effect.flip(anonymous.runs.list({ urlParams: {} }))).toBeInstanceOf(Http.Unauthorized)
      // the web view's page, the API reference and the OpenAPI document hold no data: they load
      // (the page then asks for the token)
      for (const path of ["/", "/runs/x", "/assets/app.js", "/docs", "/api/openapi.json"]) {
        expect((yield* raw(local, { path })).status).toBe(200)
      }
    }))

  it("compares tokens in constant time: SHA-256 digests of equal length, through crypto.timingSafeEqual", () => {
    const spy = vi.mocked(crypto.timingSafeEqual)
    spy.mockClear()
    expect(tokensMatch(token, token)).toBe(true)
    expect(tokensMatch(token, "x")).toBe(false)
    expect(tokensMatch(token, `${token}${token}`)).toBe(false)
    expect(tokensMatch(token, "")).toBe(false)
    expect(spy).toHaveBeenCalledTimes(4)
    for (const [a, b] of spy.mock.calls) {
      expect((a as Buffer).length).toBe(32)
      expect((b as Buffer).length).toBe(32)
    }
  })

  it.scopedLive("checks the request's token with crypto.timingSafeEqual", () =>
    Effect.gen(function*() {
      const server = yield* listen({ token })
      const spy = vi.mocked(crypto.timingSafeEqual)
      spy.mockClear()
      const response = yield* raw(server.url, { path: "/api/runs", headers: { authorization: "Bearer guess" } })
      expectErrorJson(response, 401, "Unauthorized")
      expect(spy).toHaveBeenCalled()
    }))
})

describe("what the server refuses", () => {
  it.scopedLive("a body over the limit: 413 when it announces its length; else reading stops at the limit and the connection closes", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore, { maxBodySize: 2048 })
      const big = JSON.stringify({ template: "hello", input: { name: "x".repeat(4096), times: 1 } })
      const announced = yield* raw(url, {
        method: "POST",
        path: "/api/runs",
        headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(big)) },
        body: big
      })
      expectErrorJson(announced, 413, "PayloadTooLarge")
      const chunks = Array.from({ length: 8 }, () => "x".repeat(1024))
      const chunked = yield* raw(url, {
        method: "POST",
        path: "/api/runs",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        body: [`{"template":"hello","input":{"name":"`, ...chunks, `","times":1}}`]
      })
      // a chunked body does not announce its length: reading stops at the limit, and the connection is closed
      expect(chunked.status).toBe(0)
      expect(chunked.body).toMatch(/socket hang up|ECONNRESET/)
      const client = yield* makeClient(url)
      expect((yield* client.runs.list({ urlParams: {} })).runs).toEqual([])
      // under the limit, it is read
      const small = yield* raw(url, {
        method: "POST",
        path: "/api/runs",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ template: "hello", input: { name: "y", times: 1 } })
      })
      expect(small.status).toBe(201)
    }))

  it.scopedLive("a 10 MB body: always 413, never 100 Continue and a dropped connection", () =>
    Effect.gen(function*() {
      const { url, client } = yield* setup(memoryStore)
      const big = JSON.stringify({ template: "hello", input: { name: "x".repeat(10 * 1024 * 1024), times: 1 } })
      const headers = { "content-type": "application/json", "content-length": String(Buffer.byteLength(big)) }
      for (let i = 0; i < 3; i++) {
        // sent whole, at once: the server answers 413 and reads the rest away before it closes
        expectErrorJson(yield* raw(url, { method: "POST", path: "/api/runs", headers, body: big }), 413, "PayloadTooLarge")
        // as curl sends a large body: `Expect: 100-continue` first, the body only after `100 Continue`
        const expecting = yield* expectContinue(url, { ...headers, expect: "100-continue" }, big)
        expect(expecting.continued).toBe(false)
        expectErrorJson(expecting, 413, "PayloadTooLarge")
      }
      // a body within the limit that expects 100 Continue gets it, and is read
      const small = JSON.stringify({ template: "hello", input: { name: "y", times: 1 } })
      const accepted = yield* expectContinue(url, {
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(small)),
        expect: "100-continue"
      }, small)
      expect(accepted.continued).toBe(true)
      expect(accepted.status).toBe(201)
      expect((yield* client.runs.list({ urlParams: {} })).runs).toHaveLength(1)
    }), 60_000)

  it.scopedLive("a body that is not JSON in UTF-8 (by its Content-Type): 415, and nothing is written", () =>
    Effect.gen(function*() {
      const { url, client } = yield* setup(memoryStore)
      const body = JSON.stringify({ template: "hello", input: { name: "y", times: 1 } })
      const post = (headers: Record<string, string>) => raw(url, { method: "POST", path: "/api/runs", headers, body })
      for (
        const type of [
          undefined,
          "application/jsonx",
          "application/json; charset=utf-16",
          "application/json;charset=latin1",
          "application/json; boundary=x",
          "text/json",
          "application/x-www-form-urlencoded",
          "text/plain"
        ]
      ) {
        const refused = yield* post(type === undefined ? {} : { "content-type": type })
        const error = expectErrorJson(refused, 415, "UnsupportedMediaType")
        expect(error.message).toContain(type === undefined ? "no Content-Type" : `"${type}"`)
      }
      expect((yield* client.runs.list({ urlParams: {} })).runs).toEqual([])
      for (const type of ["application/json", "Application/JSON; charset=UTF-8", "application/json;charset=\"utf-8\""]) {
        expect((yield* post({ "content-type": type })).status).toBe(201)
      }
    }))

  it.scopedLive("a request from a page of another origin: 403", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      const host = new URL(url).host
      const cross = yield* raw(url, {
        method: "POST",
        path: "/api/runs",
        headers: { "content-type": "application/json", origin: "http://evil.example" },
        body: JSON.stringify({ template: "hello", input: { name: "y", times: 1 } })
      })
      expectErrorJson(cross, 403, "Forbidden")
      const sameOrigin = yield* raw(url, {
        method: "POST",
        path: "/api/runs",
        headers: { "content-type": "application/json", origin: `http://${host}` },
        body: JSON.stringify({ template: "hello", input: { name: "y", times: 1 } })
      })
      expect(sameOrigin.status).toBe(201)
    }))

  it.scopedLive("a request naming another host, without a token (DNS rebinding): 403", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      const port = new URL(url).port
      expectErrorJson(yield* raw(url, { path: "/api/runs", headers: { host: `evil.example:${port}` } }), 403, "Forbidden")
      expect((yield* raw(url, { path: "/api/runs", headers: { host: `localhost:${port}` } })).status).toBe(200)
    }))

  it.scopedLive("a body that is not JSON: 400", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      const bad = yield* raw(url, {
        method: "POST",
        path: "/api/runs",
        headers: { "content-type": "application/json" },
        body: "{\"template\": "
      })
      expectErrorJson(bad, 400, "BadRequest")
      const shape = yield* raw(url, {
        method: "POST",
        path: "/api/runs",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ template: 42 })
      })
      expectErrorJson(shape, 400, "HttpApiDecodeError")
    }))
})

describe("errors", () => {
  it.scopedLive("are JSON { _tag, message } for unknown routes and methods", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      const body = expectErrorJson(yield* raw(url, { path: "/api/nope" }), 404, "NotFound")
      expect(body.message).toBe("No route for GET /api/nope")
      expectErrorJson(yield* raw(url, { method: "DELETE", path: "/api/runs" }), 404, "NotFound")
      expectErrorJson(yield* raw(url, { path: "/api/runs/missing" }), 404, "RunNotFound")
    }))

  it.scopedLive("say nothing of a defect's details: 500 InternalServerError", () =>
    Effect.gen(function*() {
      const store = yield* Layer.build(memoryStore)
      const broken = Layer.effect(
        Engine.Engine,
        Effect.map(Engine.Engine, (engine): Engine.Service => ({
          ...engine,
          list: () => Effect.die(new Error("boom in /home/secret/project/engine.ts:12"))
        }))
      ).pipe(Layer.provide(engineOver(store)))
      const context = yield* Layer.build(
        Http.layer({ templates: allTemplates, port: 0 }).pipe(Layer.provide(broken))
      ).pipe(Effect.orDie)
      const { url } = Context.get(context, Http.Server)
      const response = yield* raw(url, { path: "/api/runs" })
      const body = expectErrorJson(response, 500, "InternalServerError")
      expect(body).toEqual({ _tag: "InternalServerError", message: "Internal server error" })
      expect(response.body).not.toContain("boom")
      expect(response.body).not.toContain("secret")
    }))

  it.scopedLive("carry the security headers, as every response does", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      for (const path of ["/", "/api/templates", "/api/nope", "/assets/app.js"]) {
        const response = yield* raw(url, { path })
        expect(response.headers["x-content-type-options"]).toBe("nosniff")
        expect(response.headers["x-frame-options"]).toBe("DENY")
      }
      const page = yield* raw(url, { path: "/runs/some-run" })
      expect(page.headers["content-security-policy"]).toContain("default-src 'none'")
      expect(page.headers["content-security-policy"]).toContain("connect-src 'self'")
    }))
})
