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

/** The one-key Struct of `key`. */
export const keySchema = (key: string, field: Field): Schema.Schema.AnyNoContext =>
  Schema.Struct({ [key]: field }) as unknown as Schema.Schema.AnyNoContext

/** The field inside a one-key Struct built by {@link keySchema} (`Unknown` if it is not there). */
export const fieldOf = (schema: Schema.Schema.AnyNoContext, key: string): Field =>
  (schema as unknown as { readonly fields: Schema.Struct.Fields }).fields[key] ?? Schema.Unknown
