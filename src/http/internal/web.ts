/**
 * The routes of the web view: its page (for every path it draws), its
 * script, style sheet and icon, all from memory. The page may load nothing
 * but this server (Content-Security-Policy).
 *
 * @internal
 */
import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect, Layer } from "effect"
import { favicon, page } from "./web/page.js"
import { script } from "./web/script.js"
import { style } from "./web/style.js"

/** What the web view's documents may load: this server, nothing else. */
export const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const headers = (contentType: string) => ({
  "content-type": contentType,
  "cache-control": "no-cache",
  "content-security-policy": contentSecurityPolicy
})

const respond = (body: string, contentType: string) =>
  Effect.succeed(HttpServerResponse.text(body, { contentType, headers: headers(contentType) }))

/** The web view's routes, on the API's router. */
export const layer: Layer.Layer<never> = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function*() {
    const html = respond(page, "text/html; charset=utf-8")
    yield* router.get("/", html)
    yield* router.get("/runs", html)
    yield* router.get("/runs/*", html)
    yield* router.get("/dashboard", html)
    yield* router.get("/templates", html)
    yield* router.get("/templates/*", html)
    yield* router.get("/schedules", html)
    yield* router.get("/assets/app.js", respond(script, "text/javascript; charset=utf-8"))
    yield* router.get("/assets/app.css", respond(style, "text/css; charset=utf-8"))
    yield* router.get("/favicon.svg", respond(favicon, "image/svg+xml"))
    yield* router.get("/favicon.ico", respond(favicon, "image/svg+xml"))
  })
)
