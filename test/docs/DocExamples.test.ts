/**
 * Doc hygiene: what the doc comments of `src/` and `templates/` show must be
 * true.
 *
 * 1. Every ```ts block under an `@example` tag is written to its own module
 *    in `node_modules/.cache/weft-doc-examples/<pid>/` (inside the project, so that
 *    `weftjs` resolves through the tsconfig paths; relative imports resolve
 *    from the project root, as in the README) and type-checked with the
 *    project's compiler options: a broken example fails the test with its
 *    file and line.
 * 2. Every `@category` tag in `src/` names one of the fixed categories.
 * 3. Every public export (reachable from the package's entry points) has a
 *    doc comment with `@since`, and a `@category` unless it is a namespace
 *    or a member of one.
 *
 * `fixtures/brokenExamples.ts` holds examples with mistakes, to show that the
 * check catches them at their lines.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "@effect/vitest"
import {
  categories,
  categoriesOf,
  entryPoints,
  type Example,
  examplesOf,
  type Generated,
  makeProgram,
  problemsOf,
  type PublicExport,
  publicExports,
  sourceFiles,
  toModule
} from "./docComments.js"

const root = resolve(__dirname, "../..")
// one folder per process, so that two runs at once do not remove each other's files
const dir = join(root, "node_modules", ".cache", "weft-doc-examples", String(process.pid))
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const read = (file: string) => readFileSync(join(root, file), "utf8")

interface Written {
  readonly example: Example
  readonly path: string
  readonly generated: Generated
}

const write = (examples: ReadonlyArray<Example>): ReadonlyArray<Written> =>
  examples.map((example) => {
    const generated = toModule(example, root)
    const path = join(dir, `${example.file.replace(/[/\\.]/g, "_")}_${example.line}.ts`)
    writeFileSync(path, generated.source)
    return { example, path, generated }
  })

const documented = sourceFiles(root, ["src", "templates"])
const examples = write(documented.flatMap((file) => examplesOf(file, read(file))))
const fixture = "test/docs/fixtures/brokenExamples.ts"
const broken = write(examplesOf(fixture, read(fixture)))
const entries = entryPoints(root)
const program = makeProgram(root, [...examples, ...broken].map((w) => w.path).concat(entries))

const problems = (written: ReadonlyArray<Written>) =>
  written.flatMap(({ example, generated, path }) => problemsOf(program, path, generated, example.file))

describe("@example blocks", () => {
  it("are found in the sources", () => {
    expect(examples.length).toBeGreaterThan(10)
    expect(examples.map((w) => w.example.file)).toContain("src/Step.ts")
    expect(examples.map((w) => w.example.file)).toContain("templates/orderProcessing/index.ts")
  })

  it("every one type-checks", () => {
    expect(problems(examples).map((p) => p.message)).toEqual([])
  })

  it("the check fails on a broken example, at its line in the file", () => {
    // the fixture's first example is fine, its second and third are not; the
    // ```ts block outside an @example is not an example
    expect(broken.map((w) => w.example.line)).toEqual([10, 20, 33])
    const found = problems(broken)
    expect(found.map((p) => p.line)).toEqual([21, 34])
    expect(found[0]?.message).toMatch(/^test\/docs\/fixtures\/brokenExamples\.ts:21: TS2322: /)
    expect(found[1]?.message).toMatch(/^test\/docs\/fixtures\/brokenExamples\.ts:34: TS2551: .*'retryOnn'/)
  })
})

describe("doc comments", () => {
  it("every @category is one of the fixed list", () => {
    const tags = sourceFiles(root, ["src"]).flatMap((file) =>
      categoriesOf(read(file)).map(({ category, line }) => ({ category, at: `${file}:${line}` }))
    )
    expect(tags.length).toBeGreaterThan(50)
    expect(tags.filter((t) => !categories.includes(t.category)).map((t) => `${t.at}: @category ${t.category}`))
      .toEqual([])
  })

  it("the check reads a category up to the end of its line", () => {
    expect(categoriesOf("/**\n * @since 0.2.0\n * @category type helpers\n */\nexport type A = 1")).toEqual([
      { category: "type helpers", line: 3 }
    ])
  })

  const exports = publicExports(program, root, entries)
  const at = (e: PublicExport) => `${e.file}:${e.line}: ${e.name}`

  it("every public export has one, with @since", () => {
    expect(entries.map((entry) => entry.slice(root.length + 1))).toContain("src/index.ts")
    expect(exports.map((e) => e.name)).toEqual(expect.arrayContaining(["Step", "Step.make", "Step.Step.Any"]))
    expect(exports.filter((e) => e.doc === undefined).map(at)).toEqual([])
    expect(exports.filter((e) => e.doc !== undefined && !e.doc.since).map(at)).toEqual([])
  })

  it("every public export has a @category, but namespaces and their members", () => {
    expect(exports.filter((e) => !e.grouping && e.doc?.category === undefined).map(at)).toEqual([])
  })
})
