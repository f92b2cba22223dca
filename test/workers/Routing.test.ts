/**
 * Where a signalled run goes on (regression): a run queued on a named queue
 * is executed by a worker serving that queue, even when the engine that
 * sends its signal knows its template; a run of the default queue goes on
 * in the engine that signals it, as before. Two engines over one in-memory
 * store stand for two processes.
 */
import { expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Stream } from "effect"
import { type Engine, SnapshotStore, Worker } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { engineProcess, tempFile } from "../support.js"
import { chain, wait } from "./flows.js"

const settings = { recovery: false, pollInterval: Duration.millis(50) }

/** Waits (in real time, 5 s at most) until the run has `status`. */
const awaitStatusIn = (engine: Engine.Service, runId: string, status: string): Effect.Effect<void> =>
  Effect.flatMap(Effect.orDie(engine.status(runId)), (run) =>
    run.status === status ? Effect.void : Effect.zipRight(Effect.sleep("10 millis"), awaitStatusIn(engine, runId, status))
  ).pipe(Effect.timeout("5 seconds"), Effect.orDie)

it.scopedLive("a signalled run of a named queue goes on in the worker serving it, not in the signalling engine", () =>
  Effect.gen(function*() {
    const shared = Layer.succeed(SnapshotStore.SnapshotStore, yield* SnapshotStore.makeMemory)
    const log = "/dev/null"
    const worker = yield* engineProcess(shared, settings, Worker.layer({ queues: ["orders"] }))
    const client = yield* engineProcess(shared, settings)
    const flow = wait(log)
    yield* worker.engine.register(flow)
    const seen: Array<string> = []
    const record = (who: string, engine: Engine.Service) =>
      Effect.forkScoped(Stream.runForEach(
        Stream.unwrapScoped(engine.subscribe),
        (e) => Effect.sync(() => e._tag === "StepStarted" && seen.push(`${who} ${e.runId} ${e.step}`))
      ))
    yield* record("worker", worker.engine)
    yield* record("client", client.engine)
    yield* Effect.yieldNow()

    const queued = yield* client.engine.start(flow, { ms: 1 }, { runId: "queued", queue: "orders" })
    yield* awaitStatusIn(client.engine, "queued", "suspended")
    yield* client.engine.signal("queued", "go", { n: 1 })
    expect((yield* queued.await).state.total).toBe(2)

    const direct = yield* client.engine.start(flow, { ms: 1 }, { runId: "direct" })
    yield* awaitStatusIn(client.engine, "direct", "suspended")
    yield* client.engine.signal("direct", "go", { n: 1 })
    expect((yield* direct.await).state.total).toBe(2)

    expect(seen.filter((s) => s.endsWith(" s1") || s.endsWith(" s2"))).toEqual([
      "worker queued s1",
      "worker queued s2",
      "client direct s1",
      "client direct s2"
    ])
  }))

it.scopedLive("an engine that serves no queue takes up the default queue's orphaned runs, never a named queue's", () =>
  Effect.gen(function*() {
    // a file each "process" opens (an in-memory store is not durable: its engines take nothing up)
    const shared = Sqlite.layerStore({ filename: yield* tempFile })
    const flow = chain("/dev/null", 2)
    // a worker of `orders` that executes one run of each queue, then dies (its runs are handed back)
    const first = yield* engineProcess(shared, settings, Worker.layer({ queues: ["orders"] }))
    yield* first.engine.register(flow)
    yield* first.engine.start(flow, { ms: 200 }, { runId: "of-orders", queue: "orders" })
    yield* first.engine.start(flow, { ms: 200 }, { runId: "of-default" })
    yield* awaitStatusIn(first.engine, "of-orders", "running")
    yield* first.stop

    // a plain engine with recovery: it completes the default queue's run, and leaves the other alone
    const plain = yield* engineProcess(shared, { pollInterval: Duration.millis(50) })
    yield* plain.engine.register(flow)
    yield* awaitStatusIn(plain.engine, "of-default", "completed")
    const left = yield* Effect.orDie(plain.engine.status("of-orders"))
    expect([left.status, left.owner]).toEqual(["running", null])

    // a worker serving `orders` takes it up
    const second = yield* engineProcess(shared, settings, Worker.layer({ queues: ["orders"] }))
    yield* second.engine.register(flow)
    yield* awaitStatusIn(second.engine, "of-orders", "completed")
  }))
