/**
 * Per-step overhead of the engines (bench/fixtures.ts `engines`: the
 * in-memory engine now; the SQLite engine joins when the new core lands)
 * against the floors measured beside them: a plain Effect chain for every
 * engine, and the raw 1-row commit (NORMAL or FULL) for a SQLite one.
 *
 * The grid: chains of N = 10 and 100 steps, a state of 1 KB and 9 KB, 1 and
 * 10 runs at once. Per-step cost is marginal: (time of `runs` runs of 1 + N
 * steps − time of `runs` runs of the first step alone) / (runs × N), so a
 * run's fixed cost is not counted per step; it is printed apart (the run of
 * the first step alone, per run). Each sample uses a fresh engine (a fresh
 * store: the in-memory store's history would weigh on later samples; for a
 * file, a fresh file).
 */
import { Effect } from "effect"
import * as F from "./fixtures.js"
import { openRaw, plainChain, rawCommits, type Sync } from "./floor.js"
import * as S from "./stats.js"

export interface Options {
  readonly reps: number
  readonly warmup: number
  readonly lengths: ReadonlyArray<number>
  readonly sizes: ReadonlyArray<number>
  readonly concurrency: ReadonlyArray<number>
  /** Which engines of `F.engines` (default: all). */
  readonly engines?: ReadonlyArray<string> | undefined
}

export interface Row {
  readonly engine: string
  readonly sync: Sync | undefined
  readonly steps: number
  readonly bytes: number
  readonly runs: number
  readonly clock: S.Clock
  readonly perStep: S.Summary
  readonly fixed: S.Summary
  readonly floorName: string
  readonly floor: S.Summary
  readonly ratio: S.Summary
}

/** Runs per sample: about 2,000 steps, so that the marginal difference stands above the noise. */
const runsPer = (steps: number, runs: number): number => Math.max(1, Math.round(2000 / (steps * runs)))

/** Mean time of `inner` rounds of `runs` concurrent runs of the template on a fresh engine. */
const engineSample = (
  make: (file: string) => F.Runtime | Promise<F.Runtime>,
  template: F.Chain,
  data: F.Input,
  runs: number,
  inner: number
) =>
async (): Promise<S.Time> => {
  const file = F.tmpDb("engine")
  const runtime = await make(file)
  try {
    const stop = S.stopwatch()
    for (let i = 0; i < inner; i++) {
      await runtime.runPromise(
        Effect.all(Array.from({ length: runs }, () => F.chainRun(template, data)), { concurrency: "unbounded" })
      )
    }
    return S.mapTime(stop(), (t) => t / inner)
  } finally {
    await runtime.dispose()
    F.removeDb(file)
  }
}

export const run = async (options: Options): Promise<ReadonlyArray<Row>> => {
  const rows: Array<Row> = []
  const names = options.engines ?? Object.keys(F.engines)
  for (const name of names) {
    const layer = F.engines[name]
    if (layer === undefined) throw new Error(`no engine "${name}" in bench/fixtures.ts; known: ${Object.keys(F.engines)}`)
    const modes: ReadonlyArray<Sync | undefined> = name === "memory" ? [undefined] : ["NORMAL", "FULL"]
    for (const sync of modes) {
      const make = (file: string) => F.runtimeOf(layer(file, sync ?? "NORMAL"))
      const rawFile = F.tmpDb("engine-floor")
      const db = sync === undefined ? undefined : openRaw(rawFile, sync)
      try {
        for (const steps of options.lengths) {
          for (const bytes of options.sizes) {
            for (const runs of options.concurrency) {
              const data = F.input(bytes)
              const inner = runsPer(steps, runs)
              const [whole, head, floor] = await S.interleave(options.reps, options.warmup, [
                engineSample(make, F.chain(steps), data, runs, inner),
                engineSample(make, F.chain(0), data, runs, inner),
                db === undefined ? plainChain(steps * runs * inner) : rawCommits(db, steps * runs * inner)
              ])
              for (const clock of S.clocks) {
                const perStep = whole!.map((t, i) => (t[clock] - head![i]![clock]) / (steps * runs))
                const fixed = head!.map((t) => t[clock] / runs)
                const floorPer = floor!.map((t) => t[clock] / (steps * runs * inner))
                rows.push({
                  engine: name,
                  sync,
                  steps,
                  bytes,
                  runs,
                  clock,
                  perStep: S.summarize(perStep),
                  fixed: S.summarize(fixed),
                  floorName: db === undefined ? "plain Effect step" : `raw 1-row commit (${sync})`,
                  floor: S.summarize(floorPer),
                  ratio: S.summarize(S.pairedRatios(perStep, floorPer))
                })
              }
            }
          }
        }
      } finally {
        db?.close()
        F.removeDb(rawFile)
      }
    }
  }
  return rows
}

export const print = (rows: ReadonlyArray<Row>): void => {
  console.log("\n## Engines: per-step overhead vs the floor (marginal per step; fixed cost per run apart)")
  console.log(
    `${S.padEnd("engine", 14)} ${S.pad("N", 4)} ${S.pad("state", 6)} ${S.pad("runs", 4)} ${S.padEnd("clock", 5)} ${
      S.padEnd("per step", 30)
    } ${S.padEnd("floor per step", 30)} ${S.padEnd("ratio (paired)", 30)} fixed/run`
  )
  for (const row of rows) {
    console.log(
      `${S.padEnd(row.sync === undefined ? row.engine : `${row.engine} ${row.sync}`, 14)} ${S.pad(String(row.steps), 4)} ${
        S.pad(`${Math.round(row.bytes / 1024)}KB`, 6)
      } ${S.pad(String(row.runs), 4)} ${S.padEnd(row.clock, 5)} ${S.padEnd(S.show(row.perStep, S.us), 30)} ${
        S.padEnd(S.show(row.floor, S.us), 30)
      } ${S.padEnd(S.show(row.ratio, S.x), 30)} ${S.us(row.fixed.median)}`
    )
  }
  const floors = [...new Set(rows.map((row) => `${row.engine}: against ${row.floorName}`))]
  for (const floor of floors) console.log(`  ${floor}`)
}
