/**
 * The processes of the take-over scenario (`Takeover.test.ts`, `bench/scale.ts`):
 *
 *   node .build/test/process/takeoverChild.js '<TakeoverConfig as JSON>'
 *
 * - `owner`: an engine (recovery off) that starts runs `[0, runs)` of a
 *   4-step flow with `engine.start` (executed here, `concurrency` at a time)
 *   and awaits every handle at once. Its supervisor starves it (SIGUSR2: a
 *   busy loop) for longer than a lease, so that another process takes its
 *   runs over, then lets it go on. It prints `{"settled":...}` when every waiter has
 *   settled (how many with the expected outcome), then its CPU time over
 *   quiet seconds and its memory, and samples of both every
 *   `sampleMillis` until stopped.
 * - `taker`: an engine with recovery on and room for every run: it takes
 *   over, at once, every run whose lease passed.
 *
 * Both print `ready` once their engine is up, then JSON lines.
 */
import { existsSync } from "node:fs"
import { Duration, Effect, Layer, Logger, Schema, Stream } from "effect"
import { Engine, Settings, SnapshotStore, Step, Template } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"

/** What a child is told. */
export interface TakeoverConfig {
  readonly role: "owner" | "taker"
  readonly store: { readonly kind: "sqlite"; readonly file: string } | { readonly kind: "pg"; readonly url: string }
  /** Runs `<prefix>-0` … `<prefix>-<runs - 1>`. */
  readonly prefix: string
  readonly runs: number
  readonly concurrency: number
  readonly leaseMillis: number
  readonly pollMillis: number
  /** How long each step sleeps (ms). */
  readonly stepMillis: number
  /**
   * Starving the owner: on SIGUSR2 it blocks its event loop (a busy loop, between two of its store
   * calls, so that it holds no lock of SQLite's) until this file exists.
   */
  readonly releaseFile: string
  /** How often the owner prints its memory and CPU, after its waiters settled (ms). */
  readonly sampleMillis: number
}

const config = JSON.parse(process.argv[2] ?? "null") as TakeoverConfig | null
if (config === null) {
  console.error("usage: takeoverChild.ts '<config JSON>'")
  process.exit(2)
}

const say = (value: unknown) => {
  process.stdout.write(`${typeof value === "string" ? value : JSON.stringify(value)}\n`)
}

const later = <A>(value: A) => Effect.as(Effect.sleep(config.stepMillis), value)

/** Four steps, each adding 1: a run from `{ n }` ends with `s4 = n + 4`. */
export const flow = Template.make({
  name: "takeover",
  version: "1",
  steps: [
    Step.make({
      name: "s1",
      requires: { n: Schema.Number },
      provides: { s1: Schema.Number },
      run: ({ n }) => later({ s1: n + 1 })
    }),
    Step.make({
      name: "s2",
      requires: { s1: Schema.Number },
      provides: { s2: Schema.Number },
      run: ({ s1 }) => later({ s2: s1 + 1 })
    }),
    Step.make({
      name: "s3",
      requires: { s2: Schema.Number },
      provides: { s3: Schema.Number },
      run: ({ s2 }) => later({ s3: s2 + 1 })
    }),
    Step.make({
      name: "s4",
      requires: { s3: Schema.Number },
      provides: { s4: Schema.Number },
      run: ({ s3 }) => later({ s4: s3 + 1 })
    })
  ]
})

const store: Layer.Layer<SnapshotStore.SnapshotStore, unknown> = config.store.kind === "sqlite"
  ? Sqlite.layerStore({ filename: config.store.file, busyTimeout: Duration.millis(1500) })
  : Pg.layerStore({ url: config.store.url, maxConnections: 4, applicationName: `weft-takeover-${config.role}` })

const engineLayer = (recovery: boolean, concurrency: number) => Engine.layer.pipe(
  Layer.provide(store),
  Layer.provide(Settings.layerWith({
    recovery,
    // the taker executes every run at once: a longer lease, so that its own load does not lapse it
    leaseDuration: Duration.millis(recovery ? 5 * config.leaseMillis : config.leaseMillis),
    pollInterval: Duration.millis(config.pollMillis),
    maxConcurrentWorkflows: concurrency,
    shutdownGrace: Duration.zero,
    workflowTimeout: Duration.infinity,
    stateTtl: Duration.infinity
  })),
  Layer.orDie
)

const runIdOf = (n: number) => `${config.prefix}-${n}`

/** This process's CPU time (user + system, ms) and memory (MB). */
const usage = () => {
  const cpu = process.cpuUsage()
  const memory = process.memoryUsage()
  return {
    cpuMillis: (cpu.user + cpu.system) / 1000,
    rssMB: Math.round(memory.rss / 2 ** 20),
    heapMB: Math.round(memory.heapUsed / 2 ** 20)
  }
}

const owner = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  say("ready")
  const handles = []
  for (let n = 0; n < config.runs; n++) handles.push(yield* engine.start(flow, { n }, { runId: runIdOf(n) }))
  say({ started: handles.length, at: Date.now(), ...usage() })
  let right = 0
  let wrong = 0
  const errors = new Map<string, number>()
  yield* Effect.forEach(handles, (handle, n) =>
    Effect.map(Effect.either(handle.await), (outcome) => {
      if (outcome._tag === "Right" && (outcome.right.state as { s4?: number }).s4 === n + 4) right++
      else {
        wrong++
        const what = outcome._tag === "Left" ? String((outcome.left as { _tag?: string })._tag ?? outcome.left) : "wrong s4"
        errors.set(what, (errors.get(what) ?? 0) + 1)
      }
    }), { concurrency: "unbounded", discard: true })
  say({ settled: right + wrong, right, wrong, errors: Object.fromEntries(errors), at: Date.now() })
  // how busy the engine stays once nothing is left to do: CPU time over quiet seconds
  const gc = (globalThis as { gc?: () => void }).gc
  for (let second = 1;; second++) {
    const before = usage()
    yield* Effect.sleep(Duration.millis(config.sampleMillis))
    const after = usage()
    // memory as the engine keeps it: what is garbage is collected first (the owner runs with --expose-gc),
    // after the quiet time whose CPU is measured (and its background work is let end before the next)
    if (gc !== undefined) gc()
    const kept = usage()
    say({
      sample: second,
      cpuPercent: Math.round(((after.cpuMillis - before.cpuMillis) / config.sampleMillis) * 1000) / 10,
      rssMB: kept.rssMB,
      heapMB: kept.heapMB
    })
    yield* Effect.sleep("300 millis")
  }
}).pipe(Effect.provide(engineLayer(false, config.concurrency)))

/**
 * An engine with recovery on that can hold every run at once: it takes over, in one claim round, every
 * run whose lease passed, and reports how many runs it took up.
 */
const taker = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  yield* engine.register(flow)
  const events = yield* engine.subscribe
  let resumed = 0
  yield* Effect.forkScoped(Stream.runForEach(events, (e) =>
    e._tag === "RunResumed"
      ? Effect.sync(() => {
        resumed++
      })
      : Effect.void))
  say("ready")
  let reported = -1
  for (;;) {
    if (resumed !== reported) say({ resumed: (reported = resumed), at: Date.now() })
    yield* Effect.sleep("100 millis")
  }
}).pipe(Effect.provide(engineLayer(true, config.runs)))

/** Effect's logs go to stderr: stdout carries the lines the supervisor reads. */
const toStderr = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ logLevel, message }) => {
    process.stderr.write(`${logLevel.label} ${Array.isArray(message) ? message.map(String).join(" ") : String(message)}\n`)
  })
)

process.on("SIGUSR2", () => {
  // starved: no heartbeat, no step, nothing else runs here until the supervisor says so
  while (!existsSync(config.releaseFile)) {
    const until = Date.now() + 10
    while (Date.now() < until) {
      // busy
    }
  }
  say("released")
})

// a stop by the supervisor ends the process normally (a CPU profile asked with --cpu-prof is then written)
process.on("SIGTERM", () => process.exit(0))

const program: Effect.Effect<unknown, unknown> = config.role === "owner" ? owner : Effect.scoped(taker)
Effect.runPromiseExit(Effect.scoped(Effect.provide(program, toStderr))).then((exit) => {
  if (exit._tag === "Failure") {
    say({ error: String(exit.cause) })
    process.exit(3)
  }
  process.exit(0)
})
