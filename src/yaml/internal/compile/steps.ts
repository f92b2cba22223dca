/**
 * A list of YAML steps: each item checked to be a step of one kind, then
 * compiled by the compiler of its kind (given through the compilation, so
 * that nested lists come back here without an import cycle); the state
 * after each step marks the step as the writer of what it wrote.
 *
 * @internal
 */
import { Flow } from "../../../index.js"
import { type Entry, join, markWriter } from "../env.js"
import { defined } from "../assignable.js"
import * as Expr from "../expr.js"
import type { YEntry, YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import type { Compilation, Compiled, Node, StepInfo, Walk } from "./context.js"
import { formatFields, type StepKind, stepKinds } from "./format.js"
import { compileCondition } from "./values.js"

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
  const ifEntry = item.entries.find((e) => e.key === "if")
  const compiled = ifEntry === undefined
    ? cx.kinds[kind](cx, item, info, walk)
    : conditional(cx, ifEntry, info, walk, (inner) => cx.kinds[kind](cx, item, info, inner))
  const env = markWriter(walk.env, compiled.walk.env, info.id)
  const provided = new Set<string>()
  for (const key of walk.env.changedIn(env)) provided.add(key)
  cx.providedBy.set(info.id, provided)
  return { nodes: compiled.nodes, walk: { env, visible: compiled.walk.visible.add(info.id) } }
}

/**
 * `if: <condition>` on a step: the step runs only when the condition holds
 * (a branch with no else, named `<id>:if`); what it writes may be missing
 * after it. Keys the condition checks with `!= null` (alone or joined by
 * `and`) are present, and not null, inside it.
 */
const conditional = (cx: Compilation, entry: YEntry, info: StepInfo, walk: Walk, step: (walk: Walk) => Compiled): Compiled => {
  const reads = new Map<string, Entry>()
  const condition = compileCondition(cx, entry.value, walk, reads, info, `the condition of step "${info.id}"`)
  const narrowed = new Map<string, Entry>()
  let inner = walk.env
  if (condition !== undefined && entry.value.kind === "scalar" && typeof entry.value.value === "string") {
    const parsed = Expr.parse(entry.value.value)
    for (const key of "expr" in parsed ? checkedNotNull(parsed.expr) : []) {
      const found = walk.env.get(key)
      if (found === undefined) continue
      const present: Entry = { ...found, optional: false, type: defined(found.type, true) }
      narrowed.set(key, present)
      inner = inner.set(key, present)
    }
  }
  const compiled = step({ env: inner, visible: walk.visible })
  let after = compiled.walk.env
  // what the step did not write itself is as it was before the condition
  for (const [key, present] of narrowed) if (after.get(key) === present) after = after.set(key, walk.env.get(key)!)
  const env = join([after, walk.env])
  const nodes = condition === undefined ? [] : cx.build(entry.value, () =>
    Flow.branch({
      name: `${info.id}:if`,
      requires: cx.readFields(reads),
      when: (input) => condition.run(input as Expr.StateView, new Map()) === true,
      then: cx.sub(`${info.id}:then`, compiled.nodes)
    }) as unknown as Node)
  return { nodes, walk: { env, visible: compiled.walk.visible } }
}

/** The state keys a condition holds only when they are present and not null (`k != null`, `state.k != null`, joined by `and`). */
const checkedNotNull = (expr: Expr.Expr): ReadonlyArray<string> => {
  if (expr.tag !== "binary") return []
  if (expr.op === "and") return [...checkedNotNull(expr.left), ...checkedNotNull(expr.right)]
  if (expr.op !== "!=") return []
  const keyOf = (e: Expr.Expr): string | undefined =>
    e.tag === "name" && !["inputs", "steps", "vars", "state"].includes(e.name)
      ? e.name
      : e.tag === "member" && e.object.tag === "name" && e.object.name === "state"
      ? e.name
      : undefined
  const isNull = (e: Expr.Expr) => e.tag === "lit" && e.value === null
  const key = isNull(expr.right) ? keyOf(expr.left) : isNull(expr.left) ? keyOf(expr.right) : undefined
  return key === undefined ? [] : [key]
}
