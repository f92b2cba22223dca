/**
 * Install size and time of a consumer project, before and after weft's
 * dependencies became peer dependencies:
 *
 * - before: the old package's dependency set, installed into an empty project;
 * - after, core: the `weftjs` tarball and `effect`;
 * - after, SQLite: the same, plus the `weftjs/sqlite` entry's peers;
 * - after, everything: the tarball and every peer dependency (all entries).
 *
 * Each is installed 3 times into a fresh empty folder, offline from the npm
 * cache (`npm install --offline --no-audit --no-fund --ignore-scripts`; no
 * install scripts, so better-sqlite3's native build, in both the "before"
 * and the "SQLite" sets, is not counted), at the versions installed in this
 * repository. Prints a Markdown table: median time, size of node_modules,
 * number of packages.
 *
 *   npx tsx --conditions=weft-source test/package/measure.ts [weftjs-x.y.z.tgz]
 *
 * Without a tarball, it packs one (`npm pack`, which builds dist/).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { describeRan, installedVersion, manifest, root, run } from "./support.js"

const work = mkdtempSync(join(tmpdir(), "weft-measure-"))
const pkg = manifest()
const at = (name: string): string => `${name}@${installedVersion(name)}`

const tarball = process.argv[2] !== undefined
  ? resolve(process.argv[2])
  : await (async () => {
    const packed = await run("npm", ["pack", "--pack-destination", work, "--json"], { cwd: root, timeout: 300_000 })
    if (packed.code !== 0) throw new Error(`npm pack failed: ${describeRan(packed)}`)
    return join(work, (JSON.parse(packed.stdout) as ReadonlyArray<{ filename: string }>)[0]?.filename ?? "")
  })()

const sets: ReadonlyArray<{ readonly label: string; readonly specs: ReadonlyArray<string> }> = [
  {
    label: "before: the old dependency set",
    specs: [
      "@effect/cluster@0.60.2",
      "@effect/experimental@0.61.1",
      "@effect/platform@0.97.2",
      "@effect/platform-node@0.108.2",
      "@effect/rpc@0.76.2",
      "@effect/sql@0.52.1",
      "@effect/sql-sqlite-node@0.53.0",
      "effect@3.22.4"
    ]
  },
  { label: "after: weftjs + effect (core)", specs: [tarball, at("effect")] },
  {
    label: "after: + weftjs/sqlite's peers",
    specs: [tarball, at("effect"), at("@effect/sql"), at("@effect/experimental"), at("@effect/platform"), at("better-sqlite3")]
  },
  { label: "after: + every entry's peers", specs: [tarball, ...Object.keys(pkg.peerDependencies).map(at)] }
]

/** Bytes of the files under a folder (symbolic links not followed). */
const sizeOf = (folder: string): number =>
  readdirSync(folder, { withFileTypes: true }).reduce((total, entry) => {
    const path = join(folder, entry.name)
    return total + (entry.isDirectory() ? sizeOf(path) : entry.isFile() ? statSync(path).size : 0)
  }, 0)

/** Folders holding a package.json under node_modules (at any depth). */
const packagesIn = (nodeModules: string): number => {
  let count = 0
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue
      const path = join(folder, entry.name)
      if (entry.name.startsWith("@")) {
        walk(path)
        continue
      }
      count++
      try {
        walk(join(path, "node_modules"))
      } catch {
        // no nested node_modules
      }
    }
  }
  walk(nodeModules)
  return count
}

const rows: Array<string> = []
for (const { label, specs } of sets) {
  const times: Array<number> = []
  let size = 0
  let packages = 0
  for (let i = 0; i < 3; i++) {
    const dir = join(work, `project-${rows.length}-${i}`)
    mkdirSync(dir)
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }))
    const start = process.hrtime.bigint()
    const ran = await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", ...specs], {
      cwd: dir,
      timeout: 600_000
    })
    times.push(Number(process.hrtime.bigint() - start) / 1e9)
    if (ran.code !== 0) throw new Error(`${label}: npm install failed: ${describeRan(ran)}`)
    size = sizeOf(join(dir, "node_modules"))
    packages = packagesIn(join(dir, "node_modules"))
    rmSync(dir, { recursive: true, force: true })
  }
  const median = [...times].sort((a, b) => a - b)[1] ?? 0
  rows.push(
    `| ${label} | ${median.toFixed(1)} s (${times.map((t) => t.toFixed(1)).join(", ")}) | ${(size / 1e6).toFixed(1)} MB | ${packages} |`
  )
  console.error(`${label}: done`)
}

console.log(`Offline from the npm cache, --ignore-scripts, 3 runs each (median, then each run); ${tarball.split("/").at(-1)}:\n`)
console.log("| install | time | node_modules | packages |")
console.log("|---|---|---|---|")
for (const row of rows) console.log(row)
console.log("\nCommands: npm install --offline --no-audit --no-fund --ignore-scripts <specs>, in an empty project, with:")
for (const { label, specs } of sets) console.log(`- ${label}: ${specs.map((s) => s === tarball ? "<weftjs tarball>" : s).join(" ")}`)

rmSync(work, { recursive: true, force: true })
