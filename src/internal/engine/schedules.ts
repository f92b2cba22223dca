/**
 * Cron schedules: stored records (`weft_schedules`), ticked by every engine
 * that knows a schedule's template. At each tick every such engine tries to
 * start the tick's run, whose id is the schedule's name and the tick's time:
 * the store's primary key lets one start and makes the others no-ops, so a
 * tick starts one run however many engines and processes serve the store.
 * The engine that starts it executes it (or queues it, for a schedule with a
 * queue); if it dies, the run is taken up as any orphaned run is.
 *
 * A tick is handled once its time has come: ticks within `grace` of now are
 * started; older ones (missed while no engine ran) follow the catch-up
 * policy. Before starting a tick, the overlap policy looks at the run of the
 * schedule's previous tick: still active, the tick is skipped, or buffered
 * (started once that run ends; one at most).
 *
 * @internal
 */
import { Clock, Cron, Duration, Effect, Either, Option, Queue } from "effect"
import type { Scope } from "effect"
import * as Errors from "../../Errors.js"
import { isActive } from "../../RunStatus.js"
import type { ScheduleRecord, Service as Store } from "../../SnapshotStore.js"
import { defaultQueue } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import type * as Trigger from "../../Trigger.js"
import { retryTransient } from "../run/checkpoint.js"
import { choreSleep } from "./clock.js"
import { decodeInput, encodeInput } from "./inputs.js"
import type { Registry } from "./registry.js"
import { derivedRunId, type StartOnceOptions, type TriggerRegistry } from "./triggers.js"

/** The id of the run of a schedule's tick. */
export const scheduleRunId = (name: string, tick: number): string =>
  derivedRunId(`schedule:${name}`, new Date(tick).toISOString())

/** A schedule's name: 1 to 128 letters, digits, `_ . : -`. */
const validName = /^[A-Za-z0-9_.:-]{1,128}$/

/** Parses a schedule's expression in its time zone, or says why not. */
export const parseCron = (expression: string, timeZone: string | null): Either.Either<Cron.Cron, string> => {
  try {
    return Either.mapLeft(Cron.parse(expression, timeZone ?? "UTC"), (e) => `cron ${JSON.stringify(expression)}: ${e.message}`)
  } catch (e) {
    return Either.left(`time zone ${JSON.stringify(timeZone)}: ${e instanceof Error ? e.message : String(e)}`)
  }
}

/** A schedule's next tick after `from` (epoch ms), or `undefined` when `effect/Cron` finds none. */
const nextAfter = (cron: Cron.Cron, from: number): number | undefined => {
  try {
    return Cron.next(cron, new Date(from)).getTime()
  } catch {
    return undefined
  }
}

/** The next `n` ticks of a schedule after `from`. */
export const nextTicks = (schedule: ScheduleRecord, from: number, n: number): ReadonlyArray<Date> => {
  const cron = parseCron(schedule.cron, schedule.timeZone)
  if (Either.isLeft(cron)) return []
  const out: Array<Date> = []
  let at: number | undefined = from
  for (let i = 0; i < n; i++) {
    at = nextAfter(cron.right, at)
    if (at === undefined) break
    out.push(new Date(at))
  }
  return out
}

/** What a schedule being saved needs checked. */
export interface ScheduleInput {
  readonly name: string
  readonly template: Template.Template.Any
  readonly cron: string
  readonly timeZone: string | null
  /** The input, typed (`Fixed`), or computed by code at each tick (`null`). */
  readonly input: { readonly typed: unknown } | { readonly json: unknown } | null
  readonly overlap: Trigger.Overlap
  readonly catchUp: Trigger.CatchUp
  readonly catchUpMax: number
  readonly queue: string | undefined
}

/** Checks and saves a schedule's definition; `replace`: a code declaration, applied again at each start. */
export const saveSchedule = (store: Store, s: ScheduleInput, replace: boolean) =>
  Effect.gen(function*() {
    const invalid = (reason: string) => new Errors.InvalidSchedule({ schedule: s.name, reason })
    if (!validName.test(s.name)) return yield* invalid("a name is 1 to 128 letters, digits, '_', '.', ':' or '-'")
    const cron = parseCron(s.cron, s.timeZone)
    if (Either.isLeft(cron)) return yield* invalid(cron.left)
    if (!["skip", "allow", "bufferOne"].includes(s.overlap)) return yield* invalid(`overlap ${JSON.stringify(s.overlap)}`)
    if (!["none", "last", "all"].includes(s.catchUp)) return yield* invalid(`catchUp ${JSON.stringify(s.catchUp)}`)
    let input: unknown = null
    if (s.input !== null) {
      const checked = "typed" in s.input
        ? encodeInput(s.template, s.input.typed)
        : Either.flatMap(decodeInput(s.template, s.input.json), () => Either.right(s.input && "json" in s.input ? s.input.json : null))
      if (Either.isLeft(checked)) {
        return yield* invalid(`input: ${checked.left.map((i) => `${i.path.map(String).join(".") || "(root)"}: ${i.message}`).join("; ")}`)
      }
      input = checked.right
    }
    const now = yield* Clock.currentTimeMillis
    const saved = yield* retryTransient(store.saveSchedule({
      name: s.name,
      templateName: s.template.name,
      templateVersion: s.template.version,
      cron: s.cron,
      timeZone: s.timeZone,
      input,
      overlap: s.overlap,
      catchUp: s.catchUp,
      catchUpMax: Math.max(1, Math.floor(s.catchUpMax)),
      queue: s.queue ?? defaultQueue,
      createdAt: now
    }, { replace, now }))
    if (saved === "exists") return yield* new Errors.ScheduleExists({ schedule: s.name })
  })

/** What the ticker needs from its engine. */
export interface TickerDeps {
  readonly store: Store
  readonly registry: Registry
  readonly triggers: TriggerRegistry
  readonly pollInterval: Duration.DurationInput
  readonly start: (template: Template.Template.Any, input: unknown, options: StartOnceOptions) => Effect.Effect<boolean, unknown>
}

/** The ticker of one engine: ticks its schedules for as long as the scope lives; `nudge` makes it look now. */
export const runTicker = (deps: TickerDeps): Effect.Effect<{ readonly nudge: Effect.Effect<void> }, never, Scope.Scope> =>
  Effect.gen(function*() {
    const nudges = yield* Queue.sliding<void>(1)
    const pollMillis = Math.max(10, Duration.toMillis(Duration.decode(deps.pollInterval)))
    const reported = new Set<string>()
    const once = (key: string, message: string) =>
      reported.has(key) ? Effect.void : Effect.zipRight(Effect.sync(() => reported.add(key)), Effect.logWarning(message))

    // a store of this process alone (in memory) changes only through this engine, which nudges the ticker:
    // it then sleeps until the next tick only, not every poll interval
    const durable = deps.store.durable !== false
    /** One look at every schedule: handles what is due; returns when to look next (`Infinity`: at a nudge). */
    const round = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      let next = durable ? now + pollMillis : Infinity
      if (deps.registry.size === 0) return next
      for (const s of yield* deps.store.schedules) {
        if (s.paused) continue
        const registered = deps.registry.get(s.templateName, s.templateVersion)
        if (registered === undefined) continue
        const cron = parseCron(s.cron, s.timeZone)
        if (Either.isLeft(cron)) {
          yield* once(`cron:${s.name}:${s.cron}`, `weft: schedule ${s.name}: ${cron.left}; not ticked`)
          continue
        }
        yield* tick(deps, s, cron.right, registered.template, now, once).pipe(
          Effect.catchAll((error) => Effect.logWarning(`weft: schedule ${s.name}: a tick failed; will try again`, error))
        )
        next = Math.min(next, nextAfter(cron.right, now) ?? next)
      }
      return next
    }).pipe(Effect.catchAllCause((cause) =>
      Effect.zipRight(
        Effect.logWarning("weft: looking at schedules failed; will try again", cause),
        Effect.map(Clock.currentTimeMillis, (now) => now + pollMillis)
      )
    ))

    const loop = Effect.forever(Effect.gen(function*() {
      const next = yield* round
      const now = yield* Clock.currentTimeMillis
      yield* next === Infinity
        ? Queue.take(nudges)
        : Effect.raceFirst(choreSleep(Duration.millis(Math.max(0, next - now))), Queue.take(nudges))
    }))
    yield* Effect.forkScoped(loop)
    return { nudge: Effect.asVoid(Queue.offer(nudges, undefined)) }
  })

/** How late a tick may be handled and still count as on time (not missed). */
const graceMillis = (pollMillis: number) => Math.max(5_000, 2 * pollMillis)

/** Handles a schedule's due ticks (and its buffered one) at `now`. */
const tick = (
  deps: TickerDeps,
  s: ScheduleRecord,
  cron: Cron.Cron,
  template: Template.Template.Any,
  now: number,
  once: (key: string, message: string) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    const { store } = deps
    const code = deps.triggers.crons.get(s.name)
    if (s.input === null && (code === undefined || code.input._tag !== "OfTick")) {
      return yield* once(`code:${s.name}`, `weft: schedule ${s.name}: its input is computed by code not declared here; not ticked`)
    }
    const inputAt = (at: number): unknown =>
      s.input !== null
        ? Either.getOrThrow(decodeInput(template, s.input))
        : (code!.input as { readonly f: (tick: Date) => unknown }).f(new Date(at))
    let lastRunId = s.lastRunId
    const previousActive = Effect.suspend(() =>
      lastRunId === null
        ? Effect.succeed(false)
        : Effect.map(retryTransient(store.getRun(lastRunId)), (run) => Option.isSome(run) && isActive(run.value.status))
    )
    const start = (at: number) =>
      Effect.gen(function*() {
        const runId = scheduleRunId(s.name, at)
        const input = yield* Effect.try({ try: () => inputAt(at), catch: (e) => e })
        yield* deps.start(template, input, {
          runId,
          queue: s.queue === defaultQueue ? undefined : s.queue,
          triggeredBy: { _tag: "Schedule", schedule: s.name, tick: at }
        })
        lastRunId = runId
        return runId
      })
    // a tick held back until the previous run ended
    if (s.bufferedTick !== null && !(yield* previousActive)) {
      const runId = yield* start(s.bufferedTick)
      yield* retryTransient(store.swapBuffered(s.name, s.bufferedTick, null))
      yield* retryTransient(store.markTick(s.name, s.bufferedTick, runId))
    }
    const cursor = s.lastTick ?? s.createdAt
    const grace = graceMillis(Duration.toMillis(Duration.decode(deps.pollInterval)))
    const onTime = dueTicks(cron, Math.max(cursor, now - grace), now, 1000)
    const missed = cursor < now - grace ? dueTicks(cron, cursor, now - grace, s.catchUpMax) : []
    const due = [...missed, ...onTime]
    if (due.length === 0) return
    const caught = s.catchUp === "none" ? [] : s.catchUp === "last" ? missed.slice(-1) : missed
    for (const at of [...caught, ...onTime]) {
      if (s.overlap !== "allow" && (yield* previousActive)) {
        if (s.overlap === "bufferOne") yield* retryTransient(store.swapBuffered(s.name, null, at))
        yield* retryTransient(store.markTick(s.name, at, null))
        continue
      }
      yield* retryTransient(store.markTick(s.name, at, yield* start(at)))
    }
    // the ticks dropped by the catch-up policy are handled too
    yield* retryTransient(store.markTick(s.name, due[due.length - 1]!, null))
  })

/** How far back missed ticks are looked for (catch-up). */
const lookBackMillis = 7 * 24 * 3600_000

/**
 * The ticks after `after` up to `upTo` (at most the latest `max`, none older than a week), oldest first.
 * Forward only: `Cron.prev` throws across some DST changes (effect 3.x).
 */
const dueTicks = (cron: Cron.Cron, after: number, upTo: number, max: number): ReadonlyArray<number> => {
  const found: Array<number> = []
  let t: number | undefined = Math.max(after, upTo - lookBackMillis)
  for (let i = 0; i < 200_000; i++) {
    t = nextAfter(cron, t)
    if (t === undefined || t > upTo) break
    if (t > after) {
      found.push(t)
      if (found.length > max) found.shift()
    }
  }
  return found
}
