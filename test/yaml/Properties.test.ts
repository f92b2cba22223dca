/**
 * Bad input, generated: whatever the text or bytes, loading gives a
 * template or positioned errors — never an exception, never a hang — and a
 * flow that fails to load writes nothing.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import fc from "fast-check"
import { stringify } from "yaml"
import { Engine } from "weftjs"
import { Yaml } from "weftjs/yaml"
import { flow, step } from "./support.js"

const registry: Yaml.Registry = {
  steps: {
    double: step("double", { n: Schema.Number }, { doubled: Schema.Number }, ({ n }) => ({ doubled: n * 2 })),
    label: step("label", { text: Schema.String }, { label: Schema.String }, ({ text }) => ({ label: text }))
  }
}

/** Loads, checking that it neither throws nor takes long, and that every error is positioned inside the text. */
const outcome = (text: string, limitMs = 2_000): "loaded" | "refused" => {
  const started = Date.now()
  const result = Effect.runSync(Effect.either(Yaml.load(text, { file: "fuzz.yaml", registry })))
  expect(Date.now() - started, "loading took too long").toBeLessThan(limitMs)
  if (Either.isRight(result)) return "loaded"
  const lines = text.split(/\r\n|\r|\n/).length
  expect(result.left.errors.length).toBeGreaterThan(0)
  for (const error of result.left.errors) {
    expect(error.file).toBe("fuzz.yaml")
    expect(error.line).toBeGreaterThanOrEqual(1)
    expect(error.line).toBeLessThanOrEqual(lines + 1)
    expect(error.column).toBeGreaterThanOrEqual(1)
    expect(error.message.length).toBeGreaterThan(0)
    // an exception caught by the loader is reported as an internal error: there must be none
    expect(error.message).not.toMatch(/^internal error|could not be built|not a valid template/)
  }
  return "refused"
}

const valid = {
  name: "fuzzed",
  version: "1",
  inputs: { n: "number", text: "string" },
  vars: { factor: 2 },
  steps: [
    { use: "double", retry: { count: 1, delay: "1s" } },
    { id: "route", branch: { if: "doubled > 3", then: [{ use: "label" }], else: [{ sleep: "1s", id: "nap" }] } },
    { id: "again", loop: { while: "doubled < 10", maxIterations: 3, steps: [{ use: "double", id: "d2", with: { n: "${doubled}" } }] } }
  ]
}

/** A JSON-like value, deep enough to reach into a flow's structure. */
const junk = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, 0, -1, 1.5, "", "use", "${", "${x}", "${steps.double.doubled}", "1 hour", "\t", "a: b", "- x", "&a", "*a"),
    // names that are properties of every JavaScript object
    fc.constantFrom("constructor", "valueOf", "toString", "__proto__", "hasOwnProperty", "${constructor}", "x.constructor > 1", "{ constructor: string }"),
    fc.string({ maxLength: 30 }),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom("use", "id", "with", "steps", "branch", "if", "then", "loop", "while", "x", "n", "constructor", "valueOf", "__proto__"), tie("value"), { maxKeys: 3 })
  )
})).value

/** Replaces the value at a random path of a JSON-like tree. */
const mutate = (tree: unknown, path: ReadonlyArray<number>, replacement: unknown): unknown => {
  if (path.length === 0 || tree === null || typeof tree !== "object") return replacement
  const [head, ...rest] = path
  if (Array.isArray(tree)) {
    if (tree.length === 0) return replacement
    const i = head! % tree.length
    return tree.map((item, j) => j === i ? mutate(item, rest, replacement) : item)
  }
  const keys = Object.keys(tree)
  if (keys.length === 0) return replacement
  const key = keys[head! % keys.length]!
  return { ...(tree as Record<string, unknown>), [key]: mutate((tree as Record<string, unknown>)[key], rest, replacement) }
}

describe("bad input never throws or hangs; every error is positioned", () => {
  it("the valid flow the mutations start from loads", () => {
    expect(outcome(stringify(valid))).toBe("loaded")
  })

  it("property: a valid flow with one part replaced by anything", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), junk, (path, replacement) => {
        outcome(stringify(mutate(valid, path, replacement)))
      }),
      { numRuns: 1000 }
    )
  })

  it("property: random structures", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => void outcome(stringify(value))), { numRuns: 500 })
  })

  it("property: random text made of YAML's own characters", () => {
    const unit = fc.constantFrom(..."abn:- \n\t{}[],&*!|>'\"#%@`?$.".split(""), "steps:", "use: double", "  - ", "${x}")
    fc.assert(fc.property(fc.array(unit, { maxLength: 120 }).map((parts) => parts.join("")), (text) => void outcome(text)), {
      numRuns: 1500
    })
  })

  it("property: any string at all (control characters, lone surrogates)", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (text) => void outcome(text)), { numRuns: 1000 })
  })

  it("deep nesting is refused, at its position, quickly", () => {
    for (const depth of [70, 1_000, 100_000]) {
      expect(outcome(`name: x\nversion: 1\nsteps: ${"[".repeat(depth)}${"]".repeat(depth)}\n`, 5_000)).toBe("refused")
      const block = Array.from({ length: Math.min(depth, 2_000) }, (_, i) => `${" ".repeat(i)}k${i}:`).join("\n")
      expect(outcome(block, 5_000)).toBe("refused")
    }
    const errors = Effect.runSync(Effect.flip(Yaml.load(`steps: ${"[".repeat(100)}${"]".repeat(100)}\n`, { file: "deep.yaml", registry })))
    expect(errors.errors[0]).toMatchObject({ line: 1, message: "nested more than 64 levels deep" })
  })

  it("huge scalars are read or refused by size, quickly", () => {
    const big = "x".repeat(400_000)
    expect(outcome(flow("name: x", "version: 1", "steps:", "  - use: label", `    with: { text: ${big} }`))).toBe("loaded")
    const huge = `name: ${"x".repeat(1_000_001)}\n`
    const errors = Effect.runSync(Effect.flip(Yaml.load(huge, { file: "huge.yaml", registry })))
    expect(errors.errors).toEqual([{ file: "huge.yaml", line: 1, column: 1, message: `the file has ${huge.length} characters; at most 1000000 are read` }])
  })

  it("a billion laughs is refused quickly, without expanding it", () => {
    const levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for (let i = 1; i < 10; i++) {
      const name = String.fromCharCode(97 + i)
      const previous = String.fromCharCode(96 + i)
      levels.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`)
    }
    const source = ["name: laughs", "version: 1", ...levels, "steps:", "  - use: label", "    with: { text: *j }"].join("\n")
    const started = Date.now()
    const errors = Effect.runSync(Effect.flip(Yaml.load(source, { file: "laughs.yaml", registry })))
    expect(Date.now() - started).toBeLessThan(500)
    expect(errors.errors).toEqual([
      { file: "laughs.yaml", line: 8, column: expect.any(Number), message: expect.stringContaining("aliases expand the document to more than 100000 nodes") }
    ])
  })

  it("anchors and aliases within the limits work", () => {
    const source = flow(
      "name: anchors",
      "version: 1",
      "inputs: { n: number }",
      "steps:",
      "  - use: double",
      "    retry: &retry { count: 2, delay: 1s }",
      "  - id: twice",
      "    use: double",
      "    retry: *retry",
      "    with: { n: '${doubled}' }"
    )
    expect(outcome(source)).toBe("loaded")
    expect(outcome("a: &x [*x]\n")).toBe("refused")
    expect(outcome("a: *nothing\n")).toBe("refused")
  })

  it("duplicate keys and tabs", () => {
    expect(outcome("name: a\nname: b\nversion: 1\nsteps: []\n")).toBe("refused")
    expect(outcome("name: a\nversion: 1\nsteps:\n\t- use: double\n")).toBe("refused")
  })

  it("property: bytes that are not UTF-8 are an error at their line and column", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const result = Effect.runSync(Effect.either(Yaml.loadBytes(bytes, { file: "bytes.yaml", registry })))
        if (Either.isLeft(result)) {
          for (const error of result.left.errors) {
            expect(error.line).toBeGreaterThanOrEqual(1)
            expect(error.column).toBeGreaterThanOrEqual(1)
          }
        }
      }),
      { numRuns: 1000 }
    )
    const bytes = new Uint8Array([...new TextEncoder().encode("name: x\nversion: é"), 0xff, 0x0a])
    const errors = Effect.runSync(Effect.flip(Yaml.loadBytes(bytes, { file: "latin1.yaml", registry })))
    expect(errors.errors).toEqual([{ file: "latin1.yaml", line: 2, column: 11, message: "the file is not UTF-8: byte 0xff at offset 19" }])
  })

  it.effect("nothing is written for a flow that fails to load", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const attempt = Yaml.load(flow("name: x", "version: 1", "steps:", "  - use: dobule"), { file: "x.yaml", registry }).pipe(
        Effect.flatMap((template) => engine.start(template, {}))
      )
      const error = yield* Effect.flip(attempt)
      expect(error._tag).toBe("LoadErrors")
      expect(yield* engine.list()).toEqual([])
    }).pipe(Effect.provide(Engine.layerMemory)))
})
