/**
 * weft's benchmarks, in one run (`npm run bench`):
 *
 * 1. in-memory engine vs a plain Effect chain, per step (bench/engine.ts);
 * 2. SQLite engine vs a raw better-sqlite3 floor, per step (bench/sqlite.ts);
 * 3. where the SQLite engine's per-step time goes, layer by layer (bench/breakdown.ts);
 * 4. checkpoint cost at 1 KB, 100 KB and 1 MB of state (bench/checkpoint.ts);
 * 5. throughput of 100 short runs, 10 at once (bench/throughput.ts);
 * 6. the type-check benchmark for chains of 10, 25 and 50 templates
 *    (bench/typecheck/run.ts, in a child process).
 *
 * Every figure is against a baseline measured in the same run, interleaved
 * with it (the machine may be shared and noisy): warm-up repetitions first,
 * then medians of several repetitions with their spread ([min–max], IQR).
 * Times are taken on two clocks: wall time and this process's CPU time
 * (user + system). Targets are judged on CPU time, which leaves out the time
 * other processes of a shared machine hold the cores (the work is CPU-bound:
 * WAL with synchronous=NORMAL does not sync on commit); wall ratios are
 * printed beside them.
 * Targets: SQLite per-step overhead ≤ 3x the raw floor; checkpoint cost at
 * 1 MB ≤ 1.5x that at 1 KB. Each is printed as PASS or MISS; a MISS does not
 * fail the command (a failing type-check benchmark does).
 *
 * Flags (`npm run bench -- --flag`):
 *   --only=memory,sqlite,breakdown,checkpoint,throughput,typecheck   run only these parts
 *   --skip=typecheck                                        skip some parts
 *   --quick                                                 fewer repetitions and steps (a smoke run)
 *   --typecheck-runs=N                                      tsc runs per size (default 1; 3 for steadier medians)
 *   --label=TEXT                                            printed in the header (e.g. "patched src")
 *
 * "weftjs" is resolved by tsx from tsconfig.json's `paths` (src/index.ts); to
 * bench a patched copy of the sources, run with another tsconfig:
 * `npx tsx --tsconfig path/to/tsconfig.json bench/run.ts --label=patched`.
 * Temp databases go to .bench-tmp/engine (gitignored) and are removed.
 */
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as Breakdown from "./breakdown.js"
import * as Checkpoint from "./checkpoint.js"
import * as Memory from "./engine.js"
import * as F from "./fixtures.js"
import * as Sqlite from "./sqlite.js"
import * as S from "./stats.js"
import * as Throughput from "./throughput.js"

const argument = (name: string): string | undefined =>
  process.argv.find((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))?.split("=").slice(1).join("=")
const flag = (name: string): boolean => process.argv.includes(`--${name}`)

const parts = ["memory", "sqlite", "breakdown", "checkpoint", "throughput", "typecheck"] as const
type Part = typeof parts[number]

const list = (value: string | undefined): ReadonlyArray<string> =>
  value === undefined || value === "" ? [] : value.split(",").map((s) => s.trim())

const only = list(argument("only"))
const skip = list(argument("skip"))
for (const name of [...only, ...skip]) {
  if (!(parts as ReadonlyArray<string>).includes(name)) {
    console.error(`unknown part "${name}"; parts: ${parts.join(", ")}`)
    process.exit(2)
  }
}
const enabled = (part: Part): boolean => (only.length === 0 || only.includes(part)) && !skip.includes(part)
const quick = flag("quick")
const typecheckRuns = Number(argument("typecheck-runs") ?? "1")
const label = argument("label")

const section = async <A>(name: string, f: () => Promise<A>): Promise<A> => {
  const started = S.now()
  process.stdout.write(`\n[${name}] measuring...`)
  const result = await f()
  process.stdout.write(` done in ${((S.now() - started) / 1000).toFixed(1)}s\n`)
  return result
}

const typecheck = (): boolean => {
  console.log(`\n## Type-check benchmark (bench/typecheck/run.ts --sizes=10,25,50 --runs=${typecheckRuns})`)
  const script = Path.join(process.cwd(), "bench", "typecheck", "run.ts")
  const result = ChildProcess.spawnSync(
    process.execPath,
    ["--import", "tsx", script, "--sizes=10,25,50", `--runs=${typecheckRuns}`],
    { stdio: "inherit", cwd: process.cwd() }
  )
  return result.status === 0
}

const main = async (): Promise<void> => {
  const started = S.now()
  console.log(`weft benchmarks ${new Date().toISOString()}${label === undefined ? "" : ` [${label}]`}`)
  console.log(`${F.machine()}${quick ? "; --quick" : ""}`)
  console.log("figures: median [min–max] IQR% over the repetitions; ratios are paired (same repetition)")
  const verdicts: Array<S.Verdict> = []
  const reps = quick ? 3 : 7
  const warmup = quick ? 1 : 2

  try {
    if (enabled("memory")) {
      const rows = await section("memory", () => Memory.run({ reps, warmup, lengths: quick ? [100] : [100, 1000] }))
      Memory.print(rows)
    }
    if (enabled("sqlite")) {
      const result = await section("sqlite", () => Sqlite.run({ reps, warmup, steps: quick ? 200 : 500 }))
      verdicts.push(Sqlite.print(result))
    }
    if (enabled("breakdown")) {
      const steps = quick ? 200 : 500
      const rows = await section("breakdown", () => Breakdown.run({ reps, warmup, steps }))
      Breakdown.print(rows, steps)
    }
    if (enabled("checkpoint")) {
      // 7000 steps: at 1 MB the runner writes its first full snapshot after ~6,500 steps of ~160 bytes
      const steps = quick ? 1500 : 7000
      const rows = await section("checkpoint", () =>
        Checkpoint.run({
          reps: quick ? 2 : 3,
          warmup: 1,
          steps,
          sizes: [1024, 100 * 1024, 1024 * 1024]
        }))
      verdicts.push(Checkpoint.print(rows, steps))
    }
    if (enabled("throughput")) {
      const options: Throughput.Options = { reps, warmup, runs: 100, concurrency: 10, steps: 5 }
      const rows = await section("throughput", () => Throughput.run(options))
      Throughput.print(rows, options)
    }
  } finally {
    F.cleanTmp()
  }

  let typecheckOk = true
  if (enabled("typecheck")) typecheckOk = typecheck()

  console.log("\n## Targets")
  for (const v of verdicts) console.log(`${v.pass ? "PASS" : "MISS"}  ${v.name} — ${v.detail}`)
  if (enabled("typecheck")) console.log(`${typecheckOk ? "OK  " : "FAIL"}  type-check benchmark (see its own verdict above)`)
  console.log(`\ntotal ${((S.now() - started) / 1000).toFixed(0)}s`)
  if (!typecheckOk) process.exitCode = 1
}

main().catch((error: unknown) => {
  console.error(error)
  F.cleanTmp()
  process.exitCode = 1
})
