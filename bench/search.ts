/**
 * The search benchmark: `list` by search attributes, run-id prefix and time
 * range over N finished runs (default 1,000,000) on SQLite and PostgreSQL,
 * through the store as `engine.list` calls it. Seeded with bulk
 * `INSERT … SELECT` (`searchSeed.ts`); each search timed 30 times after 5
 * warm-up runs, median and max printed (wall ms). Target: < 50 ms.
 *
 *   npx tsx --conditions=weft-source bench/search.ts [--runs=1000000] [--only=sqlite|pg]
 *
 * PostgreSQL: `WEFT_BENCH_PG_URL`, else `WEFT_TEST_PG_URL`, else
 * `postgres://root@127.0.0.1:5432/postgres`; a scratch database is created
 * and dropped.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Context, Effect, Layer } from "effect"
import pg from "pg"
import { SnapshotStore } from "weftjs"
import { Pg } from "weftjs/pg"
import { openStore } from "../src/internal/sql/sqlite/make.js"
import { searches, seedStatements } from "./searchSeed.js"

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1]
const runs = Number(arg("runs") ?? 1_000_000)
const only = arg("only")
const serverUrl = process.env.WEFT_BENCH_PG_URL ?? process.env.WEFT_TEST_PG_URL ?? "postgres://root@127.0.0.1:5432/postgres"

const time = (store: SnapshotStore.Service) =>
  Effect.gen(function*() {
    for (const search of searches) {
      const times: Array<number> = []
      let found = 0
      for (let i = 0; i < 35; i++) {
        const start = performance.now()
        found = (yield* store.list(search.filter)).length
        if (i >= 5) times.push(performance.now() - start)
      }
      times.sort((a, b) => a - b)
      const median = times[Math.floor(times.length / 2)]!
      const verdict = median < 50 ? "ok" : "MISS"
      console.log(
        `  ${search.name.padEnd(48)} ${found.toString().padStart(3)} runs  median ${median.toFixed(2)} ms  max ${
          times[times.length - 1]!.toFixed(2)
        } ms  ${verdict}`
      )
    }
  })

const sqlite = Effect.gen(function*() {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "weft-search-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
  const { connection, store } = yield* openStore({
    filename: Path.join(dir, "runs.db"),
    readonly: false,
    busyTimeoutMillis: 5000,
    synchronous: "NORMAL",
    fileCheckMillis: 1000
  })
  const seeded = performance.now()
  for (const statement of seedStatements("sqlite", runs)) connection.db.exec(statement)
  console.log(`SQLite: ${runs} runs seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`)
  yield* time(store)
})

const postgres = Effect.gen(function*() {
  const database = `weft_bench_search_${process.pid}`
  const url = new URL(serverUrl)
  url.pathname = `/${database}`
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: serverUrl })
    await client.connect()
    try {
      await client.query(text)
    } finally {
      await client.end()
    }
  }
  yield* Effect.acquireRelease(
    Effect.promise(() => admin(`CREATE DATABASE ${database}`)),
    () => Effect.promise(() => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`))
  )
  const store = yield* Effect.flatMap(Layer.build(Pg.layerStore({ url: url.toString() })), (context) =>
    Effect.succeed(Context.get(context, SnapshotStore.SnapshotStore)))
  const seeded = performance.now()
  yield* Effect.promise(async () => {
    const client = new pg.Client({ connectionString: url.toString() })
    await client.connect()
    try {
      for (const statement of seedStatements("pg", runs)) await client.query(statement)
    } finally {
      await client.end()
    }
  })
  console.log(`PostgreSQL: ${runs} runs seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`)
  yield* time(store)
})

const main = Effect.gen(function*() {
  if (only !== "pg") yield* Effect.scoped(sqlite)
  if (only !== "sqlite") yield* Effect.scoped(postgres)
})

Effect.runPromise(main).catch((error) => {
  console.error(error)
  process.exit(1)
})
