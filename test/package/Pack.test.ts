/**
 * The package as another team gets it: `npm pack` (of the `dist/` the `system`
 * project's global setup built as `prepack` would: `test/setup/dist.ts`; so
 * `--ignore-scripts`, not a second build), the tarball installed into a fresh consumer project, and each
 * entry point type-checked (`tsc`, strict, NodeNext) and run with plain
 * `node` from that project.
 *
 * - the tarball holds `dist/` (ESM JavaScript, `.d.ts`, source maps that
 *   carry their sources), README.md, LICENSE and package.json: nothing else;
 *   every `exports` target and the bin are in it, and every import of a built
 *   file resolves (to a file of the tarball, a Node built-in, or a declared
 *   dependency);
 * - the consumer installs from the local npm cache where it can (`npm install
 *   --prefer-offline`: a fresh clone's `npm install` caches tarballs, not the
 *   registry's metadata, which the consumer's install also needs): the tarball, every peer dependency at the version installed
 *   in this repository (with the peers those need), TypeScript and
 *   `@types/node`; it holds exactly one `effect`;
 * - `weftjs`: the README's tour (its leading blocks, which import only
 *   `effect` and `weftjs`) type-checks and runs (its `// =>` lines hold),
 *   loading nothing but weft and effect and no native module;
 *   `weftjs/sqlite`: a run on a SQLite file, read back by a second engine;
 *   `weftjs/pg`: the layer built, and a run if PostgreSQL is reachable;
 *   `weftjs/cli`: `npx weft --help`, `weft templates` on a
 *   `weft.config.mjs` and on a `weft.config.ts`, `weft run`;
 *   `weftjs/http`: `Http.layer` on port 0, `GET /api/templates`;
 *   `weftjs/yaml`: a flow loaded and run, a typo refused at its line;
 *   `weftjs/otel`: a run traced into an in-memory exporter.
 *   Each consumer file also holds a `@ts-expect-error` line, so that types
 *   that decayed to `any` fail the check.
 *
 * Installing runs no install scripts (`--ignore-scripts`: better-sqlite3
 * would compile SQLite for minutes); the consumer gets the
 * native addon this repository built, for the same better-sqlite3 version
 * and Node.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { rm } from "node:fs/promises"
import { randomBytes } from "node:crypto"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import pg from "pg"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { extractBlocks, toModule } from "../readme/markdown.js"
import {
  bareName,
  coreViolations,
  corePackages,
  describeRan,
  findInstalled,
  installedVersion,
  isBuiltin,
  manifest,
  type Ran,
  recordLoads,
  root,
  run,
  specifiersOf
} from "./support.js"

const pkg = manifest()
const work = mkdtempSync(join(tmpdir(), "weft-pack-"))
const consumer = join(work, "consumer")
const installed = join(consumer, "node_modules", pkg.name)
const otel = existsSync(join(root, "src/otel.ts"))

/** What `npm pack --json` reports. */
interface Packed {
  readonly filename: string
  readonly size: number
  readonly unpackedSize: number
  readonly files: ReadonlyArray<{ readonly path: string; readonly size: number }>
}

let packed: Packed
let install: Ran
/** The compiler's errors, by consumer file. */
let diagnostics: ReadonlyMap<string, ReadonlyArray<string>>
let compiled: Ran

/** A peer dependency and the peers it needs (not optional), at the versions installed here. */
const withPeers = (names: ReadonlyArray<string>): ReadonlyMap<string, string> => {
  const versions = new Map<string, string>()
  const add = (name: string): void => {
    if (versions.has(name)) return
    versions.set(name, installedVersion(name))
    const manifestOf = JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as {
      peerDependencies?: Record<string, string>
      peerDependenciesMeta?: Record<string, { optional?: boolean }>
    }
    for (const peer of Object.keys(manifestOf.peerDependencies ?? {})) {
      if (manifestOf.peerDependenciesMeta?.[peer]?.optional !== true) add(peer)
    }
  }
  names.forEach(add)
  return versions
}

/** The README's tour: its leading ```ts blocks that import only `effect` and `weftjs`, as one module. */
const readmeTour = (): string => {
  const blocks = extractBlocks(readFileSync(join(root, "README.md"), "utf8"))
  const lead = []
  for (const block of blocks) {
    const specifiers = Array.from(block.code.matchAll(/^import .* from "([^"]+)"/gm), (m) => m[1])
    if (specifiers.some((s) => s !== "effect" && s !== "weftjs")) break
    lead.push(block)
  }
  if (lead.length < 3) throw new Error(`the README's tour should open with blocks over effect and weftjs (found ${lead.length})`)
  const header = [
    `import { deepStrictEqual } from "node:assert"`,
    `const __expectOutput = (actual: unknown, expected: unknown, at: string): void => {`,
    `  try { deepStrictEqual(actual, expected) } catch (error) { throw new Error(\`\${at}: \${String(error)}\`) }`,
    `}`
  ]
  return toModule(lead, { file: "README.md", header, assert: "__expectOutput" }).source
}

const tsconfig = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    strict: true,
    skipLibCheck: true,
    types: ["node"],
    outDir: "out"
  },
  include: ["*.ts"]
}

/** `file.ts(1,2): error TS...` lines (and their continuation lines), by file. */
const byFile = (output: string): ReadonlyMap<string, ReadonlyArray<string>> => {
  const found = new Map<string, Array<string>>()
  let current: Array<string> | undefined
  for (const line of output.split("\n")) {
    const match = /^(\S+?)\(\d+,\d+\): error /.exec(line)
    if (match !== null) {
      current = found.get(match[1] ?? "") ?? []
      found.set(match[1] ?? "", current)
      current.push(line)
    } else if (current !== undefined && line.startsWith(" ")) {
      current[current.length - 1] += `\n${line}`
    } else if (line.trim() !== "") {
      current = found.get("(other)") ?? []
      found.set("(other)", current)
      current.push(line)
    }
  }
  return found
}

const node = (file: string, args: ReadonlyArray<string> = [], env: Readonly<Record<string, string>> = {}, cwd = consumer) =>
  run(process.execPath, [file, ...args], { cwd, env })

const npx = (args: ReadonlyArray<string>, cwd: string) => run("npx", ["--no", "--offline", ...args], { cwd, env: { NO_COLOR: "1" } })

/** The one JSON line a consumer program printed. */
const reported = (ran: Ran): unknown => {
  const line = ran.stdout.trim().split("\n").at(-1) ?? ""
  try {
    return JSON.parse(line)
  } catch {
    throw new Error(`no JSON report: ${describeRan(ran)}`)
  }
}

/** How long each step of the set-up took, printed once it is done. */
const timings: Array<string> = []
const timed = async <A>(label: string, f: () => Promise<A>): Promise<A> => {
  const start = Date.now()
  try {
    return await f()
  } finally {
    timings.push(`${label} ${((Date.now() - start) / 1000).toFixed(1)} s`)
  }
}

beforeAll(async () => {
  // 1. pack the dist/ built by the global setup (prepack would build it again)
  const pack = await timed("npm pack", () => run("npm", ["pack", "--ignore-scripts", "--pack-destination", work, "--json"], { cwd: root, timeout: 240_000 }))
  if (pack.code !== 0) throw new Error(`npm pack failed: ${describeRan(pack)}`)
  packed = (JSON.parse(pack.stdout) as ReadonlyArray<Packed>)[0] as Packed

  // 2. the consumer project, installed from the cache where it can
  mkdirSync(consumer)
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2))
  writeFileSync(join(consumer, "tsconfig.json"), JSON.stringify(tsconfig, null, 2))
  const fixtures = join(root, "test/package/consumer")
  for (const file of readdirSync(fixtures)) {
    if (file !== "otel.ts" || otel) copyFileSync(join(fixtures, file), join(consumer, file))
  }
  writeFileSync(join(consumer, "core.ts"), readmeTour())
  for (const [folder, files] of [["cli-js", ["weft.config.mjs"]], ["cli-ts", ["weft.config.ts", "shared.ts"]]] as const) {
    mkdirSync(join(consumer, folder))
    for (const file of files) copyFileSync(join(fixtures, file), join(consumer, folder, file))
  }
  const peers = withPeers([...Object.keys(pkg.peerDependencies), "typescript", "@types/node"])
  install = await timed("npm install --prefer-offline", () => run(
    "npm",
    [
      "install",
      "--prefer-offline",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      join(work, packed.filename),
      ...Array.from(peers, ([name, version]) => `${name}@${version}`)
    ],
    { cwd: consumer, timeout: 180_000 }
  ))
  if (install.code !== 0) {
    throw new Error(
      `npm install --prefer-offline failed (the registry unreachable, and a package missing from the npm cache?): ${describeRan(install)}`
    )
  }
  // the native addon install scripts would have built (see above)
  const addon = "node_modules/better-sqlite3/build/Release/better_sqlite3.node"
  expect(installedVersion("better-sqlite3", join(consumer, "node_modules"))).toBe(installedVersion("better-sqlite3"))
  mkdirSync(dirname(join(consumer, addon)), { recursive: true })
  copyFileSync(join(root, addon), join(consumer, addon))

  // 3. one compilation of every consumer file; emitted even with errors, so each entry runs
  compiled = await timed("tsc", () =>
    run(join(consumer, "node_modules/.bin/tsc"), ["-p", ".", "--pretty", "false"], { cwd: consumer, timeout: 180_000 }))
  diagnostics = byFile(compiled.stdout)
  console.info(`set-up: ${timings.join(", ")}`)
}, 420_000)

afterAll(() => rm(work, { recursive: true, force: true }), 120_000)

/** The compiler's errors about one consumer file (and any not about a file). */
const errorsOf = (file: string): ReadonlyArray<string> => [...(diagnostics.get(file) ?? []), ...(diagnostics.get("(other)") ?? [])]

describe("the tarball", () => {
  const paths = () => packed.files.map((file) => file.path).sort()

  it("holds dist/, README.md, LICENSE and package.json, nothing else", () => {
    const outside = paths().filter((path) => !path.startsWith("dist/") && !["README.md", "LICENSE", "package.json"].includes(path))
    expect(outside).toEqual([])
    expect(paths()).toEqual(expect.arrayContaining(["LICENSE", "README.md", "package.json", "dist/index.js", "dist/index.d.ts"]))
    expect(paths().filter((path) => !/\.(js|d\.ts|js\.map)$/.test(path) && path.startsWith("dist/"))).toEqual([])
    expect(readFileSync(join(installed, "LICENSE"), "utf8")).toMatch(/^MIT License\n\nCopyright \(c\) 2026 the weft authors\n/)
    console.info(`${packed.filename}: ${packed.files.length} files, ${packed.size} bytes packed, ${packed.unpackedSize} unpacked`)
  })

  it("holds every exports target and the bin", () => {
    // every condition but `weft-source`: it names the sources for this repository's own tools (tsconfig,
    // vitest, the test build) and is set by nobody else
    const targets = Object.values(pkg.exports).flatMap((target) =>
      target === null
        ? []
        : typeof target === "string"
        ? [target]
        : Object.entries(target).filter(([condition]) => condition !== "weft-source").map(([, path]) => path))
    const wanted = [...targets, ...Object.values(pkg.bin)].map((target) => target.replace(/^\.\//, ""))
    expect(wanted.filter((path) => !paths().includes(path))).toEqual([])
    expect(readFileSync(join(installed, pkg.bin["weft"] ?? ""), "utf8").split("\n")[0]).toBe("#!/usr/bin/env node")
    expect(existsSync(join(consumer, "node_modules/.bin/weft"))).toBe(true)
  })

  it("is ESM: type module, no CommonJS in dist", () => {
    const installedManifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as { type?: string }
    expect(installedManifest.type).toBe("module")
    expect(paths().filter((path) => /\.(cjs|cts)$/.test(path))).toEqual([])
  })

  it("has source maps that carry their sources (no map points at a file not shipped)", () => {
    const maps = paths().filter((path) => path.endsWith(".js.map"))
    expect(maps.length).toBeGreaterThan(50)
    const broken = maps.flatMap((path) => {
      const map = JSON.parse(readFileSync(join(installed, path), "utf8")) as { sources: ReadonlyArray<string>; sourcesContent?: ReadonlyArray<string | null> }
      const js = readFileSync(join(installed, path.replace(/\.map$/, "")), "utf8")
      const problems: Array<string> = []
      if (!js.includes(`//# sourceMappingURL=${path.split("/").at(-1)}`)) problems.push(`${path}: its .js does not name it`)
      map.sources.forEach((source, i) => {
        const content = map.sourcesContent?.[i]
        const shipped = existsSync(resolve(dirname(join(installed, path)), source))
        if ((content === undefined || content === null) && !shipped) problems.push(`${path}: ${source} is neither inlined nor shipped`)
      })
      return problems
    })
    expect(broken).toEqual([])
  })

  it("every import of a built file resolves: a file of the tarball, a built-in, or a declared dependency", () => {
    const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies)])
    const built = paths().filter((path) => /\.(js|d\.ts)$/.test(path))
    const unresolved = built.flatMap((path) =>
      specifiersOf(join(installed, path)).flatMap((specifier) => {
        if (specifier.startsWith(".")) {
          const target = resolve(dirname(join(installed, path)), specifier)
          const candidates = path.endsWith(".d.ts") ? [target.replace(/\.js$/, ".d.ts"), target] : [target]
          return candidates.some((candidate) => paths().includes(relative(installed, candidate))) ? [] : [`${path}: ${specifier}`]
        }
        return isBuiltin(specifier) || declared.has(bareName(specifier)) ? [] : [`${path}: ${specifier}`]
      })
    )
    expect(built.length).toBeGreaterThan(100)
    expect(unresolved).toEqual([])
  })
})

describe("the consumer project", () => {
  it("installs the tarball and the peers at the versions installed here", () => {
    expect(install.code, describeRan(install)).toBe(0)
  })

  it("holds exactly one effect", async () => {
    const listed = await run("npm", ["ls", "effect", "--all", "--parseable"], { cwd: consumer })
    expect(listed.code, describeRan(listed)).toBe(0)
    expect(Array.from(new Set(listed.stdout.trim().split("\n")))).toEqual([join(consumer, "node_modules/effect")])
    expect(findInstalled(join(consumer, "node_modules"), "effect").map((copy) => copy.version)).toEqual([installedVersion("effect")])
  })

  it("compiles with no error outside the consumer files", () => {
    expect(diagnostics.get("(other)") ?? [], compiled.stdout).toEqual([])
  })
})

describe("weftjs", () => {
  it("the README's tour type-checks, and runs with its `// =>` lines holding, loading nothing but weft and effect", async () => {
    expect(errorsOf("core.ts")).toEqual([])
    const { loads, ran } = await recordLoads([join(consumer, "out/core.js")], { cwd: consumer })
    expect(ran.code, describeRan(ran)).toBe(0)
    expect(loads.some((load) => load.what.includes(`/node_modules/${pkg.name}/dist/index.js`))).toBe(true)
    const allowed = new Set([...corePackages(join(consumer, "node_modules")), pkg.name])
    expect(coreViolations(loads, allowed)).toEqual([])
  }, 60_000)

  it("keeps its internals private", async () => {
    const ran = await run(process.execPath, [
      "--input-type=module",
      "-e",
      `import("${pkg.name}/internal/run/interpret.js").then(() => console.log("loaded"), (error) => console.log(error.code))`
    ], { cwd: consumer })
    expect(ran.stdout.trim(), describeRan(ran)).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED")
  })
})

describe("weftjs/sqlite", () => {
  it("type-checks, and runs on a SQLite file that a second engine reads back", async () => {
    expect(errorsOf("sqlite.ts")).toEqual([])
    const file = join(work, "runs.db")
    const ran = await node("out/sqlite.js", [file])
    expect(ran.code, describeRan(ran)).toBe(0)
    expect(reported(ran)).toEqual({ greeting: "hello sqlite", status: "completed", steps: ["greet"] })
    expect(existsSync(file)).toBe(true)
  }, 60_000)
})

describe("weftjs/pg", () => {
  const serverUrl = process.env["WEFT_TEST_PG_URL"] ?? "postgres://root@127.0.0.1:5432/test"
  const query = async (text: string): Promise<void> => {
    const client = new pg.Client({ connectionString: serverUrl, connectionTimeoutMillis: 3000 })
    client.on("error", () => undefined)
    await client.connect()
    try {
      await client.query(text)
    } finally {
      await client.end().catch(() => undefined)
    }
  }

  it("type-checks and builds its layer; runs a flow when PostgreSQL is reachable", async () => {
    expect(errorsOf("pg.ts")).toEqual([])
    const reachable = await query("SELECT 1").then(() => true, () => false)
    if (!reachable) {
      console.warn(`weft: PostgreSQL not reachable at ${serverUrl}: weftjs/pg only built its layer`)
      const ran = await node("out/pg.js")
      expect(ran.code, describeRan(ran)).toBe(0)
      expect(reported(ran)).toEqual({ mode: "constructed", layer: true })
      return
    }
    const schema = `weft_pack_${randomBytes(5).toString("hex")}`
    try {
      const ran = await node("out/pg.js", [], { WEFT_PACK_PG_URL: serverUrl, WEFT_PACK_PG_SCHEMA: schema })
      expect(ran.code, describeRan(ran)).toBe(0)
      expect(reported(ran)).toEqual({ mode: "ran", greeting: "hello pg" })
    } finally {
      await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    }
  }, 60_000)
})

describe("weftjs/cli", () => {
  it("the project file type-checks; the weft bin helps, lists templates (.mjs and .ts project files) and runs one", async () => {
    expect(errorsOf("weft.config.ts")).toEqual([])
    const [help, fromJs, fromTs, ran] = await Promise.all([
      npx(["weft", "--help"], join(consumer, "cli-js")),
      npx(["weft", "templates", "--format", "json"], join(consumer, "cli-js")),
      npx(["weft", "templates", "--format", "json"], join(consumer, "cli-ts")),
      npx(["weft", "run", "shouting", "--input", `{"who":"npm"}`, "--format", "json"], join(consumer, "cli-js"))
    ])
    expect(help.code, describeRan(help)).toBe(0)
    expect(help.stdout).toContain(`weft ${pkg.version}`)
    expect(help.stdout).toContain("templates")
    expect(fromJs.code, describeRan(fromJs)).toBe(0)
    expect((JSON.parse(fromJs.stdout) as ReadonlyArray<{ name: string }>).map((t) => t.name)).toEqual(["shouting"])
    expect(fromTs.code, describeRan(fromTs)).toBe(0)
    expect((JSON.parse(fromTs.stdout) as ReadonlyArray<{ name: string }>).map((t) => t.name)).toEqual(["hello"])
    expect(ran.code, describeRan(ran)).toBe(0)
    expect(JSON.parse(ran.stdout)).toMatchObject({ run: { status: "completed" }, state: { who: "npm", shouted: "NPM" } })
  }, 90_000)
})

describe("weftjs/http", () => {
  it("type-checks; Http.layer on port 0 answers GET /api/templates", async () => {
    expect(errorsOf("http.ts")).toEqual([])
    const ran = await node("out/http.js")
    expect(ran.code, describeRan(ran)).toBe(0)
    expect(reported(ran)).toEqual({
      status: 200,
      body: [{ name: "hello", version: "1", requires: ["who"], provides: ["greeting"], signals: [] }]
    })
  }, 60_000)
})

describe("weftjs/yaml", () => {
  it("type-checks; loads a flow and runs it, and refuses a typo at its line", async () => {
    expect(errorsOf("yaml.ts")).toEqual([])
    const ran = await node("out/yaml.js")
    expect(ran.code, describeRan(ran)).toBe(0)
    expect(reported(ran)).toEqual({ name: "hello_yaml", greeting: "hello yaml", errors: ["typo.yaml:6"] })
  }, 60_000)
})

describe.runIf(otel)("weftjs/otel", () => {
  it("type-checks; a run is traced into an in-memory exporter", async () => {
    expect(errorsOf("otel.ts")).toEqual([])
    const ran = await node("out/otel.js")
    expect(ran.code, describeRan(ran)).toBe(0)
    expect(reported(ran)).toMatchObject({ greeting: "hello otel", spans: expect.arrayContaining(["weft.run hello", "weft.step greet"]) })
  }, 60_000)
})

describe("the compiler check can fail", () => {
  it("reports a `@ts-expect-error` line over an entry whose types decayed to any", async () => {
    const probe = join(consumer, "probe")
    mkdirSync(probe)
    writeFileSync(join(probe, "tsconfig.json"), JSON.stringify({ ...tsconfig, compilerOptions: { ...tsconfig.compilerOptions, noEmit: true } }))
    writeFileSync(join(probe, "probe.ts"), [
      `import { Sqlite as Typed } from "${pkg.name}/sqlite"`,
      `const Sqlite: any = Typed`,
      `export const wrongUses = () => [`,
      `  // @ts-expect-error filename is a string`,
      `  Sqlite.layer({ filename: 7 })`,
      `]`,
      ``
    ].join("\n"))
    const ran = await run(join(consumer, "node_modules/.bin/tsc"), ["-p", ".", "--pretty", "false"], { cwd: probe })
    expect(ran.stdout).toMatch(/^probe\.ts\(4,3\): error TS2578: Unused '@ts-expect-error' directive/m)
  }, 60_000)
})
