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
import * as Build from "./internal/graph/build.js"
import { layout } from "./internal/graph/flowchart.js"
import { mermaidOf } from "./internal/graph/mermaid.js"
import type * as Step from "./Step.js"
import type * as Template from "./Template.js"

/**
 * How a loop or forEach iteration appears in the step keys of a graph.
 *
 * @since 0.2.0
 * @category constants
 */
export const iteration = Build.iteration

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

/**
 * The structure of a template.
 *
 * @since 0.2.0
 * @category constructors
 */
export const make = (template: Template.Template.Any): Graph => Build.graphOf(template)

/**
 * How a graph's template is named in traces and lists: `name@version`, or,
 * for a composite of templates (`composeWorkflow`), its version, which
 * names its parts (`a@1+b@2`), as `Template.label` does.
 *
 * @since 0.2.0
 * @category accessors
 */
export const label = (graph: { readonly name: string; readonly version: string; readonly nodes: ReadonlyArray<Node> }): string =>
  Build.labelOf(graph)

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
export const toFlowchart = (graph: Graph): Flowchart => layout(graph)

/**
 * The graph as a Mermaid flowchart (top to bottom): the text the `weft graph`
 * command prints and the web view draws.
 *
 * @since 0.2.0
 * @category formatting
 */
export const toMermaid = (graph: Graph): string => mermaidOf(graph)
