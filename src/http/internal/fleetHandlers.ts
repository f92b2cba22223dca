/**
 * The handlers of the fleet endpoints, over the engine in context.
 *
 * @internal
 */
import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import * as Engine from "../../Engine.js"
import * as Api from "../Api.js"

/** The fleet group's handlers. */
export const fleet = HttpApiBuilder.group(Api.Api, "fleet", (handlers) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    return handlers
      .handle("history", ({ path }) => engine.history(path.runId))
      .handle("workers", () => engine.workers)
      .handle("queues", () => engine.queues)
      .handle("metrics", ({ urlParams }) => engine.metrics({ since: urlParams.since, until: urlParams.until }))
  }))
