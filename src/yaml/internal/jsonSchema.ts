/**
 * The JSON Schema (draft-07) of the YAML flow format for a registry: each
 * registered step or template is a `use:` alternative whose `with:` keys are
 * the keys it reads, typed by their Schemas (or a `${...}` reference), so
 * that editors using yaml-language-server complete and check step names and
 * inputs. The load-time checks remain the authority: a schema cannot know
 * what earlier steps wrote.
 *
 * @internal
 */
import { JSONSchema, SchemaAST } from "effect"
import type { Step, Template } from "../../index.js"
import type { Registry } from "../Yaml.js"
import { fileFormats, formatFields, mergeFunctions, stepKinds } from "./compile/format.js"
import { type Field, fieldInfo, fieldOfKey } from "./env.js"

/** A JSON Schema, as plain JSON. */
export type JsonSchema = { readonly [key: string]: unknown }

const ref = (name: string): JsonSchema => ({ $ref: `#/definitions/${name}` })

const durationPattern = "^\\s*(\\d+(\\.\\d+)?\\s*[A-Za-z]+\\s*)+$"

/** The JSON Schema of a field's type (its type side), or `{}` when it has none. */
const typeSchema = (field: Field, definitions: Record<string, JSONSchema.JsonSchema7>): JsonSchema => {
  try {
    const { type } = fieldInfo(field)
    return JSONSchema.fromAST(SchemaAST.typeAST(type), {
      definitions,
      definitionPath: "#/definitions/",
      target: "jsonSchema7"
    }) as unknown as JsonSchema
  } catch {
    return {}
  }
}

const withSchema = (
  fields: ReadonlyArray<readonly [string, Field]>,
  definitions: Record<string, JSONSchema.JsonSchema7>
): JsonSchema => ({
  type: "object",
  additionalProperties: false,
  properties: Object.fromEntries(fields.map(([key, field]) => [key, { anyOf: [typeSchema(field, definitions), ref("weft.reference")] }]))
})

const stepSchema = (
  kind: string,
  allowed: ReadonlyArray<string>,
  properties: Record<string, JsonSchema>,
  description: string
): JsonSchema => ({
  type: "object",
  description,
  required: [kind],
  additionalProperties: false,
  properties: Object.fromEntries(allowed.map((key) => [key, properties[key] ?? common[key] ?? {}]))
})

const common: Readonly<Record<string, JsonSchema>> = {
  id: { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_-]*$", description: "The step's id (default: the name it uses, or its kind)" },
  description: { type: "string" },
  retry: ref("weft.retry"),
  timeout: ref("weft.duration"),
  onError: ref("weft.onError"),
  if: { ...ref("weft.expression"), description: "Run the step only when this holds (what it writes may be missing after it)" },
  output: ref("weft.output"),
  as: ref("weft.output")
}

const key = { type: "string", pattern: "^[A-Za-z_$][A-Za-z0-9_$-]*$" }
const text = { type: ["string", "number", "boolean"] }
const texts = { type: "object", additionalProperties: text }

/** The variables command steps may pass on, when the project says. */
const envNames = (registry: Registry): JsonSchema =>
  (registry.builtins?.env ?? []).length > 0 ? { enum: [...registry.builtins!.env!] } : { type: "string" }

/** The definitions of the built-in kinds' bodies (the programs a project allows, when it says). */
const builtinDefinitions = (registry: Registry): Record<string, JsonSchema> => ({
  "weft.output": {
    anyOf: [key, { type: "object", additionalProperties: key }],
    description: "The key a built-in step writes (default: its id); for a registered step, its keys renamed ({ from: to }, or one name when it writes one key)"
  },
  "weft.command": {
    type: "object",
    required: ["program"],
    additionalProperties: false,
    properties: {
      program: (registry.builtins?.commands ?? []).length > 0
        ? { enum: [...registry.builtins!.commands!], description: "A program the project file allows (yaml.commands)" }
        : { type: "string", description: "A program the project file allows (yaml.commands)" },
      args: { type: "array", items: text, description: "Its arguments, each as it is (no shell)" },
      cwd: { type: "string" },
      env: texts,
      inherit: { type: "array", items: envNames(registry), description: "Variables of this process passed on (the project file's yaml.env)" },
      secrets: { type: "array", items: envNames(registry), description: "Variables passed on whose values are masked in outputs and errors" },
      stdin: text,
      parse: { enum: ["text", "json"] },
      type: ref("weft.type")
    }
  },
  "weft.http": {
    type: "object",
    required: ["url"],
    additionalProperties: false,
    properties: {
      method: { enum: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get", "post", "put", "patch", "delete", "head", "options"] },
      url: { type: "string" },
      headers: texts,
      query: texts,
      body: {},
      retries: { anyOf: [{ type: "integer", minimum: 0 }, ref("weft.var")] },
      type: ref("weft.type")
    }
  },
  "weft.read": {
    type: "object",
    required: ["path"],
    additionalProperties: false,
    properties: { path: { type: "string" }, format: { enum: [...fileFormats] }, type: ref("weft.type") }
  },
  "weft.write": {
    type: "object",
    required: ["path", "value"],
    additionalProperties: false,
    properties: { path: { type: "string" }, value: {}, format: { enum: [...fileFormats] } }
  },
  "weft.validate": {
    type: "object",
    required: ["value", "type"],
    additionalProperties: false,
    properties: { value: {}, type: ref("weft.type") }
  }
})

/** The definitions that do not depend on the registry (copied into each schema). */
const fixedDefinitions: Readonly<Record<string, JsonSchema>> = {
  "weft.reference": { type: "string", pattern: "\\$\\{", description: "a ${...} reference or expression" },
  "weft.expression": { type: ["string", "boolean"] },
  "weft.duration": {
    anyOf: [{ type: "string", pattern: durationPattern }, ref("weft.var")],
    description: "e.g. 500ms, 10 seconds, 1h 30m, or ${vars.name}"
  },
  "weft.var": { type: "string", pattern: "^\\$\\{\\s*vars\\.[A-Za-z_][A-Za-z0-9_]*\\s*\\}$", description: "${vars.name}" },
  "weft.concurrency": { anyOf: [{ type: "integer", minimum: 1 }, { const: "unbounded" }, ref("weft.var")] },
  "weft.type": {
    anyOf: [
      { type: "string" },
      { type: "object", additionalProperties: ref("weft.type") },
      { type: "array", minItems: 1, maxItems: 1, items: ref("weft.type") }
    ]
  },
  "weft.retry": {
    type: "object",
    required: ["count"],
    additionalProperties: false,
    properties: {
      count: { anyOf: [{ type: "integer", minimum: 0 }, ref("weft.var")] },
      delay: ref("weft.duration"),
      backoff: { enum: ["fixed", "exponential"] },
      factor: { type: "number", exclusiveMinimum: 1 },
      maxDelay: ref("weft.duration")
    }
  },
  "weft.onError": {
    anyOf: [
      { enum: ["fail", "skip"] },
      {
        type: "object",
        required: ["fallback"],
        additionalProperties: false,
        properties: {
          fallback: {
            anyOf: [
              ref("weft.stepName"),
              {
                type: "object",
                required: ["use"],
                additionalProperties: false,
                properties: { use: ref("weft.stepName"), with: { type: "object" } }
              }
            ]
          }
        }
      }
    ]
  },
  "weft.branch": {
    type: "object",
    additionalProperties: false,
    properties: {
      if: ref("weft.expression"),
      then: ref("weft.steps"),
      else: ref("weft.steps"),
      on: { type: "string" },
      cases: { type: "object", additionalProperties: ref("weft.steps") },
      default: ref("weft.steps")
    }
  },
  "weft.loop": {
    type: "object",
    required: ["while", "maxIterations", "steps"],
    additionalProperties: false,
    properties: {
      while: ref("weft.expression"),
      maxIterations: { anyOf: [{ type: "integer", minimum: 1 }, ref("weft.var")] },
      check: { enum: ["before", "after"] },
      steps: ref("weft.steps")
    }
  },
  "weft.forEach": {
    type: "object",
    required: ["over", "as", "steps", "collect"],
    additionalProperties: false,
    properties: {
      over: { type: "string" },
      as: { type: "string" },
      steps: ref("weft.steps"),
      collect: { type: "string" },
      into: { type: "string" },
      concurrency: ref("weft.concurrency")
    }
  },
  "weft.parallel": {
    type: "object",
    required: ["branches"],
    additionalProperties: false,
    properties: {
      branches: { type: "object", minProperties: 1, additionalProperties: ref("weft.steps") },
      concurrency: ref("weft.concurrency"),
      mode: { enum: ["all", "first"] },
      merge: { type: "object", additionalProperties: { enum: [...mergeFunctions] } }
    }
  },
  "weft.waitForSignal": {
    type: "object",
    required: ["payload"],
    additionalProperties: false,
    properties: {
      name: { type: "string" },
      key: { type: "string" },
      payload: ref("weft.type"),
      timeout: ref("weft.duration"),
      default: {}
    }
  }
}

/** The JSON Schema of the format, for a registry. */
export const make = (registry: Registry): JsonSchema => {
  const definitions: Record<string, JSONSchema.JsonSchema7> = {}
  const entries: Array<readonly [string, Step.Step.Any | Template.Template.Any]> = [
    ...Object.entries(registry.steps),
    ...(registry.templates ?? []).filter((t) => !Object.prototype.hasOwnProperty.call(registry.steps, t.name)).map((t) => [t.name, t] as const)
  ]
  const names = entries.map(([name]) => name)
  const templateNames = entries.filter(([, t]) => t._tag === "Template").map(([name]) => name)
  const uses = entries.map(([name, target]): JsonSchema => {
    const fields: ReadonlyArray<readonly [string, Field]> = target._tag === "Step"
      ? Object.entries(target.requires)
      : Array.from(new Map(target.requirements.map(([key, schema]) => [key, fieldOfKey(schema, key)] as const)))
    const allowed = target._tag === "Step" ? formatFields.use : formatFields.template
    return stepSchema("use", allowed, { use: { const: name }, with: withSchema(fields, definitions) }, `use: ${name}`)
  })
  const own: Record<string, JsonSchema> = {
    "weft.steps": { type: "array", minItems: 1, items: ref("weft.step") },
    "weft.step": {
      anyOf: [
        ...uses,
        stepSchema("subflow", formatFields.subflow, {
          subflow: templateNames.length === 0 ? { type: "string" } : { enum: templateNames },
          with: { type: "object" }
        }, "subflow: run a registered template as a child run"),
        stepSchema("branch", formatFields.branch, { branch: ref("weft.branch") }, "branch: if/then/else, or on/cases/default"),
        stepSchema("loop", formatFields.loop, { loop: ref("weft.loop") }, "loop: repeat steps while a condition holds"),
        stepSchema("forEach", formatFields.forEach, { forEach: ref("weft.forEach") }, "forEach: run steps for each element of a list"),
        stepSchema("parallel", formatFields.parallel, { parallel: ref("weft.parallel") }, "parallel: run branches at once"),
        stepSchema("sleep", formatFields.sleep, { sleep: ref("weft.duration") }, "sleep: a durable timer"),
        stepSchema("waitForSignal", formatFields.waitForSignal, { waitForSignal: ref("weft.waitForSignal") }, "waitForSignal: suspend until a signal"),
        stepSchema("command", formatFields.command, { command: ref("weft.command") }, "command: run a program the project allows (no shell)"),
        stepSchema("http", formatFields.http, { http: ref("weft.http") }, "http: a request, its response decoded with a type"),
        stepSchema("read", formatFields.read, { read: ref("weft.read") }, "read: a JSON, JSON-lines, YAML or text file under the project's folder for files"),
        stepSchema("write", formatFields.write, { write: ref("weft.write") }, "write: a value to a file under the project's folder for files (atomically)"),
        stepSchema("transform", formatFields.transform, { transform: {} }, "transform: a value computed with ${...} expressions"),
        stepSchema("validate", formatFields.validate, { validate: ref("weft.validate") }, "validate: check a value against a type")
      ]
    },
    ...builtinDefinitions(registry),
    "weft.stepName": names.length === 0 ? { type: "string" } : { enum: names },
    ...structuredClone(fixedDefinitions)
  }
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "weft YAML flow",
    description: `A weft flow: steps of kinds ${stepKinds.join(", ")} over the registered steps and templates`,
    type: "object",
    required: ["name", "version", "steps"],
    additionalProperties: false,
    properties: {
      name: { type: "string", pattern: "^[A-Za-z0-9_.:+@-]+$" },
      version: { type: ["string", "number"] },
      description: { type: "string" },
      inputs: { type: "object", additionalProperties: ref("weft.type") },
      types: { type: "object", additionalProperties: ref("weft.type") },
      vars: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } },
      local: { type: "array", items: { type: "string" } },
      retry: ref("weft.retry"),
      timeout: ref("weft.duration"),
      steps: ref("weft.steps"),
      triggers: { type: "array", items: { type: "object" }, description: "runs of the flow that start themselves: cron, webhook, after" }
    },
    definitions: { ...definitions, ...own }
  }
}
