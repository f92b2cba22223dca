/**
 * `loop:`: a `Flow.loop` whose body is checked twice (the second pass reads
 * what the first wrote) and whose `while:` condition reads the state before
 * or after a pass.
 *
 * @internal
 */
import { Flow } from "../../../index.js"
import { type Entry, join } from "../env.js"
import type * as Expr from "../expr.js"
import type { YMap } from "../source.js"
import type { Compilation, Compiled, Node, StepInfo, Walk } from "./context.js"
import { formatFields } from "./format.js"
import { compileList } from "./steps.js"
import { compileCondition } from "./values.js"

export const loopStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled => {
  const outer = cx.fields(item, formatFields.loop, `loop "${info.id}"`)
  const body = outer?.get("loop")?.value ?? item.entries.find((e) => e.key === "loop")!.value
  const fields = cx.fields(body, formatFields.loopBody, `loop "${info.id}"`)
  if (fields === undefined) return { nodes: [], walk }
  const maxEntry = fields.get("maxIterations")
  const maxIterations = maxEntry === undefined
    ? cx.error(body, `loop "${info.id}" needs maxIterations: the most times its steps may run (1 or more)`)
    : cx.integer(maxEntry.value, `maxIterations of loop "${info.id}"`, 1)
  const checkEntry = fields.get("check")
  let check: "before" | "after" = "before"
  if (checkEntry !== undefined) {
    const v = checkEntry.value
    if (v.kind === "scalar" && (v.value === "before" || v.value === "after")) check = v.value
    else cx.error(v, `check is "before" (the condition is tested before each pass) or "after"`)
  }
  const whileEntry = fields.get("while")
  if (whileEntry === undefined) cx.error(body, `loop "${info.id}" needs "while: <condition>"`)
  const stepsEntry = fields.get("steps")
  if (stepsEntry === undefined) {
    cx.error(body, `loop "${info.id}" needs "steps:"`)
    return { nodes: [], walk }
  }
  const before = cx.diagnostics.count
  const first = compileList(cx, stepsEntry.value, walk, `loop "${info.id}"`)
  // the second pass reads what the first wrote; checked only when the first is clean
  const second = cx.diagnostics.count === before
    ? compileList(cx, stepsEntry.value, { env: first.walk.env, visible: first.walk.visible }, `loop "${info.id}"`)
    : first
  const predicateEnv = check === "before" ? join([walk.env, first.walk.env, second.walk.env]) : join([first.walk.env, second.walk.env])
  const reads = new Map<string, Entry>()
  const compiled = whileEntry === undefined
    ? undefined
    : compileCondition(cx, whileEntry.value, { env: predicateEnv, visible: second.walk.visible }, reads, info, `the condition of loop "${info.id}"`)
  const env = check === "before" ? join([walk.env, first.walk.env, second.walk.env]) : join([first.walk.env, second.walk.env])
  const nodes = compiled === undefined || maxIterations === undefined ? [] : cx.build(whileEntry!.value, () =>
    Flow.loop({
      name: info.id,
      requires: cx.readFields(reads),
      while: (input) => compiled.run(input as Expr.StateView, new Map()) === true,
      body: cx.sub(`${info.id}.body`, first.nodes) as never,
      maxIterations,
      check
    }) as unknown as Node)
  return { nodes, walk: { env, visible: first.walk.visible } }
}
