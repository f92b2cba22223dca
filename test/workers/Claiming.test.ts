/**
 * A worker takes its next queued run as soon as one of its runs ends
 * (regression): it used to wait for its next poll, so a worker with N slots
 * did at most N runs per poll interval. Two engines over one in-memory
 * store (no wake-ups: only polls and the worker's own endings) stand for a
 * client process and a worker; the worker polls once a minute.
 */
import { expect, it } from "@effect/vitest"
import { Duration, Effect, Layer } from "effect"
import { SnapshotStore, Worker } from "weftjs"
import { engineProcess } from "../support.js"
import { chain } from "./flows.js"

it.scopedLive("a worker at its limit takes the next queued run as soon as one of its runs ends", () =>
  Effect.gen(function*() {
    const shared = Layer.succeed(SnapshotStore.SnapshotStore, yield* SnapshotStore.makeMemory)
    const settings = { recovery: false, pollInterval: Duration.minutes(1) }
    const worker = yield* engineProcess(shared, settings, Worker.layer({ queues: { orders: 2 } }))
    const client = yield* engineProcess(shared, settings)
    const flow = chain("/dev/null", 2)
    yield* worker.engine.register(flow)
    const handles = yield* Effect.forEach(
      Array.from({ length: 8 }, (_, i) => `order-${i}`),
      (runId) => client.engine.start(flow, { ms: 20 }, { runId, queue: "orders" })
    )
    // the worker's first look (when it starts serving) finds 2 of them at most: the other 6 follow the endings
    const results = yield* Effect.forEach(handles, (handle) => handle.await, { concurrency: "unbounded" }).pipe(
      Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "the worker waited for its next poll" })
    )
    expect(results.map((r) => r.runId)).toHaveLength(8)
  }))
