/**
 * The repository's TypeScript, built once per test run for the child
 * processes the tests start.
 *
 * A child started through `tsx` transpiles the ~26k lines of `src/` and the
 * Effect packages it loads again, each time (about 4 s of CPU per process);
 * the suite starts well over a hundred. Instead, the global setup
 * (`test/setup/build.ts`) transpiles every `.ts` file of `src/`, `test/`,
 * `templates/`, `examples/` and `bench/` once into `.build/` (esbuild: no
 * type check — the type check is a project of its own; the YAML, JSON and
 * `.mjs` files beside them are copied), with a
 * `package.json` naming the package `weftjs`, whose `exports` are the built
 * entries: Node's self-reference then resolves `import "weftjs/sqlite"` in a
 * built test script to the built sources, and every other package to the
 * repository's `node_modules`. A child is then `node .build/<path>.js`.
 *
 * This module imports nothing of weft's, so that the global setup and the
 * process harnesses can load it cheaply.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { dirname, isAbsolute, join, relative } from "node:path"
import { fileURLToPath } from "node:url"

/** The repository's root. */
export const repoRoot = fileURLToPath(new URL("..", import.meta.url))

/** Where the built JavaScript goes (git-ignored). */
export const buildDir = join(repoRoot, ".build")

/** The folders whose TypeScript is built. */
const folders = ["src", "test", "templates", "examples", "bench"] as const

/**
 * The built JavaScript of a TypeScript file of the repository (`script`
 * absolute, or relative to the repository's root): `src/cli/bin.ts` →
 * `<root>/.build/src/cli/bin.js`.
 */
export const built = (script: string): string => {
  const path = isAbsolute(script) ? relative(repoRoot, script) : script
  if (path.startsWith("..")) throw new Error(`${script} is not in the repository`)
  return join(buildDir, path.replace(/\.(m?)ts$/, ".$1js"))
}

/** The package's entry points as package.json's `exports` declares them: subpath → source file. */
export const entrySources = (): ReadonlyArray<readonly [subpath: string, source: string]> => {
  const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    readonly exports: Readonly<Record<string, unknown>>
  }
  const entries: Array<readonly [string, string]> = []
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    if (typeof target !== "object" || target === null) continue
    const source = (target as Record<string, unknown>)["weft-source"]
    if (typeof source === "string") entries.push([subpath, source])
  }
  return entries
}

/** TypeScript to transpile. */
const isSource = (name: string): boolean =>
  /\.m?ts$/.test(name) && !/\.d\.m?ts$/.test(name) && !name.endsWith(".test-d.ts")

/** Files read beside the modules at run time (`new URL("./flow.yaml", import.meta.url)`): copied as they are. */
const isAsset = (name: string): boolean => /\.(ya?ml|json|mjs)$/.test(name) && name !== "package.json"

const filesIn = (dir: string, into: Array<string>): Array<string> => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) filesIn(path, into)
    else if (isSource(entry.name) || isAsset(entry.name)) into.push(path)
  }
  return into
}

/** A fingerprint of the sources: paths, sizes and modification times. */
const fingerprint = (files: ReadonlyArray<string>): string => {
  let text = ""
  for (const file of files) {
    const stat = statSync(file)
    text += `${file}\0${stat.size}\0${stat.mtimeMs}\n`
  }
  let hash = 5381
  for (let i = 0; i < text.length; i++) hash = ((hash * 33) ^ text.charCodeAt(i)) >>> 0
  return `${files.length}:${text.length}:${hash.toString(16)}`
}

/**
 * Builds the sources into `.build/` unless the last build is of the same
 * sources (so that several test projects in one run, and runs of one file
 * after another, build once). Returns whether it built.
 */
export const buildForTests = async (): Promise<boolean> => {
  const files = folders.flatMap((folder) =>
    existsSync(join(repoRoot, folder)) ? filesIn(join(repoRoot, folder), []) : []
  ).sort()
  const stamp = join(buildDir, ".stamp")
  const print = fingerprint(files)
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === print) return false
  const { transform } = await import("esbuild")
  // built aside, then swapped in: a test run still using the last build (another vitest process) sees
  // one build or the other, never half of one
  const next = `${buildDir}.next-${process.pid}`
  rmSync(next, { recursive: true, force: true })
  await Promise.all(files.map(async (file) => {
    if (!isSource(file)) {
      const copy = join(next, relative(repoRoot, file))
      mkdirSync(dirname(copy), { recursive: true })
      copyFileSync(file, copy)
      return
    }
    const out = join(next, relative(buildDir, built(file)))
    const source = readFileSync(file, "utf8")
    const result = await transform(source, {
      loader: "ts",
      format: "esm",
      platform: "node",
      target: "node20",
      sourcemap: "inline",
      sourcefile: file
    })
    mkdirSync(dirname(out), { recursive: true })
    writeFileSync(out, result.code)
  }))
  const exports: Record<string, string> = {}
  for (const [subpath, source] of entrySources()) exports[subpath] = `./${source.replace(/^\.\//, "").replace(/\.ts$/, ".js")}`
  writeFileSync(
    join(next, "package.json"),
    JSON.stringify({ name: "weftjs", private: true, type: "module", exports }, null, 2)
  )
  writeFileSync(join(next, ".stamp"), print)
  const old = `${buildDir}.old-${process.pid}`
  if (existsSync(buildDir)) renameSync(buildDir, old)
  renameSync(next, buildDir)
  rmSync(old, { recursive: true, force: true })
  return true
}
