/**
 * The binary operators of the expression language (`??`, `and`/`or`,
 * `==`/`!=`, `in`, comparisons, `+` on numbers or texts, arithmetic), each
 * checked against its operands' types.
 *
 * @internal
 */
import type { SchemaAST } from "effect"
import { booleanType, defined, elementType, mayBeUndefined, numberType, stringType, union } from "../assignable.js"
import { describe } from "../printType.js"
import type { Checker, Compiled } from "./check.js"
import { equals, isNumber, isString, overlaps } from "./kinds.js"
import { type Expr, text } from "./syntax.js"

type AST = SchemaAST.AST

/** Checks and compiles a binary operation. */
export const checkBinary = (
  checker: Checker,
  expr: Extract<Expr, { tag: "binary" }>,
  params: ReadonlyMap<string, AST>
): Compiled | undefined => {
  const left = checker.check(expr.left, params)
  const right = checker.check(expr.right, params)
  if (left === undefined || right === undefined) return undefined
  const op = expr.op
  switch (op) {
    case "??":
      return {
        type: union([defined(left.type, true), right.type]),
        run: (s, v) => left.run(s, v) ?? right.run(s, v)
      }
    case "and":
    case "or":
      if (!checker.boolean(left, expr.left, op) || !checker.boolean(right, expr.right, op)) return undefined
      return op === "and"
        ? { type: booleanType, run: (s, v) => left.run(s, v) === true && right.run(s, v) === true }
        : { type: booleanType, run: (s, v) => left.run(s, v) === true || right.run(s, v) === true }
    case "==":
    case "!=": {
      if (!overlaps(left.type, right.type)) {
        return checker.report(
          expr,
          `${text(expr.left)} (${describe(left.type)}) and ${text(expr.right)} (${describe(right.type)}) have no value in common: ` +
            `this comparison is always ${op === "==" ? "false" : "true"}`
        )
      }
      return op === "=="
        ? { type: booleanType, run: (s, v) => equals(left.run(s, v), right.run(s, v)) }
        : { type: booleanType, run: (s, v) => !equals(left.run(s, v), right.run(s, v)) }
    }
    case "in": {
      const element = elementType(right.type)
      if (element === undefined || mayBeUndefined(right.type)) {
        return checker.report(expr.right, `"in" needs a list on its right, got ${describe(right.type)}`)
      }
      if (!overlaps(left.type, element)) {
        return checker.report(expr, `${describe(left.type)} is never in a list of ${describe(element)}`)
      }
      return {
        type: booleanType,
        run: (s, v) => {
          const list = right.run(s, v)
          const x = left.run(s, v)
          return Array.isArray(list) && list.some((item) => equals(item, x))
        }
      }
    }
    case "<":
    case "<=":
    case ">":
    case ">=": {
      if (!checker.needDefined(left, expr.left, `the left side of ${op}`)) return undefined
      if (!checker.needDefined(right, expr.right, `the right side of ${op}`)) return undefined
      const numbers = isNumber(left.type) && isNumber(right.type)
      const strings = isString(left.type) && isString(right.type)
      if (!numbers && !strings) {
        return checker.report(
          expr,
          `"${op}" compares two numbers or two texts, not ${describe(left.type)} and ${describe(right.type)}`
        )
      }
      const compare = (a: unknown, b: unknown): number => (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
      const test = op === "<" ? (c: number) => c < 0 : op === "<=" ? (c: number) => c <= 0 : op === ">" ? (c: number) => c > 0 : (c: number) => c >= 0
      return { type: booleanType, run: (s, v) => test(compare(left.run(s, v), right.run(s, v))) }
    }
    case "+": {
      if (!checker.needDefined(left, expr.left, "the left side of +") || !checker.needDefined(right, expr.right, "the right side of +")) {
        return undefined
      }
      if (isNumber(left.type) && isNumber(right.type)) {
        return { type: numberType, run: (s, v) => (left.run(s, v) as number) + (right.run(s, v) as number) }
      }
      const textual = (t: AST) => isString(t) || isNumber(t)
      if ((isString(left.type) || isString(right.type)) && textual(left.type) && textual(right.type)) {
        return { type: stringType, run: (s, v) => String(left.run(s, v)) + String(right.run(s, v)) }
      }
      return checker.report(expr, `"+" adds numbers or joins texts, not ${describe(left.type)} and ${describe(right.type)}`)
    }
    default: {
      if (!checker.needDefined(left, expr.left, `the left side of ${op}`) || !checker.needDefined(right, expr.right, `the right side of ${op}`)) {
        return undefined
      }
      if (!isNumber(left.type) || !isNumber(right.type)) {
        return checker.report(expr, `"${op}" needs two numbers, not ${describe(left.type)} and ${describe(right.type)}`)
      }
      const f = op === "-" ? (a: number, b: number) => a - b : op === "*" ? (a: number, b: number) => a * b
        : op === "/" ? (a: number, b: number) => a / b : (a: number, b: number) => a % b
      return { type: numberType, run: (s, v) => f(left.run(s, v) as number, right.run(s, v) as number) }
    }
  }
}
