/**
 * Throughput: 100 short runs (5 steps, each with 1 ms of simulated I/O and
 * ~100 bytes written) with 10 running at once, on the SQLite engine and the
 * in-memory engine, against a plain Effect doing the same steps with the
 * same concurrency (the baseline: what the work itself costs).
 */
import { Effect } from "effect"
import * as F from "./fixtures.js"
import * as S from "./stats.js"

export interface Options {
  readonly reps: number
  readonly warmup: number
  readonly runs: number
  readonly concurrency: number
  readonly steps: number
}

export interface Row {
  readonly name: string
  readonly clock: S.Clock
  readonly elapsed: S.Summary
  readonly ratio: S.Summary | undefined
}

const stepOptions: F.StepOptions = { sleep: "1 millis" }

const engineSample = (runtime: F.Runtime, template: F.Chain, data: F.Input, options: Options) => async () => {
  const stop = S.stopwatch()
  await runtime.runPromise(
    Effect.forEach(
      Array.from({ length: options.runs }, (_, i) => i),
      () => F.chainRun(template, data),
      { concurrency: options.concurrency, discard: true }
    )
  )
  return stop()
}

const plainSample = (options: Options) => async () => {
  const program = F.plainChain(options.steps - 1, stepOptions)
  const stop = S.stopwatch()
  await Effect.runPromise(
    Effect.forEach(Array.from({ length: options.runs }, (_, i) => i), () => program, {
      concurrency: options.concurrency,
      discard: true
    })
  )
  return stop()
}

export const run = async (options: Options): Promise<ReadonlyArray<Row>> => {
  const file = F.tmpDb("throughput")
  const sqlite = await F.runtimeOf(F.sqliteLayer(file))
  const memory = await F.runtimeOf(F.memoryLayer())
  const template = F.chain(options.steps - 1, stepOptions)
  const data = F.input(1024)
  try {
    const [plain, sql, mem] = await S.interleave(options.reps, options.warmup, [
      plainSample(options),
      engineSample(sqlite, template, data, options),
      engineSample(memory, template, data, options)
    ])
    return S.clocks.flatMap((clock): Array<Row> => {
      const of = (times: ReadonlyArray<S.Time>) => times.map((t) => t[clock])
      return [
        { name: "plain Effect (baseline)", clock, elapsed: S.summarize(of(plain!)), ratio: undefined },
        { name: "SQLite engine", clock, elapsed: S.summarize(of(sql!)), ratio: S.summarize(S.pairedRatios(of(sql!), of(plain!))) },
        { name: "in-memory engine", clock, elapsed: S.summarize(of(mem!)), ratio: S.summarize(S.pairedRatios(of(mem!), of(plain!))) }
      ]
    })
  } finally {
    await sqlite.dispose()
    await memory.dispose()
    F.removeDb(file)
  }
}

export const print = (rows: ReadonlyArray<Row>, options: Options): void => {
  console.log(
    `\n## Throughput: ${options.runs} runs of ${options.steps} steps (1 ms simulated I/O each), ${options.concurrency} at once`
  )
  console.log(`${S.padEnd("", 24)}${S.padEnd("clock", 6)}${S.padEnd("elapsed", 34)} ${S.padEnd("runs/s", 8)} vs baseline (paired)`)
  for (const row of rows) {
    console.log(
      `${S.padEnd(row.name, 24)}${S.padEnd(row.clock, 6)}${S.padEnd(S.show(row.elapsed, S.msFmt), 34)} ${
        S.padEnd(row.clock === "wall" ? (options.runs / (row.elapsed.median / 1000)).toFixed(0) : "", 8)
      } ${row.ratio === undefined ? "-" : S.show(row.ratio, S.x)}`
    )
  }
}
