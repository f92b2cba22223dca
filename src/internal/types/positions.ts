/**
 * Type-level positions of a template: the tuple of its top-level nodes (and
 * its declared inputs) carried as a phantom (`Positioned`), and the nested
 * templates of its control-flow nodes carried as another (`Nested`), so that
 * for any node where a run may stand — a top-level node, or a node inside a
 * nested template, a branch's arm or a loop's body, at any depth — what the
 * run has there (its input and what the nodes before it provided) and what
 * the rest of the template needs from there on can be computed: the
 * knowledge a migration from one version to another is checked with.
 *
 * A position is named like a value path: `from.steps[1]`,
 * `from.steps[1].then.steps[0]` (a branch's arm), `from.steps[2].body.steps[1]`
 * (a loop's body). What runs after a nested position is the rest of its
 * template (whose local keys are then dropped), then — for a loop — the loop
 * again, then the rest of the enclosing template, and so on outwards.
 *
 * Nodes inside a forEach's or a parallel's templates are positions too, but
 * refused: their elements run on views of their own, each at its own place.
 *
 * A node is found by its type; when several nodes have the same type, every
 * one of them is checked (a mapping compiles only if it is right at each).
 *
 * @internal
 */
import type {
  JoinUnion,
  MigrationIncompatibleKey,
  MigrationMissingKey,
  MigrationNotANode,
  MigrationInsideViews
} from "./messages.js"
import type { FoldProvides, FoldRequires, NodeTypes, ProvidesOf, RequiresOf, Simplify } from "./wiring.js"

/** The phantom a template made by `Template.make` (or `composeWorkflow`) carries: its nodes and declared inputs. */
export interface Positioned<Nodes extends ReadonlyArray<unknown>, Inputs> {
  readonly "~positions"?: { readonly nodes: Nodes; readonly inputs: Inputs } | undefined
}

/**
 * The phantom a control-flow node carries: the templates it runs, by label
 * (`then`/`else`, a match's arms, `body`, a parallel's branches), and how:
 * `"arms"` (one of them, on the run's state), `"body"` (again and again, on
 * the run's state) or `"views"` (each element or branch on a view of its own).
 */
export interface Nested<Kind extends "arms" | "body" | "views", Children> {
  readonly "~nested"?: { readonly kind: Kind; readonly children: Children } | undefined
}

/** The top-level nodes of a template, as a tuple (`never` when the template does not carry them). */
export type NodesOf<T> = T extends { readonly "~positions"?: infer P } ? NonNullable<P> extends { readonly nodes: infer N extends ReadonlyArray<unknown> } ? N : never
  : never

/** The indices (as numeric string literals) at which the node type `N` stands in the tuple `Nodes`. */
export type IndicesOf<Nodes extends ReadonlyArray<unknown>, N> = {
  [I in keyof Nodes]: [Nodes[I]] extends [N] ? [N] extends [Nodes[I]] ? I : never : never
}[number]

/** The first `I` nodes of a tuple. */
type Take<Nodes extends ReadonlyArray<unknown>, I extends string, Acc extends ReadonlyArray<unknown> = readonly []> =
  `${Acc["length"]}` extends I ? Acc
    : Nodes extends readonly [infer Head, ...infer Rest] ? Take<Rest, I, readonly [...Acc, Head]>
    : Acc

/** The nodes of a tuple from index `I` on. */
type Drop<Nodes extends ReadonlyArray<unknown>, I extends string, N extends ReadonlyArray<unknown> = readonly []> =
  `${N["length"]}` extends I ? Nodes
    : Nodes extends readonly [unknown, ...infer Rest] ? Drop<Rest, I, readonly [...N, unknown]>
    : readonly []

/**
 * The state a run of `T` has when it stands at top-level node `I` (before it
 * runs): its input (what `T` requires) and what the nodes before `I` provided.
 */
export type StateAt<T, I extends string> = HaveAt<RequiresOf<T>, FoldProvides<Take<NodesOf<T>, I>>>

type HaveAt<Req, Prov> = Simplify<Omit<Req, keyof Prov> & Prov>

/** What the nodes of `T` from top-level node `I` on need from the state they find there. */
export type NeedFrom<T, I extends string> = FoldRequires<Drop<NodesOf<T>, I>>

// ---------------------------------------------------------------------------
// positions, at any depth
// ---------------------------------------------------------------------------

/**
 * One place a run may stand: the node, its name (`from.steps[1].then.steps[0]`),
 * every node that has run before it (at every level, outermost first), what
 * runs from it on, and, when a run cannot be migrated there, the sentence.
 */
interface Position<Node, Where extends string, Before extends ReadonlyArray<unknown>, Rest extends ReadonlyArray<unknown>, Refusal> {
  readonly node: Node
  readonly where: Where
  readonly before: Before
  readonly rest: Rest
  readonly refusal: Refusal
}

/** The keys a template writes that it drops when it ends (its local keys). */
type LocalsOf<T> = Exclude<keyof FoldProvides<NodesOf<T>>, keyof ProvidesOf<T>>

/** A stretch of nodes as one node: what it requires and provides, less `Locals` (dropped when its template ends). */
interface Stretch<Nodes extends ReadonlyArray<unknown>, Locals> {
  readonly "~types": NodeTypes<FoldRequires<Nodes>, Omit<FoldProvides<Nodes>, Locals & PropertyKey>, never, never>
}

type NestedOf<N> = N extends { readonly "~nested"?: infer X } ? NonNullable<X> : never

/** The positions inside node `N` (at `Where`), given what ran before it and what runs after it. */
type Inside<N, Where extends string, Before extends ReadonlyArray<unknown>, After extends ReadonlyArray<unknown>, Refusal> =
  [NodesOf<N>] extends [never] ? [NestedOf<N>] extends [never] ? never
    : NestedOf<N> extends { readonly kind: infer Kind; readonly children: infer Children } ? {
        [L in keyof Children & string]: PositionsIn<
          NodesOf<Children[L]>,
          `${Where}.${L}.steps`,
          Before,
          Kind extends "body" ? readonly [N, ...After] : After,
          LocalsOf<Children[L]>,
          [Refusal] extends [never] ? Kind extends "views" ? "views" : never : Refusal
        >
      }[keyof Children & string]
    : never
    : PositionsIn<NodesOf<N>, `${Where}.steps`, Before, After, LocalsOf<N>, Refusal>

/**
 * Every position in a tuple of nodes named `Where[i]`, and in the templates
 * they hold: `Before`, what ran before the tuple; `After`, what runs after it
 * (the tuple's template's local keys, `Locals`, dropped in between).
 */
type PositionsIn<
  Nodes extends ReadonlyArray<unknown>,
  Where extends string,
  Before extends ReadonlyArray<unknown>,
  After extends ReadonlyArray<unknown>,
  Locals,
  Refusal,
  Seen extends ReadonlyArray<unknown> = readonly [],
  Acc = never
> = Nodes extends readonly [infer Head, ...infer Tail] ? PositionsIn<
    Tail,
    Where,
    readonly [...Before, Head],
    After,
    Locals,
    Refusal,
    readonly [...Seen, Head],
    | Acc
    | Position<Head, `${Where}[${Seen["length"]}]`, Before, readonly [Stretch<Nodes, Locals>, ...After], Refusal>
    | Inside<Head, `${Where}[${Seen["length"]}]`, Before, readonly [Stretch<Tail, Locals>, ...After], Refusal>
  >
  : Acc

/** Every position of template `T`, `Side` (`from` or `to`) naming it. */
export type PositionsOf<T, Side extends string> = PositionsIn<NodesOf<T>, `${Side}.steps`, readonly [], readonly [], never, never>

/** The positions among `Ps` where node type `P` stands. */
type At<Ps, P> = Ps extends Position<infer N, string, ReadonlyArray<unknown>, ReadonlyArray<unknown>, unknown>
  ? [N] extends [P] ? [P] extends [N] ? Ps : never : never
  : never

/** Those of them a run may be migrated at. */
type Allowed<Ps> = Ps extends { readonly refusal: infer R } ? [R] extends [never] ? Ps : never : never

/** The state a run of `T` has at a position (its input and what ran before). */
type HaveIn<T, Pos> = Pos extends { readonly before: infer B extends ReadonlyArray<unknown> } ? HaveAt<RequiresOf<T>, FoldProvides<B>>
  : never

/** The state at node `P` of `T` (the union of the states at each position where a node of type `P` stands). */
export type StateAtNode<T, P> = HaveIn<T, Allowed<At<PositionsOf<T, "from">, P>>>

type Extends<A, B> = [A] extends [B] ? true : false

/** Keys `Need` requires (not optionally) that `Have` lacks. */
type Missing<Have, Need> = {
  [K in keyof Need]-?: K extends keyof Have ? never : {} extends Pick<Need, K> ? never : K
}[keyof Need]

/** Keys `Have` has with a type that does not satisfy `Need`'s (an optional key may be missing). */
type Bad<Have, Need> = {
  [K in keyof Need & keyof Have]-?: Extends<Have[K], Need[K]> extends true
    ? {} extends Pick<Have, K> ? {} extends Pick<Need, K> ? never : K : never
    : K
}[keyof Need & keyof Have]

type MissingErrors<From extends string, To extends string, K> = K extends unknown ? MigrationMissingKey<From, To, K> : never
type BadErrors<From extends string, To extends string, Have, Need, K> = K extends keyof Have & keyof Need
  ? MigrationIncompatibleKey<From, To, K, Have[K], Need[K]>
  : never

/** The state at `From` with what the state function adds (its keys win). */
type WithAdded<Have, Added> = Simplify<Omit<Have, keyof Added> & Added>

/** `unknown` when `Have` (with `Added`) covers what `Need` requires, else the sentences. */
type CheckCover<From extends string, To extends string, Have, Need> = [Missing<Have, Need>] extends [never]
  ? [Bad<Have, Need>] extends [never] ? unknown
  : JoinUnion<BadErrors<From, To, Have, Need, Bad<Have, Need>>, "; ">
  : JoinUnion<MissingErrors<From, To, Missing<Have, Need>>, "; ">

/** The check at one pair of positions. */
type CheckPair<V1, A, B, Added> = A extends { readonly where: infer From extends string }
  ? B extends { readonly where: infer To extends string; readonly rest: infer Rest extends ReadonlyArray<unknown> }
    ? CheckCover<From, To, WithAdded<HaveIn<V1, A>, Added>, FoldRequires<Rest>>
  : never
  : never

/** The checks at every pair of positions (their union: `unknown` only if all pass). */
type CheckPairs<V1, A, B, Added> = A extends unknown ? B extends unknown ? CheckPair<V1, A, B, Added> : never : never

/** Collapses a union of checks: `unknown` when every one passed, else the failures. */
type Failures<C> = C extends string ? C : never

/** The sentences of positions a run may not be migrated at. */
type Refusals<Ps> = Ps extends { readonly where: infer W extends string; readonly refusal: "views" } ? MigrationInsideViews<W> : never

type CheckSides<V1, A, B, Added> = [Failures<CheckPairs<V1, A, B, Added>>] extends [never] ? unknown
  : Failures<CheckPairs<V1, A, B, Added>>

type CheckAllowed<V1, A, B, Added> = [Allowed<A>] extends [never] ? JoinUnion<Refusals<A>, "; ">
  : [Allowed<B>] extends [never] ? JoinUnion<Refusals<B>, "; ">
  : CheckSides<V1, Allowed<A>, Allowed<B>, Added>

/**
 * `unknown` when a run of `V1` standing at node `P` (at any depth) may go on
 * at node `Q` of `V2` with the state function's additions `Added`, else the
 * sentence naming the positions and the key.
 */
export type CheckMapping<V1, V2, P, Q, Added> = [At<PositionsOf<V1, "from">, P>] extends [never] ? MigrationNotANode<"from">
  : [At<PositionsOf<V2, "to">, Q>] extends [never] ? MigrationNotANode<"to">
  : CheckAllowed<V1, At<PositionsOf<V1, "from">, P>, At<PositionsOf<V2, "to">, Q>, Added>
