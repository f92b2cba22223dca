/**
 * The SQLite store against the raw floor, per checkpoint row and per run,
 * `synchronous` NORMAL and FULL, CPU and wall, each sample paired with a
 * floor sample of the same repetition (bench/floor.ts):
 *
 * - `appendStep, 1 run`: one run checkpointing step after step (each
 *   checkpoint its own commit: the group commit has nobody to group);
 * - `appendStep, 10 runs`: ten runs checkpointing at once (group commit);
 * - `create+claim+finish`: a run's fixed cost (one transaction, one statement);
 * - `10-step run`: create+claim, 10 checkpoints, finish, per step.
 *
 * The store is opened once per mode and kept, as a program would.
 */
import { Effect, Exit, Scope } from "effect"
import { openStore } from "../src/internal/sql/sqlite/make.js"
import type { Lease, Service, StepRecord } from "../src/SnapshotStore.js"
import * as F from "./fixtures.js"
import { delta, openRaw, rawCommits, type Sync } from "./floor.js"
import * as S from "./stats.js"

export interface Options {
  readonly reps: number
  readonly warmup: number
  /** Checkpoint rows per sample, by mode. */
  readonly rows: Readonly<Record<Sync, number>>
}

export interface Row {
  readonly sync: Sync
  readonly name: string
  /** What one unit is: "row", "run", "step". */
  readonly unit: string
  readonly clock: S.Clock
  readonly value: S.Summary
  readonly floor: S.Summary
  readonly ratio: S.Summary
  /** Mean rows per commit, for the group-commit figure. */
  readonly batch?: number | undefined
}

const t0 = 1_700_000_000_000
const owner = "bench-engine"
let runCounter = 0

const newRun = (runId: string) => ({
  runId,
  templateName: "bench",
  templateVersion: "1",
  createdAt: t0,
  timeoutMillis: 0,
  parentId: null,
  rootId: runId,
  queue: "default",
  traceContext: null
})
const state = { entries: {}, createdAt: t0, updatedAt: t0 }
const step = (runId: string, seq: number): StepRecord => ({
  runId,
  seq,
  stepKey: `bench/s${seq}`,
  stepName: `s${seq}`,
  status: "completed",
  attempts: 1,
  startedAt: t0 + seq,
  endedAt: t0 + seq + 1,
  delta: delta(seq),
  error: null,
  idempotencyKey: `${runId}/bench/s${seq}`
})
const runId = () => `run-${++runCounter}-${"0".repeat(24)}`

const create = (store: Service) =>
  Effect.map(
    Effect.sync(runId),
    (id) => Effect.map(store.createRun(newRun(id), state, { owner, leaseUntil: t0 + 3_600_000 }), (lease) => [id, lease!] as const)
  ).pipe(Effect.flatten)

const appends = (store: Service, id: string, lease: Lease, count: number) =>
  Effect.forEach(Array.from({ length: count }, (_, i) => i + 1), (seq) => store.appendStep(step(id, seq), lease), {
    discard: true
  })

const finish = (store: Service, id: string, lease: Lease) =>
  store.finish(id, lease, { status: "completed", error: null, expiresAt: null }, { updatedAt: t0 + 1, elapsedMillis: 1 })

/** Times `measured` after `setup` (not timed), both run as one promise each. */
const timed = <A>(setup: Effect.Effect<A, unknown>, measured: (a: A) => Effect.Effect<unknown, unknown>, per: number) =>
async (): Promise<S.Time> => {
  const a = await Effect.runPromise(setup)
  const stop = S.stopwatch()
  await Effect.runPromise(measured(a))
  return S.mapTime(stop(), (t) => t / per)
}

export const run = async (options: Options): Promise<ReadonlyArray<Row>> => {
  const rows: Array<Row> = []
  for (const sync of ["NORMAL", "FULL"] as const) {
    const n = options.rows[sync]
    const runs = Math.max(1, Math.round(n / 10))
    const scope = Effect.runSync(Scope.make())
    const rawFile = F.tmpDb(`floor-${sync}`)
    const db = openRaw(rawFile, sync)
    const { connection, store } = await Effect.runPromise(
      Scope.extend(
        openStore({
          filename: F.tmpDb(`store-${sync}`),
          readonly: false,
          busyTimeoutMillis: 5000,
          synchronous: sync,
          fileCheckMillis: 1000
        }),
        scope
      )
    )
    try {
      let batchRows = 0
      let batchCommits = 0
      const lone = timed(create(store), ([id, lease]) => appends(store, id, lease, n), n)
      const concurrent = timed(
        Effect.forEach(Array.from({ length: 10 }), () => create(store)),
        (leases) => {
          const commits = connection.stats.groupCommits
          const grouped = connection.stats.groupedRows
          return Effect.all(leases.map(([id, lease]) => appends(store, id, lease, n / 10)), {
            concurrency: "unbounded",
            discard: true
          }).pipe(Effect.ensuring(Effect.sync(() => {
            batchRows += connection.stats.groupedRows - grouped
            batchCommits += connection.stats.groupCommits - commits
          })))
        },
        n
      )
      const fixed = timed(Effect.void, () =>
        Effect.forEach(Array.from({ length: runs }), () =>
          Effect.flatMap(create(store), ([id, lease]) => finish(store, id, lease)), { discard: true }), runs)
      const tenSteps = timed(Effect.void, () =>
        Effect.forEach(Array.from({ length: Math.max(1, Math.round(runs / 10)) }), () =>
          Effect.flatMap(create(store), ([id, lease]) =>
            Effect.zipRight(appends(store, id, lease, 10), finish(store, id, lease))), { discard: true }), Math.max(1, Math.round(runs / 10)) * 10)
      const samples = await S.interleave(options.reps, options.warmup, [
        rawCommits(db, n),
        lone,
        concurrent,
        fixed,
        tenSteps
      ])
      const floor = samples[0]!.map((t) => S.mapTime(t, (v) => v / n))
      const figures: ReadonlyArray<readonly [string, string, Array<S.Time>, number | undefined]> = [
        ["appendStep, 1 run", "row", samples[1]!, undefined],
        ["appendStep, 10 runs at once", "row", samples[2]!, batchCommits === 0 ? undefined : batchRows / batchCommits],
        ["create+claim+finish", "run", samples[3]!, undefined],
        ["10-step run (with its fixed cost)", "step", samples[4]!, undefined]
      ]
      for (const [name, unit, values, batch] of figures) {
        for (const clock of S.clocks) {
          const v = values.map((t) => t[clock])
          const f = floor.map((t) => t[clock])
          rows.push({
            sync,
            name,
            unit,
            clock,
            value: S.summarize(v),
            floor: S.summarize(f),
            ratio: S.summarize(S.pairedRatios(v, f)),
            batch
          })
        }
      }
    } finally {
      db.close()
      await Effect.runPromise(Scope.close(scope, Exit.void))
    }
  }
  return rows
}

export const print = (rows: ReadonlyArray<Row>): ReadonlyArray<S.Verdict> => {
  console.log("\n## SQLite store vs the raw floor (1-row commit of raw better-sqlite3, same mode, same process)")
  console.log(
    `${S.padEnd("sync", 6)} ${S.padEnd("figure", 34)} ${S.padEnd("clock", 5)} ${S.padEnd("store", 32)} ${
      S.padEnd("floor/row", 32)
    } ratio (paired)`
  )
  for (const row of rows) {
    const batch = row.batch === undefined ? "" : `  (${row.batch.toFixed(1)} rows/commit)`
    console.log(
      `${S.padEnd(row.sync, 6)} ${S.padEnd(`${row.name} /${row.unit}`, 34)} ${S.padEnd(row.clock, 5)} ${
        S.padEnd(S.show(row.value, S.us), 32)
      } ${S.padEnd(S.show(row.floor, S.us), 32)} ${S.show(row.ratio, S.x)}${batch}`
    )
  }
  const cpu = (sync: Sync, name: string) => rows.find((r) => r.sync === sync && r.name === name && r.clock === "cpu")
  const wall = (sync: Sync, name: string) => rows.find((r) => r.sync === sync && r.name === name && r.clock === "wall")
  const verdicts: Array<S.Verdict> = []
  const lone = cpu("NORMAL", "appendStep, 1 run")
  if (lone !== undefined) verdicts.push(S.verdict("store checkpoint, 1 run, NORMAL (CPU)", lone.ratio.median, 2, "vs 1-row floor"))
  const group = cpu("NORMAL", "appendStep, 10 runs at once")
  if (group !== undefined) {
    verdicts.push(S.verdict("store checkpoint, 10 runs at once, NORMAL (CPU)", group.ratio.median, 1, "below the 1-row floor"))
  }
  const full = wall("FULL", "appendStep, 10 runs at once")
  if (full !== undefined) {
    verdicts.push(S.verdict("store checkpoint, 10 runs at once, FULL (wall)", full.ratio.median, 1, "below the 1-row floor"))
  }
  const ten = cpu("NORMAL", "10-step run (with its fixed cost)")
  if (ten !== undefined) verdicts.push(S.verdict("store 10-step run per step, NORMAL (CPU)", ten.ratio.median, 3, "vs 1-row floor"))
  return verdicts
}
