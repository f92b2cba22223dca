/**
 * One job per module: no source file over 450 lines, no function over 120,
 * and no run-time import cycle among the files of `src/`.
 *
 * - Lines of a file: as `wc -l` counts them.
 * - Lines of a function (declaration, method, accessor, constructor,
 *   function expression or arrow, at any depth): from its first line (after
 *   its doc comment) to its last, both included. An `Effect.gen(function*()
 *   { ... })` body counts as a function of its own.
 * - Run-time imports: static `import` / `export ... from` of a relative path,
 *   except `import type` and imports whose every name is `type` (erased).
 *   Dynamic `import()` is not followed (it runs after the module has loaded);
 *   a module that re-exports itself as a namespace (`export * as Pg from
 *   "./pg.js"`) is not a cycle.
 *
 * The first block checks that the checks themselves can fail.
 */
import { readFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { cyclesOf, functionsOf, importGraph, lineCount, runtimeImportsOf, sourceFiles } from "./modules.js"

const root = resolve(__dirname, "../..")

/** The most lines a source file may have. */
const maxFileLines = 450
/** The most lines a function may have. */
const maxFunctionLines = 120

/**
 * Files that may exceed the limits for now, and why. Shrink this list: a
 * file on it that no longer exceeds a limit fails the last test, so that its
 * entry goes away.
 */
const allowed: Record<string, string> = {
  // the performance helper's files (src/internal/engine, src/internal/sql/sqlite), in flight
  "src/internal/sql/sqlite/connection.ts": "performance helper: open and its Effect.gen body, 197 lines",
  "src/internal/sql/sqlite/store.ts": "performance helper: makeStore and its Effect.gen body, 268 lines"
}

const files = sourceFiles(root, "src")
const read = (file: string) => readFileSync(join(root, file), "utf8")

/** What a file breaks: its length, and each function over the limit. */
const problemsOf = (file: string, text: string): ReadonlyArray<string> => {
  const lines = lineCount(text)
  return [
    ...(lines > maxFileLines ? [`${file}: ${lines} lines (at most ${maxFileLines})`] : []),
    ...functionsOf(file, text)
      .filter((span) => span.lines > maxFunctionLines)
      .map((span) => `${file}:${span.line}: ${span.name} is ${span.lines} lines (at most ${maxFunctionLines})`)
  ]
}

describe("the checks can fail", () => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `  const x${i} = ${i}`).join("\n")

  it("counts lines as wc -l does", () => {
    expect([lineCount(""), lineCount("a"), lineCount("a\n"), lineCount("a\nb\n")]).toEqual([0, 1, 1, 2])
  })

  it("finds a function over the limit, whatever its form, and not one at the limit", () => {
    const texts = [
      `export function f() {\n${body(maxFunctionLines - 1)}\n}\n`,
      `export const f = () => {\n${body(maxFunctionLines - 1)}\n}\n`,
      `class C {\n  m() {\n${body(maxFunctionLines - 1)}\n  }\n}\n`,
      `Effect.gen(function*() {\n${body(maxFunctionLines - 1)}\n})\n`
    ]
    expect(texts.map((text) => problemsOf("f.ts", text).length)).toEqual([1, 1, 1, 1])
    expect(problemsOf("f.ts", `export function f() {\n${body(maxFunctionLines - 2)}\n}\n`)).toEqual([])
    expect(problemsOf("f.ts", `export const f = () => {\n${body(maxFunctionLines - 1)}\n}\n`)[0])
      .toBe(`f.ts:1: f is ${maxFunctionLines + 1} lines (at most ${maxFunctionLines})`)
  })

  it("finds a file over the limit", () => {
    expect(problemsOf("f.ts", "const a = 1\n".repeat(maxFileLines + 1))).toEqual([
      `f.ts: ${maxFileLines + 1} lines (at most ${maxFileLines})`
    ])
    expect(problemsOf("f.ts", "const a = 1\n".repeat(maxFileLines))).toEqual([])
  })

  it("follows value imports and re-exports, not type-only ones", () => {
    const text = [
      `import type { Template } from "./Template.js"`,
      `import { type Step } from "./Step.js"`,
      `export type { Flow } from "./Flow.js"`,
      `import { Engine } from "./Engine.js"`,
      `import * as Durable from "./Durable.js"`,
      `export { label } from "./Graph.js"`,
      `import "./Event.js"`,
      `import { Effect } from "effect"`,
      `const later = () => import("./Worker.js")`
    ].join("\n")
    expect(runtimeImportsOf(root, "src/example.ts", text)).toEqual([
      "src/Engine.ts",
      "src/Durable.ts",
      "src/Graph.ts",
      "src/Event.ts"
    ])
  })

  it("finds a cycle, and shows it as a path", () => {
    const graph = new Map([
      ["a.ts", ["b.ts"]],
      ["b.ts", ["c.ts"]],
      ["c.ts", ["a.ts", "d.ts"]],
      ["d.ts", []],
      ["e.ts", ["e.ts"]]
    ])
    expect(cyclesOf(graph)).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"], ["e.ts", "e.ts"]])
    expect(cyclesOf(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]))).toEqual([])
  })
})

describe("src/", () => {
  it("is read", () => {
    expect(files).toContain("src/index.ts")
    expect(files.length).toBeGreaterThan(50)
  })

  it(`has no file over ${maxFileLines} lines and no function over ${maxFunctionLines}`, () => {
    const problems = files.filter((file) => !(file in allowed)).flatMap((file) => problemsOf(file, read(file)))
    expect(problems).toEqual([])
  })

  it("has no run-time import cycle", () => {
    const cycles = cyclesOf(importGraph(root, "src"))
      // a module that re-exports itself as its namespace (`export * as Pg from "./pg.js"`) is no cycle
      .filter((cycle) => cycle.length > 2)
      .map((cycle) => cycle.join(" -> "))
    expect(cycles).toEqual([])
  })

  it("allows only files that still exceed a limit", () => {
    const stale = Object.keys(allowed).filter((file) => !files.includes(file) || problemsOf(file, read(file)).length === 0)
    expect(stale.map((file) => `${file} is within the limits: remove it from the allow-list`)).toEqual([])
  })
})
