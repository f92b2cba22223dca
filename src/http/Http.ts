/**
 * weft over HTTP: the API (`@effect/platform` `HttpApi`, with its OpenAPI
 * document at `/api/openapi.json` and a reference page at `/docs` that
 * works offline) and a live web view of runs at `/`, served on Node over the
 * `Engine` in context.
 *
 * The server listens on 127.0.0.1 by default. It refuses to listen on any
 * other interface without a bearer token (`token`, or `WEFT_API_TOKEN`),
 * which every API request must then carry (`Authorization: Bearer <token>`,
 * compared in constant time). Bodies are limited in size, requests from
 * pages of other origins are refused, and every error is JSON
 * `{ _tag, message }` without a stack trace.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Schema } from "effect"
 * import { Engine, Step, Template } from "weftjs"
 * import { Http } from "weftjs/http"
 *
 * const greet = Step.make({
 *   name: "greet",
 *   requires: { who: Schema.String },
 *   provides: { greeting: Schema.String },
 *   run: ({ who }) => Effect.succeed({ greeting: `hello ${who}` })
 * })
 * const hello = Template.make({ name: "hello", version: "1", steps: [greet] })
 *
 * // http://127.0.0.1:7070/ shows the runs, /docs documents the API
 * const ServerLive = Http.layer({ templates: [hello], port: 7070 }).pipe(Layer.provide(Engine.layerMemory))
 *
 * // serve until interrupted: NodeRuntime.runMain(Layer.launch(ServerLive))
 * ```
 *
 * @since 0.2.0
 */
import { createServer } from "node:http"
import { HttpApiBuilder, HttpApiScalar, HttpServer } from "@effect/platform"
import type { HttpServerError } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Config, Context, Data, Deferred, Duration, Effect, Layer, Option, Redacted } from "effect"
import type { ConfigError } from "effect/ConfigError"
import * as Engine from "../Engine.js"
import type { TemplateConflict } from "../Errors.js"
import type * as Template from "../Template.js"
import * as handlers from "./internal/handlers.js"
import * as hooks from "./internal/hooks.js"
import * as InFlight from "./internal/inFlight.js"
import { subflowTemplatesOf } from "./internal/templates.js"
import { guard, isLoopback, refuseLargeBeforeContinue } from "./internal/security.js"
import { served } from "./internal/view.js"
import * as web from "./internal/web.js"

export * from "./Api.js"

/**
 * Options of {@link layer}.
 *
 * @since 0.2.0
 * @category models
 */
export interface Options<Templates extends ReadonlyArray<Template.Template.Any>> {
  /**
   * The templates to serve: listed, started, signalled and resumed through
   * the API (with the templates they run as sub-flows). Each is registered
   * with the engine when the server starts, with the services in the
   * layer's context. Default: the templates registered in the engine.
   */
  readonly templates?: Templates | undefined
  /** Default 7070; 0 picks a free port (read it from {@link Server}). */
  readonly port?: number | undefined
  /** Default `127.0.0.1`. Any other interface needs a token. */
  readonly host?: string | undefined
  /**
   * The bearer token API requests must carry (at least 16 characters).
   * Default: the `WEFT_API_TOKEN` environment variable, else none (then
   * only a loopback host is allowed).
   */
  readonly token?: string | Redacted.Redacted<string> | undefined
  /** The largest request body, in bytes (default 1 MiB). */
  readonly maxBodySize?: number | undefined
  /**
   * How often the event streams look at the store for runs other
   * processes execute (default 1 second).
   */
  readonly pollInterval?: Duration.DurationInput | undefined
  /**
   * Migrations between versions of the served templates
   * (`Template.migration`): what `POST /api/migrations` applies. The
   * versions they migrate onto are served (and registered) too.
   *
   * @since 0.4.0
   */
  readonly migrations?: ReadonlyArray<Template.Migration> | undefined
}

/**
 * The server refused to listen: on a non-loopback host without a token,
 * or with a token too short to be safe.
 *
 * @since 0.2.0
 * @category errors
 */
export class ListenRefused extends Data.TaggedError("ListenRefused")<{
  readonly host: string
  readonly reason: "no-token" | "weak-token"
}> {
  override get message(): string {
    return this.reason === "no-token"
      ? `Refusing to listen on "${this.host}" without a token: set WEFT_API_TOKEN (or the token option), ` +
        "or listen on 127.0.0.1"
      : "Refusing a token shorter than 16 characters: use a long random one (e.g. `openssl rand -hex 32`)"
  }
}

/**
 * Where the server listens, once it does.
 *
 * @since 0.2.0
 * @category tags
 */
export class Server extends Context.Tag("weft/http/Server")<Server, {
  /** E.g. `http://127.0.0.1:7070`. */
  readonly url: string
  readonly host: string
  readonly port: number
}>() {}

/**
 * The services a list of templates needs, as far as their types tell
 * (templates whose types were erased, `Template.Any`, tell none: provide
 * their services to the layer all the same).
 *
 * @since 0.2.0
 * @category type helpers
 */
export type ServicesOf<Templates extends ReadonlyArray<Template.Template.Any>> = unknown extends
  Template.Services<Templates[number]> ? never : Template.Services<Templates[number]>

const minimumTokenLength = 16

/**
 * Serves the API, its reference page and the web view on Node, over the
 * `Engine` in context, and nothing else: what it shows of runs (records,
 * state, each step's output) is what the engine tells. The server stops
 * with the layer. It
 * fails to start when it may not listen where asked (`ListenRefused`),
 * cannot (`ServeError`: the port is taken), or when one of its templates
 * conflicts with another the engine knows under the same name and version
 * (`TemplateConflict`).
 *
 * @since 0.2.0
 * @category layers
 */
export const layer = <const Templates extends ReadonlyArray<Template.Template.Any> = readonly []>(
  options: Options<Templates> = {}
): Layer.Layer<
  Server,
  ListenRefused | HttpServerError.ServeError | ConfigError | TemplateConflict,
  Engine.Engine | ServicesOf<Templates>
> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const port = options.port ?? 7070
    const given = options.token === undefined
      ? yield* Config.option(Config.redacted("WEFT_API_TOKEN"))
      : Option.some(typeof options.token === "string" ? Redacted.make(options.token) : options.token)
    const token = Option.filter(given, (t) => Redacted.value(t) !== "")
    if (Option.isSome(token) && Redacted.value(token.value).length < minimumTokenLength) {
      return yield* new ListenRefused({ host, reason: "weak-token" })
    }
    if (Option.isNone(token) && !isLoopback(host)) return yield* new ListenRefused({ host, reason: "no-token" })

    const engine = yield* Engine.Engine
    const listed = options.templates ?? []
    // the versions runs are migrated onto are served too, so that a migrated run goes on here (signals,
    // resume); first in the list, so that a start naming no version still takes the templates given
    const targets = (options.migrations ?? []).map((migration) => migration.to)
    for (const template of [...listed, ...targets]) {
      yield* engine.register(template as unknown as Template.Template<object, object, unknown, never>)
    }
    const all = [...targets, ...(options.templates === undefined ? yield* engine.templates : listed)]
    const templates = served([...all, ...all.flatMap(subflowTemplatesOf)])

    const shutdown = yield* Deferred.make<void>()
    const maxBodySize = options.maxBodySize ?? 1024 * 1024
    const api = handlers.layer({
      served: templates,
      token,
      pollInterval: Duration.decode(options.pollInterval ?? "1 second"),
      keepAlive: Duration.seconds(15),
      shutdown: Deferred.await(shutdown),
      inFlight: yield* InFlight.follow(engine),
      migrations: options.migrations ?? []
    })
    const address = Layer.scoped(
      Server,
      Effect.gen(function*() {
        // runs before the server closes: the event streams end, so that closing does not wait for them
        yield* Effect.addFinalizer(() => Deferred.succeed(shutdown, undefined))
        const server = yield* HttpServer.HttpServer
        const bound = server.address
        const boundHost = bound._tag === "TcpAddress" ? bound.hostname : host
        const boundPort = bound._tag === "TcpAddress" ? bound.port : port
        const urlHost = boundHost.includes(":") ? `[${boundHost}]` : boundHost
        return { url: `http://${urlHost}:${boundPort}`, host: boundHost, port: boundPort }
      })
    )
    return Layer.merge(HttpApiBuilder.serve(), address).pipe(
      Layer.provide(HttpApiBuilder.middleware(guard({ maxBodySize, checkHost: Option.isNone(token), host, referencePath: "/docs" }))),
      Layer.provide(HttpApiScalar.layer({ path: "/docs", scalar: { withDefaultFonts: false } })),
      Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/api/openapi.json" })),
      Layer.provide(web.layer),
      Layer.provide(hooks.layer),
      Layer.provide(api),
      Layer.provide(NodeHttpServer.layer(() => refuseLargeBeforeContinue(createServer(), maxBodySize), { host, port }))
    )
  }))
