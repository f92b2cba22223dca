/**
 * The command line's door to `weftjs/yaml`, loaded only when a command
 * needs it (a project with flows, `weft validate`, `weft schema`, a
 * `flow.yaml` given to `weft run` or `weft graph`). Errors come out as
 * positioned lines: `file:line:column: message`.
 *
 * @internal
 */
import { Effect } from "effect"
import type { Step, Template } from "../../index.js"

/** What YAML flows may use. */
export interface Registry {
  readonly steps: Readonly<Record<string, Step.Step.Any | Template.Template.Any>>
  readonly templates?: ReadonlyArray<Template.Template.Any> | undefined
  /** What built-in steps may do (the project file's `yaml:`, resolved). */
  readonly builtins?: Builtins | undefined
}

/** What built-in steps may do: the programs they may run, the folder for files, the project's folder. */
export interface Builtins {
  readonly commands?: ReadonlyArray<string> | undefined
  readonly files?: string | undefined
  readonly env?: ReadonlyArray<string> | undefined
  readonly dir?: string | undefined
}

/** One error of a flow file, with its position (`null` when the error has none). */
export interface FlowError {
  readonly file: string
  readonly line: number | null
  readonly column: number | null
  readonly message: string
}

/** The part of `weftjs/yaml` the command line uses, with errors as {@link FlowError}s. */
export interface YamlApi {
  readonly loadFile: (
    file: string,
    registry: Registry,
    vars?: Readonly<Record<string, string>> | undefined
  ) => Effect.Effect<Template.Template.Any, ReadonlyArray<FlowError>>
  readonly jsonSchema: (registry: Registry) => unknown
}

/** An error as one line: `file:line:column: message`. */
export const formatFlowError = (error: FlowError): string =>
  `${[error.file, error.line, error.column].filter((part) => part !== null).join(":")}: ${error.message}`

const flowError = (file: string, error: unknown): FlowError => {
  if (typeof error !== "object" || error === null) return { file, line: null, column: null, message: String(error) }
  const e = error as { readonly file?: unknown; readonly line?: unknown; readonly column?: unknown; readonly message?: unknown }
  return {
    file: typeof e.file === "string" ? e.file : file,
    line: typeof e.line === "number" ? e.line : null,
    column: typeof e.column === "number" ? e.column : null,
    message: typeof e.message === "string" ? e.message : String(error)
  }
}

/** Every positioned error a `Yaml.LoadErrors` (or any failure) carries. */
export const flowErrors = (file: string, failure: unknown): ReadonlyArray<FlowError> => {
  if (typeof failure === "object" && failure !== null) {
    const errors = (failure as { readonly errors?: unknown }).errors
    if (Array.isArray(errors) && errors.length > 0) return errors.map((e) => flowError(file, e))
  }
  return [flowError(file, failure)]
}

/** Loads `weftjs/yaml` (only when a command needs it); fails with a one-line message when it cannot be. */
export const loadYaml: Effect.Effect<YamlApi, string> = Effect.tryPromise({
  try: () => import("../../yaml/index.js"),
  catch: (error) => `YAML flows are not available: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`
}).pipe(
  Effect.map(({ Yaml }): YamlApi => ({
    loadFile: (file, registry, vars) =>
      Effect.suspend(() => Yaml.loadFile(file, { registry, vars })).pipe(
        Effect.catchAllDefect((defect) => Effect.fail(defect)),
        Effect.mapError((failure) => flowErrors(file, failure))
      ),
    jsonSchema: (registry) => Yaml.jsonSchema(registry)
  }))
)
