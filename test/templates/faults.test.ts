/**
 * `Testing.faults`: the fault injector the templates' in-memory services use
 * (and any user's fakes may), so that tests exercise retries and timeouts.
 */
import { describe, expect, it } from "@effect/vitest"
import { Data, Effect, Either, Fiber, Ref, TestClock } from "effect"
import { Testing } from "weftjs"

class Unavailable extends Data.TaggedError("Unavailable")<{}> {}
class Rejected extends Data.TaggedError("Rejected")<{}> {}

/** An injector over a call that counts how often its work really ran. */
const setup = (options?: Testing.Faults) =>
  Effect.gen(function*() {
    const work = yield* Ref.make(0)
    const withFaults = yield* Testing.faults(options, () => new Unavailable())
    const call = withFaults(Ref.updateAndGet(work, (n) => n + 1))
    return { call, withFaults, work: Ref.get(work) }
  })

/** Runs `call` `n` times in a row and returns each outcome. */
const times = <A, E>(n: number, call: Effect.Effect<A, E>) =>
  Effect.forEach(Array.from({ length: n }), () => Effect.either(call))

describe("Testing.faults", () => {
  it.effect("without options, every call does its work and returns its result", () =>
    Effect.gen(function*() {
      const { call, work } = yield* setup()
      expect(yield* times(3, call)).toEqual([Either.right(1), Either.right(2), Either.right(3)])
      expect(yield* work).toBe(3)
    }))

  it.effect("unavailableFor: the first n calls fail without doing their work", () =>
    Effect.gen(function*() {
      const { call, work } = yield* setup({ unavailableFor: 2 })
      expect(yield* times(3, call)).toEqual([
        Either.left(new Unavailable()),
        Either.left(new Unavailable()),
        Either.right(1)
      ])
      expect(yield* work).toBe(1)
    }))

  it.effect("lostAcks: the first n calls do their work and fail anyway", () =>
    Effect.gen(function*() {
      const { call, work } = yield* setup({ lostAcks: 2 })
      expect(yield* times(3, call)).toEqual([
        Either.left(new Unavailable()),
        Either.left(new Unavailable()),
        Either.right(3)
      ])
      expect(yield* work).toBe(3)
    }))

  it.effect("a call's own error passes through and loses no reply", () =>
    Effect.gen(function*() {
      const { withFaults } = yield* setup({ lostAcks: 1 })
      expect(yield* Effect.either(withFaults(Effect.fail(new Rejected())))).toEqual(Either.left(new Rejected()))
      expect(yield* Effect.either(withFaults(Effect.succeed("sent")))).toEqual(Either.left(new Unavailable()))
      expect(yield* Effect.either(withFaults(Effect.succeed("sent")))).toEqual(Either.right("sent"))
    }))

  it.effect("the calls of one injector are counted together, whatever they call", () =>
    Effect.gen(function*() {
      const { call, withFaults } = yield* setup({ unavailableFor: 2 })
      expect(yield* Effect.either(withFaults(Effect.succeed("read")))).toEqual(Either.left(new Unavailable()))
      expect(yield* Effect.either(call)).toEqual(Either.left(new Unavailable()))
      expect(yield* Effect.either(withFaults(Effect.succeed("read")))).toEqual(Either.right("read"))
      // another injector has its own count
      const other = yield* setup({ unavailableFor: 1 })
      expect(yield* Effect.either(other.call)).toEqual(Either.left(new Unavailable()))
    }))

  it.effect("latency: every call takes that long first, in fake time", () =>
    Effect.gen(function*() {
      const { call, work } = yield* setup({ latency: "10 seconds" })
      const fiber = yield* Effect.fork(call)
      yield* TestClock.adjust("9 seconds")
      expect(yield* work).toBe(0)
      yield* TestClock.adjust("1 second")
      expect(yield* Fiber.join(fiber)).toBe(1)
      const second = yield* Effect.fork(call)
      yield* TestClock.adjust("10 seconds")
      expect(yield* Fiber.join(second)).toBe(2)
    }))
})
