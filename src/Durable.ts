/**
 * Durable waits and sub-flows: nodes that stand in a template's `steps` like
 * a step, and whose progress survives a crash.
 *
 * - {@link sleep}: a durable timer. Its wake-up time is recorded when it
 *   starts; a run resumed after a crash sleeps only what remains.
 * - {@link waitForSignal}: the run is recorded as `suspended` and no process
 *   needs to stay up; the wait's `send(runId, payload)` (typed by its Schema)
 *   or `engine.signal(runId, name, payload)` (JSON from outside), from any
 *   process sharing the store, decodes the payload with the node's Schema,
 *   records it, and resumes the run. The payload lands in the state, typed by
 *   the Schema.
 * - {@link subflow}: runs a template as a child run, with its own id and trace.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Durable, Step, Template } from "weftjs"
 *
 * const approval = Template.make({
 *   name: "approval",
 *   version: "1",
 *   steps: [
 *     Durable.waitForSignal("approved", Schema.Struct({ by: Schema.String, ok: Schema.Boolean })),
 *     Step.make({
 *       name: "act",
 *       requires: { approved: Schema.Struct({ by: Schema.String, ok: Schema.Boolean }) },
 *       provides: { done: Schema.Boolean },
 *       run: ({ approved }) => Effect.succeed({ done: approved.ok })
 *     })
 *   ]
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Duration, Effect, Either, Pipeable, Schema } from "effect"
import type { Engine } from "./Engine.js"
import {
  InvalidSignalPayload,
  type PersistenceError,
  type RunNotFound,
  type SignalRejected,
  type SignalTimeout,
  type SubflowFailed,
  type TemplateNotRegistered
} from "./Errors.js"
import { EngineTag } from "./internal/engineTag.js"
import { toIssues } from "./internal/run/issues.js"
import type { NodeTypes } from "./internal/types/wiring.js"
import { keySchema } from "./internal/types/keySchema.js"
import type * as Template from "./Template.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("weft/Durable")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/** The runtime shape every node has (see `Template.requirements`, `Template.provides`). */
interface Shape {
  readonly [TypeId]: TypeId
  readonly name: string
  /** Outside requirements, each with its Schema (a one-key Struct). */
  readonly requirements: ReadonlyArray<readonly [key: string, schema: Schema.Schema.AnyNoContext]>
  /** The Schema (a one-key Struct) of each key it writes. */
  readonly provides: Readonly<Record<string, Schema.Schema.AnyNoContext>>
}

/**
 * A durable timer: reads and writes nothing.
 *
 * @since 0.1.0
 * @category models
 */
export interface Sleep extends Shape, Pipeable.Pipeable {
  readonly "~types": NodeTypes<{}, {}, never, never>
  readonly _tag: "Sleep"
  readonly duration: Duration.Duration
}

/**
 * What sending a signal may fail with (see `Engine.signal`).
 *
 * @since 0.2.0
 * @category errors
 */
export type SignalError =
  | RunNotFound
  | SignalRejected
  | InvalidSignalPayload
  | TemplateNotRegistered
  | PersistenceError

/**
 * A wait for the signal `signal`, whose payload (of type `A`) is written to
 * the state under `Key`. `E` is `SignalTimeout` when a timeout without a
 * default value is set.
 *
 * @since 0.1.0
 * @category models
 */
export interface WaitForSignal<Key extends string, A, E = never> extends Shape, Pipeable.Pipeable {
  readonly "~types": NodeTypes<{}, { readonly [K in Key]: A }, E, never>
  readonly _tag: "WaitForSignal"
  /** The signal's name, as given to `engine.signal`. */
  readonly signal: string
  /** The state key the payload is written to. */
  readonly key: Key
  /** Decodes the payload given to `engine.signal`, and encodes it for the store. */
  readonly schema: Schema.Schema.AnyNoContext
  readonly timeout: Duration.Duration | undefined
  /** When set, the value written when the timeout passes (instead of failing). */
  readonly onTimeout: { readonly value: unknown } | undefined
  /**
   * Sends this wait's signal to the run `runId`, with a payload of the
   * Schema's type (checked by the compiler): encodes it with the Schema, then
   * `engine.signal(runId, signal, encoded)`. Succeeds once the signal is
   * recorded; see `Engine.signal` for the errors.
   *
   * @since 0.2.0
   */
  readonly send: (runId: string, payload: A) => Effect.Effect<void, SignalError, Engine>
}

/**
 * A template run as a child run. It requires what the template requires and
 * provides what it provides; a failed child fails it with `SubflowFailed`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Subflow<Req, Prov, R = never> extends Shape, Pipeable.Pipeable {
  readonly "~types": NodeTypes<Req, Prov, SubflowFailed, R>
  readonly _tag: "Subflow"
  readonly template: Template.Template.Any
}

/**
 * @since 0.1.0
 */
export declare namespace WaitForSignal {
  /**
   * Any wait, for generic constraints.
   *
   * @since 0.1.0
   */
  export interface Any extends Shape {
    readonly "~types": NodeTypes<object, object, unknown, unknown>
    readonly _tag: "WaitForSignal"
    readonly signal: string
    readonly key: string
    readonly schema: Schema.Schema.AnyNoContext
    readonly timeout: Duration.Duration | undefined
    readonly onTimeout: { readonly value: unknown } | undefined
  }
}

/**
 * @since 0.1.0
 */
export declare namespace Subflow {
  /**
   * Any sub-flow, for generic constraints.
   *
   * @since 0.1.0
   */
  export interface Any extends Shape {
    readonly "~types": NodeTypes<object, object, unknown, unknown>
    readonly _tag: "Subflow"
    readonly template: Template.Template.Any
  }
}

/**
 * Any durable node.
 *
 * @since 0.1.0
 * @category models
 */
export type Node = Sleep | WaitForSignal.Any | Subflow.Any

const proto = {
  [TypeId]: TypeId,
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return Pipeable.pipeArguments(this, arguments)
  }
}

const make = <A>(fields: Omit<A, TypeId | "pipe" | "~types">): A => Object.assign(Object.create(proto), fields)

/**
 * A durable timer. When it starts, its wake-up time is recorded as a
 * checkpoint; a run resumed after a crash sleeps only what remains (nothing,
 * if the time has passed). The run keeps its status `running` while it
 * sleeps (its process holds the run's lease and a concurrency permit), and
 * the sleep counts towards the workflow's timeout (the `workflowTimeout`
 * setting, or `RunOptions.timeout`). State values keep aging while the run
 * sleeps: a sleep longer than the `stateTtl` setting needs a longer TTL.
 *
 * @example
 * ```ts
 * import { Durable } from "weftjs"
 *
 * const cooldown = Durable.sleep("cooldown", "1 hour")
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const sleep = (name: string, duration: Duration.DurationInput): Sleep =>
  make<Sleep>({ _tag: "Sleep", name, duration: Duration.decode(duration), requirements: [], provides: {} })

/**
 * Options of {@link waitForSignal}.
 *
 * @since 0.1.0
 * @category models
 */
export interface WaitOptions {
  /** The node's name in traces (default: the signal's name). */
  readonly name?: string | undefined
}

/**
 * Waits for the signal `name`. The run is recorded as `suspended` and its
 * process may exit; the wait's `send(runId, payload)` (a payload of the
 * Schema's type, checked by the compiler) or `engine.signal(runId, name,
 * payload)` (untyped, for JSON from outside) decodes the payload with
 * `schema` (a payload that does not decode is rejected and the run stays
 * suspended), records it, and resumes the run, which writes the payload to
 * the state under the signal's name (or `options.key`).
 *
 * With `timeout`, a run that receives no signal in time fails with
 * `SignalTimeout`, or, when `default` is given, goes on with that value (the
 * step is recorded with status `"fallback"`).
 *
 * A signal sent before the run reaches its wait is kept and consumed when it
 * gets there. A suspended run holds no lease and no concurrency permit, and
 * its time suspended does not count towards the workflow's timeout; its
 * state values keep aging, though (see the `stateTtl` setting). The timeout
 * of a wait is enforced by the engine that suspended the run; when that
 * process has exited, any engine that has the template registered resumes
 * the run once its deadline has passed with `engine.resumeDue`, or
 * periodically with `Deadlines.layer`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { Durable } from "weftjs"
 *
 * const approval = Durable.waitForSignal("approval", Schema.Struct({ approved: Schema.Boolean }), {
 *   timeout: "2 days",
 *   default: { approved: false }
 * })
 * // later, from any process sharing the store (needs an Engine):
 * const approve = (runId: string) => approval.send(runId, { approved: true })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
// The state key comes from an argument (the name, or `key`), never from the
// type expected of the result: a wait written inside `steps: [...]` would
// otherwise have its key widened to `string`.
export function waitForSignal<const Name extends string, A, I>(
  name: Name,
  schema: Schema.Schema<A, I>,
  options?: WaitOptions
): WaitForSignal<Name, A>
export function waitForSignal<const Name extends string, A, I>(
  name: Name,
  schema: Schema.Schema<A, I>,
  options: WaitOptions & { readonly timeout: Duration.DurationInput; readonly default: NoInfer<A> }
): WaitForSignal<Name, A>
export function waitForSignal<const Name extends string, A, I>(
  name: Name,
  schema: Schema.Schema<A, I>,
  options: WaitOptions & { readonly timeout: Duration.DurationInput }
): WaitForSignal<Name, A, SignalTimeout>
export function waitForSignal<const Key extends string, A, I>(
  name: string,
  schema: Schema.Schema<A, I>,
  options: WaitOptions & { readonly key: Key }
): WaitForSignal<Key, A>
export function waitForSignal<const Key extends string, A, I>(
  name: string,
  schema: Schema.Schema<A, I>,
  options: WaitOptions & { readonly key: Key; readonly timeout: Duration.DurationInput; readonly default: NoInfer<A> }
): WaitForSignal<Key, A>
export function waitForSignal<const Key extends string, A, I>(
  name: string,
  schema: Schema.Schema<A, I>,
  options: WaitOptions & { readonly key: Key; readonly timeout: Duration.DurationInput }
): WaitForSignal<Key, A, SignalTimeout>
export function waitForSignal(
  name: string,
  schema: Schema.Schema.AnyNoContext,
  options: WaitOptions & {
    readonly key?: string | undefined
    readonly timeout?: Duration.DurationInput | undefined
    readonly default?: unknown
  } = {}
): WaitForSignal<string, unknown, unknown> {
  const key = options.key ?? name
  const encode = Schema.encodeEither(schema)
  return make<WaitForSignal<string, unknown, unknown>>({
    _tag: "WaitForSignal",
    name: options.name ?? name,
    signal: name,
    key,
    schema,
    timeout: options.timeout === undefined ? undefined : Duration.decode(options.timeout),
    onTimeout: options.timeout !== undefined && "default" in options ? { value: options.default } : undefined,
    requirements: [],
    provides: { [key]: keySchema(key, schema) },
    send: (runId, payload) =>
      Either.match(encode(payload), {
        onLeft: (error) =>
          Effect.fail(
            new InvalidSignalPayload({
              runId,
              signal: name,
              issues: toIssues(error)
            })
          ),
        onRight: (encoded) => Effect.flatMap(EngineTag, (engine) => engine.signal(runId, name, encoded))
      })
  })
}

/**
 * Runs `template` as a child run of the current run, with its own id
 * (`<parent id>/<step key>`), record and trace. The child reads its input
 * from the parent's state; when it completes, what it provides is written to
 * the parent's state. When it fails (or is cancelled), the parent fails with
 * `SubflowFailed`, which names the child run and summarises its error. When
 * the child suspends (it waits for a signal), the parent is suspended too:
 * signal the child run, and both resume.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Durable, Step, Template } from "weftjs"
 *
 * const scoring = Template.make({
 *   name: "scoring",
 *   version: "1",
 *   steps: [Step.make({
 *     name: "score",
 *     requires: { text: Schema.String },
 *     provides: { score: Schema.Number },
 *     run: ({ text }) => Effect.succeed({ score: text.length })
 *   })]
 * })
 * // requires { text: string }, provides { score: number }, fails with SubflowFailed
 * const scored = Durable.subflow(scoring)
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const subflow = <Req, Prov, E, R>(
  template: Template.Template<Req, Prov, E, R>,
  options?: { readonly name?: string | undefined }
): Subflow<Req, Prov, R> =>
  make<Subflow<Req, Prov, R>>({
    _tag: "Subflow",
    name: options?.name ?? template.name,
    template: template as unknown as Template.Template.Any,
    requirements: template.requirements,
    provides: template.provides
  })

/**
 * Tests whether a node is a durable node.
 *
 * @since 0.1.0
 * @category guards
 */
export const isDurable = (u: unknown): u is Node => typeof u === "object" && u !== null && TypeId in u
