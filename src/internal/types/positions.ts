/**
 * Type-level positions of a template: the tuple of its top-level nodes (and
 * its declared inputs) carried as a phantom, so that what the run has at a
 * node (the input and what the nodes before it provided) and what the rest
 * of the template needs from that node on can be computed for any node —
 * the knowledge a migration from one version to another is checked with.
 *
 * A node is found in its template's tuple by its type; when several nodes
 * of a template have the same type, every one of them is checked (a mapping
 * compiles only if it is right at each).
 *
 * @internal
 */
import type { MigrationIncompatibleKey, MigrationMissingKey, MigrationNotANode } from "./messages.js"
import type { FoldProvides, FoldRequires, RequiresOf, Simplify } from "./wiring.js"
import type { JoinUnion } from "./messages.js"

/** The phantom a template made by `Template.make` (or `composeWorkflow`) carries: its nodes and declared inputs. */
export interface Positioned<Nodes extends ReadonlyArray<unknown>, Inputs> {
  readonly "~positions"?: { readonly nodes: Nodes; readonly inputs: Inputs } | undefined
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
 * The state a run of `T` has when it stands at node `I` (before it runs):
 * its input (what `T` requires) and what the nodes before `I` provided.
 */
export type StateAt<T, I extends string> = HaveAt<RequiresOf<T>, FoldProvides<Take<NodesOf<T>, I>>>

type HaveAt<Req, Prov> = Simplify<Omit<Req, keyof Prov> & Prov>

/** What the nodes of `T` from `I` on need from the state they find there. */
export type NeedFrom<T, I extends string> = FoldRequires<Drop<NodesOf<T>, I>>

/** The state at node `P` of `T` (the union of the states at each index where a node of type `P` stands). */
export type StateAtNode<T, P> = IndicesOf<NodesOf<T>, P> extends infer I ? I extends string ? StateAt<T, I> : never : never

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

/** The check at one pair of indices. */
type CheckPair<V1, V2, I extends string, J extends string, Added> = CheckCover<
  `from.steps[${I}]`,
  `to.steps[${J}]`,
  WithAdded<StateAt<V1, I>, Added>,
  NeedFrom<V2, J>
>

/** The checks at every pair of indices where the nodes stand (their union: `unknown` only if all pass). */
type CheckPairs<V1, V2, I, J, Added> = I extends string ? J extends string ? CheckPair<V1, V2, I, J, Added> : never
  : never

/** Collapses a union of checks: `unknown` when every one passed, else the failures. */
type Failures<C> = C extends string ? C : never

/**
 * `unknown` when a run of `V1` standing at node `P` may go on at node `Q` of
 * `V2` with the state function's additions `Added`, else the sentence naming
 * the positions and the key.
 */
export type CheckMapping<V1, V2, P, Q, Added> = [IndicesOf<NodesOf<V1>, P>] extends [never]
  ? MigrationNotANode<"from">
  : [IndicesOf<NodesOf<V2>, Q>] extends [never] ? MigrationNotANode<"to">
  : [Failures<CheckPairs<V1, V2, IndicesOf<NodesOf<V1>, P>, IndicesOf<NodesOf<V2>, Q>, Added>>] extends [never] ? unknown
  : Failures<CheckPairs<V1, V2, IndicesOf<NodesOf<V1>, P>, IndicesOf<NodesOf<V2>, Q>, Added>>
