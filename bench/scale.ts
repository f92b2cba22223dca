/**
 * The engine at scale (`npm run bench:scale`), on SQLite and PostgreSQL
 * (skipped, said so, when no server is reachable):
 *
 * 1. **Many runs at once**: one engine executing `--runs` runs (default
 *    10,000) of a 10-step chain, `--at-once` at a time (default 1,000),
 *    against a single run's cost measured in the same process just before:
 *    CPU time per step (ratio to the single run's), and the process's memory
 *    (RSS, heap) sampled every 250 ms while they execute, then after they
 *    all ended (garbage collected first).
 * 2. **Taken over at once**: an owner process starts `--takeover` runs
 *    (default 3,000) and awaits them all; it is starved (a busy loop) for
 *    longer than a lease while a second process takes every run over; then
 *    it goes on (test/process/takeover.ts). Measured: the owner's waiters
 *    settled with the right outcome, the time from the last run's end (in the
 *    store) to the last waiter settled, and the owner's CPU and memory over
 *    quiet seconds afterwards.
 *
 * Flags: --only=many,takeover  --stores=sqlite,pg  --runs=N  --at-once=N  --takeover=N
 * Needs node's --expose-gc for the memory after the runs (the npm script passes it).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Duration, Effect, Fiber, Layer, ManagedRuntime } from "effect"
import { Engine, Settings } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"
import { buildForTests } from "../test/build.js"
import { createPgDatabase, pgServerUrl, pgUnreachable } from "../test/campaign/stores.js"
import { takeover } from "../test/process/takeover.js"
import * as F from "./fixtures.js"
import * as S from "./stats.js"

const argument = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=").slice(1).join("=")
const list = (value: string | undefined, all: ReadonlyArray<string>) => value === undefined ? all : value.split(",")

const parts = list(argument("only"), ["many", "takeover"])
const stores = list(argument("stores"), ["sqlite", "pg"]) as ReadonlyArray<"sqlite" | "pg">
const runs = Number(argument("runs") ?? 10_000)
const atOnce = Number(argument("at-once") ?? 1000)
const takeoverRuns = Number(argument("takeover") ?? 3000)
const steps = 10

const mb = (bytes: number) => Math.round(bytes / 2 ** 20)
const gc = () => (globalThis as { gc?: () => void }).gc?.()

/** The engine of one store, `atOnce` runs at a time. */
const engineOn = (store: "sqlite" | "pg", dir: string, url: string | undefined) =>
  Engine.layer.pipe(
    Layer.provide(
      store === "sqlite"
        ? Sqlite.layerStore({ filename: join(dir, "scale.db") })
        : Pg.layerStore({ url: url!, maxConnections: 8, applicationName: "weft-bench-scale" })
    ),
    Layer.provide(Settings.layerWith({
      maxConcurrentWorkflows: atOnce,
      workflowTimeout: Duration.infinity,
      stateTtl: Duration.infinity,
      maxRetries: 0,
      leaseDuration: Duration.seconds(30)
    })),
    Layer.orDie
  )

/** Part 1 on one store: a single run's CPU per step, then `runs` runs at once. */
const many = async (store: "sqlite" | "pg") => {
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-scale-"))
  const database = store === "pg" ? await createPgDatabase() : undefined
  const runtime = ManagedRuntime.make(engineOn(store, dir, database?.url))
  try {
    const chain = F.chain(steps)
    const data = F.input(1024)
    // a single run, one after the other (warm-up first): its CPU per step is the reference
    for (let i = 0; i < 20; i++) await F.runChain(runtime, chain, data)
    const singles = 200
    const c0 = S.cpuNow()
    for (let i = 0; i < singles; i++) await F.runChain(runtime, chain, data)
    const single = (S.cpuNow() - c0) / (singles * steps)
    gc()
    const rssBefore = mb(process.memoryUsage().rss)
    const samples: Array<{ readonly at: number; readonly rss: number; readonly heap: number }> = []
    const began = S.now()
    const sample = Effect.sync(() => {
      const m = process.memoryUsage()
      samples.push({ at: S.now() - began, rss: mb(m.rss), heap: mb(m.heapUsed) })
    })
    // node's own timer, every 100 ms: how late it fires says whether the event loop turns while runs execute
    const lag = { ticks: 0, worst: 0, last: S.now(), gaps: [] as Array<string> }
    const timer = setInterval(() => {
      const now = S.now()
      if (now - lag.last > 500 && process.env.LAGS) lag.gaps.push(`${((now - began) / 1000).toFixed(1)}s:${(now - lag.last).toFixed(0)}`)
      lag.worst = Math.max(lag.worst, now - lag.last)
      lag.last = now
      lag.ticks++
    }, 100)
    const c1 = S.cpuNow()
    await runtime.runPromise(Effect.gen(function*() {
      // sampled by a fiber of the same runtime
      const sampler = yield* Effect.fork(Effect.forever(Effect.zipRight(Effect.sleep("250 millis"), sample)))
      const engine = yield* Engine.Engine
      const handles = []
      for (let i = 0; i < runs; i++) handles.push(yield* engine.start(chain, data))
      yield* Effect.forEach(handles, (h) => h.await, { concurrency: "unbounded", discard: true })
      yield* Fiber.interrupt(sampler)
    })).finally(() => clearInterval(timer))
    const perStep = (S.cpuNow() - c1) / (runs * steps)
    const wall = S.now() - began
    gc()
    const after = process.memoryUsage()
    const peak = samples.reduce((m, s) => Math.max(m, s.rss), 0)
    const quarter = (q: number) => samples[Math.min(samples.length - 1, Math.floor((samples.length * q) / 4))]
    const trail = [1, 2, 3, 4].map((q) => quarter(q - 1)).filter((s) => s !== undefined)
      .map((s) => `${(s.at / 1000).toFixed(0)}s ${s.rss}/${s.heap}`).join(", ")
    console.log(
      `  ${store}: ${runs} runs × ${steps} steps, ${atOnce} at once, in ${(wall / 1000).toFixed(1)} s: ` +
        `CPU per step ${S.us(perStep)} vs a single run's ${S.us(single)} = ${S.x(perStep / single)} ` +
        `(target ≤ 1.2x: ${perStep / single <= 1.2 ? "PASS" : "MISS"})`
    )
    console.log(
      `    memory (RSS/heap MB): before ${rssBefore}, over time ${trail}, peak RSS ${peak}; ` +
        `after every run ended (gc) ${mb(after.rss)}/${mb(after.heapUsed)}`
    )
    console.log(
      `    event loop: a 100 ms timer fired ${lag.ticks} times in ${(wall / 1000).toFixed(1)} s ` +
        `(expected ~${Math.floor(wall / 100)}), at worst ${S.msFmt(lag.worst)} apart; memory sampled ${samples.length} times`
    )
    if (lag.gaps.length > 0) console.log(`    gaps: ${lag.gaps.join(" ")}`)
  } finally {
    await runtime.dispose()
    await database?.drop()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Part 2 on one store. */
const takenOver = async (store: "sqlite" | "pg") => {
  const r = await takeover({ store, runs: takeoverRuns, samples: 3, timeoutMillis: 600_000 })
  const settledOk = r.right === r.runs
  console.log(
    `  ${store}: ${r.runs} runs, ${r.takenOver} taken over while the owner was starved; its waiters: ` +
      `${r.right} right, ${r.wrong} wrong ${JSON.stringify(r.errors)}; the runs ended ${(r.runsMillis / 1000).toFixed(1)} s ` +
      `after it went on; every waiter settled ${r.settleMillis} ms after the last run ended ` +
      `(target: within seconds: ${settledOk && r.settleMillis <= 5000 ? "PASS" : "MISS"})`
  )
  console.log(
    `    the owner afterwards (quiet seconds): CPU ${r.samples.map((s) => `${s.cpuPercent}%`).join(", ")}; ` +
      `RSS/heap MB ${r.samples.map((s) => `${s.rssMB}/${s.heapMB}`).join(", ")} (${r.startedRssMB} MB RSS with its runs started)`
  )
}

const main = async () => {
  const unreachable = stores.includes("pg") ? await pgUnreachable() : undefined
  if (unreachable !== undefined) console.log(`PostgreSQL at ${pgServerUrl} is not reachable (${unreachable}): skipped`)
  const usable = stores.filter((s) => s !== "pg" || unreachable === undefined)
  if ((globalThis as { gc?: unknown }).gc === undefined) console.log("(no --expose-gc: memory after the runs is not collected first)")
  if (parts.includes("many")) {
    console.log(`\n[many runs at once]`)
    for (const store of usable) await many(store)
  }
  if (parts.includes("takeover")) {
    await buildForTests()
    console.log(`\n[taken over at once]`)
    for (const store of usable) await takenOver(store)
  }
}

await main()
