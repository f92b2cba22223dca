/**
 * `Template.nodes`, the one traversal of a template tree: depth first, a
 * node before what it holds, into sub-flows only when asked, each template
 * once when asked.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Durable, Flow, Step, Template } from "weftjs"

const step = (name: string) =>
  Step.make({ name, requires: {}, provides: {}, run: () => Effect.succeed({}) })
const child = Template.make({ name: "child", version: "1", steps: [step("c1"), Durable.waitForSignal("done", Schema.Boolean)] })
const left = Template.make({ name: "left", version: "1", steps: [step("l1")] })
const right = Template.make({ name: "right", version: "1", steps: [step("r1"), Durable.subflow(child)] })
const root = Template.make({
  name: "root",
  version: "1",
  steps: [
    step("a"),
    Flow.parallel({ name: "par", branches: { left, right } }),
    Durable.sleep("nap", "1 second"),
    Durable.subflow(child, { name: "again" })
  ]
})

const names = (nodes: ReadonlyArray<Template.Node>) =>
  nodes.map((node) => `${node._tag}:${"name" in node ? node.name : ""}`)

describe("Template.nodes", () => {
  it("walks depth first, a node before the nodes it holds, not into sub-flows", () => {
    expect(names(Template.nodes(root, { intoSubflows: false }))).toEqual([
      "Step:a",
      "Flow:par",
      "Template:left",
      "Step:l1",
      "Template:right",
      "Step:r1",
      "Subflow:child",
      "Sleep:nap",
      "Subflow:again"
    ])
  })

  it("enters the templates sub-flows run when asked, and each template once with `once`", () => {
    const into = names(Template.nodes(root, { intoSubflows: true }))
    expect(into.filter((name) => name === "Step:c1")).toHaveLength(2)
    expect(into.slice(6, 10)).toEqual(["Subflow:child", "Template:child", "Step:c1", "WaitForSignal:done"])
    const once = names(Template.nodes(root, { intoSubflows: true, once: true }))
    expect(once.filter((name) => name === "Step:c1")).toHaveLength(1)
    expect(once.slice(-2)).toEqual(["Subflow:again", "Template:child"])
  })
})
