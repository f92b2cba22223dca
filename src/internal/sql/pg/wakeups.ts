/**
 * Wake-ups over PostgreSQL's LISTEN/NOTIFY: the store's statements that make
 * work claimable (a run queued or released, a signal recorded) call
 * `pg_notify(channel, '')`; each subscriber LISTENs on a connection of its
 * own (not one of the pool's: a pooled connection would miss notifications
 * while lent out).
 *
 * The connection is watched: when it fails (the server restarted, the
 * backend was terminated, the network dropped) it is opened again with
 * exponential back-off (100 ms, doubling, at most 5 s apart), and one wake-up
 * is emitted each time it is (re)established, since notifications sent
 * while it was away are lost. Wake-ups are hints: a burst of them is one
 * pending wake-up (a sliding queue of one), and engines poll anyway.
 *
 * @internal
 */
import { Deferred, Duration, Effect, Exit, Queue, Schedule, Stream } from "effect"
import type { Scope } from "effect"
import * as Pg from "pg"

/** How long subscribing waits for the first LISTEN before returning the stream anyway (it keeps trying). */
const firstListen = Duration.seconds(5)

/**
 * Subscribes to `channel` on a connection of `config`: a stream of
 * wake-ups that lasts as long as the scope.
 */
export const listen = (
  config: Pg.ClientConfig,
  channel: string,
  path: string
): Effect.Effect<Stream.Stream<void>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Effect.acquireRelease(Queue.sliding<void>(1), Queue.shutdown)
    const listening = yield* Deferred.make<void>()

    /** One connection's life: fails when the connection does; never succeeds. */
    const session = Effect.async<never, Error>((resume) => {
      const client = new Pg.Client(config)
      let over = false
      const fail = (error: unknown) => {
        if (over) return
        over = true
        resume(Effect.fail(error instanceof Error ? error : new Error(String(error))))
      }
      client.on("error", fail)
      client.on("end", () => fail(new Error("the LISTEN connection ended")))
      client.on("notification", (message) => {
        if (message.channel === channel) Queue.unsafeOffer(queue, undefined)
      })
      client.connect()
        .then(() => client.query(`LISTEN ${Pg.escapeIdentifier(channel)}`))
        .then(() => {
          if (over) return
          Deferred.unsafeDone(listening, Exit.void)
          // whatever was notified while no connection listened
          Queue.unsafeOffer(queue, undefined)
        }, fail)
      return Effect.sync(() => {
        over = true
        client.removeAllListeners("notification")
        client.end().catch(() => undefined)
      })
    })

    yield* session.pipe(
      Effect.tapError((error) =>
        Effect.logWarning(`weft: the LISTEN connection to ${path} failed (${error.message}); re-opening it`)
      ),
      Effect.retry(Schedule.union(Schedule.exponential(Duration.millis(100)), Schedule.spaced(Duration.seconds(5)))),
      Effect.forkScoped
    )
    yield* Effect.ignore(Effect.timeout(Deferred.await(listening), firstListen))
    return Stream.fromQueue(queue)
  })
