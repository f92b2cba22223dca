/**
 * What keeps the server safe: where it may listen, the bearer token check
 * (in constant time), the requests it refuses before reading them (another
 * origin, an unknown host, a body too large or not JSON), the security
 * headers of every response, and errors as JSON `{ _tag, message }` that
 * never carry a stack trace.
 *
 * @internal
 */
import { createHash, timingSafeEqual } from "node:crypto"
import type { IncomingMessage, Server, ServerResponse } from "node:http"
import { HttpApp, HttpServerError, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { HttpIncomingMessage } from "@effect/platform"
import { Cause, Effect, Option } from "effect"

/**
 * The largest announced body the server reads away after answering `413`:
 * a client still sending its body when the server closes the connection
 * gets a reset, and may lose the answer. Past this, the connection is
 * closed all the same (reading gigabytes away would be worse).
 */
const drainLimit = (maxBodySize: number): number => Math.max(64 * 1024 * 1024, 16 * maxBodySize)

/**
 * The `413` for a body announced at `length` bytes: the connection is kept
 * (Node reads the unread body away, and the client reads the answer) unless
 * the body is too large to read away.
 */
const tooLargeAnswer = (length: number, maxBodySize: number) => ({
  body: {
    _tag: "PayloadTooLarge",
    message: `The body (${length} bytes) is larger than this server's limit of ${maxBodySize} bytes`
  },
  headers: length > drainLimit(maxBodySize) ? { connection: "close" } : {}
})

/**
 * Answers `Expect: 100-continue` on a Node server: a body announced larger
 * than `maxBodySize` is refused at once with `413` (the client then never
 * sends it), any other gets `100 Continue` and goes on as a request. Without
 * this listener Node answers `100 Continue` to every such request, and a
 * client sending a body too large then met a closed connection instead of
 * its `413`.
 */
export const refuseLargeBeforeContinue = (server: Server, maxBodySize: number): Server =>
  server.on("checkContinue", (request: IncomingMessage, response: ServerResponse) => {
    const length = Number(request.headers["content-length"])
    if (Number.isFinite(length) && length > maxBodySize) {
      const { body } = tooLargeAnswer(length, maxBodySize)
      const text = JSON.stringify(body)
      // the body was not sent: nothing is left to read, and the connection can serve the next request
      response.writeHead(413, {
        ...commonHeaders,
        "content-type": "application/json",
        "content-length": String(Buffer.byteLength(text))
      })
      response.end(text)
      return
    }
    response.writeContinue()
    server.emit("request", request, response)
  })

/** Whether a host name or address is this machine's loopback. */
export const isLoopback = (host: string): boolean => {
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare) ||
    bare.toLowerCase() === "::ffff:127.0.0.1"
}

/**
 * Compares a token given by a client with the server's in constant time:
 * both are hashed (SHA-256) to buffers of equal length, compared with
 * `crypto.timingSafeEqual`, so neither the content nor the length of the
 * server's token leaks through timing.
 */
export const tokensMatch = (expected: string, given: string): boolean => {
  const a = createHash("sha256").update(expected, "utf8").digest()
  const b = createHash("sha256").update(given, "utf8").digest()
  return timingSafeEqual(a, b)
}

/** The token of an `Authorization: Bearer <token>` header, if that is what it holds. */
export const bearerOf = (header: string | undefined): string | undefined => {
  if (header === undefined) return undefined
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header)
  return match === null ? undefined : match[1]
}

/** A JSON error response `{ _tag, message }`. */
export const errorResponse = (
  status: number,
  tag: string,
  message: string,
  headers?: Readonly<Record<string, string>>
): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson({ _tag: tag, message }, { status, ...(headers === undefined ? {} : { headers }) })

/** Headers every response carries. */
const commonHeaders: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY"
}

const hostName = (hostHeader: string): string => {
  if (hostHeader.startsWith("[")) {
    const end = hostHeader.indexOf("]")
    return end === -1 ? hostHeader : hostHeader.slice(0, end + 1)
  }
  const colon = hostHeader.lastIndexOf(":")
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon)
}

const withBody = (method: string): boolean => method === "POST" || method === "PUT" || method === "PATCH"

/**
 * What the API reference page may load: its own inline script and styles,
 * nothing from another host, and requests to this server only (its "test
 * request" button included).
 */
export const referencePolicy = "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; " +
  "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; " +
  "worker-src 'self' blob:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

export interface GuardOptions {
  /** The largest body read, in bytes. */
  readonly maxBodySize: number
  /**
   * Without a token, only requests naming a loopback host (or `host` itself)
   * are answered: a page of another site cannot reach the server through a
   * DNS name it points at 127.0.0.1 (DNS rebinding).
   */
  readonly checkHost: boolean
  /** The host the server listens on. */
  readonly host: string
  /** The path of the API reference page (it gets {@link referencePolicy}). */
  readonly referencePath: string
}

/**
 * Whether a `Content-Type` header names JSON in UTF-8: exactly the media
 * type `application/json` (any case), with no parameter but an optional
 * `charset=utf-8` (quoted or not). A missing header, `application/jsonx`,
 * `text/json` or another charset are not.
 */
export const isJsonUtf8 = (header: string | undefined): boolean => {
  if (header === undefined) return false
  const [type = "", ...parameters] = header.split(";")
  if (type.trim().toLowerCase() !== "application/json") return false
  return parameters.every((parameter) => {
    const equals = parameter.indexOf("=")
    if (equals === -1) return false
    const name = parameter.slice(0, equals).trim().toLowerCase()
    const value = parameter.slice(equals + 1).trim().replace(/^"(.*)"$/, "$1").toLowerCase()
    return name === "charset" && (value === "utf-8" || value === "utf8")
  })
}

/** The first refusal a request deserves before it is read, if any. */
const refusal = (
  request: HttpServerRequest.HttpServerRequest,
  options: GuardOptions
): HttpServerResponse.HttpServerResponse | undefined => {
  const headers = request.headers
  const host = headers["host"]
  if (options.checkHost) {
    const name = host === undefined ? "" : hostName(host)
    if (!isLoopback(name) && name !== options.host) {
      return errorResponse(403, "Forbidden", `This server answers requests for its loopback address, not for "${name}"`)
    }
  }
  const origin = headers["origin"]
  if (origin !== undefined) {
    let originHost: string | undefined
    try {
      originHost = new URL(origin).host
    } catch {
      originHost = undefined
    }
    if (originHost === undefined || originHost !== host) {
      return errorResponse(403, "Forbidden", "Requests from pages of another origin are refused")
    }
  }
  const length = headers["content-length"]
  if (length !== undefined && Number(length) > options.maxBodySize) {
    const { body, headers: extra } = tooLargeAnswer(Number(length), options.maxBodySize)
    return HttpServerResponse.unsafeJson(body, { status: 413, headers: extra })
  }
  if (withBody(request.method) && (Number(length ?? 0) > 0 || headers["transfer-encoding"] !== undefined)) {
    const type = headers["content-type"]
    if (!isJsonUtf8(type)) {
      return errorResponse(
        415,
        "UnsupportedMediaType",
        `Expected a JSON body in UTF-8 (Content-Type: application/json), got ${
          type === undefined ? "no Content-Type" : `"${type}"`
        }`
      )
    }
  }
  return undefined
}

const isRequestError = (u: unknown): u is HttpServerError.RequestError =>
  HttpServerError.isServerError(u) && u._tag === "RequestError"

const tooLarge = (error: HttpServerError.RequestError): boolean =>
  error.cause instanceof Error && error.cause.message === "maxBytes exceeded"

/**
 * The JSON response for a request that failed outside the API's own errors
 * (an unknown route, a body that cannot be read, a defect); the API's own
 * errors go on, to be encoded by the API.
 */
const fromCause = <E>(
  cause: Cause.Cause<E>,
  options: GuardOptions
): Effect.Effect<HttpServerResponse.HttpServerResponse, E> => {
  if (Cause.isInterruptedOnly(cause)) return Effect.failCause(cause)
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure) && !HttpServerError.isServerError(failure.value)) return Effect.failCause(cause)
  const error = Option.isSome(failure) ? failure.value : Option.getOrUndefined(Cause.dieOption(cause))
  if (HttpServerError.isServerError(error) && error._tag === "RouteNotFound") {
    return Effect.succeed(errorResponse(404, "NotFound", `No route for ${error.request.method} ${error.request.url}`))
  }
  if (isRequestError(error)) {
    return Effect.succeed(
      tooLarge(error)
        ? errorResponse(413, "PayloadTooLarge", `The body is larger than this server's limit of ${options.maxBodySize} bytes`, {
          connection: "close"
        })
        : error.reason === "Decode"
        ? errorResponse(400, "BadRequest", "The request body is not valid JSON")
        : errorResponse(400, "BadRequest", "The request could not be read")
    )
  }
  return Effect.as(
    Effect.logError("weft http: unexpected failure", cause),
    errorResponse(500, "InternalServerError", "Internal server error")
  )
}

const addHeaders = HttpApp.appendPreResponseHandler((_request, response) =>
  Effect.succeed(HttpServerResponse.setHeaders(response, commonHeaders))
)

/**
 * The middleware around every route: refuses what it must before reading,
 * limits the body's size, answers the failures the API does not encode
 * (unknown route, unreadable body, defects) with JSON, and adds the
 * security headers to every response.
 */
export const guard = (options: GuardOptions) => <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function*() {
    yield* addHeaders
    const request = yield* HttpServerRequest.HttpServerRequest
    const refused = refusal(request, options)
    if (refused !== undefined) return refused
    const response = yield* app.pipe(
      HttpIncomingMessage.withMaxBodySize(Option.some(options.maxBodySize)),
      Effect.catchAllCause((cause) => fromCause(cause, options))
    )
    return request.url.split("?")[0] === options.referencePath
      ? HttpServerResponse.setHeader(response, "content-security-policy", referencePolicy)
      : response
  })
