/**
 * Type-check benchmark of `composeWorkflow` over long chains.
 *
 * For each N (default 10, 25, 50, 100) it generates (bench/typecheck/generate.ts)
 * a chain of N two-step templates composed with one `composeWorkflow` call,
 * and a baseline with the same templates and no composition, into
 * `.bench-tmp/typecheck/` (gitignored). It runs `tsc --noEmit
 * --extendedDiagnostics` on each 3 times, takes the medians, and prints check
 * time, instantiations and memory with ratios against the first N and against
 * the baseline. A row whose check reports "excessively deep" (TS2589) or any
 * other error in the generated file is marked and makes the run fail. Then a
 * mis-wired chain (default N=50) must fail with exactly one error, an
 * sentence naming the key and both types, and that error is printed.
 *
 * Run: `npx tsx --conditions=weft-source bench/typecheck/run.ts [--sizes=10,25,50,100] [--runs=3] [--wrong-size=50] [--entry=path/to/index.ts]`
 * (`--entry`: what "weftjs" resolves to, default src/index.ts; to compare a patched copy.)
 */
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { generate, type Generated, projectRoot } from "./generate.js"

interface Metrics {
  readonly checkTime: number
  readonly totalTime: number
  readonly instantiations: number
  readonly types: number
  readonly memoryMb: number
}

interface Outcome {
  readonly status: number
  readonly output: string
  readonly metrics: Metrics
  /** Errors in the generated file, and any "excessively deep" anywhere. */
  readonly own: ReadonlyArray<string>
  /** Errors elsewhere (work in progress in the library): reported, not counted. */
  readonly foreign: ReadonlyArray<string>
}

interface Measured {
  readonly metrics: Metrics
  readonly own: ReadonlyArray<string>
}

const argument = (name: string, fallback: string): string =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback

const sizes = argument("sizes", "10,25,50,100").split(",").map(Number)
const runs = Number(argument("runs", "3"))
const wrongSize = Number(argument("wrong-size", "50"))
const entryArgument = argument("entry", "")
const entry = entryArgument === "" ? undefined : entryArgument

const root = Path.join(projectRoot, ".bench-tmp", "typecheck")
const tsc = Path.join(projectRoot, "node_modules", "typescript", "bin", "tsc")

const number = (output: string, label: string): number => {
  const match = new RegExp(`^${label}:\\s+([\\d.]+)`, "m").exec(output)
  if (match === null) throw new Error(`tsc --extendedDiagnostics printed no "${label}":\n${output}`)
  return Number(match[1])
}

const isDeep = (line: string): boolean => /excessively deep|TS2589/i.test(line)

const typecheck = (generated: Generated): Outcome => {
  const result = ChildProcess.spawnSync(
    process.execPath,
    [tsc, "--noEmit", "--extendedDiagnostics", "-p", Path.join(generated.dir, "tsconfig.json")],
    { cwd: projectRoot, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }
  )
  const output = `${result.stdout}${result.stderr}`
  const errors = output.split("\n").filter((line) => /error TS\d+/.test(line))
  const own = errors.filter((line) => line.includes(`${generated.variant}-${generated.size}/flow.ts`) || isDeep(line))
  return {
    status: result.status ?? -1,
    output,
    own,
    foreign: errors.filter((line) => !own.includes(line)),
    metrics: {
      checkTime: number(output, "Check time"),
      totalTime: number(output, "Total time"),
      instantiations: number(output, "Instantiations"),
      types: number(output, "Types"),
      memoryMb: number(output, "Memory used") / 1024
    }
  }
}

const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

const foreign = new Set<string>()

const measure = (generated: Generated): Measured => {
  const outcomes: Array<Outcome> = []
  for (let i = 0; i < runs; i++) {
    const outcome = typecheck(generated)
    for (const line of outcome.foreign) foreign.add(line)
    outcomes.push(outcome)
  }
  return {
    own: outcomes[0]!.own,
    metrics: {
      checkTime: median(outcomes.map((o) => o.metrics.checkTime)),
      totalTime: median(outcomes.map((o) => o.metrics.totalTime)),
      instantiations: median(outcomes.map((o) => o.metrics.instantiations)),
      types: median(outcomes.map((o) => o.metrics.types)),
      memoryMb: median(outcomes.map((o) => o.metrics.memoryMb))
    }
  }
}

const pad = (value: string, width: number): string => value.padStart(width)
const seconds = (value: number): string => `${value.toFixed(2)}s`
const ratio = (a: number, b: number): string => (b === 0 ? "-" : `${(a / b).toFixed(2)}x`)
const thousands = (value: number): string => value.toLocaleString("en-US")
const status = (measured: Measured): string =>
  measured.own.length === 0
    ? "ok"
    : measured.own.some(isDeep)
    ? `TS2589 x${measured.own.filter(isDeep).length}`
    : `${measured.own.length} error(s)`

const main = (): void => {
  Fs.rmSync(root, { recursive: true, force: true })
  Fs.mkdirSync(root, { recursive: true })
  const typescriptVersion = (JSON.parse(
    Fs.readFileSync(Path.join(projectRoot, "node_modules", "typescript", "package.json"), "utf8")
  ) as { version: string }).version
  console.log(`tsc ${typescriptVersion}, node ${process.version}; ${runs} runs each, medians; sources in ${root}`)
  console.log(`"weftjs" is ${entry ?? "src/index.ts"}`)

  const rows: Array<{ size: number; compose: Measured; baseline: Measured }> = []
  for (const size of sizes) {
    process.stdout.write(`N=${size}: compose...`)
    const compose = measure(generate(root, size, "compose", entry))
    process.stdout.write(" baseline...")
    const baseline = measure(generate(root, size, "baseline", entry))
    console.log(` ${status(compose)}`)
    rows.push({ size, compose, baseline })
  }

  const first = rows[0]!
  const firstDelta = first.compose.metrics.instantiations - first.baseline.metrics.instantiations
  const header = [
    pad("N", 4),
    pad("status", 11),
    pad("check", 7),
    pad("base", 7),
    pad("Δcheck", 7),
    pad("total", 7),
    pad("instantiations", 15),
    pad("base inst", 10),
    pad("Δinst", 10),
    pad("MB", 5),
    pad("base MB", 8),
    pad(`chk/N${first.size}`, 9),
    pad(`Δchk/N${first.size}`, 10),
    pad(`Δinst/N${first.size}`, 11),
    pad("chk/base", 9),
    pad("inst/base", 10)
  ].join(" ")
  console.log(`\n${header}\n${"-".repeat(header.length)}`)
  for (const { baseline: b, compose: c, size } of rows) {
    const deltaInst = c.metrics.instantiations - b.metrics.instantiations
    console.log([
      pad(String(size), 4),
      pad(status(c), 11),
      pad(seconds(c.metrics.checkTime), 7),
      pad(seconds(b.metrics.checkTime), 7),
      pad(seconds(c.metrics.checkTime - b.metrics.checkTime), 7),
      pad(seconds(c.metrics.totalTime), 7),
      pad(thousands(c.metrics.instantiations), 15),
      pad(thousands(b.metrics.instantiations), 10),
      pad(thousands(deltaInst), 10),
      pad(c.metrics.memoryMb.toFixed(0), 5),
      pad(b.metrics.memoryMb.toFixed(0), 8),
      pad(ratio(c.metrics.checkTime, first.compose.metrics.checkTime), 9),
      pad(
        ratio(
          c.metrics.checkTime - b.metrics.checkTime,
          first.compose.metrics.checkTime - first.baseline.metrics.checkTime
        ),
        10
      ),
      pad(ratio(deltaInst, firstDelta), 11),
      pad(ratio(c.metrics.checkTime, b.metrics.checkTime), 9),
      pad(ratio(c.metrics.instantiations, b.metrics.instantiations), 10)
    ].join(" "))
  }
  console.log(
    "\ncheck/total: tsc's Check/Total time for the composed chain (median); base: the same templates, not composed;" +
      "\nΔ: composed minus baseline, i.e. the cost of composeWorkflow itself; MB: tsc's Memory used."
  )
  for (const { compose, size } of rows) {
    if (compose.own.length > 0) {
      console.log(`\nN=${size}: ${compose.own.length} error(s) in the composed chain:`)
      for (const line of compose.own) console.log(`  ${line}`)
    }
  }

  // A mis-wired chain must fail with one readable error naming the key.
  const wrong = generate(root, wrongSize, "wrong", entry)
  const outcome = typecheck(wrong)
  for (const line of outcome.foreign) foreign.add(line)
  const deep = outcome.own.some(isDeep)
  const expected = `weft: key '${wrong.wrongKey}' is provided as number upstream but required as string here`
  const message = outcome.output
    .split("\n")
    .filter((line) => !/^[A-Za-z][\w /]*:\s+[\d.]+[sK]?$/.test(line) && !foreign.has(line))
    .join("\n")
    .trim()
  const namesKey = message.includes(expected)
  console.log(`\nwrong variant: N=${wrongSize}, t${wrong.wrongAt} reads ${wrong.wrongKey} as string (written as number)`)
  console.log(`  ${outcome.own.length} error(s) in the generated file; excessively deep: ${deep ? "YES" : "no"}`)
  console.log(`  check ${seconds(outcome.metrics.checkTime)}, ${thousands(outcome.metrics.instantiations)} instantiations`)
  console.log(`  the error names ${expected}: ${namesKey ? "yes" : "NO"}`)
  console.log("  tsc says:")
  console.log(message.split("\n").map((line) => `    ${line}`).join("\n"))

  if (foreign.size > 0) {
    console.log(`\nnote: tsc also reported ${foreign.size} error(s) outside the generated files (not counted):`)
    for (const line of foreign) console.log(`  ${line}`)
  }

  const failures = [
    ...rows.filter((row) => row.compose.own.length > 0).map((row) => `N=${row.size}: ${status(row.compose)}`),
    ...rows.filter((row) => row.baseline.own.length > 0).map((row) => `baseline N=${row.size}: ${status(row.baseline)}`),
    outcome.own.length === 0 ? "the wrong variant type-checked" : undefined,
    outcome.own.length > 1 ? `the wrong variant has ${outcome.own.length} errors, expected 1` : undefined,
    namesKey ? undefined : "the wrong variant's error does not name the key and both types",
    deep ? "the wrong variant is excessively deep" : undefined
  ].filter((failure) => failure !== undefined)
  if (failures.length > 0) {
    console.log(`\nFAILED: ${failures.join("; ")}`)
    process.exitCode = 1
  } else {
    console.log("\nOK: no excessively deep instantiation; the mis-wired chain names the key")
  }
}

main()
