/**
 * The built-in steps of `Steps` that need no process: files under a root
 * (formats, atomic writes, paths out of the root refused through `..`, an
 * absolute path or a symbolic link), `transform` and `validate`.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Schema } from "effect"
import { Errors, Steps, Testing } from "weftjs"

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }
const base = mkdtempSync(join(tmpdir(), "weft-steps-"))
const root = join(base, "root")
const outside = join(base, "outside")
mkdirSync(root)
mkdirSync(outside)
writeFileSync(join(outside, "secret.json"), `{"secret":true}`)
writeFileSync(join(root, "items.json"), `[{"id":"a","n":1},{"id":"b","n":2}]`)
writeFileSync(join(root, "lines.jsonl"), `{"id":"a"}\n\n{"id":"b"}\n`)
writeFileSync(join(root, "note.txt"), "hello")
writeFileSync(join(root, "broken.json"), "{")
symlinkSync(outside, join(root, "escape"))
symlinkSync(join(outside, "secret.json"), join(root, "link.json"))
afterAll(() => rmSync(base, { recursive: true, force: true }))

const Item = Schema.Struct({ id: Schema.String, n: Schema.Number })

const reader = (path: string) => Steps.read({ name: "load", output: "content", root, path })

describe("Steps.read", () => {
  it.effect("reads JSON, JSON lines and text by extension, decoded with its Schema", () =>
    Effect.gen(function*() {
      const items = Steps.read({ name: "items", output: "items", root, path: "items.json", schema: Schema.Array(Item) })
      expect((yield* Testing.runStep(items, {})).items).toEqual([{ id: "a", n: 1 }, { id: "b", n: 2 }])
      expect((yield* Testing.runStep(reader("lines.jsonl"), {})).content).toEqual([{ id: "a" }, { id: "b" }])
      expect((yield* Testing.runStep(reader("note.txt"), {})).content).toBe("hello")
      const byInput = Steps.read({ name: "byInput", requires: { file: Schema.String }, output: "content", root, path: ({ file }) => file })
      expect((yield* Testing.runStep(byInput, { file: "./note.txt" })).content).toBe("hello")
    }).pipe(Effect.provide(Testing.layer(settings))))

  it.effect("refuses paths out of the root: .., absolute, symbolic links; names a missing file, bad content, a mismatch", () =>
    Effect.gen(function*() {
      for (const path of ["../outside/secret.json", join(outside, "secret.json"), "escape/secret.json", "link.json", "a/../../outside/secret.json"]) {
        const error = yield* Effect.flip(Testing.runStep(reader(path), {}))
        expect(error, path).toBeInstanceOf(Errors.FileFailed)
        expect(error, path).toMatchObject({ reason: "outside-root", operation: "read", path })
      }
      expect(yield* Effect.flip(Testing.runStep(reader("nope.json"), {}))).toMatchObject({ reason: "not-found" })
      expect(yield* Effect.flip(Testing.runStep(reader("broken.json"), {}))).toMatchObject({ reason: "parse" })
      const typed = Steps.read({ name: "typed", output: "items", root, path: "items.json", schema: Schema.Array(Schema.Struct({ id: Schema.Number })) })
      const mismatch = yield* Effect.flip(Testing.runStep(typed, {}))
      expect(mismatch).toBeInstanceOf(Errors.ValueInvalid)
      expect((mismatch as Errors.ValueInvalid).keys).toEqual(["0.id", "1.id"])
    }).pipe(Effect.provide(Testing.layer(settings))))
})

describe("Steps.write", () => {
  it.effect("writes atomically under the root (folders made, no temporary file left), in its format", () =>
    Effect.gen(function*() {
      const write = Steps.write({
        name: "save",
        requires: { items: Schema.Array(Item), to: Schema.String },
        output: "saved",
        root,
        path: ({ to }) => to,
        value: ({ items }) => items
      })
      const items = [{ id: "a", n: 1 }]
      expect((yield* Testing.runStep(write, { items, to: "out/deep/items.json" })).saved).toBe("out/deep/items.json")
      expect(JSON.parse(readFileSync(join(root, "out/deep/items.json"), "utf8"))).toEqual(items)
      yield* Testing.runStep(write, { items: [...items, { id: "b", n: 2 }], to: "out/items.jsonl" })
      expect(readFileSync(join(root, "out/items.jsonl"), "utf8")).toBe(`{"id":"a","n":1}\n{"id":"b","n":2}\n`)
      yield* Testing.runStep(write, { items: [], to: "out/deep/items.json" })
      expect(readFileSync(join(root, "out/deep/items.json"), "utf8")).toBe("[]\n")
      expect(readdirSync(join(root, "out/deep"))).toEqual(["items.json"])
      for (const to of ["../outside/x.json", "escape/x.json", "link.json"]) {
        const error = yield* Effect.flip(Testing.runStep(write, { items, to }))
        expect(error, to).toMatchObject({ _tag: "FileFailed", reason: "outside-root", operation: "write" })
      }
      expect(readdirSync(outside)).toEqual(["secret.json"])
      expect(readFileSync(join(outside, "secret.json"), "utf8")).toBe(`{"secret":true}`)
    }).pipe(Effect.provide(Testing.layer(settings))))
})

describe("Steps.transform and Steps.validate", () => {
  it.effect("transform computes a value; validate checks one, naming every field at fault", () =>
    Effect.gen(function*() {
      const total = Steps.transform({
        name: "total",
        requires: { items: Schema.Array(Item) },
        output: "total",
        schema: Schema.Number,
        run: ({ items }) => items.reduce((sum, item) => sum + item.n, 0)
      })
      expect((yield* Testing.runStep(total, { items: [{ id: "a", n: 1 }, { id: "b", n: 4 }] })).total).toBe(5)
      const check = Steps.validate({
        name: "check",
        requires: { raw: Schema.Unknown },
        output: "item",
        schema: Item,
        value: ({ raw }) => raw
      })
      expect((yield* Testing.runStep(check, { raw: { id: "a", n: 1 } })).item).toEqual({ id: "a", n: 1 })
      const error = yield* Effect.flip(Testing.runStep(check, { raw: { id: 3 } }))
      expect(error).toBeInstanceOf(Errors.ValueInvalid)
      expect((error as Errors.ValueInvalid).keys).toEqual(["id", "n"])
      expect(error.message).toContain(`Step "check": the value does not match its type`)
    }).pipe(Effect.provide(Testing.layer(settings))))
})
