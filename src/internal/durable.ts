/**
 * The interpreter of durable nodes (Durable.ts): sleep, waitForSignal,
 * subflow. `runner.ts` dispatches here from `runTemplate`.
 *
 * Durable bookkeeping lives in the run's state under internal keys
 * `~durable/<step key>/~wake` (a sleep's wake-up time) and
 * `~durable/<step key>/~wait` (a wait's signal and deadline), written by a
 * hidden checkpoint (`<step key>/~sleep`, `<step key>/~wait`) when the node
 * starts and dropped by the node's own checkpoint when it ends. A resumed run
 * finds them in its state, so a sleep sleeps only what remains and a wait
 * keeps its deadline.
 *
 * A wait with no signal suspends the run: the run is recorded as
 * `suspended` and the execution ends with the {@link Suspended} marker (not a
 * failure of the run); the engine resumes it when the signal (or the
 * deadline) comes.
 *
 * @internal
 */
import type { ParseResult } from "effect"
import { Cause, Clock, Duration, Effect, Either, Exit, Option, Schema } from "effect"
import type * as Durable from "../Durable.js"
import { PersistenceError, RunAlreadyActive, RunNotResumable, SignalTimeout, SubflowFailed } from "../Errors.js"
import type { StateDelta, StepStatus, StoredEntry } from "../SnapshotStore.js"
import type { Entry, Policy, RunContext, RunOutcome } from "./runner.js"
import {
  checkpoint,
  create,
  executeChild,
  expiryOf,
  join,
  jsonSize,
  prepare,
  resumeChild,
  summarize
} from "./runner.js"
import { keyCodecs, toIssues } from "./compile.js"

/**
 * The end of an execution that suspended the run `runId`: the run
 * `waitingRunId` (itself, or a child run of a sub-flow) waits for `signal` at
 * `step`, until `deadline`. Travels in the error channel; never recorded as
 * a failure.
 */
export class Suspended {
  readonly _tag = "~weft/Suspended"
  constructor(
    readonly runId: string,
    readonly step: string,
    readonly signal: string,
    readonly deadline: number | null,
    readonly waitingRunId: string
  ) {}
}

export const isSuspended = (u: unknown): u is Suspended => u instanceof Suspended

type Written = Map<string, { readonly value: unknown; readonly size: number }>

const noDelta: StateDelta = { set: {}, unset: [] }

const internalKey = (key: string, what: "~wake" | "~wait") => `~durable/${key}/${what}`

/** The key under which a child run keeps its parent's id. */
export const parentKey = "~durable/~parent"

export const runDurable = (
  ctx: RunContext,
  node: Durable.Node,
  key: string,
  policy: Policy
): Effect.Effect<void, unknown, unknown> => {
  switch (node._tag) {
    case "Sleep":
      return runSleep(ctx, node, key)
    case "WaitForSignal":
      return runWait(ctx, node, key)
    case "Subflow":
      return runSubflow(ctx, node, key, policy)
  }
}

/** A hidden checkpoint that writes one bookkeeping value. */
const bookkeep = (ctx: RunContext, stepKey: string, name: string, value: unknown, now: number) => {
  const stored: StoredEntry = { value, writtenAt: now, expiresAt: null }
  const written: Written = new Map([[name, { value, size: jsonSize(value) ?? 0 }]])
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
    readonly written: Written
    readonly error?: unknown
  }
) =>
  Effect.gen(function*() {
    const endedAt = yield* Clock.currentTimeMillis
    const error = options.error === undefined ? null : summarize(options.error)
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

// ---------------------------------------------------------------------------
// sleep
// ---------------------------------------------------------------------------

const runSleep = (ctx: RunContext, node: Durable.Sleep, key: string) =>
  Effect.gen(function*() {
    if (ctx.completed.has(key)) return
    const wakeKey = internalKey(key, "~wake")
    const startedAt = yield* Clock.currentTimeMillis
    const recorded = ctx.entries.get(wakeKey)
    let wakeAt: number | null
    if (recorded !== undefined && (typeof recorded.value === "number" || recorded.value === null)) {
      wakeAt = recorded.value
    } else {
      wakeAt = Duration.isFinite(node.duration) ? startedAt + Duration.toMillis(node.duration) : null
      yield* bookkeep(ctx, join(key, "~sleep"), wakeKey, wakeAt, startedAt)
      yield* ctx.env.publish({ _tag: "StepStarted", runId: ctx.runId, step: key, at: startedAt })
    }
    if (wakeAt === null) return yield* Effect.never
    if (wakeAt > startedAt) yield* Effect.sleep(Duration.millis(wakeAt - startedAt))
    yield* finish(ctx, node, key, startedAt, {
      status: "completed",
      delta: { set: {}, unset: unsetIfPresent(ctx, wakeKey) },
      written: new Map()
    })
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

/** Writes a (decoded) payload under the node's key, with its encoded form. */
const writePayload = (
  ctx: RunContext,
  node: Durable.WaitForSignal.Any,
  value: unknown,
  encoded: unknown,
  now: number
) => {
  const expiresAt = expiryOf(now, ctx.env.settings.stateTtl)
  const set: Record<string, StoredEntry> = { [node.key]: { value: encoded, writtenAt: now, expiresAt } }
  const written: Written = new Map([[node.key, { value, size: jsonSize(encoded) ?? 0 }]])
  return { set, written }
}

const runWait = (ctx: RunContext, node: Durable.WaitForSignal.Any, key: string) =>
  Effect.gen(function*() {
    if (ctx.completed.has(key)) return
    const { env, runId } = ctx
    const waitKey = internalKey(key, "~wait")
    const now = yield* Clock.currentTimeMillis
    const recorded = ctx.entries.get(waitKey)
    const startedAt = recorded === undefined ? now : recorded.stored.writtenAt
    /** A payload (recorded, or the default) that its Schema cannot read or write. */
    const payloadError = (operation: string, problem: string, error: ParseResult.ParseError) =>
      new PersistenceError({
        operation,
        reason: "decode",
        detail: `${problem}: ${toIssues(error).map((issue) => issue.message).join("; ")}`
      })
    /** Records the wait as failed with `error`, and fails with it. */
    const failWith = <E>(error: E) =>
      Effect.zipRight(
        finish(ctx, node, key, startedAt, { status: "failed", delta: noDelta, written: new Map(), error }),
        Effect.fail(error)
      )

    const taken = yield* env.store.takeSignal(runId, node.signal, key)
    if (Option.isSome(taken)) {
      const payload = taken.value.payload
      const decoded = Schema.decodeUnknownEither(node.schema)(payload)
      if (Either.isLeft(decoded)) {
        return yield* failWith(
          payloadError("resume", `the recorded payload of signal "${node.signal}" does not decode`, decoded.left)
        )
      }
      const { set, written } = writePayload(ctx, node, decoded.right, payload, now)
      return yield* finish(ctx, node, key, startedAt, {
        status: "completed",
        delta: { set, unset: unsetIfPresent(ctx, waitKey) },
        written
      })
    }

    let deadline: number | null
    if (recorded !== undefined && isWaitRecord(recorded.value)) {
      deadline = recorded.value.deadline
    } else {
      deadline = node.timeout !== undefined && Duration.isFinite(node.timeout)
        ? now + Duration.toMillis(node.timeout)
        : null
      yield* bookkeep(ctx, join(key, "~wait"), waitKey, { signal: node.signal, deadline } satisfies WaitRecord, now)
      yield* env.publish({ _tag: "StepStarted", runId, step: key, at: now })
    }

    if (deadline !== null && now >= deadline) {
      const timeout = new SignalTimeout({
        runId,
        step: key,
        signal: node.signal,
        timeout: node.timeout ?? Duration.zero
      })
      if (node.onTimeout === undefined) return yield* failWith(timeout)
      const encoded = Schema.encodeEither(node.schema)(node.onTimeout.value)
      if (Either.isLeft(encoded)) {
        return yield* failWith(
          payloadError("waitForSignal", `the default value of signal "${node.signal}" cannot be encoded`, encoded.left)
        )
      }
      const { set, written } = writePayload(ctx, node, node.onTimeout.value, encoded.right, now)
      return yield* finish(ctx, node, key, startedAt, {
        status: "fallback",
        delta: { set, unset: unsetIfPresent(ctx, waitKey) },
        written,
        error: timeout
      })
    }

    yield* env.store.setStatus(runId, { status: "suspended", updatedAt: now, wakeAt: deadline })
    yield* env.publish({ _tag: "RunSuspended", runId, step: key, signal: node.signal, deadline, at: now })
    return yield* Effect.fail(new Suspended(runId, key, node.signal, deadline, runId))
  })

// ---------------------------------------------------------------------------
// subflow
// ---------------------------------------------------------------------------

const runSubflow = (ctx: RunContext, node: Durable.Subflow.Any, key: string, _policy: Policy) =>
  Effect.gen(function*() {
    if (ctx.completed.has(key)) return
    const { env, runId } = ctx
    const child = node.template
    const childId = `${runId}/${key}`
    const startedAt = yield* Clock.currentTimeMillis
    const existing = yield* env.store.getRun(childId)

    const childFailed = (status: string, error: { readonly tag: string; readonly message: string } | null) =>
      new SubflowFailed({ runId, step: key, childRunId: childId, childStatus: status, childError: error })

    let run: Effect.Effect<RunOutcome, unknown, unknown>
    if (Option.isNone(existing)) {
      run = Effect.gen(function*() {
        const input: Record<string, unknown> = {}
        for (const name of child.requiredState) {
          const entry = ctx.entries.get(name)
          if (entry !== undefined) input[name] = entry.value
        }
        const childCtx = yield* prepare(env, child, input, childId)
        const parent: Entry = { value: runId, stored: { value: runId, writtenAt: startedAt, expiresAt: null }, size: 0 }
        childCtx.set(parentKey, parent)
        // a child runs inside its parent's execution, under the parent's timeout
        yield* create(childCtx, Duration.infinity)
        return yield* executeChild(childCtx)
      })
    } else {
      const status = existing.value.status
      run = status === "running" || status === "suspended" || status === "completed"
        ? resumeChild(env, child, childId)
        : Effect.fail(childFailed(status, existing.value.error))
    }
    /** Records the sub-flow as failed, and fails the parent with `error`. */
    const failWith = (error: SubflowFailed) =>
      Effect.zipRight(
        finish(ctx, node, key, startedAt, { status: "failed", delta: noDelta, written: new Map(), error }),
        Effect.fail(error)
      )
    const exit = yield* Effect.exit(run)
    if (Exit.isFailure(exit)) {
      const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
      if (isSuspended(failure)) {
        const now = yield* Clock.currentTimeMillis
        // the parent is due when its child's wait times out
        yield* env.store.setStatus(runId, { status: "suspended", updatedAt: now, wakeAt: failure.deadline })
        yield* env.publish({
          _tag: "RunSuspended",
          runId,
          step: key,
          signal: failure.signal,
          deadline: failure.deadline,
          at: now
        })
        return yield* Effect.fail(new Suspended(runId, key, failure.signal, failure.deadline, failure.waitingRunId))
      }
      if (failure instanceof SubflowFailed && failure.childRunId === childId) return yield* failWith(failure)
      // the child's run is not ours to judge (another engine executes it; the store failed): pass it on
      if (failure === undefined || failure instanceof RunAlreadyActive || failure instanceof PersistenceError) {
        return yield* Effect.failCause(exit.cause)
      }
      if (failure instanceof RunNotResumable) {
        const record = yield* env.store.getRun(childId)
        return yield* failWith(childFailed(failure.status, Option.isSome(record) ? record.value.error : null))
      }
      // the child ran here and failed (or was cancelled): it recorded its own end
      const record = yield* env.store.getRun(childId)
      return yield* failWith(childFailed(Option.isSome(record) ? record.value.status : "failed", summarize(failure)))
    }
    const codecs = keyCodecs(child)
    const set: Record<string, StoredEntry> = {}
    const written: Written = new Map()
    const now = yield* Clock.currentTimeMillis
    const expiresAt = expiryOf(now, env.settings.stateTtl)
    for (const name of child.providedState) {
      if (!(name in exit.value.state)) continue
      const value = exit.value.state[name]
      const encoded = codecs.get(name)?.encode(value) ?? Either.right(value)
      if (Either.isLeft(encoded)) continue
      set[name] = { value: encoded.right, writtenAt: now, expiresAt }
      written.set(name, { value, size: jsonSize(encoded.right) ?? 0 })
    }
    yield* finish(ctx, node, key, startedAt, { status: "completed", delta: { set, unset: [] }, written })
  })
