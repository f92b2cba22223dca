/**
 * The fork form's reading of outside data (what a user types in it), with
 * no browser: the input kind a key's JSON Schema gives, each kind's text
 * read back into the value it shows (property), and the patch: only the
 * keys whose field changed, or the fields that cannot be read, by key.
 */
import { describe, expect, it } from "@effect/vitest"
import { JSONSchema, Schema } from "effect"
import * as fc from "fast-check"
import { type FieldKind, fieldKind, fieldText, patchOf, readField } from "../../src/http/internal/web/app/schemas.js"
import type { JsonSchema } from "../../src/http/internal/web/app/types.js"

/** A key's JSON Schema as the server describes it (`JSONSchema.make` of a one-key Struct). */
const described = (schema: Schema.Schema.AnyNoContext): { readonly property: JsonSchema; readonly root: JsonSchema } => {
  const root = JSONSchema.make(Schema.Struct({ k: schema })) as unknown as JsonSchema
  return { property: root.properties!.k!, root }
}

const kindOf = (schema: Schema.Schema.AnyNoContext): FieldKind => {
  const { property, root } = described(schema)
  return fieldKind(property, root)
}

describe("the fork form's fields", () => {
  it("takes the input kind from the key's Schema: text, number, checkbox, select for literals and enums, JSON otherwise", () => {
    enum Colour {
      Red = "red",
      Blue = "blue"
    }
    expect(kindOf(Schema.String)).toEqual({ kind: "text" })
    expect(kindOf(Schema.Number)).toEqual({ kind: "number" })
    expect(kindOf(Schema.Int)).toEqual({ kind: "number" })
    expect(kindOf(Schema.Boolean)).toEqual({ kind: "checkbox" })
    expect(kindOf(Schema.Literal("paid", "rejected"))).toEqual({ kind: "select", options: ["paid", "rejected"] })
    expect(kindOf(Schema.Enums(Colour))).toEqual({ kind: "select", options: ["red", "blue"] })
    expect(kindOf(Schema.Struct({ ok: Schema.Boolean }))).toEqual({ kind: "json" })
    expect(kindOf(Schema.Array(Schema.String))).toEqual({ kind: "json" })
    expect(kindOf(Schema.Unknown)).toEqual({ kind: "json" })
  })

  it("reads back every value a field shows (property)", () =>
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string().map((value) => ({ kind: { kind: "text" } as FieldKind, value })),
          fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Object.is(n, -0))
            .map((value) => ({ kind: { kind: "number" } as FieldKind, value })),
          fc.boolean().map((value) => ({ kind: { kind: "checkbox" } as FieldKind, value })),
          fc.uniqueArray(fc.jsonValue(), { minLength: 1, maxLength: 5, selector: (v) => JSON.stringify(v) }).chain((options) =>
            fc.constantFrom(...options).map((value) => ({ kind: { kind: "select", options } as FieldKind, value }))
          ),
          fc.jsonValue().map((value) => ({ kind: { kind: "json" } as FieldKind, value: JSON.parse(JSON.stringify(value)) as unknown }))
        ),
        ({ kind, value }) => {
          expect(readField(kind, fieldText(kind, value, true))).toEqual({ ok: true, value })
        }
      ),
      { numRuns: 500 }
    ))

  it("reads any text a user types into a value of the field's kind, or refuses it with a reason (property)", () =>
    fc.assert(
      fc.property(
        fc.constantFrom<FieldKind>({ kind: "text" }, { kind: "number" }, { kind: "checkbox" }, { kind: "select", options: ["a", 1, null] }, {
          kind: "json"
        }),
        fc.oneof(fc.string(), fc.double().map(String), fc.jsonValue().map((v) => JSON.stringify(v)), fc.nat(4).map(String)),
        (kind, text) => {
          const read = readField(kind, text)
          if (!read.ok) {
            expect(read.message.length).toBeGreaterThan(0)
            expect(kind.kind).not.toBe("text")
            return
          }
          if (kind.kind === "text") expect(read.value).toBe(text)
          else if (kind.kind === "number") expect(Number.isFinite(read.value) && read.value === Number(text)).toBe(true)
          else if (kind.kind === "checkbox") expect(read.value).toBe(text === "true")
          else if (kind.kind === "select") expect(kind.options).toContainEqual(read.value)
          else expect(read.value).toEqual(JSON.parse(text))
        }
      ),
      { numRuns: 500 }
    ))

  it("sends only the keys whose field changed; a field that cannot be read is named, and nothing is sent (property)", () =>
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            key: fc.string({ minLength: 1, maxLength: 6 }),
            initial: fc.string({ maxLength: 4 }),
            text: fc.string({ maxLength: 4 }),
            kind: fc.constantFrom<FieldKind>({ kind: "text" }, { kind: "number" }, { kind: "json" })
          }),
          { maxLength: 6, selector: (f) => f.key }
        ),
        (fields) => {
          const result = patchOf(fields)
          const changed = fields.filter((f) => f.text !== f.initial)
          const bad = changed.filter((f) => !readField(f.kind, f.text).ok)
          if (bad.length > 0) {
            expect(result.ok).toBe(false)
            if (!result.ok) expect(result.errors.map((e) => e.key)).toEqual(bad.map((f) => f.key))
            return
          }
          expect(result.ok).toBe(true)
          if (result.ok) {
            // as a set: an object lists integer-like keys ("0") first, whatever the fields' order
            expect(Object.keys(result.patch).sort()).toEqual(changed.map((f) => f.key).sort())
            for (const f of changed) expect(result.patch[f.key]).toEqual((readField(f.kind, f.text) as { value: unknown }).value)
          }
        }
      ),
      { numRuns: 500 }
    ))
})
