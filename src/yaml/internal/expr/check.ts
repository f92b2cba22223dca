/**
 * Checking an expression against the flow around it (every reference
 * resolved through the scope, every operand's type checked) and compiling
 * it into a closure over the state; functions and operators have modules of
 * their own.
 *
 * @internal
 */
import type { SchemaAST } from "effect"
import {
  arrayOf,
  booleanType,
  defined,
  elementType,
  fieldNames,
  fieldType,
  isOpaque,
  mayBeUndefined,
  members,
  numberType,
  undefinedType,
  union,
  unknownType
} from "../assignable.js"
import { describe } from "../printType.js"
import { didYouMean } from "../suggest.js"
import { checkCall } from "./functions.js"
import { field, isBoolean, isNumber, literalType, type StateView } from "./kinds.js"
import { checkBinary } from "./operators.js"
import { type Expr, type Span, text } from "./syntax.js"

type AST = SchemaAST.AST

/** A checked expression: its type, and how to compute it from the state. */
export interface Compiled {
  readonly type: AST
  readonly run: (state: StateView, params: ReadonlyMap<string, unknown>) => unknown
}

/** What a reference's leading names stand for. */
export interface Resolved {
  /** How many of the names it took (`steps.fetch.price` takes 3). */
  readonly consumed: number
  /** The state key it reads (none for a constant such as `vars.x`). */
  readonly key: string | undefined
  readonly type: AST
  readonly read: (state: StateView) => unknown
}

/** The flow around an expression: resolves references, takes problems. */
export interface Scope {
  /** Resolves the leading names of a reference, or reports why not and returns `undefined`. */
  readonly resolve: (names: ReadonlyArray<{ readonly name: string } & Span>, span: Span) => Resolved | undefined
  readonly report: (span: Span, message: string) => void
}

/** Checks an expression against a scope and compiles it; `undefined` after problems (reported). */
export const compile = (expr: Expr, scope: Scope): Compiled | undefined => new Checker(scope).check(expr, new Map())

export class Checker {
  constructor(private readonly scope: Scope) {}

  report(span: Span, message: string): undefined {
    this.scope.report(span, message)
    return undefined
  }

  needDefined(c: Compiled, span: Span, what: string): boolean {
    if (mayBeUndefined(c.type) && !isOpaque(c.type)) {
      this.report(span, `${what} may be missing here (its type is ${describe(c.type)}): give a default with ?? or check it first`)
      return false
    }
    return true
  }

  check(expr: Expr, params: ReadonlyMap<string, AST>): Compiled | undefined {
    switch (expr.tag) {
      case "lit": {
        const value = expr.value
        return { type: literalType(value), run: () => value }
      }
      case "list": {
        const items = expr.items.map((item) => this.check(item, params))
        if (items.some((i) => i === undefined)) return undefined
        const compiled = items as ReadonlyArray<Compiled>
        return {
          type: arrayOf(compiled.length === 0 ? unknownType : union(compiled.map((c) => c.type))),
          run: (state, values) => compiled.map((c) => c.run(state, values))
        }
      }
      case "name":
      case "member":
      case "index":
        return this.reference(expr, params)
      case "lambda":
        return this.report(expr, "a lambda (x => ...) is only an argument of any, all, count or sum")
      case "call":
        return checkCall(this, expr, params)
      case "unary": {
        const operand = this.check(expr.operand, params)
        if (operand === undefined) return undefined
        if (expr.op === "-") {
          if (!this.needDefined(operand, expr.operand, "the operand of -")) return undefined
          if (!isNumber(operand.type) && !isOpaque(operand.type)) {
            return this.report(expr.operand, `"-" needs a number, got ${describe(operand.type)}`)
          }
          return { type: numberType, run: (s, v) => -(operand.run(s, v) as number) }
        }
        if (!this.boolean(operand, expr.operand, "not")) return undefined
        return { type: booleanType, run: (s, v) => !(operand.run(s, v) as boolean) }
      }
      case "binary":
        return checkBinary(this, expr, params)
    }
  }

  boolean(c: Compiled, span: Span, op: string): boolean {
    if (!this.needDefined(c, span, `the operand of ${op}`)) return false
    if (!isBoolean(c.type)) {
      this.report(span, `"${op}" needs a boolean, got ${describe(c.type)}`)
      return false
    }
    return true
  }

  /** A chain of names, fields and indexes from a root name. */
  private reference(expr: Expr, params: ReadonlyMap<string, AST>): Compiled | undefined {
    // flatten the chain: root name, then static field names, then the rest
    const chain: Array<Expr> = []
    let current: Expr = expr
    while (current.tag === "member" || current.tag === "index") {
      chain.unshift(current)
      current = current.object
    }
    if (current.tag !== "name") {
      const root = this.check(current, params)
      return root === undefined ? undefined : this.access(root, current, chain, params)
    }
    const param = params.get(current.name)
    if (param !== undefined) {
      const name = current.name
      return this.access({ type: param, run: (_, values) => values.get(name) }, current, chain, params)
    }
    const names: Array<{ readonly name: string } & Span> = [{ name: current.name, start: current.start, end: current.end }]
    for (const link of chain) {
      if (link.tag !== "member") break
      names.push({ name: link.name, start: link.nameStart, end: link.end })
    }
    const resolved = this.scope.resolve(names, expr)
    if (resolved === undefined) return undefined
    const rest = chain.slice(resolved.consumed - 1)
    const taken = resolved.consumed === 1 ? current : chain[resolved.consumed - 2]!
    return this.access({ type: resolved.type, run: (state) => resolved.read(state) }, taken, rest, params)
  }

  private access(root: Compiled, rootSpan: Expr, chain: ReadonlyArray<Expr>, params: ReadonlyMap<string, AST>): Compiled | undefined {
    let current = root
    let span: Expr = rootSpan
    for (const link of chain) {
      if (link.tag === "member") {
        const type = fieldType(current.type, link.name)
        if (type === undefined) {
          const names = fieldNames(current.type)
          const at = { start: link.nameStart, end: link.end }
          if (!isOpaque(current.type) && members(defined(current.type)).every((m) => m._tag === "TupleType")) {
            return this.report(
              at,
              `${text(span)} is a list (${describe(current.type)}): it has no field "${link.name}"; ` +
                `write e.g. any(${text(span)}, x => x.${link.name}) or ${text(span)}[0].${link.name}`
            )
          }
          return this.report(
            at,
            `${text(span)} has no field "${link.name}" (its type is ${describe(current.type)})${didYouMean(link.name, names)}`
          )
        }
        const previous = current
        const name = link.name
        current = { type, run: (s, v) => field(previous.run(s, v), name) }
      } else if (link.tag === "index") {
        const index = this.check(link.index, params)
        if (index === undefined) return undefined
        const element = elementType(defined(current.type))
        if (element === undefined) return this.report(link, `${text(span)} is not a list (its type is ${describe(current.type)})`)
        if (!isNumber(index.type) || mayBeUndefined(index.type)) {
          return this.report(link.index, `a list index must be a number, got ${describe(index.type)}`)
        }
        const previous = current
        current = {
          type: union([element, undefinedType]),
          run: (s, v) => {
            const list = previous.run(s, v)
            const i = index.run(s, v)
            return Array.isArray(list) && typeof i === "number" && Number.isInteger(i) ? list[i] : undefined
          }
        }
      }
      span = link
    }
    return current
  }
}
