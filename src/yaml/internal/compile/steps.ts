/**
 * A list of YAML steps: each item checked to be a step of one kind, then
 * compiled by the compiler of its kind (given through the compilation, so
 * that nested lists come back here without an import cycle); the state
 * after each step marks the step as the writer of what it wrote.
 *
 * @internal
 */
import { markWriter } from "../env.js"
import type { YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import type { Compilation, Compiled, Node, Walk } from "./context.js"
import { formatFields, type StepKind, stepKinds } from "./format.js"

export const compileList = (cx: Compilation, node: YNode, walk: Walk, what: string): Compiled => {
  if (node.kind !== "seq") {
    cx.error(node, `${what}'s steps must be a list (- use: ...)`)
    return { nodes: [], walk }
  }
  if (node.items.length === 0) cx.error(node, `${what} has no steps`)
  const nodes: Array<Node> = []
  let current = walk
  for (const item of node.items) {
    const compiled = compileStep(cx, item, current)
    nodes.push(...compiled.nodes)
    current = compiled.walk
  }
  return { nodes, walk: current }
}

const compileStep = (cx: Compilation, item: YNode, walk: Walk): Compiled => {
  const none = { nodes: [], walk }
  if (item.kind !== "map") {
    cx.error(item, `a step is a mapping with one of ${listOf(stepKinds)}`)
    return none
  }
  const kinds = item.entries.filter((e) => (stepKinds as ReadonlyArray<string>).includes(e.key))
  if (kinds.length === 0) {
    const all = Array.from(new Set(Object.values(formatFields).flat()))
    for (const entry of item.entries) {
      if (entry.key === "id" || entry.key === "description") continue
      const guess = didYouMean(entry.key, stepKinds)
      cx.error(entry.keyNode, `unknown field "${entry.key}" in a step${guess === "" ? didYouMean(entry.key, all) : guess}`)
    }
    cx.error(item, `a step needs one of ${listOf(stepKinds)}`)
    return none
  }
  if (kinds.length > 1) {
    cx.error(kinds[1]!.keyNode, `a step is of one kind: "${kinds[0]!.key}" and "${kinds[1]!.key}" cannot go together`)
    return none
  }
  const info = cx.info.get(item)
  if (info === undefined) return none // its id was refused (reported)
  const kind = kinds[0]!.key as StepKind
  const compiled = cx.kinds[kind](cx, item, info, walk)
  const env = markWriter(walk.env, compiled.walk.env, info.id)
  const provided = new Set<string>()
  for (const key of walk.env.changedIn(env)) provided.add(key)
  cx.providedBy.set(info.id, provided)
  return { nodes: compiled.nodes, walk: { env, visible: compiled.walk.visible.add(info.id) } }
}
