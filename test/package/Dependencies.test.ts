/**
 * The dependencies package.json declares are the ones the sources import,
 * and the README's "Install in your project" commands install them.
 *
 * For each entry point of the `exports` map (and the `weft` bin), the module
 * graph of its sources is walked (relative imports followed, `import()`
 * included) and the packages it imports are listed:
 *
 * - the core (`weftjs`) imports `effect` and nothing else;
 * - every package an entry imports is a dependency or a peer dependency;
 * - every peer dependency is imported by an entry, or is a peer that one of
 *   those packages needs (`@effect/printer` for `@effect/cli`); all but
 *   `effect` are optional;
 * - the README's row for each entry names every package its graph imports,
 *   each `@effect/*` package at exactly the installed version, every other
 *   package at the range package.json declares.
 */
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "vitest"
import { type Imports, importsOf, installedVersion, manifest, root } from "./support.js"

const pkg = manifest()

/** `weftjs/sqlite` -> `src/sqlite.ts`, from the `exports` map's targets (`./dist/x.js` is built from `src/x.ts`). */
const sourceOf = (target: string): string => join(root, target.replace(/^\.\/dist\//, "src/").replace(/\.js$/, ".ts"))

const entries: ReadonlyArray<{ readonly name: string; readonly source: string }> = [
  ...Object.entries(pkg.exports).flatMap(([subpath, target]) => {
    if (target === null || typeof target === "string") return []
    const file = target["default"]
    return file === undefined ? [] : [{ name: subpath === "." ? "weftjs" : `weftjs${subpath.slice(1)}`, source: sourceOf(file) }]
  }),
  ...Object.entries(pkg.bin).map(([name, file]) => ({ name: `${name} (bin)`, source: sourceOf(file) }))
]

const graphs = new Map<string, Imports>(
  entries.filter((entry) => existsSync(entry.source)).map((entry) => [entry.name, importsOf(entry.source)])
)

const all = (imports: Imports): ReadonlyArray<string> =>
  Array.from(new Set([...imports.runtime, ...imports.dynamic, ...imports.typeOnly])).sort()

const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies)])

/** The non-optional peer dependencies of an installed package. */
const peersOf = (name: string): ReadonlyArray<string> => {
  const installed = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as {
    peerDependencies?: Record<string, string>
    peerDependenciesMeta?: Record<string, { optional?: boolean }>
  }
  return Object.keys(installed.peerDependencies ?? {}).filter((peer) => installed.peerDependenciesMeta?.[peer]?.optional !== true)
}

describe("the entry points' imports", () => {
  it("every entry point and the bin is built from a source file", () => {
    expect(entries.map((entry) => entry.name)).toEqual(expect.arrayContaining(["weftjs", "weftjs/sqlite", "weftjs/pg", "weftjs/cli", "weftjs/http", "weftjs/yaml", "weft (bin)"]))
    expect(entries.filter((entry) => !existsSync(entry.source)).map((entry) => `${entry.name}: ${entry.source}`)).toEqual([])
  })

  it("the core imports effect and nothing else", () => {
    const core = graphs.get("weftjs")
    expect(core?.modules).toBeGreaterThan(20)
    expect(core === undefined ? [] : all(core)).toEqual(["effect"])
  })

  it("the walk sees what the other entries import (the core check can fail)", () => {
    const sqlite = graphs.get("weftjs/sqlite")
    expect(sqlite === undefined ? [] : all(sqlite)).toEqual(expect.arrayContaining(["@effect/sql", "better-sqlite3", "effect"]))
    expect(graphs.get("weft (bin)")?.dynamic).toContain("tsx")
  })

  it("every package an entry imports is declared", () => {
    const undeclared = Array.from(graphs, ([name, imports]) => [name, all(imports).filter((dep) => !declared.has(dep))] as const)
      .filter(([, missing]) => missing.length > 0)
    expect(undeclared).toEqual([])
  })

  it("every peer dependency is imported by an entry, or needed by one that is; all optional but effect", () => {
    const needed = new Set<string>()
    const need = (name: string): void => {
      if (needed.has(name)) return
      needed.add(name)
      if (existsSync(join(root, "node_modules", name, "package.json"))) peersOf(name).forEach(need)
    }
    for (const imports of graphs.values()) all(imports).forEach(need)
    expect(Object.keys(pkg.peerDependencies).filter((peer) => !needed.has(peer))).toEqual([])
    expect(Object.keys(pkg.peerDependencies).filter((peer) => peer !== "effect" && pkg.peerDependenciesMeta?.[peer]?.optional !== true)).toEqual([])
  })
})

// --- the README's install section ---------------------------------------------

const readme = readFileSync(join(root, "README.md"), "utf8")
const section = (() => {
  const start = readme.indexOf("\n## Install in your project\n")
  const end = readme.indexOf("\n## ", start + 1)
  return start === -1 ? "" : readme.slice(start, end === -1 ? undefined : end)
})()

/** `name@spec` -> `[name, spec]` (`@effect/sql@0.52.1` -> `["@effect/sql", "0.52.1"]`). */
const split = (token: string): readonly [string, string | undefined] => {
  const at = token.indexOf("@", 1)
  return at === -1 ? [token, undefined] : [token.slice(0, at), token.slice(at + 1)]
}

/** What is wrong with one `name@spec` of the README. */
const specProblem = (token: string): string | undefined => {
  const [name, spec] = split(token)
  if (name === "weftjs") return spec === undefined ? undefined : `${token}: weftjs without a version`
  if (spec === undefined) return `${token}: no version (npm's latest may be the Effect 4 line)`
  if (name === "effect") return /^\^3\.\d+(\.\d+)?$/.test(spec) ? undefined : `${token}: effect must be ^3.x`
  if (name.startsWith("@effect/")) {
    const installed = installedVersion(name)
    return spec === installed ? undefined : `${token}: the installed (and tested) version is ${installed}`
  }
  // a peer dependency at package.json's range; a tool for the user's own code (TypeScript, Node's types) at our dev range
  const range = pkg.peerDependencies[name] ?? pkg.devDependencies[name]
  return spec === range ? undefined : `${token}: package.json's peer (or dev) range is ${range}`
}

/** The `npm i` commands of the section: their package arguments. */
const commands = Array.from(section.matchAll(/^npm i (.*)$/gm), (match) =>
  (match[1] ?? "").split(/\s+/).filter((token) => token !== "" && !token.startsWith("-")))

/** The table's rows: entry -> packages named in its second cell. */
const rows = new Map(
  Array.from(section.matchAll(/^\| `(weftjs[^`]*)`[^|]*\| (.*) \|$/gm), (match) =>
    [match[1] ?? "", Array.from((match[2] ?? "").matchAll(/`([^`]+)`/g), (m) => (m[1] ?? "").split(/\s+/)).flat()] as const)
)

describe("README: Install in your project", () => {
  it("comes right after the opening, which keeps its two commands first", () => {
    expect(readme.indexOf("```sh\nnpm install && npm start")).toBeLessThan(readme.indexOf("\n## "))
    expect(readme.indexOf("\n## ")).toBe(readme.indexOf("\n## Install in your project\n"))
    expect(section).toMatch(/ESM only/)
  })

  it("installs the core with effect on the 3.x line", () => {
    expect(commands[0]).toEqual(["weftjs", "effect@^3.22"])
  })

  it("gives every package an exact version (Effect's) or package.json's range (the others)", () => {
    const tokens = [...commands.flat(), ...Array.from(rows.values()).flat().filter((token) => token.includes("@") || token === "weftjs")]
    expect(tokens.length).toBeGreaterThan(20)
    expect(tokens.map(specProblem).filter((problem) => problem !== undefined)).toEqual([])
  })

  it("has a row for every entry point but the core, naming every package the entry imports", () => {
    const missing = Array.from(graphs)
      .filter(([name]) => name !== "weftjs" && name.startsWith("weftjs"))
      .map(([name, imports]) => {
        const row = rows.get(name)
        if (row === undefined) return [name, "no row"] as const
        const named = new Set(row.map((token) => split(token)[0]))
        return [name, all(imports).filter((dep) => dep !== "effect" && !(dep in (pkg.dependencies ?? {})) && !named.has(dep)).join(" ")] as const
      })
      .filter(([, what]) => what !== "")
    expect(rows.size).toBeGreaterThanOrEqual(5)
    expect(missing).toEqual([])
  })

  it("the checks read a wrong version as wrong", () => {
    expect(specProblem("@effect/sql-pg")).toMatch(/no version/)
    expect(specProblem("@effect/sql@0.53.0")).toMatch(/installed \(and tested\) version is/)
    expect(specProblem("effect@^4.1")).toMatch(/must be \^3/)
    expect(specProblem("better-sqlite3@^11")).toMatch(/peer \(or dev\) range is \^12/)
    expect(specProblem("typescript@~5.8.0")).toMatch(/peer \(or dev\) range is ~5\.9/)
  })
})
