/**
 * The runs an engine executes, and what happens when an execution ends:
 * each claimed run runs in a background fiber once a concurrency permit is
 * free; its ending completes the run's local waiters; a suspended run gets a
 * timer for its deadline and is taken up again (claimed, restored, executed)
 * when its signal or deadline comes — here, or by whichever engine claims it
 * first. A run this engine stops executing for another reason (interrupted,
 * cancelled, taken over) is handed back or left to its new owner.
 *
 * @internal
 */
import { Clock, Context, Deferred, Duration, Effect, Exit, Fiber, FiberId, FiberMap, FiberSet, Option, Queue } from "effect"
import type { Scope } from "effect"
import type { PersistenceError } from "../../Errors.js"
import { LeaseLost, RunCancelled } from "../../Errors.js"
import type { ClaimResult, Lease, RunRecord, StepRecord } from "../../SnapshotStore.js"
import { isTransient, retryTransient } from "../run/checkpoint.js"
import { type RunContext, type RunEnv, type RunOutcome, withServices } from "../run/context.js"
import { summarize } from "../run/errors.js"
import { type Ending, execute, load, restore } from "../run/lifecycle.js"
import { isInternal } from "../../Trace.js"
import { isTracked } from "./clock.js"
import type { Registry } from "./registry.js"

/**
 * Why this engine stopped executing a run from outside it: cancelled here
 * (its waiters are interrupted) or in another process (they fail with
 * `RunCancelled`), taken over by another engine, or the engine shuts down.
 */
export type StopReason = "cancelled" | "cancelled-elsewhere" | "lost" | "shutdown"

interface Active {
  readonly lease: Lease
  readonly queue: string
  /** When this engine claimed it (the heartbeat ignores runs claimed after it asked). */
  readonly since: number
  reason: StopReason | undefined
}

/** What the executor needs. */
export interface ExecutorDeps {
  readonly env: RunEnv
  readonly registry: Registry
  readonly permits: Effect.Semaphore
  readonly leaseMillis: number
}

/** The executor of an engine. */
export interface Executor {
  /** Executes a claimed run (prepared or restored) in the background, with the services of `context`. */
  readonly launch: (
    ctx: RunContext,
    context: Context.Context<never>,
    kind: "started" | "resumed"
  ) => Effect.Effect<void>
  /** Claims a stored run and executes it in the background; says whether it did. */
  readonly takeUp: (
    runId: string,
    options?: { readonly takeOverFrom?: string | undefined }
  ) => Effect.Effect<ClaimResult | { readonly claimed: false; readonly reason: "active" | "unknown-template" }, PersistenceError>
  /** Executes runs claimed in bulk (recovery, workers). */
  readonly launchClaimed: (claimed: { readonly lease: Lease; readonly run: RunRecord }) => Effect.Effect<void>
  /** The local waiter of a run (created on demand): completed when an execution here ends it. */
  readonly waiter: (runId: string) => Deferred.Deferred<RunOutcome, unknown>
  /** Completes a run's local waiter as interrupted (it was cancelled) and stops its execution here. */
  readonly stop: (runId: string, reason: StopReason) => Effect.Effect<void>
  /** Runs executing here, with their claims. */
  readonly active: ReadonlyMap<string, Active>
  /** Waits until this engine executes at least one run (open while it does). */
  readonly busy: Effect.Effect<void>
  /** How many permits are free (none once the engine stops). */
  readonly freePermits: () => number
  /** Waits until an execution here ends (its permit is free again); a burst of endings is one. */
  readonly ended: Effect.Effect<void>
  /** Waits up to `grace` for the runs executing here to end, then hands the rest back. */
  readonly drain: (grace: Duration.Duration) => Effect.Effect<void>
}

/** Builds an executor whose fibers live as long as the scope. */
export const make = (deps: ExecutorDeps): Effect.Effect<Executor, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { env, permits, registry } = deps
    const store = env.store
    // runs execute on the clock the engine was built with, or on their caller's when it tracks sleeps (test kit)
    const engineClock = yield* Effect.clock
    const runs = yield* FiberMap.make<string>()
    const timers = yield* FiberMap.make<string>()
    /** Executions waiting for the run's previous execution here to be gone (see `start`). */
    const pending = yield* FiberSet.make()
    const active = new Map<string, Active>()
    const executing = yield* Effect.makeLatch(false)
    let open = false
    /** Keeps the latch open exactly while some run executes here (touched only when that changes). */
    const track = Effect.suspend(() => {
      if ((active.size > 0) === open) return Effect.void
      open = !open
      return open ? executing.open : executing.close
    })
    const waiters = new Map<string, Deferred.Deferred<RunOutcome, unknown>>()
    let busy = 0
    /** Set when the engine stops: it claims nothing more (no free permits). */
    let stopping = false
    const endings = yield* Queue.sliding<void>(1)
    const freed = Queue.offer(endings, undefined)

    const waiter = (runId: string) => {
      let done = waiters.get(runId)
      if (done === undefined) {
        done = Deferred.unsafeMake<RunOutcome, unknown>(FiberId.none)
        waiters.set(runId, done)
      }
      return done
    }
    const complete = (runId: string, exit: Exit.Exit<RunOutcome, unknown>) =>
      Effect.suspend(() => {
        const done = waiters.get(runId)
        waiters.delete(runId)
        return done === undefined ? Effect.void : Deferred.done(done, exit)
      })

    /** What the run's waiters learn from how an execution here ended. */
    const settle = (runId: string, ending: Ending): Effect.Effect<void> => {
      switch (ending._tag) {
        case "Completed":
          return complete(runId, Exit.succeed(ending.outcome))
        case "Failed":
          return complete(runId, Exit.fail(ending.error))
        case "Cancelled":
          return complete(runId, Exit.fail(new RunCancelled({ runId })))
        case "Abandoned":
          return Effect.zipRight(
            Effect.logWarning(`weft: run ${runId} stopped here, the store failing: ${ending.error.message}; handed back`),
            complete(runId, Exit.fail(ending.error))
          )
        case "Interrupted":
          return complete(runId, Exit.interrupt(FiberId.none))
        case "Lost":
          // it goes on in the engine that holds it: waiters learn its end from the store
          return Effect.logWarning(`weft: run ${runId} is no longer this engine's (${ending.error.message}): it goes on elsewhere`)
        case "Suspended":
          return afterSuspension(runId, ending.suspended.waitingRunId, ending.suspended.signal, ending.suspended.deadline)
      }
    }

    /**
     * A run suspended here: take it up again at its deadline, or at once if
     * its signal was recorded while it was suspending.
     */
    const afterSuspension = (runId: string, waitingRunId: string, signal: string | null, deadline: number | null) =>
      Effect.gen(function*() {
        if (deadline !== null) {
          const now = yield* Clock.currentTimeMillis
          yield* FiberMap.run(
            timers,
            runId,
            Effect.zipRight(Effect.sleep(Duration.millis(Math.max(0, deadline - now))), Effect.ignore(takeUp(runId)))
          )
        }
        if (signal === null) return
        const signals = yield* Effect.orElseSucceed(store.signals(waitingRunId), () => [])
        if (signals.some((s) => s.name === signal && s.consumedBy === null)) yield* Effect.ignore(takeUp(runId))
      })

    /** After an interruption from outside: hand the run back, tell its waiters what the reason says. */
    const stopped = (ctx: RunContext) =>
      Effect.suspend(() => {
        const reason = active.get(ctx.runId)?.reason
        active.delete(ctx.runId)
        return Effect.zipRight(
          Effect.zipRight(track, freed),
          Effect.zipRight(
          Effect.flatMap(
            Clock.currentTimeMillis,
            (now) => Effect.ignore(store.pause(ctx.runId, ctx.lease, { _tag: "Release" }, { updatedAt: now, elapsedMillis: 0 }))
          ),
          // taken over: it goes on elsewhere, and its waiters learn its end from the store
          reason === "lost"
            ? Effect.void
            : reason === "cancelled-elsewhere"
            ? complete(ctx.runId, Exit.fail(new RunCancelled({ runId: ctx.runId })))
            : complete(ctx.runId, Exit.interrupt(FiberId.none))
          )
        )
      })

    /**
     * Whether a run this engine claimed was taken from it meanwhile (its lease
     * ran out while the process stalled, or it was cancelled), read from the
     * store; a read that fails says nothing (writes are fenced anyway).
     */
    const takenFrom = (ctx: RunContext): Effect.Effect<Ending | undefined> =>
      Effect.map(Effect.either(store.getRun(ctx.runId)), (read): Ending | undefined => {
        if (read._tag === "Left" || Option.isNone(read.right)) return undefined
        const run = read.right.value
        if (run.status === "running" && run.owner === ctx.lease.owner && run.generation === ctx.lease.generation) {
          return undefined
        }
        if (run.status === "cancelled") return { _tag: "Cancelled" }
        return { _tag: "Lost", error: new LeaseLost({ runId: ctx.runId, ...ctx.lease }) }
      })

    /** The run's first event here: started on its first claim (generation 1), else resumed after its trace's steps. */
    const announce = (ctx: RunContext, kind: "started" | "resumed", now: number) => {
      if (!env.listening()) return Effect.void
      const { runId, template } = ctx
      return kind === "started" || ctx.lease.generation === 1
        ? env.publish({ _tag: "RunStarted", runId, template: template.name, version: template.version, at: now })
        : env.publish({
          _tag: "RunResumed",
          runId,
          template: template.name,
          version: template.version,
          completedSteps: ctx.records.filter((record) => !isInternal(record)).length,
          at: now
        })
    }

    /** Executions that asked for a permit and have not given it back. */
    let asking = 0

    const executeHere = (
      ctx: RunContext,
      context: Context.Context<never>,
      inherited: Context.Context<never>,
      kind: "started" | "resumed"
    ) =>
      Effect.suspend(() => {
        // a run that has to wait for its permit may be taken over meanwhile: none of its steps runs here then
        const waits = asking >= env.settings.maxConcurrentWorkflows
        asking++
        let holding = false
        const body = Effect.suspend(() => {
          busy++
          holding = true
          const now = ctx.clock.unsafeCurrentTimeMillis()
          // the fiber inherits its caller's services: provided only when they are others (a registered template's)
          const executed = context === inherited
            ? execute(ctx, { child: false }) as Effect.Effect<Ending>
            : withServices(execute(ctx, { child: false }), context)
          const started = announce(ctx, kind, now)
          const run = started === Effect.void ? executed : Effect.zipRight(started, executed)
          if (!waits) return run
          return Effect.flatMap(takenFrom(ctx), (taken) => taken === undefined ? run : Effect.succeed(taken))
        })
        const ending = Effect.ensuring(
          permits.withPermits(1)(body),
          Effect.sync(() => {
            if (holding) busy--
            asking--
          })
        )
        return Effect.flatMap(ending, (ending) => {
          active.delete(ctx.runId)
          return Effect.zipRight(track, Effect.zipRight(freed, settle(ctx.runId, ending)))
        })
      }).pipe(Effect.onInterrupt(() => stopped(ctx)))

    const launch = (ctx: RunContext, context: Context.Context<never>, kind: "started" | "resumed") =>
      Effect.clockWith((callerClock) =>
        Effect.flatMap(Effect.context<never>(), (inherited) => {
          // runs execute on the engine's clock, or on their caller's when it tracks sleeps (test kit); the
          // fiber inherits its caller's clock, which most often is the engine's already
          const clock = isTracked(callerClock) ? callerClock : engineClock
          ctx.clock = clock
          active.set(ctx.runId, { lease: ctx.lease, queue: ctx.queue, since: callerClock.unsafeCurrentTimeMillis(), reason: undefined })
          const here = executeHere(ctx, context, inherited, kind)
          return Effect.zipRight(track, start(ctx, clock === callerClock ? here : Effect.withClock(here, clock)))
        })
      )

    /**
     * Forks the run's execution, once the run's previous execution here has
     * left the map of executing runs: a run that suspends while its signal
     * arrives is claimed again by its own ending execution (`settle`), which
     * is still in the map at that moment. Skipped (and the run handed back)
     * when, by then, this claim is no longer the one the engine holds.
     */
    const start = (ctx: RunContext, execution: Effect.Effect<void>): Effect.Effect<void> =>
      Effect.flatMap(Effect.option(FiberMap.get(runs, ctx.runId)), (previous) => {
        if (Option.isNone(previous)) return Effect.asVoid(FiberMap.run(runs, ctx.runId, execution, { onlyIfMissing: true }))
        const later = Effect.suspend(() => {
          const current = active.get(ctx.runId)
          if (!stopping && current !== undefined && current.lease === ctx.lease && current.reason === undefined) {
            return start(ctx, execution)
          }
          if (current?.lease === ctx.lease) active.delete(ctx.runId)
          return Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.ignore(store.pause(ctx.runId, ctx.lease, { _tag: "Release" }, { updatedAt: now, elapsedMillis: 0 })))
        })
        return Effect.asVoid(FiberSet.run(pending, Effect.zipRight(Fiber.await(previous.value), later)))
      })

    /** Restores a claimed run and executes it; a run that cannot be restored is failed. */
    const launchClaimed = ({ lease, run }: { readonly lease: Lease; readonly run: RunRecord }) =>
      Effect.gen(function*() {
        const registered = registry.get(run.templateName, run.templateVersion)
        const now = yield* Clock.currentTimeMillis
        const at = { updatedAt: now, elapsedMillis: 0 }
        if (registered === undefined) {
          yield* Effect.ignore(store.pause(run.runId, lease, { _tag: "Release" }, at))
          return
        }
        const restored = yield* Effect.either(
          Effect.flatMap(load(env, run.runId), ({ loaded, records }) =>
            restore(env, registered.template, loaded, visibleRecords(records), lease))
        )
        if (restored._tag === "Left") {
          const error = restored.left
          if (isTransient(error)) {
            yield* Effect.ignore(store.pause(run.runId, lease, { _tag: "Release" }, at))
          } else {
            // a run whose stored state cannot be read back cannot go on: it fails, naming why
            yield* Effect.ignore(store.finish(run.runId, lease, { status: "failed", error: summarize(error), expiresAt: null }, at))
            yield* complete(run.runId, Exit.fail(error))
          }
          return
        }
        yield* launch(restored.right, registered.context, "resumed")
      })

    const takeUp: Executor["takeUp"] = (runId, options) =>
      Effect.gen(function*() {
        if (active.has(runId)) return { claimed: false, reason: "active" } as const
        const now = yield* Clock.currentTimeMillis
        const claimed = yield* retryTransient(store.claim(runId, env.owner, now, now + deps.leaseMillis, options?.takeOverFrom))
        if (!claimed.claimed) return claimed
        if (registry.get(claimed.run.templateName, claimed.run.templateVersion) === undefined) {
          yield* Effect.ignore(store.pause(runId, claimed.lease, { _tag: "Release" }, { updatedAt: now, elapsedMillis: 0 }))
          return { claimed: false, reason: "unknown-template" } as const
        }
        yield* launchClaimed(claimed)
        return claimed
      })

    const stop = (runId: string, reason: StopReason) =>
      Effect.gen(function*() {
        yield* FiberMap.remove(timers, runId)
        const running = active.get(runId)
        if (running !== undefined) {
          running.reason = reason
          if (Option.isSome(yield* Effect.option(FiberMap.get(runs, runId)))) yield* FiberMap.remove(runs, runId)
          // no execution of it here (never started, or gone without a trace): forget it, so that the
          // heartbeat stops asking and waiters read its end from the store
          else active.delete(runId)
        }
        if (reason === "cancelled") yield* complete(runId, Exit.interrupt(FiberId.none))
      })

    const drain = (grace: Duration.Duration) =>
      Effect.gen(function*() {
        stopping = true
        yield* FiberMap.clear(timers)
        if (active.size > 0 && Duration.toMillis(grace) > 0) {
          // wait for the runs executing now (not for suspended ones), measured in real time
          const fibers: Array<Fiber.RuntimeFiber<unknown, unknown>> = []
          for (const id of active.keys()) {
            const fiber = yield* Effect.option(FiberMap.get(runs, id))
            if (Option.isSome(fiber)) fibers.push(fiber.value)
          }
          // drain runs as a finalizer (uninterruptible): each side of the race is made interruptible, or the
          // race would wait for its loser — the runs — however long they take
          yield* Effect.raceFirst(
            Effect.interruptible(Effect.asVoid(Fiber.awaitAll(fibers))),
            Effect.interruptible(Effect.sleep(grace).pipe(Effect.withClock(Clock.make())))
          )
        }
        for (const running of active.values()) running.reason = "shutdown"
        yield* FiberMap.clear(runs)
      })

    return {
      launch,
      takeUp,
      launchClaimed,
      waiter,
      stop,
      active,
      busy: executing.await,
      freePermits: () =>
        stopping ? 0 : Math.max(0, env.settings.maxConcurrentWorkflows - busy - queuedCount(active, busy)),
      ended: Queue.take(endings),
      drain
    } satisfies Executor
  })

/** Runs claimed here but still waiting for a permit. */
const queuedCount = (active: ReadonlyMap<string, Active>, busy: number): number => Math.max(0, active.size - busy)

/** The records a resumed run's trace starts from: failed attempts of earlier executions are left out. */
export const visibleRecords = (records: ReadonlyArray<StepRecord>): ReadonlyArray<StepRecord> =>
  records.filter((record) => record.status !== "failed")

