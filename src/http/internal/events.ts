/**
 * Server-Sent Events: the engine's events as they happen, and, for runs
 * that other processes execute (this engine publishes nothing for them),
 * `RunUpdated` events found by looking at the store every `pollInterval`.
 *
 * @internal
 */
import { Duration, Effect, Option, Schedule, Stream } from "effect"
import type * as Engine from "../../Engine.js"
import type { Event } from "../../Event.js"
import { isFinal } from "../../RunStatus.js"
import type * as SnapshotStore from "../../SnapshotStore.js"
import type * as Api from "../Api.js"
import type { InFlight } from "./inFlight.js"
import { toRun } from "./view.js"

/** One message of an event stream. */
export type Message =
  | { readonly _tag: "Event"; readonly event: Event }
  | { readonly _tag: "RunUpdated"; readonly run: Api.Run }
  | { readonly _tag: "KeepAlive" }

const encoder = new TextEncoder()

/** The SSE text of a message: `event:` and `data:` lines, or a comment that keeps the connection open. */
export const format = (message: Message): string => {
  switch (message._tag) {
    case "Event":
      return `event: ${message.event._tag}\ndata: ${JSON.stringify(message.event)}\n\n`
    case "RunUpdated":
      return `event: RunUpdated\ndata: ${JSON.stringify({ _tag: "RunUpdated", run: message.run })}\n\n`
    case "KeepAlive":
      return ": keep-alive\n\n"
  }
}

const versionOf = (run: SnapshotStore.RunRecord): string => `${run.status}:${run.seq}:${run.updatedAt}`

/** Whether a run is `runId` or one of its sub-flows' child runs. */
const within = (runId: string) => (id: string): boolean => id === runId || id.startsWith(`${runId}/`)

/** Whether an event is about `runId` or one of its sub-flows' child runs. */
const concerns = (runId: string) => (event: Event): boolean => within(runId)(event.runId)

const isEnd = (event: Event): boolean =>
  event._tag === "RunCompleted" || event._tag === "RunFailed" || event._tag === "RunCancelled"

export interface Options {
  readonly pollInterval: Duration.Duration
  readonly keepAlive: Duration.Duration
  /** Ends the streams (the server is shutting down). */
  readonly shutdown: Effect.Effect<void>
  /** The steps in flight, which a run's stream starts with. */
  readonly inFlight: InFlight
}

const keepAlives = (every: Duration.Duration): Stream.Stream<Message> =>
  Stream.fromSchedule(Schedule.spaced(every)).pipe(Stream.as<Message>({ _tag: "KeepAlive" }))

const toBytes = (messages: Stream.Stream<Message>, options: Options): Stream.Stream<Uint8Array> =>
  Stream.make("retry: 3000\n\n").pipe(
    Stream.concat(Stream.map(messages, format)),
    Stream.interruptWhen(options.shutdown),
    Stream.map((text) => encoder.encode(text))
  )

/**
 * One run's progress: a `RunUpdated` with its record first, the last start
 * of each of its steps in flight (and its sub-flows'), then its events, and
 * a `RunUpdated` whenever the stored record changes; ends after the
 * `RunUpdated` of its final status.
 */
export const runStream = (engine: Engine.Service, runId: string, options: Options): Stream.Stream<Uint8Array> => {
  const messages = Stream.unwrapScoped(Effect.gen(function*() {
    // subscribe before reading the record, so that no event falls between
    const events = yield* engine.subscribe
    let last = ""
    /** The record, when it changed since the last one sent. */
    const changed = Effect.map(Effect.option(engine.status(runId)), (found): ReadonlyArray<Message> => {
      if (Option.isNone(found)) return []
      const version = versionOf(found.value)
      if (version === last) return []
      last = version
      return [{ _tag: "RunUpdated", run: toRun(found.value) }]
    })
    const first = yield* changed
    const updates = Stream.merge(
      Stream.map(Stream.filter(events, concerns(runId)), (event) => ({ _tag: "event", event }) as const),
      Stream.fromSchedule(Schedule.spaced(options.pollInterval)).pipe(Stream.as({ _tag: "tick" } as const))
    ).pipe(
      Stream.mapEffect((item): Effect.Effect<ReadonlyArray<Message>> =>
        item._tag === "tick"
          ? changed
          : item.event.runId === runId && isEnd(item.event)
          ? Effect.map(changed, (updated): ReadonlyArray<Message> => [{ _tag: "Event", event: item.event }, ...updated])
          : Effect.succeed([{ _tag: "Event", event: item.event }])
      ),
      Stream.flattenIterables
    )
    const endsNow = first.some((message) => message._tag === "RunUpdated" && isFinal(message.run.status))
    // after subscribing: a step that starts from now on comes as an event (twice at most: harmless)
    const inFlight = endsNow ? [] : options.inFlight.of(within(runId)).map((event): Message => ({ _tag: "Event", event }))
    return Stream.fromIterable([...first, ...inFlight]).pipe(
      Stream.concat(endsNow ? Stream.empty : updates),
      Stream.takeUntil((message) => message._tag === "RunUpdated" && isFinal(message.run.status)),
      Stream.merge(keepAlives(options.keepAlive), { haltStrategy: "left" })
    )
  }))
  return toBytes(messages, options)
}

/** How many of the newest runs the all-runs stream looks at on each poll. */
const pollWindow = 100

/**
 * Every run's progress: this engine's events as they happen, and a
 * `RunUpdated` for each of the newest runs whose record changed (in any
 * process) since the previous look.
 */
export const allStream = (engine: Engine.Service, options: Options): Stream.Stream<Uint8Array> => {
  const messages = Stream.unwrapScoped(Effect.gen(function*() {
    const events = yield* engine.subscribe
    const seen = new Map<string, string>()
    const look = (report: boolean) =>
      Effect.map(
        Effect.orElseSucceed(engine.list({ limit: pollWindow }), (): ReadonlyArray<SnapshotStore.RunRecord> => []),
        (runs): ReadonlyArray<Message> => {
          const out: Array<Message> = []
          for (const run of runs) {
            const version = versionOf(run)
            if (seen.get(run.runId) === version) continue
            seen.set(run.runId, version)
            if (report) out.push({ _tag: "RunUpdated", run: toRun(run) })
          }
          return out
        }
      )
    yield* look(false)
    const polls = Stream.fromSchedule(Schedule.spaced(options.pollInterval)).pipe(
      Stream.mapEffect(() => look(true)),
      Stream.flattenIterables
    )
    return Stream.map(events, (event): Message => ({ _tag: "Event", event })).pipe(
      Stream.merge(polls),
      Stream.merge(keepAlives(options.keepAlive))
    )
  }))
  return toBytes(messages, options)
}
