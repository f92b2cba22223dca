/**
 * Helpers shared by the template tests.
 */
import { expect } from "@effect/vitest"
import { Effect } from "effect"
import { Engine, Step, Template, Testing } from "weftjs"

/**
 * Runs one step alone, expecting it to fail, and returns its error and the
 * number of attempts it made (from the run's trace): `attempts: 1` shows that
 * an error is not retried. Fake time moves by itself, as in `Testing.runStep`.
 */
export const failingAttempts = <Req extends object, Prov extends object, E, R>(
  step: Step.Step<Req, Prov, E, R>,
  input: NoInfer<Req>
) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const runId = `probe:${step.name}`
    // the same casts as Testing.runStep: Template.make cannot check a step whose types are generic
    const probe = Template.make({ name: "probe", version: "1", steps: [step as unknown as Step.Step.Any] })
    const typed = probe as unknown as Template.Template<Req, Prov, E, R>
    const error = yield* Effect.flip(engine.run(typed, input, { runId }))
    const trace = yield* engine.trace(runId)
    return { error, attempts: trace[0]?.attempts ?? 0 }
  }).pipe(Effect.provide(Testing.layer()), Testing.withAutoTime)

/** Narrows an error to the member of its union with this tag, failing the test otherwise. */
export const expectTag = <E extends { readonly _tag: string }, Tag extends E["_tag"]>(
  error: E,
  tag: Tag
): Extract<E, { readonly _tag: Tag }> => {
  expect(error._tag).toBe(tag)
  return error as Extract<E, { readonly _tag: Tag }>
}
