/**
 * The Schema of one state key, as templates and nodes keep it: a one-field
 * Struct, so that optional fields and property signatures keep their meaning
 * and decoding issues carry the key in their path.
 *
 * @internal
 */
import { Schema } from "effect"

/** One field of a Struct: a Schema or a property signature. */
export type Field = Schema.Struct.Fields[string]

const keySchemas = new WeakMap<Field, Map<string, Schema.Schema.AnyNoContext>>()

/**
 * The one-key Struct of `key` (made once per field and key: a Schema is a
 * class of its own, costly to make, and a Struct is immutable).
 */
export const keySchema = (key: string, field: Field): Schema.Schema.AnyNoContext => {
  let byKey = keySchemas.get(field)
  if (byKey === undefined) keySchemas.set(field, byKey = new Map())
  let schema = byKey.get(key)
  if (schema === undefined) byKey.set(key, schema = Schema.Struct({ [key]: field }) as unknown as Schema.Schema.AnyNoContext)
  return schema
}

/** The field inside a one-key Struct built by {@link keySchema} (`Unknown` if it is not there). */
export const fieldOf = (schema: Schema.Schema.AnyNoContext, key: string): Field => {
  const fields = (schema as unknown as { readonly fields: Schema.Struct.Fields }).fields
  return (Object.hasOwn(fields, key) ? fields[key] : undefined) ?? Schema.Unknown
}
