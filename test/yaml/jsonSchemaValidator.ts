/**
 * A small JSON Schema (draft-07) validator for the keywords `Yaml.jsonSchema`
 * emits, so that the schema can be tested against files without a new
 * dependency. A keyword it does not know is an error (so the subset it
 * checks is the subset the schema uses).
 */

export type JsonSchema = boolean | { readonly [key: string]: unknown }

const annotations = new Set(["$schema", "$id", "title", "description", "default", "examples", "$comment", "format", "definitions"])
const keywords = new Set([
  "$ref", "type", "enum", "const", "properties", "required", "additionalProperties", "minProperties", "patternProperties",
  "propertyNames", "items", "additionalItems", "minItems", "maxItems", "anyOf", "oneOf", "allOf", "not", "pattern",
  "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"
])

/** Every keyword a schema uses (with those of its definitions). */
export const keywordsOf = (schema: unknown, found = new Set<string>()): ReadonlySet<string> => {
  if (Array.isArray(schema)) {
    for (const item of schema) keywordsOf(item, found)
  } else if (typeof schema === "object" && schema !== null) {
    for (const [key, value] of Object.entries(schema)) {
      found.add(key)
      if (key === "properties" || key === "definitions" || key === "patternProperties") {
        for (const sub of Object.values(value as object)) keywordsOf(sub, found)
      } else if (key !== "enum" && key !== "const" && key !== "examples" && key !== "default" && key !== "required") {
        keywordsOf(value, found)
      }
    }
  }
  return found
}

/** Keywords the validator does not know. */
export const unsupported = (schema: unknown): ReadonlyArray<string> =>
  Array.from(keywordsOf(schema)).filter((k) => !keywords.has(k) && !annotations.has(k))

const typeOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "array" : typeof value === "number" ? (Number.isInteger(value) ? "integer" : "number") : typeof value

const equal = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

/** The errors of `value` against `schema` (`root` holds the definitions `$ref`s point to), each with its path. */
export const validate = (schema: JsonSchema, value: unknown, root: JsonSchema = schema, path = "$"): ReadonlyArray<string> => {
  if (schema === true) return []
  if (schema === false) return [`${path}: no value is allowed here`]
  const errors: Array<string> = []
  const s = schema
  for (const key of Object.keys(s)) {
    if (!keywords.has(key) && !annotations.has(key)) throw new Error(`unsupported keyword "${key}" at ${path}`)
  }
  if (typeof s["$ref"] === "string") {
    const ref = s["$ref"]
    if (!ref.startsWith("#/definitions/")) throw new Error(`unsupported $ref ${ref}`)
    const target = (root as { readonly definitions?: Record<string, JsonSchema> }).definitions?.[ref.slice("#/definitions/".length)]
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`)
    errors.push(...validate(target, value, root, path))
  }
  if (s["type"] !== undefined) {
    const types = Array.isArray(s["type"]) ? s["type"] as ReadonlyArray<string> : [s["type"] as string]
    const actual = typeOf(value)
    if (!types.some((t) => t === actual || (t === "number" && actual === "integer"))) {
      return [...errors, `${path}: expected ${types.join(" or ")}, got ${actual}`]
    }
  }
  if (Array.isArray(s["enum"]) && !s["enum"].some((e) => equal(e, value))) errors.push(`${path}: not one of ${JSON.stringify(s["enum"])}`)
  if ("const" in s && !equal(s["const"], value)) errors.push(`${path}: expected ${JSON.stringify(s["const"])}`)
  if (typeof value === "string") {
    if (typeof s["pattern"] === "string" && !new RegExp(s["pattern"], "u").test(value)) errors.push(`${path}: does not match ${s["pattern"]}`)
    const length = Array.from(value).length
    if (typeof s["minLength"] === "number" && length < s["minLength"]) errors.push(`${path}: shorter than ${s["minLength"]}`)
    if (typeof s["maxLength"] === "number" && length > s["maxLength"]) errors.push(`${path}: longer than ${s["maxLength"]}`)
  }
  if (typeof value === "number") {
    if (typeof s["minimum"] === "number" && value < s["minimum"]) errors.push(`${path}: below ${s["minimum"]}`)
    if (typeof s["maximum"] === "number" && value > s["maximum"]) errors.push(`${path}: above ${s["maximum"]}`)
    if (typeof s["exclusiveMinimum"] === "number" && value <= s["exclusiveMinimum"]) errors.push(`${path}: not above ${s["exclusiveMinimum"]}`)
    if (typeof s["exclusiveMaximum"] === "number" && value >= s["exclusiveMaximum"]) errors.push(`${path}: not below ${s["exclusiveMaximum"]}`)
    if (typeof s["multipleOf"] === "number" && !Number.isInteger(value / s["multipleOf"])) errors.push(`${path}: not a multiple of ${s["multipleOf"]}`)
  }
  if (typeOf(value) === "object") {
    const object = value as Record<string, unknown>
    const properties = (s["properties"] ?? {}) as Record<string, JsonSchema>
    const patterns = Object.entries((s["patternProperties"] ?? {}) as Record<string, JsonSchema>)
    for (const key of (s["required"] ?? []) as ReadonlyArray<string>) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) errors.push(`${path}: missing "${key}"`)
    }
    if (typeof s["minProperties"] === "number" && Object.keys(object).length < s["minProperties"]) {
      errors.push(`${path}: fewer than ${s["minProperties"]} properties`)
    }
    for (const [key, item] of Object.entries(object)) {
      if (s["propertyNames"] !== undefined) errors.push(...validate(s["propertyNames"] as JsonSchema, key, root, `${path}.${key} (name)`))
      let matched = false
      if (Object.prototype.hasOwnProperty.call(properties, key)) {
        matched = true
        errors.push(...validate(properties[key]!, item, root, `${path}.${key}`))
      }
      for (const [pattern, sub] of patterns) {
        if (new RegExp(pattern, "u").test(key)) {
          matched = true
          errors.push(...validate(sub, item, root, `${path}.${key}`))
        }
      }
      if (!matched && s["additionalProperties"] !== undefined) {
        errors.push(...validate(s["additionalProperties"] as JsonSchema, item, root, `${path}.${key}`))
      }
    }
  }
  if (Array.isArray(value)) {
    if (typeof s["minItems"] === "number" && value.length < s["minItems"]) errors.push(`${path}: fewer than ${s["minItems"]} items`)
    if (typeof s["maxItems"] === "number" && value.length > s["maxItems"]) errors.push(`${path}: more than ${s["maxItems"]} items`)
    const items = s["items"]
    if (Array.isArray(items)) {
      value.forEach((item, i) => {
        const sub = i < items.length ? items[i] as JsonSchema : s["additionalItems"] as JsonSchema | undefined
        if (sub !== undefined) errors.push(...validate(sub, item, root, `${path}[${i}]`))
      })
    } else if (items !== undefined) {
      value.forEach((item, i) => errors.push(...validate(items as JsonSchema, item, root, `${path}[${i}]`)))
    }
  }
  if (Array.isArray(s["allOf"])) for (const sub of s["allOf"]) errors.push(...validate(sub as JsonSchema, value, root, path))
  if (Array.isArray(s["anyOf"])) {
    const results = s["anyOf"].map((sub) => validate(sub as JsonSchema, value, root, path))
    if (!results.some((r) => r.length === 0)) errors.push(`${path}: matches none of ${results.length} alternatives (${results.map((r) => r[0]).join(" | ")})`)
  }
  if (Array.isArray(s["oneOf"])) {
    const passing = s["oneOf"].filter((sub) => validate(sub as JsonSchema, value, root, path).length === 0).length
    if (passing !== 1) errors.push(`${path}: matches ${passing} of the oneOf alternatives, not exactly 1`)
  }
  if (s["not"] !== undefined && validate(s["not"] as JsonSchema, value, root, path).length === 0) errors.push(`${path}: matches "not"`)
  return errors
}
