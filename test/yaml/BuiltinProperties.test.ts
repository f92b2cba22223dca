/**
 * Generated input for the built-in steps: a valid flow of built-in steps
 * (`command`, `http`, `read`, `write`, `transform`, `validate`, `output:`,
 * `if:`) with one part replaced by anything loads or is refused with
 * positioned errors — never an exception, never an internal error; paths
 * made of `..`, `.`, names and symbolic links never reach a file outside
 * the folder for files; `Retry-After` values of any text give a wait that is
 * not negative, or none.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit } from "effect"
import fc from "fast-check"
import { stringify } from "yaml"
import { Yaml } from "weftjs/yaml"
import { retryAfter } from "../../src/http/internal/step.js"
import { codecOf, readUnder, writeUnder } from "../../src/internal/steps/files.js"

const base = mkdtempSync(join(tmpdir(), "weft-builtin-props-"))
const root = join(base, "root")
mkdirSync(join(root, "a", "b"), { recursive: true })
mkdirSync(join(base, "outside"))
writeFileSync(join(base, "outside", "secret.txt"), "secret")
writeFileSync(join(base, "secret.txt"), "secret")
writeFileSync(join(root, "a", "inside.txt"), "inside")
symlinkSync(join(base, "outside"), join(root, "a", "escape"))
symlinkSync(join(base, "outside", "secret.txt"), join(root, "link.txt"))
afterAll(() => rmSync(base, { recursive: true, force: true }))

const registry: Yaml.Registry = { steps: {}, builtins: { commands: ["node"], files: root } }

const valid = {
  name: "fuzzed",
  version: "1",
  inputs: { n: "number", name: "string" },
  steps: [
    { id: "items", read: { path: "a/inside.txt", format: "text" } },
    { id: "run", command: { program: "node", args: ["-e", "${name}"], env: { X: "${n}" }, parse: "json", type: { ok: "boolean" } }, retry: { count: 1 }, onError: "skip" },
    { id: "total", transform: "${n * 2}", if: "${n > 1}", output: "doubled" },
    { id: "fetch", http: { method: "POST", url: "https://example.com/${name}", headers: { A: "${name}" }, body: { n: "${n}" }, type: "unknown" }, timeout: "1s" },
    { id: "checked", validate: { value: "${run ?? null}", type: "{ ok: boolean } | null" } },
    { id: "saved", write: { path: "out/${name}.json", value: "${doubled ?? 0}" }, as: "where" }
  ]
}

/** A JSON-like value with the built-in steps' vocabulary. */
const junk = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(null, true, 0, -1, 1.5, "", "${", "${n}", "${steps.run.run}", "../x", "/etc/passwd", "json", "yaml", "text", "GET", "rm", "node", "1 hour"),
    fc.constantFrom("constructor", "__proto__", "toString", "${constructor}", "{ constructor: string }", "PATH", "1X"),
    fc.string({ maxLength: 20 }),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(
      fc.constantFrom("program", "args", "env", "path", "value", "type", "format", "url", "method", "body", "output", "as", "if", "command", "read", "http", "__proto__", "constructor"),
      tie("value"),
      { maxKeys: 3 }
    )
  )
})).value

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

const outcome = (text: string): "loaded" | "refused" => {
  const result = Effect.runSync(Effect.either(Yaml.load(text, { file: "fuzz.yaml", registry })))
  if (Either.isRight(result)) return "loaded"
  const lines = text.split(/\r\n|\r|\n/).length
  expect(result.left.errors.length).toBeGreaterThan(0)
  for (const error of result.left.errors) {
    expect(error.line).toBeGreaterThanOrEqual(1)
    expect(error.line).toBeLessThanOrEqual(lines + 1)
    expect(error.column).toBeGreaterThanOrEqual(1)
    expect(error.message).not.toMatch(/^internal error|could not be built|not a valid template/)
  }
  return "refused"
}

describe("built-in steps: generated input", () => {
  it("the valid flow loads", () => {
    expect(outcome(stringify(valid))).toBe("loaded")
  })

  it("property: the valid flow with one part replaced by anything loads or is refused with positioned errors", () => {
    const counts = { loaded: 0, refused: 0 }
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 5 }), junk, (path, replacement) => {
        counts[outcome(stringify(mutate(valid, path, replacement)))]++
      }),
      { numRuns: 400, seed: 20261207 }
    )
    expect(counts.refused).toBeGreaterThan(50)
    expect(counts.loaded).toBeGreaterThan(10)
  })

  it.effect("property: paths of .., ., names and links never reach a file outside the folder", () =>
    Effect.gen(function*() {
      const segment = fc.constantFrom("..", ".", "a", "b", "escape", "link.txt", "secret.txt", "inside.txt", "", "outside")
      const paths = fc.sample(fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => parts.join("/")), { numRuns: 400, seed: 7 })
      let refused = 0
      for (const path of [...paths, "/etc/passwd", join(base, "secret.txt")]) {
        const exit = yield* Effect.exit(readUnder("p", root, path, codecOf("text")))
        if (Exit.isSuccess(exit)) expect(exit.value, path).toBe("inside")
        else if (exit.cause._tag === "Fail" && exit.cause.error.reason === "outside-root") refused++
        yield* Effect.exit(writeUnder("p", root, `${path}.out`, codecOf("text"), "x"))
      }
      expect(refused).toBeGreaterThan(20)
      // nothing was written outside the folder
      expect(readdirSync(base).sort()).toEqual(["outside", "root", "secret.txt"])
      expect(readdirSync(join(base, "outside"))).toEqual(["secret.txt"])
    }))

  it("property: Retry-After of any text is no wait or a wait that is not negative", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.nat().map(String), fc.date({ noInvalidDate: true }).map((d) => d.toUTCString())), fc.nat(), (text, now) => {
        const wait = retryAfter(text, now)
        if (wait !== undefined) expect(Duration.toMillis(wait)).toBeGreaterThanOrEqual(0)
      }),
      { numRuns: 500 }
    )
  })
})
