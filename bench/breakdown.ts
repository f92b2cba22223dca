/**
 * Where the SQLite engine's per-step time goes: the same checkpoint write
 * done at each layer, from the raw driver up to the engine, all per step and
 * interleaved in each repetition.
 *
 * - raw 1-row commit: the floor of bench/sqlite.ts;
 * - raw checkpoint txn: better-sqlite3 doing what `appendStep` does
 *   (BEGIN; UPDATE weft_runs … RETURNING; INSERT weft_steps; COMMIT),
 *   prepared statements, on the engine's schema;
 * - @effect/sql txn: the same two statements through `@effect/sql`
 *   (`sql.withTransaction`, tagged templates), as `appendStep` issues them;
 * - store.appendStep: the store itself (JSON of the delta, error mapping);
 * - engine, no-op store: the runner alone (an in-memory store whose
 *   `appendStep` does nothing);
 * - engine, memory store: `Engine.layerMemory`;
 * - engine, SQLite: `Engine.layerSqlite`.
 */
import * as Reactivity from "@effect/experimental/Reactivity"
import * as SqlClient from "@effect/sql/SqlClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import Database from "better-sqlite3"
import { Effect, Layer, ManagedRuntime } from "effect"
import { Engine, SnapshotStore, SqlSnapshotStore } from "weftjs"
import * as F from "./fixtures.js"
import * as S from "./stats.js"

export interface Options {
  readonly reps: number
  readonly warmup: number
  readonly steps: number
}

export interface Row {
  readonly name: string
  readonly clock: S.Clock
  readonly perStep: S.Summary
}

const delta = {
  set: {
    tick: { value: 4, writtenAt: 1795390652998, expiresAt: null },
    note: { value: F.work(3).note, writtenAt: 1795390652998, expiresAt: null }
  },
  unset: []
}
const deltaJson = JSON.stringify(delta)

let ids = 0
const nextId = (): string => `run-${++ids}-${"0".repeat(26)}`

/** The tables appendStep writes, as the store creates them (columns that matter here). */
const schema = `CREATE TABLE IF NOT EXISTS runs (run_id TEXT PRIMARY KEY NOT NULL, seq INTEGER NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS steps (run_id TEXT NOT NULL, seq INTEGER NOT NULL, step_key TEXT NOT NULL, step_name TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT NOT NULL, delta TEXT NOT NULL,
  error TEXT, idempotency_key TEXT NOT NULL, PRIMARY KEY (run_id, seq))`

const rawTasks = (file: string, steps: number) => {
  const db = new Database(file)
  db.pragma("journal_mode = WAL")
  db.pragma("synchronous = NORMAL")
  db.exec(schema)
  db.exec("CREATE TABLE IF NOT EXISTS one (run_id TEXT NOT NULL, seq INTEGER NOT NULL, payload TEXT NOT NULL, PRIMARY KEY (run_id, seq))")
  const insertOne = db.prepare("INSERT INTO one (run_id, seq, payload) VALUES (?, ?, ?)")
  const insertRun = db.prepare("INSERT INTO runs (run_id, seq, updated_at) VALUES (?, 0, 0)")
  const advance = db.prepare("UPDATE runs SET seq = ?, updated_at = ? WHERE run_id = ? RETURNING run_id")
  const insertStep = db.prepare("INSERT INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
  const checkpoint = db.transaction((runId: string, seq: number) => {
    if (advance.all(seq, seq, runId).length === 0) return
    insertStep.run(runId, seq, `s${seq}`, `s${seq}`, "completed", 1, seq, seq, deltaJson, null, `${runId}/s${seq}`)
  })
  const payload = "p".repeat(330)
  return {
    close: () => db.close(),
    oneRow: async (): Promise<S.Time> => {
      const runId = nextId()
      const stop = S.stopwatch()
      for (let seq = 1; seq <= steps; seq++) insertOne.run(runId, seq, payload)
      return S.mapTime(stop(), (t) => t / steps)
    },
    txn: async (): Promise<S.Time> => {
      const runId = nextId()
      insertRun.run(runId)
      const stop = S.stopwatch()
      for (let seq = 1; seq <= steps; seq++) checkpoint(runId, seq)
      return S.mapTime(stop(), (t) => t / steps)
    }
  }
}

const effectSqlTask = async (file: string, steps: number) => {
  const runtime = ManagedRuntime.make(SqliteClient.layer({ filename: file }).pipe(Layer.provide(Reactivity.layer), Layer.orDie))
  await runtime.runPromise(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    yield* sql`PRAGMA synchronous = NORMAL`
    for (const statement of schema.split(";")) yield* sql.unsafe(statement)
  }))
  const task = () =>
    runtime.runPromise(Effect.gen(function*() {
      const sql = (yield* SqlClient.SqlClient).withoutTransforms()
      const runId = nextId()
      yield* sql`INSERT INTO runs (run_id, seq, updated_at) VALUES (${runId}, 0, 0)`
      const stop = S.stopwatch()
      for (let seq = 1; seq <= steps; seq++) {
        yield* sql.withTransaction(Effect.gen(function*() {
          const advanced = yield* sql`UPDATE ${sql("runs")} SET seq = ${seq}, updated_at = ${seq}
WHERE run_id = ${runId} RETURNING run_id`
          if (advanced.length === 0) return
          yield* sql`INSERT INTO ${sql("steps")} ${
            sql.insert({
              run_id: runId,
              seq,
              step_key: `s${seq}`,
              step_name: `s${seq}`,
              status: "completed",
              attempts: 1,
              started_at: seq,
              ended_at: seq,
              delta: deltaJson,
              error: null,
              idempotency_key: `${runId}/s${seq}`
            })
          }`
        }))
      }
      return S.mapTime(stop(), (t) => t / steps)
    }))
  return { task, close: () => runtime.dispose() }
}

const storeTask = (file: string, steps: number) => {
  const runtime = ManagedRuntime.make(SqlSnapshotStore.layer({ filename: file }).pipe(Layer.orDie))
  const task = () =>
    runtime.runPromise(Effect.gen(function*() {
      const store = yield* SnapshotStore.SnapshotStore
      const runId = nextId()
      yield* store.createRun({
        runId,
        templateName: "t",
        templateVersion: "1",
        status: "running",
        seq: 0,
        createdAt: 0,
        updatedAt: 0,
        expiresAt: null,
        error: null
      }, { entries: {}, createdAt: 0, updatedAt: 0 })
      const stop = S.stopwatch()
      for (let seq = 1; seq <= steps; seq++) {
        yield* store.appendStep({
          runId,
          seq,
          stepKey: `s${seq}`,
          stepName: `s${seq}`,
          status: "completed",
          attempts: 1,
          startedAt: seq,
          endedAt: seq,
          delta,
          error: null,
          idempotencyKey: `${runId}/s${seq}`
        }, { updatedAt: seq })
      }
      return S.mapTime(stop(), (t) => t / steps)
    }))
  return { task, close: () => runtime.dispose() }
}

/** A store that keeps runs in memory and drops every checkpoint: the runner's own cost. */
const noopStore = Layer.effect(
  SnapshotStore.SnapshotStore,
  Effect.map(SnapshotStore.makeMemory, (store) => SnapshotStore.SnapshotStore.of({ ...store, appendStep: () => Effect.void }))
)

const engineTask = (runtime: F.Runtime, steps: number) => {
  const long = F.chain(steps)
  const head = F.chain(0)
  const data = F.input(1024)
  return async (): Promise<S.Time> => {
    let stop = S.stopwatch()
    await F.runChain(runtime, long, data)
    const whole = stop()
    stop = S.stopwatch()
    await F.runChain(runtime, head, data)
    const first = stop()
    return { wall: (whole.wall - first.wall) / steps, cpu: (whole.cpu - first.cpu) / steps }
  }
}

export const run = async (options: Options): Promise<ReadonlyArray<Row>> => {
  const files = ["raw", "effect-sql", "store", "engine"].map((name) => F.tmpDb(`breakdown-${name}`))
  const raw = rawTasks(files[0]!, options.steps)
  const effectSql = await effectSqlTask(files[1]!, options.steps)
  const store = storeTask(files[2]!, options.steps)
  const noop = await F.runtimeOf(Engine.layer.pipe(Layer.provide(noopStore), Layer.provide(F.settings), Layer.orDie))
  const memory = await F.runtimeOf(F.memoryLayer())
  const sqlite = await F.runtimeOf(F.sqliteLayer(files[3]!))
  const names = [
    "raw 1-row commit (floor)",
    "raw checkpoint txn",
    "@effect/sql checkpoint txn",
    "store.appendStep",
    "engine, no-op store",
    "engine, memory store",
    "engine, SQLite"
  ]
  try {
    const samples = await S.interleave(options.reps, options.warmup, [
      raw.oneRow,
      raw.txn,
      effectSql.task,
      store.task,
      engineTask(noop, options.steps),
      engineTask(memory, options.steps),
      engineTask(sqlite, options.steps)
    ])
    return S.clocks.flatMap((clock) =>
      names.map((name, i) => ({ name, clock, perStep: S.summarize(samples[i]!.map((t) => t[clock])) }))
    )
  } finally {
    raw.close()
    await effectSql.close()
    await store.close()
    await noop.dispose()
    await memory.dispose()
    await sqlite.dispose()
    for (const file of files) F.removeDb(file)
  }
}

export const print = (rows: ReadonlyArray<Row>, steps: number): void => {
  console.log(`\n## Breakdown of the SQLite engine's per-step cost (${steps} steps; see bench/breakdown.ts)`)
  for (const clock of S.clocks) {
    const own = rows.filter((row) => row.clock === clock)
    const floor = own[0]!.perStep.median
    console.log(`${clock}:`)
    for (const row of own) {
      console.log(`  ${S.padEnd(row.name, 28)} ${S.padEnd(S.show(row.perStep, S.us), 34)} ${S.x(row.perStep.median / floor)} floor`)
    }
  }
}
