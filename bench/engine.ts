/**
 * Per-step overhead of the engines (bench/fixtures.ts `engines`: the
 * in-memory engine and the SQLite engine) against the floors measured beside
 * them: a plain Effect chain for the in-memory engine, the raw 1-row commit
 * (NORMAL or FULL) for the SQLite engine (with the plain Effect chain's
 * figure printed beside it too).
 *
 * The grid: chains of N = 10 and 100 steps, a state of 1 KB and 9 KB, 1 and
 * 10 runs at once. Two figures per cell:
 *
 * - marginal per step: (time of `runs` runs of N steps − time of `runs`
 *   runs of the first step alone) / (runs × (N − 1)), so a run's fixed cost
 *   is not counted per step; the fixed cost is printed apart (the run of the
 *   first step alone, per run, that step included);
 * - whole run per step: the time of the runs of N steps, fixed cost
 *   included, / (runs × N).
 *
 * Each sample uses a fresh engine (a fresh store: the in-memory store's
 * history would weigh on later samples; for a file, a fresh file), built
 * before its clock starts.
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
  /** Which `synchronous` modes for a SQLite engine (default: NORMAL and FULL). */
  readonly syncs?: ReadonlyArray<Sync> | undefined
  /** About how many steps one sample runs, by mode (FULL syncs every lone commit: fewer). */
  readonly budget: { readonly memory: number; readonly NORMAL: number; readonly FULL: number }
}

export interface Row {
  readonly engine: string
  readonly sync: Sync | undefined
  readonly steps: number
  readonly bytes: number
  readonly runs: number
  readonly clock: S.Clock
  /** Marginal per step. */
  readonly perStep: S.Summary
  /** The whole run (fixed cost included) per step. */
  readonly wholePerStep: S.Summary
  readonly fixed: S.Summary
  readonly floorName: string
  readonly floor: S.Summary
  readonly ratio: S.Summary
  readonly wholeRatio: S.Summary
  /** The plain Effect step, per step (the in-memory engine's floor; printed beside a SQLite engine). */
  readonly plain: S.Summary
}

/** Rounds per sample: about `budget` steps, so that the marginal difference stands above the noise. */
const roundsPer = (budget: number, steps: number, runs: number): number => Math.max(1, Math.round(budget / (steps * runs)))

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
    const round: Effect.Effect<unknown, unknown, F.EngineTag> = runs === 1
      ? F.chainRun(template, data)
      : Effect.all(Array.from({ length: runs }, () => F.chainRun(template, data)), { concurrency: "unbounded" })
    const stop = S.stopwatch()
    for (let i = 0; i < inner; i++) await runtime.runPromise(round)
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
    const modes: ReadonlyArray<Sync | undefined> = name === "memory" ? [undefined] : options.syncs ?? ["NORMAL", "FULL"]
    for (const sync of modes) {
      const make = (file: string) => F.runtimeOf(layer(file, sync ?? "NORMAL"))
      const rawFile = F.tmpDb("engine-floor")
      const db = sync === undefined ? undefined : openRaw(rawFile, sync)
      const budget = options.budget[sync ?? "memory"]
      try {
        for (const steps of options.lengths) {
          for (const bytes of options.sizes) {
            for (const runs of options.concurrency) {
              const data = F.input(bytes)
              const inner = roundsPer(budget, steps, runs)
              const total = steps * runs * inner
              const tasks = [
                engineSample(make, F.chain(steps), data, runs, inner),
                engineSample(make, F.chain(1), data, runs, inner),
                plainChain(total)
              ]
              if (db !== undefined) tasks.push(rawCommits(db, total))
              const [whole, head, plain, raw] = await S.interleave(options.reps, options.warmup, tasks)
              for (const clock of S.clocks) {
                const perStep = whole!.map((t, i) => (t[clock] - head![i]![clock]) / ((steps - 1) * runs))
                const wholePerStep = whole!.map((t) => t[clock] / (steps * runs))
                const fixed = head!.map((t) => t[clock] / runs)
                const plainPer = plain!.map((t) => t[clock] / total)
                const floorPer = raw === undefined ? plainPer : raw.map((t) => t[clock] / total)
                rows.push({
                  engine: name,
                  sync,
                  steps,
                  bytes,
                  runs,
                  clock,
                  perStep: S.summarize(perStep),
                  wholePerStep: S.summarize(wholePerStep),
                  fixed: S.summarize(fixed),
                  floorName: db === undefined ? "plain Effect step" : `raw 1-row commit (${sync})`,
                  floor: S.summarize(floorPer),
                  ratio: S.summarize(S.pairedRatios(perStep, floorPer)),
                  wholeRatio: S.summarize(S.pairedRatios(wholePerStep, floorPer)),
                  plain: S.summarize(plainPer)
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

const label = (row: Row): string => row.sync === undefined ? row.engine : `${row.engine} ${row.sync}`

export const print = (rows: ReadonlyArray<Row>): ReadonlyArray<S.Verdict> => {
  console.log("\n## Engines: per step vs the floor (marginal per step; whole run incl. its fixed cost per step; fixed cost per run)")
  console.log(
    `${S.padEnd("engine", 13)} ${S.pad("N", 4)} ${S.pad("state", 5)} ${S.pad("runs", 4)} ${S.padEnd("clock", 5)} ${
      S.padEnd("marginal/step", 27)
    } ${S.padEnd("floor/step", 27)} ${S.padEnd("marginal/floor", 27)} ${S.padEnd("whole/floor", 27)} ${
      S.padEnd("fixed/run", 10)
    } plain Effect/step`
  )
  for (const row of rows) {
    console.log(
      `${S.padEnd(label(row), 13)} ${S.pad(String(row.steps), 4)} ${S.pad(`${Math.round(row.bytes / 1024)}KB`, 5)} ${
        S.pad(String(row.runs), 4)
      } ${S.padEnd(row.clock, 5)} ${S.padEnd(S.show(row.perStep, S.us), 27)} ${S.padEnd(S.show(row.floor, S.us), 27)} ${
        S.padEnd(S.show(row.ratio, S.x), 27)
      } ${S.padEnd(S.show(row.wholeRatio, S.x), 27)} ${S.padEnd(S.us(row.fixed.median), 10)} ${S.us(row.plain.median)}`
    )
  }
  const floors = [...new Set(rows.map((row) => `${label(row)}: against ${row.floorName}`))]
  for (const floor of floors) console.log(`  ${floor}`)
  return verdicts(rows)
}

/** The targets of issue 24 (the engine at the database's floor), each judged on the worst cell of the grid it covers. */
export const verdicts = (rows: ReadonlyArray<Row>): ReadonlyArray<S.Verdict> => {
  const out: Array<S.Verdict> = []
  const pick = (engine: string, sync: Sync | undefined, clock: S.Clock, where: (row: Row) => boolean) =>
    rows.filter((r) => r.engine === engine && r.sync === sync && r.clock === clock && where(r))
  const worst = (cells: ReadonlyArray<Row>, value: (row: Row) => number) =>
    cells.reduce<Row | undefined>((w, r) => (w === undefined || value(r) > value(w) ? r : w), undefined)
  const cell = (row: Row) => `N=${row.steps}, ${Math.round(row.bytes / 1024)} KB, ${row.runs} run${row.runs === 1 ? "" : "s"}`
  const within = (name: string, value: number, limit: number, detail: string, unit: (n: number) => string) =>
    out.push({ name, pass: value <= limit, detail: `${detail}: ${unit(value)} (target ≤ ${unit(limit)})` })

  for (const [steps, limit] of [[10, 1.5], [100, 1.15]] as const) {
    const whole = worst(pick("sqlite", "NORMAL", "cpu", (r) => r.runs === 1 && r.steps === steps), (r) => r.wholeRatio.median)
    if (whole !== undefined) {
      out.push(S.verdict(`engine SQLite, whole run per step incl. fixed cost, N=${steps}, NORMAL (CPU)`, whole.wholeRatio.median, limit, `worst cell ${cell(whole)}, vs 1-row floor`))
    }
  }
  const fixed = worst(pick("sqlite", "NORMAL", "cpu", (r) => r.runs === 1), (r) => r.fixed.median)
  if (fixed !== undefined) {
    within("engine SQLite, a run's fixed cost, NORMAL (CPU)", fixed.fixed.median, 0.2, `worst cell ${cell(fixed)}`, S.us)
  }
  const group = worst(pick("sqlite", "NORMAL", "cpu", (r) => r.runs === 10), (r) => r.ratio.median)
  if (group !== undefined) {
    out.push(S.verdict("engine SQLite, 10 runs at once, marginal per step, NORMAL (CPU)", group.ratio.median, 1, `worst cell ${cell(group)}, below the 1-row floor`))
  }
  const full = worst(pick("sqlite", "FULL", "wall", (r) => r.runs === 10), (r) => r.ratio.median)
  if (full !== undefined) {
    out.push({
      name: "engine SQLite, 10 runs at once, marginal per step, FULL (wall) — reported",
      pass: true,
      detail: `worst cell ${cell(full)}: ${S.x(full.ratio.median)} of the FULL 1-row floor (${S.us(full.perStep.median)} vs ${S.us(full.floor.median)})`
    })
  }
  const memory = worst(pick("memory", undefined, "cpu", () => true), (r) => r.perStep.median)
  if (memory !== undefined) {
    within("engine memory, marginal per step (CPU)", memory.perStep.median, 0.005, `worst cell ${cell(memory)} (plain Effect step ${S.us(memory.plain.median)})`, S.us)
  }
  const memoryFixed = worst(pick("memory", undefined, "cpu", (r) => r.runs === 1), (r) => r.fixed.median)
  if (memoryFixed !== undefined) {
    within("engine memory, a run's fixed cost (CPU)", memoryFixed.fixed.median, 0.1, `worst cell ${cell(memoryFixed)}`, S.us)
  }
  return out
}
