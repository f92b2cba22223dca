/**
 * The options and arguments several commands share, and how the values of
 * some of them are read (the run's input, its timeout).
 *
 * @internal
 */
import { Args, Options } from "@effect/cli"
import { Duration, Effect, Option } from "effect"
import { readText } from "./context.js"
import { decoded, usage } from "./errors.js"
import { parseDuration, parseJsonObject } from "./decode.js"

export const runIdArg = Args.text({ name: "run-id" }).pipe(Args.withDescription("The run's id."))

export const templateArg = Args.text({ name: "template" }).pipe(
  Args.withDescription("A template of the project (name or name@version), or a YAML flow file (*.yaml).")
)

export const inputOption = Options.text("input").pipe(
  Options.withAlias("i"),
  Options.withDescription("The run's input: a JSON object, one field per key the template requires."),
  Options.optional
)

export const inputFileOption = Options.text("input-file").pipe(
  Options.withDescription("A file holding the run's input (a JSON object)."),
  Options.optional
)

export const varOption = Options.text("var").pipe(
  Options.withDescription("A variable of a YAML flow, as key=value (repeatable)."),
  Options.repeated
)

export const timeoutOption = Options.text("timeout").pipe(
  Options.withDescription("The whole run's timeout (90s, 15m, 1h; default: the workflowTimeout setting)."),
  Options.optional
)

export const runIdOption = Options.text("run-id").pipe(
  Options.withDescription("The new run's id (default: a random UUID)."),
  Options.optional
)

/** An optional option's value, `undefined` when it is not given. */
export const or = <A>(option: Option.Option<A>): A | undefined => Option.getOrUndefined(option)

/** The input of `run` / `start`: `--input`, `--input-file`, or `{}`. */
export const readInput = (input: Option.Option<string>, file: Option.Option<string>) =>
  Effect.gen(function*() {
    if (Option.isSome(input) && Option.isSome(file)) return yield* usage("give --input or --input-file, not both")
    if (Option.isSome(input)) return yield* decoded(parseJsonObject(input.value, "--input"))
    if (Option.isSome(file)) {
      const text = yield* readText(file.value, "--input-file")
      return yield* decoded(parseJsonObject(text, `--input-file ${file.value}`))
    }
    return {}
  })

/** `--timeout`, as a duration (`undefined` when not given). */
export const readTimeout = (timeout: Option.Option<string>) =>
  Option.isNone(timeout)
    ? Effect.succeed(undefined)
    : Effect.map(decoded(parseDuration(timeout.value, "--timeout")), (ms) => Duration.millis(ms))
