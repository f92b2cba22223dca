/**
 * The commands that look at the fleet: `history` (a run's full history).
 *
 * @internal
 */
import { Effect } from "effect"
import { Engine, History } from "../../../index.js"
import { command } from "../context.js"
import { runIdArg } from "../options.js"

export const historyCommand = command("history", { runId: runIdArg }, {
  engine: "read",
  description:
    "Show everything that happened to a run, in order: created, claims (by which engine, generation), steps with " +
    "attempts and outcome, signals with payloads, waits, wake-ups, hand-backs, recoveries, cancellation, its end."
}, (args) =>
  Effect.gen(function*() {
    const history = yield* (yield* Engine.Engine).history(args.runId)
    return {
      _tag: "Lines",
      json: history,
      lines: [`run ${history.runId} (${history.status})`, ...history.entries.map(History.format)]
    } as const
  }))
