/**
 * Building the graph of a template: each node of the model as plain data,
 * keyed by its step key as the interpreter names it (`name#2` for a repeat,
 * `*` for an iteration), recursively through nested templates, control flow
 * and sub-flows; and a graph's label (`name@version`, or a composite's
 * version). The public side is `Graph.ts`.
 *
 * @internal
 */
import { Duration } from "effect"
import type * as Flow from "../../Flow.js"
import type { Arm, Graph, Node, TemplateNode } from "../../Graph.js"
import type * as Template from "../../Template.js"

/** How a loop or forEach iteration appears in step keys (`Graph.iteration`). */
export const iteration = "*"

/** A step key under another. */
export const join = (path: string, name: string) => path === "" ? name : `${path}/${name}`

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
      return { _tag: "Subflow", key, name: node.name, graph: graphOf(node.template) }
  }
}

/** The graph of a template (`Graph.make`). */
export const graphOf = (template: Template.Template.Any): Graph => ({
  name: template.name,
  version: template.version,
  requires: template.requiredState,
  provides: template.providedState,
  nodes: sequence(template, "")
})

/** A graph's label (`Graph.label`). */
export const labelOf = (graph: { readonly name: string; readonly version: string; readonly nodes: ReadonlyArray<Node> }): string => {
  const parts = graph.nodes
  const composite = parts.length > 0 &&
    parts.every((node) => node._tag === "Template") &&
    graph.name === parts.map((part) => part.name).join("+") &&
    graph.version === (parts as ReadonlyArray<TemplateNode>).map(labelOf).join("+")
  return composite ? graph.version : `${graph.name}@${graph.version}`
}
