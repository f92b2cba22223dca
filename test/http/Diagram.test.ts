/**
 * The template diagram: an SVG document drawn from the template's graph,
 * with one group per node (kind, name, step key), nothing fetched, and every
 * name escaped.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Durable, Flow, Graph, Step, Template } from "weftjs"
import { toSvg } from "../../src/http/internal/diagram.js"
import { approval, parent } from "./fixtures.js"

type Provides<K extends string> = { readonly [P in K]: typeof Schema.String }

const step = <const K extends string>(name: string, key: K) =>
  Step.make({
    name,
    requires: {},
    provides: { [key]: Schema.String } as Provides<K>,
    run: () => Effect.succeed({ [key]: name } as Step.Slice<Provides<K>>)
  })

const arm = (name: string) => Template.make({ name, version: "1", steps: [step(`${name}_step`, "action")] })

const items = Step.make({
  name: "list_items",
  requires: {},
  provides: { items: Schema.Array(Schema.String), healthy: Schema.Boolean, tries: Schema.Number },
  run: () => Effect.succeed({ items: ["a"], healthy: true, tries: 0 })
})

const everything = Template.make({
  name: "every<kind>&more",
  version: "3",
  steps: [
    items,
    Flow.branch({ name: "route", requires: { healthy: Schema.Boolean }, when: ({ healthy }) => healthy, then: arm("fix"), else: arm("keep") }),
    Flow.loop({
      name: "poll",
      requires: { tries: Schema.Number },
      while: ({ tries }) => tries < 0,
      body: Template.make({ name: "poll_body", version: "1", steps: [step("probe", "probed")] }),
      maxIterations: 3
    }),
    Flow.forEach({
      name: "each",
      over: "items",
      as: "item",
      body: Template.make({ name: "each_body", version: "1", steps: [Step.make({
        name: "handle",
        requires: { item: Schema.String },
        provides: { handled: Schema.String },
        run: ({ item }) => Effect.succeed({ handled: item })
      })] }),
      collect: "handled",
      into: "results",
      concurrency: 2
    }),
    Flow.parallel({ name: "enrich", branches: { geo: arm("geo"), score: Template.make({ name: "score", version: "1", steps: [step("score_step", "score")] }) }, concurrency: 2 }),
    Durable.sleep("cool_down", "1 hour"),
    Durable.waitForSignal("go", Schema.Struct({ ok: Schema.Boolean }), { timeout: "2 days" })
  ]
})

const groups = (svg: string) =>
  Array.from(svg.matchAll(/<g class="node" data-kind="([^"]+)" data-name="([^"]+)" data-key="([^"]*)"/g), (m) => [m[1], m[2], m[3]])

describe("the template diagram", () => {
  it("draws every kind of node, with its step key, in order", () => {
    const svg = toSvg(Graph.make(everything as unknown as Template.Template.Any))
    expect(svg.startsWith(`<svg xmlns="http://www.w3.org/2000/svg"`)).toBe(true)
    expect(groups(svg)).toEqual([
      ["step", "list_items", "list_items"],
      ["branch", "route", "route"],
      ["step", "fix_step", "route/then/fix_step"],
      ["step", "keep_step", "route/else/keep_step"],
      ["loop", "poll", "poll"],
      ["step", "probe", "poll/*/probe"],
      ["forEach", "each", "each"],
      ["step", "handle", "each/*/handle"],
      ["parallel", "enrich", "enrich"],
      ["step", "geo_step", "enrich/geo/geo_step"],
      ["step", "score_step", "enrich/score/score_step"],
      ["sleep", "cool_down", "cool_down"],
      ["wait", "go", "go"]
    ])
    expect(svg).toContain("signal &quot;go&quot;, timeout 2d")
    expect(svg).toContain("sleep 1h")
  })

  it("escapes names, and fetches nothing (no script, no external reference)", () => {
    const svg = toSvg(Graph.make(everything as unknown as Template.Template.Any))
    expect(svg).toContain("every&lt;kind&gt;&amp;more@3")
    expect(svg).not.toContain("every<kind>")
    expect(svg).not.toMatch(/<script|href=|url\((?!#)/)
  })

  it("draws a sub-flow as a frame around the child template, and a wait as a hexagon", () => {
    const svg = toSvg(Graph.make(parent))
    expect(groups(svg).map(([kind, name]) => `${kind}:${name}`)).toEqual([
      "step:prepare",
      "subflow:ask",
      "wait:approval",
      "step:settle"
    ])
    expect(svg).toContain("child_approval@1, a child run")
    expect(toSvg(Graph.make(approval))).toMatch(/<polygon points=/)
  })

  it("has a size that holds every node", () => {
    const svg = toSvg(Graph.make(everything as unknown as Template.Template.Any))
    const [, width, height] = /width="([\d.]+)" height="([\d.]+)"/.exec(svg)!.map(Number)
    const xs = Array.from(svg.matchAll(/<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"/g), (m) => m.slice(1).map(Number))
    expect(xs.length).toBeGreaterThan(10)
    for (const [x, y, w, h] of xs) {
      expect(x!).toBeGreaterThanOrEqual(0)
      expect(y!).toBeGreaterThanOrEqual(0)
      expect(x! + w!).toBeLessThanOrEqual(width!)
      expect(y! + h!).toBeLessThanOrEqual(height!)
    }
  })
})
