/**
 * The steps in flight of the runs the server's engine executes, kept from
 * its events for as long as the server runs: a run's event stream opened
 * while a step runs starts with that step's last `StepStarted` (or
 * `StepRetried`), so that a page opened in the middle of a long step shows
 * it at once, not at the next event.
 *
 * @internal
 */
import { Effect, Stream } from "effect"
import type { Scope } from "effect"
import type * as Engine from "../../Engine.js"
import type { Event } from "../../Event.js"

/** What the server knows of the steps in flight. */
export interface InFlight {
  /** The last start (or retry) event of each step in flight of the runs `concerns` selects. */
  readonly of: (concerns: (runId: string) => boolean) => ReadonlyArray<Event>
}

/** Follows the engine's events until the scope closes. */
export const follow = (engine: Engine.Service): Effect.Effect<InFlight, never, Scope.Scope> =>
  Effect.gen(function*() {
    const runs = new Map<string, Map<string, Event>>()
    const apply = (event: Event): void => {
      switch (event._tag) {
        case "StepStarted":
        case "StepRetried": {
          const steps = runs.get(event.runId) ?? new Map<string, Event>()
          steps.set(event.step, event)
          runs.set(event.runId, steps)
          return
        }
        case "StepCompleted":
        case "StepFailed": {
          const steps = runs.get(event.runId)
          steps?.delete(event.step)
          if (steps?.size === 0) runs.delete(event.runId)
          return
        }
        case "RunStarted":
        case "RunResumed":
        case "RunCompleted":
        case "RunFailed":
        case "RunCancelled":
        case "RunSuspended":
        case "RunPaused":
          runs.delete(event.runId)
          return
        default:
          return
      }
    }
    const events = yield* engine.subscribe
    yield* Effect.forkScoped(Stream.runForEach(events, (event) => Effect.sync(() => apply(event))))
    return {
      of: (concerns) => [...runs].flatMap(([runId, steps]) => (concerns(runId) ? [...steps.values()] : []))
    }
  })
