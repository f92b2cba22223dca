/**
 * Every ```ts block of README.md is compiled, and run, by this test, so the
 * README cannot go stale.
 *
 * The blocks are concatenated in order into one module (imports hoisted and
 * merged; see `markdown.ts`), written to `.readme-test/readme.ts` (gitignored;
 * inside the project so that `weftjs` resolves through the tsconfig paths) and:
 *
 * 1. type-checked with the project's compiler options: any error fails the
 *    test with its README line, and a `// @ts-expect-error` that expects no
 *    error is itself an error (TS2578);
 * 2. imported, with `.readme-test/` as the working directory (the SQLite files
 *    the README creates land there): top-level code runs, every
 *    `expression // => expected` line is checked, and the README's own
 *    `it.effect(...)` tests join this file's tests.
 *
 * ```sh blocks are not checked.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { extractBlocks, markdownLineOf, type Module, toModule, typeCheck } from "./markdown.js"

const root = resolve(__dirname, "../..")
const dir = join(root, ".readme-test")
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })

/** Lines put before the blocks: the assertion that `// =>` lines call. */
const header = [
  `import { deepStrictEqual as __deepStrictEqual } from "node:assert"`,
  `const __expectOutput = (actual: unknown, expected: unknown, at: string): void => {`,
  `  try { __deepStrictEqual(actual, expected) } catch (error) { throw new Error(\`\${at}: \${String(error)}\`) }`,
  `}`
]

const generate = (markdown: string, file: string, name: string): { readonly path: string; readonly module: Module } => {
  const module = toModule(extractBlocks(markdown), { file, header, assert: "__expectOutput" })
  const path = join(dir, name)
  writeFileSync(path, module.source)
  return { path, module }
}

const readme = generate(readFileSync(join(root, "README.md"), "utf8"), "README.md", "readme.ts")

/**
 * A README with mistakes, to show that the check catches them: a type error,
 * a `@ts-expect-error` with nothing to expect, and a wrong `// =>` output.
 */
const broken = generate(
  [
    "# broken",
    "",
    "```ts",
    "import { Schema } from \"effect\"",
    "const n: number = Schema.String",
    "```",
    "",
    "```ts",
    "// @ts-expect-error nothing is wrong here",
    "const ok: string = \"fine\"",
    "```",
    "",
    "```ts",
    "ok.length // => 5",
    "```",
    ""
  ].join("\n"),
  "broken.md",
  "broken.ts"
)

// run the README's top-level code now, while tests are collected: its
// `it.effect` blocks become tests of this file
let runError: unknown = undefined
const cwd = process.cwd()
process.chdir(dir)
try {
  await import(readme.path)
} catch (error) {
  runError = error
} finally {
  process.chdir(cwd)
}

describe("README.md", () => {
  const problems = typeCheck(join(root, "tsconfig.json"), [
    { path: readme.path, module: readme.module, file: "README.md" },
    { path: broken.path, module: broken.module, file: "broken.md" }
  ])

  it("has ts blocks to check", () => {
    expect(extractBlocks(readFileSync(join(root, "README.md"), "utf8")).length).toBeGreaterThan(10)
  })

  it("every ts block type-checks", () => {
    expect(problems.get(readme.path)?.map((p) => p.message)).toEqual([])
  })

  it("runs: top-level code completes and every `// =>` output holds", () => {
    if (runError !== undefined) {
      const stack = runError instanceof Error ? runError.stack ?? runError.message : String(runError)
      const line = markdownLineOf(stack, "readme.ts", readme.module)
      throw new Error(`README.md${line === undefined ? "" : `:${line}`} failed when run:\n${stack}`)
    }
  })

  it("the check fails on a broken block, at its line", () => {
    const found = problems.get(broken.path) ?? []
    expect(found.map((p) => p.line)).toEqual([5, 9])
    expect(found[0]?.message).toMatch(/^broken\.md:5: TS2322/)
    expect(found[1]?.message).toMatch(/^broken\.md:9: TS2578: Unused '@ts-expect-error' directive/)
  })

  it("the run fails on a wrong `// =>` output, naming its line", async () => {
    await expect(import(broken.path)).rejects.toThrow(/^broken\.md:14: /)
  })
})
