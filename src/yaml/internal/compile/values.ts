/**
 * YAML values as `with:` values (constants, lists, mappings, texts with
 * `${...}` in them) and conditions and selectors, compiled through the
 * expression language against the state at their point of the flow.
 *
 * @internal
 */
import { SchemaAST } from "effect"
import { arrayOf, booleanType, isAssignable, isOpaque, mayBeUndefined, members, stringType, union } from "../assignable.js"
import type { Entry } from "../env.js"
import * as Expr from "../expr.js"
import { describe } from "../printType.js"
import type { YNode, YScalar } from "../source.js"
import type { Compilation, ScopeAt, SourceMap, StepInfo, Value, Walk } from "./context.js"
import { scopeAt } from "./references.js"

/** A YAML value as a `with:` value: constants, `${...}` references and expressions, texts with `${...}` in them. */
export const compileValue = (cx: Compilation, node: YNode, scope: ScopeAt): Value | undefined => {
  switch (node.kind) {
    case "scalar": {
      const v = node.value
      if (typeof v !== "string") return { type: new SchemaAST.Literal(v), run: () => v, constant: { value: v } }
      return compileText(cx, node, v, scope)
    }
    case "seq": {
      const items = node.items.map((item) => compileValue(cx, item, scope))
      if (items.some((i) => i === undefined)) return undefined
      const values = items as ReadonlyArray<Value>
      const constant = values.every((v) => v.constant !== undefined)
      return {
        type: arrayOf(values.length === 0 ? SchemaAST.unknownKeyword : union(values.map((v) => v.type))),
        run: (state) => values.map((v) => v.run(state)),
        constant: constant ? { value: values.map((v) => v.constant!.value) } : undefined
      }
    }
    case "map": {
      const fields: Array<readonly [string, Value]> = []
      let failed = false
      for (const entry of node.entries) {
        const value = compileValue(cx, entry.value, scope)
        if (value === undefined) failed = true
        else fields.push([entry.key, value])
      }
      if (failed) return undefined
      const constant = fields.every(([, v]) => v.constant !== undefined)
      return {
        type: new SchemaAST.TypeLiteral(
          fields.map(([key, v]) => new SchemaAST.PropertySignature(key, v.type, false, true)),
          []
        ),
        run: (state) => {
          const out: Record<string, unknown> = {}
          for (const [key, v] of fields) {
            const x = v.run(state)
            if (x !== undefined) out[key] = x
          }
          return out
        },
        constant: constant ? { value: Object.fromEntries(fields.map(([k, v]) => [k, v.constant!.value])) } : undefined
      }
    }
  }
}

/** A text with `${...}`: one expression alone keeps its type; within text, it becomes text. */
const compileText = (cx: Compilation, node: YScalar, text: string, scope: ScopeAt): Value | undefined => {
  const parts: Array<{ readonly literal: string } | { readonly expr: Expr.Compiled }> = []
  let literal = ""
  let i = 0
  let failed = false
  while (i < text.length) {
    if (text.startsWith("$${", i)) {
      literal += "${"
      i += 3
      continue
    }
    if (!text.startsWith("${", i)) {
      literal += text[i]
      i++
      continue
    }
    const end = closingBrace(text, i + 2)
    if (end === undefined) {
      cx.error({ start: cx.offsetOf(node, i), end: cx.offsetOf(node, text.length) }, `"\${" is not closed by "}" (write $\${ for a literal \${)`)
      return undefined
    }
    const inner = text.slice(i + 2, end)
    const base = i + 2
    const toSource: SourceMap = (span) => ({
      start: cx.offsetOf(node, base + span.start),
      end: cx.offsetOf(node, base + span.end)
    })
    const parsed = Expr.parse(inner)
    if ("problem" in parsed) {
      cx.error(toSource(parsed.problem), parsed.problem.message)
      failed = true
    } else {
      const compiled = Expr.compile(parsed.expr, scope(toSource))
      if (compiled === undefined) failed = true
      else {
        if (literal.length > 0) parts.push({ literal })
        literal = ""
        parts.push({ expr: compiled })
      }
    }
    i = end + 1
  }
  if (failed) return undefined
  if (literal.length > 0) parts.push({ literal })
  if (parts.length === 1 && "expr" in parts[0]!) {
    const only = parts[0].expr
    return { type: only.type, run: (state) => only.run(state, new Map()), constant: undefined }
  }
  if (parts.every((p) => "literal" in p)) {
    const value = parts.map((p) => (p as { readonly literal: string }).literal).join("")
    return { type: new SchemaAST.Literal(value), run: () => value, constant: { value } }
  }
  return {
    type: stringType,
    run: (state) =>
      parts.map((p) => "literal" in p ? p.literal : stringify(p.expr.run(state, new Map()))).join(""),
    constant: undefined
  }
}

/** Compiles a condition or selector (a text, or a YAML boolean). */
export const compileExpression = (
  cx: Compilation,
  node: YNode,
  walk: Walk,
  reads: Map<string, Entry>,
  info: StepInfo,
  what: string
): Expr.Compiled | undefined => {
  if (node.kind === "scalar" && typeof node.value === "boolean") {
    const v = node.value
    return { type: new SchemaAST.Literal(v), run: () => v }
  }
  if (node.kind !== "scalar" || typeof node.value !== "string") {
    return cx.error(node, `${what} must be an expression, e.g. "total >= 1000" or "\${steps.check.ok}"`)
  }
  const toSource: SourceMap = (span) => ({
    start: cx.offsetOf(node, span.start),
    end: cx.offsetOf(node, span.end)
  })
  const parsed = Expr.parse(node.value)
  if ("problem" in parsed) return cx.error(toSource(parsed.problem), `${what}: ${parsed.problem.message}`)
  return Expr.compile(parsed.expr, scopeAt(cx, walk, reads, info, toSource))
}

export const compileCondition = (
  cx: Compilation,
  node: YNode,
  walk: Walk,
  reads: Map<string, Entry>,
  info: StepInfo,
  what: string
): Expr.Compiled | undefined => {
  const compiled = compileExpression(cx, node, walk, reads, info, what)
  if (compiled === undefined) return undefined
  if (mayBeUndefined(compiled.type) && !isOpaque(compiled.type)) {
    return cx.error(node, `${what} may be missing here (${describe(compiled.type)}): give a default with ??`)
  }
  if (!isOpaque(compiled.type) && !members(compiled.type).every((m) => isAssignable(m, booleanType))) {
    return cx.error(node, `${what} must be a boolean, but it is ${describe(compiled.type)}`)
  }
  return compiled
}

/** Finds the `}` that closes a `${` whose inside starts at `from` (skipping texts and nested braces). */
const closingBrace = (text: string, from: number): number | undefined => {
  let depth = 0
  let quote: string | undefined
  for (let i = from; i < text.length; i++) {
    const c = text[i]!
    if (quote !== undefined) {
      if (c === "\\") i++
      else if (c === quote) quote = undefined
      continue
    }
    if (c === "\"" || c === "'") quote = c
    else if (c === "{") depth++
    else if (c === "}") {
      if (depth === 0) return i
      depth--
    }
  }
  return undefined
}

/** A value inside a text. */
const stringify = (value: unknown): string => {
  if (value === undefined) return ""
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value)
  try {
    return JSON.stringify(value) ?? ""
  } catch {
    return String(value)
  }
}
