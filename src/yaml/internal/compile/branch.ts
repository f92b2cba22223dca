/**
 * `branch:`, with `if:` (then/else, a `Flow.branch`) or `on:` (cases and a
 * default, a `Flow.match`); what the arms write joins after it.
 *
 * @internal
 */
import { type SchemaAST } from "effect"
import { Flow } from "../../../index.js"
import { isAssignable, isOpaque, members, stringType } from "../assignable.js"
import { type Entry, join } from "../env.js"
import { PSet } from "../persistent.js"
import type * as Expr from "../expr.js"
import { describe } from "../printType.js"
import type { YMap } from "../source.js"
import { didYouMean } from "../suggest.js"
import type { Compilation, Compiled, Node, StepInfo, Walk } from "./context.js"
import { formatFields, labelPattern } from "./format.js"
import { compileList } from "./steps.js"
import { compileCondition, compileExpression } from "./values.js"

export const branchStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled => {
  const outer = cx.fields(item, formatFields.branch, `branch "${info.id}"`)
  const body = outer?.get("branch")?.value ?? item.entries.find((e) => e.key === "branch")!.value
  const fields = cx.fields(body, formatFields.branchBody, `branch "${info.id}"`)
  if (fields === undefined) return { nodes: [], walk }
  const ifEntry = fields.get("if")
  const onEntry = fields.get("on")
  if (ifEntry !== undefined && onEntry !== undefined) {
    cx.error(onEntry.keyNode, `a branch has "if" (then/else) or "on" (cases), not both`)
    return { nodes: [], walk }
  }
  if (ifEntry === undefined && onEntry === undefined) {
    cx.error(body, `a branch needs "if: <condition>" with then/else, or "on: <expression>" with cases`)
    return { nodes: [], walk }
  }
  const reads = new Map<string, Entry>()
  if (ifEntry !== undefined) {
    for (const key of ["cases", "default"]) {
      const e = fields.get(key)
      if (e !== undefined) cx.error(e.keyNode, `"${key}" goes with "on:"; with "if:" write then/else`)
    }
    const compiled = compileCondition(cx, ifEntry.value, walk, reads, info, `the condition of branch "${info.id}"`)
    const thenEntry = fields.get("then")
    if (thenEntry === undefined) {
      cx.error(body, `branch "${info.id}" needs "then:" (the steps to run when the condition holds)`)
      return { nodes: [], walk }
    }
    const elseEntry = fields.get("else")
    const then = compileList(cx, thenEntry.value, walk, `the "then" arm of branch "${info.id}"`)
    const otherwise = elseEntry === undefined ? undefined : compileList(cx, elseEntry.value, walk, `the "else" arm of branch "${info.id}"`)
    const env = join([then.walk.env, otherwise?.walk.env ?? walk.env])
    const visible = PSet.union(otherwise === undefined ? [then.walk.visible] : [then.walk.visible, otherwise.walk.visible])
    const nodes = compiled === undefined ? [] : cx.build(ifEntry.value, () =>
      Flow.branch({
        name: info.id,
        requires: cx.readFields(reads),
        when: (input) => compiled.run(input as Expr.StateView, new Map()) === true,
        then: cx.sub(`${info.id}.then`, then.nodes),
        else: otherwise === undefined ? undefined : cx.sub(`${info.id}.else`, otherwise.nodes) as never
      }) as unknown as Node)
    return { nodes, walk: { env, visible } }
  }
  for (const key of ["then", "else"]) {
    const e = fields.get(key)
    if (e !== undefined) cx.error(e.keyNode, `"${key}" goes with "if:"; with "on:" write cases (and default)`)
  }
  const selector = compileExpression(cx, onEntry!.value, walk, reads, info, `the selector of branch "${info.id}"`)
  const casesEntry = fields.get("cases")
  if (casesEntry === undefined || casesEntry.value.kind !== "map") {
    cx.error(casesEntry?.value ?? body, `branch "${info.id}" needs "cases:", a mapping from each value of "on" to its steps`)
    return { nodes: [], walk }
  }
  const defaultEntry = fields.get("default")
  const labels: Array<string> = []
  const arms: Array<{ readonly label: string; readonly nodes: ReadonlyArray<Node>; readonly walk: Walk }> = []
  for (const arm of casesEntry.value.entries) {
    if (!labelPattern.test(arm.key) || arm.key === "default") {
      cx.error(arm.keyNode, `case "${arm.key}" must use only letters, digits, "_", "-", "." and ":" (and not be "default")`)
      continue
    }
    labels.push(arm.key)
    arms.push({ label: arm.key, ...compileList(cx, arm.value, walk, `case "${arm.key}" of branch "${info.id}"`) })
  }
  if (defaultEntry !== undefined) arms.push({ label: "default", ...compileList(cx, defaultEntry.value, walk, `the default arm of branch "${info.id}"`) })
  if (selector !== undefined) {
    const type = selector.type
    if (!isOpaque(type)) {
      const ms = members(type)
      if (!ms.every((m) => isAssignable(m, stringType))) {
        cx.error(onEntry!.value, `the selector of branch "${info.id}" must be a text (it picks a case by name), but it is ${describe(type)}`)
      } else if (defaultEntry === undefined) {
        const literals = ms.filter((m): m is SchemaAST.Literal => m._tag === "Literal")
        if (literals.length < ms.length) {
          cx.error(onEntry!.value, `the selector of branch "${info.id}" may be any text (${describe(type)}): add a "default:" arm`)
        } else {
          for (const literal of literals) {
            const label = String(literal.literal)
            if (!labels.includes(label)) {
              cx.error(onEntry!.value, `the selector of branch "${info.id}" may be "${label}", which is not a case${didYouMean(label, labels)}: add it, or a "default:" arm`)
            }
          }
        }
      }
    }
  }
  const env = join(arms.map((arm) => arm.walk.env))
  const visible = PSet.union(arms.map((arm) => arm.walk.visible))
  const nodes = selector === undefined || arms.length === 0 ? [] : cx.build(onEntry!.value, () =>
    Flow.match({
      name: info.id,
      requires: cx.readFields(reads),
      select: (input) => {
        const value = selector.run(input as Expr.StateView, new Map())
        return (typeof value === "string" && labels.includes(value) ? value : "default") as never
      },
      arms: Object.fromEntries(arms.map((arm) => [arm.label, cx.sub(`${info.id}.${arm.label}`, arm.nodes)]))
    }) as unknown as Node)
  return { nodes, walk: { env, visible } }
}
