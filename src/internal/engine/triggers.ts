/**
 * The triggers declared with an engine, and the runs they start: a run with
 * an id derived from what started it (the store's primary key makes a
 * second start a no-op), the runs an ending run's event triggers start
 * (recorded with its end), and webhook deliveries.
 *
 * @internal
 */
import { Clock, Effect, Either, Option, Schema } from "effect"
import * as Errors from "../../Errors.js"
import type { ErrorSummary, FollowUp, TriggeredBy } from "../../SnapshotStore.js"
import { defaultQueue } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import type * as Trigger from "../../Trigger.js"
import { retryTransient } from "../run/checkpoint.js"
import type { RunContext, RunEnv, RunTriggers } from "../run/context.js"
import { toIssues } from "../run/issues.js"
import { create, load, outcomeOf, prepare, restore } from "../run/lifecycle.js"
import { newTraceContext } from "../run/tracing.js"
import type { Executor } from "./executor.js"
import { fingerprintDigest, keyOf, type Registry } from "./registry.js"
import { checkRunId, millisOf, type RunsDeps } from "./runs.js"

/** The triggers declared with one engine, by kind. */
export class TriggerRegistry {
  /** Event triggers by the `name@version` of the template whose ends they listen for. */
  readonly onEnd = new Map<string, Array<Trigger.OnEnd<unknown>>>()
  readonly hooks = new Map<string, Trigger.Webhook<unknown>>()
  readonly crons = new Map<string, Trigger.Cron<unknown>>()

  /** Declares a trigger (one of the same name and kind is replaced). */
  add(trigger: Trigger.Trigger<unknown>): void {
    switch (trigger._tag) {
      case "Cron":
        this.crons.set(trigger.name, trigger)
        return
      case "Webhook":
        this.hooks.set(trigger.name, trigger)
        return
      case "OnEnd": {
        const key = keyOf(trigger.from.name, trigger.from.version)
        const list = (this.onEnd.get(key) ?? []).filter((t) => t.name !== trigger.name)
        this.onEnd.set(key, [...list, trigger])
      }
    }
  }

  /** Every declared trigger. */
  all(): ReadonlyArray<Trigger.Trigger<unknown>> {
    return [...this.crons.values(), ...this.hooks.values(), ...Array.from(this.onEnd.values()).flat()]
  }

  /** The event triggers listening for a run of `template` ending as `status`. */
  listening(template: Template.Template.Any, status: Trigger.EndStatus): ReadonlyArray<Trigger.OnEnd<unknown>> {
    return (this.onEnd.get(keyOf(template.name, template.version)) ?? []).filter((t) => t.on.includes(status))
  }
}

/** A run id of at most 256 characters: `prefix` and `key`, or (too long) `prefix` and a digest of `key`. */
export const derivedRunId = (prefix: string, key: string): string => {
  const id = `${prefix}:${key}`
  if (id.length <= 256) return id
  let h1 = 0x811c9dc5
  let h2 = 0x01000193
  for (let i = 0; i < key.length; i++) {
    h1 = Math.imul(h1 ^ key.charCodeAt(i), 16777619) >>> 0
    h2 = Math.imul(h2 + key.charCodeAt(i), 2246822519) >>> 0
  }
  return `${prefix.slice(0, 200)}:~${h1.toString(16)}${h2.toString(16)}${key.length.toString(16)}`
}

/** What a start of a triggered run needs. */
export interface StartOnceOptions {
  readonly runId: string
  readonly queue: string | undefined
  readonly triggeredBy: TriggeredBy
}

/**
 * Checks, records and starts a run whose id says what started it: `true`
 * when this call recorded it, `false` when the id exists already (another
 * process, or an earlier attempt, started it: nothing is written).
 */
export const startOnce = (deps: RunsDeps) =>
(
  template: Template.Template.Any,
  input: unknown,
  options: StartOnceOptions
): Effect.Effect<
  boolean,
  Errors.InvalidInput | Errors.InvalidTemplate | Errors.PersistenceError | Errors.InvalidRunId
> =>
  Effect.gen(function*() {
    const { env, executor, poller, settings } = deps
    const runId = yield* checkRunId(options.runId)
    const ctx = yield* prepare(env, template, input, {
      runId,
      timeoutMillis: millisOf(settings.workflowTimeout),
      parentId: null,
      rootId: runId,
      queue: options.queue ?? defaultQueue,
      traceContext: yield* newTraceContext
    })
    ctx.triggeredBy = options.triggeredBy
    const now = yield* Clock.currentTimeMillis
    const created = yield* Effect.either(
      retryTransient(create(ctx, null, options.queue === undefined ? { leaseUntil: now + deps.leaseMillis } : null))
    )
    if (Either.isLeft(created)) {
      if (created.left.reason === "duplicate") return false
      return yield* created.left
    }
    if (options.queue !== undefined) {
      yield* poller.nudge
      return true
    }
    executor.waiter(runId)
    const registered = deps.registry.get(template.name, template.version)
    yield* executor.launch(ctx, registered?.context ?? (yield* Effect.context<never>()), "started")
    return true
  })

/** The id of the run an event trigger starts after `runId`. */
export const followUpId = (trigger: string, runId: string): string => derivedRunId(`after:${trigger}`, runId)

/** The follow-up runs of the event triggers listening for `ctx`'s end (a mapping or input that fails is logged, no run). */
const followUpsOf = (
  env: RunEnv,
  triggers: TriggerRegistry,
  ctx: RunContext,
  status: Trigger.EndStatus,
  error: ErrorSummary | null
): Effect.Effect<ReadonlyArray<FollowUp>> =>
  Effect.gen(function*() {
    const listening = triggers.listening(ctx.template, status)
    if (listening.length === 0) return []
    const state = outcomeOf(ctx).state
    const now = yield* Clock.currentTimeMillis
    const end: Trigger.End = { runId: ctx.runId, status, error: error === null ? null : { tag: error.tag, message: error.message } }
    const found: Array<FollowUp> = []
    for (const trigger of listening) {
      const runId = followUpId(trigger.name, ctx.runId)
      const queue = trigger.queue ?? defaultQueue
      const prepared = yield* Effect.either(Effect.flatMap(
        Effect.try({ try: () => trigger.input(state, end), catch: (e) => e }),
        (input) =>
          prepare(env, trigger.to, input, {
            runId,
            timeoutMillis: millisOf(env.settings.workflowTimeout),
            parentId: null,
            rootId: runId,
            queue,
            traceContext: null
          })
      ))
      if (Either.isLeft(prepared)) {
        const why = prepared.left instanceof Error ? prepared.left.message : String(prepared.left)
        yield* Effect.logWarning(`weft: trigger ${trigger.name} after run ${ctx.runId}: no run started: ${why}`)
        continue
      }
      found.push({
        run: {
          runId,
          templateName: trigger.to.name,
          templateVersion: trigger.to.version,
          createdAt: now,
          timeoutMillis: millisOf(env.settings.workflowTimeout),
          parentId: null,
          rootId: runId,
          queue,
          traceContext: null,
          templateFingerprint: fingerprintDigest(trigger.to),
          triggeredBy: { _tag: "Run", trigger: trigger.name, runId: ctx.runId, status }
        },
        state: prepared.right.storedState()
      })
    }
    return found
  })

/** Takes up follow-up runs recorded here (those of a queue this engine serves; workers take the others). */
const takeUpFollowUps = (executor: () => Executor, serves: (queue: string) => boolean) =>
(followUps: ReadonlyArray<FollowUp>): Effect.Effect<void> =>
  Effect.forEach(
    followUps,
    ({ run }) =>
      run.queue === defaultQueue || serves(run.queue)
        ? Effect.ignore(executor().takeUp(run.runId, { queue: run.queue }))
        : Effect.void,
    { discard: true }
  )

/** What event triggers ask of a run's end, for the engine's `RunEnv` (its executor comes later). */
export const runTriggers = (
  env: () => RunEnv,
  triggers: TriggerRegistry,
  executor: () => Executor,
  serves: (queue: string) => boolean
): RunTriggers => ({
  followUps: (ctx, status, error) => followUpsOf(env(), triggers, ctx, status, error),
  recorded: takeUpFollowUps(executor, serves)
})

/**
 * The follow-up runs of a run about to be cancelled (read from the store,
 * its state restored with its registered template); none when no trigger
 * listens for cancelled runs of its template, or it is a child run.
 */
export const cancelFollowUps = (
  env: RunEnv,
  registry: Registry,
  triggers: TriggerRegistry,
  runId: string
): Effect.Effect<ReadonlyArray<FollowUp>> =>
  Effect.gen(function*() {
    if (triggers.onEnd.size === 0) return []
    const loaded = yield* retryTransient(env.store.load(runId))
    if (Option.isNone(loaded) || loaded.value.run.parentId !== null) return []
    const run = loaded.value.run
    const registered = registry.get(run.templateName, run.templateVersion)
    if (registered === undefined || triggers.listening(registered.template, "cancelled").length === 0) return []
    const { records } = yield* load(env, runId)
    const ctx = yield* restore(env, registered.template, loaded.value, records, { owner: env.owner, generation: -1 })
    return yield* followUpsOf(env, triggers, ctx, "cancelled", null)
  }).pipe(
    Effect.catchAll((error) =>
      Effect.as(Effect.logWarning(`weft: the triggers after cancelled run ${runId} could not be prepared`, error), [])
    )
  )

/** Starts the run of a webhook delivery (see `Engine.Service.deliver`). */
export const deliver = (deps: RunsDeps, triggers: TriggerRegistry) =>
(
  hook: string,
  body: unknown,
  delivery: string | undefined
): Effect.Effect<{ readonly runId: string; readonly started: boolean }, Errors.DeliveryRejected | Errors.PersistenceError | Errors.InvalidRunId> =>
  Effect.gen(function*() {
    const declared = triggers.hooks.get(hook)
    if (declared === undefined) {
      return yield* new Errors.DeliveryRejected({ hook, reason: "not-found", detail: "no webhook of that name is declared" })
    }
    const decoded = Schema.decodeUnknownEither(declared.body)(body, { errors: "all" })
    if (Either.isLeft(decoded)) {
      return yield* new Errors.DeliveryRejected({
        hook,
        reason: "invalid-body",
        detail: "the body does not decode",
        issues: toIssues(decoded.left)
      })
    }
    const key = delivery ?? crypto.randomUUID()
    const runId = derivedRunId(`hook:${hook}`, key)
    const input = yield* Effect.try({
      try: () => declared.input(decoded.right),
      catch: (e) =>
        new Errors.DeliveryRejected({
          hook,
          reason: "invalid-body",
          detail: `the webhook's input mapping failed: ${e instanceof Error ? e.message : String(e)}`
        })
    })
    const started = yield* startOnce(deps)(declared.template, input, {
      runId,
      queue: declared.queue,
      triggeredBy: { _tag: "Webhook", hook, delivery: key }
    }).pipe(
      Effect.catchTags({
        InvalidInput: (e) =>
          new Errors.DeliveryRejected({ hook, reason: "invalid-body", detail: "the input it maps to is invalid", issues: e.issues }),
        InvalidTemplate: (e) => new Errors.DeliveryRejected({ hook, reason: "invalid-body", detail: e.message })
      })
    )
    return { runId, started }
  })
