/**
 * weft: typed, composable, durable workflow templates on Effect.
 *
 * @since 0.1.0
 */

/** Steps: the smallest unit of a workflow. @since 0.1.0 */
export * as Step from "./Step.js"

/** Templates: named, versioned sequences of steps. @since 0.1.0 */
export * as Template from "./Template.js"

/** Control flow: branch, match, loop, forEach, parallel. @since 0.1.0 */
export * as Flow from "./Flow.js"

/** Composition of templates with compile-time wiring checks. @since 0.1.0 */
export * as Compose from "./Compose.js"

/** Concatenates templates; see {@link Compose}. @since 0.1.0 */
export { composeWorkflow } from "./Compose.js"

/** Built-in steps: command, read, write, transform, validate. @since 0.4.0 */
export * as Steps from "./Steps.js"

/** Durable waits (sleep, signals) and sub-flows. @since 0.1.0 */
export * as Durable from "./Durable.js"

/** Running templates. @since 0.1.0 */
export * as Workflow from "./Workflow.js"

/** The engine service. @since 0.1.0 */
export * as Engine from "./Engine.js"

/** Typed state with TTL. @since 0.1.0 */
export * as State from "./State.js"

/** Settings from `WEFT_*` environment variables. @since 0.1.0 */
export * as Settings from "./Settings.js"

/** Run statuses: the life cycle of a run, which statuses are final. @since 0.3.0 */
export * as RunStatus from "./RunStatus.js"

/** The persistence service and its in-memory implementation. @since 0.1.0 */
export * as SnapshotStore from "./SnapshotStore.js"

/** Runs that start themselves: cron schedules, webhooks, event triggers. @since 0.3.0 */
export * as Trigger from "./Trigger.js"

/** Workers: execute runs queued on named queues. @since 0.2.0 */
export * as Worker from "./Worker.js"

/** Periodic collection of expired runs. @since 0.1.0 */
export * as Collector from "./Collector.js"

/** Resuming runs whose wait timed out while no process ran them. @since 0.1.0 */
export * as Deadlines from "./Deadlines.js"

/** Progress events. @since 0.1.0 */
export * as Event from "./Event.js"

/** A run's full history: claims, steps, signals, waits, hand-backs, in order. @since 0.4.0 */
export * as History from "./History.js"

/** Metrics of runs over a window: counts, failure rate, percentiles, retries, timeouts, queues. @since 0.4.0 */
export * as Metrics from "./Metrics.js"

/** A run as one JSON document; what a bulk cancellation did. @since 0.4.0 */
export * as Export from "./Export.js"

/** Run traces. @since 0.1.0 */
export * as Trace from "./Trace.js"

/** A template's structure as a graph; Mermaid text. @since 0.2.0 */
export * as Graph from "./Graph.js"

/** Every error weft raises. @since 0.1.0 */
export * as Errors from "./Errors.js"

/** The test kit. @since 0.1.0 */
export * as Testing from "./Testing.js"
