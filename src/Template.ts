/**
 * A template: a named, versioned sequence of steps (and templates used as
 * sub-sequences). Its type carries what it requires from outside, what it
 * provides, its errors and the services it needs:
 * `Template<Requires, Provides, E, R>`.
 *
 * What a template requires is every key a step reads that no earlier step
 * provides: the compiler computes it, and so does the runtime
 * (`requiredState`). A step that reads a key an earlier step wrote with an
 * incompatible type is a compile error naming the key and both types.
 *
 * A template may declare its outside inputs (`inputs`, Schema fields, as the
 * Dana templates declare their required state): a key a step reads that is
 * then neither declared nor provided by an earlier step is a compile error
 * naming it, so a misspelt key cannot silently become a new input.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Step, Template } from "weftjs"
 *
 * const double = Step.make({
 *   name: "double",
 *   requires: { n: Schema.Number },
 *   provides: { doubled: Schema.Number },
 *   run: ({ n }) => Effect.succeed({ doubled: n * 2 })
 * })
 * const math = Template.make({ name: "math", version: "1.0", steps: [double] })
 * // math.requiredState: ReadonlyArray<"n">
 * ```
 *
 * @since 0.1.0
 */
import type { Schedule } from "effect"
import { Duration, Effect, Pipeable, Schema } from "effect"
import { InvalidTemplate } from "./Errors.js"
import { nodesOf } from "./internal/template/walk.js"
import { keySchema } from "./internal/types/keySchema.js"
import type * as Durable from "./Durable.js"
import type * as Flow from "./Flow.js"
import type {
  Checked,
  ContextOf,
  ErrorOf,
  FoldProvides,
  FoldRequires,
  NodeTypes,
  ProvidesOf,
  RequiresOf,
  Simplify
} from "./internal/types/wiring.js"
import type { CheckMapping, Positioned, StateAtNode } from "./internal/types/positions.js"
import type { ShowKeys } from "./internal/types/messages.js"
import type * as Step from "./Step.js"

/**
 * @since 0.1.0
 * @category type ids
 */
export const TypeId: unique symbol = Symbol.for("weft/Template")

/**
 * @since 0.1.0
 * @category type ids
 */
export type TypeId = typeof TypeId

/**
 * Anything that can stand in a template's `steps`: a step, a template, or a
 * control-flow node (`Flow.branch`, `Flow.loop`, `Flow.forEach`, `Flow.parallel`),
 * or a durable node (`Durable.sleep`, `Durable.waitForSignal`, `Durable.subflow`).
 *
 * @since 0.1.0
 * @category models
 */
export type Node = Step.Step.Any | Template.Any | Flow.Flow.Any | Durable.Node

/**
 * A template.
 *
 * @since 0.1.0
 * @category models
 */
export interface Template<in out Req, in out Prov, out E = never, out R = never> extends Pipeable.Pipeable {
  readonly [TypeId]: TypeId
  readonly "~types": NodeTypes<Req, Prov, E, R>
  readonly _tag: "Template"
  readonly name: string
  readonly version: string
  /** The steps and sub-templates, in order. */
  readonly steps: ReadonlyArray<Node>
  /** Keys that live only while this template runs. */
  readonly local: ReadonlyArray<string>
  /** The declared outside inputs (Schema fields), if declared. */
  readonly inputs: Schema.Struct.Fields | undefined
  /** Retry policy for steps that declare none. */
  readonly retry: Schedule.Schedule<unknown, never> | undefined
  /** Per-attempt timeout for steps that declare none. */
  readonly stepTimeout: Duration.Duration | undefined
  /** The keys this template needs from outside, in the order they are first read. */
  readonly requiredState: ReadonlyArray<keyof Req & string>
  /** The keys this template writes (local keys excluded). */
  readonly providedState: ReadonlyArray<keyof Prov & string>
  /**
   * Every outside requirement with its Schema (a one-key Struct); a key read
   * by several steps appears once per Schema, and input must satisfy all.
   */
  readonly requirements: ReadonlyArray<readonly [key: string, schema: Schema.Schema.AnyNoContext]>
  /** The Schema (a one-key Struct) of each provided key: the last writer's. */
  readonly provides: Readonly<Record<string, Schema.Schema.AnyNoContext>>
  /**
   * The keys of its state promoted to the store's search index on every
   * checkpoint that changes them (`engine.list({ where })`, `weft list --where`).
   */
  readonly searchAttributes: ReadonlyArray<string>
  /** Checks what types cannot: an empty template, duplicate step names. */
  readonly validate: () => Effect.Effect<void, InvalidTemplate>
}

/**
 * @since 0.1.0
 */
export declare namespace Template {
  /**
   * Any template, for generic constraints.
   *
   * @since 0.1.0
   */
  export interface Any {
    readonly [TypeId]: TypeId
    readonly "~types": NodeTypes<object, object, unknown, unknown>
    readonly _tag: "Template"
    readonly name: string
    readonly version: string
    readonly steps: ReadonlyArray<Node>
    readonly local: ReadonlyArray<string>
    readonly inputs: Schema.Struct.Fields | undefined
    readonly retry: Schedule.Schedule<unknown, never> | undefined
    readonly stepTimeout: Duration.Duration | undefined
    readonly requiredState: ReadonlyArray<string>
    readonly providedState: ReadonlyArray<string>
    readonly requirements: ReadonlyArray<readonly [key: string, schema: Schema.Schema.AnyNoContext]>
    readonly provides: Readonly<Record<string, Schema.Schema.AnyNoContext>>
    readonly searchAttributes?: ReadonlyArray<string> | undefined
    readonly validate: () => Effect.Effect<void, InvalidTemplate>
  }
}

/**
 * What a template (or step) requires from outside.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type Requires<T> = RequiresOf<T>

/**
 * What a template (or step) provides.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type Provides<T> = ProvidesOf<T>

/**
 * The errors a template's steps may fail with.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type Error<T> = ErrorOf<T>

/**
 * The services a template's steps need.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type Services<T> = ContextOf<T>

/**
 * The final state of a run of `T`: its input and everything it provides.
 *
 * @since 0.1.0
 * @category type helpers
 */
export type FinalState<T> = Simplify<Omit<RequiresOf<T>, keyof ProvidesOf<T>> & ProvidesOf<T>>

/**
 * The declared inputs of {@link Options} as an object type, or `undefined`
 * when none are declared.
 *
 * @since 0.2.0
 * @category type helpers
 */
export type Inputs<IF> = IF extends Schema.Struct.Fields ? Step.Slice<IF> : undefined

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options<
  Nodes extends ReadonlyArray<Node>,
  Local extends ReadonlyArray<string>,
  IF extends Schema.Struct.Fields | undefined = undefined,
  SA extends ReadonlyArray<string> = readonly []
> {
  readonly name: string
  readonly version: string
  /**
   * The template's outside inputs, as Schema fields (default: not declared:
   * whatever the steps read and no earlier step writes). When declared, a
   * key a step reads that is neither declared nor written by an earlier step
   * is a compile error on that step (and `validate()` fails with
   * `"undeclared-input"`); a declared input no step reads is allowed.
   */
  readonly inputs?: IF
  /**
   * The steps, in order. A step whose required key was written earlier with
   * an incompatible type is a compile error on that step.
   */
  readonly steps: Nodes & Checked<Nodes, Inputs<IF>>
  /** Keys written by these steps that are dropped when the template ends. */
  readonly local?: Local | undefined
  /**
   * Retry policy for steps that declare none (default: from the settings).
   * It sees every step's failures, so it must accept any input.
   */
  readonly retry?: Schedule.Schedule<unknown, unknown> | undefined
  /** Per-attempt timeout for steps that declare none. */
  readonly stepTimeout?: Duration.DurationInput | undefined
  /**
   * Search attributes: keys of the template's state (ones it requires or
   * provides, not local ones) promoted to the store's search index when a
   * checkpoint changes them, so that runs can be found by them
   * (`engine.list({ where: [{ key: "orderId", op: "=", value: 4711 }] })`).
   * A key the template neither requires nor provides is a compile error
   * naming it.
   */
  readonly searchAttributes?: SA & SearchChecked<SA, StateKeys<Nodes, Local, IF>>
}

/**
 * The keys of a template's state a search attribute may name: what it
 * requires or provides, less its local keys.
 *
 * @since 0.4.0
 * @category type helpers
 */
export type StateKeys<
  Nodes extends ReadonlyArray<Node>,
  Local extends ReadonlyArray<string>,
  IF extends Schema.Struct.Fields | undefined
> = Exclude<(keyof FoldRequires<Nodes, Inputs<IF>> | keyof FoldProvides<Nodes, Inputs<IF>>) & string, Local[number]>

/**
 * The check of declared search attributes: `unknown` when every key is one
 * of `Keys`, else a sentence naming the keys that are not.
 *
 * @since 0.4.0
 * @category type helpers
 */
export type SearchChecked<SA extends ReadonlyArray<string>, Keys> = [Exclude<SA[number], Keys>] extends [never] ? unknown
  : `weft: search attribute ${ShowKeys<Exclude<SA[number], Keys>>} is neither required nor provided by the template`

const proto = {
  [TypeId]: TypeId,
  _tag: "Template",
  pipe() {
    // eslint-disable-next-line prefer-rest-params
    return Pipeable.pipeArguments(this, arguments)
  }
}

const validName = /^[A-Za-z0-9_.:+@-]+$/

type Shape = {
  readonly requirements: ReadonlyArray<readonly [string, Schema.Schema.AnyNoContext]>
  readonly provides: Readonly<Record<string, Schema.Schema.AnyNoContext>>
}

const stepShapes = new WeakMap<Step.Step.Any, Shape>()


/** The outside requirements and the provided Schemas of a node, at run time. */
const shapeOf = (node: Node): Shape => {
  if (node._tag !== "Step") return node
  let shape = stepShapes.get(node)
  if (shape === undefined) {
    shape = {
      requirements: Object.entries(node.requires).map(([key, field]) => [key, keySchema(key, field)] as const),
      provides: Object.fromEntries(Object.entries(node.provides).map(([key, field]) => [key, keySchema(key, field)]))
    }
    stepShapes.set(node, shape)
  }
  return shape
}

/** Builds a template from nodes: the runtime twin of the type-level fold. */
const unsafeMake = (options: {
  readonly name: string
  readonly version: string
  readonly steps: ReadonlyArray<Node>
  readonly inputs?: Schema.Struct.Fields | undefined
  readonly local?: ReadonlyArray<string> | undefined
  readonly retry?: Schedule.Schedule<unknown, never> | undefined
  readonly stepTimeout?: Duration.DurationInput | undefined
  readonly searchAttributes?: ReadonlyArray<string> | undefined
}): Template.Any => {
  const requirements: Array<readonly [string, Schema.Schema.AnyNoContext]> = []
  const required = new Set<string>()
  const provides: Record<string, Schema.Schema.AnyNoContext> = {}
  for (const [key, field] of Object.entries(options.inputs ?? {})) {
    requirements.push([key, keySchema(key, field)])
    required.add(key)
  }
  for (const node of options.steps) {
    const shape = shapeOf(node)
    for (const [key, schema] of shape.requirements) {
      if (Object.hasOwn(provides, key)) continue // own keys only: "constructor" is a key like any other
      requirements.push([key, schema])
      required.add(key)
    }
    for (const [key, schema] of Object.entries(shape.provides)) {
      Object.defineProperty(provides, key, { value: schema, enumerable: true, writable: true, configurable: true })
    }
  }
  const local = options.local ?? []
  for (const key of local) delete provides[key]

  const template = Object.create(proto)
  template.name = options.name
  template.version = options.version
  template.steps = options.steps
  template.local = local
  template.inputs = options.inputs
  template.retry = options.retry
  template.stepTimeout = options.stepTimeout === undefined ? undefined : Duration.decode(options.stepTimeout)
  template.requiredState = Array.from(required)
  template.providedState = Object.keys(provides)
  template.requirements = requirements
  template.provides = provides
  template.searchAttributes = options.searchAttributes ?? []
  template.validate = () => validate(template)
  return template
}

/**
 * Defines a template from steps (and other templates). Steps run in order;
 * each sees the state as earlier steps left it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <
  const Nodes extends ReadonlyArray<Node>,
  const Local extends ReadonlyArray<keyof FoldProvides<Nodes, Inputs<IF>> & string> = readonly [],
  const IF extends Schema.Struct.Fields | undefined = undefined,
  const SA extends ReadonlyArray<string> = readonly []
>(options: Options<Nodes, Local, IF, SA>):
  & Template<
    Simplify<FoldRequires<Nodes, Inputs<IF>>>,
    Simplify<Omit<FoldProvides<Nodes, Inputs<IF>>, Local[number]>>,
    ErrorOf<Nodes[number]>,
    ContextOf<Nodes[number]>
  >
  & Positioned<Nodes, Inputs<IF>> => unsafeMake(options) as never

/**
 * Every node under a template (not the template itself), depth first, a
 * node before the nodes it holds: the steps of nested templates and of
 * control-flow nodes and, with `intoSubflows`, of the templates sub-flows
 * run. With `once`, a template met twice is entered only the first time.
 *
 * @since 0.3.0
 * @category accessors
 */
export const nodes = (
  template: Template.Any,
  options: { readonly intoSubflows: boolean; readonly once?: boolean | undefined }
): ReadonlyArray<Node> => nodesOf(template, options)

const invalid = (template: Template.Any, reason: InvalidTemplate["reason"], detail: string) =>
  Effect.fail(new InvalidTemplate({ template: template.name, reason, detail }))

/**
 * Checks what the types cannot: a template with no steps, two steps with the
 * same name at one level, a local key that no step writes, a bad name, and,
 * when the template declares its inputs, a key read from outside that is not
 * declared (`"undeclared-input"`, with the closest declared key when one is
 * close). Nested templates (and the templates of control-flow nodes) are
 * checked too.
 *
 * @since 0.1.0
 * @category validation
 */
export const validate = (template: Template.Any): Effect.Effect<void, InvalidTemplate> =>
  Effect.forEach(
    [template, ...nodesOf(template, { intoSubflows: false }).filter((node) => node._tag === "Template")],
    validateOne,
    { discard: true }
  )

/** The checks of {@link validate} on one template, not on the templates it holds. */
const validateOne = (template: Template.Any): Effect.Effect<void, InvalidTemplate> =>
  Effect.suspend(() => {
    if (!validName.test(template.name)) {
      return invalid(template, "invalid-name", `name "${template.name}" must be non-empty, without spaces or "/"`)
    }
    if (template.steps.length === 0) return invalid(template, "empty", "it has no steps")
    const seen = new Set<string>()
    for (const node of template.steps) {
      if (node._tag === "Step") {
        if (seen.has(node.name)) {
          return invalid(template, "duplicate-step", `two steps are named "${node.name}"`)
        }
        seen.add(node.name)
      }
    }
    if (template.inputs !== undefined) {
      const declared = Object.keys(template.inputs)
      const undeclared = template.requiredState.find((key) => !declared.includes(key))
      if (undeclared !== undefined) {
        return invalid(
          template,
          "undeclared-input",
          `key "${undeclared}" is read from outside but not declared in inputs${suggest(undeclared, declared)}`
        )
      }
    }
    const written = new Set(template.steps.flatMap((node) => Object.keys(shapeOf(node).provides)))
    for (const key of template.local) {
      if (!written.has(key)) {
        return invalid(template, "unknown-local-key", `local key "${key}" is not written by any of its steps`)
      }
      if (template.requiredState.includes(key)) {
        return invalid(template, "unknown-local-key", `local key "${key}" is also required from outside`)
      }
    }
    return Effect.void
  })

/** `` (did you mean "lines"?)`` for the closest key (one edit apart, or case), or nothing. */
const suggest = (key: string, candidates: ReadonlyArray<string>): string => {
  const near = candidates.filter((candidate) =>
    candidate.toLowerCase() === key.toLowerCase() || editDistance(key, candidate) <= 1 ||
    (Math.abs(candidate.length - key.length) <= 2 && (candidate.startsWith(key) || key.startsWith(candidate) ||
      candidate.endsWith(key) || key.endsWith(candidate)))
  )
  return near.length === 0 ? "" : ` (did you mean ${near.map((c) => `"${c}"`).join(" or ")}?)`
}

/** Edit distance with swaps of neighbours (optimal string alignment). */
const editDistance = (a: string, b: string): number => {
  const d: Array<Array<number>> = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1)
      }
    }
  }
  return d[a.length]![b.length]!
}

/**
 * How a template reads in traces, events and listings: `name@version`, or,
 * for a composite (from `composeWorkflow`), its version alone, which already
 * names every part: `parsing@1+pricing@1+approval@1`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Step, Template, composeWorkflow } from "weftjs"
 *
 * const part = (name: string) => Template.make({ name, version: "1", steps: [Step.make({
 *   name, requires: {}, provides: {}, run: () => Effect.succeed({})
 * })] })
 * Template.label(part("parsing")) // "parsing@1"
 * Template.label(composeWorkflow(part("parsing"), part("pricing"))) // "parsing@1+pricing@1"
 * ```
 *
 * @since 0.2.0
 * @category formatting
 */
export const label = (template: Template.Any): string =>
  isComposite(template) ? template.version : `${template.name}@${template.version}`

/** A composite: its steps are templates, named and versioned (by label) after them. */
const isComposite = (template: Template.Any): boolean => {
  const parts = template.steps
  if (parts.length === 0) return false
  for (const part of parts) if (part._tag !== "Template") return false
  const templates = parts as ReadonlyArray<Template.Any>
  return template.name === templates.map((part) => part.name).join("+") &&
    template.version === templates.map(label).join("+")
}

/**
 * Tests whether a value is a template.
 *
 * @since 0.1.0
 * @category guards
 */
export const isTemplate = (u: unknown): u is Template.Any => typeof u === "object" && u !== null && TypeId in u

// ---------------------------------------------------------------------------
// migrations
// ---------------------------------------------------------------------------

/**
 * A template's top-level nodes as types: what `make` (and `composeWorkflow`)
 * give a template besides its `Template` type, so that a
 * {@link migration} can be checked at every node — its own, and, through
 * them, those of the templates it nests (nested templates, the arms of
 * branches, the bodies of loops; `Flow`'s nodes carry their templates too).
 *
 * @since 0.4.0
 * @category type helpers
 */
export type { Positioned } from "./internal/types/positions.js"

/**
 * The state a run of `T` has when it stands at its node `P` (before `P`
 * runs; `P` top-level or nested): its input and what the nodes before `P`
 * provided, at every level.
 *
 * @since 0.4.0
 * @category type helpers
 */
export type StateAt<T, P> = StateAtNode<T, P>

/**
 * One position of a {@link migration}: a run of the old template standing at
 * its node `from` (about to run it, or waiting or sleeping in it; top-level
 * or nested) goes on at the new template's node `to`, with what `state` adds
 * to its state.
 *
 * @since 0.4.0
 * @category models
 */
export interface Mapping {
  readonly from: Node
  readonly to: Node
  /** Given the run's state at `from` (decoded), the keys to add or replace (encoded with the new Schemas). */
  readonly state: ((state: never) => object) | undefined
}

/**
 * How runs of one version of a template go on under another: a map from
 * the old template's nodes (top-level or nested) to the new one's. Made by
 * {@link migration}; applied to stored runs by `engine.migrate`.
 *
 * @since 0.4.0
 * @category models
 */
export interface Migration<out V1 = Template.Any, out V2 = Template.Any> {
  readonly _tag: "Migration"
  readonly from: Template.Any
  readonly to: Template.Any
  readonly mappings: ReadonlyArray<Mapping>
  readonly "~versions"?: readonly [V1, V2] | undefined
}

/**
 * The `at` of {@link migration}: maps one node of the old template to one
 * of the new, with an optional state function. Either may be nested: a node
 * of a nested template, of a branch's arm or of a loop's body, at any depth
 * (`from.steps[1].then.steps[0]`); a node inside a forEach's or parallel's
 * template is refused (its elements each stand at their own place). It
 * compiles only when, at `from`, the keys the old template has provided by
 * then (and its input), with what `state` returns, cover what `to` and
 * every node after it require (the rest of its arm or body, the loop again,
 * the rest of every enclosing template), with compatible types; otherwise
 * the error on `to` ends with a sentence naming both positions and the key.
 * Mapping a wait to a wait of another signal renames the signal for the
 * runs migrated: a signal sent under the old name reaches the new wait.
 *
 * @since 0.4.0
 * @category models
 */
export interface At<V1, V2> {
  <P, Q>(from: P, to: Q & NoInfer<CheckMapping<V1, V2, P, Q, {}>>): Mapping
  <P, Q, A extends object>(
    from: P,
    to: Q,
    state: (state: StateAtNode<V1, P>) => A & NoInfer<CheckMapping<V1, V2, P, Q, A>>
  ): Mapping
}

/**
 * Declares how runs of `from` go on under `to` (usually the next version of
 * the same template): `map` receives `at` and returns the mapped positions.
 * Each is checked by the compiler (see {@link At}); positions not mapped are
 * left alone (runs there stay on the old version, and `engine.migrate`
 * reports them). A run standing inside a node (a nested template, a
 * branch's arm, a loop's body) goes on at the innermost position the
 * migration maps, outwards.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Step, Template } from "weftjs"
 *
 * const quote = Step.make({ name: "quote", requires: { sku: Schema.String }, provides: { price: Schema.Number },
 *   run: () => Effect.succeed({ price: 10 }) })
 * const bill = Step.make({ name: "bill", requires: { price: Schema.Number }, provides: { billed: Schema.Boolean },
 *   run: () => Effect.succeed({ billed: true }) })
 * const billIn = Step.make({ name: "bill", requires: { price: Schema.Number, currency: Schema.String },
 *   provides: { billed: Schema.Boolean }, run: () => Effect.succeed({ billed: true }) })
 * const v1 = Template.make({ name: "order", version: "1", steps: [quote, bill] })
 * const v2 = Template.make({ name: "order", version: "2", steps: [quote, billIn] })
 * // a run standing at quote or at bill goes on there under v2, billed in euros
 * const upgrade = Template.migration(v1, v2, (at) => [
 *   at(quote, quote, () => ({ currency: "EUR" })),
 *   at(bill, billIn, () => ({ currency: "EUR" }))
 * ])
 * ```
 *
 * @since 0.4.0
 * @category constructors
 */
export const migration = <V1 extends Template.Any, V2 extends Template.Any>(
  from: V1,
  to: V2,
  map: (at: At<V1, V2>) => ReadonlyArray<Mapping>
): Migration<V1, V2> => {
  const at = (fromNode: unknown, toNode: unknown, state?: (state: never) => object): Mapping => ({
    from: fromNode as Node,
    to: toNode as Node,
    state
  })
  return { _tag: "Migration", from, to, mappings: map(at as At<V1, V2>) }
}
