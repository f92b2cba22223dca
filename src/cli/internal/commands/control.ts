/**
 * The commands of run control: `pause` (a run is not executed until
 * unpaused; an executing one stops at its next checkpoint) and `unpause`.
 *
 * @internal
 */
import { Effect } from "effect"
import { Engine } from "../../../index.js"
import { command } from "../context.js"
import { runIdArg } from "../options.js"
import { runJson } from "../output.js"

export const pauseCommand = command("pause", { runId: runIdArg }, {
  engine: "write",
  description: "Pause a run: no worker executes it until weft unpause. A queued or suspended run is paused at once " +
    "(a signal sent meanwhile is recorded); an executing one finishes its step in flight and stops at its next checkpoint."
}, (args) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const outcome = yield* engine.pause(args.runId)
    return { _tag: "Paused", run: runJson(yield* engine.status(args.runId)), pausing: outcome === "pausing" } as const
  }))

export const unpauseCommand = command("unpause", { runId: runIdArg }, {
  engine: "write",
  description: "Unpause a paused run: it returns to what it was (queued, suspended with its deadline, or ready for a " +
    "worker), and a deadline that passed meanwhile applies at once."
}, (args) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    yield* engine.unpause(args.runId)
    return { _tag: "Unpaused", run: runJson(yield* engine.status(args.runId)) } as const
  }))
