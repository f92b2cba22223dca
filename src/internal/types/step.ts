/**
 * Type machinery of steps: the check of a fallback (`Step.orElse`). A failed
 * check is a sentence (see ./messages.ts).
 *
 * @internal
 */
import type { FallbackMismatch, FallbackReads, JoinUnion } from "./messages.js"

type Extends<A, B> = [A] extends [B] ? true : false

/**
 * Keys `Need` has that `Have` lacks (unless optional in `Need`), or has with
 * a type that does not satisfy `Need`'s.
 */
type BadKeys<Need, Have> = {
  [K in keyof Need]-?: K extends keyof Have ? Extends<Have[K], Need[K]> extends true ? never : K
    : {} extends Pick<Need, K> ? never
    : K
}[keyof Need]

type Mismatches<Prov, Prov2, K> = K extends keyof Prov
  ? FallbackMismatch<K, Prov[K], K extends keyof Prov2 ? Prov2[K] : never>
  : never

type BadReads<Req, Req2, K> = K extends keyof Req2 ? FallbackReads<K, K extends keyof Req ? Req[K] : never, Req2[K]>
  : never

/**
 * `unknown` when a fallback reading `Req2` and writing `Prov2` can stand in
 * for a step reading `Req` and writing `Prov` (it runs on the step's input
 * and its output replaces the step's), else the sentence naming the key it
 * reads that the step does not (or with another type), or the key it does
 * not write (or writes with another type).
 */
export type CheckFallback<Req, Prov, Req2, Prov2> = [Req] extends [Req2]
  ? [Prov2] extends [Prov] ? unknown
  : [BadKeys<Prov, Prov2>] extends [never] ? "weft: the fallback does not write what the step writes"
  : JoinUnion<Mismatches<Prov, Prov2, BadKeys<Prov, Prov2>>, "; ">
  : [BadKeys<Req2, Req>] extends [never] ? "weft: the fallback reads what the step does not"
  : JoinUnion<BadReads<Req, Req2, BadKeys<Req2, Req>>, "; ">
