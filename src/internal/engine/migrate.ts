/**
 * Migrations of stored runs from one template version to another
 * (`Template.migration`): where a run stands in the old version, where it
 * goes on in the new one, what changes in its state, and the fenced write
 * that moves it — under the run's claim, so that a run another engine
 * executes is not touched (it is reported `held`), and in one store write
 * (the migration's checkpoint and the run's new template together), so
 * that a run is never half migrated.
 *
 * @internal
 */
import { Clock, Effect, Either } from "effect"
import * as Errors from "../../Errors.js"
import type { Issue } from "../../Errors.js"
import type { Lease, RunRecord, StateDelta, StepRecord, StoredEntry } from "../../SnapshotStore.js"
import { isFinal } from "../../RunStatus.js"
import * as Template from "../../Template.js"
import { retryTransient } from "../run/checkpoint.js"
import { keyCodecs } from "../run/codecs.js"
import type { RunContext } from "../run/context.js"
import { idempotencyKey, isInternalKey } from "../run/keys.js"
import { load, restore } from "../run/lifecycle.js"
import {
  childKeys,
  type Crossing,
  enteringKeys,
  type Frame,
  framesOf,
  framesOfRoute,
  isPosition,
  isUnder,
  type Position,
  positionKey,
  routesTo
} from "../run/position.js"
import { checkJson } from "../run/values.js"
import { visibleRecords } from "./executor.js"
import { isDeadLocalOwner } from "./owner.js"
import { fingerprintDigest } from "./registry.js"
import { register, type RunsDeps } from "./runs.js"

/** Where a run goes on under the new version, and what changes in its state. */
export interface Plan {
  readonly fromStep: string
  readonly toStep: string
  /** The state's changes (the state function's keys, bookkeeping moved under the new position, the marker). */
  readonly delta: StateDelta
  /** The typed values of `delta.set`. */
  readonly written: ReadonlyMap<string, { readonly value: unknown; readonly size: number }>
  readonly completed: ReadonlyArray<string>
  readonly lineage: ReadonlyArray<Crossing>
  /** The signal the wait at the new position waits for, if it is a wait. */
  readonly signal: string | null
}

/** How one run fared (see `Engine.Service.migrate`). */
export interface MigrationOutcome {
  readonly runId: string
  /** `"migrated"` (or, in a dry run, would be), or why not. */
  readonly result: "migrated" | Errors.MigrationRefused["reason"]
  /** The old version's position the run stands at (`null` when it has passed every node). */
  readonly from: string | null
  readonly to: string | null
  readonly detail: string
}

const refused = (runId: string, reason: Errors.MigrationRefused["reason"], detail: string) =>
  new Errors.MigrationRefused({ runId, reason, detail })

/** Keys of the run's bookkeeping that belong to the node at `from`, moved to `to`. */
const moved = (key: string, from: string, to: string): string | undefined => {
  for (const prefix of ["~durable/", "~view/", "~shadow/"]) {
    if (key.startsWith(prefix) && isUnder(key.slice(prefix.length), from)) {
      return prefix + to + key.slice(prefix.length + from.length)
    }
  }
  return undefined
}

/** The signals the migration's waits rename (old name → new name), on top of those an earlier migration renamed. */
const renamedSignals = (
  migration: Template.Migration,
  previous: Readonly<Record<string, string>> | undefined
): Readonly<Record<string, string>> | undefined => {
  const renames: Record<string, string> = {}
  for (const { from, to } of migration.mappings) {
    if (from._tag === "WaitForSignal" && to._tag === "WaitForSignal" && from.signal !== to.signal) renames[from.signal] = to.signal
  }
  const merged: Record<string, string> = {}
  for (const [old, name] of Object.entries(previous ?? {})) merged[old] = renames[name] ?? name
  Object.assign(merged, renames)
  for (const [old, name] of Object.entries(merged)) if (old === name) delete merged[old]
  return Object.keys(merged).length === 0 ? undefined : merged
}

/** Where a run goes on under the new version: the innermost position it stands at that the migration maps. */
const locate = (
  migration: Template.Migration,
  runId: string,
  completed: ReadonlySet<string>
): Either.Either<{ readonly mapping: Template.Mapping; readonly from: ReadonlyArray<Frame>; readonly to: ReadonlyArray<Frame> }, Errors.MigrationRefused> => {
  const frames = framesOf(migration.from, completed)
  if (frames.length === 0) return Either.left(refused(runId, "unmapped", "it has passed every node of the old version"))
  for (let level = frames.length - 1; level >= 0; level--) {
    const mapping = migration.mappings.find((m) => m.from === frames[level]!.node)
    if (mapping === undefined) continue
    const from = frames.slice(0, level + 1)
    const iterations = from.flatMap((frame) => frame.iteration === undefined ? [] : [frame.iteration])
    const candidates = routesTo(migration.to, mapping.to).map((route) => framesOfRoute(route, iterations))
    // the same key when the new version has the node there, else its first place
    const to = candidates.find((c) => c[c.length - 1]!.key === from[level]!.key) ?? candidates[0]
    if (to === undefined) {
      return Either.left(refused(runId, "unmapped", `it stands at "${from[level]!.key}", mapped to a node the new version does not hold where a run can stand`))
    }
    return Either.right({ mapping, from, to })
  }
  const where = frames.map((frame) => `"${frame.key}"`).join(" in ")
  return Either.left(refused(runId, "unmapped", `it stands at ${where}, which the migration does not map`))
}

/**
 * A run waiting in its sub-flow's child run moves only when the new version
 * has, at the same key (the child run is named after it), a sub-flow of the
 * same template version: the child run then goes on as it is.
 */
const subflowRefusal = (runId: string, fromNode: Template.Node, toNode: Template.Node, fromStep: string, toStep: string): string | undefined => {
  if (fromNode._tag !== "Subflow") return `it waits in a sub-flow's child run, and the migration maps "${fromStep}", not the sub-flow node`
  if (toNode._tag !== "Subflow") return `it waits in the child run of sub-flow "${fromStep}", which the migration maps to a node that is not a sub-flow`
  if (toStep !== fromStep) {
    return `it waits in child run "${runId}/${fromStep}", named after its position; the new version's sub-flow stands at "${toStep}"`
  }
  if (Template.label(toNode.template) !== Template.label(fromNode.template) || fingerprintDigest(toNode.template) !== fingerprintDigest(fromNode.template)) {
    return `its child run is a run of ${Template.label(fromNode.template)}, but the new version's sub-flow runs ${Template.label(toNode.template)}: a child run is not migrated (keep the sub-flow's template version, or let the run end on the old version)`
  }
  return undefined
}

/**
 * Plans the migration of a run whose context (restored with the old
 * template) is `ctx`, for a checkpoint at `seq`; fails when the position it
 * stands at is not mapped, or the state function's keys do not encode.
 * `inChild`: the run waits in a sub-flow's child run.
 */
export const plan = (
  migration: Template.Migration,
  ctx: RunContext,
  seq: number,
  now: number,
  inChild = false
): Either.Either<Plan, Errors.MigrationRefused> => {
  const located = locate(migration, ctx.runId, ctx.completed)
  if (Either.isLeft(located)) return Either.left(located.left)
  const { mapping } = located.right
  const fromStep = located.right.from[located.right.from.length - 1]!.key
  const toStep = located.right.to[located.right.to.length - 1]!.key
  if (inChild) {
    const refusal = subflowRefusal(ctx.runId, mapping.from, mapping.to, fromStep, toStep)
    if (refusal !== undefined) return Either.left(refused(ctx.runId, "subflow", refusal))
  }
  // the new version's nodes before the position (at every level) are done; so is what the run did inside the position
  const completed = new Set(enteringKeys(located.right.to))
  const topKeys = childKeys(migration.to)
  for (let k = 0; k < located.right.to[0]!.index; k++) {
    for (const key of ctx.completed) if (isUnder(key, topKeys[k]!)) completed.add(key)
  }
  for (const key of ctx.completed) if (isUnder(key, fromStep)) completed.add(toStep + key.slice(fromStep.length))

  const set: Record<string, StoredEntry> = {}
  const written = new Map<string, { readonly value: unknown; readonly size: number }>()
  const unset: Array<string> = []
  const target = mapping.to
  const signal = target._tag === "WaitForSignal" ? target.signal : null
  for (const [key, entry] of ctx.entries) {
    const next = moved(key, fromStep, toStep)
    if (next === undefined || next === key) continue
    let stored = entry.stored
    if (signal !== null && next === `~durable/${toStep}/~wait` && typeof stored.value === "object" && stored.value !== null) {
      stored = { ...stored, value: { ...stored.value, signal } }
    }
    set[next] = stored
    written.set(next, { value: stored === entry.stored ? entry.value : stored.value, size: entry.size })
    unset.push(key)
  }
  const added = stateFunction(migration, mapping, ctx, now, set, written)
  if (added !== undefined) return Either.left(added)
  const previous = ctx.entries.get(positionKey)?.value
  const lineage: ReadonlyArray<Crossing> = [
    ...(isPosition(previous) ? previous.lineage : []),
    { kind: "migration", from: Template.label(migration.from), to: Template.label(migration.to), fromStep, toStep, seq }
  ]
  const signals = renamedSignals(migration, isPosition(previous) ? previous.signals : undefined)
  const marker: Position = { seq, completed: Array.from(completed), lineage, ...(signals === undefined ? {} : { signals }) }
  set[positionKey] = { value: marker, writtenAt: now, expiresAt: null }
  written.set(positionKey, { value: marker, size: 64 })
  return Either.right({ fromStep, toStep, delta: { set, unset }, written, completed: marker.completed, lineage, signal })
}

/** Runs the mapping's state function on the run's state and adds its keys (encoded) to `set`; the refusal when they do not encode. */
const stateFunction = (
  migration: Template.Migration,
  mapping: Template.Mapping,
  ctx: RunContext,
  now: number,
  set: Record<string, StoredEntry>,
  written: Map<string, { readonly value: unknown; readonly size: number }>
): Errors.MigrationRefused | undefined => {
  if (mapping.state === undefined) return undefined
  const state: Record<string, unknown> = {}
  for (const [key, entry] of ctx.entries) if (!isInternalKey(key)) state[key] = entry.value
  const added = (mapping.state as (state: Record<string, unknown>) => object)(state)
  const codecs = keyCodecs(migration.to)
  const issues: Array<Issue> = []
  for (const [key, value] of Object.entries(added)) {
    const encoded = codecs.get(key)?.encode(value) ?? Either.right(value)
    if (Either.isLeft(encoded)) {
      issues.push(...encoded.left)
      continue
    }
    const json = checkJson(encoded.right, [key])
    if (!json.ok) {
      issues.push(json.issue)
      continue
    }
    set[key] = { value: encoded.right, writtenAt: now, expiresAt: null }
    written.set(key, { value, size: json.size })
  }
  return issues.length === 0
    ? undefined
    : refused(ctx.runId, "mismatch", `the state function's keys do not encode: ${issues.map((i) => i.message).join("; ")}`)
}

/** The checkpoint a migration records: visible in the trace, where the run crossed. */
export const crossingRecord = (migration: Template.Migration, runId: string, seq: number, planned: Plan, now: number): StepRecord => ({
  runId,
  seq,
  stepKey: `~migrate/${seq}`,
  stepName: `migrated ${Template.label(migration.from)} → ${Template.label(migration.to)} at ${planned.fromStep} → ${planned.toStep}`,
  status: "completed",
  attempts: 0,
  startedAt: now,
  endedAt: now,
  delta: planned.delta,
  error: null,
  idempotencyKey: idempotencyKey(runId, `~migrate/${seq}`)
})

const noLease: Lease = { owner: "", generation: -1 }

/** Whether a run waits in its sub-flow's child run. */
const waitsInChild = (run: RunRecord): boolean => run.waitingFor !== null && run.waitingFor.runId !== run.runId

/** Checks that a run is one the migration may move at all (before any write). */
const eligible = (migration: Template.Migration, run: RunRecord): Either.Either<void, Errors.MigrationRefused> => {
  const { from } = migration
  if (run.templateName !== from.name || run.templateVersion !== from.version) {
    return Either.left(refused(run.runId, "mismatch", `it is a run of ${run.templateName}@${run.templateVersion}, not of ${Template.label(from)}`))
  }
  if (run.templateFingerprint !== null && run.templateFingerprint !== fingerprintDigest(from)) {
    return Either.left(
      refused(run.runId, "mismatch", `it was started with another structure of ${Template.label(from)} than the migration's`)
    )
  }
  if (isFinal(run.status)) return Either.left(refused(run.runId, "finished", `it is ${run.status}`))
  if (run.parentId !== null) return Either.left(refused(run.runId, "subflow", "it is a sub-flow's run: migrate its top-level run"))
  return Either.void
}

/**
 * Moves one claimed run (under `lease`) to the migration's new version: its
 * checkpoint and its new template in one fenced write. Used by `migrate`
 * (then the run is paused again) and by `rerun` (then it executes).
 */
export const applyUnderLease = (deps: RunsDeps, migration: Template.Migration, runId: string, lease: Lease) =>
  Effect.gen(function*() {
    const { env, store } = deps
    const { loaded, records } = yield* load(env, runId)
    const ctx = yield* restore(env, migration.from, loaded, visibleRecords(records), lease)
    const now = yield* Clock.currentTimeMillis
    const seq = loaded.run.seq + 1
    const planned = yield* plan(migration, ctx, seq, now, waitsInChild(loaded.run))
    const to = migration.to
    yield* retryTransient(
      store.retarget(crossingRecord(migration, runId, seq, planned, now), lease, {
        name: to.name,
        version: to.version,
        fingerprint: fingerprintDigest(to)
      })
    )
    return { planned, run: loaded.run, now }
  })

/**
 * Migrates one stored run (see `Engine.Service.migrate`): planned on what
 * is stored, then claimed (a run another engine holds is `held`), moved in
 * one fenced write, and paused again — suspended where it waited (due at
 * once, so that an engine with the new version takes it up: a signal that
 * came meanwhile is then delivered), or handed back.
 */
export const migrateOne = (deps: RunsDeps, migration: Template.Migration, runId: string, dryRun: boolean) =>
  Effect.gen(function*() {
    const { env, store } = deps
    const outcome = (result: MigrationOutcome["result"], from: string | null, to: string | null, detail: string): MigrationOutcome =>
      ({ runId, result, from, to, detail })
    const fromError = (error: Errors.MigrationRefused) => outcome(error.reason, null, null, error.detail)
    const { loaded, records } = yield* load(env, runId)
    const run = loaded.run
    const ok = eligible(migration, run)
    if (Either.isLeft(ok)) return fromError(ok.left)
    const now = yield* Clock.currentTimeMillis
    const ctx = yield* restore(env, migration.from, loaded, visibleRecords(records), noLease)
    const planned = plan(migration, ctx, run.seq + 1, now, waitsInChild(run))
    if (Either.isLeft(planned)) return fromError(planned.left)
    const { fromStep, toStep } = planned.right
    if (dryRun) return outcome("migrated", fromStep, toStep, "dry run: nothing was written")
    const takeOverFrom = run.owner !== null && (run.owner === env.owner || isDeadLocalOwner(run.owner)) ? run.owner : undefined
    const claimed = yield* retryTransient(store.claim(runId, env.owner, now, now + deps.leaseMillis, takeOverFrom))
    if (!claimed.claimed) {
      return claimed.reason === "held"
        ? outcome("held", fromStep, toStep, `another engine (${claimed.owner ?? "unknown"}) executes it: it goes on under the old version`)
        : outcome("finished", fromStep, toStep, "it ended meanwhile")
    }
    const lease = claimed.lease
    const applied = yield* Effect.either(applyUnderLease(deps, migration, runId, lease))
    const after = yield* Clock.currentTimeMillis
    const at = { updatedAt: after, elapsedMillis: 0 }
    if (Either.isLeft(applied)) {
      // nothing was moved: the run goes back as it was (suspended where it waited, due at once)
      yield* Effect.ignore(store.pause(runId, lease, run.waitingFor === null
        ? { _tag: "Release" }
        : { _tag: "Suspend", wakeAt: after, waitingFor: run.waitingFor }, at))
      const error = applied.left
      return error instanceof Errors.MigrationRefused ? fromError(error) : outcome("held", fromStep, toStep, String(error))
    }
    const moved = applied.right.planned
    // a run waiting in its sub-flow's child run waits there still (the child run is unchanged)
    yield* retryTransient(store.pause(runId, lease, run.status === "suspended" && run.waitingFor !== null
      ? {
        _tag: "Suspend",
        wakeAt: after,
        waitingFor: waitsInChild(run) ? run.waitingFor : {
          runId,
          // where it waits: the mapped wait, or, mapped by a node that holds it, its wait under that node's new key
          step: isUnder(run.waitingFor.step, moved.fromStep) ? moved.toStep + run.waitingFor.step.slice(moved.fromStep.length) : moved.toStep,
          signal: moved.signal ?? run.waitingFor.signal
        }
      }
      : { _tag: "Release" }, at)).pipe(Effect.ignore)
    yield* deps.poller.nudge
    return outcome("migrated", moved.fromStep, moved.toStep, `now a run of ${Template.label(migration.to)}`)
  })

/** Applies a migration to the stored runs it selects, one by one (see `Engine.Service.migrate`). */
export const migrateAll = (deps: RunsDeps) =>
(
  migration: Template.Migration,
  options?: {
    readonly runIds?: ReadonlyArray<string> | undefined
    readonly status?: RunRecord["status"] | ReadonlyArray<RunRecord["status"]> | undefined
    readonly dryRun?: boolean | undefined
  }
) =>
  Effect.gen(function*() {
    const { from, to } = migration
    if (options?.dryRun !== true) {
      yield* register(deps)(to)
    }
    const ids = options?.runIds ?? (yield* retryTransient(deps.store.list({
      templateName: from.name,
      status: options?.status ?? ["queued", "running", "suspended"]
    }))).filter((run) => run.templateVersion === from.version).map((run) => run.runId)
    return yield* Effect.forEach(ids, (runId) =>
      migrateOne(deps, migration, runId, options?.dryRun === true).pipe(
        Effect.catchAll((error): Effect.Effect<MigrationOutcome, Errors.PersistenceError> =>
          error._tag === "PersistenceError" && error.transient
            ? Effect.fail(error)
            : Effect.succeed({ runId, result: "mismatch", from: null, to: null, detail: String(error.message) })
        )
      ))
  })
