/**
 * Signal admission: a signal is decoded with the Schema of the wait that
 * awaits it, recorded durably (the store marks the run due), and the run is
 * taken up here when it is suspended, its template is known here and it is
 * not routed elsewhere (a run queued on a named queue that this engine does
 * not serve is left to the workers serving it) — otherwise by whichever
 * engine claims it first.
 *
 * @internal
 */
import { Clock, Effect, Either, Option } from "effect"
import type * as Durable from "../../Durable.js"
import {
  InvalidSignalPayload,
  type PersistenceError,
  RunNotFound,
  SignalRejected,
  TemplateNotRegistered
} from "../../Errors.js"
import type { Event } from "../../Event.js"
import type { Service as Store } from "../../SnapshotStore.js"
import { isFinal } from "../../RunStatus.js"
import { defaultQueue } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import { retryTransient } from "../run/checkpoint.js"
import { decodePayload } from "../run/codecs.js"
import { isPosition, positionKey } from "../run/position.js"
import { nodesOf } from "../template/walk.js"
import type { Executor } from "./executor.js"
import type { Registry } from "./registry.js"

/** The waits for signal `name` anywhere in a template (not in its sub-flows' templates: those are child runs). */
export const waitsFor = (template: Template.Template.Any, name: string): ReadonlyArray<Durable.WaitForSignal.Any> =>
  nodesOf(template, { intoSubflows: false }).filter((node): node is Durable.WaitForSignal.Any =>
    node._tag === "WaitForSignal" && node.signal === name
  )

/**
 * The wait a signal sent under an old name reaches: a migration of the run
 * renamed it (the run's position marker says to what). The signal is
 * recorded under the name it was sent with; the wait takes it under that
 * name too.
 */
const renamedWait = (store: Store, template: Template.Template.Any, runId: string, name: string) =>
  Effect.map(retryTransient(store.load(runId)), (loaded) => {
    if (Option.isNone(loaded)) return undefined
    let marker: unknown = loaded.value.snapshot.entries[positionKey]?.value
    for (const step of loaded.value.stepsAfterSnapshot) {
      const written = step.delta.set[positionKey]
      if (written !== undefined) marker = written.value
    }
    const renamed = isPosition(marker) ? marker.signals?.[name] : undefined
    return renamed === undefined ? undefined : waitsFor(template, renamed)[0]
  })

/** Sends a signal to a run; see `Engine.Service.signal`. */
export const signal = (deps: {
  readonly store: Store
  readonly registry: Registry
  readonly executor: Executor
  readonly publish: (event: Event) => Effect.Effect<void>
  /** Whether this engine serves a queue as a worker. */
  readonly serves: (queue: string) => boolean
}) =>
(
  runId: string,
  name: string,
  payload: unknown
): Effect.Effect<void, RunNotFound | SignalRejected | InvalidSignalPayload | TemplateNotRegistered | PersistenceError> =>
  Effect.gen(function*() {
    const { executor, registry, store } = deps
    const found = yield* retryTransient(store.getRun(runId))
    if (Option.isNone(found)) return yield* new RunNotFound({ runId })
    const run = found.value
    const rejected = (reason: SignalRejected["reason"], detail: string) =>
      new SignalRejected({ runId, signal: name, reason, detail })
    if (isFinal(run.status)) return yield* rejected("run-ended", `the run is ${run.status}`)
    const registered = registry.get(run.templateName, run.templateVersion)
    if (registered === undefined) {
      return yield* new TemplateNotRegistered({ runId, template: run.templateName, version: run.templateVersion })
    }
    const wait = waitsFor(registered.template, name)[0] ?? (yield* renamedWait(store, registered.template, runId, name))
    if (wait === undefined) {
      return yield* rejected("not-awaited", `template ${run.templateName}@${run.templateVersion} has no waitForSignal("${name}")`)
    }
    const decoded = decodePayload(wait.schema, payload)
    if (Either.isLeft(decoded)) return yield* new InvalidSignalPayload({ runId, signal: name, issues: decoded.left })
    const now = yield* Clock.currentTimeMillis
    const recorded = yield* retryTransient(
      store.recordSignal({ runId, name, payload: decoded.right.encoded, receivedAt: now })
    )
    switch (recorded) {
      case "not-found":
        return yield* new RunNotFound({ runId })
      case "run-ended":
        return yield* rejected("run-ended", "the run has ended")
      case "already-pending":
        return yield* rejected("already-pending", `a signal "${name}" is already pending for this run`)
    }
    yield* deps.publish({ _tag: "SignalReceived", runId, signal: name, at: now })
    // the run goes on here if its top-level run is suspended and known here (else another engine takes it up),
    // unless it was queued for workers of a queue this engine does not serve: one of them takes it up
    const root = run.rootId === runId ? Option.some(run) : yield* Effect.orElseSucceed(store.getRun(run.rootId), Option.none)
    if (Option.isSome(root) && root.value.status === "suspended") {
      const routed = root.value.queue !== defaultQueue && !deps.serves(root.value.queue)
      if (!routed && registry.get(root.value.templateName, root.value.templateVersion) !== undefined) {
        yield* Effect.ignore(executor.takeUp(root.value.runId, { queue: root.value.queue }))
      }
    }
  })
