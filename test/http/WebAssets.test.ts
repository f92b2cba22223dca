/**
 * The web view's files, as served: a script that parses, and nothing in the
 * page, script or style sheet that points to another host.
 */
import { Script } from "node:vm"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { favicon, page } from "../../src/http/internal/web/page.js"
import { script } from "../../src/http/internal/web/script.js"
import { style } from "../../src/http/internal/web/style.js"
import { memoryStore, setup } from "./fixtures.js"

/** Every absolute URL in a text, but the SVG namespace. */
const foreignUrls = (text: string) =>
  Array.from(text.matchAll(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s"')]*/gi), (m) => m[0])
    .filter((url) => url !== "http://www.w3.org/2000/svg")

describe("the web view's files", () => {
  it("are a script that parses, and a page, script and style sheet that reach no other host", () => {
    expect(() => new Script(script, { filename: "app.js" })).not.toThrow()
    for (const text of [page, script, style, favicon]) expect(foreignUrls(text)).toEqual([])
    expect(Array.from(page.matchAll(/(?:src|href)="([^"]+)"/g), (m) => m[1])).toEqual([
      "/favicon.svg",
      "/assets/app.css",
      "/",
      "/",
      "/dashboard",
      "/templates",
      "/schedules",
      "/docs",
      "/assets/app.js"
    ])
  })

  it.scopedLive("are served as such, with their types", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      for (
        const [path, type, body] of [
          ["/assets/app.js", "text/javascript", script],
          ["/assets/app.css", "text/css", style],
          ["/runs/a%2Fb", "text/html", page]
        ] as const
      ) {
        const response = yield* Effect.promise(() => fetch(`${url}${path}`))
        expect(response.headers.get("content-type")).toContain(type)
        expect(yield* Effect.promise(() => response.text())).toBe(body)
      }
    }))
})
