/**
 * The type language of YAML flows (`inputs`, `types`, a signal's `payload`):
 *
 * - a text: `string`, `number`, `integer`, `boolean`, `null`, `unknown`, a
 *   literal (`"ok"`, `3`, `true`), a union (`"low" | "high"`), a list
 *   (`string[]`), an object (`{ sku: string, quantity?: number }`), a type
 *   declared under `types:` (`OrderLine[]`), or the type of a key a
 *   registered step reads or writes (`check_order.order`);
 * - a mapping: an object, one field per key (`reason?:` for an optional one);
 * - a one-item list: a list of that item's type.
 *
 * Each type becomes an Effect Schema.
 *
 * @internal
 */
import { Schema } from "effect"
import { tokenize, type Token } from "./expr.js"
import type { YNode } from "./source.js"
import { didYouMean } from "./suggest.js"

type AnySchema = Schema.Schema.AnyNoContext

/** Resolves names the text form refers to; reports and returns `undefined` when unknown. */
export interface TypeScope {
  readonly named: (name: string, at: { readonly start: number; readonly end: number }) => AnySchema | undefined
  readonly report: (at: { readonly start: number; readonly end: number }, message: string) => void
}

const keywords: Readonly<Record<string, AnySchema>> = {
  string: Schema.String,
  number: Schema.Number,
  integer: Schema.Int,
  boolean: Schema.Boolean,
  null: Schema.Null,
  unknown: Schema.Unknown
}

/** The names a type may be written with, besides declared ones. */
export const typeKeywords: ReadonlyArray<string> = Object.keys(keywords)

const keyPattern = /^[A-Za-z_$][A-Za-z0-9_$-]*$/

/**
 * The Schema of a type written as a YAML node. Offsets in reports are the
 * source's: `offsetOf(node, i)` maps an offset in a scalar's text.
 */
export const typeOf = (
  node: YNode,
  scope: TypeScope,
  offsetOf: (node: YNode, index: number) => number
): AnySchema | undefined => {
  switch (node.kind) {
    case "scalar": {
      if (typeof node.value !== "string") {
        scope.report(node, `a type is a text such as "string" or "number[]", a mapping of fields, or a one-item list; got ${String(node.value)}`)
        return undefined
      }
      const at = (i: number) => offsetOf(node, i)
      return parseTypeText(node.value, {
        named: (name, span) => scope.named(name, { start: at(span.start), end: at(span.end) }),
        report: (span, message) => scope.report({ start: at(span.start), end: at(span.end) }, message)
      })
    }
    case "seq": {
      if (node.items.length !== 1) {
        scope.report(node, `a list type has exactly one item, the type of its elements; got ${node.items.length}`)
        return undefined
      }
      const element = typeOf(node.items[0]!, scope, offsetOf)
      return element === undefined ? undefined : Schema.Array(element) as unknown as AnySchema
    }
    case "map": {
      const fields: Record<string, Schema.Struct.Fields[string]> = {}
      let failed = false
      for (const entry of node.entries) {
        const optional = entry.key.endsWith("?")
        const name = optional ? entry.key.slice(0, -1) : entry.key
        if (!keyPattern.test(name)) {
          scope.report(entry.keyNode, `"${entry.key}" is not a field name (letters, digits, "_", "-"; "?" at the end for an optional field)`)
          failed = true
          continue
        }
        if (Object.prototype.hasOwnProperty.call(fields, name)) {
          scope.report(entry.keyNode, `field "${name}" is declared twice`)
          failed = true
          continue
        }
        const type = typeOf(entry.value, scope, offsetOf)
        if (type === undefined) {
          failed = true
          continue
        }
        fields[name] = optional ? Schema.optional(type) : type
      }
      return failed ? undefined : Schema.Struct(fields) as unknown as AnySchema
    }
  }
}

class Stop {}

/** Parses the text form of a type. */
export const parseTypeText = (text: string, scope: TypeScope): AnySchema | undefined => {
  const lexed = tokenize(text)
  if ("problem" in lexed) {
    scope.report(lexed.problem, `in type "${text}": ${lexed.problem.message}`)
    return undefined
  }
  const tokens = lexed.tokens
  let i = 0
  const peek = () => tokens[i]!
  const next = () => tokens[Math.min(i++, tokens.length - 1)]!
  const fail = (token: Token, message: string): never => {
    scope.report({ start: token.start, end: Math.max(token.end, token.start + 1) }, message)
    throw new Stop()
  }
  const isPunct = (token: Token, p: string) => token.kind === "punct" && token.text === p
  let depth = 0

  const unionType = (): AnySchema => {
    if (++depth > 32) fail(peek(), "type nested too deeply")
    if (isPunct(peek(), "|")) next()
    const members = [postfix()]
    while (isPunct(peek(), "|")) {
      next()
      members.push(postfix())
    }
    depth--
    return members.length === 1 ? members[0]! : Schema.Union(...members) as unknown as AnySchema
  }

  const postfix = (): AnySchema => {
    let type = primary()
    while (isPunct(peek(), "[")) {
      next()
      const close = next()
      if (!isPunct(close, "]")) fail(close, `expected "]" after "[" (a list type is written T[])`)
      type = Schema.Array(type) as unknown as AnySchema
    }
    return type
  }

  const primary = (): AnySchema => {
    const token = next()
    if (token.kind === "end") return fail(token, `type "${text}" ends too early`)
    if (token.kind === "string") return Schema.Literal(token.value as string) as unknown as AnySchema
    if (token.kind === "number") return Schema.Literal(token.value as number) as unknown as AnySchema
    if (isPunct(token, "-") && peek().kind === "number") {
      return Schema.Literal(-(next().value as number)) as unknown as AnySchema
    }
    if (isPunct(token, "(")) {
      const inner = unionType()
      const close = next()
      if (!isPunct(close, ")")) fail(close, `expected ")"`)
      return inner
    }
    if (isPunct(token, "{")) return objectType()
    if (token.kind === "name") {
      if (token.text === "true" || token.text === "false") return Schema.Literal(token.text === "true") as unknown as AnySchema
      const keyword = Object.prototype.hasOwnProperty.call(keywords, token.text) ? keywords[token.text] : undefined
      if (keyword !== undefined) return keyword
      let name = token.text
      let end = token.end
      if (isPunct(peek(), ".")) {
        next()
        const member = next()
        if (member.kind !== "name") fail(member, `expected a key after "${name}."`)
        name = `${name}.${member.text}`
        end = member.end
      }
      const found = scope.named(name, { start: token.start, end })
      if (found === undefined) throw new Stop()
      return found
    }
    return fail(token, `unexpected "${token.text}" in type "${text}"`)
  }

  const objectType = (): AnySchema => {
    const fields: Record<string, Schema.Struct.Fields[string]> = {}
    while (!isPunct(peek(), "}")) {
      const key = next()
      if (key.kind !== "name" && key.kind !== "string") fail(key, `expected a field name, got "${key.text}"`)
      const name = String(key.value)
      if (name === "__proto__") fail(key, `"__proto__" is not allowed as a field name`)
      let optional = false
      if (isPunct(peek(), "?")) {
        next()
        optional = true
      }
      const colon = next()
      if (!isPunct(colon, ":")) fail(colon, `expected ":" after field "${name}"`)
      const type = unionType()
      if (Object.prototype.hasOwnProperty.call(fields, name)) fail(key, `field "${name}" is declared twice`)
      fields[name] = optional ? Schema.optional(type) : type
      if (isPunct(peek(), ",") || isPunct(peek(), ";")) {
        next()
        continue
      }
      if (!isPunct(peek(), "}")) fail(peek(), `expected "," or "}" after field "${name}"`)
    }
    next()
    return Schema.Struct(fields) as unknown as AnySchema
  }

  try {
    const type = unionType()
    const rest = peek()
    if (rest.kind !== "end") fail(rest, `unexpected "${rest.text}" in type "${text}"`)
    return type
  } catch (error) {
    if (error instanceof Stop) return undefined
    throw error
  }
}

/** The message for a type name nobody declared. */
export const unknownTypeMessage = (name: string, declared: ReadonlyArray<string>): string =>
  `unknown type "${name}"${didYouMean(name, [...typeKeywords, ...declared])}: use string, number, integer, boolean, null, ` +
  `unknown, a literal, a type declared under "types:", or <step>.<key> for the type of a key a registered step reads or writes`
