/**
 * The processes of the campaigns, one program with roles:
 *
 *   node .build/test/campaign/child.js '<ChildConfig as JSON>'
 *
 * - `worker`: an engine with recovery on and `Worker.layer` serving the
 *   campaign's queue; executes queued, orphaned and due runs until killed.
 * - `producer`: an engine with recovery off that queues runs `[from, to)`
 *   with `engine.start(flow, input, { queue })` (a run id that exists
 *   already, recorded before a kill, is skipped), then exits.
 * - `signaller`: an engine with recovery off that sends `go` to every run
 *   waiting for it (and, early, to some runs that have not reached the wait
 *   yet); a signalled run that is suspended goes on in this process.
 * - `starter`: an engine that starts runs `[from, to)` with `engine.start`
 *   (executed here), then awaits them all and exits.
 * - `resumer`: the README's "on start-up, resume every interrupted run" loop,
 *   over and over, on an engine with recovery off.
 * - `recoverer`: an engine with recovery on that knows the template, and
 *   nothing else.
 *
 * Every process prints `ready` once its engine is up and `exec <step key>`
 * when one of its steps starts (the killer places kills on these lines),
 * and its own counters as `{"...": ...}` lines.
 */
import { appendFileSync } from "node:fs"
import { Duration, Effect, Layer, Logger, Option, Stream } from "effect"
import { Engine, Settings, SnapshotStore, Worker } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"
import {
  expectedS4,
  goFor,
  inputFor,
  makeCampaignFlow,
  makeStartResumeFlow,
  type Probe,
  runIdOf,
  runNoOf
} from "./flows.js"

/** Where the runs are stored. */
export type StoreSpec =
  | { readonly kind: "sqlite"; readonly file: string }
  | { readonly kind: "pg"; readonly url: string }

/** What a child is told (as JSON in its first argument). */
export interface ChildConfig {
  readonly role: "worker" | "producer" | "signaller" | "starter" | "resumer" | "recoverer"
  readonly store: StoreSpec
  readonly log: string
  readonly seed: number
  /** The prefix of run ids: run `n` is `<prefix>-<n>`. */
  readonly prefix: string
  readonly from: number
  readonly to: number
  readonly queue: string
  readonly concurrency: number
  readonly leaseMillis: number
  readonly pollMillis: number
  readonly napMillis: number
  /** The share of runs the signaller signals before they reach their wait. */
  readonly earlySignals: number
  /**
   * For the checker's own test: `"steal-claims"` makes this process's store
   * claim runs whatever their lease (as if every lease had run out), so that
   * it executes runs a live process holds.
   */
  readonly sabotage?: "steal-claims" | undefined
  /** How much longer each step of the start/resume flow takes (ms). */
  readonly stepMillis?: number | undefined
}

const config = JSON.parse(process.argv[2] ?? "null") as ChildConfig | null
if (config === null) {
  console.error("usage: child.ts '<config JSON>'")
  process.exit(2)
}

const say = (line: string) => {
  process.stdout.write(`${line}\n`)
}

const probe: Probe = { log: config.log, onStart: (stepKey) => say(`exec ${stepKey}`) }

const campaign = makeCampaignFlow(probe, config.napMillis)
const startResume = makeStartResumeFlow(probe, config.stepMillis ?? 0)

const honestStore: Layer.Layer<SnapshotStore.SnapshotStore, unknown> = config.store.kind === "sqlite"
  ? Sqlite.layerStore({ filename: config.store.file, busyTimeout: Duration.millis(1500) })
  : Pg.layerStore({ url: config.store.url, maxConnections: 4, applicationName: `weft-campaign-${config.role}` })

/**
 * A store whose claims ignore leases, and whose records show every lease as
 * passed (so that the engine asks to claim): a broken engine, for the
 * checker to catch.
 */
const stealing = Layer.effect(
  SnapshotStore.SnapshotStore,
  Effect.map(SnapshotStore.SnapshotStore, (store): SnapshotStore.Service => ({
    ...store,
    getRun: (runId) => Effect.map(store.getRun(runId), Option.map((run) => ({ ...run, leaseUntil: 0 }))),
    claim: (runId, owner, now, leaseUntil, takeOverFrom) =>
      store.claim(runId, owner, now + 10 * config.leaseMillis, leaseUntil, takeOverFrom)
  }))
).pipe(Layer.provide(honestStore))

const store = config.sabotage === "steal-claims" ? stealing : honestStore

const engineLayer = (recovery: boolean) =>
  Engine.layer.pipe(
    Layer.provide(store),
    Layer.provide(Settings.layerWith({
      recovery,
      leaseDuration: Duration.millis(config.leaseMillis),
      pollInterval: Duration.millis(config.pollMillis),
      maxConcurrentWorkflows: config.concurrency,
      shutdownGrace: Duration.zero,
      retryDelay: Duration.millis(10),
      workflowTimeout: Duration.infinity,
      stateTtl: Duration.infinity
    })),
    Layer.orDie
  )

const runNumbers = () => Array.from({ length: config.to - config.from }, (_, i) => config.from + i)

/** A seeded choice per run, the same in every process. */
const early = (runNo: number) => ((runNo * 2654435761) >>> 0) / 4294967296 < config.earlySignals

const worker = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  yield* engine.register(campaign)
  if (process.env.WEFT_CAMPAIGN_EVENTS !== undefined) {
    // a trail of the run-level events, per process, to see where a stuck run stopped
    const file = `${config.log}.events.${process.pid}`
    const events = yield* engine.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (e) =>
      Effect.sync(() => {
        if (!e._tag.startsWith("Step")) appendFileSync(file, `${JSON.stringify(e)}\n`)
      })))
  }
  say("ready")
  return yield* Effect.never
}).pipe(
  Effect.provide(Layer.provideMerge(Worker.layer({ queues: { [config.queue]: config.concurrency } }), engineLayer(true)))
)

const producer = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  say("ready")
  let queued = 0
  for (const runNo of runNumbers()) {
    const runId = runIdOf(config.prefix, runNo)
    if (Option.isSome(yield* Effect.option(engine.status(runId)))) continue
    yield* engine.start(campaign, inputFor(config.seed, runNo), { runId, queue: config.queue })
    queued++
    // queue them over a while, not all at once: kills land while runs are still coming
    if (queued % 20 === 0) yield* Effect.sleep("100 millis")
  }
  say(JSON.stringify({ queued }))
}).pipe(Effect.provide(engineLayer(false)))

const signaller = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  yield* engine.register(campaign)
  say("ready")
  const sent = new Set<string>()
  let rejected = 0
  let reported = 0
  const send = (runId: string) =>
    Effect.gen(function*() {
      const outcome = yield* Effect.either(engine.signal(runId, "go", goFor(runId)))
      if (outcome._tag === "Right") sent.add(runId)
      else if (outcome.left._tag === "SignalRejected") {
        // already pending (sent before a kill of this process) or the run ended: nothing to send
        rejected++
        sent.add(runId)
      }
    })
  for (;;) {
    const waiting = yield* engine.list({ templateName: campaign.name, status: "suspended", limit: 500 })
    for (const run of waiting) {
      if (run.waitingFor?.signal === "go" && !sent.has(run.runId)) yield* send(run.runId)
    }
    const coming = yield* engine.list({ templateName: campaign.name, status: ["queued", "running"], limit: 500 })
    for (const run of coming) if (early(runNoOf(run.runId)) && !sent.has(run.runId)) yield* send(run.runId)
    if (sent.size !== reported) say(JSON.stringify({ signalled: (reported = sent.size), rejected }))
    yield* Effect.sleep("100 millis")
  }
}).pipe(Effect.provide(engineLayer(false)))

const starter = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  say("ready")
  const handles = []
  for (const runNo of runNumbers()) {
    const runId = runIdOf(config.prefix, runNo)
    if (Option.isSome(yield* Effect.option(engine.status(runId)))) continue
    handles.push(yield* engine.start(startResume, { n: runNo }, { runId }))
  }
  say(JSON.stringify({ started: handles.length }))
  let completed = 0
  let failed = 0
  for (const handle of handles) {
    const outcome = yield* Effect.either(handle.await)
    if (outcome._tag === "Right" && outcome.right.state.s4 === expectedS4(runNoOf(handle.runId))) completed++
    else failed++
  }
  say(JSON.stringify({ awaited: completed, failed }))
}).pipe(Effect.provide(engineLayer(false)))

/** The README's loop (section "Crash and resume"), run over and over. */
const resumer = Effect.gen(function*() {
  say("ready")
  const counts = { passes: 0, resumed: 0, alreadyActive: 0, mismatch: 0, notResumable: 0 }
  const resumeInterrupted = Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const interrupted = yield* engine.list({ templateName: startResume.name, status: "running" })
    for (const run of interrupted) {
      yield* engine.resume(startResume, run.runId).pipe(
        Effect.tap(() => Effect.sync(() => counts.resumed++)),
        Effect.asVoid,
        Effect.catchTags({
          // a live engine (this process or another) is executing it: leave it alone
          RunAlreadyActive: () => Effect.sync(() => counts.alreadyActive++),
          // the run was started with another version of the flow: do not run it with this one
          TemplateMismatch: () => Effect.sync(() => counts.mismatch++),
          // not in the README's loop: the run ended between the listing and the resume
          RunNotResumable: () => Effect.sync(() => counts.notResumable++)
        })
      )
    }
  })
  for (;;) {
    yield* resumeInterrupted
    counts.passes++
    say(JSON.stringify(counts))
    yield* Effect.sleep("50 millis")
  }
}).pipe(Effect.provide(engineLayer(false)))

const recoverer = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  yield* engine.register(startResume)
  say("ready")
  return yield* Effect.never
}).pipe(Effect.provide(engineLayer(true)))

const programs = { worker, producer, signaller, starter, resumer, recoverer } as const

/** Effect's logs (the engine's warnings) go to stderr: stdout carries the lines the campaign reads. */
const toStderr = Logger.replace(
  Logger.defaultLogger,
  Logger.make(({ logLevel, message }) => {
    process.stderr.write(`${logLevel.label} ${Array.isArray(message) ? message.map(String).join(" ") : String(message)}\n`)
  })
)

Effect.runPromiseExit(Effect.scoped(Effect.provide(programs[config.role] as Effect.Effect<unknown, unknown>, toStderr))).then((exit) => {
  if (exit._tag === "Failure") {
    say(JSON.stringify({ error: String(exit.cause) }))
    process.exit(3)
  }
  process.exit(0)
})
