/**
 * The expression language of YAML flows: conditions (`branch.if`,
 * `loop.while`), selectors (`branch.on`) and the `${...}` of `with:` values.
 *
 * A tokenizer and a Pratt parser build a small syntax tree; a checker types
 * it against the state as the flow leaves it at that point (every reference
 * resolved, every operand's type checked) and turns it into a closure over
 * the state. Nothing is ever evaluated as JavaScript: no `eval`, no
 * `Function`, no property lookup outside a value's own fields.
 *
 * ```text
 * expr   := a ?? b | a or b | a and b | not a | a == b | a != b | a < b | a <= b | a > b | a >= b
 *         | a in list | a + b | a - b | a * b | a / b | a % b | -a | postfix
 * postfix:= primary ( .name | [expr] )*
 * primary:= number | "text" | 'text' | true | false | null | [a, b, ...] | ( expr ) | ${ expr }
 *         | name | fn(args)     fn: len any all count sum contains; a lambda argument: x => expr
 * names  := inputs.x | steps.<id>.x | vars.x | state.x | x (a state key) | a lambda's parameter
 * ```
 *
 * @internal
 */
import { SchemaAST } from "effect"
import {
  arrayOf,
  booleanType,
  defined,
  describe,
  elementType,
  fieldNames,
  fieldType,
  isOpaque,
  mayBeUndefined,
  members,
  numberType,
  stringType,
  undefinedType,
  union,
  unknownType
} from "./assignable.js"
import { didYouMean } from "./suggest.js"

type AST = SchemaAST.AST

// ---------------------------------------------------------------------------
// tokens
// ---------------------------------------------------------------------------

export interface Token {
  readonly kind: "number" | "string" | "name" | "punct" | "end"
  readonly text: string
  readonly value: string | number
  readonly start: number
  readonly end: number
}

/** A problem in an expression, at offsets of the expression's text. */
export interface Problem {
  readonly start: number
  readonly end: number
  readonly message: string
}

const puncts = [
  "${", "==", "!=", "<=", ">=", "&&", "||", "??", "=>",
  "<", ">", "!", "+", "-", "*", "/", "%", "(", ")", "[", "]", "{", "}", ",", ".", ":", ";", "?", "|"
]

const escapes: Readonly<Record<string, string>> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "\"": "\"", "'": "'" }

/** Splits `text` into tokens; the first problem stops it. */
export const tokenize = (text: string): { readonly tokens: ReadonlyArray<Token> } | { readonly problem: Problem } => {
  const tokens: Array<Token> = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++
      continue
    }
    const start = i
    if (/[0-9]/.test(c)) {
      const match = /^\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))!
      i += match[0].length
      if (/^[A-Za-z_]/.test(text.slice(i))) {
        return { problem: { start, end: i + 1, message: `"${text.slice(start, i + 1)}" is not a number` } }
      }
      tokens.push({ kind: "number", text: match[0], value: Number(match[0]), start, end: i })
      continue
    }
    if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))!
      i += match[0].length
      tokens.push({ kind: "name", text: match[0], value: match[0], start, end: i })
      continue
    }
    if (c === "\"" || c === "'") {
      let value = ""
      i++
      for (;;) {
        if (i >= text.length) return { problem: { start, end: text.length, message: `text started with ${c} is not closed` } }
        const d = text[i]!
        if (d === c) {
          i++
          break
        }
        if (d === "\\") {
          const e = Object.prototype.hasOwnProperty.call(escapes, text[i + 1] ?? "") ? escapes[text[i + 1]!] : undefined
          if (e === undefined) return { problem: { start: i, end: i + 2, message: `unknown escape "\\${text[i + 1] ?? ""}"` } }
          value += e
          i += 2
          continue
        }
        value += d
        i++
      }
      tokens.push({ kind: "string", text: text.slice(start, i), value, start, end: i })
      continue
    }
    const punct = puncts.find((p) => text.startsWith(p, i))
    if (punct === undefined) {
      return { problem: { start, end: start + 1, message: `unexpected character "${c}"` } }
    }
    i += punct.length
    tokens.push({ kind: "punct", text: punct, value: punct, start, end: i })
  }
  tokens.push({ kind: "end", text: "", value: "", start: text.length, end: text.length })
  return { tokens }
}

// ---------------------------------------------------------------------------
// syntax tree
// ---------------------------------------------------------------------------

interface Span {
  readonly start: number
  readonly end: number
}

export type Expr =
  | Span & { readonly tag: "lit"; readonly value: string | number | boolean | null }
  | Span & { readonly tag: "name"; readonly name: string }
  | Span & { readonly tag: "member"; readonly object: Expr; readonly name: string; readonly nameStart: number }
  | Span & { readonly tag: "index"; readonly object: Expr; readonly index: Expr }
  | Span & { readonly tag: "call"; readonly fn: string; readonly fnSpan: Span; readonly args: ReadonlyArray<Expr> }
  | Span & { readonly tag: "lambda"; readonly param: string; readonly body: Expr }
  | Span & { readonly tag: "unary"; readonly op: "-" | "not"; readonly operand: Expr }
  | Span & { readonly tag: "binary"; readonly op: BinaryOp; readonly left: Expr; readonly right: Expr }
  | Span & { readonly tag: "list"; readonly items: ReadonlyArray<Expr> }

type BinaryOp = "??" | "or" | "and" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "+" | "-" | "*" | "/" | "%"

const infix: Readonly<Record<string, readonly [BinaryOp, number]>> = {
  "??": ["??", 1],
  or: ["or", 2],
  "||": ["or", 2],
  and: ["and", 3],
  "&&": ["and", 3],
  "==": ["==", 5],
  "!=": ["!=", 5],
  "<": ["<", 5],
  "<=": ["<=", 5],
  ">": [">", 5],
  ">=": [">=", 5],
  in: ["in", 5],
  "+": ["+", 6],
  "-": ["-", 6],
  "*": ["*", 7],
  "/": ["/", 7],
  "%": ["%", 7]
}

const maxDepth = 64

/** An own property of a table (never one of `Object.prototype`'s, such as "constructor"). */
const lookup = <A>(table: Readonly<Record<string, A>>, key: string): A | undefined =>
  Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined

class ParseError {
  constructor(readonly problem: Problem) {}
}

/** Parses an expression. */
export const parse = (text: string): { readonly expr: Expr } | { readonly problem: Problem } => {
  const lexed = tokenize(text)
  if ("problem" in lexed) return lexed
  const parser = new Parser(lexed.tokens)
  try {
    const expr = parser.expression(0, 0)
    const next = parser.peek()
    if (next.kind !== "end") throw new ParseError({ start: next.start, end: next.end, message: `unexpected "${next.text}"` })
    return { expr }
  } catch (error) {
    if (error instanceof ParseError) return { problem: error.problem }
    throw error
  }
}

class Parser {
  private i = 0
  constructor(private readonly tokens: ReadonlyArray<Token>) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!
  }

  private next(): Token {
    const token = this.peek()
    if (this.i < this.tokens.length - 1) this.i++
    return token
  }

  private fail(token: Token, message: string): never {
    throw new ParseError({ start: token.start, end: Math.max(token.end, token.start + 1), message })
  }

  private expect(text: string, what: string): Token {
    const token = this.next()
    if (token.kind !== "punct" || token.text !== text) {
      this.fail(token, token.kind === "end" ? `expected "${text}" ${what}, but the expression ends` : `expected "${text}" ${what}, got "${token.text}"`)
    }
    return token
  }

  expression(minBp: number, depth: number): Expr {
    if (depth > maxDepth) this.fail(this.peek(), `expression nested more than ${maxDepth} levels deep`)
    let left = this.prefix(depth)
    for (;;) {
      const token = this.peek()
      const op = (token.kind === "punct" || token.kind === "name") ? lookup(infix, token.text) : undefined
      if (op === undefined) break
      const [name, bp] = op
      if (bp <= minBp) break
      this.next()
      // comparisons do not chain: `a < b < c` is an error, as it is in most languages' intent
      const right = this.expression(bp === 5 ? bp : bp, depth + 1)
      if (bp === 5) {
        const after = this.peek()
        const again = (after.kind === "punct" || after.kind === "name") ? lookup(infix, after.text) : undefined
        if (again !== undefined && again[1] === 5) this.fail(after, `comparisons do not chain: use "and" between them`)
      }
      left = { tag: "binary", op: name, left, right, start: left.start, end: right.end }
    }
    return left
  }

  private prefix(depth: number): Expr {
    if (depth > maxDepth) this.fail(this.peek(), `expression nested more than ${maxDepth} levels deep`)
    const token = this.next()
    if (token.kind === "end") this.fail(token, "the expression is empty or ends too early")
    if (token.kind === "number") return this.postfix({ tag: "lit", value: token.value as number, start: token.start, end: token.end }, depth)
    if (token.kind === "string") return this.postfix({ tag: "lit", value: token.value as string, start: token.start, end: token.end }, depth)
    if (token.kind === "name") {
      switch (token.text) {
        case "true":
        case "false":
          return this.postfix({ tag: "lit", value: token.text === "true", start: token.start, end: token.end }, depth)
        case "null":
          return { tag: "lit", value: null, start: token.start, end: token.end }
        case "not": {
          const operand = this.expression(4, depth + 1)
          return { tag: "unary", op: "not", operand, start: token.start, end: operand.end }
        }
        case "and":
        case "or":
        case "in":
          this.fail(token, `"${token.text}" needs something on its left`)
      }
      const after = this.peek()
      if (after.kind === "punct" && after.text === "(") {
        this.next()
        const args: Array<Expr> = []
        if (!(this.peek().kind === "punct" && this.peek().text === ")")) {
          for (;;) {
            args.push(this.argument(depth + 1))
            if (this.peek().kind === "punct" && this.peek().text === ",") {
              this.next()
              continue
            }
            break
          }
        }
        const close = this.expect(")", `to close the arguments of ${token.text}(`)
        return this.postfix(
          { tag: "call", fn: token.text, fnSpan: { start: token.start, end: token.end }, args, start: token.start, end: close.end },
          depth
        )
      }
      if (after.kind === "punct" && after.text === "=>") this.fail(after, "a lambda (x => ...) is only an argument of any, all, count or sum")
      return this.postfix({ tag: "name", name: token.text, start: token.start, end: token.end }, depth)
    }
    switch (token.text) {
      case "(": {
        const inner = this.expression(0, depth + 1)
        this.expect(")", "to close \"(\"")
        return this.postfix(inner, depth)
      }
      case "${": {
        const inner = this.expression(0, depth + 1)
        this.expect("}", "to close \"${\"")
        return this.postfix(inner, depth)
      }
      case "[": {
        const items: Array<Expr> = []
        if (!(this.peek().kind === "punct" && this.peek().text === "]")) {
          for (;;) {
            items.push(this.expression(0, depth + 1))
            if (this.peek().kind === "punct" && this.peek().text === ",") {
              this.next()
              continue
            }
            break
          }
        }
        const close = this.expect("]", "to close the list")
        return this.postfix({ tag: "list", items, start: token.start, end: close.end }, depth)
      }
      case "-": {
        const operand = this.expression(7, depth + 1)
        return { tag: "unary", op: "-", operand, start: token.start, end: operand.end }
      }
      case "!": {
        const operand = this.expression(4, depth + 1)
        return { tag: "unary", op: "not", operand, start: token.start, end: operand.end }
      }
    }
    return this.fail(token, `unexpected "${token.text}"`)
  }

  private argument(depth: number): Expr {
    const first = this.peek()
    const arrow = this.peek(1)
    if (first.kind === "name" && arrow.kind === "punct" && arrow.text === "=>") {
      this.next()
      this.next()
      const body = this.expression(0, depth + 1)
      return { tag: "lambda", param: first.text, body, start: first.start, end: body.end }
    }
    return this.expression(0, depth)
  }

  private postfix(expr: Expr, depth: number): Expr {
    let current = expr
    for (let n = 0;; n++) {
      if (depth + n > maxDepth) this.fail(this.peek(), `expression nested more than ${maxDepth} levels deep`)
      const token = this.peek()
      if (token.kind !== "punct") return current
      if (token.text === ".") {
        this.next()
        const name = this.next()
        if (name.kind !== "name") this.fail(name, `expected a field name after "."`)
        current = { tag: "member", object: current, name: name.text, nameStart: name.start, start: current.start, end: name.end }
        continue
      }
      if (token.text === "[") {
        this.next()
        const index = this.expression(0, depth + n + 1)
        const close = this.expect("]", "to close \"[\"")
        current = index.tag === "lit" && typeof index.value === "string"
          ? { tag: "member", object: current, name: index.value, nameStart: index.start, start: current.start, end: close.end }
          : { tag: "index", object: current, index, start: current.start, end: close.end }
        continue
      }
      return current
    }
  }
}

// ---------------------------------------------------------------------------
// checking and compiling
// ---------------------------------------------------------------------------

/** The state a compiled expression reads: the keys its step or predicate requires. */
export type StateView = Readonly<Record<string, unknown>>

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

const functions = ["len", "any", "all", "count", "sum", "contains"] as const

/** Own fields only: never a prototype's. */
const field = (value: unknown, name: string): unknown =>
  typeof value === "object" && value !== null && !Array.isArray(value) && Object.prototype.hasOwnProperty.call(value, name)
    ? (value as Record<string, unknown>)[name]
    : undefined

/** Equality of JSON-like values; `null` and a missing value are equal. */
export const equals = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null)
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => equals(x, b[i]))
  }
  if (typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined)
    const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined)
    return ka.length === kb.length &&
      ka.every((k) => equals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  }
  return false
}

type Kind = "string" | "number" | "boolean" | "nullish" | "object" | "list" | "other"

const kindOf = (m: AST): Kind => {
  switch (m._tag) {
    case "StringKeyword":
    case "TemplateLiteral":
      return "string"
    case "NumberKeyword":
      return "number"
    case "BooleanKeyword":
      return "boolean"
    case "UndefinedKeyword":
    case "VoidKeyword":
      return "nullish"
    case "Literal":
      return m.literal === null ? "nullish" : typeof m.literal === "string" ? "string"
        : typeof m.literal === "number" ? "number" : typeof m.literal === "boolean" ? "boolean" : "other"
    case "TypeLiteral":
    case "ObjectKeyword":
    case "Declaration":
      return "object"
    case "TupleType":
      return "list"
    default:
      return "other"
  }
}

/** Whether some value could have both types (for `==`, `!=` and `in`). */
export const overlaps = (a: AST, b: AST): boolean => {
  if (isOpaque(a) || isOpaque(b)) return true
  for (const ma of members(a)) {
    for (const mb of members(b)) {
      const ka = kindOf(ma)
      const kb = kindOf(mb)
      if (ka === "other" || kb === "other") return true
      if (ka !== kb) continue
      if (ma._tag === "Literal" && mb._tag === "Literal" && ka !== "nullish") {
        if (ma.literal === mb.literal) return true
        continue
      }
      return true
    }
  }
  return false
}

const isNumber = (t: AST): boolean => !isOpaque(t) && members(t).every((m) => kindOf(m) === "number")
const isString = (t: AST): boolean => !isOpaque(t) && members(t).every((m) => kindOf(m) === "string")
const isBoolean = (t: AST): boolean => !isOpaque(t) && members(t).every((m) => kindOf(m) === "boolean")

/** The type of a literal value. */
const literalType = (value: string | number | boolean | null): AST => new SchemaAST.Literal(value)

/** Checks an expression against a scope and compiles it; `undefined` after problems (reported). */
export const compile = (expr: Expr, scope: Scope): Compiled | undefined => new Checker(scope).check(expr, new Map())

class Checker {
  constructor(private readonly scope: Scope) {}

  private report(span: Span, message: string): undefined {
    this.scope.report(span, message)
    return undefined
  }

  private needDefined(c: Compiled, span: Span, what: string): boolean {
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
        return this.call(expr, params)
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
        return this.binary(expr, params)
    }
  }

  private boolean(c: Compiled, span: Span, op: string): boolean {
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

  private call(expr: Extract<Expr, { tag: "call" }>, params: ReadonlyMap<string, AST>): Compiled | undefined {
    const fn = expr.fn
    if (!(functions as ReadonlyArray<string>).includes(fn)) {
      return this.report(expr.fnSpan, `unknown function "${fn}"${didYouMean(fn, functions)}; there are ${functions.join(", ")}`)
    }
    const arity = fn === "len" ? [1, 1] : fn === "sum" ? [1, 2] : [2, 2]
    if (expr.args.length < arity[0]! || expr.args.length > arity[1]!) {
      return this.report(expr, `${fn} takes ${arity[0] === arity[1] ? arity[0] : `${arity[0]} or ${arity[1]}`} argument(s), got ${expr.args.length}`)
    }
    const first = expr.args[0]!
    if (first.tag === "lambda") return this.report(first, `the first argument of ${fn} is a list, not a lambda`)
    const subject = this.check(first, params)
    if (subject === undefined) return undefined
    if (!this.needDefined(subject, first, `the argument of ${fn}`)) return undefined
    if (fn === "len") {
      const ok = isOpaque(subject.type) || members(subject.type).every((m) => kindOf(m) === "string" || kindOf(m) === "list")
      if (!ok) return this.report(first, `len needs a list or a text, got ${describe(subject.type)}`)
      return {
        type: numberType,
        run: (s, v) => {
          const x = subject.run(s, v)
          return typeof x === "string" || Array.isArray(x) ? x.length : 0
        }
      }
    }
    if (fn === "contains") {
      const needle = this.check(expr.args[1]!, params)
      if (needle === undefined) return undefined
      if (isString(subject.type)) {
        if (!isString(needle.type)) return this.report(expr.args[1]!, `contains on a text needs a text, got ${describe(needle.type)}`)
        return { type: booleanType, run: (s, v) => String(subject.run(s, v)).includes(String(needle.run(s, v))) }
      }
      const element = elementType(subject.type)
      if (element === undefined) return this.report(first, `contains needs a list or a text, got ${describe(subject.type)}`)
      if (!overlaps(element, needle.type)) {
        return this.report(expr.args[1]!, `a list of ${describe(element)} never contains ${describe(needle.type)}`)
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
    if (element === undefined) return this.report(first, `${fn} needs a list, got ${describe(subject.type)}`)
    const second = expr.args[1]
    let mapper: { readonly param: string; readonly body: Compiled } | undefined
    if (second !== undefined) {
      if (second.tag !== "lambda") return this.report(second, `the second argument of ${fn} is a lambda, e.g. x => x.ok`)
      if (params.has(second.param) || ["inputs", "steps", "vars", "state"].includes(second.param)) {
        return this.report(second, `the lambda's parameter "${second.param}" hides another name: choose another`)
      }
      const body = this.check(second.body, new Map([...params, [second.param, element]]))
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
        return this.report(second ?? first, `sum needs numbers, got ${describe(itemType)}`)
      }
      return { type: numberType, run: (s, v) => list(s, v).reduce<number>((acc, item) => acc + (each(s, v, item) as number), 0) }
    }
    if (mapper === undefined) return this.report(expr, `${fn} needs a lambda, e.g. ${fn}(items, x => x.ok)`)
    if (!this.boolean(mapper.body, second!, fn)) return undefined
    const test = (s: StateView, v: ReadonlyMap<string, unknown>, item: unknown) => each(s, v, item) === true
    if (fn === "any") return { type: booleanType, run: (s, v) => list(s, v).some((item) => test(s, v, item)) }
    if (fn === "all") return { type: booleanType, run: (s, v) => list(s, v).every((item) => test(s, v, item)) }
    return { type: numberType, run: (s, v) => list(s, v).filter((item) => test(s, v, item)).length }
  }

  private binary(expr: Extract<Expr, { tag: "binary" }>, params: ReadonlyMap<string, AST>): Compiled | undefined {
    const left = this.check(expr.left, params)
    const right = this.check(expr.right, params)
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
        if (!this.boolean(left, expr.left, op) || !this.boolean(right, expr.right, op)) return undefined
        return op === "and"
          ? { type: booleanType, run: (s, v) => left.run(s, v) === true && right.run(s, v) === true }
          : { type: booleanType, run: (s, v) => left.run(s, v) === true || right.run(s, v) === true }
      case "==":
      case "!=": {
        if (!overlaps(left.type, right.type)) {
          return this.report(
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
          return this.report(expr.right, `"in" needs a list on its right, got ${describe(right.type)}`)
        }
        if (!overlaps(left.type, element)) {
          return this.report(expr, `${describe(left.type)} is never in a list of ${describe(element)}`)
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
        if (!this.needDefined(left, expr.left, `the left side of ${op}`)) return undefined
        if (!this.needDefined(right, expr.right, `the right side of ${op}`)) return undefined
        const numbers = isNumber(left.type) && isNumber(right.type)
        const strings = isString(left.type) && isString(right.type)
        if (!numbers && !strings) {
          return this.report(
            expr,
            `"${op}" compares two numbers or two texts, not ${describe(left.type)} and ${describe(right.type)}`
          )
        }
        const compare = (a: unknown, b: unknown): number => (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0
        const test = op === "<" ? (c: number) => c < 0 : op === "<=" ? (c: number) => c <= 0 : op === ">" ? (c: number) => c > 0 : (c: number) => c >= 0
        return { type: booleanType, run: (s, v) => test(compare(left.run(s, v), right.run(s, v))) }
      }
      case "+": {
        if (!this.needDefined(left, expr.left, "the left side of +") || !this.needDefined(right, expr.right, "the right side of +")) {
          return undefined
        }
        if (isNumber(left.type) && isNumber(right.type)) {
          return { type: numberType, run: (s, v) => (left.run(s, v) as number) + (right.run(s, v) as number) }
        }
        const textual = (t: AST) => isString(t) || isNumber(t)
        if ((isString(left.type) || isString(right.type)) && textual(left.type) && textual(right.type)) {
          return { type: stringType, run: (s, v) => String(left.run(s, v)) + String(right.run(s, v)) }
        }
        return this.report(expr, `"+" adds numbers or joins texts, not ${describe(left.type)} and ${describe(right.type)}`)
      }
      default: {
        if (!this.needDefined(left, expr.left, `the left side of ${op}`) || !this.needDefined(right, expr.right, `the right side of ${op}`)) {
          return undefined
        }
        if (!isNumber(left.type) || !isNumber(right.type)) {
          return this.report(expr, `"${op}" needs two numbers, not ${describe(left.type)} and ${describe(right.type)}`)
        }
        const f = op === "-" ? (a: number, b: number) => a - b : op === "*" ? (a: number, b: number) => a * b
          : op === "/" ? (a: number, b: number) => a / b : (a: number, b: number) => a % b
        return { type: numberType, run: (s, v) => f(left.run(s, v) as number, right.run(s, v) as number) }
      }
    }
  }
}

/** A short rendering of an expression for messages. */
const text = (expr: Expr): string => {
  switch (expr.tag) {
    case "name":
      return expr.name
    case "member":
      return `${text(expr.object)}.${expr.name}`
    case "index":
      return `${text(expr.object)}[...]`
    case "lit":
      return JSON.stringify(expr.value)
    case "call":
      return `${expr.fn}(...)`
    default:
      return "the expression"
  }
}
