/**
 * The `weft` command (built on `@effect/cli`): run, inspect and operate the
 * runs of a project's templates from a terminal. Every read command prints
 * a table by default and JSON with `--format json` (the stable contract);
 * `--help` works everywhere. Exit codes: 0 success, 1 a run failed (or was
 * cancelled) or the store failed, 2 bad usage or input (nothing written).
 *
 * Embed it in another program with {@link command} and {@link run}, or start
 * it with {@link main} (what the `weft` bin does).
 *
 * @example
 * ```ts
 * import { NodeContext } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { Cli } from "weftjs/cli"
 *
 * // the exit code of `weft templates --format json`
 * const code = Cli.run(["node", "weft", "templates", "--format", "json"]).pipe(
 *   Effect.provide(NodeContext.layer)
 * )
 * ```
 *
 * @since 0.2.0
 */
import { CliConfig, Command, HelpDoc, ValidationError } from "@effect/cli"
import type { CliApp } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Console, Effect, Exit } from "effect"
import { gcCommand, listCommand, resultCommand, statusCommand, traceCommand, watchCommand } from "./internal/commands/inspect.js"
import { graphCommand, schemaCommand, templatesCommand, validateCommand } from "./internal/commands/project.js"
import { cancelCommand, resumeCommand, runCommand, signalCommand, startCommand } from "./internal/commands/runs.js"
import { serveCommand, stopsGracefully, workerCommand } from "./internal/commands/serve.js"
import { err, fromError } from "./internal/context.js"

/**
 * The version `weft --version` prints.
 *
 * @since 0.2.0
 * @category constants
 */
export const version = "0.2.0"

const subcommands = [
  templatesCommand,
  graphCommand,
  runCommand,
  startCommand,
  resumeCommand,
  signalCommand,
  cancelCommand,
  listCommand,
  statusCommand,
  traceCommand,
  resultCommand,
  watchCommand,
  gcCommand,
  validateCommand,
  schemaCommand,
  serveCommand,
  workerCommand
] as const

const description = "Run, inspect and operate the workflow runs of a weft project (weft.config.ts)."

/** The same command without a handler of its own: what its help is made of. */
const shape = Command.make("weft").pipe(Command.withDescription(description), Command.withSubcommands(subcommands))

/**
 * The root `weft` command with every subcommand: give it to `Command.run`,
 * or add it as a subcommand of your own command line. Without a subcommand
 * it prints its help.
 *
 * @since 0.2.0
 * @category constructors
 */
export const command = Command.make(
  "weft",
  {},
  () => Console.log(HelpDoc.toAnsiText(Command.getHelp(shape, CliConfig.defaultConfig)))
).pipe(Command.withDescription(description), Command.withSubcommands(subcommands))

const cli = Command.run(command, { name: "weft", version })

/**
 * Runs the `weft` command on `argv` (as `process.argv`: the first two entries
 * are skipped) and succeeds with its exit code: 0 success, 1 a run failed or
 * the store failed, 2 bad usage or input. Errors are printed on stderr.
 *
 * @since 0.2.0
 * @category running
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  cli(argv).pipe(
    Effect.as(0),
    Effect.catchAll((error) =>
      ValidationError.isValidationError(error)
        ? Effect.succeed(2)
        : Effect.gen(function*() {
          const cliError = fromError(error)
          if (cliError.text !== null) yield* err(`weft: ${cliError.text}`)
          return cliError.exitCode
        })
    ),
    Effect.catchAllDefect((defect) =>
      Effect.as(err(`weft: unexpected error: ${defect instanceof Error ? defect.stack ?? defect.message : String(defect)}`), 1)
    )
  )

/**
 * Runs the `weft` command on `process.argv` in Node.js and exits with its
 * exit code (130 when interrupted by Ctrl-C).
 *
 * @since 0.2.0
 * @category running
 */
export const main = (argv: ReadonlyArray<string> = process.argv): void =>
  NodeRuntime.runMain(run(argv).pipe(Effect.provide(NodeContext.layer)), {
    disableErrorReporting: true,
    teardown: (exit, onExit) =>
      onExit(Exit.isSuccess(exit) ? Number(exit.value) : Exit.isInterrupted(exit) ? (stopsGracefully() ? 0 : 130) : 1)
  })
