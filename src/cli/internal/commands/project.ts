/**
 * The commands about the project itself: `templates`, `graph`, `validate`
 * (YAML flows) and `schema` (the JSON Schema of its YAML flows).
 *
 * @internal
 */
import { writeFileSync } from "node:fs"
import { Args, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import * as Graph from "../../../Graph.js"
import { command, CurrentProject, resolveTemplate } from "../context.js"
import { decoded, usage } from "../errors.js"
import { parseVars } from "../decode.js"
import { templateArg, varOption } from "../options.js"
import { templateJson, toJson } from "../output.js"
import { formatFlowError, loadYaml } from "../yaml.js"

export const templatesCommand = command("templates", {}, {
  description:
    "List the project's templates: name, version, the keys they require and provide with their types, the signals they wait for."
}, () => Effect.map(CurrentProject, (project) => ({ _tag: "Templates", templates: project.templates.map(templateJson) }) as const))

export const graphCommand = command("graph", { template: templateArg, vars: varOption }, {
  description: "Print a template's structure (steps, branches, loops, waits, sub-flows) as a Mermaid flowchart."
}, (args) =>
  Effect.gen(function*() {
    const project = yield* CurrentProject
    const graph = Graph.make(yield* resolveTemplate(project, args.template, yield* decoded(parseVars(args.vars))))
    return { _tag: "Graph", graph, mermaid: Graph.toMermaid(graph) } as const
  }))

export const validateCommand = command("validate", {
  files: Args.text({ name: "flow.yaml" }).pipe(Args.withDescription("The YAML flow files to check."), Args.atLeast(1)),
  vars: varOption
}, {
  description:
    "Check YAML flows against the project's steps: every error with its file:line:column. Exit code 2 when one has errors."
}, (args) =>
  Effect.gen(function*() {
    const project = yield* CurrentProject
    const vars = yield* decoded(parseVars(args.vars))
    const yaml = yield* Effect.mapError(loadYaml, usage)
    const registry = { steps: project.steps, templates: project.templates, builtins: project.builtins }
    const files = yield* Effect.forEach(args.files, (file) =>
      Effect.match(yaml.loadFile(file, registry, vars), {
        onFailure: (errors) => ({ file, valid: false, template: null, errors: errors.map(formatFlowError), json: errors }),
        onSuccess: (template) => ({
          file,
          valid: true,
          template: { name: template.name, version: template.version },
          errors: [],
          json: []
        })
      }))
    return { _tag: "Validated", files } as const
  }))

export const schemaCommand = command("schema", {
  output: Options.text("output").pipe(
    Options.withAlias("o"),
    Options.withDescription("Write the JSON Schema to this file (default: stdout)."),
    Options.optional
  )
}, {
  description: "Write the JSON Schema of the project's YAML flows (step names, their with: keys and types) for editors."
}, (args) =>
  Effect.gen(function*() {
    const project = yield* CurrentProject
    const yaml = yield* Effect.mapError(loadYaml, usage)
    const schema = yaml.jsonSchema({ steps: project.steps, templates: project.templates, builtins: project.builtins })
    const wrote = Option.getOrNull(args.output)
    if (wrote !== null) {
      yield* Effect.try({
        try: () => writeFileSync(wrote, `${toJson(schema)}\n`),
        catch: (error) => usage(`--output: cannot write ${wrote}: ${error instanceof Error ? error.message : String(error)}`)
      })
    }
    return { _tag: "Schema", schema, wrote } as const
  }))
