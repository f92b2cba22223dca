/**
 * Running templates: `Workflow.run(template, input)` is an Effect that
 * validates the input against the template's Schemas, runs every step with
 * its policy, checkpoints after each through the engine's `SnapshotStore`,
 * and succeeds with the final typed state and the trace.
 *
 * It needs an `Engine` in context: `Engine.layerMemory` in tests,
 * `SqlSnapshotStore`'s layers for durable runs.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { Engine, Step, Template, Workflow } from "weftjs"
 *
 * const greet = Template.make({ name: "greet", version: "1", steps: [Step.make({
 *   name: "greet", requires: { who: Schema.String }, provides: { greeting: Schema.String },
 *   run: ({ who }) => Effect.succeed({ greeting: `hello ${who}` })
 * })] })
 *
 * const program = Workflow.run(greet, { who: "world" }).pipe(
 *   Effect.map((result) => result.state.greeting),
 *   Effect.provide(Engine.layerMemory)
 * )
 * ```
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { RunAlreadyActive, RunError } from "./Errors.js"
import type { ResumeError, RunOptions, RunResult } from "./Engine.js"
import { Engine } from "./Engine.js"
import type * as Template from "./Template.js"

/**
 * Runs a template to the end with the engine in context.
 *
 * @since 0.1.0
 * @category running
 */
export const run = <Req extends object, Prov extends object, E, R>(
  template: Template.Template<Req, Prov, E, R>,
  input: NoInfer<Req>,
  options?: RunOptions
): Effect.Effect<
  RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>,
  E | RunError | RunAlreadyActive,
  R | Engine
> => Effect.flatMap(Engine, (engine) => engine.run(template, input, options))

/**
 * Resumes a stored run with the engine in context.
 *
 * @since 0.1.0
 * @category running
 */
export const resume = <Req extends object, Prov extends object, E, R>(
  template: Template.Template<Req, Prov, E, R>,
  runId: string,
  options?: Omit<RunOptions, "runId">
): Effect.Effect<
  RunResult<Template.FinalState<Template.Template<Req, Prov, E, R>>>,
  E | RunError | ResumeError,
  R | Engine
> => Effect.flatMap(Engine, (engine) => engine.resume(template, runId, options))
