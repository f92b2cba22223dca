/**
 * Worker processes on PostgreSQL: they claim the runs queued on the queues
 * they serve (each within its per-queue limit), execute runs that a process
 * with no worker starts and signals, are woken at once by LISTEN/NOTIFY
 * (their poll interval is a minute here: nothing else can explain a prompt
 * start), and leave alone the runs of templates they do not know, saying so.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Pg } from "weftjs/pg"
import { newRun, storedState } from "../contract/SnapshotStoreContract.js"
import { describePg } from "../pg/support.js"
import { chain, type LogLine, readLog, wait } from "./flows.js"
import { clientEngine, eventOf, pause, startWorker, touched, world } from "./support.js"

/** Per run: the process that executed it, and when its first step started and its last step ended. */
const runsOf = (log: ReadonlyArray<LogLine>) => {
  const runs = new Map<string, { pids: Set<number>; start: number; end: number }>()
  for (const line of log) {
    const run = runs.get(line.runId) ?? { pids: new Set(), start: Infinity, end: -Infinity }
    run.pids.add(line.pid)
    if (line.phase === "start") run.start = Math.min(run.start, line.at)
    if (line.phase === "end") run.end = Math.max(run.end, line.at)
    runs.set(line.runId, run)
  }
  return runs
}

/** The most intervals open at once. */
const maxOverlap = (intervals: ReadonlyArray<{ readonly start: number; readonly end: number }>): number => {
  const edges = intervals.flatMap((i) => [[i.start, 1], [i.end, -1]] as const)
  // at equal times an end comes before a start: a slot freed and taken at the same ms is not two at once
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let open = 0
  let max = 0
  for (const [, d] of edges) max = Math.max(max, (open += d))
  return max
}

/** Each step of each run started and ended exactly once. */
const expectOnce = (log: ReadonlyArray<LogLine>, runIds: ReadonlyArray<string>, steps: number) => {
  for (const runId of runIds) {
    const lines = log.filter((l) => l.runId === runId)
    expect(lines.filter((l) => l.phase === "start").map((l) => l.stepKey).sort(), runId).toEqual(
      Array.from({ length: steps }, (_, i) => `s${i + 1}`).sort()
    )
    expect(lines.filter((l) => l.phase === "end")).toHaveLength(steps)
  }
}

describePg("workers", (scratch) => {
  it.scopedLive("worker processes claim queued runs, each queue within its per-queue limit", () =>
    Effect.gen(function*() {
      const w = yield* world(scratch)
      const [a, b] = yield* Effect.all([
        startWorker(w, { queues: { fast: 2 } }),
        startWorker(w, { queues: { fast: 2, slow: 1 } })
      ], { concurrency: "unbounded" })
      const client = yield* clientEngine(w)
      const flow = chain(w.log)
      const fast = yield* Effect.forEach(
        Array.from({ length: 6 }, (_, i) => `fast-${i}`),
        (runId) => client.start(flow, { ms: 150 }, { runId, queue: "fast" })
      )
      const slow = yield* Effect.forEach(
        Array.from({ length: 3 }, (_, i) => `slow-${i}`),
        (runId) => client.start(flow, { ms: 150 }, { runId, queue: "slow" })
      )
      const results = yield* Effect.forEach([...fast, ...slow], (handle) => handle.await, { concurrency: "unbounded" })

      const log = readLog(w.log)
      expectOnce(log, results.map((r) => r.runId), 4)
      const runs = runsOf(log)
      for (const result of results) {
        const run = runs.get(result.runId)!
        // one process executed the whole run, and recorded it (its pid is in every step's output)
        expect(run.pids.size, result.runId).toBe(1)
        const [pid] = Array.from(run.pids)
        expect([a.pid, b.pid]).toContain(pid)
        expect([result.state.by1, result.state.by2, result.state.by3, result.state.by4]).toEqual([pid, pid, pid, pid])
      }
      const by = (pid: number, ids: ReadonlyArray<{ readonly runId: string }>) =>
        ids.map((h) => runs.get(h.runId)!).filter((run) => run.pids.has(pid))
      // "slow" is served by b only, one run at a time
      expect(by(a.pid, slow)).toHaveLength(0)
      expect(maxOverlap(by(b.pid, slow))).toBe(1)
      // "fast": both workers took some, neither more than 2 at once
      expect(by(a.pid, fast).length).toBeGreaterThan(0)
      expect(by(b.pid, fast).length).toBeGreaterThan(0)
      expect(maxOverlap(by(a.pid, fast))).toBeLessThanOrEqual(2)
      expect(maxOverlap(by(b.pid, fast))).toBeLessThanOrEqual(2)
      // the limits were reached (they limit, rather than the runs coming one by one)
      expect(Math.max(maxOverlap(by(a.pid, fast)), maxOverlap(by(b.pid, fast)))).toBe(2)
    }), { timeout: 60_000 })

  it.scopedLive(
    "a process with no worker starts and signals runs that a worker executes, woken at once by LISTEN/NOTIFY",
    () =>
      Effect.gen(function*() {
        const w = yield* world(scratch)
        // a hostile queue name and run id: parameters, never SQL
        const queue = "o'rders\"; DROP TABLE runs; -- é✓\u0000"
        const runId = `o'r"d;--é✓${"x".repeat(200)}`
        // it polls once a minute: only a notification can explain a prompt start
        const worker = yield* startWorker(w, { queues: { [queue]: 5 }, pollMs: 60_000 })
        const client = yield* clientEngine(w)
        const flow = wait(w.log)
        // let the worker's first look for work pass
        yield* Effect.promise(() => pause(500))

        const started = Date.now()
        const handle = yield* client.start(flow, { ms: 10 }, { runId, queue })
        const firstStep = yield* Effect.promise(() => eventOf(worker, "StepStarted", runId))
        const claimLatency = firstStep.at - started
        yield* Effect.promise(() => eventOf(worker, "RunSuspended", runId))
        expect((yield* client.status(runId)).status).toBe("suspended")
        yield* Effect.promise(() => pause(300))

        const signalled = Date.now()
        yield* client.signal(runId, "go", { n: 41 })
        const resumed = yield* Effect.promise(() => eventOf(worker, "StepStarted", `${runId} s2`))
        const wakeLatency = resumed.at - signalled
        const result = yield* handle.await
        expect(result.state.total).toBe(42)

        // the worker executed both steps; the process that started and signalled the run executed none
        const log = readLog(w.log).filter((l) => l.runId === runId)
        expect(log.map((l) => `${l.phase} ${l.stepKey}`)).toEqual(["start s1", "end s1", "start s2", "end s2"])
        expect(new Set(log.map((l) => l.pid))).toEqual(new Set([worker.pid]))
        expect([result.state.by1, result.state.by2]).toEqual([worker.pid, worker.pid])
        expect((yield* client.status(runId)).queue).toBe(queue)
        // far below the poll interval (60 s)
        expect(claimLatency).toBeLessThan(3_000)
        expect(wakeLatency).toBeLessThan(3_000)
      }),
    { timeout: 60_000 }
  )

  it.scopedLive("runs of a template a worker does not know are left alone, and said so once", () =>
    Effect.gen(function*() {
      const w = yield* world(scratch)
      const store = yield* Effect.orDie(Pg.make({ url: w.scratch.url, schema: w.schema }))
      const now = Date.now()
      const ghost = { templateName: "wk_ghost", templateVersion: "1", createdAt: now }
      // an orphaned run (its owner's lease passed long ago) and a queued one, on the queue the worker serves
      yield* Effect.orDie(store.createRun(
        newRun("ghost-orphan", ghost),
        storedState({ ms: 1 }),
        { owner: "elsewhere:1:dead", leaseUntil: now - 60_000 }
      ))
      yield* Effect.orDie(store.createRun(newRun("ghost-queued", ghost), storedState({ ms: 1 }), null))
      const before = yield* Effect.orDie(store.getRun("ghost-orphan"))

      const worker = yield* startWorker(w, { pollMs: 200 })
      // a run it knows goes through meanwhile: the worker does look for work
      const client = yield* clientEngine(w)
      const known = yield* client.start(chain(w.log), { ms: 1 }, { runId: "known", queue: "default" })
      yield* known.await
      yield* Effect.promise(() => pause(1_500))

      const orphan = Option.getOrThrow(yield* Effect.orDie(store.getRun("ghost-orphan")))
      expect(orphan.status).toBe("running")
      expect(orphan.owner).toBe("elsewhere:1:dead")
      expect(orphan.generation).toBe(Option.getOrThrow(before).generation)
      const queued = Option.getOrThrow(yield* Effect.orDie(store.getRun("ghost-queued")))
      expect(queued.status).toBe("queued")
      expect(queued.owner).toBeNull()
      expect(touched(worker, "ghost-orphan") || touched(worker, "ghost-queued")).toBe(false)
      // said once each, in its log, however many times it looked (every 200 ms)
      const output = worker.lines.map((l) => l.text).join("\n") + worker.stderr()
      for (const runId of ["ghost-orphan", "ghost-queued"]) {
        const said = output.split("\n").filter((line) => line.includes(`run ${runId} (wk_ghost@1) needs an engine`))
        expect(said, output).toHaveLength(1)
        expect(said[0]).toContain("not registered here: left alone")
      }
    }), { timeout: 60_000 })
})
