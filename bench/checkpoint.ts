/**
 * Checkpoint cost as the state grows: runs of the SQLite engine over a state
 * of 1 KB, 100 KB and 1 MB, each step writing ~100 bytes, with every
 * `appendStep` (the checkpoint's transaction, snapshot included when the
 * runner asks for one) timed by a wrapper around the store.
 *
 * The runs are long enough to contain a full snapshot at every size (the
 * runner writes one once the deltas since the last weigh as much as the
 * state, or 64 KB), so the figures are amortized over snapshots. Sizes are
 * interleaved within each repetition; ratios are paired.
 */
import * as F from "./fixtures.js"
import * as S from "./stats.js"

export interface Options {
  readonly reps: number
  readonly warmup: number
  readonly steps: number
  readonly sizes: ReadonlyArray<number>
}

export interface Figures {
  readonly clock: S.Clock
  /** The median checkpoint plus the run's snapshot time spread over its checkpoints (robust to noise). */
  readonly amortized: S.Summary
  /** The median checkpoint (no snapshot). */
  readonly typical: S.Summary
  /** The plain mean per checkpoint, snapshots included (sensitive to preemption). */
  readonly mean: S.Summary
  /** Time per step of the whole run. */
  readonly perStep: S.Summary
  readonly snapshotCost: S.Summary | undefined
  /** Paired ratios against the first size. */
  readonly ratio: S.Summary
  readonly typicalRatio: S.Summary
  readonly meanRatio: S.Summary
}

export interface Row {
  readonly bytes: number
  readonly snapshots: number
  readonly figures: ReadonlyArray<Figures>
}

interface Sample {
  readonly run: S.Time
  readonly plain: ReadonlyArray<S.Time>
  readonly snapshots: ReadonlyArray<S.Time>
}

export const label = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(0)} MB` : `${(bytes / 1024).toFixed(0)} KB`

const amortizedOf = (sample: Sample, clock: S.Clock): number => {
  const snapshotTotal = sample.snapshots.reduce((sum, t) => sum + t[clock], 0)
  return S.median(sample.plain.map((t) => t[clock])) + snapshotTotal / (sample.plain.length + sample.snapshots.length)
}

const meanOf = (sample: Sample, clock: S.Clock): number =>
  S.mean([...sample.plain, ...sample.snapshots].map((t) => t[clock]))

export const run = async (options: Options): Promise<ReadonlyArray<Row>> => {
  const template = F.chain(options.steps)
  const subjects = await Promise.all(options.sizes.map(async (bytes) => {
    const file = F.tmpDb(`checkpoint-${bytes}`)
    const log = new F.CheckpointLog()
    const runtime = await F.runtimeOf(F.timedSqliteLayer(file, log))
    return { bytes, file, log, runtime, data: F.input(bytes) }
  }))
  try {
    const samples = await S.interleave(
      options.reps,
      options.warmup,
      subjects.map((subject) => async (): Promise<Sample> => {
        subject.log.reset()
        const stop = S.stopwatch()
        await F.runChain(subject.runtime, template, subject.data)
        return { run: stop(), plain: subject.log.plain, snapshots: subject.log.snapshots }
      })
    )
    return subjects.map((subject, i) => {
      const own = samples[i]!
      const first = samples[0]!
      const snapshotTimes = own.flatMap((s) => s.snapshots)
      return {
        bytes: subject.bytes,
        snapshots: Math.round(snapshotTimes.length / own.length),
        figures: S.clocks.map((clock): Figures => {
          const amortized = own.map((s) => amortizedOf(s, clock))
          const typical = own.map((s) => S.median(s.plain.map((t) => t[clock])))
          const mean = own.map((s) => meanOf(s, clock))
          return {
            clock,
            amortized: S.summarize(amortized),
            typical: S.summarize(typical),
            mean: S.summarize(mean),
            perStep: S.summarize(own.map((s) => s.run[clock] / (options.steps + 1))),
            snapshotCost: snapshotTimes.length === 0 ? undefined : S.summarize(snapshotTimes.map((t) => t[clock])),
            ratio: S.summarize(S.pairedRatios(amortized, first.map((s) => amortizedOf(s, clock)))),
            typicalRatio: S.summarize(
              S.pairedRatios(typical, first.map((s) => S.median(s.plain.map((t) => t[clock]))))
            ),
            meanRatio: S.summarize(S.pairedRatios(mean, first.map((s) => meanOf(s, clock))))
          }
        })
      }
    })
  } finally {
    for (const subject of subjects) {
      await subject.runtime.dispose()
      F.removeDb(subject.file)
    }
  }
}

export const target = 1.5

export const print = (rows: ReadonlyArray<Row>, steps: number): S.Verdict => {
  console.log(`\n## Checkpoint cost as the state grows (SQLite engine; ${steps + 1} steps per run, ~100 bytes written per step)`)
  console.log(
    "amortized = median checkpoint + the run's full-snapshot time / its checkpoints; mean = plain mean (noise-sensitive)"
  )
  console.log(
    `${S.pad("state", 6)} ${S.padEnd("clock", 5)} ${S.padEnd("amortized/checkpoint", 30)} ${
      S.padEnd("median/checkpoint", 30)
    } ${S.padEnd("mean/checkpoint", 30)} ${S.padEnd("snapshots/run × each", 22)} run time/step`
  )
  for (const row of rows) {
    for (const f of row.figures) {
      const snaps = f.snapshotCost === undefined ? `${row.snapshots}` : `${row.snapshots} × ${S.msFmt(f.snapshotCost.median)}`
      console.log(
        `${S.pad(label(row.bytes), 6)} ${S.padEnd(f.clock, 5)} ${S.padEnd(S.show(f.amortized, S.us), 30)} ${
          S.padEnd(S.show(f.typical, S.us), 30)
        } ${S.padEnd(S.show(f.mean, S.us), 30)} ${S.padEnd(snaps, 22)} ${S.us(f.perStep.median)}`
      )
    }
  }
  const first = label(rows[0]!.bytes)
  console.log(`ratios vs ${first} (paired): amortized [min–max] | median | mean`)
  for (const row of rows.slice(1)) {
    for (const f of row.figures) {
      console.log(
        `${S.pad(label(row.bytes), 6)} ${S.padEnd(f.clock, 5)} ${S.x(f.ratio.median)} [${S.x(f.ratio.min)}–${
          S.x(f.ratio.max)
        }] | ${S.x(f.typicalRatio.median)} | ${S.x(f.meanRatio.median)}`
      )
    }
  }
  const last = rows[rows.length - 1]!
  const cpu = last.figures.find((f) => f.clock === "cpu")!
  const wall = last.figures.find((f) => f.clock === "wall")!
  return S.verdict(
    `checkpoint cost at ${label(last.bytes)} vs ${first}`,
    cpu.ratio.median,
    target,
    `amortized checkpoint (snapshots included), paired, CPU time (wall: ${S.x(wall.ratio.median)})`
  )
}
