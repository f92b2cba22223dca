/**
 * The engine service over an engine's parts (built in `Engine.make`): where
 * the untyped interpreter meets the typed `Engine.Service`.
 *
 * @internal
 */
import { Clock, Duration, Effect } from "effect"
import type { RunResult, RunOptions, Service } from "../../Engine.js"
import type { FollowUp } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import * as Trace from "../../Trace.js"
import { retryTransient } from "../run/checkpoint.js"
import type { RunOutcome } from "../run/context.js"
import type * as Events from "./events.js"
import { pause, unpause } from "./control.js"
import { fork, rerun, rerunAll } from "./fork.js"
import { stateAt } from "./states.js"
import { cancel } from "./lineage.js"
import { migrateAll } from "./migrate.js"
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
export const makeService = (
  deps: Runs.RunsDeps,
  events: Events.Events,
  followUps: (runId: string) => Effect.Effect<ReadonlyArray<FollowUp>>
): Omit<Service, "trigger" | "triggers" | "schedules" | "deliver"> => {
  const { awaiting, executor, settings, store } = deps
  const awaitResult = (runId: string, template: Template.Template.Any) => Effect.map(awaiting(runId, template), toResult)
  const start = (template: Template.Template.Any, input: unknown, options: RunOptions | undefined) =>
    Effect.map(Runs.start(deps)(template, input, options), (runId) => ({ runId, await: awaitResult(runId, template) }))
  const cancelOne = cancel({ store, settings, executor, publish: events.publish, followUps, recorded: deps.env.triggers?.recorded })
  const bulkCancel = cancelMatching(store, cancelOne)
  return {
    settings,
    cancelMatching: (filter, options) => bulkCancel(filter, { dryRun: options?.dryRun === true }),
    run: (template, input, options) => typed(Effect.map(Runs.run(deps)(template, input, options), toResult)),
    start: (template, input, options) => typed(start(template, input, options)),
    await: (template, runId) => typed(awaitResult(runId, template)),
    cancel: cancelOne,
    pause: pause({ store, executor, poller: deps.poller, registry: deps.registry, publish: events.publish }),
    unpause: unpause({ store, executor, poller: deps.poller, registry: deps.registry, publish: events.publish }),
    signal: signal({
      store,
      registry: deps.registry,
      executor,
      publish: events.publish,
      serves: deps.poller.serves
    }),
    register: (template) => typed(Runs.register(deps, true)(template)),
    templates: Effect.sync(() => deps.registry.templates()),
    resume: (template, runId, options) =>
      typed(Effect.zipRight(Runs.resume(deps)(template, runId, options), awaitResult(runId, template))),
    status: Runs.getRun(store),
    inspect: ((runId: string, template?: Template.Template.Any) => Runs.inspect(deps)(runId, template)) as Service["inspect"],
    list: (filter) => retryTransient(store.list(filter ?? {})),
    history: history(store),
    trace: ((runId: string, template?: Template.Template.Any) => trace(deps)(runId, template)) as Service["trace"],
    result: (template, runId) => typed(Effect.map(Runs.result(deps)(template, runId), toResult)),
    stateAt: ((runId: string, step: string, template?: Template.Template.Any, options?: { readonly before?: boolean }) =>
      stateAt(deps)(runId, step, template, options)) as Service["stateAt"],
    fork: (template, runId, options) => typed(fork(deps)(template, runId, options)),
    rerun: (runId, options) => typed(rerun(deps)(runId, options)),
    rerunAll: (filter) => typed(rerunAll(deps)(filter)),
    migrate: (migration, options) => typed(migrateAll(deps)(migration, options)),
    collectExpired: Effect.flatMap(Clock.currentTimeMillis, (now) => retryTransient(store.collectExpired(now))),
    resumeDue: Runs.resumeDue(deps),
    serve: (queues, options) =>
      Effect.zipRight(
        Workers.announce({ store, owner: deps.env.owner, leaseMillis: deps.leaseMillis, queues }),
        deps.poller.serve(
          new Map(Object.entries(queues)),
          new Map(Object.entries(options?.rateLimits ?? {}).map(([queue, rate]) => [queue, {
            limit: Math.max(0, Math.floor(rate.limit)),
            periodMillis: Math.max(1, Duration.toMillis(Duration.decode(rate.period)))
          }]))
        )
      ),
    workers: Workers.workers(store),
    metrics: metrics(store),
    export: exportRun(store),
    queues: Workers.queues(store),
    events: events.stream,
    subscribe: events.subscribe
  }
}
