/**
 * What every command shares: the root options (`--config`, `--format`,
 * `--verbose`), the context the commands run in (the project, its engine,
 * where they print), their errors and exit codes.
 *
 * A subcommand is built with {@link command}: its handler `yield*`s what it
 * needs (`CurrentProject`, `Engine.Engine`, `CliContext`) and returns a
 * {@link View}, which the one renderer (`output.ts`) prints by format.
 *
 * @internal
 */
import { readFileSync } from "node:fs"
import { Command, Options } from "@effect/cli"
import { ConfigError, Console, Context, Effect, Layer, type Option, type Types } from "effect"
import { Engine, Template } from "../../index.js"
import * as Project from "../Project.js"
import { defaultEngine } from "./engine.js"
import { CliError, failure, messageOf, usage } from "./errors.js"
import type { Format, View } from "./render.js"
import { print, viewFailure } from "./render.js"
import { formatFlowError, loadYaml } from "./yaml.js"

// ---------------------------------------------------------------------------
// the root options and the context
// ---------------------------------------------------------------------------

/** The options of the root `weft` command (given before or after the subcommand's name). */
export const rootOptions = {
  config: Options.text("config").pipe(
    Options.withAlias("c"),
    Options.withDescription("The project file (default: weft.config.ts in the working directory)."),
    Options.optional
  ),
  format: Options.choice("format", ["table", "json"]).pipe(
    Options.withDescription("Output: a table for people, or JSON (the stable contract)."),
    Options.withDefault("table" as const)
  ),
  verbose: Options.boolean("verbose").pipe(
    Options.withAlias("v"),
    Options.withDescription("Say on stderr which store the command uses.")
  )
}

/** The root options that take a value, and those that do not: what `Cli.run` moves before the subcommand. */
export const rootFlags = { withValue: ["--config", "-c", "--format"], alone: ["--verbose", "-v"] } as const

/** What every subcommand runs with: the root options' values. */
export class CliContext extends Context.Tag("weftjs/cli/CliContext")<CliContext, {
  readonly config: string | undefined
  readonly format: Format
  readonly verbose: boolean
}>() {}

/** The project of the command line (`--config`), loaded once. */
export class CurrentProject extends Context.Tag("weftjs/cli/CurrentProject")<CurrentProject, Project.Project>() {}

/**
 * The console the commands print with, when `Cli.run` gave `@effect/cli`
 * another one (to prefix and strip its own messages): `undefined` keeps
 * the current console.
 */
export class CommandConsole extends Context.Reference<CommandConsole>()("weftjs/cli/CommandConsole", {
  defaultValue: (): Console.Console | undefined => undefined
}) {}

/** The layer the root command provides to every subcommand, from its options. */
export const contextLayer = (options: {
  readonly config: Option.Option<string>
  readonly format: Format
  readonly verbose: boolean
}): Layer.Layer<CliContext> =>
  Layer.succeed(CliContext, {
    config: options.config._tag === "Some" ? options.config.value : undefined,
    format: options.format,
    verbose: options.verbose
  })

/** The project file, loaded; any problem is one line and exit code 2. */
const projectLayer: Layer.Layer<CurrentProject, CliError, CliContext> = Layer.effect(
  CurrentProject,
  Effect.flatMap(
    CliContext,
    ({ config }) => Project.load({ config }).pipe(Effect.mapError((error) => usage(error.message)))
  )
)

/**
 * A template typed for the engine's generic operations: the project's
 * templates are only known at run time, and their services are provided by
 * the project's layer.
 */
export const runnable = (template: Template.Template.Any) =>
  template as unknown as Template.Template<object, object, unknown, never>

/** How a subcommand uses the engine. */
export type EngineUse =
  /** It only reads runs: a SQLite file that does not exist is refused, not created. */
  | "read"
  /** It writes runs it does not execute (start, cancel, gc). */
  | "write"
  /** It executes runs here: the project's templates are registered first, with its services. */
  | "execute"

/**
 * The project's engine (its own, or the default one from the settings) and
 * the project's services, as a layer; with `execute`, the project's
 * templates registered.
 */
const engineLayer = (use: EngineUse) =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const project = yield* CurrentProject
    const { verbose } = yield* CliContext
    if (project.engine !== undefined && verbose) yield* Console.error(`weft: store: the engine of ${project.file}`)
    const engine = project.engine ?? defaultEngine({ readOnly: use === "read", verbose })
    const context = yield* Layer.build(Layer.merge(project.layer, engine)).pipe(
      Effect.mapError((error) =>
        error instanceof CliError
          ? error
          : ConfigError.isConfigError(error)
          ? usage(`bad settings: ${String(error).replace(/^\((.*)\)$/, "$1")}`)
          : failure(`cannot start the engine: ${messageOf(error)}`)
      )
    )
    if (use === "execute") {
      const service = Context.get(context, Engine.Engine)
      // registered with the project's services: the engine executes the runs with them
      for (const template of project.templates) {
        yield* Effect.provide(service.register(runnable(template)), context)
      }
    }
    return Layer.succeedContext(context)
  }))

/** Prints what a command returned by the root `--format`; a failed run (or flow) then sets the exit code. */
const render = (view: View): Effect.Effect<void, CliError, CliContext> =>
  Effect.gen(function*() {
    const { format } = yield* CliContext
    yield* print(view, format)
    const failed = viewFailure(view)
    if (failed !== undefined) return yield* new CliError(failed)
  })

/** A subcommand's options and arguments. */
type Config = Command.Command.Config

/** What a subcommand's handler is given: its options and arguments, parsed. */
type Parsed<C extends Config> = Types.Simplify<Command.Command.ParseConfig<C>>

/**
 * A subcommand: its handler runs with the project (`CurrentProject`), the
 * root options (`CliContext`) and, with `engine`, the project's engine and
 * services; the {@link View} it returns is printed by format.
 */
export const command = <Name extends string, const C extends Config, R, E>(
  name: Name,
  config: C,
  options: { readonly engine?: EngineUse | undefined; readonly description: string },
  handler: (args: Parsed<C>) => Effect.Effect<View, E, R>
): Command.Command<Name, Exclude<Exclude<R, Engine.Engine>, CurrentProject> | CliContext, E | CliError, Parsed<C>> => {
  const base = Command.make(name, config, (args: Parsed<C>) => Effect.flatMap(handler(args), render)).pipe(
    Command.withDescription(options.description)
  )
  // without an engine, the handler does not ask for one (its type says so)
  const provided = (options.engine === undefined ? base : Command.provide(base, engineLayer(options.engine))) as Command.Command<
    Name,
    Exclude<R, Engine.Engine> | CliContext | CurrentProject,
    E | CliError,
    Parsed<C>
  >
  return Command.provide(provided, projectLayer)
}

// ---------------------------------------------------------------------------
// templates and files
// ---------------------------------------------------------------------------

const labelOf = (template: Template.Template.Any) => Template.label(template)

/** A template of the project by `name` or `name@version`; an unknown one is exit code 2 naming the known ones. */
export const findTemplate = (project: Project.Project, ref: string): Effect.Effect<Template.Template.Any, CliError> => {
  const found = Project.find(project, ref)
  if (found !== undefined) return Effect.succeed(found)
  const versions = project.templates.filter((t) => t.name === ref)
  if (versions.length > 1) {
    return Effect.fail(usage(`template "${ref}" has several versions (${versions.map(labelOf).join(", ")}): give one as name@version`))
  }
  const known = project.templates.map(labelOf)
  return Effect.fail(usage(
    `unknown template "${ref}": ${known.length === 0 ? "the project has no templates" : `the project has ${known.join(", ")}`}`
  ))
}

/** Whether an argument names a YAML flow file rather than a template. */
export const isFlowFile = (ref: string) => /\.ya?ml$/i.test(ref)

/** Loads a YAML flow over the project's registry; its errors, one per line, exit with code 2. */
export const loadFlow = (
  project: Project.Project,
  file: string,
  vars: Readonly<Record<string, string>>
): Effect.Effect<Template.Template.Any, CliError> =>
  Effect.gen(function*() {
    const yaml = yield* Effect.mapError(loadYaml, usage)
    return yield* yaml.loadFile(file, { steps: project.steps, templates: project.templates, builtins: project.builtins }, vars).pipe(
      Effect.mapError((errors) => usage(errors.map(formatFlowError).join("\n")))
    )
  })

/** A template given on the command line: a flow file (`*.yaml`) or a project template. */
export const resolveTemplate = (
  project: Project.Project,
  ref: string,
  vars: Readonly<Record<string, string>>
): Effect.Effect<Template.Template.Any, CliError> =>
  isFlowFile(ref)
    ? loadFlow(project, ref, vars)
    : Object.keys(vars).length > 0
    ? Effect.fail(usage(`--var applies to YAML flows (a *.yaml file), not to template "${ref}"`))
    : findTemplate(project, ref)

/** Reads a file given on the command line; a missing file is exit code 2. */
export const readText = (path: string, option: string): Effect.Effect<string, CliError> =>
  Effect.try({
    try: () => readFileSync(path, "utf8"),
    catch: (error) => usage(`${option}: cannot read ${path}: ${messageOf(error)}`)
  })

/** The template a stored run was started with, from the project. */
export const templateOfRun = (runId: string) =>
  Effect.gen(function*() {
    const project = yield* CurrentProject
    const engine = yield* Engine.Engine
    const record = yield* engine.status(runId)
    const label = `${record.templateName}@${record.templateVersion}`
    const template = project.templates.find((t) => `${t.name}@${t.version}` === label)
    if (template === undefined) {
      return yield* usage(
        `run ${runId} is a run of ${label}, which this project does not have` +
          (project.templates.some((t) => t.name === record.templateName)
            ? ` (it has ${project.templates.filter((t) => t.name === record.templateName).map((t) => `${t.name}@${t.version}`).join(", ")})`
            : "")
      )
    }
    return { record, template }
  })
