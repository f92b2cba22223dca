/**
 * Helpers of the YAML tests: steps made in one line, flows written as lines,
 * and the errors of a load as `line:column message` strings.
 */
import { expect } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import { Step, Template } from "weftjs"
import { Yaml } from "weftjs/yaml"

/** A step reading `requires` and writing `provides`; `run` computes the output (default: `output`). */
export const step = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF,
  run: (input: Step.Slice<RF>) => Step.Slice<PF> = () => ({}) as Step.Slice<PF>,
  options?: { readonly onError?: "skip" | undefined }
): Step.Step.Any =>
  Step.make({
    name,
    requires,
    provides,
    run: (input) => Effect.succeed(run(input)),
    ...(options?.onError === undefined ? {} : { onError: options.onError })
  }) as unknown as Step.Step.Any

/** A one-step template. */
export const part = <const RF extends Schema.Struct.Fields, const PF extends Schema.Struct.Fields>(
  name: string,
  requires: RF,
  provides: PF,
  run?: (input: Step.Slice<RF>) => Step.Slice<PF>
): Template.Template.Any =>
  Template.make({ name, version: "1", steps: [step(name, requires, provides, run)] as never }) as unknown as Template.Template.Any

/** A template loaded some other way, typed as a loaded flow (records in, records out) for running it. */
export const loose = (template: Template.Template.Any): Yaml.Flow => template as unknown as Yaml.Flow

/** A flow's text from its lines. */
export const flow = (...lines: ReadonlyArray<string>): string => `${lines.join("\n")}\n`

/** Loads a flow that must load. */
export const load = (source: string, registry: Yaml.Registry, vars?: Readonly<Record<string, string>>): Yaml.Flow => {
  const result = Effect.runSync(Effect.either(Yaml.load(source, { file: "flow.yaml", registry, vars })))
  if (Either.isLeft(result)) throw new Error(`expected the flow to load, got:\n${result.left.message}`)
  return result.right
}

/** The errors of a flow that must not load, as `line:column message`. */
export const errorsOf = (source: string, registry: Yaml.Registry, vars?: Readonly<Record<string, string>>): ReadonlyArray<string> => {
  const result = Effect.runSync(Effect.either(Yaml.load(source, { file: "flow.yaml", registry, vars })))
  if (Either.isRight(result)) throw new Error("expected the flow to be refused, but it loaded")
  for (const error of result.left.errors) expect(error.file).toBe("flow.yaml")
  return result.left.errors.map((e) => `${e.line}:${e.column} ${e.message}`)
}

/** Asserts the exact errors: one pattern per error, in order, each `line:column` then a part of the message. */
export const expectErrors = (
  errors: ReadonlyArray<string>,
  expected: ReadonlyArray<readonly [position: string, message: string | RegExp]>
): void => {
  const shown = errors.join("\n")
  expect(errors.length, shown).toBe(expected.length)
  expected.forEach(([position, message], i) => {
    const error = errors[i]!
    expect(error.startsWith(`${position} `), `error ${i + 1} at ${position}:\n${shown}`).toBe(true)
    if (typeof message === "string") expect(error, shown).toContain(message)
    else expect(error, shown).toMatch(message)
  })
}
