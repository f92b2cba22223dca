/**
 * A template's structure as a graph: its steps, branches (with their
 * labels), loops (with their maximum number of iterations), forEach,
 * parallel branches, durable sleeps and waits, sub-flows and nested
 * templates. The model is plain JSON data (durations in milliseconds), so
 * it can be sent over HTTP; {@link toFlowchart} lays it out as nodes and
 * edges for drawing, and {@link toMermaid} writes it as Mermaid text (the
 * `weft graph` command).
 *
 * Each node carries its step key as it appears in traces (`route/then/step`);
 * inside a loop or a forEach, the iteration is written {@link iteration}
 * (`poll/*` + `/step`).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Graph, Step, Template } from "weftjs"
 *
 * const greet = Step.make({
 *   name: "greet",
 *   requires: { who: Schema.String },
 *   provides: { greeting: Schema.String },
 *   run: ({ who }) => Effect.succeed({ greeting: `hello ${who}` })
 * })
 * const hello = Template.make({ name: "hello", version: "1", steps: [greet] })
 * const text = Graph.toMermaid(Graph.make(hello))
 * // text starts with "flowchart TD"
 * ```
 *
 * @since 0.2.0
 */
import { Duration } from "effect"
import type * as Flow from "./Flow.js"
import type * as Step from "./Step.js"
import type * as Template from "./Template.js"

/**
 * How a loop or forEach iteration appears in the step keys of a graph.
 *
 * @since 0.2.0
 * @category constants
 */
export const iteration = "*"

/**
 * A step.
 *
 * @since 0.2.0
 * @category models
 */
export interface StepNode {
  readonly _tag: "Step"
  /** The step key, as in traces. */
  readonly key: string
  readonly name: string
  readonly requires: ReadonlyArray<string>
  readonly provides: ReadonlyArray<string>
  /** Whether it declares a retry policy of its own. */
  readonly retry: boolean
  /** Per-attempt timeout (ms), `null` when none is declared. */
  readonly timeoutMs: number | null
  readonly onError: Step.OnError
  /** The name of its fallback step, `null` when it has none. */
  readonly fallback: string | null
}

/**
 * A durable timer.
 *
 * @since 0.2.0
 * @category models
 */
export interface SleepNode {
  readonly _tag: "Sleep"
  readonly key: string
  readonly name: string
  readonly durationMs: number
}

/**
 * A wait for an outside signal.
 *
 * @since 0.2.0
 * @category models
 */
export interface WaitNode {
  readonly _tag: "Wait"
  readonly key: string
  readonly name: string
  /** The signal's name, as given to `engine.signal`. */
  readonly signal: string
  /** The state key the payload is written to. */
  readonly stateKey: string
  /** When the wait times out (ms), `null` for never. */
  readonly timeoutMs: number | null
}

/**
 * A template run as a child run; `graph` is its own structure (its step
 * keys are those of the child run).
 *
 * @since 0.2.0
 * @category models
 */
export interface SubflowNode {
  readonly _tag: "Subflow"
  readonly key: string
  readonly name: string
  readonly graph: Graph
}

/**
 * A template nested in another: its steps run in sequence, under its name.
 *
 * @since 0.2.0
 * @category models
 */
export interface TemplateNode {
  readonly _tag: "Template"
  readonly key: string
  readonly name: string
  readonly version: string
  readonly nodes: ReadonlyArray<Node>
}

/**
 * One arm of a branch, or one branch of a parallel node: its label and its
 * nodes (`null` for an arm that runs nothing).
 *
 * @since 0.2.0
 * @category models
 */
export interface Arm {
  readonly label: string
  /** The name of the arm's template, `null` for an arm that runs nothing. */
  readonly template: string | null
  readonly nodes: ReadonlyArray<Node> | null
}

/**
 * A branch: one arm runs, chosen by a predicate over the state.
 *
 * @since 0.2.0
 * @category models
 */
export interface BranchNode {
  readonly _tag: "Branch"
  readonly key: string
  readonly name: string
  /** The state keys the predicate reads. */
  readonly reads: ReadonlyArray<string>
  readonly arms: ReadonlyArray<Arm>
}

/**
 * A loop: its body repeats while a predicate holds, at most
 * `maxIterations` times.
 *
 * @since 0.2.0
 * @category models
 */
export interface LoopNode {
  readonly _tag: "Loop"
  readonly key: string
  readonly name: string
  readonly maxIterations: number
  /** `"before"`: the predicate is checked before each iteration; `"after"`: after each. */
  readonly check: "before" | "after"
  readonly reads: ReadonlyArray<string>
  readonly nodes: ReadonlyArray<Node>
}

/**
 * A forEach: its body runs once per element of the list `over`.
 *
 * @since 0.2.0
 * @category models
 */
export interface ForEachNode {
  readonly _tag: "ForEach"
  readonly key: string
  readonly name: string
  readonly over: string
  readonly as: string
  /** The key the results are collected into. */
  readonly into: string
  readonly concurrency: number | "unbounded"
  readonly nodes: ReadonlyArray<Node>
}

/**
 * Parallel branches, then a merge.
 *
 * @since 0.2.0
 * @category models
 */
export interface ParallelNode {
  readonly _tag: "Parallel"
  readonly key: string
  readonly name: string
  /** `"all"`: every branch, outputs merged; `"first"`: the first to succeed. */
  readonly mode: "all" | "first"
  readonly concurrency: number | "unbounded"
  readonly branches: ReadonlyArray<Arm>
}

/**
 * Any node of a graph.
 *
 * @since 0.2.0
 * @category models
 */
export type Node =
  | StepNode
  | SleepNode
  | WaitNode
  | SubflowNode
  | TemplateNode
  | BranchNode
  | LoopNode
  | ForEachNode
  | ParallelNode

/**
 * A template's structure.
 *
 * @since 0.2.0
 * @category models
 */
export interface Graph {
  readonly name: string
  readonly version: string
  /** What the template requires from outside, and what it provides. */
  readonly requires: ReadonlyArray<string>
  readonly provides: ReadonlyArray<string>
  readonly nodes: ReadonlyArray<Node>
}

const join = (path: string, name: string) => path === "" ? name : `${path}/${name}`

const millis = (duration: Duration.Duration | undefined): number | null =>
  duration === undefined || !Duration.isFinite(duration) ? null : Duration.toMillis(duration)

/** The path segments of a template's children, as the interpreter names them (`name#2` for a repeat). */
const childNames = (template: Template.Template.Any): ReadonlyArray<string> => {
  const counts = new Map<string, number>()
  return template.steps.map((node) => {
    const n = (counts.get(node.name) ?? 0) + 1
    counts.set(node.name, n)
    return n === 1 ? node.name : `${node.name}#${n}`
  })
}

const sequence = (template: Template.Template.Any, path: string): ReadonlyArray<Node> => {
  const names = childNames(template)
  return template.steps.map((node, i) => nodeOf(node, join(path, names[i]!)))
}

const arm = (label: string, template: Template.Template.Any | undefined, path: string): Arm => ({
  label,
  template: template === undefined ? null : template.name,
  nodes: template === undefined ? null : sequence(template, path)
})

const flowNode = (node: Flow.Flow.Any, key: string): Node => {
  const spec = node.spec
  switch (spec.kind) {
    case "branch":
      return {
        _tag: "Branch",
        key,
        name: node.name,
        reads: Object.keys(spec.requires),
        arms: spec.labels.map((label) => arm(label, spec.arms[label], join(key, label)))
      }
    case "loop":
      return {
        _tag: "Loop",
        key,
        name: node.name,
        maxIterations: spec.maxIterations,
        check: spec.check,
        reads: Object.keys(spec.requires),
        nodes: sequence(spec.body, join(key, iteration))
      }
    case "forEach":
      return {
        _tag: "ForEach",
        key,
        name: node.name,
        over: spec.over,
        as: spec.as,
        into: spec.into,
        concurrency: spec.concurrency,
        nodes: sequence(spec.body, join(key, iteration))
      }
    case "parallel":
      return {
        _tag: "Parallel",
        key,
        name: node.name,
        mode: spec.mode,
        concurrency: spec.concurrency,
        branches: spec.labels.map((label) => arm(label, spec.branches[label], join(key, label)))
      }
  }
}

const nodeOf = (node: Template.Node, key: string): Node => {
  switch (node._tag) {
    case "Step":
      return {
        _tag: "Step",
        key,
        name: node.name,
        requires: Object.keys(node.requires),
        provides: Object.keys(node.provides),
        retry: node.retry !== undefined,
        timeoutMs: millis(node.timeout),
        onError: node.onError,
        fallback: node.fallback === undefined ? null : node.fallback.name
      }
    case "Template":
      return { _tag: "Template", key, name: node.name, version: node.version, nodes: sequence(node, key) }
    case "Flow":
      return flowNode(node, key)
    case "Sleep":
      return { _tag: "Sleep", key, name: node.name, durationMs: millis(node.duration) ?? 0 }
    case "WaitForSignal":
      return {
        _tag: "Wait",
        key,
        name: node.name,
        signal: node.signal,
        stateKey: node.key,
        timeoutMs: millis(node.timeout)
      }
    case "Subflow":
      return { _tag: "Subflow", key, name: node.name, graph: make(node.template) }
  }
}

/**
 * The structure of a template.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (template: Template.Template.Any): Graph => ({
  name: template.name,
  version: template.version,
  requires: template.requiredState,
  provides: template.providedState,
  nodes: sequence(template, "")
})

/**
 * How a graph's template is named in traces and lists: `name@version`, or,
 * for a composite of templates (`composeWorkflow`), its version, which
 * names its parts (`a@1+b@2`), as `Template.label` does.
 *
 * @since 0.2.0
 * @category accessors
 */
export const label = (graph: { readonly name: string; readonly version: string; readonly nodes: ReadonlyArray<Node> }): string => {
  const parts = graph.nodes
  const composite = parts.length > 0 &&
    parts.every((node) => node._tag === "Template") &&
    graph.name === parts.map((part) => part.name).join("+") &&
    graph.version === (parts as ReadonlyArray<TemplateNode>).map(label).join("+")
  return composite ? graph.version : `${graph.name}@${graph.version}`
}

/**
 * Every node of a graph, depth first, in the order they appear (a
 * sub-flow's own nodes are not included: they belong to another run).
 *
 * @since 0.2.0
 * @category accessors
 */
export const nodes = (graph: Graph): ReadonlyArray<Node> => {
  const out: Array<Node> = []
  const visit = (list: ReadonlyArray<Node>): void => {
    for (const node of list) {
      out.push(node)
      switch (node._tag) {
        case "Template":
        case "Loop":
        case "ForEach":
          visit(node.nodes)
          break
        case "Branch":
          for (const arm of node.arms) visit(arm.nodes ?? [])
          break
        case "Parallel":
          for (const branch of node.branches) visit(branch.nodes ?? [])
          break
      }
    }
  }
  visit(graph.nodes)
  return out
}

/**
 * The signals a template's runs may wait for (its own waits, not its
 * sub-flows'), with the step keys that wait for them.
 *
 * @since 0.2.0
 * @category accessors
 */
export const waits = (graph: Graph): ReadonlyArray<WaitNode> =>
  nodes(graph).filter((node): node is WaitNode => node._tag === "Wait")

// ---------------------------------------------------------------------------
// flowchart
// ---------------------------------------------------------------------------

/**
 * What a flowchart node draws: the start and end of the run, a step, a
 * durable sleep or wait, a sub-flow, a decision (branch, loop test), a fork
 * and a join (parallel branches, the end of a branch).
 *
 * @since 0.2.0
 * @category models
 */
export type Shape = "start" | "end" | "step" | "sleep" | "wait" | "subflow" | "decision" | "fork" | "join"

/**
 * A box of a flowchart.
 *
 * @since 0.2.0
 * @category models
 */
export interface FlowchartNode {
  /** An identifier safe for Mermaid and HTML (`n1`, `n2`, ...). */
  readonly id: string
  readonly shape: Shape
  readonly label: string
  /** The step key it stands for (`null` for start, end and joins). */
  readonly key: string | null
  /** The group it is drawn in, `null` at the top level. */
  readonly group: string | null
}

/**
 * A group of boxes drawn together: a nested template, a loop's or a
 * forEach's body, a parallel branch.
 *
 * @since 0.2.0
 * @category models
 */
export interface FlowchartGroup {
  readonly id: string
  readonly label: string
  readonly key: string
  readonly group: string | null
}

/**
 * An arrow of a flowchart, with its label (a branch's arm, a loop's test).
 *
 * @since 0.2.0
 * @category models
 */
export interface FlowchartEdge {
  readonly from: string
  readonly to: string
  readonly label: string | null
}

/**
 * A graph laid out as boxes, groups and arrows, ready to draw.
 *
 * @since 0.2.0
 * @category models
 */
export interface Flowchart {
  readonly nodes: ReadonlyArray<FlowchartNode>
  readonly groups: ReadonlyArray<FlowchartGroup>
  readonly edges: ReadonlyArray<FlowchartEdge>
}

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

/**
 * Lays a graph out as boxes, groups and arrows: a run starts at a `start`
 * box and ends at an `end` box; a branch is a decision with one labelled
 * arrow per arm, meeting again at a join; a loop is a decision after (or
 * before) its body, with an arrow back; a forEach and each parallel branch
 * are groups.
 *
 * @since 0.2.0
 * @category formatting
 */
export const toFlowchart = (graph: Graph): Flowchart => {
  const boxes: Array<FlowchartNode> = []
  const groups: Array<FlowchartGroup> = []
  const edges: Array<FlowchartEdge> = []
  let counter = 0
  const fresh = () => `n${++counter}`
  const box = (shape: Shape, label: string, key: string | null, group: string | null): string => {
    const id = fresh()
    boxes.push({ id, shape, label, key, group })
    return id
  }
  const connect = (exits: ReadonlyArray<Exit>, to: string) => {
    for (const exit of exits) edges.push({ from: exit.from, to, label: exit.label })
  }
  const groupOf = (label: string, key: string, parent: string | null): string => {
    const id = fresh()
    groups.push({ id, label, key, group: parent })
    return id
  }

  /** Draws `nodes` after `exits`, returns the open ends after them. */
  const drawSequence = (
    list: ReadonlyArray<Node>,
    exits: ReadonlyArray<Exit>,
    group: string | null
  ): ReadonlyArray<Exit> => list.reduce((open, node) => drawNode(node, open, group), exits)

  const drawArms = (
    arms: ReadonlyArray<Arm>,
    from: string,
    key: string,
    group: string | null,
    asGroups: boolean
  ): ReadonlyArray<Exit> =>
    arms.flatMap((arm) => {
      const start: ReadonlyArray<Exit> = [{ from, label: arm.label }]
      if (arm.nodes === null || arm.nodes.length === 0) return start
      const inner = asGroups ? groupOf(arm.label, join(key, arm.label), group) : group
      return drawSequence(arm.nodes, start, inner)
    })

  const drawNode = (node: Node, exits: ReadonlyArray<Exit>, group: string | null): ReadonlyArray<Exit> => {
    const single = (shape: Shape, label: string): ReadonlyArray<Exit> => {
      const id = box(shape, label, node.key, group)
      connect(exits, id)
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
        return single("subflow", `${node.name}: sub-flow ${label(node.graph)}`)
      case "Template": {
        const inner = groupOf(`${node.name}@${node.version}`, node.key, group)
        return drawSequence(node.nodes, exits, inner)
      }
      case "Branch": {
        const decision = box("decision", node.name, node.key, group)
        connect(exits, decision)
        const ends = drawArms(node.arms, decision, node.key, group, false)
        const join = box("join", "", null, group)
        connect(ends, join)
        return [{ from: join, label: null }]
      }
      case "Loop": {
        const label = `${node.name}: while, at most ${node.maxIterations}`
        const body = groupOf(`${node.name} (loop)`, node.key, group)
        if (node.check === "before") {
          const decision = box("decision", label, node.key, group)
          connect(exits, decision)
          const ends = drawSequence(node.nodes, [{ from: decision, label: "repeat" }], body)
          connect(ends, decision)
          return [{ from: decision, label: "done" }]
        }
        // checked after each iteration: the body runs first
        const bodyStart = boxes.length
        const ends = drawSequence(node.nodes, exits, body)
        const first = boxes[bodyStart]
        const decision = box("decision", label, node.key, group)
        connect(ends, decision)
        if (first !== undefined) edges.push({ from: decision, to: first.id, label: "repeat" })
        return [{ from: decision, label: "done" }]
      }
      case "ForEach": {
        const body = groupOf(
          `${node.name}: for each ${node.as} in ${node.over} (${concurrencyText(node.concurrency)})`,
          node.key,
          group
        )
        return drawSequence(node.nodes, exits, body)
      }
      case "Parallel": {
        const fork = box(
          "fork",
          `${node.name}: parallel${node.mode === "first" ? ", first to succeed" : ""} (${concurrencyText(node.concurrency)})`,
          node.key,
          group
        )
        connect(exits, fork)
        const ends = drawArms(node.branches, fork, node.key, group, true)
        const join = box("join", "", null, group)
        connect(ends, join)
        return [{ from: join, label: null }]
      }
    }
  }

  const start = box("start", label(graph), null, null)
  const ends = drawSequence(graph.nodes, [{ from: start, label: null }], null)
  const end = box("end", "end", null, null)
  connect(ends, end)
  return { nodes: boxes, groups, edges }
}

/** A label inside Mermaid quotes: quotes and the characters Mermaid reads as markup escaped. */
const quote = (text: string): string =>
  `"${text.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`).replace(/\r?\n/g, " ")}"`

const shapeText = (node: FlowchartNode): string => {
  const label = quote(node.label)
  switch (node.shape) {
    case "start":
    case "end":
      return `${node.id}([${label}])`
    case "step":
      return `${node.id}[${label}]`
    case "sleep":
      return `${node.id}[/${label}/]`
    case "wait":
      return `${node.id}{{${label}}}`
    case "subflow":
      return `${node.id}[[${label}]]`
    case "decision":
      return `${node.id}{${label}}`
    case "fork":
      return `${node.id}[/${label}\\]`
    case "join":
      return `${node.id}((" "))`
  }
}

/**
 * The graph as a Mermaid flowchart (top to bottom): the text the `weft graph`
 * command prints and the web view draws.
 *
 * @since 0.2.0
 * @category formatting
 */
export const toMermaid = (graph: Graph): string => {
  const chart = toFlowchart(graph)
  const lines: Array<string> = ["flowchart TD"]
  const childrenOf = (group: string | null) => ({
    nodes: chart.nodes.filter((node) => node.group === group),
    groups: chart.groups.filter((g) => g.group === group)
  })
  const emit = (group: string | null, indent: string): void => {
    const inside = childrenOf(group)
    for (const node of inside.nodes) lines.push(`${indent}${shapeText(node)}`)
    for (const g of inside.groups) {
      lines.push(`${indent}subgraph ${g.id}[${quote(g.label)}]`)
      emit(g.id, `${indent}  `)
      lines.push(`${indent}end`)
    }
  }
  emit(null, "  ")
  for (const edge of chart.edges) {
    lines.push(`  ${edge.from} -->${edge.label === null ? "" : `|${quote(edge.label)}|`} ${edge.to}`)
  }
  return lines.join("\n")
}
