/**
 * Workers in the store: an engine serving queues records itself (id, host,
 * pid, queues, start) and beats every third of a lease; when it stops it
 * records that. `engine.workers` and `engine.queues` read them back.
 *
 * @internal
 */
import { hostname } from "node:os"
import { Clock, Effect } from "effect"
import type { PersistenceError } from "../../Errors.js"
import type { Service as Store, WorkerRecord } from "../../SnapshotStore.js"
import type * as Worker from "../../Worker.js"
import { retryTransient } from "../run/checkpoint.js"
import { choreSleep } from "./clock.js"

const record = (store: Store, worker: WorkerRecord) =>
  Effect.catchAll(retryTransient(store.recordWorker(worker)), (error) => Effect.logWarning("weft: could not record the worker", error))

/** Records this engine as a worker of `queues` while the scope lives, beating every third of a lease. */
export const announce = (options: {
  readonly store: Store
  readonly owner: string
  readonly leaseMillis: number
  readonly queues: Readonly<Record<string, number>>
}) =>
  Effect.gen(function*() {
    const { leaseMillis, owner, queues, store } = options
    const startedAt = yield* Clock.currentTimeMillis
    const base = { workerId: owner, host: hostname(), pid: process.pid, queues, startedAt, stoppedAt: null }
    yield* record(store, { ...base, heartbeatAt: startedAt, leaseUntil: startedAt + leaseMillis })
    const beat = Effect.flatMap(Clock.currentTimeMillis, (now) => record(store, { ...base, heartbeatAt: now, leaseUntil: now + leaseMillis }))
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(choreSleep(Math.max(1, Math.floor(leaseMillis / 3))), beat)))
    yield* Effect.addFinalizer(() =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => record(store, { ...base, heartbeatAt: now, leaseUntil: now, stoppedAt: now }))
    )
  })

/** The recorded workers with their state; dead and stopped ones holding nothing are forgotten. */
export const workers = (store: Store): Effect.Effect<ReadonlyArray<Worker.Status>, PersistenceError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) =>
    Effect.map(retryTransient(store.workers(now)), (found) =>
      found.map((w): Worker.Status => ({
        ...w,
        state: w.stoppedAt !== null ? "stopped" : w.leaseUntil > now ? "alive" : "dead"
      }))))

/** The queues with active runs or live workers. */
export const queues = (store: Store): Effect.Effect<ReadonlyArray<Worker.Queue>, PersistenceError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const [stats, all] = yield* Effect.all([retryTransient(store.queueStats), workers(store)])
    const live = all.filter((w) => w.state === "alive")
    const byName = new Map(stats.map((q) => [q.queue, q]))
    for (const w of live) {
      for (const queue of Object.keys(w.queues)) {
        if (!byName.has(queue)) byName.set(queue, { queue, queued: 0, running: 0, suspended: 0, oldestQueuedAt: null })
      }
    }
    return Array.from(byName.values()).sort((a, b) => (a.queue < b.queue ? -1 : 1)).map((q): Worker.Queue => ({
      ...q,
      oldestQueuedAgeMs: q.oldestQueuedAt === null ? null : Math.max(0, now - q.oldestQueuedAt),
      workers: live.filter((w) => Object.hasOwn(w.queues, q.queue)).map((w) => w.workerId)
    }))
  })
