/**
 * `parallel:`: a `Flow.parallel` of named branches; a key several branches
 * write needs a merge function (`merge:`), unless `mode: first` keeps one
 * branch's values.
 *
 * @internal
 */
import { Flow } from "../../../index.js"
import { arrayOf, booleanType, elementType, isAssignable, isOpaque, members, numberType, union } from "../assignable.js"
import { type Entry, type Env, join } from "../env.js"
import { PSet } from "../persistent.js"
import { describe } from "../printType.js"
import type { YEntry, YMap, YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import { type AST, type Compilation, type Compiled, type Node, own, type StepInfo, type Walk } from "./context.js"
import { formatFields, labelPattern, mergeFunctions } from "./format.js"
import { compileList } from "./steps.js"

export const parallelStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled => {
  const outer = cx.fields(item, formatFields.parallel, `parallel "${info.id}"`)
  const body = outer?.get("parallel")?.value ?? item.entries.find((e) => e.key === "parallel")!.value
  const fields = cx.fields(body, formatFields.parallelBody, `parallel "${info.id}"`)
  if (fields === undefined) return { nodes: [], walk }
  const branchesEntry = fields.get("branches")
  if (branchesEntry === undefined || branchesEntry.value.kind !== "map" || branchesEntry.value.entries.length === 0) {
    cx.error(branchesEntry?.value ?? body, `parallel "${info.id}" needs "branches:", a mapping from each branch's name to its steps`)
    return { nodes: [], walk }
  }
  const modeEntry = fields.get("mode")
  let mode: "all" | "first" = "all"
  if (modeEntry !== undefined) {
    const v = modeEntry.value
    if (v.kind === "scalar" && (v.value === "all" || v.value === "first")) mode = v.value
    else cx.error(v, `mode is "all" (wait for every branch) or "first" (keep the first to succeed)`)
  }
  const concurrencyEntry = fields.get("concurrency")
  const concurrency = concurrencyEntry === undefined ? "unbounded" : cx.concurrency(concurrencyEntry.value, "concurrency")
  const branches: Array<{ readonly label: string; readonly at: YEntry; readonly nodes: ReadonlyArray<Node>; readonly walk: Walk }> = []
  for (const entry of branchesEntry.value.entries) {
    if (!labelPattern.test(entry.key)) {
      cx.error(entry.keyNode, `branch name "${entry.key}" must use only letters, digits, "_", "-", "." and ":"`)
      continue
    }
    branches.push({ label: entry.key, at: entry, ...compileList(cx, entry.value, walk, `branch "${entry.key}" of parallel "${info.id}"`) })
  }
  const writes = new Map<string, Array<{ readonly label: string; readonly entry: Entry }>>()
  for (const branch of branches) {
    for (const key of walk.env.changedIn(branch.walk.env)) {
      writes.set(key, [...(writes.get(key) ?? []), { label: branch.label, entry: branch.walk.env.get(key)! }])
    }
  }
  const mergeEntry = fields.get("merge")
  const merge: Record<string, (values: ReadonlyArray<unknown>) => unknown> = {}
  const mergedTypes = new Map<string, AST>()
  if (mergeEntry !== undefined && mode === "first") {
    cx.error(mergeEntry.keyNode, `mode: first keeps one branch's values: there is nothing to merge`)
  } else if (mergeEntry !== undefined) {
    if (mergeEntry.value.kind !== "map") {
      cx.error(mergeEntry.value, `merge maps each key several branches write to a merge function (${mergeFunctions.join(", ")})`)
    } else {
      for (const e of mergeEntry.value.entries) {
        const writers = writes.get(e.key) ?? []
        if (writers.length < 2) {
          cx.error(e.keyNode, `"${e.key}" is written by ${writers.length === 0 ? "no branch" : `branch "${writers[0]!.label}" only`}: a merge is only for a key several branches write`)
          continue
        }
        const fn = e.value.kind === "scalar" ? String(e.value.value) : ""
        const type = union(writers.map((w) => w.entry.type))
        const result = mergeFunction(cx, fn, type, e.value, e.key)
        if (result !== undefined) {
          merge[e.key] = result.fn
          mergedTypes.set(e.key, result.type)
        }
      }
    }
  }
  if (mode === "all") {
    for (const [key, writers] of writes) {
      if (writers.length < 2 || own(merge, key) || mergeEntry?.value.kind === "map" && mergeEntry.value.entries.some((e) => e.key === key)) continue
      cx.error(
        branchesEntry.keyNode,
        `branches ${listOf(writers.map((w) => w.label))} of parallel "${info.id}" all write "${key}": give it a merge function (merge: { ${key}: ${mergeFunctions.join(" | ")} })`
      )
    }
  }
  let env: Env
  if (mode === "first") {
    env = join(branches.map((b) => b.walk.env))
  } else {
    let next = walk.env
    for (const [key, writers] of writes) {
      next = next.set(key, {
        type: mergedTypes.get(key) ?? union(writers.map((w) => w.entry.type)),
        optional: writers.every((w) => w.entry.optional),
        writers: new Set(writers.flatMap((w) => Array.from(w.entry.writers)))
      })
    }
    env = next
  }
  const visible = PSet.union([walk.visible, ...branches.map((b) => b.walk.visible)])
  const nodes = concurrency === undefined ? [] : cx.build(branchesEntry.value, () =>
    Flow.parallel({
      name: info.id,
      branches: Object.fromEntries(branches.map((b) => [b.label, cx.sub(`${info.id}.${b.label}`, b.nodes)])) as never,
      concurrency,
      mode,
      merge: merge as never
    }) as unknown as Node)
  return { nodes, walk: { env, visible } }
}

const mergeFunction = (
  cx: Compilation,
  fn: string,
  type: AST,
  node: YNode,
  key: string
): { readonly fn: (values: ReadonlyArray<unknown>) => unknown; readonly type: AST } | undefined => {
  const numbers = !isOpaque(type) && members(type).every((m) => isAssignable(m, numberType))
  const booleans = !isOpaque(type) && members(type).every((m) => isAssignable(m, booleanType))
  const needs = (ok: boolean, what: string) =>
    ok ? true : cx.error(node, `merge "${fn}" needs ${what}, but the branches write "${key}" as ${describe(type)}`) ?? false
  switch (fn) {
    case "first":
      return { fn: (values) => values[0], type }
    case "last":
      return { fn: (values) => values[values.length - 1], type }
    case "max":
      return needs(numbers, "numbers") ? { fn: (values) => Math.max(...(values as ReadonlyArray<number>)), type: numberType } : undefined
    case "min":
      return needs(numbers, "numbers") ? { fn: (values) => Math.min(...(values as ReadonlyArray<number>)), type: numberType } : undefined
    case "sum":
      return needs(numbers, "numbers")
        ? { fn: (values) => (values as ReadonlyArray<number>).reduce((a, b) => a + b, 0), type: numberType }
        : undefined
    case "any":
      return needs(booleans, "booleans") ? { fn: (values) => values.some((v) => v === true), type: booleanType } : undefined
    case "all":
      return needs(booleans, "booleans") ? { fn: (values) => values.every((v) => v === true), type: booleanType } : undefined
    case "concat": {
      const element = elementType(type)
      if (!needs(element !== undefined, "lists")) return undefined
      return { fn: (values) => values.flatMap((v) => Array.isArray(v) ? v : []), type: arrayOf(element!) }
    }
    default:
      return cx.error(node, `unknown merge function "${fn}"${didYouMean(fn, mergeFunctions)}: use ${mergeFunctions.join(", ")}`)
  }
}
