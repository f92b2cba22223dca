/**
 * What every command shares: its errors and exit codes, the project and the
 * engine it runs against, and where it prints.
 *
 * @internal
 */
import { readFileSync } from "node:fs"
import { ConfigError, Console, Context, Data, Effect, Either, Layer } from "effect"
import type { Scope } from "effect"
import { Engine, Template } from "../../index.js"
import * as Project from "../Project.js"
import type { ArgumentError } from "./decode.js"
import { defaultEngine } from "./engine.js"
import { loadYaml } from "./yaml.js"
import { formatFlowError } from "./yaml.js"

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

/** Errors that mean the input was wrong: the command did nothing. */
const inputErrors = new Set([
  "InvalidInput",
  "InvalidSignalPayload",
  "SignalRejected",
  "RunNotFound",
  "InvalidRunId",
  "TemplateNotRegistered",
  "TemplateMismatch",
  "TemplateConflict",
  "RunNotResumable",
  "RunAlreadyActive",
  "InvalidTemplate",
  "ProjectError",
  "ArgumentError"
])

const messageOf = (error: unknown): string => {
  if (error instanceof Error || (typeof error === "object" && error !== null && "message" in error)) {
    const message = (error as { readonly message: unknown }).message
    if (typeof message === "string" && message !== "") return message
  }
  if (typeof error === "object" && error !== null && "_tag" in error) return String((error as { _tag: unknown })._tag)
  return String(error)
}

const tagOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : undefined

/** Any error as a {@link CliError}: weft's input errors exit with 2, the rest with 1. */
export const fromError = (error: unknown): CliError => {
  if (error instanceof CliError) return error
  const tag = tagOf(error)
  // a run id that exists already is the caller's mistake, not the store's
  const duplicate = tag === "PersistenceError" && (error as { readonly reason?: unknown }).reason === "duplicate"
  return new CliError({
    text: messageOf(error),
    exitCode: duplicate || (tag !== undefined && inputErrors.has(tag)) ? 2 : 1
  })
}

/** An `Either` of a decoder as an Effect failing with exit code 2. */
export const decoded = <A>(either: Either.Either<A, ArgumentError>): Effect.Effect<A, CliError> =>
  Either.match(either, { onLeft: (error) => Effect.fail(usage(error.message)), onRight: Effect.succeed })

// ---------------------------------------------------------------------------
// output
// ---------------------------------------------------------------------------

/** `table` (for people) or `json` (the stable contract). */
export type Format = "table" | "json"

/** Prints a line on stdout. */
export const out = (text: string): Effect.Effect<void> => Console.log(text)

/** Prints a line on stderr. */
export const err = (text: string): Effect.Effect<void> => Console.error(text)

/** Where progress goes: stdout for tables, stderr when stdout holds JSON. */
export const progress = (format: Format) => (text: string): Effect.Effect<void> =>
  format === "json" ? err(text) : out(text)

// ---------------------------------------------------------------------------
// project and engine
// ---------------------------------------------------------------------------

/** Loads the project file; any problem is one line and exit code 2. */
export const loadProject = (config: string | undefined): Effect.Effect<Project.Project, CliError> =>
  Project.load({ config }).pipe(Effect.mapError((error) => usage(error.message)))

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
    return yield* yaml.loadFile(file, { steps: project.steps, templates: project.templates }, vars).pipe(
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

/**
 * A template typed for the engine's generic operations: the project's
 * templates are only known at run time, and their services are provided by
 * the project's layer.
 */
export const runnable = (template: Template.Template.Any) =>
  template as unknown as Template.Template<object, object, unknown, never>

/**
 * Runs `body` with the project's engine (its own, or the default one from the
 * settings) and services. With `register`, the project's templates are
 * registered first (to execute runs and decode signals).
 */
export const withEngine = <A, E>(
  project: Project.Project,
  options: { readonly register: boolean },
  body: (engine: Engine.Service) => Effect.Effect<A, E, Scope.Scope>
): Effect.Effect<A, E | CliError> =>
  Effect.scoped(
    Effect.gen(function*() {
      const layer = Layer.merge(project.layer, project.engine ?? defaultEngine)
      const context = yield* Layer.build(layer).pipe(
        Effect.mapError((error) =>
          ConfigError.isConfigError(error)
            ? usage(`bad settings: ${String(error).replace(/^\((.*)\)$/, "$1")}`)
            : failure(`cannot start the engine: ${messageOf(error)}`)
        )
      )
      const engine = Context.get(context, Engine.Engine)
      if (options.register) {
        // registered with the project's services: the engine executes the runs with them
        for (const template of project.templates) {
          yield* Effect.mapError(Effect.provide(engine.register(runnable(template)), context), fromError)
        }
      }
      return yield* Effect.provide(body(engine), context)
    })
  )

/** The template a stored run was started with, from the project. */
export const templateOfRun = (project: Project.Project, engine: Engine.Service, runId: string) =>
  Effect.gen(function*() {
    const record = yield* Effect.mapError(engine.status(runId), fromError)
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
