/**
 * Type-level wiring: given an ordered tuple of nodes (steps or templates),
 * compute what the sequence requires from outside, what it provides, and
 * whether every key a node reads is compatible with what earlier nodes wrote.
 *
 * One tail-recursive pass over the tuple, accumulating unions of entries
 * rather than objects (see "the fold" below), so that chains of 100 templates
 * check without "type instantiation is excessively deep".
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

// ---------------------------------------------------------------------------
// the fold
//
// The accumulators are unions of entries `[key, type, optional]`, not objects:
// an object built as a mapped type over the previous one is resolved lazily,
// so reading a key of the 50th accumulator would recurse through all 50
// ("type instantiation is excessively deep" past ~40 nodes). A union of
// concrete tuples is evaluated as it is built; the objects are made once, at
// the end.
// ---------------------------------------------------------------------------

/** One key of an object type: its name, its type (without the `undefined` of optionality) and whether it is optional. */
type Entry = readonly [key: PropertyKey, type: unknown, optional: boolean]

/** An object type with its optional keys made required, without the `undefined` optionality adds. */
type Required_<T> = { [K in keyof T]-?: T[K] }

/** The entries of an object type. */
type EntriesOf<T> = {
  [K in keyof T]-?: readonly [K, Required_<T>[K], {} extends Pick<T, K> ? true : false]
}[keyof T]

/** The object type of some entries (every key readonly). */
type FromEntries<E extends Entry> = Simplify<
  & { readonly [X in E as X[2] extends true ? never : X[0]]: X[1] }
  & { readonly [X in E as X[2] extends true ? X[0] : never]?: X[1] }
>

/** The entry of key `K` in `E`. */
type EntryAt<E extends Entry, K> = E extends readonly [K, unknown, boolean] ? E : never

/** The object type of the entries of `E` whose key is in `K` (for the checks, which compare objects). */
type PickEntries<E extends Entry, K> = FromEntries<E extends readonly [K, unknown, boolean] ? E : never>

/** Outside requirements after a node requiring `ReqE`, given what has been provided (`ProvK`). */
type NextRequireEntries<AccE extends Entry, ProvK, ReqE extends Entry> =
  // requirements already known: narrowed when this node requires them too (and nobody provided them)
  | (AccE extends Entry
    ? [EntryAt<ReqE, AccE[0]>] extends [never] ? AccE
    : AccE[0] extends ProvK ? AccE
    : readonly [
      AccE[0],
      Narrower<AccE[1], EntryAt<ReqE, AccE[0]>[1]>,
      AccE[2] extends true ? EntryAt<ReqE, AccE[0]>[2] : false
    ]
    : never)
  // new requirements: neither provided upstream nor already known
  | (ReqE extends Entry ? ReqE[0] extends ProvK | AccE[0] ? never : ReqE : never)

/**
 * What has been provided after a node providing `PE`: later writes win, but a
 * key the node may not write (optional: a skippable step, a loop whose body
 * may not run, a branch arm) keeps the earlier value when there is one, so it
 * is then the union of both types, optional only if it was before.
 */
type NextProvideEntries<ProvE extends Entry, PE extends Entry> =
  | (ProvE extends Entry ? ProvE[0] extends PE[0] ? never : ProvE : never)
  | (PE extends Entry ? PE[2] extends true ? OverOptional<EntryAt<ProvE, PE[0]>, PE> : PE : never)

/** An optional write `PE` over the earlier entry `Earlier` (or over nothing). */
type OverOptional<Earlier extends Entry, PE extends Entry> = [Earlier] extends [never] ? PE
  : readonly [PE[0], Earlier[1] | PE[1], Earlier[2]]

/** The result of folding a tuple of nodes. */
export interface Folded<Req, Prov, Checks extends ReadonlyArray<unknown>> {
  readonly requires: Req
  readonly provides: Prov
  readonly checks: Checks
}

/** Fold a tuple of nodes left to right (tail-recursive, over entries). */
type FoldEntries<
  Nodes extends ReadonlyArray<unknown>,
  AccE extends Entry,
  ProvE extends Entry,
  Checks extends ReadonlyArray<unknown>
> = Nodes extends readonly [infer Head, ...infer Rest] ? FoldEntries<
    Rest,
    NextRequireEntries<AccE, ProvE[0], EntriesOf<RequiresOf<Head>>>,
    NextProvideEntries<ProvE, EntriesOf<ProvidesOf<Head>>>,
    readonly [
      ...Checks,
      CheckNode<
        PickEntries<AccE, keyof RequiresOf<Head>>,
        PickEntries<ProvE, keyof RequiresOf<Head>>,
        RequiresOf<Head>
      >
    ]
  >
  : Folded<FromEntries<AccE>, FromEntries<ProvE>, Checks>

/** Fold a tuple of nodes left to right. */
export type Fold<Nodes extends ReadonlyArray<unknown>> = Nodes extends readonly [] | readonly [unknown, ...Array<unknown>]
  ? FoldEntries<Nodes, never, never, readonly []>
  // a non-tuple array (e.g. `ReadonlyArray<Step.Any>`): no order is known
  : Folded<RequiresOf<Nodes[number]>, ProvidesOf<Nodes[number]>, ReadonlyArray<unknown>>

/** The per-position checks of a tuple: intersect the argument with this. */
export type Checked<Nodes extends ReadonlyArray<unknown>> = Fold<Nodes>["checks"]

/** What a tuple of nodes requires from outside. */
export type FoldRequires<Nodes extends ReadonlyArray<unknown>> = Fold<Nodes>["requires"]

/** What a tuple of nodes provides. */
export type FoldProvides<Nodes extends ReadonlyArray<unknown>> = Fold<Nodes>["provides"]
