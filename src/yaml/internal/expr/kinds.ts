/**
 * What operators and functions work on: the kind of a type (text, number,
 * boolean, nothing, object, list), whether two types share a value, and the
 * equality and field access of values at run time (own fields only).
 *
 * @internal
 */
import { SchemaAST } from "effect"
import { isOpaque, members } from "../assignable.js"

type AST = SchemaAST.AST

/** The state a compiled expression reads: the keys its step or predicate requires. */
export type StateView = Readonly<Record<string, unknown>>

/** Own fields only: never a prototype's. */
export const field = (value: unknown, name: string): unknown =>
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

/** What a type is, for operators. */
export type Kind = "string" | "number" | "boolean" | "nullish" | "object" | "list" | "other"

export const kindOf = (m: AST): Kind => {
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

export const isNumber = (t: AST): boolean => !isOpaque(t) && members(t).every((m) => kindOf(m) === "number")
export const isString = (t: AST): boolean => !isOpaque(t) && members(t).every((m) => kindOf(m) === "string")
export const isBoolean = (t: AST): boolean => !isOpaque(t) && members(t).every((m) => kindOf(m) === "boolean")

/** The type of a literal value. */
export const literalType = (value: string | number | boolean | null): AST => new SchemaAST.Literal(value)
