/**
 * `forEach:`: a `Flow.forEach` over a list in the state; its steps read each
 * element under `as:`, and the key `collect:` names is gathered into `into:`.
 *
 * @internal
 */
import { SchemaAST } from "effect"
import { Flow } from "../../../index.js"
import { arrayOf, elementType, mayBeUndefined, union } from "../assignable.js"
import { type Entry, write } from "../env.js"
import * as Expr from "../expr.js"
import { describe } from "../printType.js"
import type { YMap, YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import type { AST, Compilation, Compiled, Node, SourceMap, StepInfo, Walk } from "./context.js"
import { formatFields } from "./format.js"
import { resolveReference } from "./references.js"
import { compileList } from "./steps.js"

export const forEachStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled => {
  const outer = cx.fields(item, formatFields.forEach, `forEach "${info.id}"`)
  const body = outer?.get("forEach")?.value ?? item.entries.find((e) => e.key === "forEach")!.value
  const fields = cx.fields(body, formatFields.forEachBody, `forEach "${info.id}"`)
  if (fields === undefined) return { nodes: [], walk }
  const need = (key: string, what: string) => {
    const e = fields.get(key)
    if (e === undefined) cx.error(body, `forEach "${info.id}" needs "${key}:" (${what})`)
    return e
  }
  const overEntry = need("over", "the list to go over, e.g. ${steps.fetch.items}")
  const asEntry = need("as", "the key each element is read under")
  const stepsEntry = need("steps", "the steps to run for each element")
  const collectEntry = need("collect", "the key of each element's result to gather")
  const intoEntry = fields.get("into")
  const concurrencyEntry = fields.get("concurrency")
  const concurrency = concurrencyEntry === undefined ? 1 : cx.concurrency(concurrencyEntry.value, "concurrency")
  const as = asEntry === undefined ? undefined : cx.key(asEntry.value, "as")
  const into = intoEntry === undefined ? info.id : cx.key(intoEntry.value, "into")
  const collect = collectEntry === undefined ? undefined : cx.key(collectEntry.value, "collect")

  let over: string | undefined
  let element: AST | undefined
  if (overEntry !== undefined) {
    const resolved = overKey(cx, overEntry.value, walk, info)
    if (resolved !== undefined) {
      over = resolved.key
      const e = elementType(resolved.type)
      if (e === undefined || mayBeUndefined(resolved.type)) {
        cx.error(overEntry.value, `forEach "${info.id}" goes over "${over}", but it is ${describe(resolved.type)} here, not a list`)
      } else element = e
    }
  }
  if (stepsEntry === undefined || as === undefined) return { nodes: [], walk }
  if (over !== undefined && over === as) cx.error(asEntry!.value, `"over" and "as" must be different keys, both are "${as}"`)
  const inner = write(walk.env, { [as]: { type: element ?? SchemaAST.anyKeyword, optional: false } }, info.id)
  const tracker = new Set<string>()
  cx.trackers.push(tracker)
  const compiled = compileList(cx, stepsEntry.value, { env: inner, visible: walk.visible }, `forEach "${info.id}"`)
  cx.trackers.pop()
  if (!tracker.has(as) && !cx.unresolved) {
    cx.error(asEntry!.value, `the steps of forEach "${info.id}" never read "${as}": each element is given under this key`)
  }
  const writes = new Map<string, Entry>()
  for (const key of inner.changedIn(compiled.walk.env)) writes.set(key, compiled.walk.env.get(key)!)
  let collected: Entry | undefined
  if (collect !== undefined) {
    collected = writes.get(collect)
    if (collected === undefined) {
      cx.error(
        collectEntry!.value,
        `the steps of forEach "${info.id}" do not write "${collect}"${didYouMean(collect, Array.from(writes.keys()))}; they write ${listOf(Array.from(writes.keys()))}`
      )
    }
  }
  const bodyTemplate = cx.diagnostics.count === 0 ? cx.sub(`${info.id}.body`, compiled.nodes) : undefined
  if (into === undefined || collected === undefined) return { nodes: [], walk }
  const itemType = collected.optional ? union([collected.type, SchemaAST.undefinedKeyword]) : collected.type
  const env = write(walk.env, { [into]: { type: arrayOf(itemType), optional: false } }, info.id)
  const nodes = over === undefined || concurrency === undefined || bodyTemplate === undefined ? [] : cx.build(overEntry!.value, () =>
    Flow.forEach({
      name: info.id,
      over: over!,
      as: as as never,
      body: bodyTemplate,
      collect: collect as never,
      into,
      concurrency
    }) as unknown as Node)
  return { nodes, walk: { env, visible: walk.visible } }
}

/** The state key `over:` names (a whole key: `items`, `${steps.fetch.items}`, `${inputs.items}`). */
const overKey = (
  cx: Compilation,
  node: YNode,
  walk: Walk,
  info: StepInfo
): { readonly key: string; readonly type: AST } | undefined => {
  if (node.kind !== "scalar" || typeof node.value !== "string") {
    return cx.error(node, `"over" names a list in the state, e.g. \${steps.fetch.items} or items`)
  }
  const toSource: SourceMap = (span) => ({
    start: cx.offsetOf(node, span.start),
    end: cx.offsetOf(node, span.end)
  })
  const parsed = Expr.parse(node.value)
  if ("problem" in parsed) return cx.error(toSource(parsed.problem), `over: ${parsed.problem.message}`)
  const names: Array<{ readonly name: string; readonly start: number; readonly end: number }> = []
  let current: Expr.Expr = parsed.expr
  while (current.tag === "member") {
    names.unshift({ name: current.name, start: current.nameStart, end: current.end })
    current = current.object
  }
  if (current.tag !== "name") return cx.error(node, `"over" names a list in the state, e.g. \${steps.fetch.items} or items`)
  names.unshift({ name: current.name, start: current.start, end: current.end })
  const reads = new Map<string, Entry>()
  const resolved = resolveReference(cx, names, parsed.expr, walk, reads, info, toSource)
  if (resolved === undefined) return undefined
  if (resolved.key === undefined || resolved.consumed !== names.length) {
    return cx.error(node, `"over" must name a whole state key (a list), not a field inside one or a var`)
  }
  return { key: resolved.key, type: resolved.type }
}
