/**
 * The engine service over an engine's parts (built in `Engine.make`): where
 * the untyped interpreter meets the typed `Engine.Service`.
 *
 * @internal
 */
import { Clock, Effect } from "effect"
import type { RunResult, RunOptions, Service } from "../../Engine.js"
import type * as Template from "../../Template.js"
import * as Trace from "../../Trace.js"
import { retryTransient } from "../run/checkpoint.js"
import type { RunOutcome } from "../run/context.js"
import type * as Events from "./events.js"
import { cancel } from "./lineage.js"
import * as Runs from "./runs.js"
import { signal } from "./signals.js"
import { cancelMatching, exportRun } from "./bulk.js"
import { history } from "./history.js"
import { metrics } from "./metrics.js"
import * as Workers from "./workers.js"
import { trace } from "./trace.js"

/** The interpreter is untyped inside: templates are typed at the edges, here. */
const typed = <A, E, R>(effect: Effect.Effect<unknown, unknown, unknown>): Effect.Effect<A, E, R> =>
  effect as Effect.Effect<A, E, R>

const toResult = (outcome: RunOutcome): RunResult<Record<string, unknown>> => ({
  runId: outcome.runId,
  state: outcome.state,
  createdAt: outcome.info.createdAt,
  updatedAt: outcome.info.updatedAt,
  entries: outcome.info.entries,
  trace: Trace.fromRecords(outcome.records)
})

/** The engine service over an engine's parts: the typed edge of the untyped interpreter. */
export const makeService = (deps: Runs.RunsDeps, events: Events.Events): Service => {
  const { awaiting, executor, settings, store } = deps
  const awaitResult = (runId: string, template: Template.Template.Any) => Effect.map(awaiting(runId, template), toResult)
  const start = (template: Template.Template.Any, input: unknown, options: RunOptions | undefined) =>
    Effect.map(Runs.start(deps)(template, input, options), (runId) => ({ runId, await: awaitResult(runId, template) }))
  const cancelOne = cancel({ store, settings, executor, publish: events.publish })
  const bulkCancel = cancelMatching(store, cancelOne)
  return {
    settings,
    cancelMatching: (filter, options) => bulkCancel(filter, { dryRun: options?.dryRun === true }),
    run: (template, input, options) =>
      typed(Effect.flatMap(start(template, input, options), (handle) =>
        handle.await.pipe(Effect.onInterrupt(() => executor.stop(handle.runId, "shutdown"))))),
    start: (template, input, options) => typed(start(template, input, options)),
    await: (template, runId) => typed(awaitResult(runId, template)),
    cancel: cancelOne,
    signal: signal({
      store,
      registry: deps.registry,
      executor,
      publish: events.publish,
      serves: deps.poller.serves
    }),
    register: (template) => typed(Runs.register(deps)(template)),
    templates: Effect.sync(() => deps.registry.templates()),
    resume: (template, runId, options) =>
      typed(Effect.zipRight(Runs.resume(deps)(template, runId, options), awaitResult(runId, template))),
    status: Runs.getRun(store),
    inspect: ((runId: string, template?: Template.Template.Any) => Runs.inspect(deps)(runId, template)) as Service["inspect"],
    list: (filter) => retryTransient(store.list(filter ?? {})),
    history: history(store),
    trace: ((runId: string, template?: Template.Template.Any) => trace(deps)(runId, template)) as Service["trace"],
    result: (template, runId) => typed(Effect.map(Runs.result(deps)(template, runId), toResult)),
    collectExpired: Effect.flatMap(Clock.currentTimeMillis, (now) => retryTransient(store.collectExpired(now))),
    resumeDue: Runs.resumeDue(deps),
    serve: (queues) =>
      Effect.zipRight(
        Workers.announce({ store, owner: deps.env.owner, leaseMillis: deps.leaseMillis, queues }),
        deps.poller.serve(new Map(Object.entries(queues)))
      ),
    workers: Workers.workers(store),
    metrics: metrics(store),
    export: exportRun(store),
    queues: Workers.queues(store),
    events: events.stream,
    subscribe: events.subscribe
  }
}
