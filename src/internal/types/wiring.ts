/**
 * Type-level wiring: given an ordered tuple of nodes (steps or templates),
 * compute what the sequence requires from outside, what it provides, and
 * whether every key a node reads is compatible with what earlier nodes wrote.
 *
 * One tail-recursive pass over the tuple, accumulating unions of entries
 * rather than objects (see "the fold" below), so that chains of 100 templates
 * check without "type instantiation is excessively deep".
 *
 * A failed check is a sentence (a string literal type, see ./messages.ts)
 * that the offending node is intersected with, so the compiler's message ends
 * with it.
 *
 * @internal
 */
import type {
  ConflictingRequirement,
  IncompatibleKey,
  JoinUnion,
  UndeclaredKey
} from "./messages.js"

export type { ConflictingRequirement, IncompatibleKey, UndeclaredKey } from "./messages.js"

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

/**
 * `unknown` when node `Req` may follow `(Acc, Prov)`, else the sentence
 * naming what is wrong. `Acc`: the outside requirements so far (and the
 * declared inputs, named by `Declared`), `Prov`: what upstream provides.
 */
export type CheckNode<Acc, Prov, Req, Declared = never> = [BadProvided<Prov, Req>] extends [never]
  ? [BadConflict<Acc, Prov, Req>] extends [never] ? unknown
  : JoinUnion<ConflictErrors<Acc, Req, BadConflict<Acc, Prov, Req>, Declared>, "; ">
  : JoinUnion<IncompatibleErrors<Prov, Req, BadProvided<Prov, Req>>, "; ">

type IncompatibleErrors<Prov, Req, K> = K extends keyof Prov & keyof Req ? IncompatibleKey<K, Prov[K], Req[K]>
  : never
type ConflictErrors<Acc, Req, K, Declared> = K extends keyof Acc & keyof Req
  ? ConflictingRequirement<K, Acc[K], Req[K], Declared>
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

/**
 * Outside requirements after a node requiring `ReqE`, given what has been
 * provided (`ProvK`). With declared inputs (`Strict`), a key neither declared
 * nor provided is an error at that node, not a new requirement.
 */
type NextRequireEntries<AccE extends Entry, ProvK, ReqE extends Entry, Strict> =
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
  | (Strict extends true ? never : ReqE extends Entry ? ReqE[0] extends ProvK | AccE[0] ? never : ReqE : never)

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

/**
 * The check of one node: with declared inputs (`Strict`), a key it reads that
 * is neither declared (`DeclK`) nor provided upstream comes first.
 */
type CheckAt<AccE extends Entry, ProvE extends Entry, Req, DeclK, Strict> = Strict extends true
  ? [Exclude<keyof Req, ProvE[0] | DeclK>] extends [never] ? CheckEntries<AccE, ProvE, Req, DeclK>
  : JoinUnion<UndeclaredErrors<Exclude<keyof Req, ProvE[0] | DeclK>, ProvE[0] | DeclK>, "; ">
  : CheckEntries<AccE, ProvE, Req, DeclK>

type CheckEntries<AccE extends Entry, ProvE extends Entry, Req, DeclK> = CheckNode<
  PickEntries<AccE, keyof Req>,
  PickEntries<ProvE, keyof Req>,
  Req,
  DeclK
>

type UndeclaredErrors<K, Candidates> = K extends unknown ? UndeclaredKey<K, Candidates> : never

/** Fold a tuple of nodes left to right (tail-recursive, over entries). */
type FoldEntries<
  Nodes extends ReadonlyArray<unknown>,
  AccE extends Entry,
  ProvE extends Entry,
  Checks extends ReadonlyArray<unknown>,
  DeclK,
  Strict
> = Nodes extends readonly [infer Head, ...infer Rest] ? FoldEntries<
    Rest,
    NextRequireEntries<AccE, ProvE[0], EntriesOf<RequiresOf<Head>>, Strict>,
    NextProvideEntries<ProvE, EntriesOf<ProvidesOf<Head>>>,
    readonly [...Checks, CheckAt<AccE, ProvE, RequiresOf<Head>, DeclK, Strict>],
    DeclK,
    Strict
  >
  : Folded<FromEntries<AccE>, FromEntries<ProvE>, Checks>

/**
 * Fold a tuple of nodes left to right. `Inputs`: the declared inputs (an
 * object type), or `undefined` when none are declared; declared inputs are
 * outside requirements from the start, and every other key a node reads must
 * be provided upstream.
 */
export type Fold<Nodes extends ReadonlyArray<unknown>, Inputs = undefined> = Nodes extends
  readonly [] | readonly [unknown, ...Array<unknown>]
  ? Inputs extends object ? FoldEntries<Nodes, EntriesOf<Inputs>, never, readonly [], keyof Inputs, true>
  : FoldEntries<Nodes, never, never, readonly [], never, false>
  // a non-tuple array (e.g. `ReadonlyArray<Step.Any>`): no order is known
  : Folded<RequiresOf<Nodes[number]>, ProvidesOf<Nodes[number]>, ReadonlyArray<unknown>>

/** The per-position checks of a tuple: `unknown`, or the sentence saying what is wrong there. */
export type Checked<Nodes extends ReadonlyArray<unknown>, Inputs = undefined> = Fold<Nodes, Inputs>["checks"]

/**
 * The arguments of a variadic call over nodes, each intersected with its
 * check: a tuple once instantiated, so that the compiler checks (and reports)
 * each argument on its own.
 */
export type CheckedArgs<Nodes extends ReadonlyArray<unknown>, Inputs = undefined> = {
  readonly [I in keyof Nodes]: Nodes[I] & NoInfer<CheckOf<Checked<Nodes, Inputs>, I>>
}

type CheckOf<Checks, I> = I extends keyof Checks ? Checks[I] : unknown

/** What a tuple of nodes requires from outside (with the declared inputs, if any). */
export type FoldRequires<Nodes extends ReadonlyArray<unknown>, Inputs = undefined> = Fold<Nodes, Inputs>["requires"]

/** What a tuple of nodes provides. */
export type FoldProvides<Nodes extends ReadonlyArray<unknown>, Inputs = undefined> = Fold<Nodes, Inputs>["provides"]
