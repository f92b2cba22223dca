/**
 * Control flow: nodes that stand in a template's `steps` (and so in
 * `composeWorkflow`) exactly like steps and sub-templates, and keep the
 * compile-time wiring checks.
 *
 * - {@link branch} / {@link match}: run one of several templates, chosen by a
 *   typed predicate (selector) over the state.
 * - {@link loop}: repeat a template while a typed predicate holds, up to a
 *   required maximum number of iterations.
 * - {@link forEach}: run a template for each element of a list in the state,
 *   with a concurrency limit, collecting one result per element in input order.
 * - {@link parallel}: run several templates with a concurrency limit, waiting
 *   for all (their outputs merged) or for the first to succeed.
 *
 * Every node is durable. Its steps have stable keys: `route/then/step`,
 * `poll/3/step` (third iteration), `each/7/step` (element at index 7),
 * `enrich/geo/step` (branch `geo`); a resumed run skips the steps that
 * completed. A branch records its choice and a loop each iteration it starts,
 * so that a resume takes the same arm and goes on with the same iteration
 * even if the state has changed since.
 *
 * Concurrent elements and branches each run on their own view of the state:
 * they see the state as it was when the node started, never each other's
 * writes. What they write is kept apart (also in the store) until the node
 * ends, then merged deterministically: forEach collects one key per element
 * in input order; parallel takes each branch's provided keys, in the order
 * the branches are declared.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Flow, Step, Template } from "weftjs"
 *
 * const fix = Template.make({ name: "fix", version: "1", steps: [Step.make({
 *   name: "restart", requires: {}, provides: { action: Schema.String },
 *   run: () => Effect.succeed({ action: "restarted" })
 * })] })
 * const keep = Template.make({ name: "keep", version: "1", steps: [Step.make({
 *   name: "noop", requires: {}, provides: { action: Schema.String },
 *   run: () => Effect.succeed({ action: "none" })
 * })] })
 * const route = Flow.branch({
 *   name: "route",
 *   requires: { healthy: Schema.Boolean },
 *   when: ({ healthy }) => !healthy,
 *   then: fix,
 *   else: keep
 * }) // requires { healthy: boolean }, provides { action: string }
 * ```
 *
 * @since 0.1.0
 */
import type { Pipeable, Schema } from "effect"
import type { LoopLimitExceeded } from "./Errors.js"
import { makeBranch, makeForEach, makeLoop, makeParallel } from "./internal/flow/make.js"
import type { Spec } from "./internal/flow/spec.js"
import type {
  AllOf,
  CheckClashes,
  EachRequires,
  LoopCheck,
  LoopProvides,
  LoopRequires,
  MergeEntry,
  OneOf
} from "./internal/types/flow.js"
import type { Nested } from "./internal/types/positions.js"
import type { CheckNode, ContextOf, ErrorOf, NodeTypes, ProvidesOf, RequiresOf, Simplify } from "./internal/types/wiring.js"
import type * as Step from "./Step.js"
import type * as Template from "./Template.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("weft/Flow")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * How many elements or branches may run at once: a positive integer or
 * `"unbounded"`.
 *
 * @since 0.1.0
 * @category models
 */
export type Concurrency = number | "unbounded"

// what a control-flow node does at run time: declared (and documented) beside the nodes' builders
export type { Spec } from "./internal/flow/spec.js"

/**
 * A control-flow node. Like a step or a template, its type carries what it
 * requires, what it provides, its errors and its services.
 *
 * @since 0.1.0
 * @category models
 */
export interface Flow<in out Req, in out Prov, out E = never, out R = never> extends Pipeable.Pipeable {
  readonly [TypeId]: TypeId
  readonly "~types": NodeTypes<Req, Prov, E, R>
  readonly _tag: "Flow"
  readonly name: string
  readonly spec: Spec
  /** The templates it may run (arms, body, branches). */
  readonly children: ReadonlyArray<Template.Template.Any>
  /** The keys it needs from outside, with their Schemas (one-key Structs), as a template's. */
  readonly requirements: ReadonlyArray<readonly [key: string, schema: Schema.Schema.AnyNoContext]>
  /** The Schema (a one-key Struct) of each key it provides. */
  readonly provides: Readonly<Record<string, Schema.Schema.AnyNoContext>>
  /** The keys the node reads and writes itself (predicates, lists, results), for persistence. */
  readonly fields: { readonly reads: Schema.Struct.Fields; readonly writes: Schema.Struct.Fields }
}

/**
 * @since 0.1.0
 */
export declare namespace Flow {
  /**
   * Any control-flow node, for generic constraints.
   *
   * @since 0.1.0
   */
  export interface Any {
    readonly [TypeId]: TypeId
    readonly "~types": NodeTypes<object, object, unknown, unknown>
    readonly _tag: "Flow"
    readonly name: string
    readonly spec: Spec
    readonly children: ReadonlyArray<Template.Template.Any>
    readonly requirements: ReadonlyArray<readonly [key: string, schema: Schema.Schema.AnyNoContext]>
    readonly provides: Readonly<Record<string, Schema.Schema.AnyNoContext>>
    readonly fields: { readonly reads: Schema.Struct.Fields; readonly writes: Schema.Struct.Fields }
  }
}

/**
 * Runs `then` when `when` holds for the state, else `else` (or nothing).
 *
 * `when` reads the keys declared in `requires`, typed by their Schemas. What
 * the branch provides is what both arms provide (with the union of their
 * types); a key only one arm writes is optional downstream, so a later step
 * that requires it is a compile error. The choice is recorded: a resumed run
 * takes the same arm. In the trace, the choice is an entry named after the
 * branch at `route/then` (or `route/else`), followed by the arm's steps at
 * `route/then/...`.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Flow, Step, Template } from "weftjs"
 *
 * const notify = Template.make({ name: "notify", version: "1", steps: [Step.make({
 *   name: "page", requires: { equipmentId: Schema.String }, provides: { paged: Schema.Boolean },
 *   run: () => Effect.succeed({ paged: true })
 * })] })
 * const alarm = Flow.branch({
 *   name: "alarm",
 *   requires: { temperature: Schema.Number },
 *   when: ({ temperature }) => temperature > 500,
 *   then: notify
 * }) // requires { temperature: number; equipmentId: string }, provides { paged?: boolean }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const branch = <
  const RF extends Schema.Struct.Fields,
  Then extends Template.Template.Any,
  Else extends Template.Template.Any = Template.Template<{}, {}>
>(options: {
  /** Unique within its template; the branch's path segment in traces and snapshots. */
  readonly name: string
  /** The Schemas of the keys `when` reads. */
  readonly requires: RF
  readonly when: (input: Step.Slice<RF>) => boolean
  readonly then: Then
  /**
   * Runs when `when` does not hold (default: nothing). A key both arms
   * require from outside with incompatible types is a compile error here.
   */
  readonly else?: (Else & CheckNode<RequiresOf<Then>, {}, RequiresOf<Else>>) | undefined
}): Flow<
  Simplify<Step.Slice<RF> & RequiresOf<Then> & RequiresOf<Else>>,
  OneOf<ProvidesOf<Then> | ProvidesOf<Else>>,
  ErrorOf<Then | Else>,
  ContextOf<Then | Else>
> & Nested<"arms", { readonly then: Then; readonly else: Else }> =>
  makeBranch(
    "branch",
    options.name,
    options.requires,
    ((input: Step.Slice<RF>) => options.when(input) ? "then" : "else") as (input: never) => string,
    { then: options.then, else: options.else }
  ) as never

/**
 * Runs one of several templates: the one whose label `select` returns for the
 * state. Like {@link branch} with any number of arms: what it provides is
 * what every arm provides; a key only some arms write is optional downstream.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Flow, Step, Template } from "weftjs"
 *
 * const handler = (name: string) => Template.make({ name, version: "1", steps: [Step.make({
 *   name: "handle", requires: {}, provides: { handledBy: Schema.String },
 *   run: () => Effect.succeed({ handledBy: name })
 * })] })
 * const triage = Flow.match({
 *   name: "triage",
 *   requires: { severity: Schema.Literal("low", "high", "critical") },
 *   select: ({ severity }) => severity === "low" ? "queue" : "page",
 *   arms: { queue: handler("queue"), page: handler("page") }
 * }) // provides { handledBy: string }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const match = <
  const RF extends Schema.Struct.Fields,
  const Arms extends Readonly<Record<string, Template.Template.Any>>
>(options: {
  readonly name: string
  readonly requires: RF
  /** Returns the label of the arm to run. */
  readonly select: (input: Step.Slice<RF>) => keyof Arms & string
  readonly arms: Arms
}): Flow<
  Simplify<Step.Slice<RF> & EachRequires<Arms[keyof Arms]>>,
  OneOf<ProvidesOf<Arms[keyof Arms]>>,
  ErrorOf<Arms[keyof Arms]>,
  ContextOf<Arms[keyof Arms]>
> & Nested<"arms", Arms> => makeBranch("match", options.name, options.requires, options.select as (input: never) => string, options.arms) as never

/**
 * Repeats `body` while `while` holds for the state, at most `maxIterations`
 * times: when the predicate still holds after that many iterations, the loop
 * fails with `LoopLimitExceeded` naming the loop and the limit.
 *
 * `check: "before"` (default) tests the predicate before each iteration, so
 * the body may run zero times: what it provides is optional downstream,
 * except the keys the loop also requires (they are there either way).
 * `check: "after"` runs the body first and tests after each iteration (a
 * do-while): the body's keys are provided, and the predicate may read them.
 *
 * Each iteration is recorded before it starts, and its steps have their own
 * keys (`poll/1/check`, `poll/2/check`, ...): a run resumed mid-loop goes on
 * with the iteration it was in, without re-running the steps that completed.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Flow, Step, Template } from "weftjs"
 *
 * const probe = Template.make({ name: "probe", version: "1", steps: [Step.make({
 *   name: "check", requires: { deviceId: Schema.String }, provides: { ready: Schema.Boolean },
 *   run: () => Effect.succeed({ ready: true })
 * })] })
 * const waitUntilReady = Flow.loop({
 *   name: "wait_until_ready",
 *   requires: { ready: Schema.Boolean },
 *   while: ({ ready }) => !ready,
 *   check: "after",
 *   body: probe,
 *   maxIterations: 10
 * }) // requires { deviceId: string }, provides { ready: boolean }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const loop = <
  const RF extends Schema.Struct.Fields,
  Body extends Template.Template.Any,
  const Check extends "before" | "after" = "before"
>(options: {
  readonly name: string
  /** The Schemas of the keys `while` reads. */
  readonly requires: RF
  readonly while: (input: Step.Slice<RF>) => boolean
  /** The body: what it writes must be what the predicate and its own next iteration read. */
  readonly body: Body & LoopCheck<Step.Slice<RF>, Body>
  /** The most iterations the loop may run (at least 1). */
  readonly maxIterations: number
  /** When the predicate is tested (default `"before"` each iteration). */
  readonly check?: Check | undefined
}): Flow<
  LoopRequires<Step.Slice<RF>, Body, Check>,
  LoopProvides<Step.Slice<RF>, Body, Check>,
  ErrorOf<Body> | LoopLimitExceeded,
  ContextOf<Body>
> & Nested<"body", { readonly body: Body }> => makeLoop(options) as never

/**
 * Runs `body` once for each element of the list under `over`, at most
 * `concurrency` at a time (default 1). Each run sees the state as it was when
 * the forEach started, plus the element under `as`; it never sees what other
 * elements write. The value each run writes under `collect` is gathered, in
 * input order, into a list under `into`; nothing else the body writes is kept.
 *
 * A key upstream provides under `over` that is not a list of what the body
 * reads under `as` is a compile error. Each element's steps have their own
 * keys (`each/0/step`, `each/1/step`, ...): a resumed run does not redo the
 * elements (or the steps of an element) that completed.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Flow, Step, Template } from "weftjs"
 *
 * const summarize = Template.make({ name: "summarize", version: "1", steps: [Step.make({
 *   name: "summarize", requires: { document: Schema.String }, provides: { summary: Schema.String },
 *   run: ({ document }) => Effect.succeed({ summary: document.slice(0, 80) })
 * })] })
 * const summaries = Flow.forEach({
 *   name: "summaries",
 *   over: "documents",
 *   as: "document",
 *   body: summarize,
 *   collect: "summary",
 *   into: "summaries",
 *   concurrency: 4
 * }) // requires { documents: ReadonlyArray<string> }, provides { summaries: ReadonlyArray<string> }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const forEach = <
  Body extends Template.Template.Any,
  const Over extends string,
  const As extends keyof RequiresOf<Body> & string,
  const Collect extends keyof ProvidesOf<Body> & string,
  const Into extends string
>(options: {
  readonly name: string
  /** The state key holding the list. */
  readonly over: Over
  /** The key under which the body reads one element. */
  readonly as: As
  readonly body: Body
  /** The key of the body's output to gather. */
  readonly collect: Collect
  /** The key the list of gathered values is written to. */
  readonly into: Into
  /** How many elements run at once (default 1). */
  readonly concurrency?: Concurrency | undefined
}): Flow<
  Simplify<Omit<RequiresOf<Body>, As> & { readonly [K in Over]: ReadonlyArray<RequiresOf<Body>[As]> }>,
  { readonly [K in Into]: ReadonlyArray<ProvidesOf<Body>[Collect]> },
  ErrorOf<Body>,
  ContextOf<Body>
> & Nested<"views", { readonly body: Body }> => makeForEach(options) as never

/**
 * Runs several templates, at most `concurrency` at a time (default: all at
 * once), each on its own view of the state.
 *
 * `mode: "all"` (default) waits for every branch and provides every key they
 * write; two branches that provide the same key are a compile error unless
 * `merge` has a function for that key (it gets the branches' values in
 * declaration order). `mode: "first"` keeps the first branch to succeed,
 * interrupts the others, and provides what every branch provides (a key only
 * some write is optional); its trace records the winner as `name/label`.
 * A failing branch fails the node (in `"first"` mode, only when all fail).
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Flow, Step, Template } from "weftjs"
 *
 * const credit = Template.make({ name: "credit", version: "1", steps: [Step.make({
 *   name: "lookup", requires: { customerId: Schema.String }, provides: { creditScore: Schema.Number },
 *   run: () => Effect.succeed({ creditScore: 700 })
 * })] })
 * const fraud = Template.make({ name: "fraud", version: "1", steps: [Step.make({
 *   name: "lookup", requires: { customerId: Schema.String }, provides: { fraudScore: Schema.Number },
 *   run: () => Effect.succeed({ fraudScore: 0.1 })
 * })] })
 * const enrich = Flow.parallel({ name: "enrich", branches: { credit, fraud }, concurrency: 2 })
 * // requires { customerId: string }, provides { creditScore: number; fraudScore: number }
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const parallel = <
  const Branches extends Readonly<Record<string, Template.Template.Any>>,
  const Mode extends "all" | "first" = "all",
  const Merged extends PropertyKey = never
>(options: {
  readonly name: string
  readonly branches: Branches & CheckClashes<Branches, Mode, Merged>
  /** How many branches run at once (default: all). */
  readonly concurrency?: Concurrency | undefined
  /** Wait for `"all"` branches (default) or keep the `"first"` to succeed. */
  readonly mode?: Mode | undefined
  /** For each key several branches provide: how to merge their values. */
  readonly merge?:
    | { readonly [K in Merged]: MergeEntry<Branches, K> }
    | undefined
}): Flow<
  EachRequires<Branches[keyof Branches]>,
  Mode extends "first" ? OneOf<ProvidesOf<Branches[keyof Branches]>> : AllOf<ProvidesOf<Branches[keyof Branches]>>,
  ErrorOf<Branches[keyof Branches]>,
  ContextOf<Branches[keyof Branches]>
> & Nested<"views", Branches> => makeParallel(options) as never

/**
 * Tests whether a value is a control-flow node.
 *
 * @since 0.1.0
 * @category guards
 */
export const isFlow = (u: unknown): u is Flow.Any => typeof u === "object" && u !== null && TypeId in u
