/**
 * A profile summary of the benchmarks: the top entries by self time.
 *
 * tsx compiles each module to one minified line, which leaves a profile
 * without function names or lines, so this bundles bench/run.ts with esbuild
 * (not minified, so V8 names the functions; packages stay external), runs the bundle under
 * `node --cpu-prof` with the arguments given, and prints the functions with
 * the most self time, each with the source module it comes from.
 *
 * Run: `npx tsx --conditions=weft-source bench/profile.ts [--top=25] [--entry=bench/hot.ts] -- --only=store --quick`
 * (the arguments after `--` go to the entry, bench/run.ts by default; bench/hot.ts
 * loops over one engine cell). Files go to .bench-tmp/prof.
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}

interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

export interface Entry {
  readonly name: string
  readonly where: string
  readonly ms: number
  readonly share: number
}

const root = process.cwd()
const dir = Path.join(root, ".bench-tmp", "prof")

/** For a bundle, the source module of each line (esbuild marks each module's start with `// path`). */
const moduleLines = (bundle: string): ReadonlyArray<string> => {
  const lines = Fs.readFileSync(bundle, "utf8").split("\n")
  let current = Path.relative(root, bundle)
  return lines.map((line) => {
    const marker = /^\/\/ ((?:src|bench|node_modules)\/\S+\.[cm]?[jt]s)$/.exec(line)
    if (marker !== null) current = marker[1]!
    return current
  })
}

const place = (url: string, line: number, bundles: Map<string, ReadonlyArray<string>>): string => {
  if (url === "") return ""
  const path = url.replace(/^file:\/\//, "")
  const nodeModules = path.lastIndexOf("node_modules/")
  if (nodeModules >= 0) return path.slice(nodeModules + "node_modules/".length)
  if (path.endsWith(".mjs") && path.startsWith(dir)) {
    if (!bundles.has(path)) bundles.set(path, moduleLines(path))
    return `${bundles.get(path)![line] ?? path} (bundle line ${line + 1})`
  }
  return path.startsWith("node:") ? path : Path.relative(root, path)
}

/** Self time per function (ms), largest first. */
export const summarize = (profile: Profile): ReadonlyArray<Entry> => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const bundles = new Map<string, ReadonlyArray<string>>()
  const self = new Map<string, { name: string; where: string; ms: number }>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)
    if (node === undefined) return
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    const frame = node.callFrame
    const name = frame.functionName === "" ? "(anonymous)" : frame.functionName
    const where = place(frame.url, frame.lineNumber, bundles)
    const key = `${name} ${where}`
    const entry = self.get(key) ?? { name, where, ms: 0 }
    entry.ms += ms
    self.set(key, entry)
    total += ms
  })
  return [...self.values()].map((e) => ({ ...e, share: total === 0 ? 0 : e.ms / total })).sort((a, b) => b.ms - a.ms)
}

const main = (): void => {
  const separator = process.argv.indexOf("--")
  const own = separator < 0 ? process.argv.slice(2) : process.argv.slice(2, separator)
  const forwarded = separator < 0 ? [] : process.argv.slice(separator + 1)
  const top = Number(own.find((a) => a.startsWith("--top="))?.slice(6) ?? "25")
  Fs.rmSync(dir, { recursive: true, force: true })
  Fs.mkdirSync(dir, { recursive: true })
  const entry = own.find((a) => a.startsWith("--entry="))?.slice(8) ?? "bench/run.ts"
  const bundle = Path.join(dir, "run.mjs")
  const esbuild = ChildProcess.spawnSync(Path.join(root, "node_modules", ".bin", "esbuild"), [
    entry,
    "--bundle",
    "--platform=node",
    "--format=esm",
    "--packages=external",
    "--conditions=weft-source",
    // weft itself from its sources (with packages external, `weftjs` would resolve to dist/)
    "--alias:weftjs=./src/index.ts",
    "--alias:weftjs/sqlite=./src/sqlite.ts",
    "--alias:weftjs/pg=./src/pg.ts",
    `--outfile=${bundle}`
  ], { stdio: "inherit", cwd: root })
  if (esbuild.status !== 0) process.exit(1)
  const run = ChildProcess.spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, bundle, ...forwarded], {
    stdio: "inherit",
    cwd: root
  })
  if (run.status !== 0) process.exit(1)
  const file = Fs.readdirSync(dir).find((f) => f.endsWith(".cpuprofile"))
  if (file === undefined) throw new Error("no profile written")
  const entries = summarize(JSON.parse(Fs.readFileSync(Path.join(dir, file), "utf8")) as Profile)
  console.log(`\n## Profile: top ${top} by self time (node --cpu-prof; ${entry} ${forwarded.join(" ")})`)
  console.log("| self ms | share | function | module |")
  console.log("|--------:|------:|----------|--------|")
  console.log("(native calls into better-sqlite3 count as self time of the JS function that makes them)")
  for (const e of entries.slice(0, top)) {
    console.log(`| ${e.ms.toFixed(0)} | ${(e.share * 100).toFixed(1)}% | \`${e.name}\` | ${e.where} |`)
  }
}

main()
