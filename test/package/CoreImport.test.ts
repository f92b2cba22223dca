/**
 * `import ... from "weftjs"` loads no native module and none of the surfaces'
 * dependencies: a program that only uses the in-memory engine pays for no
 * database driver, HTTP server, command line, YAML parser or OpenTelemetry.
 *
 * A child process imports the entry's sources (built: `test/build.ts`) under a recorder
 * (`loads/preload.mjs`: an ESM `resolve` hook registered with
 * `module.register`, a CommonJS `Module._load` wrapper and a `process.dlopen`
 * wrapper) and runs a flow on the in-memory engine; every module it loaded
 * must belong to weft or to `effect` (and what `effect` itself depends on).
 * The positive control opens a SQLite store through `weftjs/sqlite`: the same
 * recorder sees better-sqlite3, `@effect/sql` and the native addon, and the
 * same check reports them. `Pack.test.ts` runs the check again on the
 * installed package.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { built } from "../build.js"
import { coreViolations, corePackages, describeRan, type Load, packageOf, recordLoads, root } from "./support.js"

const child = built("test/package/loads/child.ts")
const allowed = corePackages(join(root, "node_modules"))
const folder = mkdtempSync(join(tmpdir(), "weft-core-import-"))

let core: { readonly ran: { readonly code: number; readonly stdout: string; readonly stderr: string }; readonly loads: ReadonlyArray<Load> }
let control: typeof core

beforeAll(async () => {
  ;[core, control] = await Promise.all([
    recordLoads([child, "core"], { cwd: root }),
    recordLoads([child, "sqlite", join(folder, "control.db")], { cwd: root })
  ])
}, 60_000)
afterAll(() => rmSync(folder, { recursive: true, force: true }))

const packages = (loads: ReadonlyArray<Load>): ReadonlySet<string> =>
  new Set(loads.flatMap(({ what }) => {
    const name = packageOf(what)
    return name === undefined ? [] : [name]
  }))

describe("import from \"weftjs\"", () => {
  it("runs a flow on the in-memory engine", () => {
    expect(core.ran.code, describeRan(core.ran)).toBe(0)
    expect(core.ran.stdout.trim()).toBe("hello memory")
  })

  it("is seen by the recorder: the entry's sources and effect", () => {
    const urls = core.loads.filter((load) => load.kind === "resolve").map((load) => load.what)
    expect(urls).toContain(`file://${built("src/index.ts")}`)
    expect(urls).toContain(`file://${built("src/Engine.ts")}`)
    expect(packages(core.loads)).toContain("effect")
  })

  it("loads no native module, and nothing but weft and effect", () => {
    expect(coreViolations(core.loads, allowed)).toEqual([])
    expect(core.loads.filter((load) => load.kind === "dlopen")).toEqual([])
    expect(Array.from(packages(core.loads)).filter((name) => !allowed.has(name))).toEqual([])
  })
})

describe("the positive control: opening a SQLite store through \"weftjs/sqlite\"", () => {
  it("opens it", () => {
    expect(control.ran.code, describeRan(control.ran)).toBe(0)
    expect(control.ran.stdout.trim()).toBe("opened")
  })

  it("is seen loading the driver, its SQL layer and the native addon", () => {
    const seen = packages(control.loads)
    expect(seen).toContain("better-sqlite3")
    expect(seen).toContain("@effect/sql")
    expect(control.loads.filter((load) => load.kind === "dlopen").map((load) => load.what)).toEqual([
      join(root, "node_modules/better-sqlite3/build/Release/better_sqlite3.node")
    ])
  })

  it("fails the core check, naming what it loaded", () => {
    const problems = coreViolations(control.loads, allowed)
    expect(problems).toContainEqual(expect.stringMatching(/^native addon opened: .*better_sqlite3\.node$/))
    expect(problems).toContainEqual(expect.stringMatching(/^surface dependency better-sqlite3 /))
    expect(problems).toContainEqual(expect.stringMatching(/^surface dependency @effect\/sql /))
  })
})
