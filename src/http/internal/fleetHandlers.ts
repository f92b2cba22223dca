/**
 * The handlers of the fleet endpoints, over the engine in context.
 *
 * @internal
 */
import { HttpApiBuilder } from "@effect/platform"
import { Effect, Either } from "effect"
import { parseWheres } from "../../internal/fleet/where.js"
import * as Engine from "../../Engine.js"
import * as Api from "../Api.js"

/** The fleet group's handlers. */
export const fleet = HttpApiBuilder.group(Api.Api, "fleet", (handlers) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    return handlers
      .handle("history", ({ path }) => engine.history(path.runId))
      .handle("export", ({ path }) => engine.export(path.runId))
      .handle("cancelMatching", ({ payload }) =>
        Effect.gen(function*() {
          const where = parseWheres(payload.where ?? [])
          if (Either.isLeft(where)) return yield* new Api.BadRequest({ message: `where: ${where.left}` })
          const dryRun = payload.dryRun === true
          if (payload.runIds !== undefined) {
            // the runs a person selected: each cancelled as `cancel` does (one that ended meanwhile is skipped)
            const cancelled: Array<string> = []
            for (const runId of payload.runIds) {
              if (dryRun) continue
              const done = yield* Effect.either(engine.cancel(runId))
              if (Either.isRight(done)) cancelled.push(runId)
            }
            return { dryRun, matched: payload.runIds.length, cancelled }
          }
          const filter = {
            where: where.right.length === 0 ? undefined : where.right,
            runIdPrefix: payload.prefix,
            status: payload.status,
            templateName: payload.template,
            createdAfter: payload.since,
            createdBefore: payload.until
          }
          if (Object.values(filter).every((v) => v === undefined)) {
            return yield* new Api.BadRequest({ message: "give at least one filter (where, prefix, status, template, since, until) or runIds" })
          }
          return yield* engine.cancelMatching(filter, { dryRun })
        }))
      .handle("workers", () => engine.workers)
      .handle("queues", () => engine.queues)
      .handle("metrics", ({ urlParams }) => engine.metrics({ since: urlParams.since, until: urlParams.until }))
  }))
