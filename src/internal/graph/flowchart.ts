/**
 * Laying a graph out as boxes, groups and arrows (`Graph.toFlowchart`): a
 * run starts at a `start` box and ends at an `end` box; a branch is a
 * decision with one labelled arrow per arm, meeting again at a join; a loop
 * is a decision after (or before) its body, with an arrow back; a forEach
 * and each parallel branch are groups.
 *
 * @internal
 */
import type {
  Arm,
  Flowchart,
  FlowchartEdge,
  FlowchartGroup,
  FlowchartNode,
  Graph,
  LoopNode,
  Node,
  Shape
} from "../../Graph.js"
import { join, labelOf } from "./build.js"

const formatMillis = (ms: number): string => {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`
  return `${ms}ms`
}

const concurrencyText = (concurrency: number | "unbounded") =>
  concurrency === "unbounded" ? "unbounded" : `concurrency ${concurrency}`

/** An open end of a drawn sequence: the box an arrow leaves from, with its label. */
interface Exit {
  readonly from: string
  readonly label: string | null
}

/** A flowchart being drawn: its boxes, groups and arrows so far, numbered in drawing order. */
class Drawing {
  readonly boxes: Array<FlowchartNode> = []
  readonly groups: Array<FlowchartGroup> = []
  readonly edges: Array<FlowchartEdge> = []
  private counter = 0

  private fresh(): string {
    return `n${++this.counter}`
  }

  box(shape: Shape, label: string, key: string | null, group: string | null): string {
    const id = this.fresh()
    this.boxes.push({ id, shape, label, key, group })
    return id
  }

  connect(exits: ReadonlyArray<Exit>, to: string): void {
    for (const exit of exits) this.edges.push({ from: exit.from, to, label: exit.label })
  }

  group(label: string, key: string, parent: string | null): string {
    const id = this.fresh()
    this.groups.push({ id, label, key, group: parent })
    return id
  }

  /** Draws `nodes` after `exits`, returns the open ends after them. */
  sequence(list: ReadonlyArray<Node>, exits: ReadonlyArray<Exit>, group: string | null): ReadonlyArray<Exit> {
    return list.reduce((open, node) => this.node(node, open, group), exits)
  }

  /** Draws the arms of a branch or the branches of a parallel from one box; returns their open ends. */
  arms(arms: ReadonlyArray<Arm>, from: string, key: string, group: string | null, asGroups: boolean): ReadonlyArray<Exit> {
    return arms.flatMap((arm) => {
      const start: ReadonlyArray<Exit> = [{ from, label: arm.label }]
      if (arm.nodes === null || arm.nodes.length === 0) return start
      const inner = asGroups ? this.group(arm.label, join(key, arm.label), group) : group
      return this.sequence(arm.nodes, start, inner)
    })
  }

  /** Draws one node after `exits`; returns the open ends after it. */
  node(node: Node, exits: ReadonlyArray<Exit>, group: string | null): ReadonlyArray<Exit> {
    const single = (shape: Shape, label: string): ReadonlyArray<Exit> => {
      const id = this.box(shape, label, node.key, group)
      this.connect(exits, id)
      return [{ from: id, label: null }]
    }
    switch (node._tag) {
      case "Step": {
        const notes = [
          node.onError === "skip" ? "skippable" : null,
          node.fallback === null ? null : `fallback: ${node.fallback}`
        ].filter((note): note is string => note !== null)
        return single("step", notes.length === 0 ? node.name : `${node.name} (${notes.join(", ")})`)
      }
      case "Sleep":
        return single("sleep", `sleep ${node.name} ${formatMillis(node.durationMs)}`)
      case "Wait":
        return single(
          "wait",
          `wait for signal ${node.signal}${node.timeoutMs === null ? "" : ` (timeout ${formatMillis(node.timeoutMs)})`}`
        )
      case "Subflow":
        return single("subflow", `${node.name}: sub-flow ${labelOf(node.graph)}`)
      case "Template": {
        const inner = this.group(`${node.name}@${node.version}`, node.key, group)
        return this.sequence(node.nodes, exits, inner)
      }
      case "Branch": {
        const decision = this.box("decision", node.name, node.key, group)
        this.connect(exits, decision)
        const ends = this.arms(node.arms, decision, node.key, group, false)
        const meet = this.box("join", "", null, group)
        this.connect(ends, meet)
        return [{ from: meet, label: null }]
      }
      case "Loop":
        return this.loop(node, exits, group)
      case "ForEach": {
        const body = this.group(
          `${node.name}: for each ${node.as} in ${node.over} (${concurrencyText(node.concurrency)})`,
          node.key,
          group
        )
        return this.sequence(node.nodes, exits, body)
      }
      case "Parallel": {
        const fork = this.box(
          "fork",
          `${node.name}: parallel${node.mode === "first" ? ", first to succeed" : ""} (${concurrencyText(node.concurrency)})`,
          node.key,
          group
        )
        this.connect(exits, fork)
        const ends = this.arms(node.branches, fork, node.key, group, true)
        const meet = this.box("join", "", null, group)
        this.connect(ends, meet)
        return [{ from: meet, label: null }]
      }
    }
  }

  /** A loop: its test before the body (an arrow back to the test), or after it (an arrow back to the body's first box). */
  private loop(node: LoopNode, exits: ReadonlyArray<Exit>, group: string | null): ReadonlyArray<Exit> {
    const label = `${node.name}: while, at most ${node.maxIterations}`
    const body = this.group(`${node.name} (loop)`, node.key, group)
    if (node.check === "before") {
      const decision = this.box("decision", label, node.key, group)
      this.connect(exits, decision)
      const ends = this.sequence(node.nodes, [{ from: decision, label: "repeat" }], body)
      this.connect(ends, decision)
      return [{ from: decision, label: "done" }]
    }
    // checked after each iteration: the body runs first
    const bodyStart = this.boxes.length
    const ends = this.sequence(node.nodes, exits, body)
    const first = this.boxes[bodyStart]
    const decision = this.box("decision", label, node.key, group)
    this.connect(ends, decision)
    if (first !== undefined) this.edges.push({ from: decision, to: first.id, label: "repeat" })
    return [{ from: decision, label: "done" }]
  }
}

/** A graph laid out as boxes, groups and arrows (`Graph.toFlowchart`). */
export const layout = (graph: Graph): Flowchart => {
  const drawing = new Drawing()
  const start = drawing.box("start", labelOf(graph), null, null)
  const ends = drawing.sequence(graph.nodes, [{ from: start, label: null }], null)
  const end = drawing.box("end", "end", null, null)
  drawing.connect(ends, end)
  return { nodes: drawing.boxes, groups: drawing.groups, edges: drawing.edges }
}
