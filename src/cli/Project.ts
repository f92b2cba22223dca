/**
 * Loading a project file (`weft.config.ts` by default): TypeScript is
 * loaded without a build step through `tsx` (an optional peer dependency),
 * `.js` / `.mjs` files with a plain `import()`. The file's default export
 * (see `defineConfig`) is checked: a missing file, a bad export, two
 * templates with the same name and version, or a YAML flow with errors is a
 * {@link ProjectError} with one clear message.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Project } from "weftjs/cli"
 *
 * const names = Project.load({ config: "weft.config.ts" }).pipe(
 *   Effect.map((project) => project.templates.map((t) => `${t.name}@${t.version}`))
 * )
 * ```
 *
 * @since 0.2.0
 */
import { existsSync, readdirSync, statSync } from "node:fs"
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path"
import { pathToFileURL } from "node:url"
import { Data, Effect, Layer } from "effect"
import { Engine, Step, Template, type Trigger } from "../index.js"
import type { Config } from "./Config.js"
import { type Builtins, formatFlowError, loadYaml } from "./internal/yaml.js"

/**
 * A loaded project: its templates (code templates and YAML flows), the steps
 * YAML flows may use, the services layer and the engine layer.
 *
 * @since 0.2.0
 * @category models
 */
export interface Project {
  /** The project file, absolute. */
  readonly file: string
  /** The project's folder (the project file's). */
  readonly dir: string
  /** Every template: the code templates, then the YAML flows. */
  readonly templates: ReadonlyArray<Template.Template.Any>
  /** What YAML flows may `use:`, by name. */
  readonly steps: Readonly<Record<string, Step.Step.Any | Template.Template.Any>>
  /** The YAML flow files loaded (absolute), in the order of their templates. */
  readonly flows: ReadonlyArray<string>
  /** What the built-in steps of its YAML flows may do (the project file's `yaml:`; `files` made absolute). */
  readonly builtins: Builtins
  /** The services the steps need (empty when the project gives none). */
  readonly layer: Layer.Layer<never, unknown, never>
  /** The engine the project asks for; `undefined`: the default engine (from the settings). */
  readonly engine: Layer.Layer<Engine.Engine, unknown, never> | undefined
  /** The project's triggers (declared with the engine of `weft worker` and `weft serve`). */
  readonly triggers: ReadonlyArray<Trigger.Trigger<unknown>>
  /** The migrations between versions of its templates. */
  readonly migrations: ReadonlyArray<Template.Migration>
}

/**
 * Why a project could not be loaded.
 *
 * @since 0.2.0
 * @category errors
 */
export class ProjectError extends Data.TaggedError("ProjectError")<{
  readonly reason:
    | "not-found"
    | "tsx-missing"
    | "load-failed"
    | "bad-export"
    | "duplicate"
    | "invalid-template"
    | "invalid-flow"
  /** The file at fault (the project file, or a YAML flow). */
  readonly file: string
  readonly detail: string
}> {
  override get message(): string {
    return `${displayPath(this.file)}: ${this.detail}`
  }
}

/**
 * Options of {@link load}.
 *
 * @since 0.2.0
 * @category models
 */
export interface LoadOptions {
  /**
   * The project file (default: `weft.config.ts`, else `weft.config.mts`,
   * `weft.config.js`, `weft.config.mjs`, in `cwd`).
   */
  readonly config?: string | undefined
  /** The folder relative paths start from (default: the working directory). */
  readonly cwd?: string | undefined
}

/**
 * The names a project file is looked for under, in order.
 *
 * @since 0.2.0
 * @category constants
 */
export const defaultFiles: ReadonlyArray<string> = [
  "weft.config.ts",
  "weft.config.mts",
  "weft.config.js",
  "weft.config.mjs"
]

const displayPath = (file: string): string => {
  const rel = relative(process.cwd(), file)
  return rel === "" || rel.startsWith("..") || isAbsolute(rel) ? file : rel
}

const firstLine = (error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error)
  return text.split("\n").find((line) => line.trim() !== "")?.trim() ?? text
}

const typeScript = new Set([".ts", ".mts", ".cts", ".tsx"])

/**
 * Whether this module was itself loaded from TypeScript sources: then a
 * TypeScript loader is active (tsx, vitest) and a `.ts` file is imported as
 * any other, sharing the modules already loaded.
 */
const runsFromSources = import.meta.url.endsWith(".ts")

const importFile = (file: string): Effect.Effect<Record<string, unknown>, ProjectError> =>
  Effect.tryPromise({
    try: async () => {
      const url = pathToFileURL(file).href
      if (!typeScript.has(extname(file)) || runsFromSources) return await import(url) as Record<string, unknown>
      let api: { readonly tsImport: (specifier: string, options: { readonly parentURL: string }) => Promise<unknown> }
      try {
        api = await import("tsx/esm/api")
      } catch {
        throw new TsxMissing()
      }
      return await api.tsImport(url, { parentURL: url }) as Record<string, unknown>
    },
    catch: (error) =>
      error instanceof TsxMissing
        ? new ProjectError({
          reason: "tsx-missing",
          file,
          detail: `loading a TypeScript project file needs tsx (an optional peer dependency): npm install --save-dev tsx, or write the project file in JavaScript (weft.config.js)`
        })
        : new ProjectError({ reason: "load-failed", file, detail: `cannot be loaded: ${firstLine(error)}` })
  })

class TsxMissing extends Error {}

const configFields = new Set(["templates", "steps", "flows", "yaml", "layer", "engine", "triggers", "migrations"])

/** The default export, unwrapped from the CommonJS interop shape tsx gives a `.ts` file outside an ESM package. */
const defaultExport = (module: Record<string, unknown>): unknown => {
  const value = module["default"]
  if (
    typeof value === "object" && value !== null && (value as Record<string, unknown>)["__esModule"] === true &&
    "default" in value
  ) {
    return (value as Record<string, unknown>)["default"]
  }
  return value
}

const describe = (value: unknown): string =>
  value === null
    ? "null"
    : value === undefined
    ? "undefined"
    : Array.isArray(value)
    ? "an array"
    : typeof value === "object"
    ? "an object"
    : `a ${typeof value}`

/** Checks the default export's shape; returns the config or why not. */
const checkConfig = (value: unknown): Config | string => {
  if (value === undefined) return `has no default export: write export default defineConfig({ templates: [...] })`
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return `its default export must be an object (defineConfig({ ... })), got ${describe(value)}`
  }
  const config = value as Record<string, unknown>
  for (const key of Object.keys(config)) {
    if (!configFields.has(key)) {
      return `unknown field "${key}" in its default export (expected ${Array.from(configFields).join(", ")})`
    }
  }
  const templates = config["templates"]
  if (templates !== undefined) {
    if (!Array.isArray(templates)) return `"templates" must be an array of templates, got ${describe(templates)}`
    const bad = templates.findIndex((t) => !Template.isTemplate(t))
    if (bad >= 0) return `templates[${bad}] is not a template (Template.make), got ${describe(templates[bad])}`
  }
  const migrations = config["migrations"]
  if (migrations !== undefined) {
    if (!Array.isArray(migrations)) return `"migrations" must be an array of migrations, got ${describe(migrations)}`
    const bad = migrations.findIndex((m) => typeof m !== "object" || m === null || m._tag !== "Migration")
    if (bad >= 0) return `migrations[${bad}] is not a migration (Template.migration), got ${describe(migrations[bad])}`
  }
  const steps = config["steps"]
  if (steps !== undefined) {
    if (typeof steps !== "object" || steps === null || Array.isArray(steps)) {
      return `"steps" must be an object of steps and templates by name, got ${describe(steps)}`
    }
    for (const [name, step] of Object.entries(steps)) {
      if (!Step.isStep(step) && !Template.isTemplate(step)) {
        return `steps.${name} is not a step (Step.make) or a template, got ${describe(step)}`
      }
    }
  }
  const flows = config["flows"]
  if (flows !== undefined) {
    if (!Array.isArray(flows) || flows.some((f) => typeof f !== "string" || f === "")) {
      return `"flows" must be an array of file paths or patterns (strings)`
    }
  }
  const yaml = config["yaml"]
  if (yaml !== undefined) {
    if (typeof yaml !== "object" || yaml === null || Array.isArray(yaml)) return `"yaml" must be an object ({ commands, files }), got ${describe(yaml)}`
    const { commands, env, files, ...rest } = yaml as Record<string, unknown>
    const extra = Object.keys(rest)
    if (extra.length > 0) return `unknown field "yaml.${extra[0]}" (expected yaml.commands, yaml.files, yaml.env)`
    if (env !== undefined && (!Array.isArray(env) || env.some((c) => typeof c !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(c)))) {
      return `"yaml.env" must be an array of variable names (letters, digits and "_")`
    }
    if (commands !== undefined && (!Array.isArray(commands) || commands.some((c) => typeof c !== "string" || c === ""))) {
      return `"yaml.commands" must be an array of program names or paths (strings)`
    }
    if (files !== undefined && (typeof files !== "string" || files === "")) return `"yaml.files" must be a folder (a string)`
  }
  for (const key of ["layer", "engine"] as const) {
    const layer = config[key]
    if (layer !== undefined && !Layer.isLayer(layer)) return `"${key}" must be a Layer, got ${describe(layer)}`
  }
  const triggers = config["triggers"]
  if (triggers !== undefined) {
    if (!Array.isArray(triggers)) return `"triggers" must be an array of triggers (Trigger.cron, .webhook, .onEnd)`
    const bad = triggers.findIndex((t) => !isTrigger(t))
    if (bad >= 0) return `triggers[${bad}] is not a trigger (Trigger.cron, .webhook, .onEnd), got ${describe(triggers[bad])}`
  }
  return config as Config
}

const isTrigger = (u: unknown): boolean =>
  typeof u === "object" && u !== null && ["Cron", "Webhook", "OnEnd"].includes((u as { readonly _tag?: unknown })._tag as string)

/** A glob segment as a regular expression (`*`, `?`; `**` is handled by the walker). */
const segmentPattern = (segment: string): RegExp =>
  new RegExp(
    `^${segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")}$`
  )

const isPattern = (segment: string) => /[*?]/.test(segment)

/**
 * The files a path or pattern names (`*` and `?` within a segment, `**` for
 * any depth), sorted; a plain path names itself, whether it exists or not.
 */
const expandPattern = (pattern: string, base: string): ReadonlyArray<string> => {
  const absolute = resolve(base, pattern)
  const segments = absolute.split(sep)
  const firstPattern = segments.findIndex(isPattern)
  if (firstPattern < 0) return [absolute]
  const root = segments.slice(0, firstPattern).join(sep) || sep
  const rest = segments.slice(firstPattern)
  const out: Array<string> = []
  const walk = (dir: string, parts: ReadonlyArray<string>): void => {
    const [head, ...tail] = parts
    if (head === undefined) return
    let entries: ReadonlyArray<string>
    try {
      entries = readdirSync(dir)
    } catch {
      return
    }
    if (head === "**") {
      walk(dir, tail)
      for (const entry of entries) {
        if (entry.startsWith(".") || entry === "node_modules") continue
        const path = join(dir, entry)
        if (isDirectory(path)) walk(path, parts)
      }
      return
    }
    const matcher = segmentPattern(head)
    for (const entry of entries) {
      if (!matcher.test(entry)) continue
      const path = join(dir, entry)
      if (tail.length === 0) {
        if (!isDirectory(path)) out.push(path)
      } else if (isDirectory(path)) {
        walk(path, tail)
      }
    }
  }
  walk(root, rest)
  return Array.from(new Set(out)).sort()
}

const isDirectory = (path: string) => {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

const labelOf = Template.label

/**
 * Loads a project file.
 *
 * @since 0.2.0
 * @category constructors
 */
export const load = (options: LoadOptions = {}): Effect.Effect<Project, ProjectError> =>
  Effect.gen(function*() {
    const cwd = resolve(options.cwd ?? process.cwd())
    const file = options.config !== undefined
      ? resolve(cwd, options.config)
      : defaultFiles.map((name) => join(cwd, name)).find((path) => existsSync(path)) ?? join(cwd, defaultFiles[0]!)
    if (!existsSync(file)) {
      return yield* new ProjectError({
        reason: "not-found",
        file,
        detail: options.config === undefined
          ? `no project file here (looked for ${defaultFiles.join(", ")}); give one with --config`
          : "not found"
      })
    }
    if (isDirectory(file)) return yield* new ProjectError({ reason: "not-found", file, detail: "is a folder, not a project file" })
    const module = yield* importFile(file)
    const checked = checkConfig(defaultExport(module))
    if (typeof checked === "string") return yield* new ProjectError({ reason: "bad-export", file, detail: checked })
    const dir = dirname(file)
    const code = checked.templates ?? []
    const steps = checked.steps ?? {}
    const builtins: Builtins = {
      commands: checked.yaml?.commands,
      files: checked.yaml?.files === undefined ? undefined : resolve(dir, checked.yaml.files),
      env: checked.yaml?.env,
      dir
    }

    const flowFiles: Array<string> = []
    const flowTemplates: Array<Template.Template.Any> = []
    if (checked.flows !== undefined && checked.flows.length > 0) {
      const files = Array.from(new Set(checked.flows.flatMap((pattern) => expandPattern(pattern, dir))))
      const yaml = yield* loadYaml.pipe(
        Effect.mapError((detail) => new ProjectError({ reason: "invalid-flow", file, detail }))
      )
      for (const flow of files) {
        if (!existsSync(flow)) {
          return yield* new ProjectError({ reason: "invalid-flow", file, detail: `flow ${displayPath(flow)} not found` })
        }
        const template = yield* yaml.loadFile(flow, { steps, templates: code, builtins }).pipe(
          Effect.mapError((errors) =>
            new ProjectError({
              reason: "invalid-flow",
              file: flow,
              detail: `${errors.length} error(s):\n${errors.map((e) => `  ${formatFlowError(e)}`).join("\n")}`
            })
          )
        )
        flowFiles.push(flow)
        flowTemplates.push(template)
      }
    }

    const templates = [...code, ...flowTemplates]
    const seen = new Map<string, number>()
    for (const [i, template] of templates.entries()) {
      const label = labelOf(template)
      const first = seen.get(label)
      if (first !== undefined) {
        const where = (n: number) => n < code.length ? `templates[${n}]` : `flow ${displayPath(flowFiles[n - code.length]!)}`
        return yield* new ProjectError({
          reason: "duplicate",
          file,
          detail: `two templates are named ${label}: ${where(first)} and ${where(i)} (give one another name or version)`
        })
      }
      seen.set(label, i)
      yield* template.validate().pipe(
        Effect.mapError((error) => new ProjectError({ reason: "invalid-template", file, detail: error.message }))
      )
    }
    return {
      file,
      dir,
      templates,
      steps,
      builtins,
      flows: flowFiles,
      layer: checked.layer ?? Layer.empty,
      engine: checked.engine,
      triggers: checked.triggers ?? [],
      migrations: checked.migrations ?? []
    }
  })

/**
 * Finds a template of a project by `name`, `name@version` or its label
 * (`Template.label`: a composite's `a@1+b@2`); by name, the only version of
 * that name; `undefined` when there is no such template, or several
 * versions and none was given.
 *
 * @since 0.2.0
 * @category accessors
 */
export const find = (project: Project, ref: string): Template.Template.Any | undefined => {
  const exact = project.templates.find((t) => `${t.name}@${t.version}` === ref || labelOf(t) === ref)
  if (exact !== undefined) return exact
  const named = project.templates.filter((t) => t.name === ref)
  return named.length === 1 ? named[0] : undefined
}
