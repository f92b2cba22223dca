/**
 * The interpreter of durable nodes (Durable.ts): sleep, waitForSignal,
 * subflow.
 *
 * A sleep records its wake-up time, and a wait its signal and deadline,
 * under bookkeeping state keys (see keys.ts) by a hidden checkpoint when the
 * node starts, dropped by the node's own checkpoint when it ends: a resumed
 * run finds them in its state, so a sleep sleeps only what remains and a
 * wait keeps its deadline.
 *
 * A wait with no signal ends the execution with the {@link Suspended} marker
 * (not a failure of the run): the run's life cycle records it as suspended,
 * and an engine takes it up again when the signal (or the deadline) comes.
 * A sub-flow runs its template as a child run through the context's
 * `children` (the life cycle's business).
 *
 * @internal
 */
import { Cause, Clock, Duration, Effect, Either, Exit, Option, Schema } from "effect"
import type * as Durable from "../../Durable.js"
import { PersistenceError, SignalTimeout, SubflowFailed } from "../../Errors.js"
import type { ErrorSummary, StateDelta, StepStatus, StoredEntry } from "../../SnapshotStore.js"
import { checkpoint, retryTransient, type Written } from "./checkpoint.js"
import { keyCodecs, toIssues } from "./codecs.js"
import type { Policy, RunContext } from "./context.js"
import { summarize } from "./errors.js"
import { childRunId, sleepStartKey, waitKey, waitStartKey, wakeKey } from "./keys.js"
import { oldNamesOf, positionKey } from "./position.js"
import { spanEvent } from "./tracing.js"
import { checkJson } from "./values.js"

/**
 * The end of an execution that suspended the run `runId`: the run
 * `waitingRunId` (itself, or a child run of a sub-flow) waits for `signal`
 * (`null`: a child's sleep) at `step`, until `deadline`. Travels in the
 * error channel; never recorded as a failure.
 */
export class Suspended {
  readonly _tag = "~weft/Suspended"
  constructor(
    readonly runId: string,
    readonly step: string,
    readonly signal: string | null,
    readonly deadline: number | null,
    readonly waitingRunId: string
  ) {}
}

/** Whether a failure is the suspension marker. */
export const isSuspended = (u: unknown): u is Suspended => u instanceof Suspended

const noDelta: StateDelta = { set: {}, unset: [] }

/** Runs a durable node at `key`. */
export const runDurable = (
  ctx: RunContext,
  node: Durable.Node,
  key: string,
  _policy: Policy
): Effect.Effect<void, unknown, unknown> => {
  switch (node._tag) {
    case "Sleep":
      return runSleep(ctx, node, key)
    case "WaitForSignal":
      return runWait(ctx, node, key)
    case "Subflow":
      return runSubflow(ctx, node, key)
  }
}

/** A hidden checkpoint that writes one bookkeeping value. */
const bookkeep = (ctx: RunContext, stepKey: string, name: string, value: unknown, now: number) => {
  const stored: StoredEntry = { value, writtenAt: now, expiresAt: null }
  const written: Written = new Map([[name, { value, size: 64 }]])
  return checkpoint(ctx, {
    stepKey,
    stepName: stepKey.slice(stepKey.lastIndexOf("/") + 1),
    status: "completed",
    attempts: 0,
    startedAt: now,
    endedAt: now,
    delta: { set: { [name]: stored }, unset: [] },
    error: null
  }, written)
}

/** The node's own checkpoint (visible in the trace), announced like a step's end. */
const finish = (
  ctx: RunContext,
  node: Durable.Node,
  key: string,
  startedAt: number,
  options: {
    readonly status: StepStatus
    readonly delta: StateDelta
    readonly written?: Written
    readonly error?: unknown
  }
) =>
  Effect.gen(function*() {
    const endedAt = yield* Clock.currentTimeMillis
    const error: ErrorSummary | null = options.error === undefined ? null : summarize(options.error)
    yield* checkpoint(ctx, {
      stepKey: key,
      stepName: node.name,
      status: options.status,
      attempts: 1,
      startedAt,
      endedAt,
      delta: options.delta,
      error
    }, options.written)
    if (!ctx.env.listening()) return
    const { env, runId } = ctx
    if (options.status === "failed") {
      yield* env.publish({ _tag: "StepFailed", runId, step: key, attempts: 1, error: error!, at: endedAt })
    } else {
      yield* env.publish({
        _tag: "StepCompleted",
        runId,
        step: key,
        status: options.status,
        attempts: 1,
        durationMs: endedAt - startedAt,
        at: endedAt
      })
    }
  })

const unsetIfPresent = (ctx: RunContext, name: string): ReadonlyArray<string> => ctx.entries.has(name) ? [name] : []

const announceStart = (ctx: RunContext, key: string, at: number) =>
  ctx.env.listening() ? ctx.env.publish({ _tag: "StepStarted", runId: ctx.runId, step: key, at }) : Effect.void

// ---------------------------------------------------------------------------
// sleep
// ---------------------------------------------------------------------------

const runSleep = (ctx: RunContext, node: Durable.Sleep, key: string) =>
  Effect.gen(function*() {
    if (ctx.completed.has(key)) return
    const wake = wakeKey(key)
    const startedAt = yield* Clock.currentTimeMillis
    const recorded = ctx.entries.get(wake)
    let wakeAt: number | null
    if (recorded !== undefined && (typeof recorded.value === "number" || recorded.value === null)) {
      wakeAt = recorded.value
    } else {
      wakeAt = Duration.isFinite(node.duration) ? startedAt + Duration.toMillis(node.duration) : null
      yield* bookkeep(ctx, sleepStartKey(key), wake, wakeAt, startedAt)
      yield* announceStart(ctx, key, startedAt)
    }
    if (wakeAt === null) return yield* ctx.root.hold.whenAsked(ctx.runId)
    // a pause asked ends the sleep: resumed, it sleeps what remains of it (nothing, once the time has passed)
    if (wakeAt > startedAt) {
      yield* Effect.raceFirst(Effect.sleep(Duration.millis(wakeAt - startedAt)), ctx.root.hold.whenAsked(ctx.runId))
    }
    yield* finish(ctx, node, key, startedAt, { status: "completed", delta: { set: {}, unset: unsetIfPresent(ctx, wake) } })
  })

// ---------------------------------------------------------------------------
// waitForSignal
// ---------------------------------------------------------------------------

interface WaitRecord {
  readonly signal: string
  readonly deadline: number | null
}

const isWaitRecord = (u: unknown): u is WaitRecord =>
  typeof u === "object" && u !== null && "signal" in u && "deadline" in u

/** A payload (recorded, or the default) that its Schema cannot read or write. */
const payloadError = (operation: string, problem: string, detail: string) =>
  new PersistenceError({ operation, reason: "decode", detail: `${problem}: ${detail}` })

const runWait = (ctx: RunContext, node: Durable.WaitForSignal.Any, key: string) =>
  Effect.gen(function*() {
    if (ctx.completed.has(key)) return
    const { runId } = ctx
    const bookkeeping = waitKey(key)
    const now = yield* Clock.currentTimeMillis
    const recorded = ctx.entries.get(bookkeeping)
    const startedAt = recorded === undefined ? now : recorded.stored.writtenAt
    /** Records the wait as failed with `error`, and fails with it. */
    const failWith = <E>(error: E) =>
      Effect.zipRight(finish(ctx, node, key, startedAt, { status: "failed", delta: noDelta, error }), Effect.fail(error))
    /** Writes the (decoded) payload under the node's key and ends the wait. */
    const deliver = (value: unknown, encoded: unknown, status: StepStatus, error?: unknown) => {
      const checked = checkJson(encoded, [node.key])
      if (!checked.ok) {
        return failWith(payloadError("waitForSignal", `the payload of signal "${node.signal}" cannot be stored`, checked.issue.message))
      }
      const set: Record<string, StoredEntry> = { [node.key]: { value: encoded, writtenAt: now, expiresAt: null } }
      return finish(ctx, node, key, startedAt, {
        status,
        delta: { set, unset: unsetIfPresent(ctx, bookkeeping) },
        written: new Map([[node.key, { value, size: checked.size }]]),
        error
      })
    }

    // the signal, or one sent under a name a migration renamed to it
    let taken = yield* retryTransient(ctx.env.store.takeSignal(runId, node.signal, key, ctx.root.lease))
    for (const old of oldNamesOf(ctx.entries.get(positionKey)?.value, node.signal)) {
      if (Option.isSome(taken)) break
      taken = yield* retryTransient(ctx.env.store.takeSignal(runId, old, key, ctx.root.lease))
    }
    if (Option.isSome(taken)) {
      const payload = taken.value.payload
      yield* spanEvent(ctx, "weft.signal", { "weft.signal.name": node.signal, "weft.step.key": key })
      const decoded = Schema.decodeUnknownEither(node.schema)(payload)
      if (Either.isLeft(decoded)) {
        return yield* failWith(
          payloadError(
            "resume",
            `the recorded payload of signal "${node.signal}" does not decode`,
            toIssues(decoded.left).map((issue) => issue.message).join("; ")
          )
        )
      }
      return yield* deliver(decoded.right, payload, "completed")
    }

    let deadline: number | null
    if (recorded !== undefined && isWaitRecord(recorded.value)) {
      deadline = recorded.value.deadline
    } else {
      deadline = node.timeout !== undefined && Duration.isFinite(node.timeout)
        ? now + Duration.toMillis(node.timeout)
        : null
      yield* bookkeep(ctx, waitStartKey(key), bookkeeping, { signal: node.signal, deadline } satisfies WaitRecord, now)
      yield* announceStart(ctx, key, now)
    }

    if (deadline !== null && now >= deadline) {
      const timeout = new SignalTimeout({ runId, step: key, signal: node.signal, timeout: node.timeout ?? Duration.zero })
      if (node.onTimeout === undefined) return yield* failWith(timeout)
      const encoded = Schema.encodeEither(node.schema)(node.onTimeout.value)
      if (Either.isLeft(encoded)) {
        return yield* failWith(
          payloadError(
            "waitForSignal",
            `the default value of signal "${node.signal}" cannot be encoded`,
            toIssues(encoded.left).map((issue) => issue.message).join("; ")
          )
        )
      }
      return yield* deliver(node.onTimeout.value, encoded.right, "fallback", timeout)
    }
    return yield* Effect.fail(new Suspended(runId, key, node.signal, deadline, runId))
  })

// ---------------------------------------------------------------------------
// subflow
// ---------------------------------------------------------------------------

const runSubflow = (ctx: RunContext, node: Durable.Subflow.Any, key: string) =>
  Effect.gen(function*() {
    if (ctx.completed.has(key)) return
    const { env, runId } = ctx
    const child = node.template
    const childId = childRunId(runId, key)
    const startedAt = yield* Clock.currentTimeMillis
    const input: Record<string, unknown> = {}
    for (const name of child.requiredState) {
      const entry = ctx.entries.get(name)
      if (entry !== undefined) input[name] = entry.value
    }
    const exit = yield* Effect.exit(env.children.run(ctx, child, childId, input))
    if (Exit.isFailure(exit)) {
      const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
      if (isSuspended(failure)) {
        // the parent waits with its child, until the child's deadline
        return yield* Effect.fail(new Suspended(runId, key, failure.signal, failure.deadline, failure.waitingRunId))
      }
      if (failure instanceof SubflowFailed) {
        return yield* Effect.zipRight(
          finish(ctx, node, key, startedAt, { status: "failed", delta: noDelta, error: failure }),
          Effect.fail(failure)
        )
      }
      // not the child's own failure (the store failed, the claim was lost, an interruption): pass it on
      return yield* Effect.failCause(exit.cause)
    }
    const codecs = keyCodecs(child)
    const set: Record<string, StoredEntry> = {}
    const written = new Map<string, { readonly value: unknown; readonly size: number }>()
    const now = yield* Clock.currentTimeMillis
    for (const name of child.providedState) {
      if (!Object.hasOwn(exit.value.state, name)) continue
      const value = exit.value.state[name]
      const encoded = codecs.get(name)?.encode(value) ?? Either.right(value)
      if (Either.isLeft(encoded)) continue
      const checked = checkJson(encoded.right, [name])
      if (!checked.ok) continue
      set[name] = { value: encoded.right, writtenAt: now, expiresAt: null }
      written.set(name, { value, size: checked.size })
    }
    yield* finish(ctx, node, key, startedAt, { status: "completed", delta: { set, unset: [] }, written })
  })
