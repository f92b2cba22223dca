/**
 * Per-step overhead of the SQLite engine (`Engine.layerSqlite` on a temp
 * file) against the floor: a raw better-sqlite3 loop, same pragmas
 * (journal_mode=WAL, synchronous=NORMAL), that commits one row per step as
 * large as the engine's step row (one INSERT per transaction, prepared once).
 *
 * Engine per-step cost is marginal, as in engine.ts: (run of 1 + N steps −
 * run of the first step alone) / N, on one engine and file for the whole
 * measurement (as a real program would). The raw loop runs on its own file.
 */
import Database from "better-sqlite3"
import * as F from "./fixtures.js"
import * as S from "./stats.js"

export interface Options {
  readonly reps: number
  readonly warmup: number
  readonly steps: number
}

export interface Figures {
  readonly clock: S.Clock
  readonly engine: S.Summary
  readonly raw: S.Summary
  readonly ratio: S.Summary
}

export interface Result {
  readonly steps: number
  readonly rowBytes: number
  readonly figures: ReadonlyArray<Figures>
}

/** A raw better-sqlite3 database with the engine's pragmas and a table of rows. */
export const openRaw = (file: string): Database.Database => {
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.exec("CREATE TABLE IF NOT EXISTS raw_steps (run_id TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (run_id, seq))")
  return db
}

/** Mean size (bytes) of the engine's step rows in a database file. */
const engineRowBytes = (file: string): number => {
  const db = new Database(file, { readonly: true })
  try {
    const row = db.prepare(
      `SELECT AVG(LENGTH(run_id) + LENGTH(step_key) + LENGTH(step_name) + LENGTH(status) + LENGTH(delta)
        + COALESCE(LENGTH(error), 0) + LENGTH(idempotency_key) + 5 * 8) AS bytes FROM weft_steps`
    ).get() as { readonly bytes: number | null }
    return Math.round(row.bytes ?? 300)
  } finally {
    db.close()
  }
}

let rawRun = 0

/** Time (ms) of `steps` single-row commits. */
const rawSample = (db: Database.Database, steps: number, payload: string) => async (): Promise<S.Time> => {
  const insert = db.prepare("INSERT INTO raw_steps (run_id, seq, payload) VALUES (?, ?, ?)")
  const runId = `raw-${++rawRun}-${"0".repeat(24)}`
  const stop = S.stopwatch()
  for (let seq = 1; seq <= steps; seq++) insert.run(runId, seq, payload)
  return stop()
}

const engineSample = (runtime: F.Runtime, template: F.Chain, data: F.Input) => async (): Promise<S.Time> => {
  const stop = S.stopwatch()
  await F.runChain(runtime, template, data)
  return stop()
}

export const run = async (options: Options): Promise<Result> => {
  const engineFile = F.tmpDb("engine")
  const rawFile = F.tmpDb("raw")
  const runtime = await F.runtimeOf(F.sqliteLayer(engineFile))
  const db = openRaw(rawFile)
  try {
    const data = F.input(1024)
    const long = F.chain(options.steps)
    const head = F.chain(0)
    // one run first, to size the raw rows like the engine's
    await F.runChain(runtime, long, data)
    const rowBytes = engineRowBytes(engineFile)
    const payload = "p".repeat(Math.max(1, rowBytes - 40 - 8))
    const [engineN, engine0, raw] = await S.interleave(options.reps, options.warmup, [
      engineSample(runtime, long, data),
      engineSample(runtime, head, data),
      rawSample(db, options.steps, payload)
    ])
    const figures = S.clocks.map((clock): Figures => {
      const enginePer = engineN!.map((t, i) => (t[clock] - engine0![i]![clock]) / options.steps)
      const rawPer = raw!.map((t) => t[clock] / options.steps)
      return {
        clock,
        engine: S.summarize(enginePer),
        raw: S.summarize(rawPer),
        ratio: S.summarize(S.pairedRatios(enginePer, rawPer))
      }
    })
    return { steps: options.steps, rowBytes, figures }
  } finally {
    db.close()
    await runtime.dispose()
    F.removeDb(engineFile)
    F.removeDb(rawFile)
  }
}

export const target = 3

export const print = (result: Result): S.Verdict => {
  console.log(`\n## SQLite engine vs raw better-sqlite3 floor (per step, marginal over ${result.steps} steps; 1 KB state)`)
  console.log(`engine step row ≈ ${result.rowBytes} bytes; the floor commits one ${result.rowBytes}-byte row per step`)
  for (const f of result.figures) {
    console.log(`  ${S.padEnd(f.clock, 5)} engine/step     ${S.show(f.engine, S.us)}`)
    console.log(`  ${S.padEnd(f.clock, 5)} raw floor/step  ${S.show(f.raw, S.us)}`)
    console.log(`  ${S.padEnd(f.clock, 5)} ratio (paired)  ${S.show(f.ratio, S.x)}`)
  }
  const cpu = result.figures.find((f) => f.clock === "cpu")!
  const wall = result.figures.find((f) => f.clock === "wall")!
  return S.verdict(
    "SQLite per-step overhead vs raw floor",
    cpu.ratio.median,
    target,
    `engine/step ÷ floor/step, CPU time (wall: ${S.x(wall.ratio.median)})`
  )
}
