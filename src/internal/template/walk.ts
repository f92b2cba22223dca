/**
 * The one traversal of a template tree. A template holds nodes; a nested
 * template and a control-flow node hold templates; a sub-flow holds the
 * template its child run executes (entered only with `intoSubflows`); a
 * step, a sleep and a wait hold nothing. {@link childrenOf} is the only
 * switch over the node kinds that says so: a new kind of node is added
 * there, and the compiler points at it.
 *
 * @internal
 */
import type * as Template from "../../Template.js"

/** How far a walk goes. */
export interface WalkOptions {
  /** Whether to enter the template of a sub-flow (it runs as a child run). */
  readonly intoSubflows: boolean
  /** Whether to enter a template instance only once (a template used twice, or a sub-flow of itself). */
  readonly once?: boolean | undefined
}

/** What a walk calls: `enter` before a node's children, `leave` after them (depth 0: the root's nodes). */
export interface Visitor {
  readonly enter?: ((node: Template.Node, depth: number) => void) | undefined
  readonly leave?: ((node: Template.Node, depth: number) => void) | undefined
}

const unknownNode = (node: never): never => {
  throw new Error(`weft: unknown template node ${JSON.stringify((node as { readonly _tag?: unknown })._tag)}`)
}

/** The nodes directly inside a node, in order. */
export const childrenOf = (node: Template.Node, intoSubflows: boolean): ReadonlyArray<Template.Node> => {
  switch (node._tag) {
    case "Template":
      return node.steps
    case "Flow":
      return node.children
    case "Subflow":
      return intoSubflows ? [node.template] : []
    case "Step":
    case "Sleep":
    case "WaitForSignal":
      return []
    default:
      return unknownNode(node)
  }
}

/** Visits every node under a template (not the template itself), depth first, in order. */
export const walk = (template: Template.Template.Any, options: WalkOptions, visitor: Visitor): void => {
  const entered = new Set<Template.Template.Any>([template])
  const visit = (node: Template.Node, depth: number): void => {
    visitor.enter?.(node, depth)
    const skip = options.once === true && node._tag === "Template" && entered.has(node)
    if (!skip) {
      if (node._tag === "Template") entered.add(node)
      for (const child of childrenOf(node, options.intoSubflows)) visit(child, depth + 1)
    }
    visitor.leave?.(node, depth)
  }
  for (const node of template.steps) visit(node, 0)
}

/** Every node under a template, depth first, a node before its children. */
export const nodesOf = (template: Template.Template.Any, options: WalkOptions): ReadonlyArray<Template.Node> => {
  const found: Array<Template.Node> = []
  walk(template, options, { enter: (node) => found.push(node) })
  return found
}
