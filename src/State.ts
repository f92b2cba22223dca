/**
 * The state of a run: one typed record of values, each with the time it was
 * written and, when it has a time-to-live, the time it expires. The state
 * itself records when it was created and last updated.
 *
 * Keys are scoped: a template may declare `local` keys, which are dropped when
 * it ends. Reading a value past its TTL is a `StateExpired` error.
 *
 * @since 0.1.0
 */
import { Clock, Effect } from "effect"
import { StateExpired, StateKeyMissing } from "./Errors.js"

/**
 * One value's time metadata.
 *
 * @since 0.1.0
 * @category models
 */
export interface EntryInfo {
  readonly writtenAt: Date
  /** `null` when the value never expires. */
  readonly expiresAt: Date | null
}

/**
 * A typed state with its metadata.
 *
 * @since 0.1.0
 * @category models
 */
export interface State<A> {
  readonly values: A
  readonly createdAt: Date
  readonly updatedAt: Date
  readonly entries: { readonly [K in keyof A]: EntryInfo }
}

/**
 * Builds a state from plain values, all written now with the given TTL
 * (`undefined`: never expire). Useful in tests.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = <A extends object>(
  values: A,
  options?: { readonly now?: Date | undefined; readonly ttlMillis?: number | undefined }
): State<A> => {
  const now = options?.now ?? new Date()
  const ttl = options?.ttlMillis
  const info: EntryInfo = { writtenAt: now, expiresAt: ttl === undefined ? null : new Date(now.getTime() + ttl) }
  const entries = Object.fromEntries(Object.keys(values).map((key) => [key, info])) as State<A>["entries"]
  return { values, createdAt: now, updatedAt: now, entries }
}

/**
 * Reads one key, failing with `StateKeyMissing` when it is absent and with
 * `StateExpired` when its TTL has passed (by the Effect `Clock`, so
 * `TestClock` drives it in tests).
 *
 * @since 0.1.0
 * @category accessors
 */
export const get = <A, K extends keyof A & string>(
  state: State<A>,
  key: K,
  reader = "(direct read)"
): Effect.Effect<A[K], StateExpired | StateKeyMissing> =>
  Effect.flatMap(Clock.currentTimeMillis, (now): Effect.Effect<A[K], StateExpired | StateKeyMissing> => {
    const info = state.entries[key] as EntryInfo | undefined
    if (info === undefined || !Object.hasOwn(state.values as object, key)) {
      return Effect.fail(new StateKeyMissing({ step: reader, key }))
    }
    if (info.expiresAt !== null && info.expiresAt.getTime() <= now) {
      return Effect.fail(new StateExpired({ step: reader, key, expiredAt: info.expiresAt.getTime() }))
    }
    return Effect.succeed(state.values[key])
  })

/**
 * Whether a key's value has expired at a given time (epoch ms).
 *
 * @since 0.1.0
 * @category guards
 */
export const isExpired = <A>(state: State<A>, key: keyof A, now: number): boolean => {
  const info = state.entries[key] as EntryInfo | undefined
  return info !== undefined && info.expiresAt !== null && info.expiresAt.getTime() <= now
}
