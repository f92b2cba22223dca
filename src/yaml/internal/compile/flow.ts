/**
 * The flow itself: its name and version, `types:`, `vars:` (overridden by
 * the vars given when loading), `inputs:`, `local:`, its policy and its
 * steps, compiled into one `Template` whose version carries a hash of the
 * text, the vars and the templates it uses.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { Effect, Either, Schema, SchemaAST } from "effect"
import { Step, Template } from "../../../index.js"
import { emptyEnv, type Env, type Field } from "../env.js"
import { PSet } from "../persistent.js"
import type { YEntry } from "../source.js"
import { didYouMean } from "../suggest.js"
import { type Compilation, type Node, own, type Walk } from "./context.js"
import { declaredType, resolveNamedType } from "./declaredTypes.js"
import { formatFields, keyPattern, namePattern } from "./format.js"
import { collectIds } from "./ids.js"
import { retrySchedule } from "./policy.js"
import { compileList } from "./steps.js"
import { readTriggers } from "./triggers.js"

export const compileFlow = (cx: Compilation): Template.Template.Any | undefined => {
  const top = cx.fields(cx.root, formatFields.flow, "a flow")
  if (top === undefined) return undefined
  const nameEntry = top.get("name")
  const versionEntry = top.get("version")
  const stepsEntry = top.get("steps")
  if (nameEntry === undefined) cx.error({ start: cx.root.start, end: cx.root.start }, `a flow needs a "name"`)
  if (versionEntry === undefined) cx.error({ start: cx.root.start, end: cx.root.start }, `a flow needs a "version"`)
  if (stepsEntry === undefined) cx.error({ start: cx.root.start, end: cx.root.start }, `a flow needs "steps"`)
  const name = nameEntry === undefined
    ? undefined
    : cx.name(nameEntry.value, "the flow's name", namePattern, "must use only letters, digits and _ . : + @ -")
  const version = versionEntry === undefined
    ? undefined
    : cx.name(versionEntry.value, "the flow's version", /^\S+$/, "must not contain spaces")
  if (version !== undefined) cx.version = version

  const types = top.get("types")
  if (types !== undefined) {
    const map = cx.mapping(types.value, "types")
    if (map !== undefined) {
      for (const entry of map.entries) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.key)) {
          cx.error(entry.keyNode, `type name "${entry.key}" must use only letters, digits and "_"`)
        } else cx.types.set(entry.key, entry.value)
      }
    }
  }
  for (const name of cx.types.keys()) resolveNamedType(cx, name, cx.types.get(name)!)

  readVars(cx, top.get("vars"))
  const env = readInputs(cx, top.get("inputs"))

  const retry = top.get("retry") === undefined ? undefined : retrySchedule(cx, top.get("retry")!.value)
  const timeout = top.get("timeout") === undefined ? undefined : cx.duration(top.get("timeout")!.value, "timeout")

  let nodes: ReadonlyArray<Node> = []
  let walk: Walk = { env, visible: PSet.empty() }
  if (stepsEntry !== undefined) {
    collectIds(cx, stepsEntry.value, { next: 0 })
    const compiled = compileList(cx, stepsEntry.value, walk, "the flow")
    nodes = compiled.nodes
    walk = compiled.walk
  }

  const local = readLocal(cx, top.get("local"), walk.env)
  const attachTriggers = readTriggers(cx, top.get("triggers")?.value)
  if (cx.diagnostics.count > 0 || name === undefined || version === undefined) return undefined

  const declared: Record<string, Field> = {}
  for (const [key, input] of cx.inputs) declared[key] = input.optional ? Schema.optional(input.schema) : input.schema
  const guard = cx.inputs.size === 0 ? [] : [
    Step.make({
      name: "inputs",
      requires: declared,
      provides: {},
      run: () => Effect.succeed({})
    }) as unknown as Node
  ]
  const hash = createHash("sha256")
    .update(cx.text)
    .update("\u0000vars\u0000")
    .update(JSON.stringify(Array.from(cx.vars).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)))
    .update("\u0000templates\u0000")
    .update(Array.from(cx.used).sort().join(","))
    .digest("hex")
    .slice(0, 12)
  try {
    const template = Template.make({
      name,
      version: `${version}+sha256:${hash}`,
      steps: [...guard, ...nodes] as never,
      local: local as never,
      retry,
      stepTimeout: timeout
    }) as unknown as Template.Template.Any
    const valid = Effect.runSync(Effect.either(template.validate()))
    if (Either.isLeft(valid)) return cx.error(cx.root, `the flow is not a valid template: ${valid.left.message}`)
    attachTriggers(template)
    return template
  } catch (error) {
    return cx.error(cx.root, `the flow could not be built: ${error instanceof Error ? error.message : String(error)}`)
  }
}

const readVars = (cx: Compilation, entry: YEntry | undefined): void => {
  if (entry !== undefined) {
    const map = cx.mapping(entry.value, "vars")
    if (map !== undefined) {
      for (const e of map.entries) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.key)) {
          cx.error(e.keyNode, `var name "${e.key}" must use only letters, digits and "_"`)
          continue
        }
        const v = e.value
        if (v.kind !== "scalar" || v.value === null) {
          cx.error(v, `var "${e.key}" must be a text, a number or a boolean`)
          continue
        }
        const given = own(cx.optionVars, e.key) ? cx.optionVars[e.key] : undefined
        if (given === undefined) {
          cx.vars.set(e.key, v.value)
        } else if (typeof v.value === "number") {
          const n = Number(given)
          if (given.trim() === "" || !Number.isFinite(n)) {
            cx.error(v, `var "${e.key}" is a number, but it was given "${given}"`)
            cx.vars.set(e.key, v.value)
          } else cx.vars.set(e.key, n)
        } else if (typeof v.value === "boolean") {
          if (given !== "true" && given !== "false") {
            cx.error(v, `var "${e.key}" is a boolean, but it was given "${given}"`)
            cx.vars.set(e.key, v.value)
          } else cx.vars.set(e.key, given === "true")
        } else cx.vars.set(e.key, given)
      }
    }
  }
  for (const [key, value] of Object.entries(cx.optionVars)) if (!cx.vars.has(key)) cx.vars.set(key, value)
}

const readInputs = (cx: Compilation, entry: YEntry | undefined): Env => {
  let env: Env = emptyEnv()
  if (entry === undefined) return env
  const map = cx.mapping(entry.value, "inputs")
  if (map === undefined) return env
  for (const e of map.entries) {
    const optional = e.key.endsWith("?")
    const key = optional ? e.key.slice(0, -1) : e.key
    if (!keyPattern.test(key)) {
      cx.error(e.keyNode, `input "${e.key}" is not a state key (letters, digits, "_", "-", "$"; "?" at the end for an optional input)`)
      continue
    }
    if (cx.inputs.has(key)) {
      cx.error(e.keyNode, `input "${key}" is declared twice`)
      continue
    }
    const schema = declaredType(cx, e.value)
    if (schema === undefined) {
      env = env.set(key, { type: SchemaAST.anyKeyword, optional, writers: new Set(["inputs"]) })
      cx.inputs.set(key, { schema: Schema.Any, optional })
      continue
    }
    cx.inputs.set(key, { schema, optional })
    env = env.set(key, { type: SchemaAST.typeAST(schema.ast), optional, writers: new Set(["inputs"]) })
  }
  return env
}

const readLocal = (cx: Compilation, entry: YEntry | undefined, env: Env): ReadonlyArray<string> => {
  if (entry === undefined) return []
  if (entry.value.kind !== "seq") {
    cx.error(entry.value, "local must be a list of state keys")
    return []
  }
  const keys: Array<string> = []
  for (const item of entry.value.items) {
    const key = cx.key(item, "a local key")
    if (key === undefined) continue
    const found = env.get(key)
    if (found === undefined || (found.writers.size === 1 && found.writers.has("inputs"))) {
      cx.error(item, `local key "${key}" is written by none of the flow's steps${didYouMean(key, Array.from(env.keys()))}`)
      continue
    }
    if (cx.inputs.has(key)) {
      cx.error(item, `local key "${key}" is also an input: an input is not local`)
      continue
    }
    keys.push(key)
  }
  return keys
}
