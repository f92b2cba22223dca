/**
 * The PostgreSQL benchmark: workers and engines on a real server, against a
 * floor measured in the same run.
 *
 *   npx tsx --conditions=weft-source bench/pg.ts [--quick] [--only=step,throughput,latency,failover,sqlite]
 *   npm run bench -- --only=pg            (bench/run.ts runs this file in a child process)
 *
 * The server: `WEFT_BENCH_PG_URL`, else `WEFT_TEST_PG_URL`, else
 * `postgres://root@127.0.0.1:5432/postgres`; a scratch database is created
 * and dropped. Without a reachable server the benchmark says so and exits 0.
 *
 * 1. `step`: an engine's cost per step (in this process), N = 10 and 100:
 *    a whole run per step (its fixed cost included) one run at a time and
 *    10 runs at once, the marginal step, and a run's fixed cost, against the
 *    floor: one INSERT of a checkpoint-sized row per step, committed, on a
 *    `pg` connection to the same server; with the server's CPU per step
 *    (its backends' own, from /proc). Targets (wall): ≤ 1.5× the floor at
 *    N = 10 and ≤ 1.2× at N = 100, below it with 10 runs at once, a fixed
 *    cost ≤ 2 ms.
 * 2. `throughput`: runs/s with 1, 2 and 4 worker processes, steps that take
 *    no time (CPU-bound) and steps that wait 50 ms (I/O-bound), each worker
 *    at most 10 runs at once; the rate between the 10th and the 90th
 *    percentile of completion times; and runs/s per core (1000 / the CPU ms
 *    per run of the workers and their backends), judged against ≥ 2× an
 *    earlier version's figure (1 worker, steps of 0 ms) when
 *    `WEFT_BENCH_PG_BASELINE_PER_CORE` gives it.
 * 3. `latency`: queued → executing (a run started by another process until
 *    the worker's RunStarted) and signal → executing (until the step after
 *    the wait starts), with LISTEN/NOTIFY (the worker polls once a minute)
 *    and with polling only (every 2 s, the default, and every 250 ms).
 * 4. `failover`: a worker SIGKILLed in the middle of a run → the run
 *    executing in the other worker, with the default settings (lease 30 s,
 *    poll 2 s) and short ones (lease 3 s, poll 250 ms); and a worker
 *    SIGTERMed (grace 0) → the run executing in the other.
 * 5. `sqlite`: the same failover with worker processes on one SQLite file.
 *
 * Times across processes are the processes' own `Date.now()` on one machine.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Context, Duration, Effect, Layer, ManagedRuntime, Schema } from "effect"
import pg from "pg"
import { Engine, Settings, SnapshotStore, Step, Template } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"
import { buildForTests } from "../test/build.js"
import { chain as loggedChain, wait as waitFlow } from "../test/workers/flows.js"
import {
  eventOf,
  pause,
  type Place,
  spawnWorker,
  unique,
  type WorkerProcess,
  type WorkerSettings
} from "../test/workers/processes.js"
import { pgSettings } from "./fixtures.js"
import * as S from "./stats.js"

const argument = (name: string): string | undefined =>
  process.argv.find((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`))?.split("=").slice(1).join("=")
const quick = process.argv.includes("--quick")
const parts = ["step", "throughput", "latency", "failover", "sqlite"] as const
type Part = typeof parts[number]
const only = (argument("only") ?? "").split(",").filter((s) => s !== "")
for (const name of only) {
  if (!(parts as ReadonlyArray<string>).includes(name)) {
    console.error(`unknown part "${name}"; parts: ${parts.join(", ")}`)
    process.exit(2)
  }
}
const enabled = (part: Part) => only.length === 0 || only.includes(part)

const serverUrl = process.env.WEFT_BENCH_PG_URL ?? process.env.WEFT_TEST_PG_URL ??
  "postgres://root@127.0.0.1:5432/postgres"

const withDatabase = (url: string, database: string): string => {
  const u = new URL(url)
  u.pathname = `/${database}`
  return u.toString()
}

const query = async (url: string, text: string, values: ReadonlyArray<unknown> = []) => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  client.on("error", () => undefined)
  await client.connect()
  try {
    return (await client.query(text, values as Array<unknown>)).rows as ReadonlyArray<Record<string, unknown>>
  } finally {
    await client.end().catch(() => undefined)
  }
}

const tmpDir = Path.join(process.cwd(), ".bench-tmp", "pg")

/** Runs/s per core of an earlier version (1 worker, steps of 0 ms), for the throughput target (≥ 2× it). */
const baselinePerCore = process.env.WEFT_BENCH_PG_BASELINE_PER_CORE === undefined
  ? undefined
  : Number(process.env.WEFT_BENCH_PG_BASELINE_PER_CORE)

// -----------------------------------------------------------------------------
// figures
// -----------------------------------------------------------------------------

const fmt = (ms: number): string => ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms >= 10 ? 0 : 1)} ms`
const showMs = (values: ReadonlyArray<number>): string => {
  const s = S.summarize(values)
  return `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}] (n=${s.n})`
}
const verdicts: Array<S.Verdict> = []

// -----------------------------------------------------------------------------
// 1. per step, against the raw INSERT floor
// -----------------------------------------------------------------------------

interface Tick {
  readonly tick: number
  readonly note: string
}
const filler = "x".repeat(80)
const work = (tick: number): Tick => ({ tick: tick + 1, note: `note ${String(tick + 1).padStart(8, "0")} ${filler}` })

/** `seed`, then `steps − 1` steps that each rewrite `tick` and `note` (~100 bytes): `steps` checkpoints. */
const benchChain = (steps: number): Template.Template<{ readonly start: number }, Tick> => {
  const nodes: Array<Step.Step.Any> = [Step.make({
    name: "seed",
    requires: { start: Schema.Number },
    provides: { tick: Schema.Number, note: Schema.String },
    run: ({ start }) => Effect.succeed(work(start))
  })]
  for (let i = 1; i < steps; i++) {
    nodes.push(Step.make({
      name: `s${i}`,
      requires: { tick: Schema.Number },
      provides: { tick: Schema.Number, note: Schema.String },
      run: ({ tick }) => Effect.succeed(work(tick))
    }))
  }
  return Template.make({ name: `pgbench-${steps}`, version: "1", steps: nodes as never }) as unknown as Template.Template<
    { readonly start: number },
    Tick
  >
}

/** A checkpoint row's delta as the steps above write it (~200 bytes of JSON). */
const deltaText = (tick: number): string => {
  const out = work(tick)
  const entry = (value: unknown) => ({ value, writtenAt: 1_700_000_000_000 + tick, expiresAt: null })
  return JSON.stringify({ set: { tick: entry(out.tick), note: entry(out.note) }, unset: [] })
}

/** The pids of the server's backends whose `application_name` is `name`. */
const backendPids = async (url: string, name: string): Promise<ReadonlyArray<number>> =>
  (await query(url, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", [name])).map((r) => Number(r.pid))

const stepPart = async (url: string) => {
  const reps = quick ? 3 : 7
  const warmup = quick ? 1 : 2
  console.log(`\n## 1. Per step: engine on PostgreSQL vs one committed INSERT per step (floor)`)
  console.log(`runs of N steps (seed + N − 1), one at a time, and 10 at once; ${reps} paired repetitions after ${warmup} ` +
    `warm-up; per step = the whole run's time / N (its fixed cost included); marginal = (run of N − run of 1) / (N − 1); ` +
    `fixed cost = run of 1 − marginal`)

  const floor = new pg.Client({ connectionString: url, application_name: "bench-floor" })
  await floor.connect()
  await floor.query(`CREATE TABLE floor_steps (run_id text NOT NULL, seq integer NOT NULL, step_key text NOT NULL,
    step_name text NOT NULL, status text NOT NULL, attempts integer NOT NULL, started_at bigint NOT NULL,
    ended_at bigint NOT NULL, delta text NOT NULL, error text, idempotency_key text NOT NULL, PRIMARY KEY (run_id, seq))`)
  const floorPid = Number((await floor.query("SELECT pg_backend_pid() AS pid")).rows[0].pid)
  let floorRun = 0
  /** Server CPU (ms) of each measurement, summed over its samples, and the steps they wrote. */
  const server = new Map<string, { cpu: number; steps: number }>()
  const account = (label: string, cpu: number, steps: number) => {
    const entry = server.get(label) ?? { cpu: 0, steps: 0 }
    entry.cpu += cpu
    entry.steps += steps
    server.set(label, entry)
  }
  const floorSample = (rows: number) => async (): Promise<S.Time> => {
    const runId = `floor-${++floorRun}-${crypto.randomUUID()}`
    const payloads = Array.from({ length: rows }, (_, i) => deltaText(i))
    const serverBefore = cpuOf(floorPid)
    const stop = S.stopwatch()
    for (let seq = 1; seq <= rows; seq++) {
      await floor.query({
        name: "floor-insert",
        text: "INSERT INTO floor_steps VALUES ($1, $2, $3, $4, 'completed', 1, $5, $6, $7, NULL, $8)",
        values: [runId, seq, `s${seq}`, `s${seq}`, seq, seq + 1, payloads[seq - 1], `${runId}/s${seq}`]
      })
    }
    const time = stop()
    account("floor", cpuOf(floorPid) - serverBefore, rows)
    return S.mapTime(time, (t) => t / rows)
  }

  const applicationName = `bench-engine-${process.pid}`
  const runtime = ManagedRuntime.make(
    Pg.layer({ url, schema: `b_${unique()}`, applicationName }).pipe(
      Layer.provide(pgSettings),
      Layer.orDie
    )
  )
  /** `runs` runs of `template`, `atOnce` at a time: the time per step (`steps` each). */
  const runsOf = (label: string, steps: number, runs: number, atOnce: number) => {
    const template = benchChain(steps)
    const program = Effect.flatMap(Engine.Engine, (engine) =>
      Effect.forEach(
        Array.from({ length: runs }, (_, i) => i),
        () => engine.run(template, { start: 0 }),
        { concurrency: atOnce, discard: true }
      ))
    return async (): Promise<S.Time> => {
      const before = new Map((await backendPids(url, applicationName)).map((pid) => [pid, cpuOf(pid)]))
      const stop = S.stopwatch()
      await runtime.runPromise(program)
      const time = stop()
      const after = await backendPids(url, applicationName)
      // a backend that ended meanwhile (a pooled connection closed while idle) took its CPU time with it:
      // the sample's server time is then unknown, and left out
      if ([...before.keys()].every((pid) => after.includes(pid))) {
        account(label, after.reduce((sum, pid) => sum + cpuOf(pid) - (before.get(pid) ?? 0), 0), runs * steps)
      }
      return S.mapTime(time, (t) => t / (runs * steps))
    }
  }
  const perStep = (samples: ReadonlyArray<S.Time>, clock: S.Clock) => samples.map((t) => t[clock])
  const serverPer = (label: string) => {
    const entry = server.get(label)
    return entry === undefined || entry.steps === 0 ? Number.NaN : entry.cpu / entry.steps
  }
  try {
    await runtime.runtime()
    for (const steps of [10, 100]) {
      const runs = steps >= 100 ? (quick ? 2 : 4) : (quick ? 10 : 20)
      const rows = Math.max(200, runs * steps)
      const [whole, first, raw, atOnce] = await S.interleave(reps, warmup, [
        runsOf(`whole ${steps}`, steps, runs, 1),
        runsOf(`first ${steps}`, 1, runs * 2, 1),
        floorSample(rows),
        runsOf(`at once ${steps}`, steps, 10, 10)
      ])
      console.log(`\n### N = ${steps} (${runs} runs one at a time per sample; 10 at once: 10 runs of ${steps} steps)`)
      for (const clock of S.clocks) {
        const floorPer = perStep(raw!, clock)
        const wholePer = perStep(whole!, clock)
        const marginal = whole!.map((t, i) => (t[clock] * steps - first![i]![clock]) / (steps - 1))
        const fixed = first!.map((t, i) => t[clock] - marginal[i]!)
        const atOncePer = perStep(atOnce!, clock)
        const ratio = (values: ReadonlyArray<number>) => S.summarize(S.pairedRatios(values, floorPer))
        const wholeRatio = ratio(wholePer)
        const atOnceRatio = ratio(atOncePer)
        const fixedSummary = S.summarize(fixed)
        console.log(`${clock.padEnd(4)}  floor ${S.show(S.summarize(floorPer), S.us)} per INSERT`)
        console.log(`${clock.padEnd(4)}  one run at a time, per step (fixed cost in): ${S.show(S.summarize(wholePer), S.us)}: ${
          S.x(wholeRatio.median)
        } the floor [${S.x(wholeRatio.min)}–${S.x(wholeRatio.max)}]; marginal ${S.show(S.summarize(marginal), S.us)} (${
          S.x(ratio(marginal).median)
        })`)
        console.log(`${clock.padEnd(4)}  a run's fixed cost: ${S.show(fixedSummary, S.us)} (${
          S.x(fixedSummary.median / S.median(floorPer))
        } one INSERT); a 1-step run: ${S.show(S.summarize(perStep(first!, clock)), S.us)}`)
        console.log(`${clock.padEnd(4)}  10 runs at once, per step (fixed cost in): ${S.show(S.summarize(atOncePer), S.us)}: ${
          S.x(atOnceRatio.median)
        } the floor [${S.x(atOnceRatio.min)}–${S.x(atOnceRatio.max)}]`)
        if (clock === "wall") {
          verdicts.push(S.verdict(
            `PostgreSQL, N=${steps}, a whole run per step vs one committed INSERT (wall)`,
            wholeRatio.median,
            steps >= 100 ? 1.2 : 1.5,
            "fixed cost included"
          ))
          verdicts.push(S.verdict(
            `PostgreSQL, N=${steps}, 10 runs at once, per step vs one committed INSERT (wall)`,
            atOnceRatio.median,
            0.99,
            "fixed cost included; below the floor"
          ))
          if (steps === 10) {
            verdicts.push({
              name: "PostgreSQL, a run's fixed cost (wall)",
              pass: fixedSummary.median <= 2,
              detail: `${S.us(fixedSummary.median)} (target ≤ 2 ms)`
            })
          }
        }
      }
      console.log(`server CPU per step (the backends' own, from /proc): floor ${S.us(serverPer("floor"))}, one run at a time ${
        S.us(serverPer(`whole ${steps}`))
      }, a 1-step run ${S.us(serverPer(`first ${steps}`))} per run, 10 at once ${S.us(serverPer(`at once ${steps}`))}`)
    }
  } finally {
    await runtime.dispose()
    await floor.end()
  }
}

// -----------------------------------------------------------------------------
// worker processes
// -----------------------------------------------------------------------------

/** A client engine (no worker, no recovery) over a store layer. */
const clientOf = async (store: Layer.Layer<SnapshotStore.SnapshotStore, unknown>) => {
  const runtime = ManagedRuntime.make(
    Engine.layer.pipe(
      Layer.provide(store),
      Layer.provide(Settings.layerWith({
        recovery: false,
        pollInterval: Duration.millis(100),
        shutdownGrace: Duration.zero,
        workflowTimeout: Duration.infinity,
        stateTtl: Duration.infinity,
        maxRetries: 0
      })),
      Layer.orDie
    )
  )
  const engine = Context.get(await runtime.runtime().then((rt) => rt.context), Engine.Engine)
  return { engine, dispose: () => runtime.dispose() }
}

const run = <A>(effect: Effect.Effect<A, unknown>): Promise<A> => Effect.runPromise(Effect.orDie(effect))

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux; 0 elsewhere or once it is gone). */
const cpuOf = (pid: number): number => {
  try {
    const fields = Fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
    // utime and stime: fields 14 and 15 of the line, 12 and 13 after the command's ")"
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
  } catch {
    return 0
  }
}

/** CPU time (ms) used so far by the workers, and by the server's backends serving them. */
const cpuOfWorkers = async (
  url: string,
  workers: ReadonlyArray<WorkerProcess>
): Promise<{ readonly workers: number; readonly backends: number }> => {
  const names = workers.flatMap((w) => [w.name, `${w.name} (listen)`])
  const backends = await query(url, "SELECT pid FROM pg_stat_activity WHERE application_name = ANY($1)", [names])
  return {
    workers: workers.reduce((sum, w) => sum + cpuOf(w.pid), 0),
    backends: backends.reduce((sum, b) => sum + cpuOf(Number(b.pid)), 0)
  }
}

const stopAll = async (workers: ReadonlyArray<WorkerProcess>) => {
  for (const w of workers) w.kill("SIGKILL")
  await Promise.all(workers.map((w) => w.exited))
}

// -----------------------------------------------------------------------------
// 2. throughput
// -----------------------------------------------------------------------------

const throughputPart = async (url: string) => {
  console.log(`\n## 2. Throughput: runs/s with 1, 2 and 4 worker processes (4-step runs, each worker ≤ 10 at once)`)
  const sets = [
    { label: "steps of 0 ms (CPU-bound)", ms: 0, runs: quick ? 150 : 400 },
    { label: "steps of 50 ms (I/O-bound)", ms: 50, runs: quick ? 100 : 240 }
  ]
  for (const set of sets) {
    const row: Array<number> = []
    for (const count of [1, 2, 4]) {
      const place: Place = { scratch: { url }, schema: `t_${unique()}`, log: "/dev/null" }
      const settings: WorkerSettings = { queues: { bench: 10 }, leaseMs: 30_000, pollMs: 2_000 }
      const workers = await Promise.all(Array.from({ length: count }, () => spawnWorker(place, settings)))
      const client = await clientOf(Pg.layerStore({ url, schema: place.schema, applicationName: "bench-client" }))
      try {
        const flow = loggedChain("/dev/null")
        const cpuBefore = await cpuOfWorkers(url, workers)
        const enqueued = S.now()
        await run(Effect.forEach(
          Array.from({ length: set.runs }, (_, i) => `r${i}`),
          (runId) => client.engine.start(flow, { ms: set.ms }, { runId, queue: "bench" }),
          { concurrency: 8, discard: true }
        ))
        const enqueueMs = S.now() - enqueued
        const table = `"${place.schema}".weft_runs`
        for (;;) {
          const [row] = await query(url, `SELECT count(*)::int AS done FROM ${table} WHERE status = 'completed'`)
          if (Number(row!.done) >= set.runs) break
          await pause(100)
        }
        const cpuAfter = await cpuOfWorkers(url, workers)
        const workersPerRun = (cpuAfter.workers - cpuBefore.workers) / set.runs
        const backendsPerRun = (cpuAfter.backends - cpuBefore.backends) / set.runs
        const cpuPerRun = workersPerRun + backendsPerRun
        const ends = (await query(url, `SELECT updated_at FROM ${table} ORDER BY updated_at`)).map((r) => Number(r.updated_at))
        const lo = ends[Math.floor(set.runs * 0.1)]!
        const hi = ends[Math.floor(set.runs * 0.9)]!
        const rate = (Math.floor(set.runs * 0.9) - Math.floor(set.runs * 0.1)) / ((hi - lo) / 1000)
        row.push(rate)
        if (count === 1 && set.ms === 0 && baselinePerCore !== undefined) {
          verdicts.push(S.verdict(
            "PostgreSQL, 4-step runs per second per core (1 worker), the baseline's over this one's",
            baselinePerCore / (1000 / cpuPerRun),
            0.5,
            `${(1000 / cpuPerRun).toFixed(0)} runs/s per core vs ${baselinePerCore} (WEFT_BENCH_PG_BASELINE_PER_CORE); target ≥ 2×`
          ))
        }
        console.log(`${set.label.padEnd(28)} ${count} worker(s): ${rate.toFixed(0).padStart(5)} runs/s ` +
          `(${set.runs} runs; CPU per run, workers + their server backends: ${fmt(cpuPerRun)} (${fmt(workersPerRun)} + ${
            fmt(backendsPerRun)
          }), i.e. ${(1000 / cpuPerRun).toFixed(0)} runs/s per core; enqueued by one ` +
          `client in ${fmt(enqueueMs)}, ${(set.runs / (enqueueMs / 1000)).toFixed(0)}/s; load ${Os.loadavg()[0]!.toFixed(1)})`)
      } finally {
        await client.dispose()
        await stopAll(workers)
      }
    }
    console.log(`${set.label.padEnd(28)} scaling: 2 workers ${S.x(row[1]! / row[0]!)}, 4 workers ${S.x(row[2]! / row[0]!)} ` +
      `the rate of 1 (machine: ${Os.cpus().length} cores, shared with the server and the client)`)
  }
}

// -----------------------------------------------------------------------------
// 3. latency
// -----------------------------------------------------------------------------

const latencyPart = async (url: string) => {
  console.log(`\n## 3. Latency: queued → executing, and signal → executing (one idle worker)`)
  const modes: ReadonlyArray<{ readonly label: string; readonly settings: WorkerSettings; readonly samples: number; readonly jitter: number }> = [
    { label: "LISTEN/NOTIFY (poll every 60 s)", settings: { pollMs: 60_000 }, samples: quick ? 6 : 15, jitter: 100 },
    { label: "polling every 2 s (default), no LISTEN", settings: { pollMs: 2_000, listen: false }, samples: quick ? 4 : 10, jitter: 2_000 },
    { label: "polling every 250 ms, no LISTEN", settings: { pollMs: 250, listen: false }, samples: quick ? 6 : 15, jitter: 250 }
  ]
  for (const mode of modes) {
    const place: Place = { scratch: { url }, schema: `l_${unique()}`, log: "/dev/null" }
    const worker = await spawnWorker(place, { queues: { bench: 10 }, leaseMs: 30_000, ...mode.settings })
    const client = await clientOf(Pg.layerStore({ url, schema: place.schema, applicationName: "bench-client" }))
    const claims: Array<number> = []
    const wakes: Array<number> = []
    try {
      const flow = waitFlow("/dev/null")
      await pause(300)
      for (let i = 0; i < mode.samples; i++) {
        const runId = `w${i}`
        await pause(Math.random() * mode.jitter)
        const started = Date.now()
        await run(client.engine.start(flow, { ms: 0 }, { runId, queue: "bench" }))
        claims.push((await eventOf(worker, "RunStarted", runId, 30_000)).at - started)
        await eventOf(worker, "RunSuspended", runId, 30_000)
        await pause(50 + Math.random() * mode.jitter)
        const signalled = Date.now()
        await run(client.engine.signal(runId, "go", { n: i }))
        wakes.push((await eventOf(worker, "StepStarted", `${runId} s2`, 30_000)).at - signalled)
        await eventOf(worker, "RunCompleted", runId, 30_000)
      }
    } finally {
      await client.dispose()
      await stopAll([worker])
    }
    console.log(`${mode.label.padEnd(40)} queued → executing ${showMs(claims)}; signal → executing ${showMs(wakes)}`)
  }
}

// -----------------------------------------------------------------------------
// 4 and 5. failover
// -----------------------------------------------------------------------------

interface FailoverCase {
  readonly label: string
  readonly settings: WorkerSettings
  readonly samples: number
  readonly how: "SIGKILL" | "SIGTERM"
}

/**
 * Two workers; per sample a run is started, the worker executing it is
 * killed in its second step, and the time until the other one executes it
 * is measured; a new worker replaces the dead one.
 */
const failover = async (
  place: Place,
  client: { readonly engine: Engine.Service },
  c: FailoverCase
): Promise<ReadonlyArray<number>> => {
  const flow = loggedChain("/dev/null")
  let workers = await Promise.all([spawnWorker(place, c.settings), spawnWorker(place, c.settings)])
  const times: Array<number> = []
  try {
    for (let i = 0; i < c.samples; i++) {
      const runId = `f-${unique()}`
      const handle = await run(client.engine.start(flow, { ms: 500 }, { runId, queue: "bench" }))
      const first = await Promise.any(workers.map((w) => eventOf(w, "RunStarted", runId, 60_000).then(() => w)))
      const second = workers.find((w) => w !== first)!
      await eventOf(first, "StepStarted", `${runId} s2`, 30_000)
      await pause(100 + Math.random() * 300)
      const killed = Date.now()
      first.kill(c.how)
      const taken = await eventOf(second, "RunResumed", runId, 120_000)
      times.push(taken.at - killed)
      // the replacement starts while the run finishes
      const [replacement] = await Promise.all([spawnWorker(place, c.settings), run(handle.await), first.exited])
      workers = [second, replacement]
    }
  } finally {
    await stopAll(workers)
  }
  return times
}

const failoverCases = (forQuick: boolean): ReadonlyArray<FailoverCase> => [
  ...(forQuick ? [] : [{
    label: "SIGKILL, default settings (lease 30 s, poll 2 s)",
    settings: { queues: { bench: 10 }, leaseMs: 30_000, pollMs: 2_000 },
    samples: 2,
    how: "SIGKILL" as const
  }]),
  {
    label: "SIGKILL, lease 3 s, poll 250 ms",
    settings: { queues: { bench: 10 }, leaseMs: 3_000, pollMs: 250 },
    samples: forQuick ? 2 : 5,
    how: "SIGKILL"
  },
  {
    label: "SIGTERM (grace 0), lease 30 s, poll 2 s",
    settings: { queues: { bench: 10 }, leaseMs: 30_000, pollMs: 2_000, graceMs: 0 },
    samples: forQuick ? 2 : 3,
    how: "SIGTERM"
  }
]

const bounds = (c: FailoverCase): string => {
  const lease = c.settings.leaseMs!
  const poll = c.settings.pollMs!
  return c.how === "SIGKILL"
    ? `expected ${fmt((2 * lease) / 3)}–${fmt(lease + poll)} (what is left of the lease, renewed every third of it, + a poll)`
    : "expected: at once (the release is notified on PostgreSQL; on SQLite, within a poll)"
}

const failoverPart = async (url: string) => {
  console.log(`\n## 4. Failover on PostgreSQL: a worker dies in the middle of a run → the run executing in another`)
  for (const c of failoverCases(quick)) {
    const place: Place = { scratch: { url }, schema: `f_${unique()}`, log: "/dev/null" }
    const client = await clientOf(Pg.layerStore({ url, schema: place.schema, applicationName: "bench-client" }))
    try {
      const times = await failover(place, client, c)
      console.log(`${c.label.padEnd(48)} ${showMs(times)}; ${bounds(c)}`)
    } finally {
      await client.dispose()
    }
  }
}

const sqlitePart = async () => {
  console.log(`\n## 5. Failover on SQLite: worker processes on one file, a worker dies in the middle of a run`)
  Fs.mkdirSync(tmpDir, { recursive: true })
  for (const c of failoverCases(quick)) {
    const filename = Path.join(tmpDir, `failover-${process.pid}-${unique()}.db`)
    const place: Place = { scratch: { url: "" }, schema: "", log: "/dev/null" }
    const client = await clientOf(Sqlite.layerStore({ filename }))
    try {
      const times = await failover(place, client, { ...c, settings: { ...c.settings, sqlite: filename } })
      console.log(`${c.label.padEnd(48)} ${showMs(times)}; ${bounds(c)}`)
    } finally {
      await client.dispose()
      for (const suffix of ["", "-wal", "-shm"]) Fs.rmSync(`${filename}${suffix}`, { force: true })
    }
  }
}

// -----------------------------------------------------------------------------

const main = async (): Promise<void> => {
  await buildForTests() // the worker processes start from the built JavaScript
  const started = S.now()
  console.log(`weft PostgreSQL benchmark ${new Date().toISOString()}${quick ? " --quick" : ""}`)
  console.log(`node ${process.version}, ${Os.cpus().length} × ${Os.cpus()[0]?.model ?? "cpu"}, load ${
    Os.loadavg().map((l) => l.toFixed(2)).join(" ")
  }`)
  try {
    await query(serverUrl, "SELECT 1")
  } catch (error) {
    console.log(`PostgreSQL is not reachable at ${serverUrl} (${error instanceof Error ? error.message : String(error)}): ` +
      "skipped. Set WEFT_BENCH_PG_URL, or start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
    return
  }
  const [version] = await query(serverUrl, "SHOW server_version")
  const [sync] = await query(serverUrl, "SHOW synchronous_commit")
  console.log(`PostgreSQL ${String(version?.server_version)} at ${new URL(serverUrl).host}, synchronous_commit=${
    String(sync?.synchronous_commit)
  }`)
  const database = `weft_bench_${process.pid}_${unique()}`
  await query(serverUrl, `CREATE DATABASE ${database}`)
  const url = withDatabase(serverUrl, database)
  try {
    if (enabled("step")) await stepPart(url)
    if (enabled("throughput")) await throughputPart(url)
    if (enabled("latency")) await latencyPart(url)
    if (enabled("failover")) await failoverPart(url)
    if (enabled("sqlite")) await sqlitePart()
  } finally {
    await query(serverUrl, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined)
    Fs.rmSync(tmpDir, { recursive: true, force: true })
  }
  if (verdicts.length > 0) {
    console.log("\n## Targets")
    for (const v of verdicts) console.log(`${v.pass ? "PASS" : "MISS"}  ${v.name} — ${v.detail}`)
  }
  console.log(`\ntotal ${((S.now() - started) / 1000).toFixed(0)}s`)
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  }
)
