/**
 * Type machinery of the control-flow nodes (`Flow.branch`, `match`, `loop`,
 * `parallel`): what alternatives and parallel parts provide together, the
 * checks of parallel keys and loop bodies. Failed checks are sentences (see
 * ./messages.ts).
 *
 * @internal
 */
import type { JoinUnion, KeyClash, LoopIncompatible, NotAClash } from "./messages.js"
import type { ProvidesOf, RequiresOf, Simplify } from "./wiring.js"

export type { KeyClash, NotAClash } from "./messages.js"

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never

type KeysOfUnion<P> = P extends unknown ? keyof P : never

type ValueOf<P, K extends PropertyKey> = P extends unknown ? K extends keyof P ? P[K] : never : never

/** Keys every member of the union `P` has. */
type CommonKeys<P> = Extract<keyof P, PropertyKey>

/**
 * What one of several alternatives provides (`P` is the union of what each
 * provides): a key every alternative writes is provided, with the union of
 * their types; a key only some write is optional, so a later step that
 * requires it is a compile error.
 */
export type OneOf<P> = Simplify<
  & { readonly [K in CommonKeys<P>]: ValueOf<P, K> }
  & { readonly [K in Exclude<KeysOfUnion<P>, CommonKeys<P>>]?: ValueOf<P, K> }
>

/** What several parts provide together (`P` is the union of what each provides): every key any of them writes. */
export type AllOf<P> = Simplify<{ readonly [K in KeysOfUnion<P>]: ValueOf<P, K> }>

/** What a set of alternatives requires: what each of them requires. */
export type EachRequires<N> = Simplify<UnionToIntersection<RequiresOf<N>>>

/** Keys that two or more of the templates in `B` provide. */
export type Clashes<B> = {
  [A in keyof B]: {
    [C in Exclude<keyof B, A>]: keyof ProvidesOf<B[A]> & keyof ProvidesOf<B[C]>
  }[Exclude<keyof B, A>]
}[keyof B]

/**
 * `unknown` when every key two branches provide has a merge function (or
 * only the first branch to succeed is kept), else the sentence naming them.
 */
export type CheckClashes<B, Mode, Merged> = Mode extends "first" ? unknown
  : [Exclude<Clashes<B>, Merged>] extends [never] ? unknown
  : KeyClash<Exclude<Clashes<B>, Merged>>

/**
 * The type of `merge.K`: a merge function when several branches provide `K`,
 * else the sentence saying there is nothing to merge.
 */
export type MergeEntry<B, K extends PropertyKey> = K extends Clashes<B> ? MergeFunction<B, K> : NotAClash<K>

/**
 * A merge function of `Flow.parallel`: gets the values the branches wrote
 * for one key, in the order the branches are declared, and returns the one
 * to keep.
 */
export type MergeFunction<B, K extends PropertyKey> = (
  values: ReadonlyArray<ValueOf<ProvidesOf<B[keyof B]>, K>>
) => ValueOf<ProvidesOf<B[keyof B]>, K>

type Extends<A, B> = [A] extends [B] ? true : false

/** Keys of `Read` that `Written` has with a type that does not satisfy `Read`. */
type BadWrites<Written, Read> = {
  [K in keyof Read & keyof Written]-?: Extends<Written[K], Read[K]> extends true ? never : K
}[keyof Read & keyof Written]

/** `unknown` when what the body writes satisfies `Read`, else the sentences. */
type CheckWrites<Written, Read> = [BadWrites<Written, Read>] extends [never] ? unknown
  : JoinUnion<LoopErrors<Written, Read, BadWrites<Written, Read>>, "; ">

type LoopErrors<Written, Read, K> = K extends keyof Written & keyof Read ? LoopIncompatible<K, Written[K], Read[K]>
  : never

/**
 * The loop's body feeds the predicate and its own next iteration: `unknown`
 * when what it writes is what they read, else the sentence.
 */
export type LoopCheck<Pred, Body> = CheckWrites<ProvidesOf<Body>, Pred> extends infer C
  ? unknown extends C ? CheckWrites<ProvidesOf<Body>, RequiresOf<Body>> : C
  : never

/**
 * What a loop requires: the predicate's keys (unless the body writes them
 * first, when it is checked after each iteration) and the body's.
 */
export type LoopRequires<Pred, Body, Check> = Check extends "after"
  ? Simplify<RequiresOf<Body> & Omit<Pred, keyof ProvidesOf<Body>>>
  : Simplify<Pred & RequiresOf<Body>>

/**
 * What a loop provides: the body's keys. When the predicate is checked first
 * the body may run zero times: a key the loop also requires is there anyway
 * (the body's value or the one from before), any other is optional.
 */
export type LoopProvides<Pred, Body, Check> = Check extends "after" ? ProvidesOf<Body>
  : BeforeLoopProvides<ProvidesOf<Body>, LoopRequires<Pred, Body, "before">>

type BeforeLoopProvides<P, Req> = Simplify<
  & { readonly [K in keyof P & keyof Req]: P[K] | Req[K] }
  & { readonly [K in Exclude<keyof P, keyof Req>]?: P[K] }
>
