/**
 * Reading the API: the bearer token (asked for when the server wants one),
 * JSON requests and their errors, and Server-Sent Events read from the
 * response stream (so that the token goes in a header).
 *
 * @internal
 */
import { app, h, page, setLive, TOKEN_KEY } from "./dom"
import type { EventData } from "./types"

function token(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || ""
  } catch {
    return ""
  }
}

function authHeaders(extra: Record<string, string>): Record<string, string> {
  const headers = extra
  const t = token()
  if (t) headers["Authorization"] = "Bearer " + t
  return headers
}

/** An error's body as the API sends it: `{ _tag, message, ... }`, with the issues of bad input. */
export interface ErrorBody {
  readonly _tag?: string
  readonly message?: string
  readonly issues?: ReadonlyArray<{ readonly path?: ReadonlyArray<string | number>; readonly message: string }>
}

/** An error answer of the API: its status, `_tag`, message and body. */
export class ApiError {
  readonly tag: string
  readonly message: string
  readonly body: ErrorBody
  constructor(readonly status: number, body: ErrorBody | null) {
    this.tag = (body && body._tag) || "HttpError"
    this.message = (body && body.message) || "HTTP " + status
    this.body = body || {}
  }
}

/** A JSON request to the API: its answer, or an `ApiError`. */
export function api<A>(method: string, path: string, body?: unknown): Promise<A> {
  const init: RequestInit = { method, headers: authHeaders(body === undefined ? {} : { "Content-Type": "application/json" }) }
  if (body !== undefined) init.body = JSON.stringify(body)
  return fetch("/api" + path, init).then((response) =>
    response.text().then((text) => {
      let parsed: ErrorBody | null = null
      if (text) {
        try {
          parsed = JSON.parse(text) as ErrorBody
        } catch {
          parsed = { _tag: "HttpError", message: text }
        }
      }
      if (response.status === 401) askToken()
      if (!response.ok) throw new ApiError(response.status, parsed)
      return parsed as A
    })
  )
}

/** A text answer of the API (a diagram). */
export function apiText(path: string): Promise<string> {
  return fetch("/api" + path, { headers: authHeaders({}) }).then((response) => {
    if (response.status === 401) askToken()
    if (!response.ok) throw new ApiError(response.status, null)
    return response.text()
  })
}

/**
 * Follows a Server-Sent Events stream: calls onMessage(event, data) for
 * each event; when the stream ends, calls onEnd (or reconnects when there
 * is none); reconnects after errors. Returns a function that stops it.
 */
export function stream(path: string, onMessage: (event: string, data: EventData) => void, onEnd?: () => void): () => void {
  const controller = new AbortController()
  let stopped = false
  let delay = 1000
  function reconnect() {
    if (stopped) return
    setLive("reconnecting")
    setTimeout(connect, delay)
    delay = Math.min(delay * 2, 15000)
  }
  function connect() {
    if (stopped) return
    fetch("/api" + path, { headers: authHeaders({ Accept: "text/event-stream" }), signal: controller.signal })
      .then((response) => {
        if (response.status === 401) askToken()
        if (!response.ok || !response.body) throw new ApiError(response.status, null)
        setLive("live")
        delay = 1000
        const reader = response.body.getReader()
        const decoder = new TextDecoder()
        let buffer = ""
        function pump(): Promise<void> {
          return reader.read().then((chunk) => {
            if (chunk.done) return
            buffer += decoder.decode(chunk.value, { stream: true })
            let index = buffer.indexOf("\n\n")
            while (index !== -1) {
              const block = buffer.slice(0, index)
              buffer = buffer.slice(index + 2)
              let event = "message"
              const data: Array<string> = []
              block.split("\n").forEach((line) => {
                if (line.indexOf("event:") === 0) event = line.slice(6).trim()
                else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""))
              })
              if (data.length > 0) {
                try {
                  onMessage(event, JSON.parse(data.join("\n")) as EventData)
                } catch (e) {
                  if (window.console) console.error(e)
                }
              }
              index = buffer.indexOf("\n\n")
            }
            return pump()
          })
        }
        return pump()
      })
      .then(() => {
        if (stopped) return
        if (onEnd) {
          setLive("ended")
          onEnd()
        } else {
          reconnect()
        }
      }, () => {
        reconnect()
      })
  }
  connect()
  return () => {
    stopped = true
    controller.abort()
  }
}

function askToken(): void {
  if (document.getElementById("token-form")) return
  const input = h("input", { type: "password", id: "token-input", placeholder: "API token", autocomplete: "off" })
  const form = h("form", {
    id: "token-form",
    class: "card notice",
    onsubmit: (e: Event) => {
      e.preventDefault()
      try {
        sessionStorage.setItem(TOKEN_KEY, input.value.trim())
      } catch {
        // storage may be off: the token then lasts until the page reloads
      }
      form.remove()
      page.route()
    }
  },
    h("strong", null, "This server needs a token. "),
    h("span", { class: "muted" }, "It is kept for this tab only. "),
    input, " ", h("button", { class: "primary", type: "submit" }, "Use token"))
  app.parentNode!.insertBefore(form, app)
}

/** An error shown as a box: its tag and message. */
export function errorBox(error: { readonly tag?: string; readonly message?: string }): HTMLDivElement {
  return h("div", { class: "error-box", role: "alert" },
    h("span", { class: "tag" }, error.tag || "Error"), error.message || String(error))
}
