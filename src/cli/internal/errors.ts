/**
 * The command line's errors and exit codes: {@link CliError} for what the
 * commands refuse themselves, and {@link fromError}, the one mapping of any
 * error to an exit code.
 *
 * @internal
 */
import { Data, Effect, Either } from "effect"
import { Errors } from "../../index.js"
import type { ArgumentError } from "./decode.js"

/**
 * Exit codes: 0 success; 1 a run failed or was cancelled, or the store
 * failed; 2 bad usage or input (nothing was written).
 */
export type ExitCode = 0 | 1 | 2

/** Why a command stops: its message (printed on stderr; `null` when already printed) and exit code. */
export class CliError extends Data.TaggedError("CliError")<{
  readonly text: string | null
  readonly exitCode: 1 | 2
}> {}

/** Bad usage or input: exit code 2. */
export const usage = (text: string) => new CliError({ text, exitCode: 2 })

/** A failure (a failed run, the store): exit code 1. */
export const failure = (text: string | null) => new CliError({ text, exitCode: 1 })

/** An error's message (its tag, or the value as text, when it has none). */
export const messageOf = (error: unknown): string => {
  if (error instanceof Error || (typeof error === "object" && error !== null && "message" in error)) {
    const message = (error as { readonly message: unknown }).message
    if (typeof message === "string" && message !== "") return message
  }
  if (typeof error === "object" && error !== null && "_tag" in error) return String((error as { _tag: unknown })._tag)
  return String(error)
}

/** The `_tag` of an error, if it has one. */
export const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined

/**
 * Any error as a {@link CliError}, its exit code derived from the error's
 * own classification (`Errors.kindOf`): the caller's mistake (`"input"`:
 * nothing was done) exits with 2, a failed run or a failing store with 1.
 * The one place exit codes are decided (`Cli.run` calls it).
 */
export const fromError = (error: unknown): CliError =>
  error instanceof CliError
    ? error
    : new CliError({ text: messageOf(error), exitCode: Errors.kindOf(error) === "input" ? 2 : 1 })

/** An `Either` of a decoder as an Effect failing with exit code 2. */
export const decoded = <A>(either: Either.Either<A, ArgumentError>): Effect.Effect<A, CliError> =>
  Either.match(either, { onLeft: (error) => Effect.fail(usage(error.message)), onRight: Effect.succeed })

