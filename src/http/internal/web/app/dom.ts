/**
 * The web view's state (the current page and its generation) and its DOM
 * helpers: building elements, times, durations, badges and links. Every
 * element is built with the DOM: text is never parsed as HTML.
 *
 * @internal
 */
import type { Status } from "./types"

export const STATUSES: ReadonlyArray<Status> = [
  "queued",
  "running",
  "suspended",
  "paused",
  "completed",
  "failed",
  "cancelled"
]
export const TOKEN_KEY = "weft.token"

export const app = document.getElementById("app") as HTMLElement
const liveEl = document.getElementById("live") as HTMLElement

/**
 * The page shown: its generation (bumped by each route, so that late
 * answers for a page left are dropped), what stops it, and the router
 * (set by `main.ts`).
 */
export const page = {
  generation: 0,
  current: { dispose: (): void => {} },
  route: (): void => {},
  navigate: (_href: string): void => {}
}

/** What `h` takes as children: nodes, text, nothing, or lists of them. */
export type Child = Node | string | number | null | undefined | false | ReadonlyArray<Child>

/** What `h` takes as attributes: `on*` listeners, `class`, `value`, flags, and plain attributes. */
export type Attrs = Readonly<Record<string, unknown>> | null | undefined

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: ReadonlyArray<Child>): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag)
  if (attrs) {
    Object.keys(attrs).forEach((key) => {
      const value = attrs[key]
      if (value === undefined || value === null || value === false) return
      if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value as EventListener)
      else if (key === "class") el.className = String(value)
      else if (key === "value") (el as unknown as { value: string }).value = String(value)
      else if (key === "checked" || key === "selected" || key === "disabled") {
        (el as unknown as Record<string, boolean>)[key] = !!value
      } else el.setAttribute(key, value === true ? "" : String(value))
    })
  }
  append(el, children)
  return el
}

export function append(el: Node, children: ReadonlyArray<Child>): void {
  children.forEach((child) => {
    if (child === null || child === undefined || child === false) return
    if (Array.isArray(child)) append(el, child as ReadonlyArray<Child>)
    else if (typeof child === "string" || typeof child === "number") el.appendChild(document.createTextNode(String(child)))
    else el.appendChild(child as Node)
  })
}

export function clear<E extends Node>(el: E): E {
  while (el.firstChild) el.removeChild(el.firstChild)
  return el
}

export function fill<E extends Node>(el: E, ...children: ReadonlyArray<Child>): E {
  clear(el)
  append(el, children)
  return el
}

export function time(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "-" : new Date(ms).toLocaleString()
}

export function duration(ms: number): string {
  if (ms < 1000) return Math.max(0, Math.round(ms)) + " ms"
  if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s"
  const minutes = Math.floor(ms / 60000)
  if (minutes < 120) return minutes + " min " + Math.round((ms % 60000) / 1000) + " s"
  return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min"
}

export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2)
}

export function isFinal(status: string): boolean {
  return status === "completed" || status === "failed" || status === "cancelled"
}

export function badge(status: string): HTMLSpanElement {
  return h("span", { class: "badge " + status, "data-status": status }, status)
}

export function enc(text: string): string {
  return encodeURIComponent(text)
}

export function runHref(id: string): string {
  return "/runs/" + enc(id)
}

export function templateHref(name: string, version?: string | null): string {
  return "/templates/" + enc(name) + (version ? "?version=" + enc(version) : "")
}

export function link(href: string, content: Child, attrs?: Attrs): HTMLAnchorElement {
  const a = h("a", attrs || {}, content)
  a.setAttribute("href", href)
  a.setAttribute("data-link", "")
  return a
}

export function throttle(fn: () => void, ms: number): () => void {
  let timer: ReturnType<typeof setTimeout> | null = null
  let again = false
  return () => {
    if (timer !== null) {
      again = true
      return
    }
    fn()
    timer = setTimeout(() => {
      timer = null
      if (again) {
        again = false
        fn()
      }
    }, ms)
  }
}

export function setLive(state: string): void {
  liveEl.className = "live " + (state === "live" ? "on" : "off")
  liveEl.textContent = state
}
