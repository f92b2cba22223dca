/**
 * Type-level contract of run control: what `pause` and `unpause` succeed
 * and fail with, `paused` among the statuses (active, not final), and the
 * shape of a rate limit and a priority.
 *
 * Every `@ts-expect-error` is preceded by a passing twin.
 */
import type { Effect } from "effect"
import { describe, expectTypeOf, it } from "vitest"
import type { Engine, Errors, RunStatus } from "weftjs"
import { Worker } from "weftjs"

describe("run control types", () => {
  it("pause and unpause say what happened, with their typed errors", () => {
    type Pause = ReturnType<Engine.Service["pause"]>
    expectTypeOf<Effect.Effect.Success<Pause>>().toEqualTypeOf<"paused" | "pausing">()
    expectTypeOf<Extract<Effect.Effect.Error<Pause>, Errors.RunNotPausable>>().toEqualTypeOf<Errors.RunNotPausable>()
    type Unpause = ReturnType<Engine.Service["unpause"]>
    expectTypeOf<Effect.Effect.Success<Unpause>>().toEqualTypeOf<"queued" | "running" | "suspended">()
    expectTypeOf<Extract<Effect.Effect.Error<Unpause>, Errors.RunNotPaused>>().toEqualTypeOf<Errors.RunNotPaused>()
  })

  it("paused is an active status, not a final one", () => {
    expectTypeOf<"paused">().toMatchTypeOf<RunStatus.Active>()
    expectTypeOf<"paused">().toMatchTypeOf<RunStatus.RunStatus>()
    // @ts-expect-error paused is not final
    expectTypeOf<"paused">().toMatchTypeOf<RunStatus.Final>()
  })

  it("a rate limit is a number of starts per duration; a priority is a number", () => {
    Worker.layer({ queues: { emails: 2 }, rateLimits: { emails: { limit: 10, period: "1 second" } } })
    // @ts-expect-error a limit is a number
    Worker.layer({ queues: { emails: 2 }, rateLimits: { emails: { limit: "10", period: "1 second" } } })
    expectTypeOf<Engine.RunOptions["priority"]>().toEqualTypeOf<number | undefined>()
  })
})
