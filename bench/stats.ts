/**
 * Small statistics and timing helpers shared by the benchmarks: medians and
 * spreads of repeated samples, paired ratios of interleaved measurements,
 * and formatting.
 */
import { performance } from "node:perf_hooks"

export const now = (): number => performance.now()

/** CPU time of this process (user + system, all its threads), in ms. */
export const cpuNow = (): number => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}

/**
 * A measurement in two clocks (ms): wall time, and the process's CPU time,
 * which leaves out the time other processes of a shared machine hold the
 * cores (the work measured here is CPU-bound: WAL with synchronous=NORMAL does
 * not sync on commit).
 */
export interface Time {
  readonly wall: number
  readonly cpu: number
}

export type Clock = keyof Time

export const clocks: ReadonlyArray<Clock> = ["cpu", "wall"]

/** Starts both clocks; the returned function reads the time elapsed. */
export const stopwatch = (): () => Time => {
  const wall = now()
  const cpu = cpuNow()
  return () => ({ wall: now() - wall, cpu: cpuNow() - cpu })
}

export const mapTime = (time: Time, f: (value: number, clock: Clock) => number): Time => ({
  wall: f(time.wall, "wall"),
  cpu: f(time.cpu, "cpu")
})

export const sorted = (values: ReadonlyArray<number>): Array<number> => [...values].sort((a, b) => a - b)

export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  const s = sorted(values)
  if (s.length === 0) return Number.NaN
  const position = (s.length - 1) * q
  const lower = Math.floor(position)
  const upper = Math.ceil(position)
  return s[lower]! + (s[upper]! - s[lower]!) * (position - lower)
}

export const median = (values: ReadonlyArray<number>): number => quantile(values, 0.5)

export const mean = (values: ReadonlyArray<number>): number =>
  values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length

export interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
  /** Interquartile range relative to the median, in percent. */
  readonly iqrPct: number
  readonly n: number
}

export const summarize = (values: ReadonlyArray<number>): Summary => {
  const m = median(values)
  return {
    median: m,
    min: Math.min(...values),
    max: Math.max(...values),
    iqrPct: m === 0 ? 0 : ((quantile(values, 0.75) - quantile(values, 0.25)) / m) * 100,
    n: values.length
  }
}

/** Per-repetition ratios of two series measured in the same repetitions (paired). */
export const pairedRatios = (subject: ReadonlyArray<number>, baseline: ReadonlyArray<number>): Array<number> =>
  subject.map((value, i) => value / baseline[i]!)

/**
 * Runs `reps` repetitions of several measurements, alternating their order
 * from one repetition to the next (A B C, C B A, A B C, ...) so that drift of
 * a shared, noisy machine falls on all of them alike. `warmup` repetitions run
 * first and are discarded. Returns one array of samples per measurement.
 */
export const interleave = async <A>(
  reps: number,
  warmup: number,
  tasks: ReadonlyArray<() => Promise<A>>
): Promise<Array<Array<A>>> => {
  const samples: Array<Array<A>> = tasks.map(() => [])
  for (let rep = 0; rep < warmup + reps; rep++) {
    const order = tasks.map((_, i) => i)
    if (rep % 2 === 1) order.reverse()
    for (const i of order) {
      collectGarbage()
      const value = await tasks[i]!()
      if (rep >= warmup) samples[i]!.push(value)
    }
  }
  return samples
}

/** A full collection between samples when node runs with --expose-gc. */
export const collectGarbage = (): void => {
  const gc = (globalThis as { readonly gc?: () => void }).gc
  if (gc !== undefined) gc()
}

export const us = (ms: number): string => {
  const micro = ms * 1000
  return micro >= 100 ? `${micro.toFixed(0)}µs` : micro >= 10 ? `${micro.toFixed(1)}µs` : `${micro.toFixed(2)}µs`
}

export const msFmt = (ms: number): string => (ms >= 100 ? `${ms.toFixed(0)}ms` : `${ms.toFixed(1)}ms`)

export const x = (ratio: number): string => (ratio >= 100 ? `${ratio.toFixed(0)}x` : `${ratio.toFixed(2)}x`)

/** `median [min–max] ±IQR%` with a formatter for the values. */
export const show = (summary: Summary, format: (value: number) => string): string =>
  `${format(summary.median)} [${format(summary.min)}–${format(summary.max)}] IQR ${summary.iqrPct.toFixed(0)}%`

export const pad = (value: string, width: number): string => value.padStart(width)
export const padEnd = (value: string, width: number): string => value.padEnd(width)

export interface Verdict {
  readonly name: string
  readonly pass: boolean
  readonly detail: string
}

export const verdict = (name: string, value: number, limit: number, detail: string): Verdict => ({
  name,
  pass: value <= limit,
  detail: `${detail}: ${x(value)} (target ≤ ${x(limit)})`
})
