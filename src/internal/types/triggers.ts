/**
 * Type-level checks of a trigger's mapping to the input of the template it
 * starts: every key that template requires is given, with a type it
 * accepts. A failed check is a sentence (see ./messages.ts) that the
 * trigger's options are intersected with, so the compiler's message ends
 * with it and names the key.
 *
 * (A mapping that reads a key the triggering template does not provide
 * fails where it reads it: the state it is given has only the keys that
 * template provides, and the compiler names the key.)
 *
 * @internal
 */
import type { JoinUnion, Show, ShowKey } from "./messages.js"

/** The keys of `T` that are not optional. */
type RequiredKeys<T> = { [K in keyof T]-?: {} extends Pick<T, K> ? never : K }[keyof T]

/** Keys `Req` requires that `Given` does not give. */
type Missing<Given, Req> = Exclude<RequiredKeys<Req>, keyof Given>

/** Keys `Given` gives with a type `Req` does not accept. */
type Wrong<Given, Req> = { [K in keyof Given & keyof Req]-?: [Given[K]] extends [Req[K]] ? never : K }[keyof Given & keyof Req]

/** A key the started template requires that the mapping does not give. */
export type NotGiven<K> = `weft: the trigger's input gives no ${ShowKey<K>}, which the template it starts requires`

/** A key the mapping gives with a type the started template does not accept. */
export type GivenAs<K, Given, Required> =
  `weft: the trigger's input gives ${ShowKey<K>} as ${Show<Given>} but the template it starts requires it as ${Show<Required>}`

type NotGivenErrors<K> = K extends unknown ? NotGiven<K> : never
type GivenAsErrors<Given, Req, K> = K extends keyof Given & keyof Req ? GivenAs<K, Given[K], Req[K]> : never

/**
 * `unknown` when `Given` (what a trigger's mapping returns) is a valid input
 * for a template requiring `Req`, else the sentences naming each wrong key.
 */
export type CheckInput<Given, Req> = [Missing<Given, Req>] extends [never]
  ? [Wrong<Given, Req>] extends [never] ? unknown
  : JoinUnion<GivenAsErrors<Given, Req, Wrong<Given, Req>>, "; ">
  : JoinUnion<NotGivenErrors<Missing<Given, Req>>, "; ">
