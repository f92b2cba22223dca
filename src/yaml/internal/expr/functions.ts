/**
 * The functions of the expression language: `len`, `contains`, and `any`,
 * `all`, `count`, `sum` over a list with a lambda (`x => x.ok`), each
 * checked against its arguments' types.
 *
 * @internal
 */
import type { SchemaAST } from "effect"
import { booleanType, elementType, isOpaque, mayBeUndefined, members, numberType } from "../assignable.js"
import { describe } from "../printType.js"
import { didYouMean } from "../suggest.js"
import type { Checker, Compiled } from "./check.js"
import { equals, isNumber, isString, kindOf, overlaps, type StateView } from "./kinds.js"
import type { Expr } from "./syntax.js"

type AST = SchemaAST.AST

/** The functions there are. */
export const functions = ["len", "any", "all", "count", "sum", "contains"] as const

/** Checks and compiles a call of one of the {@link functions}. */
export const checkCall = (
  checker: Checker,
  expr: Extract<Expr, { tag: "call" }>,
  params: ReadonlyMap<string, AST>
): Compiled | undefined => {
  const fn = expr.fn
  if (!(functions as ReadonlyArray<string>).includes(fn)) {
    return checker.report(expr.fnSpan, `unknown function "${fn}"${didYouMean(fn, functions)}; there are ${functions.join(", ")}`)
  }
  const arity = fn === "len" ? [1, 1] : fn === "sum" ? [1, 2] : [2, 2]
  if (expr.args.length < arity[0]! || expr.args.length > arity[1]!) {
    return checker.report(expr, `${fn} takes ${arity[0] === arity[1] ? arity[0] : `${arity[0]} or ${arity[1]}`} argument(s), got ${expr.args.length}`)
  }
  const first = expr.args[0]!
  if (first.tag === "lambda") return checker.report(first, `the first argument of ${fn} is a list, not a lambda`)
  const subject = checker.check(first, params)
  if (subject === undefined) return undefined
  if (!checker.needDefined(subject, first, `the argument of ${fn}`)) return undefined
  if (fn === "len") {
    const ok = isOpaque(subject.type) || members(subject.type).every((m) => kindOf(m) === "string" || kindOf(m) === "list")
    if (!ok) return checker.report(first, `len needs a list or a text, got ${describe(subject.type)}`)
    return {
      type: numberType,
      run: (s, v) => {
        const x = subject.run(s, v)
        return typeof x === "string" || Array.isArray(x) ? x.length : 0
      }
    }
  }
  if (fn === "contains") {
    const needle = checker.check(expr.args[1]!, params)
    if (needle === undefined) return undefined
    if (isString(subject.type)) {
      if (!isString(needle.type)) return checker.report(expr.args[1]!, `contains on a text needs a text, got ${describe(needle.type)}`)
      return { type: booleanType, run: (s, v) => String(subject.run(s, v)).includes(String(needle.run(s, v))) }
    }
    const element = elementType(subject.type)
    if (element === undefined) return checker.report(first, `contains needs a list or a text, got ${describe(subject.type)}`)
    if (!overlaps(element, needle.type)) {
      return checker.report(expr.args[1]!, `a list of ${describe(element)} never contains ${describe(needle.type)}`)
    }
    return {
      type: booleanType,
      run: (s, v) => {
        const list = subject.run(s, v)
        const x = needle.run(s, v)
        return Array.isArray(list) && list.some((item) => equals(item, x))
      }
    }
  }
  const element = elementType(subject.type)
  if (element === undefined) return checker.report(first, `${fn} needs a list, got ${describe(subject.type)}`)
  const second = expr.args[1]
  let mapper: { readonly param: string; readonly body: Compiled } | undefined
  if (second !== undefined) {
    if (second.tag !== "lambda") return checker.report(second, `the second argument of ${fn} is a lambda, e.g. x => x.ok`)
    if (params.has(second.param) || ["inputs", "steps", "vars", "state"].includes(second.param)) {
      return checker.report(second, `the lambda's parameter "${second.param}" hides another name: choose another`)
    }
    const body = checker.check(second.body, new Map([...params, [second.param, element]]))
    if (body === undefined) return undefined
    mapper = { param: second.param, body }
  }
  const each = (state: StateView, values: ReadonlyMap<string, unknown>, item: unknown): unknown =>
    mapper === undefined ? item : mapper.body.run(state, new Map([...values, [mapper.param, item]]))
  const list = (state: StateView, values: ReadonlyMap<string, unknown>): ReadonlyArray<unknown> => {
    const x = subject.run(state, values)
    return Array.isArray(x) ? x : []
  }
  if (fn === "sum") {
    const itemType = mapper === undefined ? element : mapper.body.type
    if (!isNumber(itemType) || mayBeUndefined(itemType)) {
      return checker.report(second ?? first, `sum needs numbers, got ${describe(itemType)}`)
    }
    return { type: numberType, run: (s, v) => list(s, v).reduce<number>((acc, item) => acc + (each(s, v, item) as number), 0) }
  }
  if (mapper === undefined) return checker.report(expr, `${fn} needs a lambda, e.g. ${fn}(items, x => x.ok)`)
  if (!checker.boolean(mapper.body, second!, fn)) return undefined
  const test = (s: StateView, v: ReadonlyMap<string, unknown>, item: unknown) => each(s, v, item) === true
  if (fn === "any") return { type: booleanType, run: (s, v) => list(s, v).some((item) => test(s, v, item)) }
  if (fn === "all") return { type: booleanType, run: (s, v) => list(s, v).every((item) => test(s, v, item)) }
  return { type: numberType, run: (s, v) => list(s, v).filter((item) => test(s, v, item)).length }
}
