/**
 * What happens to a worker's runs when the worker goes away, on a real
 * PostgreSQL server with real processes:
 *
 * - SIGKILL: the run goes on in another worker at once (its process on this
 *   machine is gone), within a poll interval; the step in flight runs again there,
 *   with the same idempotency key; completed steps do not.
 * - SIGTERM: the worker stops claiming, lets the step in flight finish
 *   within its grace, hands the run back, and another worker takes it at
 *   once (long before the lease or a poll: the release is notified).
 * - SIGSTOP past the lease, another worker takes the run, SIGCONT: the
 *   stale worker finishes its step but records nothing (fenced writes).
 * - The worker's connections killed by the server mid-run: the run is not
 *   lost, and completes.
 */
import { expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { Pg } from "weftjs/pg"
import { describePg, query, serverUrl } from "../pg/support.js"
import { chain, type LogLine, readLog } from "./flows.js"
import { clientEngine, eventOf, pause, startWorker, startWorkers, touched, type World, world, type WorkerProcess } from "./support.js"

/** The worker of `workers` that claims `runId` first, and the others. */
const claimant = async (workers: ReadonlyArray<WorkerProcess>, runId: string) => {
  const first = await Promise.any(workers.map((w) => eventOf(w, "RunStarted", runId).then(() => w)))
  return { first, others: workers.filter((w) => w !== first) }
}

/** The steps recorded for a run, as `<step key> by <pid>` (each step writes its process's pid). */
const recorded = (w: World, runId: string) =>
  Effect.gen(function*() {
    const store = yield* Effect.orDie(Pg.make({ url: w.scratch.url, schema: w.schema }))
    const steps = yield* Effect.orDie(store.steps(runId))
    return steps.map((step) => {
      const by = Object.values(step.delta.set)[0]?.value
      return { seq: step.seq, step: step.stepKey, by: Number(by), endedAt: step.endedAt, key: step.idempotencyKey }
    })
  })

const lines = (log: ReadonlyArray<LogLine>, runId: string, phase: "start" | "end", stepKey: string) =>
  log.filter((l) => l.runId === runId && l.phase === phase && l.stepKey === stepKey)

describePg("worker failover", (scratch) => {
  it.scopedLive("SIGKILL: the run goes on in another worker at once (a dead process of this machine), within a poll interval", () =>
    Effect.gen(function*() {
      const w = yield* world(scratch)
      // a long lease: only the dead-owner check can explain a prompt take-over (issue 18.4)
      const settings = { leaseMs: 30_000, pollMs: 250 }
      const workers = yield* startWorkers(w, 2, settings)
      const client = yield* clientEngine(w)
      const handle = yield* client.start(chain(w.log), { ms: 800 }, { runId: "k1", queue: "default" })
      const { first, others } = yield* Effect.promise(() => claimant(workers, "k1"))
      const second = others[0]!
      yield* Effect.promise(() => eventOf(first, "StepStarted", "k1 s2"))
      yield* Effect.promise(() => pause(200))
      const leaseUntil = (yield* client.status("k1")).leaseUntil!
      const killedAt = Date.now()
      first.kill("SIGKILL")
      yield* Effect.promise(() => first.exited)
      const taken = yield* Effect.promise(() => eventOf(second, "RunResumed", "k1"))
      const result = yield* handle.await

      // long before its lease passed: within a poll interval (and some slack for a loaded machine) of the kill
      console.log(`SIGKILL -> executing in another worker (PostgreSQL, poll 250 ms): ${taken.at - killedAt} ms`)
      expect(taken.at).toBeLessThan(leaseUntil - 20_000)
      expect(taken.at - killedAt).toBeLessThan(settings.pollMs + 2_500)
      const log = readLog(w.log)
      // s1 ran once (in the dead worker); s2 was in flight: it ran again, with the same idempotency key
      expect(lines(log, "k1", "start", "s1").map((l) => l.pid)).toEqual([first.pid])
      const s2 = lines(log, "k1", "start", "s2")
      expect(s2.map((l) => l.pid)).toEqual([first.pid, second.pid])
      expect(new Set(s2.map((l) => l.key)).size).toBe(1)
      expect(lines(log, "k1", "end", "s2").map((l) => l.pid)).toEqual([second.pid])
      expect([result.state.by1, result.state.by2, result.state.by3, result.state.by4]).toEqual([
        first.pid,
        second.pid,
        second.pid,
        second.pid
      ])
      const steps = yield* recorded(w, "k1")
      expect(steps.map((s) => `${s.seq} ${s.step}`)).toEqual(["1 s1", "2 s2", "3 s3", "4 s4"])
    }), { timeout: 60_000 })

  it.scopedLive(
    "SIGTERM: the worker stops claiming, finishes its step within the grace, hands the run back; another takes it at once",
    () =>
      Effect.gen(function*() {
        const w = yield* world(scratch)
        // a long lease and a poll once a minute: only the release's notification can explain a prompt take-over
        const settings = { leaseMs: 20_000, pollMs: 60_000, graceMs: 1_500, chainSteps: 6 }
        const workers = yield* startWorkers(w, 2, settings)
        const client = yield* clientEngine(w)
        const flow = chain(w.log, 6)
        yield* Effect.promise(() => pause(300))
        const handle = yield* client.start(flow, { ms: 500 }, { runId: "t1", queue: "default" })
        const { first, others } = yield* Effect.promise(() => claimant(workers, "t1"))
        const second = others[0]!
        yield* Effect.promise(() => eventOf(first, "StepStarted", "t1 s2"))
        yield* Effect.promise(() => pause(100))
        first.kill("SIGTERM")
        const termAt = (yield* Effect.promise(() => first.waitFor((text) => text === "sigterm"))).at
        // queued after SIGTERM: the stopping worker must not take it
        const later = yield* client.start(flow, { ms: 10 }, { runId: "t2", queue: "default" })
        const exit = yield* Effect.promise(() => first.exited)
        const exitAt = (yield* Effect.promise(() => first.waitFor((text) => text.startsWith("exit ")))).at
        const taken = yield* Effect.promise(() => eventOf(second, "RunResumed", "t1"))
        const result = yield* handle.await
        yield* later.await

        expect(exit.code).toBe(0)
        // it stopped within its grace (and the time to hand back and close, on a loaded machine)
        expect(exitAt - termAt).toBeLessThan(settings.graceMs + 4_000)
        // taken over at once: long before the lease (20 s) or a poll (60 s)
        expect(taken.at - termAt).toBeLessThan(settings.graceMs + 4_000)
        expect(taken.at - exitAt).toBeLessThan(2_000)
        const log = readLog(w.log)
        // the step in flight at SIGTERM finished where it was, and ran once
        expect(lines(log, "t1", "start", "s2").map((l) => l.pid)).toEqual([first.pid])
        expect(lines(log, "t1", "end", "s2").map((l) => l.pid)).toEqual([first.pid])
        // every step completed once; a step cut short by the end of the grace ran again with the same key
        for (let i = 1; i <= 6; i++) {
          const ended = lines(log, "t1", "end", `s${i}`)
          expect(ended, `s${i}`).toHaveLength(1)
          const started = lines(log, "t1", "start", `s${i}`)
          expect(new Set(started.map((l) => l.key)).size).toBe(1)
          expect(result.state[`by${i}`]).toBe(ended[0]!.pid)
        }
        expect(result.state.by6).toBe(second.pid)
        // the run queued after SIGTERM went to the other worker
        expect(touched(first, "t2")).toBe(false)
        expect(log.filter((l) => l.runId === "t2").every((l) => l.pid === second.pid)).toBe(true)
        const steps = yield* recorded(w, "t1")
        expect(steps.map((s) => s.step)).toEqual(["s1", "s2", "s3", "s4", "s5", "s6"])
      }),
    { timeout: 60_000 }
  )

  it.scopedLive("a worker paused past its lease records nothing once it wakes up: its writes are fenced", () =>
    Effect.gen(function*() {
      const w = yield* world(scratch)
      const settings = { leaseMs: 2_000, pollMs: 200 }
      const workers = yield* startWorkers(w, 2, settings)
      const client = yield* clientEngine(w)
      const handle = yield* client.start(chain(w.log), { ms: 1_200 }, { runId: "f1", queue: "default" })
      const { first, others } = yield* Effect.promise(() => claimant(workers, "f1"))
      const second = others[0]!
      yield* Effect.promise(() => eventOf(first, "StepStarted", "f1 s2"))
      yield* Effect.promise(() => pause(100))
      first.kill("SIGSTOP")
      // the other worker takes the run once the lease has passed, and runs s2 again
      yield* Effect.promise(() => eventOf(second, "StepStarted", "f1 s2", 20_000))
      const continuedAt = Date.now()
      first.kill("SIGCONT")
      // the stale worker wakes up in s2 (its timer long past): it finishes the step and tries to record it
      yield* Effect.promise(async () => {
        for (let i = 0; i < 100 && !readLog(w.log).some((l) => l.pid === first.pid && l.phase === "end"); i++) {
          await pause(50)
        }
      })
      const result = yield* handle.await
      yield* Effect.promise(() => pause(500))

      const log = readLog(w.log)
      const staleEnd = lines(log, "f1", "end", "s2").find((l) => l.pid === first.pid)
      expect(staleEnd, "the stale worker finished its step").toBeDefined()
      expect(staleEnd!.at).toBeGreaterThanOrEqual(continuedAt)
      // ... and went no further
      expect(lines(log, "f1", "start", "s3").map((l) => l.pid)).toEqual([second.pid])
      // the steps table: one row per step; the stale worker's only row is s1, recorded before it was paused
      const steps = yield* recorded(w, "f1")
      expect(steps.map((s) => `${s.seq} ${s.step}`)).toEqual(["1 s1", "2 s2", "3 s3", "4 s4"])
      expect(steps.map((s) => s.by)).toEqual([first.pid, second.pid, second.pid, second.pid])
      expect(steps.filter((s) => s.by === first.pid).every((s) => s.endedAt < continuedAt)).toBe(true)
      expect([result.state.by1, result.state.by2]).toEqual([first.pid, second.pid])
      const run = yield* client.status("f1")
      expect(run.status).toBe("completed")
      // queued (0), claimed by the first worker (1), taken over by the second (2): nothing else claimed it
      expect(run.generation).toBe(2)
      expect(first.lines.some((l) => l.text.startsWith("event RunCompleted f1"))).toBe(false)
    }), { timeout: 60_000 })

  it.scopedLive("connections killed by the server mid-run: the run is not lost, and completes", () =>
    Effect.gen(function*() {
      const w = yield* world(scratch)
      const worker = yield* startWorker(w, { leaseMs: 3_000, pollMs: 250 })
      const client = yield* clientEngine(w)
      const handle = yield* client.start(chain(w.log), { ms: 600 }, { runId: "c1", queue: "default" })
      const killBackends = Effect.promise(() =>
        query(
          serverUrl,
          `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
           WHERE datname = $1 AND application_name IN ($2, $3)`,
          [scratch.database, worker.name, `${worker.name} (listen)`]
        )
      )
      yield* Effect.promise(() => eventOf(worker, "StepStarted", "c1 s2"))
      const killed = yield* killBackends
      expect(killed.length).toBeGreaterThan(0)
      yield* Effect.promise(() => eventOf(worker, "StepStarted", "c1 s3"))
      yield* Effect.promise(() => pause(550))
      // once more, at the moment s3 checkpoints
      yield* killBackends
      const result = yield* handle.await

      expect([result.state.by1, result.state.by4]).toEqual([worker.pid, worker.pid])
      expect(Option.isNone(Option.fromNullable(worker.lines.find((l) => l.text.startsWith("event RunFailed"))))).toBe(
        true
      )
      const steps = yield* recorded(w, "c1")
      expect(steps.map((s) => s.step)).toEqual(["s1", "s2", "s3", "s4"])
      // a step run again (its run handed back and taken up) kept its idempotency key
      const log = readLog(w.log).filter((l) => l.runId === "c1")
      for (const step of ["s1", "s2", "s3", "s4"]) {
        expect(new Set(log.filter((l) => l.stepKey === step).map((l) => l.key)).size).toBe(1)
      }
      // the kills did hit it (its LISTEN connection was re-opened); whatever failed was typed, never a defect
      const output = worker.lines.map((l) => l.text).join("\n") + worker.stderr()
      expect(output).toContain("re-opening it")
      expect(output).not.toMatch(/defect|uncaught|unhandled/i)
      expect((yield* client.status("c1")).status).toBe("completed")
    }), { timeout: 60_000 })
})
