/**
 * One Effect: weft and every `@effect/*` package must share one copy of
 * `effect`, on the 3.x line. Two copies give two `Schema`s, `Context`s and
 * `Effect`s that do not mix (a type error at best:
 * `Type 'String' is not assignable to type 'Field' ... missing ... [TypeId]`),
 * and npm's `latest` of `effect` and of several `@effect/*` packages is the
 * Effect 4 line.
 *
 * - the repository's `node_modules` (any depth) holds exactly one `effect`,
 *   a 3.x, and no `@effect/*` package of the 4 line; every `@effect/*`
 *   package's peer range on `effect` admits it;
 * - package.json declares `effect` and `@effect/*` as peer dependencies only
 *   (dev dependencies pinned to what is installed), on the v3 line;
 * - the checks fail on a tree with two copies, and on a 4.x copy.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { findInstalled, type Installed, installedVersion, manifest, root } from "./support.js"

const nodeModules = join(root, "node_modules")

/** `[major, minor, patch]` of a plain version (`3.22.4`); pre-release tags ignored. */
const parse = (version: string): readonly [number, number, number] | undefined => {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version)
  return match === null ? undefined : [Number(match[1]), Number(match[2]), Number(match[3])]
}

const atLeast = (a: readonly [number, number, number], b: readonly [number, number, number]): boolean =>
  a[0] !== b[0] ? a[0] > b[0] : a[1] !== b[1] ? a[1] > b[1] : a[2] >= b[2]

/**
 * Whether `version` satisfies `range`, for the ranges the Effect packages use
 * (`^x.y.z`, or an exact `x.y.z`); any other form is reported, never passed.
 */
const satisfies = (version: string, range: string): boolean | "unknown range" => {
  const v = parse(version)
  const caret = /^\^(\d+\.\d+\.\d+)$/.exec(range)
  const exact = /^(\d+\.\d+\.\d+)$/.exec(range)
  const r = parse(caret?.[1] ?? exact?.[1] ?? "")
  if (v === undefined || r === undefined) return "unknown range"
  if (exact !== null) return v[0] === r[0] && v[1] === r[1] && v[2] === r[2]
  if (!atLeast(v, r)) return false
  // ^0.y.z pins the minor; ^x.y.z (x > 0) the major
  return r[0] === 0 ? v[0] === 0 && v[1] === r[1] : v[0] === r[0]
}

/** What is wrong with the copies of `effect` in a tree: none, several, or not 3.x. */
const effectProblems = (copies: ReadonlyArray<Installed>): ReadonlyArray<string> => [
  ...(copies.length === 1 ? [] : [`expected one copy of effect, found ${copies.length}: ${copies.map((c) => `${c.path}@${c.version}`).join(", ")}`]),
  ...copies.filter((c) => parse(c.version)?.[0] !== 3).map((c) => `effect ${c.version} at ${c.path} is not 3.x`)
]

/** Every `@effect/*` package in a tree, at any depth. */
const effectPackages = (tree: string): ReadonlyArray<Installed & { readonly name: string }> => {
  const scope = join(tree, "@effect")
  const names = new Set<string>()
  // names at the top level, then every copy of each name at any depth
  try {
    for (const name of readdirSync(scope)) names.add(`@effect/${name}`)
  } catch {
    // no @effect scope
  }
  return Array.from(names).flatMap((name) => findInstalled(tree, name).map((copy) => ({ ...copy, name })))
}

/** What is wrong with the `@effect/*` packages of a tree, given its one `effect`. */
const familyProblems = (tree: string, effectVersion: string): ReadonlyArray<string> =>
  effectPackages(tree).flatMap(({ name, path, version }) => {
    const problems: Array<string> = []
    // the Effect 4 line publishes @effect/* packages as 4.x; the v3 line's are 0.x
    if (parse(version)?.[0] !== 0) problems.push(`${name}@${version} at ${path} is not on the Effect 3 line (0.x)`)
    const pkg = JSON.parse(readFileSync(join(path, "package.json"), "utf8")) as {
      peerDependencies?: Record<string, string>
    }
    const range = pkg.peerDependencies?.["effect"]
    if (range !== undefined) {
      const ok = satisfies(effectVersion, range)
      if (ok !== true) problems.push(`${name}@${version} wants effect ${range}, installed ${effectVersion}${ok === false ? "" : ` (${ok})`}`)
    }
    return problems
  })

describe("one Effect in node_modules", () => {
  const copies = findInstalled(nodeModules, "effect")

  it("holds exactly one effect, a 3.x", () => {
    expect(effectProblems(copies)).toEqual([])
    expect(copies[0]?.path).toBe(join(nodeModules, "effect"))
  })

  it("holds @effect/* packages of the Effect 3 line only, each admitting that effect", () => {
    const effectVersion = installedVersion("effect")
    expect(effectPackages(nodeModules).length).toBeGreaterThan(5)
    expect(familyProblems(nodeModules, effectVersion)).toEqual([])
  })
})

describe("package.json", () => {
  const pkg = manifest()
  const family = (names: ReadonlyArray<string>) => names.filter((name) => name === "effect" || name.startsWith("@effect/"))

  it("declares effect and @effect/* as peer dependencies, never as dependencies", () => {
    expect(family(Object.keys(pkg.dependencies ?? {}))).toEqual([])
    expect(pkg.peerDependencies["effect"]).toMatch(/^\^3\.\d+\.\d+$/)
    expect(pkg.peerDependenciesMeta?.["effect"]?.optional).not.toBe(true)
  })

  it("gives every @effect/* peer a range on the Effect 3 line, admitting the installed version", () => {
    const peers = family(Object.keys(pkg.peerDependencies)).filter((name) => name !== "effect")
    expect(peers.length).toBeGreaterThan(5)
    for (const name of peers) {
      const range = pkg.peerDependencies[name] ?? ""
      expect(range, name).toMatch(/^\^0\.\d+\.\d+$/)
      expect(satisfies(installedVersion(name), range), `${name} ${range}`).toBe(true)
    }
  })

  it("pins every Effect package among the dev dependencies to the installed version", () => {
    for (const name of family(Object.keys(pkg.devDependencies))) {
      expect(pkg.devDependencies[name], name).toBe(installedVersion(name))
    }
  })
})

describe("the checks can fail", () => {
  const tree = mkdtempSync(join(tmpdir(), "weft-one-effect-"))
  afterAll(() => rmSync(tree, { recursive: true, force: true }))

  const put = (path: string, json: Record<string, unknown>): void => {
    mkdirSync(join(tree, path), { recursive: true })
    writeFileSync(join(tree, path, "package.json"), JSON.stringify(json))
  }
  put("effect", { name: "effect", version: "3.22.4" })
  put("@effect/sql", { name: "@effect/sql", version: "0.52.1", peerDependencies: { effect: "^3.22.1" } })
  put("@effect/sql-pg", { name: "@effect/sql-pg", version: "4.0.5", peerDependencies: { effect: "^4.0.5" } })
  // a second copy, nested under a package that brought its own
  put("@effect/sql-pg/node_modules/effect", { name: "effect", version: "4.1.0" })

  it("reports two copies of effect, and a 4.x copy", () => {
    expect(effectProblems(findInstalled(tree, "effect"))).toEqual([
      `expected one copy of effect, found 2: ${join(tree, "@effect/sql-pg/node_modules/effect")}@4.1.0, ${join(tree, "effect")}@3.22.4`,
      `effect 4.1.0 at ${join(tree, "@effect/sql-pg/node_modules/effect")} is not 3.x`
    ])
  })

  it("reports an @effect/* package of the Effect 4 line", () => {
    expect(familyProblems(tree, "3.22.4")).toEqual([
      `@effect/sql-pg@4.0.5 at ${join(tree, "@effect/sql-pg")} is not on the Effect 3 line (0.x)`,
      "@effect/sql-pg@4.0.5 wants effect ^4.0.5, installed 3.22.4"
    ])
  })

  it("reads ranges strictly", () => {
    expect(satisfies("3.22.4", "^3.22.1")).toBe(true)
    expect(satisfies("3.21.9", "^3.22.1")).toBe(false)
    expect(satisfies("0.53.0", "^0.52.1")).toBe(false)
    expect(satisfies("3.22.4", ">=3")).toBe("unknown range")
  })
})
