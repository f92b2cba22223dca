/**
 * Type-level wiring: given an ordered tuple of nodes (steps or templates),
 * compute what the sequence requires from outside, what it provides, and
 * whether every key a node reads is compatible with what earlier nodes wrote.
 *
 * One tail-recursive pass over the tuple; every intermediate object is
 * flattened, so long chains (dozens of templates) stay cheap to check.
 *
 * @internal
 */

/** Flattens an intersection into one object type (keeps `readonly` and `?`). */
export type Simplify<A> = { [K in keyof A]: A[K] } & {}

/** Phantom types every node (step or template) carries. */
export interface NodeTypes<out Req, out Prov, out E, out R> {
  readonly requires: Req
  readonly provides: Prov
  readonly error: E
  readonly context: R
}

/** Anything that has phantom node types. */
export interface HasTypes {
  readonly "~types": NodeTypes<object, object, unknown, unknown>
}

export type RequiresOf<N> = N extends { readonly "~types": NodeTypes<infer Req, infer _P, infer _E, infer _R> } ? Req
  : never
export type ProvidesOf<N> = N extends { readonly "~types": NodeTypes<infer _Req, infer P, infer _E, infer _R> } ? P
  : never
export type ErrorOf<N> = N extends { readonly "~types": NodeTypes<infer _Req, infer _P, infer E, infer _R> } ? E
  : never
export type ContextOf<N> = N extends { readonly "~types": NodeTypes<infer _Req, infer _P, infer _E, infer R> } ? R
  : never

/**
 * The compile error for a key that a node requires with a type that the value
 * written by an earlier node does not satisfy.
 */
export interface IncompatibleKey<Key extends PropertyKey, Provided, Required> {
  readonly "~weft/error": "a key is required with a type that the earlier value does not satisfy"
  readonly key: Key
  readonly providedAs: Provided
  readonly requiredAs: Required
}

/**
 * The compile error for a key that nobody upstream provides and that two
 * nodes require with types neither of which satisfies the other.
 */
export interface ConflictingRequirement<Key extends PropertyKey, First, Second> {
  readonly "~weft/error": "two parts require the same outside key with incompatible types"
  readonly key: Key
  readonly firstRequiredAs: First
  readonly thenRequiredAs: Second
}

type Extends<A, B> = [A] extends [B] ? true : false

/** Keys of `Req` that earlier nodes provide with a type that does not satisfy `Req`. */
type BadProvided<Prov, Req> = {
  [K in keyof Req & keyof Prov]-?: Extends<Prov[K], Req[K]> extends true ? never : K
}[keyof Req & keyof Prov]

/** Keys of `Req` that are outside requirements already, with an incompatible type. */
type BadConflict<Acc, Prov, Req> = {
  [K in Exclude<keyof Req & keyof Acc, keyof Prov>]-?: Extends<Req[K], Acc[K]> extends true ? never
    : Extends<Acc[K], Req[K]> extends true ? never
    : K
}[Exclude<keyof Req & keyof Acc, keyof Prov>]

/** `unknown` when node `Req` may follow `(Acc, Prov)`, else the error(s). */
export type CheckNode<Acc, Prov, Req> = [BadProvided<Prov, Req>] extends [never]
  ? [BadConflict<Acc, Prov, Req>] extends [never] ? unknown
  : ConflictErrors<Acc, Req, BadConflict<Acc, Prov, Req>>
  : IncompatibleErrors<Prov, Req, BadProvided<Prov, Req>>

type IncompatibleErrors<Prov, Req, K> = K extends keyof Prov & keyof Req ? IncompatibleKey<K, Prov[K], Req[K]>
  : never
type ConflictErrors<Acc, Req, K> = K extends keyof Acc & keyof Req ? ConflictingRequirement<K, Acc[K], Req[K]>
  : never

/** The narrower of two compatible requirement types. */
type Narrower<A, B> = Extends<B, A> extends true ? B : A

/** Outside requirements after a node with requirements `Req` runs. */
type NextRequires<Acc, Prov, Req> = Simplify<
  & Pick<Acc, Exclude<keyof Acc, keyof Req>>
  & { readonly [K in keyof Acc & keyof Req]: K extends keyof Prov ? Acc[K] : Narrower<Acc[K], Req[K]> }
  & Pick<Req, Exclude<keyof Req, keyof Prov | keyof Acc>>
>

/** What has been provided after a node providing `P` runs (later writes win). */
type NextProvides<Prov, P> = Simplify<Omit<Prov, keyof P> & P>

/** The result of folding a tuple of nodes. */
export interface Folded<Req, Prov, Checks extends ReadonlyArray<unknown>> {
  readonly requires: Req
  readonly provides: Prov
  readonly checks: Checks
}

/** Fold a tuple of nodes left to right (tail-recursive). */
export type Fold<
  Nodes extends ReadonlyArray<unknown>,
  Acc = {},
  Prov = {},
  Checks extends ReadonlyArray<unknown> = []
> = Nodes extends readonly [infer Head, ...infer Rest] ? Fold<
    Rest,
    NextRequires<Acc, Prov, RequiresOf<Head>>,
    NextProvides<Prov, ProvidesOf<Head>>,
    [...Checks, CheckNode<Acc, Prov, RequiresOf<Head>>]
  >
  : Nodes extends readonly [] ? Folded<Acc, Prov, Checks>
  // a non-tuple array (e.g. `ReadonlyArray<Step.Any>`): no order is known
  : Folded<RequiresOf<Nodes[number]>, ProvidesOf<Nodes[number]>, ReadonlyArray<unknown>>

/** The per-position checks of a tuple: intersect the argument with this. */
export type Checked<Nodes extends ReadonlyArray<unknown>> = Fold<Nodes>["checks"]

/** What a tuple of nodes requires from outside. */
export type FoldRequires<Nodes extends ReadonlyArray<unknown>> = Fold<Nodes>["requires"]

/** What a tuple of nodes provides. */
export type FoldProvides<Nodes extends ReadonlyArray<unknown>> = Fold<Nodes>["provides"]
