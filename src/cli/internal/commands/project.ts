/**
 * The commands about the project itself: `templates`, `graph`, `validate`
 * (YAML flows) and `schema` (the JSON Schema of its YAML flows).
 *
 * @internal
 */
import { writeFileSync } from "node:fs"
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as Graph from "../../../Graph.js"
import { CliError, decoded, err, loadProject, out, resolveTemplate, usage } from "../context.js"
import { parseVars } from "../decode.js"
import { configOption, formatOption, or, templateArg, varOption } from "../options.js"
import { templateJson, templatesTable, toJson } from "../output.js"
import { formatFlowError, loadYaml } from "../yaml.js"

export const templatesCommand = Command.make(
  "templates",
  { config: configOption, format: formatOption },
  ({ config, format }) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(config))
      const list = project.templates.map(templateJson)
      yield* out(format === "json" ? toJson(list) : templatesTable(list))
    })
).pipe(Command.withDescription(
  "List the project's templates: name, version, the keys they require and provide with their types, the signals they wait for."
))

export const graphCommand = Command.make(
  "graph",
  { config: configOption, format: formatOption, template: templateArg, vars: varOption },
  ({ config, format, template, vars }) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(config))
      const found = yield* resolveTemplate(project, template, yield* decoded(parseVars(vars)))
      const graph = Graph.make(found)
      const mermaid = Graph.toMermaid(graph)
      yield* out(format === "json" ? toJson({ graph, mermaid }) : mermaid)
    })
).pipe(Command.withDescription(
  "Print a template's structure (steps, branches, loops, waits, sub-flows) as a Mermaid flowchart."
))

export const validateCommand = Command.make(
  "validate",
  {
    config: configOption,
    format: formatOption,
    files: Args.text({ name: "flow.yaml" }).pipe(
      Args.withDescription("The YAML flow files to check."),
      Args.atLeast(1)
    ),
    vars: varOption
  },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      const vars = yield* decoded(parseVars(args.vars))
      const yaml = yield* Effect.mapError(loadYaml, usage)
      const registry = { steps: project.steps, templates: project.templates }
      const results = yield* Effect.forEach(args.files, (file) =>
        Effect.match(yaml.loadFile(file, registry, vars), {
          onFailure: (errors) => ({ file, valid: false, template: null, errors }),
          onSuccess: (template) => ({
            file,
            valid: true,
            template: { name: template.name, version: template.version },
            errors: []
          })
        }))
      if (args.format === "json") {
        yield* out(toJson({ valid: results.every((r) => r.valid), files: results }))
      } else {
        for (const result of results) {
          if (result.valid) yield* out(`ok  ${result.file}  (${result.template?.name}@${result.template?.version})`)
          else for (const error of result.errors) yield* err(formatFlowError(error))
        }
      }
      if (!results.every((r) => r.valid)) return yield* new CliError({ text: null, exitCode: 2 })
    })
).pipe(Command.withDescription(
  "Check YAML flows against the project's steps: every error with its file:line:column. Exit code 2 when one has errors."
))

export const schemaCommand = Command.make(
  "schema",
  {
    config: configOption,
    output: Options.text("output").pipe(
      Options.withAlias("o"),
      Options.withDescription("Write the JSON Schema to this file (default: stdout)."),
      Options.optional
    )
  },
  (args) =>
    Effect.gen(function*() {
      const project = yield* loadProject(or(args.config))
      const yaml = yield* Effect.mapError(loadYaml, usage)
      const schema = toJson(yaml.jsonSchema({ steps: project.steps, templates: project.templates }))
      if (Option.isNone(args.output)) return yield* out(schema)
      const file = args.output.value
      yield* Effect.try({
        try: () => writeFileSync(file, `${schema}\n`),
        catch: (error) => usage(`--output: cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`)
      })
      yield* err(`wrote ${file}`)
    })
).pipe(Command.withDescription(
  "Write the JSON Schema of the project's YAML flows (step names, their with: keys and types) for editors."
))
