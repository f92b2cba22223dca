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
import { cancelAllCommand, exportCommand } from "./internal/commands/bulk.js"
import { historyCommand, queuesCommand, statsCommand, workersCommand } from "./internal/commands/fleet.js"
import { gcCommand, listCommand, resultCommand, statusCommand, traceCommand, watchCommand } from "./internal/commands/inspect.js"
import { graphCommand, schemaCommand, templatesCommand, validateCommand } from "./internal/commands/project.js"
import { pauseCommand, unpauseCommand } from "./internal/commands/control.js"
import { cancelCommand, resumeCommand, runCommand, signalCommand, startCommand } from "./internal/commands/runs.js"
import { serveCommand, stopsGracefully, workerCommand } from "./internal/commands/serve.js"
import { schedulesCommand, triggersCommand } from "./internal/commands/triggers.js"
import { forkCommand, migrateCommand, rerunCommand, stateCommand } from "./internal/commands/versions.js"
import { CommandConsole, contextLayer, rootFlags, rootOptions } from "./internal/context.js"
import { fromError } from "./internal/errors.js"

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
  pauseCommand,
  unpauseCommand,
  listCommand,
  statusCommand,
  traceCommand,
  historyCommand,
  resultCommand,
  watchCommand,
  gcCommand,
  stateCommand,
  rerunCommand,
  forkCommand,
  migrateCommand,
  validateCommand,
  schemaCommand,
  serveCommand,
  workerCommand,
  schedulesCommand,
  triggersCommand,
  workersCommand,
  queuesCommand,
  statsCommand,
  cancelAllCommand,
  exportCommand
] as const

/** The subcommands' names: where the root options end. */
const names: ReadonlySet<string> = new Set(
  subcommands.flatMap((c) => Array.from(Command.getNames(c as unknown as Command.Command<string, never, never, unknown>)))
)

const description = "Run, inspect and operate the workflow runs of a weft project (weft.config.ts)."

/** The same command without a handler of its own: what its help is made of. */
const shape = Command.make("weft", rootOptions).pipe(Command.withDescription(description), Command.withSubcommands(subcommands))

/** ANSI escape sequences (colours, styles). */
const ansi = /\u001b\[[0-9;]*[A-Za-z]/g

/** Whether the output may have colours: stdout is a terminal and `NO_COLOR` is not set. */
const colours = (): boolean =>
  process.stdout.isTTY === true && (process.env["NO_COLOR"] === undefined || process.env["NO_COLOR"] === "")

/** A text without its colours, unless they may be shown. */
const plain = (text: string): string => colours() ? text : text.replace(ansi, "")

/**
 * The root `weft` command with every subcommand: give it to `Command.run`,
 * or add it as a subcommand of your own command line. Its options
 * (`--config`, `--format`, `--verbose`) are given to every subcommand;
 * without a subcommand it prints its help.
 *
 * @since 0.2.0
 * @category constructors
 */
export const command = Command.provide(
  Command.make(
    "weft",
    rootOptions,
    () => Console.log(plain(HelpDoc.toAnsiText(Command.getHelp(shape, CliConfig.defaultConfig))))
  ).pipe(
    Command.withDescription(description),
    Command.withSubcommands(subcommands),
    // the commands print with the console they were given, not the one @effect/cli's own messages go through
    Command.transformHandler((effect) =>
      Effect.flatMap(CommandConsole, (console) => console === undefined ? effect : Effect.withConsole(effect, console))
    )
  ),
  contextLayer
)

const cli = Command.run(command, { name: "weft", version })

const withValue: ReadonlyArray<string> = rootFlags.withValue
const alone: ReadonlyArray<string> = rootFlags.alone

/**
 * The arguments with the root options (`--config x`, `--format json`,
 * `--verbose`) given after the subcommand's name moved before it, where
 * `@effect/cli` reads a parent command's options: `weft list --format json`
 * is `weft --format json list`. After `--`, nothing is moved.
 */
const hoistRootOptions = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const at = args.findIndex((arg) => names.has(arg))
  if (at < 0) return args
  const root: Array<string> = []
  const rest: Array<string> = []
  for (let i = at + 1; i < args.length; i++) {
    const arg = args[i]!
    if (arg === "--") {
      rest.push(...args.slice(i))
      break
    }
    const flag = arg.split("=", 1)[0]!
    if (withValue.includes(arg) && i + 1 < args.length) {
      root.push(arg, args[++i]!)
    } else if (flag !== arg && withValue.includes(flag)) {
      root.push(arg)
    } else if (alone.includes(arg)) {
      root.push(arg)
    } else {
      rest.push(arg)
    }
  }
  return [...args.slice(0, at), ...root, args[at]!, ...rest]
}

/**
 * The console `@effect/cli` prints its own messages with: usage errors on
 * stderr prefixed `weft: ` as every other error, help without colours
 * unless stdout is a terminal (and `NO_COLOR` is not set).
 */
const cliConsole = (console: Console.Console): Console.Console => ({
  ...console,
  log: (...args) => console.log(...args.map((arg) => typeof arg === "string" ? plain(arg) : arg)),
  error: (...args) => {
    const text = args.map((arg) => plain(String(arg))).join(" ").trim()
    return text === "" ? Effect.void : console.error(text.startsWith("weft: ") ? text : `weft: ${text}`)
  }
})

/**
 * Runs the `weft` command on `argv` (as `process.argv`: the first two entries
 * are skipped) and succeeds with its exit code: 0 success, 1 a run failed or
 * the store failed, 2 bad usage or input. Errors are printed on stderr; this
 * is the one place errors become exit codes.
 *
 * @since 0.2.0
 * @category running
 */
export const run = (argv: ReadonlyArray<string>): Effect.Effect<number, never, CliApp.CliApp.Environment> =>
  Effect.gen(function*() {
    const console = yield* Effect.console
    return yield* cli([...argv.slice(0, 2), ...hoistRootOptions(argv.slice(2))]).pipe(
      Effect.withConsole(cliConsole(console)),
      Effect.provideService(CommandConsole, console),
      Effect.as(0),
      Effect.catchAll((error) =>
        ValidationError.isValidationError(error)
          ? Effect.succeed(2)
          : Effect.gen(function*() {
            const cliError = fromError(error)
            if (cliError.text !== null) yield* console.error(`weft: ${cliError.text}`)
            return cliError.exitCode
          })
      ),
      Effect.catchAllDefect((defect) =>
        Effect.as(
          console.error(`weft: unexpected error: ${defect instanceof Error ? defect.stack ?? defect.message : String(defect)}`),
          1
        )
      )
    )
  })

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
