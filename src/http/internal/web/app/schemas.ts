/**
 * Reading JSON Schemas for forms, without the DOM: references followed,
 * `allOf` merged, the choices of a literal or an enum, the kind of input a
 * state key is edited with (text, number, checkbox, select, JSON), and a
 * form field's text read back into a value (what the fork form sends).
 *
 * @internal
 */
import type { JsonSchema } from "./types.js"

function resolveRef(schema: JsonSchema | undefined, root: JsonSchema): JsonSchema {
  let s: JsonSchema = schema || {}
  for (let i = 0; i < 32 && s && typeof s.$ref === "string"; i++) {
    const name = s.$ref.replace(/^#\/(\$defs|definitions)\//, "")
    s = ((root && root.$defs) || {})[name] || {}
  }
  return s || {}
}

/**
 * A schema with its references followed and its allOf merged, when its
 * parts agree on the kind of value (their constraints then all apply);
 * an allOf whose parts differ in kind is left as it is (a JSON field).
 */
export function resolve(schema: JsonSchema | undefined, root: JsonSchema): JsonSchema {
  const s = resolveRef(schema, root)
  if (!Array.isArray(s.allOf)) return s
  const merged: Record<string, unknown> = {}
  Object.keys(s).forEach((key) => {
    if (key !== "allOf") merged[key] = s[key]
  })
  for (let i = 0; i < s.allOf.length; i++) {
    const part = resolve(s.allOf[i], root)
    if (part.type !== undefined && merged.type !== undefined && part.type !== merged.type) return s
    if (part.properties || part.anyOf || part.oneOf || part.enum || part.const !== undefined) {
      if (s.allOf.length > 1) return s
    }
    Object.keys(part).forEach((key) => {
      if (key !== "$defs") merged[key] = part[key]
    })
  }
  return merged as JsonSchema
}

/** The values a schema allows when it is a literal, an enum, or a union of them (and null); `null` otherwise. */
export function choices(s: JsonSchema, root: JsonSchema): Array<unknown> | null {
  if (Array.isArray(s.enum)) return s.enum.slice()
  if (s.const !== undefined) return [s.const]
  const alternatives = s.anyOf || s.oneOf
  if (!Array.isArray(alternatives)) return null
  let values: Array<unknown> = []
  for (let i = 0; i < alternatives.length; i++) {
    const a = resolve(alternatives[i], root)
    if (Array.isArray(a.enum)) values = values.concat(a.enum)
    else if (a.const !== undefined) values.push(a.const)
    else if (a.type === "null") values.push(null)
    else return null
  }
  return values
}

/** The input a value is edited with. */
export type FieldKind =
  | { readonly kind: "text" }
  | { readonly kind: "number" }
  | { readonly kind: "checkbox" }
  | { readonly kind: "select"; readonly options: ReadonlyArray<unknown> }
  | { readonly kind: "json" }

/** The input for a value of this schema: a select for literals and enums, else by its type; JSON for anything else. */
export function fieldKind(schema: JsonSchema | undefined, root: JsonSchema): FieldKind {
  const s = resolve(schema, root)
  const options = choices(s, root)
  if (options && options.length > 0) return { kind: "select", options }
  if (s.type === "string") return { kind: "text" }
  if (s.type === "number" || s.type === "integer") return { kind: "number" }
  if (s.type === "boolean") return { kind: "checkbox" }
  return { kind: "json" }
}

/**
 * What a field shows for a value (a select: the index of its option, `""`
 * when it is none of them; a checkbox: `"true"` or `""`); `""` for a key
 * the state does not hold.
 */
export function fieldText(kind: FieldKind, value: unknown, present: boolean): string {
  if (!present) return ""
  switch (kind.kind) {
    case "text":
      return typeof value === "string" ? value : JSON.stringify(value)
    case "number":
      return typeof value === "number" ? String(value) : JSON.stringify(value)
    case "checkbox":
      return value === true ? "true" : ""
    case "select": {
      const text = JSON.stringify(value)
      const index = kind.options.findIndex((option) => JSON.stringify(option) === text)
      return index < 0 ? "" : String(index)
    }
    case "json":
      return JSON.stringify(value, null, 2)
  }
}

/** A field's text read back: its value, or why it cannot be one. */
export type FieldRead = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string }

/** Reads a field's text (as {@link fieldText} writes it) into the value it stands for. */
export function readField(kind: FieldKind, text: string): FieldRead {
  switch (kind.kind) {
    case "text":
      return { ok: true, value: text }
    case "number": {
      if (text.trim() === "") return { ok: false, message: "a number is required" }
      const n = Number(text)
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: "not a number" }
    }
    case "checkbox":
      return { ok: true, value: text === "true" }
    case "select": {
      const index = /^\d+$/.test(text) ? Number(text) : -1
      return index >= 0 && index < kind.options.length
        ? { ok: true, value: kind.options[index] }
        : { ok: false, message: "choose one of the values" }
    }
    case "json": {
      if (text.trim() === "") return { ok: false, message: "a JSON value is required" }
      try {
        return { ok: true, value: JSON.parse(text) as unknown }
      } catch {
        return { ok: false, message: "not valid JSON" }
      }
    }
  }
}

/** One field of a patch form: its key, kind, and the text it started with and has now. */
export interface PatchField {
  readonly key: string
  readonly kind: FieldKind
  readonly initial: string
  readonly text: string
}

/**
 * A fork's patch from its form: the keys whose field was changed, each read
 * back into its value; or the fields that cannot be read (by key). A field
 * left as it was is not sent.
 */
export function patchOf(
  fields: ReadonlyArray<PatchField>
):
  | { readonly ok: true; readonly patch: Record<string, unknown> }
  | { readonly ok: false; readonly errors: ReadonlyArray<{ readonly key: string; readonly message: string }> }
{
  const patch: Record<string, unknown> = {}
  const errors: Array<{ readonly key: string; readonly message: string }> = []
  fields.forEach((field) => {
    if (field.text === field.initial) return
    const read = readField(field.kind, field.text)
    if (read.ok) {
      Object.defineProperty(patch, field.key, { value: read.value, enumerable: true, writable: true, configurable: true })
    } else {
      errors.push({ key: field.key, message: read.message })
    }
  })
  return errors.length > 0 ? { ok: false, errors } : { ok: true, patch }
}
