/**
 * The syntax of the expression language: its tree, a Pratt parser over the
 * tokens (binding powers in `infix`, nesting at most 64 deep), and a short
 * rendering of a tree for messages.
 *
 * @internal
 */
import { type Problem, type Token, tokenize } from "./tokens.js"

/** Offsets in the expression's text. */
export interface Span {
  readonly start: number
  readonly end: number
}

/** The syntax tree of an expression. */
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

export type BinaryOp = "??" | "or" | "and" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "+" | "-" | "*" | "/" | "%"

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


/** A short rendering of an expression for messages. */
export const text = (expr: Expr): string => {
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
