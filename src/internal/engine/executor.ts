/**
 * The runs an engine executes, and what happens when an execution ends:
 * each claimed run runs in a background fiber once a permit is free (see
 * `slots`); its ending completes the run's local waiters (see `waiters`); a suspended run gets
 * a timer for its deadline and is taken up again (claimed, restored, executed) when its signal or
 * deadline comes — here, or by whichever engine claims it first. A run this engine stops executing
 * for another reason (interrupted, cancelled, taken over) is handed back or
 * left to its new owner.
 *
 * @internal
 */
import { Clock, Context, Deferred, Duration, Effect, Either, Exit, Fiber, FiberMap, FiberSet, Option, Queue, Schedule } from "effect"
import type { Scope } from "effect"
import type { PersistenceError } from "../../Errors.js"
import type { ClaimResult, Lease, RunRecord, StepRecord } from "../../SnapshotStore.js"
import { isTransient, retryTransient } from "../run/checkpoint.js"
import { type RunContext, type RunEnv, type RunOutcome, withServices } from "../run/context.js"
import { summarize } from "../run/errors.js"
import type { Suspended } from "../run/durable.js"
import { checkPinned, type Ending, execute, load, restore } from "../run/lifecycle.js"
import { isTracked } from "./clock.js"
import type { Registry } from "./registry.js"
import { type Active, Slots, type StopReason } from "./slots.js"
import { announce, takenFrom } from "./announce.js"
import { InlineRuns } from "./inline.js"
import { exitOfEnding, exitOfStop, Waiters, type WaiterExit } from "./waiters.js"

export type { Active, StopReason } from "./slots.js"

/** What the executor needs. */
export interface ExecutorDeps {
  readonly env: RunEnv
  readonly registry: Registry
  readonly leaseMillis: number
  /** Whether the engine looks for runs to take up by itself (then a run it has no room for is left to that). */
  readonly recovery: boolean
}

/** What `takeUp` did: claimed the run, or why not (`full`: no room here now; it is left for a later look). */
export type TakeUpResult =
  | ClaimResult
  | { readonly claimed: false; readonly reason: "active" | "unknown-template" | "full" }

/** The executor of an engine. */
export interface Executor {
  /** Executes a claimed run (prepared or restored) in the background, with the services of `context`. */
  readonly launch: (
    ctx: RunContext,
    context: Context.Context<never>,
    kind: "started" | "resumed"
  ) => Effect.Effect<void>
  /** Executes a new claimed run in its caller's fiber: what the caller learns, `undefined` when it goes on (see `inline.ts`). */
  readonly runHere: (ctx: RunContext, context: Context.Context<never>) => Effect.Effect<WaiterExit | undefined>
  /**
   * Claims a stored run of `queue` and executes it in the background, when there is room for it here
   * (or when nobody here would look for it again); says whether it did.
   */
  readonly takeUp: (
    runId: string,
    options: { readonly queue: string; readonly takeOverFrom?: string | undefined }
  ) => Effect.Effect<TakeUpResult, PersistenceError>
  /** Executes runs claimed in bulk (recovery, workers). */
  readonly launchClaimed: (claimed: { readonly lease: Lease; readonly run: RunRecord }) => Effect.Effect<void>
  /** The local waiter of a run (created on demand): completed when an execution here ends it. */
  readonly waiter: (runId: string) => Deferred.Deferred<RunOutcome, unknown>
  /** Completes the run's local waiter (its end was read from the store). */
  readonly complete: (runId: string, exit: Exit.Exit<RunOutcome, unknown>) => Effect.Effect<void>
  /** Completes a run's local waiter as interrupted (it was cancelled) and stops its execution here. */
  readonly stop: (runId: string, reason: StopReason) => Effect.Effect<void>
  /** Runs executing here, with their claims. */
  readonly active: ReadonlyMap<string, Active>
  /** The engine's slots (how many runs it may still claim, by queue too). */
  readonly slots: Slots
  /** Waits until this engine executes at least one run (open while it does). */
  readonly busy: Effect.Effect<void>
  /** How many permits are free (none once the engine stops). */
  readonly freePermits: () => number
  /** Waits until an execution here ends (its permit is free again); a burst of endings is one. */
  readonly ended: Effect.Effect<void>
  /** Waits up to `grace` for the runs executing now to end, then hands the rest back. */
  readonly drain: (grace: Duration.Duration) => Effect.Effect<void>
}

/** Builds an executor whose fibers live as long as the scope. */
export const make = (deps: ExecutorDeps): Effect.Effect<Executor, never, Scope.Scope> =>
  Effect.gen(function*() {
    const slots = yield* Slots.make(deps.env.settings.maxConcurrentWorkflows)
    const execution = new Execution(
      deps,
      slots,
      new Waiters(),
      // runs execute on the clock the engine was built with, or on their caller's when it tracks sleeps (test kit)
      yield* Effect.clock,
      yield* FiberMap.make<string>(),
      yield* FiberMap.make<string>(),
      yield* FiberSet.make(),
      yield* Queue.sliding<void>(1)
    )
    return {
      launch: execution.launch,
      runHere: execution.runHere,
      takeUp: execution.takeUp,
      launchClaimed: execution.launchClaimed,
      waiter: execution.waiters.waiter,
      complete: execution.waiters.complete,
      stop: execution.stop,
      active: slots.active,
      slots,
      busy: slots.whileHolding,
      freePermits: () => slots.free(),
      ended: Queue.take(execution.endings),
      drain: execution.drain
    } satisfies Executor
  })

/** The executor's work over its slots and waiters. */
class Execution {
  constructor(
    readonly deps: ExecutorDeps,
    readonly slots: Slots,
    readonly waiters: Waiters,
    readonly engineClock: Clock.Clock,
    /** The execution of each run executing here. */
    readonly runs: FiberMap.FiberMap<string>,
    /** The deadline timer of each run suspended here. */
    readonly timers: FiberMap.FiberMap<string>,
    /** Executions waiting for the run's previous execution here to be gone (see `start`). */
    readonly pending: FiberSet.FiberSet,
    /** One item when an execution ended since the last take. */
    readonly endings: Queue.Queue<void>
  ) {}

  /** Runs refused for their template's structure (said once in the log). */
  readonly refused = new Set<string>()
  /** Runs executing in their callers' fibers. */
  readonly inline = new InlineRuns()

  get store() {
    return this.deps.env.store
  }

  /** Hands a run back (released: any engine may claim it at once); a failed write is ignored. */
  private readonly release = (runId: string, lease: Lease): Effect.Effect<void> =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.ignore(this.store.pause(runId, lease, { _tag: "Release" }, { updatedAt: now, elapsedMillis: 0 })))

  /**
   * A run whose hand-back failed (the store failing): tried again in the background, every second at
   * most, until the store takes it (then any engine may claim the run at once) or the run is no longer
   * this claim's (taken up again, here or elsewhere, or cancelled).
   */
  private readonly handBackLater = (runId: string, lease: Lease): Effect.Effect<void> =>
    Effect.asVoid(FiberMap.run(
      this.timers,
      runId,
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        this.store.pause(runId, lease, { _tag: "Release" }, { updatedAt: now, elapsedMillis: 0 })).pipe(
          Effect.retry({
            while: isTransient,
            schedule: Schedule.union(Schedule.exponential("100 millis"), Schedule.spaced("1 second"))
          }),
          Effect.ignore
        )
    ))

  private readonly settle = (runId: string, queue: string, lease: Lease, ending: Ending): Effect.Effect<void> => {
    const exit = exitOfEnding(runId, ending)
    switch (ending._tag) {
      case "Abandoned":
        if (ending.handedBack === false) {
          return Effect.all([
            Effect.logWarning(
              `weft: run ${runId} stopped here, the store failing: ${ending.error.message}; it could not be handed ` +
                "back either: it will be as soon as the store answers"
            ),
            this.waiters.complete(runId, exit!),
            this.handBackLater(runId, lease)
          ], { discard: true })
        }
        return Effect.zipRight(
          Effect.logWarning(`weft: run ${runId} stopped here, the store failing: ${ending.error.message}; handed back`),
          this.waiters.complete(runId, exit!)
        )
      case "Lost":
        // it goes on in the engine that holds it: waiters learn its end from the store
        return Effect.logWarning(`weft: run ${runId} is no longer this engine's (${ending.error.message}): it goes on elsewhere`)
      case "Suspended":
        return this.afterSuspension(runId, queue, ending.suspended)
      case "Paused": // it goes on when unpaused, here or elsewhere: its waiters keep waiting
        return Effect.void
      default:
        return this.waiters.complete(runId, exit!)
    }
  }

  /**
   * A run suspended here: take it up again at its deadline, or at once if
   * its signal was recorded while it was suspending.
   */
  private readonly afterSuspension = (runId: string, queue: string, suspended: Suspended) => {
    const self = this
    const { deadline, signal, waitingRunId } = suspended
    return Effect.gen(function*() {
      if (deadline !== null) {
        const now = yield* Clock.currentTimeMillis
        yield* FiberMap.run(
          self.timers,
          runId,
          Effect.zipRight(Effect.sleep(Duration.millis(Math.max(0, deadline - now))), Effect.ignore(self.takeUp(runId, { queue })))
        )
      }
      if (signal === null) return
      const signals = yield* Effect.orElseSucceed(self.store.signals(waitingRunId), () => [])
      if (signals.some((s) => s.name === signal && s.consumedBy === null)) yield* Effect.ignore(self.takeUp(runId, { queue }))
    })
  }

  /** After an interruption from outside: its waiters told the reason first (once forgotten here, the watcher may read its end), then the run handed back (unless taken over). */
  private readonly stopped = (ctx: RunContext) =>
    Effect.suspend(() => {
      const reason = this.slots.active.get(ctx.runId)?.reason
      const exit = exitOfStop(ctx.runId, reason)
      return Effect.all([
        exit === undefined ? Effect.void : this.waiters.complete(ctx.runId, exit),
        this.slots.forget(ctx.runId),
        this.freed,
        reason === "lost" ? Effect.void : this.release(ctx.runId, ctx.lease)
      ], { discard: true })
    })

  private get freed(): Effect.Effect<boolean> { return Queue.offer(this.endings, undefined) }

  /** Executes a held run once it has its permit, then settles its ending; succeeds with it. */
  private readonly executeHere = (
    ctx: RunContext,
    context: Context.Context<never>,
    inherited: Context.Context<never>,
    kind: "started" | "resumed"
  ): Effect.Effect<Ending> =>
    this.slots.withPermit((waited) =>
      Effect.suspend(() => {
        const now = ctx.clock.unsafeCurrentTimeMillis()
        // the fiber inherits its caller's services: provided only when they are others (a registered template's)
        const executed = context === inherited
          ? execute(ctx, { child: false }) as Effect.Effect<Ending>
          : withServices(execute(ctx, { child: false }), context)
        const started = announce(ctx, kind, now)
        const run = started === Effect.void ? executed : Effect.zipRight(started, executed)
        // a run that may have waited for its permit may have been taken over meanwhile: none of its steps runs here then
        if (!waited) return run
        return Effect.flatMap(takenFrom(ctx), (taken) => taken === undefined ? run : Effect.succeed(taken))
      })
    ).pipe(
      Effect.tap((ending) =>
        Effect.all([this.slots.forget(ctx.runId), this.freed, this.settle(ctx.runId, ctx.queue, ctx.lease, ending)], { discard: true })
      ),
      Effect.onInterrupt(() => this.stopped(ctx))
    )

  /** A claimed run's execution, held (`active`) when run: on the engine's clock, or its caller's when that tracks sleeps (test kit). */
  private readonly held = <A>(
    ctx: RunContext,
    context: Context.Context<never>,
    kind: "started" | "resumed",
    use: (active: Active, execution: Effect.Effect<Ending>) => Effect.Effect<A>
  ): Effect.Effect<A> =>
    Effect.clockWith((callerClock) =>
      Effect.flatMap(Effect.context<never>(), (inherited) => {
        const clock = isTracked(callerClock) ? callerClock : this.engineClock
        ctx.clock = clock
        const since = callerClock.unsafeCurrentTimeMillis()
        const active: Active = { lease: ctx.lease, queue: ctx.queue, since, reason: undefined, accounted: ctx, hold: ctx.hold }
        const here = this.executeHere(ctx, context, inherited, kind)
        return Effect.zipRight(this.slots.hold(ctx.runId, active), use(active, clock === callerClock ? here : Effect.withClock(here, clock)))
      })
    )

  readonly launch = (ctx: RunContext, context: Context.Context<never>, kind: "started" | "resumed") =>
    this.held(ctx, context, kind, (_, execution) => this.start(ctx, Effect.asVoid(execution)))

  /**
   * Executes a new claimed run in its caller's fiber (see `inline.ts`); succeeds with what the caller
   * learns, or `undefined` when the run goes on (suspended, paused, or held by another engine now).
   */
  readonly runHere = (ctx: RunContext, context: Context.Context<never>): Effect.Effect<WaiterExit | undefined> =>
    Effect.withFiberRuntime<WaiterExit | undefined>((fiber) =>
      Effect.uninterruptibleMask((restore) =>
        this.held(ctx, context, "started", (active, execution) => {
          this.inline.enter(ctx.runId, fiber)
          return Effect.flatMap(Effect.exit(restore(execution)), (exit) => {
            const stopped = this.inline.leave(ctx.runId, fiber)
            // stopped from outside: what its waiters learn; interrupted by anyone else: the caller is
            const learnt = Exit.isSuccess(exit)
              ? exitOfEnding(ctx.runId, exit.value)
              : stopped ? exitOfStop(ctx.runId, active.reason) : Exit.failCause(exit.cause)
            return stopped ? Effect.as(this.inline.absorb, learnt) : Effect.succeed(learnt)
          })
        })
      )
    )

  /**
   * Forks the run's execution, once the run's previous execution here has
   * left the map of executing runs: a run that suspends while its signal
   * arrives is claimed again by its own ending execution (`settle`), which
   * is still in the map at that moment. Skipped (and the run handed back)
   * when, by then, this claim is no longer the one the engine holds.
   */
  private readonly start = (ctx: RunContext, execution: Effect.Effect<void>): Effect.Effect<void> =>
    Effect.suspend(() => {
      const previous = FiberMap.unsafeGet(this.runs, ctx.runId)
      if (Option.isNone(previous)) {
        return Effect.asVoid(FiberMap.run(this.runs, ctx.runId, execution, { onlyIfMissing: true }))
      }
      const later = Effect.suspend(() => {
        const current = this.slots.active.get(ctx.runId)
        if (!this.slots.stopped && current !== undefined && current.lease === ctx.lease && current.reason === undefined) {
          return this.start(ctx, execution)
        }
        return Effect.zipRight(
          current?.lease === ctx.lease ? this.slots.forget(ctx.runId) : Effect.void,
          this.release(ctx.runId, ctx.lease)
        )
      })
      return Effect.asVoid(FiberSet.run(this.pending, Effect.zipRight(Fiber.await(previous.value), later)))
    })

  /** Restores a claimed run and executes it; a run that cannot be restored is failed. */
  readonly launchClaimed = ({ lease, run }: { readonly lease: Lease; readonly run: RunRecord }) => {
    const self = this
    const env = this.deps.env
    return Effect.gen(function*() {
      const registered = self.deps.registry.get(run.templateName, run.templateVersion)
      if (registered === undefined) return yield* self.release(run.runId, lease)
      const pinned = checkPinned(registered.template, run)
      if (Either.isLeft(pinned)) {
        // started with another template under this name and version: it is not executed here
        if (!self.refused.has(run.runId)) {
          self.refused.add(run.runId)
          yield* Effect.logWarning(`weft: ${pinned.left.message}: left alone`)
        }
        return yield* self.release(run.runId, lease)
      }
      const restored = yield* Effect.either(
        Effect.flatMap(load(env, run.runId), ({ loaded, records }) =>
          restore(env, registered.template, loaded, visibleRecords(records), lease))
      )
      if (restored._tag === "Right") return yield* self.launch(restored.right, registered.context, "resumed")
      const error = restored.left
      if (isTransient(error)) return yield* self.release(run.runId, lease)
      // a run whose stored state cannot be read back cannot go on: it fails, naming why
      const now = yield* Clock.currentTimeMillis
      yield* Effect.ignore(
        self.store.finish(run.runId, lease, { status: "failed", error: summarize(error), expiresAt: null }, {
          updatedAt: now,
          elapsedMillis: 0
        })
      )
      yield* self.waiters.complete(run.runId, Exit.fail(error))
    })
  }

  /** Whether this engine looks for runs to take up by itself (recovery, or serving queues as a worker). */
  private get polls(): boolean {
    return this.deps.recovery || this.slots.served.length > 0
  }

  readonly takeUp: Executor["takeUp"] = (runId, options) => {
    const self = this
    return Effect.gen(function*() {
      if (self.slots.active.has(runId)) return { claimed: false, reason: "active" } as const
      let result: TakeUpResult = { claimed: false, reason: "full" }
      const claimOne = Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const claimed = yield* retryTransient(
          self.store.claim(runId, self.deps.env.owner, now, now + self.deps.leaseMillis, options.takeOverFrom)
        )
        result = claimed
        if (!claimed.claimed) return []
        if (self.deps.registry.get(claimed.run.templateName, claimed.run.templateVersion) === undefined) {
          yield* self.release(runId, claimed.lease)
          result = { claimed: false, reason: "unknown-template" }
          return []
        }
        return [claimed]
      })
      // no room here: the run stays due in the store, for this engine's next look (when a slot frees) or
      // another's; an engine that never looks claims it anyway, and it waits here for a permit
      if (self.slots.room(options.queue) === 0 && !self.polls) {
        for (const claimed of yield* claimOne) yield* self.launchClaimed(claimed)
      } else {
        yield* self.slots.claimWithin(options.queue, 1, () => claimOne, self.launchClaimed)
      }
      return result
    })
  }

  readonly stop = (runId: string, reason: StopReason) => {
    const self = this
    return Effect.gen(function*() {
      yield* FiberMap.remove(self.timers, runId)
      const running = self.slots.active.get(runId)
      if (running !== undefined) {
        running.reason = reason
        const inPlace = self.inline.stop(runId)
        if (inPlace !== undefined) yield* inPlace
        else if (Option.isSome(yield* Effect.option(FiberMap.get(self.runs, runId)))) yield* FiberMap.remove(self.runs, runId)
        // no execution of it here (never started, or gone without a trace): forget it, so that the
        // heartbeat stops asking and waiters read its end from the store
        else yield* self.slots.forget(runId)
      }
      if (reason === "cancelled") yield* self.waiters.complete(runId, exitOfStop(runId, "cancelled")!)
    })
  }

  readonly drain = (grace: Duration.Duration) => {
    const self = this
    return Effect.gen(function*() {
      self.slots.stop()
      yield* FiberMap.clear(self.timers)
      if (self.slots.active.size > 0 && Duration.toMillis(grace) > 0) {
        // wait for the runs executing now (not for suspended ones), measured in real time
        const fibers: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
        for (const id of self.slots.active.keys()) {
          const fiber = yield* Effect.option(FiberMap.get(self.runs, id))
          if (Option.isSome(fiber)) fibers.push(fiber.value)
        }
        const inPlace = Effect.forEach(self.inline.ids(), (id) => self.inline.ended(id), { discard: true })
        // drain runs as a finalizer (uninterruptible): each side of the race is made interruptible, or the
        // race would wait for its loser — the runs — however long they take
        yield* Effect.raceFirst(
          Effect.interruptible(Effect.zipRight(Fiber.awaitAll(fibers), inPlace)),
          Effect.interruptible(Effect.sleep(grace).pipe(Effect.withClock(Clock.make())))
        )
      }
      for (const running of self.slots.active.values()) running.reason = "shutdown"
      yield* Effect.forEach(self.inline.ids(), (id) => self.inline.stop(id) ?? Effect.void, { discard: true, concurrency: "unbounded" })
      yield* FiberMap.clear(self.runs)
    })
  }
}

/** The records a resumed run's trace starts from: failed attempts of earlier executions are left out. */
export const visibleRecords = (records: ReadonlyArray<StepRecord>): ReadonlyArray<StepRecord> =>
  records.filter((record) => record.status !== "failed")
