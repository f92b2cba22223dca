/**
 * What the benchmarks run: a chain of small steps over a state of a chosen
 * size, the same work as a plain Effect, engine layers with benchmark
 * settings, and temp files.
 *
 * The state of a run is `blob` (an array of ~100-byte strings, read once by
 * the first step and then carried along), plus `tick` and `note`, which
 * every step reads and rewrites: each step writes ~100 bytes, so the state
 * keeps its size however long the chain.
 */
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Duration, Effect, Layer, ManagedRuntime, Schema } from "effect"
import { Engine, Settings, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"

export interface Input {
  readonly blob: ReadonlyArray<string>
}

export interface Output {
  readonly tick: number
  readonly note: string
}

export type Chain = Template.Template<Input, Output>

const filler = "x".repeat(80)

/** What one step computes: ~100 bytes of output (as JSON). */
export const work = (tick: number): Output => ({ tick: tick + 1, note: `note ${String(tick + 1).padStart(8, "0")} ${filler}` })

/** The same work as a plain Effect. */
export const workEffect = (state: Output): Effect.Effect<Output> => Effect.succeed(work(state.tick))

/** Optional simulated I/O per step (throughput bench). */
export interface StepOptions {
  readonly sleep?: Duration.DurationInput | undefined
}

const seed = (options: StepOptions) =>
  Step.make({
    name: "seed",
    requires: { blob: Schema.Array(Schema.String) },
    provides: { tick: Schema.Number, note: Schema.String },
    run: () => withSleep(Effect.succeed(work(0)), options)
  })

const tick = (i: number, options: StepOptions) =>
  Step.make({
    name: `s${i}`,
    requires: { tick: Schema.Number },
    provides: { tick: Schema.Number, note: Schema.String },
    run: (state) => withSleep(Effect.succeed(work(state.tick)), options)
  })

const withSleep = <A>(effect: Effect.Effect<A>, options: StepOptions): Effect.Effect<A> =>
  options.sleep === undefined ? effect : Effect.zipRight(Effect.sleep(options.sleep), effect)

/**
 * A template of `steps` steps: `seed` (reads the blob), then `steps - 1`
 * steps that each rewrite `tick` and `note`. Built at run time, so typed by hand.
 */
export const chain = (steps: number, options: StepOptions = {}): Chain => {
  const nodes: Array<Step.Step.Any> = [seed(options)]
  for (let i = 1; i < steps; i++) nodes.push(tick(i, options))
  return Template.make({ name: `bench-${steps}`, version: "1", steps: nodes as never }) as unknown as Chain
}

/** The same chain as a plain Effect: `steps` steps of `work`. */
export const plainChain = (steps: number, options: StepOptions = {}): Effect.Effect<Output> =>
  Effect.gen(function*() {
    let state = yield* withSleep(Effect.succeed(work(0)), options)
    for (let i = 1; i < steps; i++) state = yield* withSleep(workEffect(state), options)
    return state
  })

/** An input whose `blob` weighs about `bytes` as JSON (~100-byte items). */
export const input = (bytes: number): Input => {
  const item = "b".repeat(97)
  return { blob: Array.from({ length: Math.max(1, Math.round(bytes / 100)) }, () => item) }
}

export const settings = Settings.layerWith({
  workflowTimeout: Duration.infinity,
  stateTtl: Duration.infinity,
  maxRetries: 0
})

/** A PostgreSQL engine's settings when it is measured: retries, timeouts and TTL off, no recovery, the poller all but idle. */
export const pgSettings = Settings.layerWith({
  maxRetries: 0,
  workflowTimeout: Duration.infinity,
  stateTtl: Duration.infinity,
  recovery: false,
  pollInterval: Duration.minutes(1)
})

/** The in-memory engine (the test kit's), retries off. */
export const memoryLayer = (): Layer.Layer<Engine.Engine> =>
  Engine.layerMemory.pipe(Layer.provide(settings), Layer.orDie)

/** The SQLite engine on a file, retries off. */
export const sqliteLayer = (file: string, synchronous: "NORMAL" | "FULL"): Layer.Layer<Engine.Engine> =>
  Sqlite.layer({ filename: file, synchronous }).pipe(Layer.provide(settings), Layer.orDie)

/**
 * The engines the engine-level benchmark measures, by name: the in-memory
 * engine (against a plain Effect chain) and the SQLite engine (against the
 * raw 1-row commit, NORMAL and FULL).
 */
export const engines: Readonly<
  Record<string, (file: string, synchronous: "NORMAL" | "FULL") => Layer.Layer<Engine.Engine>>
> = {
  memory: () => memoryLayer(),
  sqlite: sqliteLayer
}

export type Runtime = ManagedRuntime.ManagedRuntime<Engine.Engine, never>

/** The engine's tag, as the benchmarks' effects require it. */
export type EngineTag = Engine.Engine

export const runtimeOf = async (layer: Layer.Layer<Engine.Engine>): Promise<Runtime> => {
  const runtime = ManagedRuntime.make(layer)
  await runtime.runtime()
  return runtime
}

/** One run of a chain to the end, on the engine in context; its final tick. */
export const chainRun = (template: Chain, data: Input): Effect.Effect<number, unknown, Engine.Engine> =>
  Effect.flatMap(Engine.Engine, (engine) => Effect.map(engine.run(template, data), (result) => result.state.tick))

/** Runs one chain to the end on the engine; returns the final tick. */
export const runChain = (runtime: Runtime, template: Chain, data: Input): Promise<number> =>
  runtime.runPromise(chainRun(template, data))

// -----------------------------------------------------------------------------
// temp files
// -----------------------------------------------------------------------------

export const tmpRoot = Path.join(process.cwd(), ".bench-tmp", "engine")

let counter = 0

/** A fresh database path under .bench-tmp/engine (gitignored). */
export const tmpDb = (label: string): string => {
  Fs.mkdirSync(tmpRoot, { recursive: true })
  counter++
  return Path.join(tmpRoot, `${label}-${process.pid}-${counter}.db`)
}

/** Removes a database file with its WAL and shared-memory files. */
export const removeDb = (file: string): void => {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) Fs.rmSync(`${file}${suffix}`, { force: true })
}

export const cleanTmp = (): void => {
  Fs.rmSync(tmpRoot, { recursive: true, force: true })
}

export const machine = (): string =>
  `node ${process.version}, ${Os.cpus().length} × ${Os.cpus()[0]?.model ?? "cpu"}, load ${
    Os.loadavg().map((l) => l.toFixed(2)).join(" ")
  }`
