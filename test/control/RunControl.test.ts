/**
 * Run control with real worker processes, on SQLite and on PostgreSQL: a
 * pause during a long step (it finishes, nothing more runs, no worker
 * claims the run), during a sleep (it does not wake until unpaused; its
 * deadline, passed meanwhile, applies at once), during a wait (a signal is
 * recorded; the run wakes only when unpaused); a poison run that kills the
 * process executing it on every take-up ends a dead letter after the set
 * number of attempts while the other runs complete; queued runs start by
 * priority under a backlog. Workers: lease 900 ms (a heartbeat every 300 ms),
 * poll 100 ms; the test process holds a client engine that executes nothing.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Context, Duration, Effect, Layer, type Scope } from "effect"
import { Engine, type Errors, Settings, type SnapshotStore } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"
import { built } from "../build.js"
import { describePg, type Scratch, unique } from "../pg/support.js"
import { flows, readLog, registerAll } from "./flows.js"
import type { ControlWorkerOptions } from "./worker.js"

/** Where a test's runs are kept: a SQLite file, or a PostgreSQL schema. */
type Place = { readonly sqlite: string } | { readonly url: string; readonly schema: string }

interface World {
  readonly place: Place
  readonly log: string
}

const world = (pg: Scratch | undefined): Effect.Effect<World, never, Scope.Scope> =>
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "weft-control-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ),
    (dir) => ({
      place: pg === undefined ? { sqlite: join(dir, "runs.db") } : { url: pg.url, schema: `c_${unique()}` },
      log: join(dir, "steps.log")
    })
  )

const storeOf = (place: Place): Layer.Layer<SnapshotStore.SnapshotStore, Errors.PersistenceError> =>
  "sqlite" in place ? Sqlite.layerStore({ filename: place.sqlite }) : Pg.layerStore({ url: place.url, schema: place.schema })

/** An engine in the test process that executes nothing (no recovery, no queue): it starts, pauses and signals. */
const client = (w: World): Effect.Effect<Engine.Service, never, Scope.Scope> =>
  Effect.gen(function*() {
    const layer = Engine.layer.pipe(
      Layer.provide(storeOf(w.place)),
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
    const engine = Context.get(yield* Layer.build(layer), Engine.Engine)
    yield* registerAll(engine, w.log)
    return engine
  })

interface WorkerProcess {
  readonly pid: number
  readonly exited: Promise<NodeJS.Signals | number | null>
  readonly dead: () => boolean
}

/** Starts a worker process (killed with the scope) and waits until it serves. */
const worker = (w: World, settings: Partial<ControlWorkerOptions> = {}): Effect.Effect<WorkerProcess, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<WorkerProcess>((ready, fail) => {
        const options: ControlWorkerOptions = {
          ...w.place,
          log: w.log,
          leaseMs: 900,
          pollMs: 100,
          slots: 4,
          maxRecoveryAttempts: 5,
          ...settings
        }
        const proc: ChildProcess = spawn(process.execPath, [built("test/control/worker.ts"), JSON.stringify(options)], {
          stdio: ["ignore", "pipe", "pipe"]
        })
        let over = false
        let err = ""
        const exited = new Promise<NodeJS.Signals | number | null>((done) =>
          proc.on("close", (code, signal) => {
            over = true
            done(signal ?? code)
          })
        )
        proc.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()))
        proc.stdout!.on("data", (chunk: Buffer) => {
          if (chunk.toString().includes("ready")) ready({ pid: proc.pid!, exited, dead: () => over })
        })
        void exited.then(() => fail(new Error(`worker exited before it was ready:\n${err}`)))
      })
    ),
    (proc) =>
      Effect.promise(async () => {
        if (!proc.dead()) process.kill(proc.pid, "SIGKILL")
        await proc.exited
      })
  )

/** Waits (real time) until `check` holds, up to `ms`. */
const until = <E>(check: Effect.Effect<boolean, E>, ms = 10_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + ms
    while (!(yield* check)) {
      if (Date.now() > deadline) return yield* Effect.die(new Error(`condition not met within ${ms} ms`))
      yield* Effect.sleep("25 millis")
    }
  })

const statusIs = (engine: Engine.Service, runId: string, status: SnapshotStore.RunStatus) =>
  Effect.map(engine.status(runId), (run) => run.status === status)

const steps = (w: World, runId: string, phase = "start") =>
  readLog(w.log).filter((line) => line.runId === runId && line.phase === phase).map((line) => line.step)

const suite = (name: string, pg: Scratch | undefined) =>
  describe(`run control with worker processes: ${name}`, () => {
    it.scopedLive("a pause during a long step: the step finishes, nothing more runs, no worker claims the run", () =>
      Effect.gen(function*() {
        const w = yield* world(pg)
        const engine = yield* client(w)
        yield* worker(w)
        yield* worker(w)
        yield* engine.start(flows(w.log)[0], { ms: 1200 }, { runId: "long", queue: "ctl" })
        yield* until(Effect.sync(() => steps(w, "long").includes("long")))
        expect(yield* engine.pause("long")).toBe("pausing")
        yield* until(statusIs(engine, "long", "paused"))
        expect(steps(w, "long", "end")).toEqual(["long"])
        // a second of lease expiries and polls: no worker claims it, nothing more runs
        yield* Effect.sleep("1 second")
        const paused = yield* engine.status("long")
        expect([paused.status, paused.owner, paused.pausedFrom]).toEqual(["paused", null, "running"])
        expect(steps(w, "long")).toEqual(["long"])
        expect((yield* engine.trace("long")).map((s) => s.step)).toEqual(["long"])
        expect(yield* engine.unpause("long")).toBe("running")
        yield* until(statusIs(engine, "long", "completed"))
        // the long step ran once: it had been recorded before the pause took effect
        expect(steps(w, "long")).toEqual(["long", "next", "last"])
      }))

    it.scopedLive("a pause during a sleep: it does not wake until unpaused; the deadline that passed applies at once", () =>
      Effect.gen(function*() {
        const w = yield* world(pg)
        const engine = yield* client(w)
        yield* worker(w)
        yield* engine.start(flows(w.log)[1], { ms: 10 }, { runId: "nap", queue: "ctl" })
        // its sleep began (the checkpoint that records its wake-up time)
        yield* until(Effect.map(engine.status("nap"), (run) => run.status === "running" && run.seq >= 1))
        expect(yield* engine.pause("nap")).toBe("pausing")
        yield* until(statusIs(engine, "nap", "paused"), 3000)
        // the sleep's deadline (1.5 s after it began) passes while paused: nothing wakes it
        yield* Effect.sleep("2 seconds")
        expect((yield* engine.status("nap")).status).toBe("paused")
        expect(steps(w, "nap")).toEqual([])
        const unpausedAt = Date.now()
        yield* engine.unpause("nap")
        yield* until(statusIs(engine, "nap", "completed"))
        const after = readLog(w.log).find((line) => line.runId === "nap" && line.step === "after")!
        expect(after.at - unpausedAt).toBeLessThan(1000)
      }))

    it.scopedLive("a pause during a wait: the signal is recorded, the run wakes only when unpaused", () =>
      Effect.gen(function*() {
        const w = yield* world(pg)
        const engine = yield* client(w)
        yield* worker(w)
        yield* engine.start(flows(w.log)[2], { ms: 10 }, { runId: "wait", queue: "ctl" })
        yield* until(statusIs(engine, "wait", "suspended"))
        expect(yield* engine.pause("wait")).toBe("paused")
        yield* engine.signal("wait", "go", { n: 1 })
        yield* Effect.sleep("1 second")
        const paused = yield* engine.status("wait")
        expect([paused.status, paused.pausedFrom]).toEqual(["paused", "suspended"])
        expect(steps(w, "wait")).toEqual([])
        expect(yield* engine.unpause("wait")).toBe("suspended")
        yield* until(statusIs(engine, "wait", "completed"))
        expect(steps(w, "wait")).toEqual(["after"])
      }))

    it.scopedLive("a poison run that kills its process on every take-up ends a dead letter; the other runs complete", () =>
      Effect.gen(function*() {
        const w = yield* world(pg)
        const engine = yield* client(w)
        yield* engine.start(flows(w.log)[3], {}, { runId: "poison", queue: "ctl", priority: 1 })
        for (const id of ["a", "b", "c"]) yield* engine.start(flows(w.log)[4], { ms: 10 }, { runId: id, queue: "ctl" })
        // one run at a time per worker: the poison run (first by priority) takes its worker down alone each time
        let workers = 0
        while ((yield* engine.status("poison")).status !== "failed" && workers < 6) {
          workers++
          const proc = yield* worker(w, { slots: 1, maxRecoveryAttempts: 2 })
          yield* Effect.race(
            Effect.promise(() => proc.exited),
            until(Effect.map(engine.status("poison"), (run) => run.status === "failed"), 15_000)
          )
        }
        const dead = yield* engine.status("poison")
        expect(dead.status).toBe("failed")
        expect(dead.error?.tag).toBe("RecoveryAttemptsExceeded")
        expect(dead.error?.data).toMatchObject({ attempts: 2, maxRecoveryAttempts: 2 })
        // taken up once, then recovered twice: three executions, each killed its process
        expect(steps(w, "poison")).toEqual(["explode", "explode", "explode"])
        expect(workers).toBe(4)
        for (const id of ["a", "b", "c"]) yield* until(statusIs(engine, id, "completed"))
        const failed = yield* engine.list({ status: "failed" })
        expect(failed.map((run) => run.runId)).toEqual(["poison"])
      }), 60_000)

    it.scopedLive("a rate limit of 10 starts per second holds across 3 workers", () =>
      Effect.gen(function*() {
        const w = yield* world(pg)
        const engine = yield* client(w)
        const runs = 35
        for (let i = 0; i < runs; i++) yield* engine.start(flows(w.log)[4], { ms: 5 }, { runId: `r${i}`, queue: "ctl" })
        const rate = { limit: 10, periodMs: 1000 }
        yield* Effect.all([worker(w, { rate }), worker(w, { rate }), worker(w, { rate })], { concurrency: "unbounded" })
        for (let i = 0; i < runs; i++) yield* until(statusIs(engine, `r${i}`, "completed"), 15_000)
        // each start, at the time of its claim as the store was asked (logged by each worker's store)
        const starts = readLog(w.log).filter((line) => line.phase === "claimed").map((line) => line.at).sort((a, b) => a - b)
        expect(starts).toHaveLength(runs)
        const most = Math.max(...starts.map((t) => starts.filter((u) => u >= t && u < t + rate.periodMs).length))
        expect(most).toBeLessThanOrEqual(10)
        // and the limit is what held them back: 35 starts at 10 per second take over 3 seconds
        expect(starts[starts.length - 1]! - starts[0]!).toBeGreaterThanOrEqual(3000)
        const pids = new Set(readLog(w.log).filter((line) => line.phase === "claimed").map((line) => line.pid))
        console.log(`rate limit (${name}): ${runs} starts, at most ${most} in any 1 s window, over ` +
          `${starts[starts.length - 1]! - starts[0]!} ms, by ${pids.size} workers`)
      }), 60_000)

    it.scopedLive("queued runs start highest priority first, then oldest, under a backlog", () =>
      Effect.gen(function*() {
        const w = yield* world(pg)
        const engine = yield* client(w)
        const priorities = [0, 5, 1, 5, 3, 0, -2, 3]
        for (const [i, priority] of priorities.entries()) {
          yield* engine.start(flows(w.log)[4], { ms: 20 }, { runId: `p${i}`, queue: "ctl", priority })
          yield* Effect.sleep("2 millis")
        }
        yield* worker(w, { slots: 1 })
        for (const i of priorities.keys()) yield* until(statusIs(engine, `p${i}`, "completed"))
        const order = readLog(w.log).filter((line) => line.phase === "start").map((line) => line.runId)
        expect(order).toEqual(["p1", "p3", "p4", "p7", "p2", "p0", "p5", "p6"])
      }))
  })

suite("SQLite", undefined)
describePg("PostgreSQL", (scratch) => suite("PostgreSQL", scratch))
