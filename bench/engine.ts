/**
 * Per-step overhead of the in-memory engine (`Engine.layerMemory` with the
 * benchmark settings: retries off, no timeouts) against a plain Effect chain
 * doing the same work.
 *
 * The engine's per-step cost is marginal: (time of a run of 1 + N steps −
 * time of a run of the first step alone) / N, so the fixed cost of a run
 * (input validation, creating and closing the run) is not counted per step;
 * the plain chain's is its time / (N + 1). Each sample is the
 * mean of a few runs on a fresh engine (a fresh store: the in-memory store's
 * history of earlier runs would otherwise weigh on later ones).
 */
import { Effect } from "effect"
import * as F from "./fixtures.js"
import * as S from "./stats.js"

export interface Options {
  readonly reps: number
  readonly warmup: number
  readonly lengths: ReadonlyArray<number>
}

export interface Row {
  readonly steps: number
  readonly clock: S.Clock
  readonly engine: S.Summary
  readonly plain: S.Summary
  readonly ratio: S.Summary
  readonly overhead: S.Summary
}

const runsPer = (steps: number): number => Math.max(1, Math.round(400 / steps))

/** Mean time (ms) of `inner` runs of the template on a fresh in-memory engine. */
const engineSample = (template: F.Chain, data: F.Input, inner: number) => async (): Promise<S.Time> => {
  const runtime = await F.runtimeOf(F.memoryLayer())
  try {
    const stop = S.stopwatch()
    for (let i = 0; i < inner; i++) await F.runChain(runtime, template, data)
    return S.mapTime(stop(), (t) => t / inner)
  } finally {
    await runtime.dispose()
  }
}

const plainSample = (program: Effect.Effect<F.Output>, inner: number) => async (): Promise<S.Time> => {
  const stop = S.stopwatch()
  for (let i = 0; i < inner; i++) await Effect.runPromise(program)
  return S.mapTime(stop(), (t) => t / inner)
}

export const run = async (options: Options): Promise<ReadonlyArray<Row>> => {
  const data = F.input(1024)
  const rows: Array<Row> = []
  const head = F.chain(0)
  for (const steps of options.lengths) {
    const inner = runsPer(steps)
    const [engineN, engine0, plainN] = await S.interleave(options.reps, options.warmup, [
      engineSample(F.chain(steps), data, inner),
      engineSample(head, data, inner * 4),
      plainSample(F.plainChain(steps), inner * 20)
    ])
    for (const clock of S.clocks) {
      const enginePer = engineN!.map((t, i) => (t[clock] - engine0![i]![clock]) / steps)
      // a plain step costs well under a microsecond: per step of the whole chain
      const plainPer = plainN!.map((t) => t[clock] / (steps + 1))
      rows.push({
        steps,
        clock,
        engine: S.summarize(enginePer),
        plain: S.summarize(plainPer),
        ratio: S.summarize(S.pairedRatios(enginePer, plainPer)),
        overhead: S.summarize(enginePer.map((t, i) => t - plainPer[i]!))
      })
    }
  }
  return rows
}

export const print = (rows: ReadonlyArray<Row>): void => {
  console.log("\n## In-memory engine vs plain Effect (per step; 1 KB state)")
  console.log(
    `${S.pad("steps", 6)} ${S.padEnd("clock", 5)} ${S.padEnd("engine/step", 34)} ${S.padEnd("plain Effect/step", 34)} ${
      S.padEnd("overhead/step", 34)
    } ratio (paired)`
  )
  for (const row of rows) {
    console.log(
      `${S.pad(String(row.steps), 6)} ${S.padEnd(row.clock, 5)} ${S.padEnd(S.show(row.engine, S.us), 34)} ${
        S.padEnd(S.show(row.plain, S.us), 34)
      } ${S.padEnd(S.show(row.overhead, S.us), 34)} ${S.show(row.ratio, S.x)}`
    )
  }
  const cpu = rows.filter((row) => row.clock === "cpu")
  if (cpu.length >= 2) {
    const first = cpu[0]!
    const last = cpu[cpu.length - 1]!
    console.log(
      `engine per-step CPU at ${last.steps} steps / at ${first.steps} steps: ${
        S.x(last.engine.median / first.engine.median)
      } (1.00x = independent of the run's length)`
    )
  }
}
