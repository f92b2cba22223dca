/**
 * The state as a flow leaves it at each point, by type: what `Template.make`
 * and `composeWorkflow` compute at compile time, computed at load time over
 * the nodes' run-time Schemas.
 *
 * An environment maps each state key to the type of its value, whether it
 * may be missing (written by a skippable step, by one arm of a branch, by a
 * loop that may not run), and which steps wrote it. {@link apply} runs a
 * code node (step, template, control flow, durable node) over an
 * environment: it checks every key the node reads against what is there
 * (the node's `Problem`s) and returns the environment after it.
 *
 * @internal
 */
import { Schema, SchemaAST } from "effect"
import type { Template } from "../../index.js"
import { arrayOf, elementType, isAssignable, union } from "./assignable.js"
import { PMap } from "./persistent.js"
import { describe } from "./printType.js"
import { didYouMean } from "./suggest.js"

type AST = SchemaAST.AST

/** What the state holds under one key at some point of a flow. */
export interface Entry {
  /** The value's type (without the `undefined` of a missing value). */
  readonly type: AST
  /** Whether the key may be missing here. */
  readonly optional: boolean
  /** The ids of the steps that may have written it (`inputs` for the flow's input). */
  readonly writers: ReadonlySet<string>
}

/**
 * The state's keys at one point of a flow: a persistent map, so that each
 * step's environment shares what it did not change with the one before it,
 * and comparing two of them costs what differs (loading is linear in the
 * number of steps).
 */
export type Env = PMap<Entry>

/** The environment with nothing in it. */
export const emptyEnv = (): Env => PMap.empty()

/** A key as a node requires it. */
export interface Requirement {
  readonly type: AST
  readonly optional: boolean
}

/** One Struct field (a Schema or a property signature). */
export type Field = Schema.Struct.Fields[string]

const fieldCache = new WeakMap<object, Requirement>()

/** The type of a Struct field, and whether it is optional. */
export const fieldInfo = (field: Field): Requirement => {
  const cached = fieldCache.get(field)
  if (cached !== undefined) return cached
  if (Schema.isSchema(field)) {
    // what a one-key Struct of it would say, without building one (a Schema class each)
    const info: Requirement = { type: SchemaAST.typeAST(field.ast), optional: false }
    fieldCache.set(field, info)
    return info
  }
  const ast = SchemaAST.typeAST(Schema.Struct({ key: field }).ast)
  const ps = ast._tag === "TypeLiteral" ? ast.propertySignatures[0] : undefined
  const info: Requirement = ps === undefined
    ? { type: SchemaAST.unknownKeyword, optional: false }
    : { type: ps.type, optional: ps.isOptional }
  fieldCache.set(field, info)
  return info
}

/** The field of a one-key Struct (`Template.requirements` / `Template.provides` form). */
export const fieldOfKey = (schema: Schema.Schema.AnyNoContext, key: string): Field =>
  (schema as unknown as { readonly fields?: Schema.Struct.Fields }).fields?.[key] ?? Schema.Unknown

/** A Schema field for a key as the environment has it (optional when it may be missing). */
export const fieldOfEntry = (entry: Entry): Field => {
  let fields = entryFields.get(entry.type)
  if (fields === undefined) {
    const schema = Schema.make(entry.type)
    fields = { required: schema, optional: Schema.optional(schema) }
    entryFields.set(entry.type, fields)
  }
  return entry.optional ? fields.optional : fields.required
}

/** The fields of each type (a Schema is a class of its own: made once per type, and shared). */
const entryFields = new WeakMap<AST, { readonly required: Field; readonly optional: Field }>()

/** The type a read of the entry sees. */
export const readType = (entry: Entry): AST => entry.optional ? union([entry.type, SchemaAST.undefinedKeyword]) : entry.type

/** Writes keys. */
export const write = (
  env: Env,
  fields: Readonly<Record<string, { readonly type: AST; readonly optional: boolean }>>,
  writer: string
): Env => {
  let next = env
  for (const [key, info] of Object.entries(fields)) {
    next = next.set(key, { type: info.type, optional: info.optional, writers: new Set([writer]) })
  }
  return next
}

/** The environment after one of several alternatives: a key some do not have is optional. */
export const join = (envs: ReadonlyArray<Env>): Env => {
  if (envs.length === 1) return envs[0]!
  // the keys where the environments differ (from the first): the others are the first's, shared
  const first = envs[0]!
  const keys = new Set(envs.slice(1).flatMap((env) => first.diff(env)))
  let next = first
  for (const key of keys) {
    const entries = envs.map((env) => env.get(key))
    const present = entries.filter((e): e is Entry => e !== undefined)
    next = next.set(key, {
      type: union(present.map((e) => e.type)),
      optional: present.length < entries.length || present.some((e) => e.optional),
      writers: new Set(present.flatMap((e) => Array.from(e.writers)))
    })
  }
  return next
}

/** Adds `writer` to the writers of every key whose entry changed from `before` to `after`. */
export const markWriter = (before: Env, after: Env, writer: string): Env => {
  let next = after
  for (const key of before.changedIn(after)) {
    const entry = after.get(key)!
    next = next.set(key, { ...entry, writers: new Set([...entry.writers, writer]) })
  }
  return next
}

/** Why a key a node reads does not fit. */
export type Problem =
  | { readonly _tag: "Missing"; readonly key: string; readonly by: string; readonly required: Requirement }
  | { readonly _tag: "MaybeMissing"; readonly key: string; readonly by: string; readonly entry: Entry }
  | { readonly _tag: "Mismatch"; readonly key: string; readonly by: string; readonly required: Requirement; readonly entry: Entry }
  | {
    readonly _tag: "Conflict"
    readonly key: string
    readonly by: string
    readonly required: Requirement
    readonly first: Requirement
    readonly firstBy: string
  }
  | { readonly _tag: "NotAList"; readonly key: string; readonly by: string; readonly entry: Entry; readonly element: AST }

/** Checks one key a node reads against the environment; `undefined` when it fits. */
export const checkRead = (env: Env, key: string, required: Requirement, by: string): Problem | undefined => {
  const entry = env.get(key)
  if (entry === undefined) return required.optional ? undefined : { _tag: "Missing", key, by, required }
  if (entry.optional && !required.optional) return { _tag: "MaybeMissing", key, by, entry }
  if (!isAssignable(entry.type, required.type)) return { _tag: "Mismatch", key, by, required, entry }
  return undefined
}

/** What {@link apply} needs from its caller. */
export interface Context {
  /** The id written keys are attributed to. */
  readonly writer: string
  /** Takes a problem. */
  readonly report: (problem: Problem) => void
  /**
   * A key read that nothing provides: `true` when that is fine (it becomes
   * a requirement from outside, as in a composite), else it is reported.
   */
  readonly missing?: ((key: string, required: Requirement, by: string) => boolean) | undefined
}

const read = (env: Env, key: string, required: Requirement, by: string, ctx: Context) => {
  const problem = checkRead(env, key, required, by)
  if (problem === undefined) return
  if (problem._tag === "Missing" && ctx.missing?.(key, required, by) === true) return
  ctx.report(problem)
}

const requirementOf = (key: string, schema: Schema.Schema.AnyNoContext): Requirement => {
  const ast = SchemaAST.typeAST(schema.ast)
  const ps = ast._tag === "TypeLiteral" ? ast.propertySignatures.find((p) => p.name === key) : undefined
  return ps === undefined ? { type: SchemaAST.unknownKeyword, optional: false } : { type: ps.type, optional: ps.isOptional }
}

const provided = (fields: Schema.Struct.Fields, optional: boolean) =>
  Object.fromEntries(Object.entries(fields).map(([key, field]) => {
    const info = fieldInfo(field)
    return [key, { type: info.type, optional: optional || info.optional }]
  }))

/** The environment after a code node, checking what it reads. `path` prefixes names in problems. */
export const apply = (node: Template.Node, env: Env, ctx: Context, path = ""): Env => {
  switch (node._tag) {
    case "Step": {
      const by = `${path}${node.name}`
      for (const [key, field] of Object.entries(node.requires)) read(env, key, fieldInfo(field), by, ctx)
      return write(env, provided(node.provides, node.onError === "skip"), ctx.writer)
    }
    case "Template": {
      let current = env
      for (const child of node.steps) current = apply(child, current, ctx, `${path}${node.name}/`)
      if (node.local.length === 0) return current
      let next = current
      for (const key of node.local) {
        const before = env.get(key)
        next = before === undefined ? next.delete(key) : next.set(key, before)
      }
      return next
    }
    case "Sleep":
      return env
    case "WaitForSignal": {
      const info = requirementOf(node.key, node.provides[node.key] ?? Schema.Struct({}))
      return write(env, { [node.key]: { type: info.type, optional: false } }, ctx.writer)
    }
    case "Subflow":
      return apply(node.template, env, ctx, path)
    case "Flow":
      return applyFlow(node, env, ctx, `${path}${node.name}/`)
  }
}

const applyFlow = (node: Template.Node & { readonly _tag: "Flow" }, env: Env, ctx: Context, path: string): Env => {
  const spec = node.spec
  const by = path.slice(0, -1)
  switch (spec.kind) {
    case "branch": {
      for (const [key, field] of Object.entries(spec.requires)) read(env, key, fieldInfo(field), by, ctx)
      return join(spec.labels.map((label) => {
        const arm = spec.arms[label]
        return arm === undefined ? env : apply(arm, env, ctx, `${path}${label}/`)
      }))
    }
    case "loop": {
      const predicate = (at: Env) => {
        for (const [key, field] of Object.entries(spec.requires)) read(at, key, fieldInfo(field), by, ctx)
      }
      if (spec.check === "before") predicate(env)
      const first = apply(spec.body, env, ctx, `${path}1/`)
      predicate(first)
      const second = apply(spec.body, first, ctx, `${path}2/`)
      predicate(second)
      return spec.check === "before" ? join([env, first, second]) : join([first, second])
    }
    case "forEach": {
      const as = spec.body.requirements.find(([key]) => key === spec.as)
      const element = as === undefined ? { type: SchemaAST.unknownKeyword, optional: false } : requirementOf(spec.as, as[1])
      const list = env.get(spec.over)
      let elementType_ = element.type
      if (list === undefined) {
        const required = { type: arrayOf(element.type), optional: false }
        if (ctx.missing?.(spec.over, required, by) !== true) ctx.report({ _tag: "Missing", key: spec.over, by, required })
      } else if (list.optional) {
        ctx.report({ _tag: "MaybeMissing", key: spec.over, by, entry: list })
      } else if (!isAssignable(list.type, arrayOf(element.type))) {
        ctx.report({ _tag: "NotAList", key: spec.over, by, entry: list, element: element.type })
      } else {
        elementType_ = elementType(list.type) ?? element.type
      }
      const inner = write(env, { [spec.as]: { type: elementType_, optional: false } }, ctx.writer)
      const after = apply(spec.body, inner, ctx, `${path}0/`)
      const collected = after.get(spec.collect)
      const itemType = collected === undefined
        ? SchemaAST.unknownKeyword
        : collected.optional
        ? union([collected.type, SchemaAST.undefinedKeyword])
        : collected.type
      return write(env, { [spec.into]: { type: arrayOf(itemType), optional: false } }, ctx.writer)
    }
    case "parallel": {
      const branches = spec.labels.map((label) => apply(spec.branches[label]!, env, ctx, `${path}${label}/`))
      if (spec.mode === "first") return join(branches)
      let next = env
      const changed = new Map<string, Array<Entry>>()
      for (const branch of branches) {
        for (const key of env.changedIn(branch)) changed.set(key, [...(changed.get(key) ?? []), branch.get(key)!])
      }
      for (const [key, entries] of changed) {
        next = next.set(key, {
          type: union(entries.map((e) => e.type)),
          optional: entries.every((e) => e.optional),
          writers: new Set(entries.flatMap((e) => Array.from(e.writers)))
        })
      }
      return next
    }
  }
}

/** A problem as a sentence; `writers` names who wrote an entry, `known` are the keys there are (for "did you mean"). */
export const problemMessage = (
  problem: Problem,
  writers: (entry: Entry) => string,
  known: ReadonlyArray<string>
): string => {
  switch (problem._tag) {
    case "Missing":
      return `${problem.by} reads "${problem.key}" (${describe(problem.required.type)}), but nothing provides it here` +
        `${didYouMean(problem.key, known)}: declare it under inputs, map it with "with:", or write it in an earlier step`
    case "MaybeMissing":
      return `${problem.by} reads "${problem.key}", but it may be missing here: ${writers(problem.entry)} may not have run ` +
        `(a step that may be skipped, one arm of a branch, a loop that may not run, the first branch to finish)`
    case "Mismatch":
      return `${problem.by} reads "${problem.key}" as ${describe(problem.required.type)}, but it is ` +
        `${describe(problem.entry.type)} here (written by ${writers(problem.entry)})`
    case "Conflict":
      return `"${problem.key}" is read as ${describe(problem.first.type)} by ${problem.firstBy} and as ` +
        `${describe(problem.required.type)} by ${problem.by}: no value is both`
    case "NotAList":
      return `${problem.by} goes over "${problem.key}" as a list of ${describe(problem.element)}, but it is ` +
        `${describe(problem.entry.type)} here`
  }
}
