/**
 * An engine's progress events: published to every subscriber, and not even
 * built when nobody listens (steps ask `listening()` first).
 *
 * @internal
 */
import { Effect, PubSub, Stream } from "effect"
import type { Scope } from "effect"
import type { Event } from "../../Event.js"

/** Where an engine publishes its events. */
export interface Events {
  readonly publish: (event: Event) => Effect.Effect<void>
  readonly listening: () => boolean
  /** Subscribes now, for as long as the scope lives. */
  readonly subscribe: Effect.Effect<Stream.Stream<Event>, never, Scope.Scope>
  /** Subscribes when the stream starts running. */
  readonly stream: Stream.Stream<Event>
}

/** An unbounded hub of events that counts its subscribers. */
export const make: Effect.Effect<Events> = Effect.map(PubSub.unbounded<Event>(), (pubsub) => {
  let subscribers = 0
  const subscribe = Effect.flatMap(
    Effect.acquireRelease(Effect.sync(() => subscribers++), () => Effect.sync(() => subscribers--)),
    () => Effect.map(PubSub.subscribe(pubsub), (queue) => Stream.fromQueue(queue))
  )
  return {
    publish: (event) => subscribers === 0 ? Effect.void : Effect.asVoid(PubSub.publish(pubsub, event)),
    listening: () => subscribers > 0,
    subscribe,
    stream: Stream.unwrapScoped(subscribe)
  }
})
