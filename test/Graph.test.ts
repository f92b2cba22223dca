import { describe, expect, it } from "@effect/vitest"
import { Effect, Schedule, Schema } from "effect"
import { composeWorkflow, Durable, Engine, Flow, Graph, Step, Template } from "weftjs"

// ---------------------------------------------------------------------------
// fixtures: one template with every kind of node
// ---------------------------------------------------------------------------

const writes = <const K extends string>(name: string, key: K, value: number) =>
  Step.make({
    name,
    requires: {},
    provides: { [key]: Schema.Number } as { readonly [P in K]: typeof Schema.Number },
    run: () => Effect.succeed({ [key]: value } as never)
  })

const start = Step.make({
  name: "start",
  requires: { n: Schema.Number },
  provides: { items: Schema.Array(Schema.Number), count: Schema.Number, healthy: Schema.Boolean },
  retry: Schedule.recurs(2),
  timeout: "5 seconds",
  run: ({ n }) => Effect.succeed({ items: [1, 2, 3], count: 0, healthy: n > 0 })
})
const live = Step.make({
  name: "live_price",
  requires: {},
  provides: { price: Schema.Number },
  retry: Schedule.recurs(0),
  run: () => Effect.fail("offline" as const)
})
const cached = Step.make({
  name: "cached_price",
  requires: {},
  provides: { price: Schema.Number },
  run: () => Effect.succeed({ price: 10 })
})
const notify = Step.make({
  name: "notify",
  requires: {},
  provides: { sent: Schema.Boolean },
  onError: "skip",
  retry: Schedule.recurs(0),
  run: () => Effect.fail("smtp down" as const)
})
const enrich = Template.make({ name: "enrich", version: "2", steps: [writes("geo", "geo", 1)] })
const fix = Template.make({ name: "fix", version: "1", steps: [writes("restart", "action", 1)] })
const keep = Template.make({ name: "keep", version: "1", steps: [writes("noop", "action", 0)] })
const route = Flow.branch({
  name: "route",
  requires: { healthy: Schema.Boolean },
  when: ({ healthy }) => !healthy,
  then: fix,
  else: keep
})
const pick = Flow.match({
  name: "pick",
  requires: { count: Schema.Number },
  select: ({ count }) => count === 0 ? "zero" : count === 1 ? "one" : "many",
  arms: {
    zero: Template.make({ name: "z", version: "1", steps: [writes("mark", "kind", 0)] }),
    one: Template.make({ name: "o", version: "1", steps: [writes("mark", "kind", 1)] }),
    many: Template.make({ name: "m", version: "1", steps: [writes("mark", "kind", 2)] })
  }
})
/** A branch without `else`: that arm runs nothing. */
const maybe = Flow.branch({ name: "maybe", requires: { healthy: Schema.Boolean }, when: ({ healthy }) => healthy, then: fix })
const bump = Template.make({
  name: "bump",
  version: "1",
  steps: [Step.make({
    name: "bump",
    requires: { count: Schema.Number },
    provides: { count: Schema.Number },
    run: ({ count }) => Effect.succeed({ count: count + 1 })
  })]
})
const poll = Flow.loop({
  name: "poll",
  requires: { count: Schema.Number },
  while: ({ count }) => count < 2,
  body: bump,
  maxIterations: 5
})
const again = Flow.loop({
  name: "again",
  requires: { count: Schema.Number },
  while: ({ count }) => count < 3,
  body: bump,
  maxIterations: 4,
  check: "after"
})
const each = Flow.forEach({
  name: "each",
  over: "items",
  as: "item",
  body: Template.make({
    name: "square",
    version: "1",
    steps: [Step.make({
      name: "square",
      requires: { item: Schema.Number },
      provides: { squared: Schema.Number },
      run: ({ item }) => Effect.succeed({ squared: item * item })
    })]
  }),
  collect: "squared",
  into: "squares",
  concurrency: 2
})
const fan = Flow.parallel({
  name: "fan",
  branches: {
    left: Template.make({ name: "l", version: "1", steps: [writes("left", "leftValue", 1)] }),
    right: Template.make({ name: "r", version: "1", steps: [writes("right", "rightValue", 2)] })
  },
  concurrency: "unbounded"
})

/** Every kind of node that runs without waiting: its trace is checked against its graph. */
const everything = Template.make({
  name: "everything",
  version: "3",
  steps: [start, live.pipe(Step.orElse(cached)), notify, enrich, enrich, route, pick, maybe, poll, again, each, fan]
})

const Decision = Schema.Struct({ ok: Schema.Boolean })
const child = Template.make({ name: "child", version: "1", steps: [writes("inner", "innerValue", 1)] })
const durable = Template.make({
  name: "durable",
  version: "1",
  steps: [
    Durable.sleep("cool", "15 minutes"),
    Durable.waitForSignal("approval", Decision, { timeout: "2 days" }),
    Durable.subflow(child, { name: "sub" })
  ]
})

// ---------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------

describe("Graph.make", () => {
  it("describes every kind of node with its step key", () => {
    const graph = Graph.make(everything)
    expect(graph.name).toBe("everything")
    expect(graph.version).toBe("3")
    expect(graph.requires).toEqual(["n"])
    expect(graph.nodes.map((node) => [node._tag, node.key])).toEqual([
      ["Step", "start"],
      ["Step", "live_price"],
      ["Step", "notify"],
      ["Template", "enrich"],
      ["Template", "enrich#2"],
      ["Branch", "route"],
      ["Branch", "pick"],
      ["Branch", "maybe"],
      ["Loop", "poll"],
      ["Loop", "again"],
      ["ForEach", "each"],
      ["Parallel", "fan"]
    ])
    const [first, price, skippable] = graph.nodes
    expect(first).toMatchObject({
      _tag: "Step",
      requires: ["n"],
      provides: ["items", "count", "healthy"],
      retry: true,
      timeoutMs: 5000,
      onError: "fail",
      fallback: null
    })
    expect(price).toMatchObject({ fallback: "cached_price" })
    expect(skippable).toMatchObject({ onError: "skip", retry: true, timeoutMs: null })
    expect(graph.nodes[3]).toMatchObject({ nodes: [{ _tag: "Step", retry: false, timeoutMs: null }] })
  })

  it("gives branches their labels, loops their maximum, forEach and parallel their settings", () => {
    const byKey = new Map(Graph.nodes(Graph.make(everything)).map((node) => [node.key, node]))
    expect(byKey.get("route")).toMatchObject({
      _tag: "Branch",
      reads: ["healthy"],
      arms: [
        { label: "then", template: "fix", nodes: [{ _tag: "Step", key: "route/then/restart" }] },
        { label: "else", template: "keep", nodes: [{ _tag: "Step", key: "route/else/noop" }] }
      ]
    })
    expect(byKey.get("pick")).toMatchObject({
      arms: [
        { label: "zero", template: "z", nodes: [{ key: "pick/zero/mark" }] },
        { label: "one", template: "o", nodes: [{ key: "pick/one/mark" }] },
        { label: "many", template: "m", nodes: [{ key: "pick/many/mark" }] }
      ]
    })
    expect(byKey.get("maybe")).toMatchObject({
      arms: [{ label: "then", template: "fix" }, { label: "else", template: null, nodes: null }]
    })
    expect(byKey.get("poll")).toMatchObject({ maxIterations: 5, check: "before", nodes: [{ key: "poll/*/bump" }] })
    expect(byKey.get("again")).toMatchObject({ maxIterations: 4, check: "after" })
    expect(byKey.get("each")).toMatchObject({
      over: "items",
      as: "item",
      into: "squares",
      concurrency: 2,
      nodes: [{ key: "each/*/square" }]
    })
    expect(byKey.get("fan")).toMatchObject({
      mode: "all",
      concurrency: "unbounded",
      branches: [{ label: "left", nodes: [{ key: "fan/left/left" }] }, { label: "right", nodes: [{ key: "fan/right/right" }] }]
    })
    expect(byKey.get("enrich#2")).toMatchObject({ _tag: "Template", version: "2", nodes: [{ key: "enrich#2/geo" }] })
  })

  it("describes sleeps, waits and sub-flows", () => {
    const graph = Graph.make(durable)
    expect(graph.nodes).toEqual([
      { _tag: "Sleep", key: "cool", name: "cool", durationMs: 900_000 },
      { _tag: "Wait", key: "approval", name: "approval", signal: "approval", stateKey: "approval", timeoutMs: 172_800_000 },
      {
        _tag: "Subflow",
        key: "sub",
        name: "sub",
        graph: { name: "child", version: "1", requires: [], provides: ["innerValue"], nodes: [expect.objectContaining({ key: "inner" })] }
      }
    ])
    expect(Graph.waits(graph).map((wait) => wait.signal)).toEqual(["approval"])
  })

  it("names a template as Template.label does: a composite by its parts", () => {
    const composite = composeWorkflow(enrich, fix)
    const nestedComposite = composeWorkflow(composite, keep)
    for (const template of [everything, durable, enrich, composite, nestedComposite]) {
      expect(Graph.label(Graph.make(template))).toBe(Template.label(template))
    }
    expect(Graph.label(Graph.make(composite))).toBe("enrich@2+fix@1")
    expect(Graph.toMermaid(Graph.make(composite)).split("\n")[1]).toBe("  n1([\"enrich@2+fix@1\"])")
    // a template that only looks like a composite is named as any other
    const lookalike = Template.make({ name: "enrich+fix", version: "1", steps: [enrich, fix] })
    expect(Graph.label(Graph.make(lookalike))).toBe("enrich+fix@1")
  })

  it("is plain JSON data", () => {
    const graph = Graph.make(everything)
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph)
  })

  it.effect("names every step of a run's trace by a node's key", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const result = yield* engine.run(everything, { n: 0 })
      const patterns = Graph.nodes(Graph.make(everything)).flatMap((node) =>
        node._tag === "Branch"
          ? [node.key, ...node.arms.map((arm) => `${node.key}/${arm.label}`)]
          : [node.key]
      ).map((key) => new RegExp(`^${key.replace(/[.#]/g, "\\$&").replace(/\*/g, "\\d+")}$`))
      const keys = result.trace.map((entry) => entry.step)
      expect(keys).toContain("each/2/square")
      expect(keys).toContain("poll/1/bump")
      expect(keys).toContain("route/then/restart")
      for (const key of keys) expect(patterns.some((pattern) => pattern.test(key)), key).toBe(true)
    }).pipe(Effect.provide(Engine.layerMemory)))
})

describe("Graph.toFlowchart", () => {
  it("starts at a start box, ends at an end box, and joins the arms of a branch", () => {
    const chart = Graph.toFlowchart(Graph.make(everything))
    const start = chart.nodes.find((node) => node.shape === "start")!
    const end = chart.nodes.find((node) => node.shape === "end")!
    expect(start.label).toBe("everything@3")
    // every box but the end has an arrow out, every box but the start an arrow in
    for (const node of chart.nodes) {
      if (node !== end) expect(chart.edges.some((edge) => edge.from === node.id), node.label).toBe(true)
      if (node !== start) expect(chart.edges.some((edge) => edge.to === node.id), node.label).toBe(true)
    }
    const route = chart.nodes.find((node) => node.key === "route")!
    expect(route.shape).toBe("decision")
    expect(chart.edges.filter((edge) => edge.from === route.id).map((edge) => edge.label)).toEqual(["then", "else"])
    // an arm that runs nothing goes straight to the join
    const maybe = chart.nodes.find((node) => node.key === "maybe")!
    const join = chart.edges.find((edge) => edge.from === maybe.id && edge.label === "else")!
    expect(chart.nodes.find((node) => node.id === join.to)!.shape).toBe("join")
  })

  it("draws a loop as a decision with an arrow back to its body", () => {
    const chart = Graph.toFlowchart(Graph.make(everything))
    const poll = chart.nodes.find((node) => node.key === "poll")!
    const bump = chart.nodes.find((node) => node.key === "poll/*/bump")!
    expect(poll.label).toContain("at most 5")
    expect(chart.edges).toContainEqual({ from: poll.id, to: bump.id, label: "repeat" })
    expect(chart.edges).toContainEqual({ from: bump.id, to: poll.id, label: null })
    // checked after: the body comes first, the decision loops back to it
    const again = chart.nodes.find((node) => node.key === "again")!
    const againBody = chart.nodes.find((node) => node.key === "again/*/bump")!
    expect(chart.edges).toContainEqual({ from: againBody.id, to: again.id, label: null })
    expect(chart.edges).toContainEqual({ from: again.id, to: againBody.id, label: "repeat" })
    expect(chart.edges.some((edge) => edge.from === again.id && edge.label === "done")).toBe(true)
  })

  it("puts nested templates, forEach bodies and parallel branches in groups", () => {
    const chart = Graph.toFlowchart(Graph.make(everything))
    expect(chart.groups.map((group) => [group.label, group.key])).toEqual([
      ["enrich@2", "enrich"],
      ["enrich@2", "enrich#2"],
      ["poll (loop)", "poll"],
      ["again (loop)", "again"],
      ["each: for each item in items (concurrency 2)", "each"],
      ["left", "fan/left"],
      ["right", "fan/right"]
    ])
    const square = chart.nodes.find((node) => node.key === "each/*/square")!
    expect(chart.groups.find((group) => group.id === square.group)!.key).toBe("each")
  })
})

describe("Graph.toMermaid", () => {
  it("writes a flowchart with shapes, labelled arrows and subgraphs", () => {
    const text = Graph.toMermaid(Graph.make(durable))
    expect(text.split("\n")).toEqual([
      "flowchart TD",
      "  n1([\"durable@1\"])",
      "  n2[/\"sleep cool 15m\"/]",
      "  n3{{\"wait for signal approval (timeout 2d)\"}}",
      "  n4[[\"sub: sub-flow child@1\"]]",
      "  n5([\"end\"])",
      "  n1 --> n2",
      "  n2 --> n3",
      "  n3 --> n4",
      "  n4 --> n5"
    ])
    const full = Graph.toMermaid(Graph.make(everything))
    expect(full).toContain("-->|\"then\"|")
    expect(full).toMatch(/subgraph n\d+\["enrich@2"\]/)
    expect(full).toContain("[\"live_price (fallback: cached_price)\"]")
    expect(full).toContain("[\"notify (skippable)\"]")
  })

  it("escapes what Mermaid would read as markup in labels", () => {
    const odd = Template.make({
      name: "odd",
      version: "1\"<b>#",
      steps: [writes("x", "x", 1)]
    })
    const text = Graph.toMermaid(Graph.make(odd))
    expect(text).toContain("n1([\"odd@1#34;#60;b#62;#35;\"])")
    expect(text).not.toContain("<b>")
  })
})
