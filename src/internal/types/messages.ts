/**
 * Compile errors as sentences. A check that fails evaluates to a string
 * literal type (a sentence starting with `weft:`) that the offending argument
 * is intersected with; nothing can be assigned to "a node and a sentence", so
 * the compiler reports the argument and ends its message with the sentence:
 *
 *   Argument of type 'Template<...>' is not assignable to parameter of type
 *   'Template<...> & "weft: key 'total' is provided as number upstream but
 *   required as string here"'.
 *
 * (trpc's `TypeError<'...'>` marker brands its string with a symbol so that a
 * plain string cannot satisfy it; here the other side of the intersection is
 * always a node object, which no string is, so the sentence stays bare and
 * prints without noise.)
 *
 * Types are rendered into the sentences in words (`string`, `'ok' | 'down'`,
 * `ReadonlyArray<number>`, `{ by: string; ok: boolean }`), with quotes that
 * the compiler does not escape. Everything here is evaluated only when a
 * check fails: a correct wiring never instantiates a sentence.
 *
 * @internal
 */

// ---------------------------------------------------------------------------
// unions, one member at a time (error path only)
// ---------------------------------------------------------------------------

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never

/** One member of a union (the last the compiler lists). */
type LastOf<U> = UnionToIntersection<U extends unknown ? (u: U) => void : never> extends (u: infer L) => void ? L
  : never

/** The members of a (small) union, in the order the compiler lists them. */
type UnionToTuple<U, Acc extends ReadonlyArray<unknown> = readonly []> = [U] extends [never] ? Acc
  : Acc["length"] extends 24 ? readonly [...Acc, "…"]
  : UnionToTuple<Exclude<U, LastOf<U>>, readonly [LastOf<U>, ...Acc]>

/** Joins a tuple of strings. */
type Join<T, Sep extends string, Acc extends string = ""> = T extends
  readonly [infer Head extends string, ...infer Rest] ? Join<Rest, Sep, Acc extends "" ? Head : `${Acc}${Sep}${Head}`>
  : Acc

/** Joins the members of a union of strings. */
export type JoinUnion<U, Sep extends string = " | "> = Join<UnionToTuple<U>, Sep>

/** Some members of a union (at most `N`), then "…". */
type Truncate<T extends ReadonlyArray<unknown>, N extends number, Acc extends ReadonlyArray<unknown> = readonly []> =
  Acc["length"] extends N ? T extends readonly [] ? Acc : readonly [...Acc, "…"]
    : T extends readonly [infer Head, ...infer Rest] ? Truncate<Rest, N, readonly [...Acc, Head]>
    : Acc

// ---------------------------------------------------------------------------
// types in words
// ---------------------------------------------------------------------------

/** A key as it reads in a sentence: `'total'`. */
export type ShowKey<K> = K extends string | number ? `'${K}'` : "a symbol key"

/** Keys as they read in a sentence: `'a', 'b'`. */
export type ShowKeys<K> = JoinUnion<ShowKey<K>, ", ">

type Depth = 0 | 1 | 2

type Deeper<D extends Depth> = D extends 0 ? 1 : 2

/** One member of a union, in words. */
type ShowMember<T, D extends Depth> = T extends string ? string extends T ? "string" : `'${T}'`
  : T extends number ? number extends T ? "number" : `${T}`
  : T extends bigint ? bigint extends T ? "bigint" : `${T}n`
  : T extends boolean ? `${T}`
  : T extends symbol ? "symbol"
  : T extends null ? "null"
  : T extends undefined ? "undefined"
  : T extends Date ? "Date"
  : T extends ReadonlyArray<infer E> ? `ReadonlyArray<${Show<E, Deeper<D>>}>`
  : T extends (...args: ReadonlyArray<never>) => unknown ? "a function"
  : D extends 2 ? "{ … }"
  : ShowObject<T, Deeper<D>>

/** An object type in words: `{ by: string; ok?: boolean }`. */
type ShowObject<T, D extends Depth> = [keyof T] extends [never] ? "{}"
  : `{ ${Join<ShowFields<T, Truncate<UnionToTuple<keyof T>, 6>, D>, "; ">} }`

type ShowFields<T, Keys extends ReadonlyArray<unknown>, D extends Depth> = {
  readonly [I in keyof Keys]: Keys[I] extends keyof T ? ShowField<T, Keys[I], D> : Keys[I]
}

type ShowField<T, K extends keyof T, D extends Depth> = `${K extends string | number ? K : "[symbol]"}${
  {} extends Pick<T, K> ? "?" : ""
}: ${Show<Exclude<T[K], undefined> | ({} extends Pick<T, K> ? never : Extract<T[K], undefined>), D>}`

/** A type in words, as it reads in a sentence. */
export type Show<T, D extends Depth = 0> = unknown extends T ? "unknown"
  : [T] extends [never] ? "never"
  : JoinUnion<
    | (boolean extends T ? "boolean" : never)
    | ShowMember<boolean extends T ? Exclude<T, boolean> : T, D>
  >

// ---------------------------------------------------------------------------
// "did you mean": cheap string distance
// ---------------------------------------------------------------------------

/** `true` when `A` and `B` differ by one edit (insert, delete, replace, swap of neighbours). */
type OneEdit<A extends string, B extends string> = A extends `${infer X}${infer RA}`
  ? B extends `${infer Y}${infer RB}` ? X extends Y ? OneEdit<RA, RB>
    : RA extends RB ? true // replace
    : RA extends B ? true // delete
    : A extends RB ? true // insert
    : RA extends `${Y}${infer Tail}` ? RB extends `${X}${Tail}` ? true : false // swap
    : false
  : RA extends "" ? true // one trailing extra
  : false
  : B extends `${string}${infer RB}` ? RB extends "" ? true : false
  : false

/** `true` when one of `A`, `B` is the other with one or two more characters at its start or end. */
type Affix<A extends string, B extends string> = B extends `${A}${infer R}` ? Short<R>
  : B extends `${infer R}${A}` ? Short<R>
  : A extends `${B}${infer R}` ? Short<R>
  : A extends `${infer R}${B}` ? Short<R>
  : false

/** `true` for a string of one or two characters. */
type Short<R extends string> = R extends `${infer _A}${infer R2}`
  ? R2 extends "" ? true : R2 extends `${infer _B}${infer R3}` ? R3 extends "" ? true : false : false
  : false

/** Whether `Candidate` looks like what was meant by `Key`. */
type Near<Key extends string, Candidate extends string> = Lowercase<Key> extends Lowercase<Candidate> ? true
  : OneEdit<Key, Candidate> extends true ? true
  : Affix<Key, Candidate>

/** The candidates near `Key`. */
type NearKeys<Key extends string, Candidates> = Candidates extends string
  ? Near<Key, Candidates> extends true ? Candidates : never
  : never

/** `` (did you mean 'lines'?)`` or nothing. */
export type DidYouMean<Key, Candidates> = Key extends string
  ? [NearKeys<Key, Exclude<Candidates, Key>>] extends [never] ? ""
  : ` (did you mean ${JoinUnion<ShowKey<NearKeys<Key, Exclude<Candidates, Key>>>, " or ">}?)`
  : ""

// ---------------------------------------------------------------------------
// the sentences
// ---------------------------------------------------------------------------

/**
 * A key a node requires with a type that the value written upstream does not
 * satisfy (or that may be missing upstream).
 */
export type IncompatibleKey<K, Provided, Required> = undefined extends Provided
  ? [Exclude<Provided, undefined>] extends [Required]
    ? `weft: key ${ShowKey<K>} may be missing upstream (a step that may be skipped, or a branch or loop that may not run, writes it) but is required here`
  : `weft: key ${ShowKey<K>} is provided as ${Show<Provided>} upstream but required as ${Show<Required>} here`
  : `weft: key ${ShowKey<K>} is provided as ${Show<Provided>} upstream but required as ${Show<Required>} here`

/**
 * A key nobody upstream provides, required (or declared) elsewhere with a
 * type that neither accepts nor is accepted by the one required here.
 */
export type ConflictingRequirement<K, First, Second, Declared = never> = K extends Declared
  ? `weft: key ${ShowKey<K>} is a declared input of type ${Show<First>} but is required as ${Show<Second>} here: no input can be both`
  : `weft: key ${ShowKey<K>} is needed from outside as ${Show<First>} elsewhere but as ${Show<Second>} here: no input can be both`

/** A key read here, neither declared as an input nor provided upstream. */
export type UndeclaredKey<K, Candidates> =
  `weft: key ${ShowKey<K>} is read here but is neither a declared input nor provided upstream${DidYouMean<K, Candidates>}`

/** Keys several parallel branches provide, with nothing to merge them. */
export type KeyClash<Keys> = [LastOf<Keys>] extends [Keys]
  ? `weft: several parallel branches provide ${ShowKey<Keys>} and nothing merges it: give merge.${Keys & string} a function, or use mode 'first'`
  : `weft: several parallel branches provide ${ShowKeys<Keys>} and nothing merges them: give merge a function for each, or use mode 'first'`

/** A merge function given for a key that at most one branch provides. */
export type NotAClash<K> =
  `weft: merge.${K & string} is for a key several branches provide, but at most one branch provides ${ShowKey<K>}`

/** A loop body that writes a key with a type the loop reads differently. */
export type LoopIncompatible<K, Written, Read> =
  `weft: the loop body writes ${ShowKey<K>} as ${Show<Written>} but the loop reads it as ${Show<Read>} (in its predicate or the body's next iteration)`

/** A fallback step that does not write what the primary writes. */
export type FallbackMismatch<K, Primary, Fallback> = [Fallback] extends [never]
  ? `weft: the fallback must write every key the step writes, but it does not write ${ShowKey<K>}`
  : `weft: the fallback writes ${ShowKey<K>} as ${Show<Fallback>} but the step writes it as ${Show<Primary>}`

/** A fallback step that reads what the primary does not. */
export type FallbackReads<K, Primary, Fallback> = [Primary] extends [never]
  ? `weft: the fallback reads ${ShowKey<K>}, which the step does not read`
  : `weft: the fallback reads ${ShowKey<K>} as ${Show<Fallback>} but the step reads it as ${Show<Primary>}`

/** A migration's target node requires (from there on) a key the old version has not provided by then. */
export type MigrationMissingKey<From extends string, To extends string, K> =
  `weft: a run migrated at ${From} goes on at ${To}, which (or a node after it) requires ${ShowKey<K>}, but the old version has not provided it by then and the state function does not add it`

/** A key the old version has at a mapped position with a type the new version does not accept from there on. */
export type MigrationIncompatibleKey<From extends string, To extends string, K, Have, Need> = undefined extends Have
  ? [Exclude<Have, undefined>] extends [Need]
    ? `weft: a run migrated at ${From} goes on at ${To}, which (or a node after it) requires ${ShowKey<K>}, but it may be missing there (a step that may be skipped, or a branch or loop that may not run, writes it): add it in the state function`
  : `weft: a run migrated at ${From} goes on at ${To}, which (or a node after it) requires ${ShowKey<K>} as ${Show<Need>}, but it is ${Show<Have>} there: convert it in the state function`
  : `weft: a run migrated at ${From} goes on at ${To}, which (or a node after it) requires ${ShowKey<K>} as ${Show<Need>}, but it is ${Show<Have>} there: convert it in the state function`

/** A migration mapping a node that is not one of its template's positions. */
export type MigrationNotANode<Side extends string> =
  `weft: the ${Side} position is not a node of the ${Side extends "from" ? "old" : "new"} template (pass one of its steps' values, or of the templates it nests; a sub-flow's nodes belong to its child run: map the sub-flow node)`

/** A migration mapping a node inside a forEach's or parallel's template, where elements run on views of their own. */
export type MigrationInsideViews<Where extends string> =
  `weft: a run cannot be migrated at ${Where}: it is inside a forEach or parallel, whose elements or branches each stand at their own place on a view of their own; map the forEach or parallel node itself`
