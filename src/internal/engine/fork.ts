/**
 * Going on from a stored run's past: a re-run (a failed or cancelled run
 * continues from its last checkpoint, under a new generation, optionally
 * migrated to a newer version first) and a fork (a new run whose first
 * state is the original's right after a step, with a patch, on the same or
 * a migrated version). Neither executes a completed step again to learn
 * its output: the state comes from the stored deltas.
 *
 * @internal
 */
import { Clock, Effect, Either } from "effect"
import * as Errors from "../../Errors.js"
import type { Issue } from "../../Errors.js"
import { defaultQueue, type StoredEntry } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import { retryTransient } from "../run/checkpoint.js"
import { keyCodecs } from "../run/codecs.js"
import { load, restore } from "../run/lifecycle.js"
import { type Crossing, isPosition, type Position, positionKey } from "../run/position.js"
import { checkJson } from "../run/values.js"
import { stateAfter } from "./states.js"
import { applyUnderLease, plan } from "./migrate.js"
import { fingerprintDigest } from "./registry.js"
import { checkRunId, getRun, register, type RunsDeps } from "./runs.js"

/** Options of a fork (see `Engine.Service.fork`). */
export interface ForkOptions {
  readonly after: string
  readonly patch?: Readonly<Record<string, unknown>> | undefined
  readonly migration?: Template.Migration | undefined
  readonly runId?: string | undefined
}

/** The template a run is known by here: given, else registered. */
const templateOf = (deps: RunsDeps, runId: string, name: string, version: string, given?: Template.Template.Any) => {
  const known = given ?? deps.registry.get(name, version)?.template
  return known === undefined
    ? Effect.fail(new Errors.TemplateNotRegistered({ runId, template: name, version }))
    : Effect.succeed(known)
}

/**
 * Re-runs a failed or cancelled run from its last checkpoint (see
 * `Engine.Service.rerun`): re-opened (claimed, new generation), migrated
 * first when a migration is given, then executed here.
 */
export const rerun = (deps: RunsDeps) => (runId: string, options?: { readonly migration?: Template.Migration | undefined }) =>
  Effect.gen(function*() {
    const { env, executor, store } = deps
    const run = yield* getRun(store)(runId)
    if (run.status !== "failed" && run.status !== "cancelled") {
      return yield* new Errors.RunNotResumable({ runId, status: run.status })
    }
    const migration = options?.migration
    const template = yield* templateOf(deps, runId, run.templateName, run.templateVersion, migration?.from)
    const target = migration?.to ?? template
    yield* register(deps)(template)
    if (migration !== undefined) yield* register(deps)(migration.to)
    const now = yield* Clock.currentTimeMillis
    const claimed = yield* retryTransient(store.reopen(runId, env.owner, now, now + deps.leaseMillis))
    if (!claimed.claimed) {
      const current = yield* getRun(store)(runId)
      return yield* new Errors.RunNotResumable({ runId, status: current.status })
    }
    let record = claimed.run
    if (migration !== undefined) {
      const moved = yield* Effect.either(applyUnderLease(deps, migration, runId, claimed.lease))
      if (Either.isLeft(moved)) {
        // not migrated: the run is failed again as it was, nothing else changed
        yield* Effect.ignore(store.finish(runId, claimed.lease, { status: "failed", error: run.error, expiresAt: run.expiresAt }, {
          updatedAt: now,
          elapsedMillis: run.elapsedMillis
        }))
        return yield* Effect.fail(moved.left)
      }
      record = { ...record, templateName: target.name, templateVersion: target.version, templateFingerprint: fingerprintDigest(target) }
    }
    executor.waiter(runId)
    yield* executor.launchClaimed({ lease: claimed.lease, run: record })
  })

/** Encodes a patch with the template's Schemas: a key it does not know, or a value its Schema refuses, is an issue. */
const encodePatch = (template: Template.Template.Any, patch: Readonly<Record<string, unknown>>, now: number) => {
  const codecs = keyCodecs(template)
  const issues: Array<Issue> = []
  const set: Record<string, StoredEntry> = {}
  for (const [key, value] of Object.entries(patch)) {
    const codec = codecs.get(key)
    if (codec === undefined) {
      issues.push({ path: [key], message: `"${key}" is not a key of ${template.name}@${template.version}` })
      continue
    }
    // encoded, then read back: a value of the wrong type is refused even where encoding is the identity
    const encoded = Either.flatMap(codec.encode(value), (e) => Either.map(codec.decode(e), () => e))
    if (Either.isLeft(encoded)) {
      issues.push(...encoded.left.map((issue) => ({ ...issue, path: [key, ...issue.path.slice(1)] })))
      continue
    }
    const json = checkJson(encoded.right, [key])
    if (!json.ok) issues.push(json.issue)
    else set[key] = { value: encoded.right, writtenAt: now, expiresAt: null }
  }
  return { issues, set }
}

/**
 * Forks a run after one of its steps (see `Engine.Service.fork`): a new run
 * whose first state is the original's right after `after`, with `patch`,
 * whose completed steps are the original's by then, on the same template or
 * migrated; recorded claimed and executed here. Returns its id.
 */
export const fork = (deps: RunsDeps) => (template: Template.Template.Any, runId: string, options: ForkOptions) =>
  Effect.gen(function*() {
    const { env, executor, store } = deps
    const original = yield* getRun(store)(runId)
    if (original.templateName !== template.name || original.templateVersion !== template.version) {
      return yield* new Errors.TemplateMismatch({
        runId,
        stored: { name: original.templateName, version: original.templateVersion },
        given: { name: template.name, version: template.version }
      })
    }
    const past = yield* stateAfter(deps, runId, options.after)
    const now = yield* Clock.currentTimeMillis
    const forkId = yield* checkRunId(options.runId ?? crypto.randomUUID())
    const patched = encodePatch(template, options.patch ?? {}, now)
    if (patched.issues.length > 0) return yield* new Errors.InvalidPatch({ runId, issues: patched.issues })
    // the original's state then, as a run context of its template (decoded), with the patch
    const ctx = yield* restore(env, template, {
      run: past.run,
      snapshotSeq: 0,
      snapshot: { entries: { ...past.entries, ...patched.set }, createdAt: now, updatedAt: now },
      stepsAfterSnapshot: [],
      completedStepKeys: []
    }, [], { owner: env.owner, generation: -1 })
    ctx.completed = new Set(past.completed)
    let target = template
    let entries: Record<string, StoredEntry> = { ...ctx.storedState().entries }
    let completed: ReadonlyArray<string> = Array.from(past.completed)
    const previous = entries[positionKey]?.value
    let lineage: ReadonlyArray<Crossing> = isPosition(previous) ? previous.lineage : []
    const migration = options.migration
    if (migration !== undefined) {
      const planned = plan(migration, ctx, 0, now)
      if (Either.isLeft(planned)) return yield* Effect.fail(planned.left)
      for (const [key, stored] of Object.entries(planned.right.delta.set)) entries[key] = stored
      for (const key of planned.right.delta.unset) delete entries[key]
      entries = { ...entries }
      target = migration.to
      completed = planned.right.completed
      lineage = planned.right.lineage
    }
    const marker: Position = { seq: 0, completed, lineage: [...lineage, { kind: "fork", from: runId, step: options.after }] }
    entries[positionKey] = { value: marker, writtenAt: now, expiresAt: null }
    yield* register(deps)(target)
    const lease = yield* retryTransient(store.createRun({
      runId: forkId,
      templateName: target.name,
      templateVersion: target.version,
      createdAt: now,
      timeoutMillis: original.timeoutMillis,
      parentId: null,
      rootId: forkId,
      queue: defaultQueue,
      traceContext: null,
      templateFingerprint: fingerprintDigest(target),
      forkedFrom: runId,
      forkedAfter: options.after,
      migratedFrom: migration === undefined ? null : `${template.name}@${template.version}`
    }, { entries, createdAt: now, updatedAt: now }, { owner: env.owner, leaseUntil: now + deps.leaseMillis }))
    const { loaded } = yield* load(env, forkId)
    executor.waiter(forkId)
    yield* executor.launchClaimed({ lease: lease!, run: loaded.run })
    return forkId
  })

/** Re-runs the runs a filter selects (see `Engine.Service.rerunAll`). */
export const rerunAll = (deps: RunsDeps) =>
(filter?: {
  readonly status?: "failed" | "cancelled" | ReadonlyArray<"failed" | "cancelled"> | undefined
  readonly templateName?: string | undefined
  readonly createdAfter?: number | undefined
  readonly dryRun?: boolean | undefined
}) =>
  Effect.gen(function*() {
    const runs = yield* retryTransient(deps.store.list({
      status: filter?.status ?? "failed",
      templateName: filter?.templateName,
      createdAfter: filter?.createdAfter
    }))
    const top = runs.filter((run) => run.parentId === null)
    if (filter?.dryRun === true) return top.map((run) => run.runId)
    const done: Array<string> = []
    for (const run of top) {
      const rerunning = yield* Effect.either(rerun(deps)(run.runId))
      if (Either.isRight(rerunning)) done.push(run.runId)
      else if (rerunning.left._tag === "PersistenceError" && rerunning.left.transient) return yield* Effect.fail(rerunning.left)
    }
    return done
  })
