/**
 * weft's benchmarks, in one run (`npm run bench`):
 *
 * 1. `store`: the SQLite store against the raw better-sqlite3 1-row commit
 *    (NORMAL and FULL): a checkpoint alone and with 10 runs at once (group
 *    commit), a run's fixed cost, a 10-step run (bench/store.ts);
 * 2. `cursor`: how a checkpoint keeps the run's cursor: trigger, INSERT +
 *    UPDATE, fenced INSERT only (bench/cursor.ts);
 * 3. `engine`: engines per step against their floor (a plain Effect chain;
 *    the raw 1-row commit for a SQLite engine): N = 10 and 100 steps, 1 KB
 *    and 9 KB of state, 1 and 10 runs at once (bench/engine.ts);
 * 4. `typecheck`: the type-check benchmark for chains of 10, 25 and 50
 *    templates (bench/typecheck/run.ts, in a child process).
 * 5. `pg`: PostgreSQL — per step vs a raw committed INSERT, runs/s with 1, 2
 *    and 4 worker processes, claim and wake-up latency, failover (and SQLite
 *    failover) (bench/pg.ts, in a child process; says so and skips when no
 *    server is reachable).
 *
 * Every figure is a ratio against a floor measured in the same process,
 * interleaved with it (the machine may be shared and noisy): warm-up
 * repetitions first, then medians of several repetitions with their spread
 * ([min–max], IQR). Times are taken on two clocks: wall time and this
 * process's CPU time (user + system). Targets are judged on CPU time under
 * NORMAL (which leaves out other processes holding the cores), on wall time
 * under FULL (where the time goes to fsync). Each is printed PASS or MISS; a
 * MISS does not fail the command (a failing type-check benchmark does).
 *
 * Flags (`npm run bench -- --flag`):
 *   --only=store,cursor,engine,typecheck,pg   run only these parts
 *   --skip=typecheck                       skip some parts
 *   --quick                                fewer repetitions and rows (a smoke run)
 *   --engines=memory,sqlite                the engine part's engines (default: all)
 *   --sync=NORMAL,FULL                     the engine part's SQLite modes (default: both)
 *   --lengths=10,100 --sizes=1024,9216 --concurrency=1,10
 *                                          the engine part's grid (default: these)
 *   --typecheck-runs=N                     tsc runs per size (default 1)
 *   --label=TEXT                           printed in the header
 *
 * Temp databases go to .bench-tmp/engine (gitignored) and are removed.
 */
import * as ChildProcess from "node:child_process"
import * as Path from "node:path"
import * as Cursor from "./cursor.js"
import * as Engine from "./engine.js"
import * as F from "./fixtures.js"
import * as S from "./stats.js"
import * as Store from "./store.js"

const argument = (name: string): string | undefined =>
  process.argv.find((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))?.split("=").slice(1).join("=")
const flag = (name: string): boolean => process.argv.includes(`--${name}`)

const parts = ["store", "cursor", "engine", "typecheck", "pg"] as const
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
    ["--import", "tsx", "--conditions=weft-source", script, "--sizes=10,25,50", `--runs=${typecheckRuns}`],
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
    if (enabled("store")) {
      const rows = await section("store", () =>
        Store.run({ reps, warmup, rows: quick ? { NORMAL: 500, FULL: 100 } : { NORMAL: 2000, FULL: 300 } }))
      verdicts.push(...Store.print(rows))
    }
    if (enabled("cursor")) {
      const rows = await section("cursor", () => Cursor.run({ reps, warmup, rows: quick ? 1000 : 4000 }))
      Cursor.print(rows)
    }
    if (enabled("engine")) {
      const numbers = (name: string, fallback: ReadonlyArray<number>): ReadonlyArray<number> => {
        const given = list(argument(name))
        return given.length === 0 ? fallback : given.map(Number)
      }
      const engines = list(argument("engines"))
      const syncs = list(argument("sync")) as ReadonlyArray<"NORMAL" | "FULL">
      const rows = await section("engine", () =>
        Engine.run({
          reps,
          warmup,
          lengths: numbers("lengths", [10, 100]),
          sizes: numbers("sizes", [1024, 9 * 1024]),
          concurrency: numbers("concurrency", [1, 10]),
          engines: engines.length === 0 ? undefined : engines,
          syncs: syncs.length === 0 ? undefined : syncs,
          budget: quick ? { memory: 1000, NORMAL: 600, FULL: 100 } : { memory: 4000, NORMAL: 2000, FULL: 300 }
        }))
      verdicts.push(...Engine.print(rows))
    }
  } finally {
    F.cleanTmp()
  }

  let typecheckOk = true
  if (enabled("typecheck")) typecheckOk = typecheck()
  // --- pg (bench/pg.ts): its own process, its own figures and targets ---
  if (enabled("pg")) {
    console.log("\n## PostgreSQL benchmark (bench/pg.ts)")
    ChildProcess.spawnSync(
      process.execPath,
      ["--import", "tsx", "--conditions=weft-source", Path.join(process.cwd(), "bench", "pg.ts"), ...(quick ? ["--quick"] : [])],
      { stdio: "inherit", cwd: process.cwd() }
    )
  }
  // --- end pg ---

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
