/**
 * From a positioned YAML tree to an ordinary `Template`, checked on the way
 * as strictly as the compiler checks code: every key a step reads against
 * what the flow has written by then (by type, with the rule of
 * `composeWorkflow`), every reference, condition and value, every field.
 * Every problem is collected with its position; a template is built only
 * when there is none.
 *
 * How a YAML step becomes a node:
 *
 * - `use: <step>`: a new step named after the YAML step's id, reading the
 *   keys its `with:` values refer to plus the keys the registered step reads
 *   that `with:` does not map, and calling the registered step's `run` with
 *   its input mapped (`with:` renames; nothing extra is written to the state).
 *   Its policy is the registered step's unless the YAML sets one.
 * - `use: <template>` / `subflow: <template>`: the template itself (renamed
 *   after the id); when `with:` maps keys, a small step `<id>:with` before it
 *   writes them under the names the template reads.
 * - control flow and durable nodes: `Flow.branch` / `Flow.match`,
 *   `Flow.loop`, `Flow.forEach`, `Flow.parallel`, `Durable.sleep`,
 *   `Durable.waitForSignal`, `Durable.subflow`, with conditions compiled from
 *   the expression language (no `eval`).
 *
 * @internal
 */
import { createHash } from "node:crypto"
import { Duration, Effect, Either, Schedule, Schema, SchemaAST } from "effect"
import { Durable, Flow, Step, Template } from "../../index.js"
import {
  arrayOf,
  booleanType,
  defined,
  describe,
  elementType,
  isAssignable,
  isOpaque,
  mayBeUndefined,
  members,
  numberType,
  stringType,
  union
} from "./assignable.js"
import { parseDuration } from "./duration.js"
import {
  apply,
  checkRead,
  type Entry,
  type Env,
  type Field,
  fieldInfo,
  fieldOfEntry,
  fieldOfKey,
  join,
  markWriter,
  type Problem,
  problemMessage,
  readType,
  type Requirement,
  write
} from "./env.js"
import * as Expr from "./expr.js"
import type { Registry } from "../Yaml.js"
import type { Diagnostics, Positions, YEntry, YMap, YNode, YScalar } from "./source.js"
import { closest, didYouMean, listOf } from "./suggest.js"
import { typeOf, unknownTypeMessage } from "./types.js"

type AST = SchemaAST.AST
type Node = Template.Node
type AnySchema = Schema.Schema.AnyNoContext

export type { Registry }

/** The kinds of YAML step, by their key. */
export const stepKinds = ["use", "branch", "loop", "forEach", "parallel", "sleep", "waitForSignal", "subflow"] as const

/** The fields of each part of the format (for unknown-field errors and the JSON Schema). */
export const formatFields = {
  flow: ["name", "version", "description", "inputs", "types", "vars", "local", "retry", "timeout", "steps"],
  use: ["id", "use", "with", "retry", "timeout", "onError", "description"],
  template: ["id", "use", "with", "description"],
  subflow: ["id", "subflow", "with", "description"],
  branch: ["id", "branch", "description"],
  branchBody: ["if", "then", "else", "on", "cases", "default"],
  loop: ["id", "loop", "description"],
  loopBody: ["while", "maxIterations", "check", "steps"],
  forEach: ["id", "forEach", "description"],
  forEachBody: ["over", "as", "steps", "collect", "into", "concurrency"],
  parallel: ["id", "parallel", "description"],
  parallelBody: ["branches", "concurrency", "mode", "merge"],
  sleep: ["id", "sleep", "description"],
  waitForSignal: ["id", "waitForSignal", "description"],
  waitForSignalBody: ["name", "key", "payload", "timeout", "default"],
  retry: ["count", "delay", "backoff", "factor", "maxDelay"],
  onError: ["fallback"],
  fallback: ["use", "with"]
} as const

/** The merge functions of `parallel`. */
export const mergeFunctions = ["first", "last", "max", "min", "sum", "concat", "any", "all"] as const

const idPattern = /^[A-Za-z_][A-Za-z0-9_-]*$/
const keyPattern = /^[A-Za-z_$][A-Za-z0-9_$-]*$/
const namePattern = /^[A-Za-z0-9_.:+@-]+$/
const labelPattern = /^[A-Za-z0-9_.:-]+$/
const reserved = new Set(["inputs", "steps", "vars", "state"])

interface Walk {
  readonly env: Env
  /** The ids of the steps that have run on this path. */
  readonly visible: ReadonlySet<string>
}

interface Span {
  readonly start: number
  readonly end: number
}

/** From offsets in an expression's text to offsets in the file. */
type SourceMap = (span: Span) => Span

/** The scope of the expressions of one value, given where each expression sits in the file. */
type ScopeAt = (toSource: SourceMap) => Expr.Scope

interface StepInfo {
  readonly id: string
  readonly order: number
}

/** A checked `with:` value (or constant): its type, how to compute it, and its value when it is constant. */
interface Value {
  readonly type: AST
  readonly run: (state: Expr.StateView) => unknown
  readonly constant: { readonly value: unknown } | undefined
}

interface Policy {
  readonly retry: Schedule.Schedule<unknown, unknown> | undefined
  readonly timeout: Duration.Duration | undefined
  readonly onError: "fail" | "skip" | undefined
  readonly fallback: YEntry | undefined
}

/** A registered step's run, which `Step.Any` does not expose. */
interface Runnable {
  readonly run: (input: unknown, context: Step.Context) => Effect.Effect<unknown, unknown, unknown>
}

/** The input of {@link compile}. */
export interface Input {
  readonly root: YNode
  readonly text: string
  readonly registry: Registry
  readonly vars: Readonly<Record<string, string>>
  readonly diagnostics: Diagnostics
  readonly positions: Positions
}

/** Compiles a flow; `undefined` when there was a problem (in the diagnostics). */
export const compile = (input: Input): Template.Template.Any | undefined => new Compiler(input).flow()

const isTemplate = (u: unknown): u is Template.Template.Any => Template.isTemplate(u)

/** Whether `key` is an own property of `o` (never one of `Object.prototype`'s, such as "constructor"). */
const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key)
const isStep = (u: unknown): u is Step.Step.Any => Step.isStep(u)

class Compiler {
  private readonly diagnostics: Diagnostics
  private readonly registry: Registry
  private readonly positions: Positions
  private readonly text: string
  private readonly optionVars: Readonly<Record<string, string>>
  /** Every YAML step's id and document order, by its mapping. */
  private readonly info = new Map<YMap, StepInfo>()
  /** Every id, with where it is declared. */
  private readonly ids = new Map<string, { readonly order: number; readonly at: YNode }>()
  /** The keys each step provides, once it has been compiled. */
  private readonly providedBy = new Map<string, ReadonlySet<string>>()
  private readonly inputs = new Map<string, { readonly schema: AnySchema; readonly optional: boolean }>()
  private readonly vars = new Map<string, string | number | boolean>()
  private readonly types = new Map<string, YNode>()
  private readonly resolvedTypes = new Map<string, AnySchema | undefined>()
  private readonly resolving = new Set<string>()
  private readonly used = new Set<string>()
  private version = "0"
  /** Set after a step that could not be resolved: keys nothing provides are no longer reported. */
  private unresolved = false
  /** The state keys read while each tracker is open (a forEach's steps must read their element). */
  private readonly trackers: Array<Set<string>> = []

  private track(key: string): void {
    for (const tracker of this.trackers) tracker.add(key)
  }

  constructor(input: Input) {
    this.diagnostics = input.diagnostics
    this.registry = input.registry
    this.positions = input.positions
    this.text = input.text
    this.optionVars = input.vars
    this.root = input.root
  }

  private readonly root: YNode

  // -------------------------------------------------------------------------
  // reporting and reading
  // -------------------------------------------------------------------------

  private error(at: Span, message: string): undefined {
    this.diagnostics.add(at.start, at.end, message)
    return undefined
  }

  private line(node: { readonly start: number }): number {
    return this.positions.at(node.start).line
  }

  /** The offset in the source of character `index` of a scalar's value. */
  private offsetOf = (node: YNode, index: number): number =>
    node.kind === "scalar" && node.verbatim ? node.valueStart + index : node.start

  /** A mapping's entries by key, reporting keys that are not `allowed`. */
  private fields(node: YNode, allowed: ReadonlyArray<string>, what: string): Map<string, YEntry> | undefined {
    if (node.kind !== "map") {
      this.error(node, `${what} must be a mapping (key: value)${node.kind === "scalar" && node.value === null ? ", not empty" : ""}`)
      return undefined
    }
    const found = new Map<string, YEntry>()
    for (const entry of node.entries) {
      if (!allowed.includes(entry.key)) {
        this.error(
          entry.keyNode,
          `unknown field "${entry.key}" in ${what}${didYouMean(entry.key, allowed)}; it may have ${listOf(allowed)}`
        )
        continue
      }
      found.set(entry.key, entry)
    }
    return found
  }

  /** A mapping whose keys are free (inputs, types, vars), or the error. */
  private mapping(node: YNode, what: string): YMap | undefined {
    if (node.kind === "map") return node
    if (node.kind === "scalar" && node.value === null) return { kind: "map", start: node.start, end: node.end, entries: [] }
    return this.error(node, `${what} must be a mapping (name: value)`)
  }

  private string(node: YNode, what: string): string | undefined {
    if (node.kind !== "scalar" || node.value === null || typeof node.value === "boolean") {
      return this.error(node, `${what} must be a text`)
    }
    const text = typeof node.value === "number" ? node.source : node.value
    if (text.trim().length === 0) return this.error(node, `${what} must not be empty`)
    return text
  }

  private name(node: YNode, what: string, pattern: RegExp, rule: string): string | undefined {
    const text = this.string(node, what)
    if (text === undefined) return undefined
    if (!pattern.test(text)) return this.error(node, `${what} "${text}" ${rule}`)
    return text
  }

  private key(node: YNode, what: string): string | undefined {
    return this.name(node, what, keyPattern, "is not a state key (letters, digits, \"_\", \"-\", \"$\")")
  }

  /**
   * A setting's scalar: its value, or the value of the var it names when it
   * is exactly `${vars.name}` (durations, counts and limits may come from vars).
   */
  private setting(node: YNode): { readonly value: string | number | boolean | null; readonly text: string } | undefined {
    if (node.kind !== "scalar") return undefined
    if (typeof node.value === "string") {
      const match = /^\$\{\s*vars\.([A-Za-z_][A-Za-z0-9_]*)\s*\}$/.exec(node.value)
      if (match !== null) {
        const value = this.vars.get(match[1]!)
        if (value === undefined) {
          this.error(node, `no var "${match[1]}"${didYouMean(match[1]!, Array.from(this.vars.keys()))}: declare it under "vars:" or give it when loading`)
          return undefined
        }
        if (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value.trim())) return { value: Number(value), text: value.trim() }
        return { value, text: String(value) }
      }
    }
    return { value: node.value, text: typeof node.value === "number" ? node.source : String(node.value) }
  }

  private integer(node: YNode, what: string, min: number): number | undefined {
    const found = this.setting(node)
    if (found === undefined && node.kind === "scalar") return undefined
    const value = found?.value
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      return this.error(node, `${what} must be a whole number from ${min}, got ${node.kind === "scalar" ? JSON.stringify(value) : `a ${node.kind === "map" ? "mapping" : "list"}`}`)
    }
    return value
  }

  private duration(node: YNode, what: string): Duration.Duration | undefined {
    const found = this.setting(node)
    if (found === undefined && node.kind === "scalar") return undefined
    if (found === undefined || found.value === null || typeof found.value === "boolean") {
      return this.error(node, `${what} must be a duration such as "10 seconds" or "2h"`)
    }
    const parsed = parseDuration(found.text)
    if (parsed._tag === "Left") return this.error(node, `${what}: ${parsed.message}`)
    return parsed.duration
  }

  private concurrency(node: YNode, what: string): Flow.Concurrency | undefined {
    const found = this.setting(node)
    if (found === undefined && node.kind === "scalar") return undefined
    if (found?.value === "unbounded") return "unbounded"
    if (typeof found?.value === "number" && Number.isInteger(found.value) && found.value >= 1) return found.value
    return this.error(node, `${what} must be a whole number from 1, or "unbounded"`)
  }

  /** A YAML value as a plain value (for `default:` of a signal). */
  private constant(node: YNode): unknown {
    switch (node.kind) {
      case "scalar":
        return node.value
      case "seq":
        return node.items.map((item) => this.constant(item))
      case "map":
        return Object.fromEntries(node.entries.map((entry) => [entry.key, this.constant(entry.value)]))
    }
  }

  // -------------------------------------------------------------------------
  // the flow
  // -------------------------------------------------------------------------

  flow(): Template.Template.Any | undefined {
    const top = this.fields(this.root, formatFields.flow, "a flow")
    if (top === undefined) return undefined
    const nameEntry = top.get("name")
    const versionEntry = top.get("version")
    const stepsEntry = top.get("steps")
    if (nameEntry === undefined) this.error({ start: this.root.start, end: this.root.start }, `a flow needs a "name"`)
    if (versionEntry === undefined) this.error({ start: this.root.start, end: this.root.start }, `a flow needs a "version"`)
    if (stepsEntry === undefined) this.error({ start: this.root.start, end: this.root.start }, `a flow needs "steps"`)
    const name = nameEntry === undefined
      ? undefined
      : this.name(nameEntry.value, "the flow's name", namePattern, "must use only letters, digits and _ . : + @ -")
    const version = versionEntry === undefined
      ? undefined
      : this.name(versionEntry.value, "the flow's version", /^\S+$/, "must not contain spaces")
    if (version !== undefined) this.version = version

    const types = top.get("types")
    if (types !== undefined) {
      const map = this.mapping(types.value, "types")
      if (map !== undefined) {
        for (const entry of map.entries) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.key)) {
            this.error(entry.keyNode, `type name "${entry.key}" must use only letters, digits and "_"`)
          } else this.types.set(entry.key, entry.value)
        }
      }
    }
    for (const name of this.types.keys()) this.resolveNamed(name, this.types.get(name)!)

    this.readVars(top.get("vars"))
    const env = this.readInputs(top.get("inputs"))

    const retry = top.get("retry") === undefined ? undefined : this.retry(top.get("retry")!.value)
    const timeout = top.get("timeout") === undefined ? undefined : this.duration(top.get("timeout")!.value, "timeout")

    let nodes: ReadonlyArray<Node> = []
    let walk: Walk = { env, visible: new Set() }
    if (stepsEntry !== undefined) {
      this.collectIds(stepsEntry.value, { next: 0 })
      const compiled = this.list(stepsEntry.value, walk, "the flow")
      nodes = compiled.nodes
      walk = compiled.walk
    }

    const local = this.readLocal(top.get("local"), walk.env)
    if (this.diagnostics.count > 0 || name === undefined || version === undefined) return undefined

    const declared: Record<string, Field> = {}
    for (const [key, input] of this.inputs) declared[key] = input.optional ? Schema.optional(input.schema) : input.schema
    const guard = this.inputs.size === 0 ? [] : [
      Step.make({
        name: "inputs",
        requires: declared,
        provides: {},
        run: () => Effect.succeed({})
      }) as unknown as Node
    ]
    const hash = createHash("sha256")
      .update(this.text)
      .update("\u0000vars\u0000")
      .update(JSON.stringify(Array.from(this.vars).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)))
      .update("\u0000templates\u0000")
      .update(Array.from(this.used).sort().join(","))
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
      if (Either.isLeft(valid)) return this.error(this.root, `the flow is not a valid template: ${valid.left.message}`)
      return template
    } catch (error) {
      return this.error(this.root, `the flow could not be built: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  private readVars(entry: YEntry | undefined): void {
    if (entry !== undefined) {
      const map = this.mapping(entry.value, "vars")
      if (map !== undefined) {
        for (const e of map.entries) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(e.key)) {
            this.error(e.keyNode, `var name "${e.key}" must use only letters, digits and "_"`)
            continue
          }
          const v = e.value
          if (v.kind !== "scalar" || v.value === null) {
            this.error(v, `var "${e.key}" must be a text, a number or a boolean`)
            continue
          }
          const given = own(this.optionVars, e.key) ? this.optionVars[e.key] : undefined
          if (given === undefined) {
            this.vars.set(e.key, v.value)
          } else if (typeof v.value === "number") {
            const n = Number(given)
            if (given.trim() === "" || !Number.isFinite(n)) {
              this.error(v, `var "${e.key}" is a number, but it was given "${given}"`)
              this.vars.set(e.key, v.value)
            } else this.vars.set(e.key, n)
          } else if (typeof v.value === "boolean") {
            if (given !== "true" && given !== "false") {
              this.error(v, `var "${e.key}" is a boolean, but it was given "${given}"`)
              this.vars.set(e.key, v.value)
            } else this.vars.set(e.key, given === "true")
          } else this.vars.set(e.key, given)
        }
      }
    }
    for (const [key, value] of Object.entries(this.optionVars)) if (!this.vars.has(key)) this.vars.set(key, value)
  }

  private readInputs(entry: YEntry | undefined): Env {
    const env = new Map<string, Entry>()
    if (entry === undefined) return env
    const map = this.mapping(entry.value, "inputs")
    if (map === undefined) return env
    for (const e of map.entries) {
      const optional = e.key.endsWith("?")
      const key = optional ? e.key.slice(0, -1) : e.key
      if (!keyPattern.test(key)) {
        this.error(e.keyNode, `input "${e.key}" is not a state key (letters, digits, "_", "-", "$"; "?" at the end for an optional input)`)
        continue
      }
      if (this.inputs.has(key)) {
        this.error(e.keyNode, `input "${key}" is declared twice`)
        continue
      }
      const schema = this.type(e.value)
      if (schema === undefined) {
        env.set(key, { type: SchemaAST.anyKeyword, optional, writers: new Set(["inputs"]) })
        this.inputs.set(key, { schema: Schema.Any, optional })
        continue
      }
      this.inputs.set(key, { schema, optional })
      env.set(key, { type: SchemaAST.typeAST(schema.ast), optional, writers: new Set(["inputs"]) })
    }
    return env
  }

  private readLocal(entry: YEntry | undefined, env: Env): ReadonlyArray<string> {
    if (entry === undefined) return []
    if (entry.value.kind !== "seq") {
      this.error(entry.value, "local must be a list of state keys")
      return []
    }
    const keys: Array<string> = []
    for (const item of entry.value.items) {
      const key = this.key(item, "a local key")
      if (key === undefined) continue
      const found = env.get(key)
      if (found === undefined || (found.writers.size === 1 && found.writers.has("inputs"))) {
        this.error(item, `local key "${key}" is written by none of the flow's steps${didYouMean(key, Array.from(env.keys()))}`)
        continue
      }
      if (this.inputs.has(key)) {
        this.error(item, `local key "${key}" is also an input: an input is not local`)
        continue
      }
      keys.push(key)
    }
    return keys
  }

  // -------------------------------------------------------------------------
  // types
  // -------------------------------------------------------------------------

  private type(node: YNode): AnySchema | undefined {
    return typeOf(node, {
      named: (name, at) => this.named(name, at),
      report: (at, message) => this.error(at, message)
    }, this.offsetOf)
  }

  private resolveNamed(name: string, node: YNode): AnySchema | undefined {
    if (this.resolvedTypes.has(name)) return this.resolvedTypes.get(name)
    if (this.resolving.has(name)) return this.error(node, `type "${name}" refers to itself`)
    this.resolving.add(name)
    const schema = this.type(node)
    this.resolving.delete(name)
    this.resolvedTypes.set(name, schema)
    return schema
  }

  private named(name: string, at: { readonly start: number; readonly end: number }): AnySchema | undefined {
    const declared = this.types.get(name)
    if (declared !== undefined) {
      if (this.resolving.has(name)) return this.error(at, `type "${name}" refers to itself`)
      const schema = this.resolveNamed(name, declared)
      // a type that failed reported its own problem
      return schema === undefined ? (this.resolvedTypes.has(name) ? this.silent() : undefined) : schema
    }
    const dot = name.indexOf(".")
    if (dot > 0) {
      const owner = name.slice(0, dot)
      const key = name.slice(dot + 1)
      const target = this.lookup(owner)
      if (target === undefined) {
        return this.error(at, `unknown step "${owner}" in type "${name}"${didYouMean(owner, this.registeredNames())}`)
      }
      const field = isStep(target)
        ? (own(target.requires, key) ? target.requires[key] : own(target.provides, key) ? target.provides[key] : undefined)
        : (() => {
          const req = target.requirements.find(([k]) => k === key)
          const schema = req?.[1] ?? (own(target.provides, key) ? target.provides[key] : undefined)
          return schema === undefined ? undefined : fieldOfKey(schema, key)
        })()
      if (field === undefined) {
        const keys = isStep(target)
          ? [...Object.keys(target.requires), ...Object.keys(target.provides)]
          : [...target.requiredState, ...target.providedState]
        return this.error(at, `"${owner}" neither reads nor writes "${key}"${didYouMean(key, keys)}`)
      }
      return Schema.isSchema(field) ? field as AnySchema : Schema.make(fieldInfo(field).type)
    }
    return this.error(at, unknownTypeMessage(name, Array.from(this.types.keys())))
  }

  private silent(): undefined {
    return undefined
  }

  // -------------------------------------------------------------------------
  // ids
  // -------------------------------------------------------------------------

  private kindOf(map: YMap): (typeof stepKinds)[number] | undefined {
    return stepKinds.find((kind) => map.entries.some((e) => e.key === kind))
  }

  /** Records every step's id and order, in document order; reports duplicates. */
  private collectIds(list: YNode, counter: { next: number }): void {
    if (list.kind !== "seq") return
    for (const item of list.items) {
      if (item.kind !== "map") continue
      const kind = this.kindOf(item)
      if (kind === undefined) continue
      const idEntry = item.entries.find((e) => e.key === "id")
      const kindEntry = item.entries.find((e) => e.key === kind)!
      const order = counter.next++
      let id: string | undefined
      if (idEntry !== undefined) {
        id = this.name(idEntry.value, "a step id", idPattern, "must start with a letter or \"_\" and use only letters, digits, \"_\" and \"-\"")
      } else if ((kind === "use" || kind === "subflow") && kindEntry.value.kind === "scalar" && typeof kindEntry.value.value === "string") {
        id = kindEntry.value.value
        if (!idPattern.test(id)) {
          this.error(kindEntry.value, `"${id}" cannot be a step id: give this step an "id:" (letters, digits, "_" and "-")`)
          id = undefined
        }
      } else if (kind !== "use" && kind !== "subflow") {
        id = kind
      } else {
        this.error(kindEntry.value, `${kind} names a registered ${kind === "use" ? "step or template" : "template"}`)
      }
      if (id !== undefined) {
        const at = idEntry?.value ?? kindEntry.keyNode
        if (reserved.has(id)) {
          this.error(at, `"${id}" is a reserved name: give this step another id`)
        } else {
          const previous = this.ids.get(id)
          if (previous !== undefined) {
            this.error(
              at,
              `two steps have the id "${id}" (the other at line ${this.line(previous.at)}): give ${idEntry === undefined ? "this one" : "one of them"} another "id:"`
            )
          } else {
            this.ids.set(id, { order, at })
          }
          this.info.set(item, { id, order })
        }
      }
      for (const nested of this.nestedLists(item, kind)) this.collectIds(nested, counter)
    }
  }

  /** The step lists inside a control-flow step. */
  private nestedLists(item: YMap, kind: string): ReadonlyArray<YNode> {
    const body = item.entries.find((e) => e.key === kind)?.value
    if (body === undefined || body.kind !== "map") return []
    const lists: Array<YNode> = []
    for (const entry of body.entries) {
      if (["then", "else", "default", "steps"].includes(entry.key)) lists.push(entry.value)
      if ((entry.key === "cases" || entry.key === "branches") && entry.value.kind === "map") {
        for (const arm of entry.value.entries) lists.push(arm.value)
      }
    }
    return lists
  }

  // -------------------------------------------------------------------------
  // steps
  // -------------------------------------------------------------------------

  private list(node: YNode, walk: Walk, what: string): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    if (node.kind !== "seq") {
      this.error(node, `${what}'s steps must be a list (- use: ...)`)
      return { nodes: [], walk }
    }
    if (node.items.length === 0) this.error(node, `${what} has no steps`)
    const nodes: Array<Node> = []
    let current = walk
    for (const item of node.items) {
      const compiled = this.step(item, current)
      nodes.push(...compiled.nodes)
      current = compiled.walk
    }
    return { nodes, walk: current }
  }

  private step(item: YNode, walk: Walk): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const none = { nodes: [], walk }
    if (item.kind !== "map") {
      this.error(item, `a step is a mapping with one of ${listOf(stepKinds)}`)
      return none
    }
    const kinds = item.entries.filter((e) => (stepKinds as ReadonlyArray<string>).includes(e.key))
    if (kinds.length === 0) {
      const all = Array.from(new Set(Object.values(formatFields).flat()))
      for (const entry of item.entries) {
        if (entry.key === "id" || entry.key === "description") continue
        const guess = didYouMean(entry.key, stepKinds)
        this.error(entry.keyNode, `unknown field "${entry.key}" in a step${guess === "" ? didYouMean(entry.key, all) : guess}`)
      }
      this.error(item, `a step needs one of ${listOf(stepKinds)}`)
      return none
    }
    if (kinds.length > 1) {
      this.error(kinds[1]!.keyNode, `a step is of one kind: "${kinds[0]!.key}" and "${kinds[1]!.key}" cannot go together`)
      return none
    }
    const info = this.info.get(item)
    if (info === undefined) return none // its id was refused (reported)
    const kind = kinds[0]!.key as (typeof stepKinds)[number]
    const compiled = this.stepOfKind(kind, item, info, walk)
    const env = markWriter(walk.env, compiled.walk.env, info.id)
    const provided = new Set<string>()
    for (const [key, entry] of env) if (walk.env.get(key) !== entry) provided.add(key)
    this.providedBy.set(info.id, provided)
    return { nodes: compiled.nodes, walk: { env, visible: new Set([...compiled.walk.visible, info.id]) } }
  }

  private stepOfKind(
    kind: (typeof stepKinds)[number],
    item: YMap,
    info: StepInfo,
    walk: Walk
  ): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    switch (kind) {
      case "use":
        return this.use(item, info, walk)
      case "subflow":
        return this.subflow(item, info, walk)
      case "branch":
        return this.branch(item, info, walk)
      case "loop":
        return this.loop(item, info, walk)
      case "forEach":
        return this.forEach(item, info, walk)
      case "parallel":
        return this.parallel(item, info, walk)
      case "sleep":
        return this.sleep(item, info, walk)
      case "waitForSignal":
        return this.waitForSignal(item, info, walk)
    }
  }

  private lookup(name: string): Step.Step.Any | Template.Template.Any | undefined {
    const found = Object.prototype.hasOwnProperty.call(this.registry.steps, name) ? this.registry.steps[name] : undefined
    if (found !== undefined && (isStep(found) || isTemplate(found))) return found
    return this.registry.templates?.find((t) => t.name === name)
  }

  private registeredNames(): ReadonlyArray<string> {
    return [...Object.keys(this.registry.steps), ...(this.registry.templates ?? []).map((t) => t.name)]
  }

  /** The registered step or template a `use:`/`subflow:` names, or the error. */
  private target(node: YNode, what: string): Step.Step.Any | Template.Template.Any | undefined {
    const name = this.string(node, what)
    if (name === undefined) return undefined
    const found = this.lookup(name)
    if (found === undefined) {
      const names = this.registeredNames()
      return this.error(
        node,
        `unknown step "${name}"${didYouMean(name, names)}: ${names.length === 0 ? "nothing is registered" : `registered are ${listOf([...names].sort())}`}`
      )
    }
    return found
  }

  /**
   * After an unknown step: goes on as if the closest registered name had
   * been written (when one is close), so that its misspelling is one error,
   * not one per key it would have written; else stops reporting keys that
   * nothing provides.
   */
  private recover(node: YNode, env: Env, info: StepInfo): Env {
    const name = node.kind === "scalar" ? String(node.value) : ""
    const guess = closest(name, this.registeredNames())
    const target = guess === undefined ? undefined : this.lookup(guess)
    if (target === undefined) {
      this.unresolved = true
      return env
    }
    for (const key of isStep(target) ? Object.keys(target.requires) : target.requiredState) this.track(key)
    if (isStep(target)) return write(env, providedFields(target.provides, false), info.id)
    return apply(target, env, { writer: info.id, report: () => undefined, missing: () => true })
  }

  // ---- use: a step --------------------------------------------------------

  private use(item: YMap, info: StepInfo, walk: Walk): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const useEntry = item.entries.find((e) => e.key === "use")!
    const target = this.target(useEntry.value, "use")
    if (target === undefined) {
      this.fields(item, formatFields.use, "a step")
      return { nodes: [], walk: { env: this.recover(useEntry.value, walk.env, info), visible: walk.visible } }
    }
    if (isTemplate(target)) return this.useTemplate(item, info, walk, target, "use")
    const fields = this.fields(item, formatFields.use, `step "${info.id}"`) ?? new Map<string, YEntry>()
    const policy = this.policy(fields, info)
    const mapped = this.mapped(fields.get("with"), target.requires, info, walk, `step "${info.id}" (${target.name})`, "reads")
    const skip = policy.onError === "skip" || (policy.onError === undefined && target.onError === "skip" && target.fallback === undefined)
    const implicit: Array<string> = []
    for (const [key, field] of Object.entries(target.requires)) {
      if (mapped.keys.has(key)) continue
      const problem = checkRead(walk.env, key, fieldInfo(field), `step "${info.id}"`)
      if (problem !== undefined) this.problem(useEntry.value, problem, walk.env)
      this.track(key)
      implicit.push(key)
    }
    const env = write(walk.env, providedFields(target.provides, skip), info.id)
    const requires: Record<string, Field> = {}
    for (const [key, entry] of mapped.reads) requires[key] = fieldOfEntry(entry)
    for (const key of implicit) requires[key] = target.requires[key]!
    const readKeys = new Set(Object.keys(requires))

    let fallback: Step.Step.Any | undefined
    if (policy.fallback !== undefined) {
      fallback = this.fallback(policy.fallback, target, info, walk, readKeys)
    }
    if (policy.onError === "skip" && target.fallback !== undefined) {
      this.error(fields.get("onError")!.value, `"${target.name}" has a fallback (Step.orElse): onError: skip would drop it`)
    }
    if (this.diagnostics.count > 0) return { nodes: [], walk: { env, visible: walk.visible } }

    const mapInput = inputMapper(implicit, mapped.values)
    const primary = wrap(target, info.id, requires, mapInput, policy)
    // the registered step's own fallbacks, then the YAML's, in that order
    const chain: Array<Step.Step.Any> = []
    for (let s = target.fallback; s !== undefined; s = s.fallback) chain.push(wrap(s, s.name, requires, mapInput, noPolicy))
    if (fallback !== undefined) chain.push(fallback)
    let tail: Step.Step.Any | undefined
    for (const s of chain.reverse()) tail = tail === undefined ? s : orElse(s, tail)
    const node = tail === undefined ? primary : orElse(primary, tail)
    return { nodes: [node as unknown as Node], walk: { env, visible: walk.visible } }
  }

  private fallback(
    entry: YEntry,
    primary: Step.Step.Any,
    info: StepInfo,
    walk: Walk,
    primaryReads: ReadonlySet<string>
  ): Step.Step.Any | undefined {
    const node = entry.value
    let useNode: YNode
    let withEntry: YEntry | undefined
    if (node.kind === "map") {
      const fields = this.fields(node, formatFields.fallback, "a fallback")
      if (fields === undefined) return undefined
      const u = fields.get("use")
      if (u === undefined) return this.error(node, `a fallback needs "use: <step>"`)
      useNode = u.value
      withEntry = fields.get("with")
    } else {
      useNode = node
    }
    const target = this.target(useNode, "a fallback")
    if (target === undefined) return undefined
    if (isTemplate(target)) return this.error(useNode, `a fallback is a step; "${target.name}" is a template`)
    const by = `fallback "${target.name}" of step "${info.id}"`
    const mapped = this.mapped(withEntry, target.requires, info, walk, by, "reads")
    const implicit: Array<string> = []
    const requires: Record<string, Field> = {}
    for (const [key, field] of Object.entries(target.requires)) {
      if (mapped.keys.has(key)) continue
      const problem = checkRead(walk.env, key, fieldInfo(field), by)
      if (problem !== undefined) this.problem(useNode, problem, walk.env)
      this.track(key)
      implicit.push(key)
      requires[key] = field
    }
    for (const [key, e] of mapped.reads) if (!own(requires, key)) requires[key] = fieldOfEntry(e)
    // as Step.orElse: the fallback runs on the primary's input, and stands in for what it writes
    for (const key of Object.keys(requires)) {
      if (!primaryReads.has(key)) {
        this.error(useNode, `the fallback "${target.name}" reads "${key}", which step "${info.id}" does not read: a fallback runs on the primary's input`)
      }
    }
    for (const [key, field] of Object.entries(primary.provides)) {
      const theirs = own(target.provides, key) ? target.provides[key] : undefined
      const mine = fieldInfo(field)
      if (theirs === undefined) {
        this.error(useNode, `the fallback "${target.name}" does not write "${key}", which step "${info.id}" writes: it cannot stand in for it`)
      } else if (!isAssignable(fieldInfo(theirs).type, mine.type)) {
        this.error(
          useNode,
          `the fallback "${target.name}" writes "${key}" as ${describe(fieldInfo(theirs).type)}, but step "${info.id}" writes it as ${describe(mine.type)}`
        )
      }
    }
    return wrap(target, target.name, requires, inputMapper(implicit, mapped.values), noPolicy)
  }

  private policy(fields: ReadonlyMap<string, YEntry>, info: StepInfo): Policy {
    const retryEntry = fields.get("retry")
    const timeoutEntry = fields.get("timeout")
    const onErrorEntry = fields.get("onError")
    let onError: Policy["onError"]
    let fallback: YEntry | undefined
    if (onErrorEntry !== undefined) {
      const v = onErrorEntry.value
      if (v.kind === "scalar" && (v.value === "fail" || v.value === "skip")) {
        onError = v.value
      } else if (v.kind === "map") {
        const f = this.fields(v, formatFields.onError, "onError")
        fallback = f?.get("fallback")
        if (f !== undefined && fallback === undefined) this.error(v, `onError is "fail", "skip" or { fallback: <step> }`)
      } else {
        const text = v.kind === "scalar" ? String(v.value) : ""
        this.error(v, `onError of step "${info.id}" is "fail", "skip" or { fallback: <step> }${didYouMean(text, ["fail", "skip", "fallback"])}`)
      }
    }
    return {
      retry: retryEntry === undefined ? undefined : this.retry(retryEntry.value),
      timeout: timeoutEntry === undefined ? undefined : this.duration(timeoutEntry.value, "timeout"),
      onError,
      fallback
    }
  }

  private retry(node: YNode): Schedule.Schedule<unknown, unknown> | undefined {
    const fields = this.fields(node, formatFields.retry, "retry")
    if (fields === undefined) return undefined
    const countEntry = fields.get("count")
    if (countEntry === undefined) return this.error(node, `retry needs "count": how many more attempts after the first`)
    const count = this.integer(countEntry.value, "retry.count", 0)
    const delayEntry = fields.get("delay")
    const delay = delayEntry === undefined ? Duration.seconds(1) : this.duration(delayEntry.value, "retry.delay")
    const backoffEntry = fields.get("backoff")
    let backoff: "fixed" | "exponential" = "fixed"
    if (backoffEntry !== undefined) {
      const v = backoffEntry.value
      if (v.kind === "scalar" && (v.value === "fixed" || v.value === "exponential")) backoff = v.value
      else this.error(v, `retry.backoff is "fixed" or "exponential"${didYouMean(v.kind === "scalar" ? String(v.value) : "", ["fixed", "exponential"])}`)
    }
    const factorEntry = fields.get("factor")
    let factor = 2
    if (factorEntry !== undefined) {
      const v = factorEntry.value
      if (backoff !== "exponential") this.error(factorEntry.keyNode, `retry.factor is for backoff: exponential`)
      if (v.kind !== "scalar" || typeof v.value !== "number" || !(v.value > 1) || !Number.isFinite(v.value)) {
        this.error(v, "retry.factor must be a number above 1")
      } else factor = v.value
    }
    const maxEntry = fields.get("maxDelay")
    const maxDelay = maxEntry === undefined ? undefined : this.duration(maxEntry.value, "retry.maxDelay")
    if (count === undefined || delay === undefined || (maxEntry !== undefined && maxDelay === undefined)) return undefined
    const base: Schedule.Schedule<unknown, unknown> = backoff === "exponential"
      ? Schedule.exponential(delay, factor)
      : Schedule.spaced(delay)
    const capped = maxDelay === undefined ? base : base.pipe(Schedule.union(Schedule.spaced(maxDelay)))
    return capped.pipe(Schedule.intersect(Schedule.recurs(count)))
  }

  /**
   * The `with:` of a step or template: each key checked against what the
   * target reads (`fieldsOf`), each value compiled and checked against the
   * key's type.
   */
  private mapped(
    entry: YEntry | undefined,
    fieldsOf: Readonly<Record<string, Field | ReadonlyArray<Field>>>,
    info: StepInfo,
    walk: Walk,
    by: string,
    verb: string
  ): {
    readonly keys: ReadonlySet<string>
    readonly values: ReadonlyArray<readonly [string, Value]>
    readonly reads: ReadonlyMap<string, Entry>
  } {
    const keys = new Set<string>()
    const values: Array<readonly [string, Value]> = []
    const reads = new Map<string, Entry>()
    if (entry === undefined) return { keys, values, reads }
    if (entry.value.kind !== "map") {
      this.error(entry.value, `with: maps the keys ${by} ${verb} to values: it must be a mapping`)
      return { keys, values, reads }
    }
    const known = Object.keys(fieldsOf)
    for (const e of entry.value.entries) {
      const target = fieldsOf[e.key]
      if (target === undefined || !Object.prototype.hasOwnProperty.call(fieldsOf, e.key)) {
        this.error(
          e.keyNode,
          `${by} does not read "${e.key}"${didYouMean(e.key, known)}; ${known.length === 0 ? "it reads nothing" : `it reads ${listOf(known)}`}`
        )
        continue
      }
      keys.add(e.key)
      const value = this.value(e.value, (toSource) => this.scope(walk, reads, info, toSource))
      if (value === undefined) continue
      const targets = Array.isArray(target) ? target as ReadonlyArray<Field> : [target as Field]
      if (targets.every((field) => this.checkValue(value, field, e.key, e.value, by))) values.push([e.key, value])
    }
    return { keys, values, reads }
  }

  /** Whether a `with:` value fits the field it is mapped to (reported when not). */
  private checkValue(value: Value, field: Field, key: string, node: YNode, by: string): boolean {
    const required = fieldInfo(field)
    if (value.constant !== undefined) {
      const result = Schema.validateEither(Schema.Struct({ [key]: field }) as unknown as AnySchema)(
        { [key]: value.constant.value },
        { errors: "first" }
      )
      if (Either.isLeft(result)) {
        const message = result.left.message.split("\n").slice(-1)[0]?.trim() ?? ""
        this.error(
          node,
          `"${key}" of ${by} is ${describe(required.type)}; ${JSON.stringify(value.constant.value)?.slice(0, 80)} is not one (${message})`
        )
        return false
      }
      return true
    }
    if (mayBeUndefined(value.type) && !required.optional && !isOpaque(value.type)) {
      this.error(node, `"${key}" of ${by} is required, but this value may be missing (${describe(value.type)})`)
      return false
    }
    const type = required.optional ? value.type : defined(value.type)
    if (!isAssignable(type, required.type)) {
      this.error(node, `"${key}" of ${by} is ${describe(required.type)}, but this value is ${describe(value.type)}`)
      return false
    }
    return true
  }

  // ---- values and references ----------------------------------------------

  /**
   * The expression scope at a point of the flow: resolves references and
   * records the keys read; `toSource` maps the expression's offsets to the
   * file's.
   */
  private scope(walk: Walk, reads: Map<string, Entry>, info: StepInfo, toSource: SourceMap): Expr.Scope {
    return {
      report: (span, message) => this.error(toSource(span), message),
      resolve: (names, span) => this.resolve(names, span, walk, reads, info, toSource)
    }
  }

  private resolve(
    names: ReadonlyArray<{ readonly name: string } & Span>,
    span: Span,
    walk: Walk,
    reads: Map<string, Entry>,
    info: StepInfo,
    at: SourceMap
  ): Expr.Resolved | undefined {
    const [first, second, third] = names
    const err = (s: Span, message: string) => this.error(at(s), message)
    const stateRead = (key: string, entry: Entry, consumed: number): Expr.Resolved => {
      reads.set(key, entry)
      this.track(key)
      return { consumed, key, type: readType(entry), read: (state) => own(state, key) ? state[key] : undefined }
    }
    switch (first!.name) {
      case "inputs": {
        if (second === undefined) return err(span, `write inputs.<name> (declared inputs: ${listOf(Array.from(this.inputs.keys()))})`)
        const key = second.name
        if (!this.inputs.has(key)) {
          return err(second, `no input "${key}"${didYouMean(key, Array.from(this.inputs.keys()))}: declare it under "inputs:"`)
        }
        const entry = walk.env.get(key)
        if (entry === undefined || !entry.writers.has("inputs")) {
          return err(span, `inputs.${key} is no longer the input here: ${this.writersText(entry)} wrote "${key}" since; read state.${key}`)
        }
        return stateRead(key, entry, 2)
      }
      case "vars": {
        if (second === undefined) return err(span, "write vars.<name>")
        const value = this.vars.get(second.name)
        if (value === undefined) {
          return err(second, `no var "${second.name}"${didYouMean(second.name, Array.from(this.vars.keys()))}: declare it under "vars:" or give it when loading`)
        }
        const type = typeof value === "number" ? numberType : typeof value === "boolean" ? booleanType : stringType
        return { consumed: 2, key: undefined, type, read: () => value }
      }
      case "state": {
        if (second === undefined) return err(span, "write state.<key>")
        const entry = walk.env.get(second.name)
        if (entry === undefined) return err(second, this.nobody(second.name, walk))
        return stateRead(second.name, entry, 2)
      }
      case "steps": {
        if (second === undefined || third === undefined) return err(span, "write steps.<id>.<key>")
        const id = second.name
        const declared = this.ids.get(id)
        if (declared === undefined) {
          return err(second, `no step has the id "${id}"${didYouMean(id, Array.from(this.ids.keys()))}`)
        }
        if (id === info.id) return err(second, `step "${id}" cannot read what it writes itself`)
        if (!walk.visible.has(id)) {
          if (declared.order > info.order) {
            return err(second, `step "${id}" comes later (line ${this.line(declared.at)}): a step reads only what earlier steps wrote`)
          }
          return err(
            second,
            `step "${id}" (line ${this.line(declared.at)}) has not run here: it is in another arm or branch, or in a forEach body whose values are not kept`
          )
        }
        const provided = this.providedBy.get(id) ?? new Set<string>()
        const key = third.name
        if (!provided.has(key)) {
          return err(
            third,
            `step "${id}" does not write "${key}"${didYouMean(key, Array.from(provided))}; ${provided.size === 0 ? "it writes nothing" : `it writes ${listOf(Array.from(provided))}`}`
          )
        }
        const entry = walk.env.get(key)
        if (entry === undefined) return err(span, `"${key}" is no longer in the state here (a local key of a template)`)
        if (!entry.writers.has(id)) {
          return err(span, `steps.${id}.${key} is no longer step "${id}"'s value here: ${this.writersText(entry)} wrote "${key}" since; read steps.<that id>.${key} or state.${key}`)
        }
        return stateRead(key, entry, 3)
      }
      default: {
        const key = first!.name
        const entry = walk.env.get(key)
        if (entry === undefined) {
          if (this.ids.has(key)) return err(first!, `"${key}" is a step id: write steps.${key}.<key>`)
          return err(first!, this.nobody(key, walk))
        }
        return stateRead(key, entry, 1)
      }
    }
  }

  private nobody(key: string, walk: Walk): string {
    if (this.unresolved) return ""
    return `nothing provides "${key}" here${didYouMean(key, Array.from(walk.env.keys()))}: declare it under inputs, or write it in an earlier step`
  }

  private writersText(entry: Entry | undefined): string {
    if (entry === undefined) return "another step"
    const names = Array.from(entry.writers).map((w) =>
      w === "inputs" ? "the input" : `step "${w}"${this.ids.has(w) ? ` (line ${this.line(this.ids.get(w)!.at)})` : ""}`
    )
    return names.join(" or ")
  }

  /** Reports a key a node reads that does not fit. */
  private problem(at: YNode, problem: Problem, env: Env): void {
    if (problem._tag === "Missing" && this.unresolved) return
    this.error(at, problemMessage(problem, (entry) => this.writersText(entry), Array.from(env.keys())))
  }

  /** A YAML value as a `with:` value: constants, `${...}` references and expressions, texts with `${...}` in them. */
  private value(node: YNode, scope: ScopeAt): Value | undefined {
    switch (node.kind) {
      case "scalar": {
        const v = node.value
        if (typeof v !== "string") return { type: new SchemaAST.Literal(v), run: () => v, constant: { value: v } }
        return this.template(node, v, scope)
      }
      case "seq": {
        const items = node.items.map((item) => this.value(item, scope))
        if (items.some((i) => i === undefined)) return undefined
        const values = items as ReadonlyArray<Value>
        const constant = values.every((v) => v.constant !== undefined)
        return {
          type: arrayOf(values.length === 0 ? SchemaAST.unknownKeyword : union(values.map((v) => v.type))),
          run: (state) => values.map((v) => v.run(state)),
          constant: constant ? { value: values.map((v) => v.constant!.value) } : undefined
        }
      }
      case "map": {
        const fields: Array<readonly [string, Value]> = []
        let failed = false
        for (const entry of node.entries) {
          const value = this.value(entry.value, scope)
          if (value === undefined) failed = true
          else fields.push([entry.key, value])
        }
        if (failed) return undefined
        const constant = fields.every(([, v]) => v.constant !== undefined)
        return {
          type: new SchemaAST.TypeLiteral(
            fields.map(([key, v]) => new SchemaAST.PropertySignature(key, v.type, false, true)),
            []
          ),
          run: (state) => {
            const out: Record<string, unknown> = {}
            for (const [key, v] of fields) {
              const x = v.run(state)
              if (x !== undefined) out[key] = x
            }
            return out
          },
          constant: constant ? { value: Object.fromEntries(fields.map(([k, v]) => [k, v.constant!.value])) } : undefined
        }
      }
    }
  }

  /** A text with `${...}`: one expression alone keeps its type; within text, it becomes text. */
  private template(node: YScalar, text: string, scope: ScopeAt): Value | undefined {
    const parts: Array<{ readonly literal: string } | { readonly expr: Expr.Compiled }> = []
    let literal = ""
    let i = 0
    let failed = false
    while (i < text.length) {
      if (text.startsWith("$${", i)) {
        literal += "${"
        i += 3
        continue
      }
      if (!text.startsWith("${", i)) {
        literal += text[i]
        i++
        continue
      }
      const end = closingBrace(text, i + 2)
      if (end === undefined) {
        this.error({ start: this.offsetOf(node, i), end: this.offsetOf(node, text.length) }, `"\${" is not closed by "}" (write $\${ for a literal \${)`)
        return undefined
      }
      const inner = text.slice(i + 2, end)
      const base = i + 2
      const toSource: SourceMap = (span) => ({
        start: this.offsetOf(node, base + span.start),
        end: this.offsetOf(node, base + span.end)
      })
      const parsed = Expr.parse(inner)
      if ("problem" in parsed) {
        this.error(toSource(parsed.problem), parsed.problem.message)
        failed = true
      } else {
        const compiled = Expr.compile(parsed.expr, scope(toSource))
        if (compiled === undefined) failed = true
        else {
          if (literal.length > 0) parts.push({ literal })
          literal = ""
          parts.push({ expr: compiled })
        }
      }
      i = end + 1
    }
    if (failed) return undefined
    if (literal.length > 0) parts.push({ literal })
    if (parts.length === 1 && "expr" in parts[0]!) {
      const only = parts[0].expr
      return { type: only.type, run: (state) => only.run(state, new Map()), constant: undefined }
    }
    if (parts.every((p) => "literal" in p)) {
      const value = parts.map((p) => (p as { readonly literal: string }).literal).join("")
      return { type: new SchemaAST.Literal(value), run: () => value, constant: { value } }
    }
    return {
      type: stringType,
      run: (state) =>
        parts.map((p) => "literal" in p ? p.literal : stringify(p.expr.run(state, new Map()))).join(""),
      constant: undefined
    }
  }

  /** Compiles a condition or selector (a text, or a YAML boolean). */
  private expression(node: YNode, walk: Walk, reads: Map<string, Entry>, info: StepInfo, what: string): Expr.Compiled | undefined {
    if (node.kind === "scalar" && typeof node.value === "boolean") {
      const v = node.value
      return { type: new SchemaAST.Literal(v), run: () => v }
    }
    if (node.kind !== "scalar" || typeof node.value !== "string") {
      return this.error(node, `${what} must be an expression, e.g. "total >= 1000" or "\${steps.check.ok}"`)
    }
    const toSource: SourceMap = (span) => ({
      start: this.offsetOf(node, span.start),
      end: this.offsetOf(node, span.end)
    })
    const parsed = Expr.parse(node.value)
    if ("problem" in parsed) return this.error(toSource(parsed.problem), `${what}: ${parsed.problem.message}`)
    return Expr.compile(parsed.expr, this.scope(walk, reads, info, toSource))
  }

  private condition(node: YNode, walk: Walk, reads: Map<string, Entry>, info: StepInfo, what: string): Expr.Compiled | undefined {
    const compiled = this.expression(node, walk, reads, info, what)
    if (compiled === undefined) return undefined
    if (mayBeUndefined(compiled.type) && !isOpaque(compiled.type)) {
      return this.error(node, `${what} may be missing here (${describe(compiled.type)}): give a default with ??`)
    }
    if (!isOpaque(compiled.type) && !members(compiled.type).every((m) => isAssignable(m, booleanType))) {
      return this.error(node, `${what} must be a boolean, but it is ${describe(compiled.type)}`)
    }
    return compiled
  }

  /** The Schema fields of the keys an expression reads. */
  private readFields(reads: ReadonlyMap<string, Entry>): Record<string, Field> {
    const fields: Record<string, Field> = {}
    for (const [key, entry] of reads) fields[key] = fieldOfEntry(entry)
    return fields
  }

  /** A step list as a template (an arm, a body, a branch). */
  private sub(name: string, nodes: ReadonlyArray<Node>): Template.Template.Any {
    return Template.make({ name, version: this.version, steps: nodes as never }) as unknown as Template.Template.Any
  }

  /** Builds a node, turning a constructor's refusal into a positioned error. */
  private build(at: YNode, make: () => Node): ReadonlyArray<Node> {
    if (this.diagnostics.count > 0) return []
    try {
      return [make()]
    } catch (error) {
      this.error(at, error instanceof Error ? error.message : String(error))
      return []
    }
  }

  // ---- use: a template, subflow -------------------------------------------

  private useTemplate(
    item: YMap,
    info: StepInfo,
    walk: Walk,
    target: Template.Template.Any,
    kind: "use" | "subflow"
  ): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const fields = this.fields(item, kind === "use" ? formatFields.template : formatFields.subflow, `${kind === "use" ? "template" : "subflow"} step "${info.id}"`) ??
      new Map<string, YEntry>()
    const at = fields.get(kind)?.value ?? item
    this.used.add(`${target.name}@${target.version}`)
    const byKey: Record<string, ReadonlyArray<Field>> = {}
    for (const [key, schema] of target.requirements) byKey[key] = [...(byKey[key] ?? []), fieldOfKey(schema, key)]
    const by = `${kind === "use" ? "template" : "subflow"} "${info.id}" (${target.name})`
    const mapped = this.mapped(fields.get("with"), byKey, info, walk, by, "reads")
    for (const key of target.requiredState) if (!mapped.keys.has(key)) this.track(key)
    let env = walk.env
    let adapter: Node | undefined
    if (mapped.keys.size > 0) {
      const provides: Record<string, Field> = {}
      for (const key of mapped.keys) provides[key] = byKey[key]![0]!
      env = write(env, providedFields(provides, false), info.id)
      const values = mapped.values
      if (values.length === mapped.keys.size && this.diagnostics.count === 0) {
        adapter = Step.make({
          name: `${info.id}:with`,
          requires: this.readFields(mapped.reads),
          provides,
          run: (input) => Effect.succeed(Object.fromEntries(values.map(([key, v]) => [key, v.run(input as Expr.StateView)]))) as never
        }) as unknown as Node
      }
    }
    const node = target.name === info.id ? target : Template.make({
      name: info.id,
      version: target.version,
      steps: target.steps as never,
      local: target.local as never,
      retry: target.retry as never,
      stepTimeout: target.stepTimeout
    }) as unknown as Template.Template.Any
    const wrapped: Node = kind === "use" ? node : Durable.subflow(node as never, { name: info.id }) as unknown as Node
    const after = apply(wrapped, env, {
      writer: info.id,
      report: (problem) => this.problem(at, problem, env)
    })
    return { nodes: [...(adapter === undefined ? [] : [adapter]), ...this.build(at, () => wrapped)], walk: { env: after, visible: walk.visible } }
  }

  private subflow(item: YMap, info: StepInfo, walk: Walk): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const entry = item.entries.find((e) => e.key === "subflow")!
    const target = this.target(entry.value, "subflow")
    if (target === undefined) {
      this.fields(item, formatFields.subflow, "a step")
      return { nodes: [], walk: { env: this.recover(entry.value, walk.env, info), visible: walk.visible } }
    }
    if (!isTemplate(target)) {
      this.error(entry.value, `a subflow runs a template; "${target.name}" is a step (write use: ${target.name})`)
      return { nodes: [], walk }
    }
    return this.useTemplate(item, info, walk, target, "subflow")
  }

  // ---- branch --------------------------------------------------------------

  private branch(item: YMap, info: StepInfo, walk: Walk): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const outer = this.fields(item, formatFields.branch, `branch "${info.id}"`)
    const body = outer?.get("branch")?.value ?? item.entries.find((e) => e.key === "branch")!.value
    const fields = this.fields(body, formatFields.branchBody, `branch "${info.id}"`)
    if (fields === undefined) return { nodes: [], walk }
    const ifEntry = fields.get("if")
    const onEntry = fields.get("on")
    if (ifEntry !== undefined && onEntry !== undefined) {
      this.error(onEntry.keyNode, `a branch has "if" (then/else) or "on" (cases), not both`)
      return { nodes: [], walk }
    }
    if (ifEntry === undefined && onEntry === undefined) {
      this.error(body, `a branch needs "if: <condition>" with then/else, or "on: <expression>" with cases`)
      return { nodes: [], walk }
    }
    const reads = new Map<string, Entry>()
    if (ifEntry !== undefined) {
      for (const key of ["cases", "default"]) {
        const e = fields.get(key)
        if (e !== undefined) this.error(e.keyNode, `"${key}" goes with "on:"; with "if:" write then/else`)
      }
      const compiled = this.condition(ifEntry.value, walk, reads, info, `the condition of branch "${info.id}"`)
      const thenEntry = fields.get("then")
      if (thenEntry === undefined) {
        this.error(body, `branch "${info.id}" needs "then:" (the steps to run when the condition holds)`)
        return { nodes: [], walk }
      }
      const elseEntry = fields.get("else")
      const then = this.list(thenEntry.value, walk, `the "then" arm of branch "${info.id}"`)
      const otherwise = elseEntry === undefined ? undefined : this.list(elseEntry.value, walk, `the "else" arm of branch "${info.id}"`)
      const env = join([then.walk.env, otherwise?.walk.env ?? walk.env])
      const visible = new Set([...then.walk.visible, ...(otherwise?.walk.visible ?? [])])
      const nodes = compiled === undefined ? [] : this.build(ifEntry.value, () =>
        Flow.branch({
          name: info.id,
          requires: this.readFields(reads),
          when: (input) => compiled.run(input as Expr.StateView, new Map()) === true,
          then: this.sub(`${info.id}.then`, then.nodes),
          else: otherwise === undefined ? undefined : this.sub(`${info.id}.else`, otherwise.nodes) as never
        }) as unknown as Node)
      return { nodes, walk: { env, visible } }
    }
    for (const key of ["then", "else"]) {
      const e = fields.get(key)
      if (e !== undefined) this.error(e.keyNode, `"${key}" goes with "if:"; with "on:" write cases (and default)`)
    }
    const selector = this.expression(onEntry!.value, walk, reads, info, `the selector of branch "${info.id}"`)
    const casesEntry = fields.get("cases")
    if (casesEntry === undefined || casesEntry.value.kind !== "map") {
      this.error(casesEntry?.value ?? body, `branch "${info.id}" needs "cases:", a mapping from each value of "on" to its steps`)
      return { nodes: [], walk }
    }
    const defaultEntry = fields.get("default")
    const labels: Array<string> = []
    const arms: Array<{ readonly label: string; readonly nodes: ReadonlyArray<Node>; readonly walk: Walk }> = []
    for (const arm of casesEntry.value.entries) {
      if (!labelPattern.test(arm.key) || arm.key === "default") {
        this.error(arm.keyNode, `case "${arm.key}" must use only letters, digits, "_", "-", "." and ":" (and not be "default")`)
        continue
      }
      labels.push(arm.key)
      arms.push({ label: arm.key, ...this.list(arm.value, walk, `case "${arm.key}" of branch "${info.id}"`) })
    }
    if (defaultEntry !== undefined) arms.push({ label: "default", ...this.list(defaultEntry.value, walk, `the default arm of branch "${info.id}"`) })
    if (selector !== undefined) {
      const type = selector.type
      if (!isOpaque(type)) {
        const ms = members(type)
        if (!ms.every((m) => isAssignable(m, stringType))) {
          this.error(onEntry!.value, `the selector of branch "${info.id}" must be a text (it picks a case by name), but it is ${describe(type)}`)
        } else if (defaultEntry === undefined) {
          const literals = ms.filter((m): m is SchemaAST.Literal => m._tag === "Literal")
          if (literals.length < ms.length) {
            this.error(onEntry!.value, `the selector of branch "${info.id}" may be any text (${describe(type)}): add a "default:" arm`)
          } else {
            for (const literal of literals) {
              const label = String(literal.literal)
              if (!labels.includes(label)) {
                this.error(onEntry!.value, `the selector of branch "${info.id}" may be "${label}", which is not a case${didYouMean(label, labels)}: add it, or a "default:" arm`)
              }
            }
          }
        }
      }
    }
    const env = join(arms.map((arm) => arm.walk.env))
    const visible = new Set(arms.flatMap((arm) => Array.from(arm.walk.visible)))
    const nodes = selector === undefined || arms.length === 0 ? [] : this.build(onEntry!.value, () =>
      Flow.match({
        name: info.id,
        requires: this.readFields(reads),
        select: (input) => {
          const value = selector.run(input as Expr.StateView, new Map())
          return (typeof value === "string" && labels.includes(value) ? value : "default") as never
        },
        arms: Object.fromEntries(arms.map((arm) => [arm.label, this.sub(`${info.id}.${arm.label}`, arm.nodes)]))
      }) as unknown as Node)
    return { nodes, walk: { env, visible } }
  }

  // ---- loop ----------------------------------------------------------------

  private loop(item: YMap, info: StepInfo, walk: Walk): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const outer = this.fields(item, formatFields.loop, `loop "${info.id}"`)
    const body = outer?.get("loop")?.value ?? item.entries.find((e) => e.key === "loop")!.value
    const fields = this.fields(body, formatFields.loopBody, `loop "${info.id}"`)
    if (fields === undefined) return { nodes: [], walk }
    const maxEntry = fields.get("maxIterations")
    const maxIterations = maxEntry === undefined
      ? this.error(body, `loop "${info.id}" needs maxIterations: the most times its steps may run (1 or more)`)
      : this.integer(maxEntry.value, `maxIterations of loop "${info.id}"`, 1)
    const checkEntry = fields.get("check")
    let check: "before" | "after" = "before"
    if (checkEntry !== undefined) {
      const v = checkEntry.value
      if (v.kind === "scalar" && (v.value === "before" || v.value === "after")) check = v.value
      else this.error(v, `check is "before" (the condition is tested before each pass) or "after"`)
    }
    const whileEntry = fields.get("while")
    if (whileEntry === undefined) this.error(body, `loop "${info.id}" needs "while: <condition>"`)
    const stepsEntry = fields.get("steps")
    if (stepsEntry === undefined) {
      this.error(body, `loop "${info.id}" needs "steps:"`)
      return { nodes: [], walk }
    }
    const before = this.diagnostics.count
    const first = this.list(stepsEntry.value, walk, `loop "${info.id}"`)
    // the second pass reads what the first wrote; checked only when the first is clean
    const second = this.diagnostics.count === before
      ? this.list(stepsEntry.value, { env: first.walk.env, visible: first.walk.visible }, `loop "${info.id}"`)
      : first
    const predicateEnv = check === "before" ? join([walk.env, first.walk.env, second.walk.env]) : join([first.walk.env, second.walk.env])
    const reads = new Map<string, Entry>()
    const compiled = whileEntry === undefined
      ? undefined
      : this.condition(whileEntry.value, { env: predicateEnv, visible: second.walk.visible }, reads, info, `the condition of loop "${info.id}"`)
    const env = check === "before" ? join([walk.env, first.walk.env, second.walk.env]) : join([first.walk.env, second.walk.env])
    const nodes = compiled === undefined || maxIterations === undefined ? [] : this.build(whileEntry!.value, () =>
      Flow.loop({
        name: info.id,
        requires: this.readFields(reads),
        while: (input) => compiled.run(input as Expr.StateView, new Map()) === true,
        body: this.sub(`${info.id}.body`, first.nodes) as never,
        maxIterations,
        check
      }) as unknown as Node)
    return { nodes, walk: { env, visible: first.walk.visible } }
  }

  // ---- forEach -------------------------------------------------------------

  private forEach(item: YMap, info: StepInfo, walk: Walk): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const outer = this.fields(item, formatFields.forEach, `forEach "${info.id}"`)
    const body = outer?.get("forEach")?.value ?? item.entries.find((e) => e.key === "forEach")!.value
    const fields = this.fields(body, formatFields.forEachBody, `forEach "${info.id}"`)
    if (fields === undefined) return { nodes: [], walk }
    const need = (key: string, what: string) => {
      const e = fields.get(key)
      if (e === undefined) this.error(body, `forEach "${info.id}" needs "${key}:" (${what})`)
      return e
    }
    const overEntry = need("over", "the list to go over, e.g. ${steps.fetch.items}")
    const asEntry = need("as", "the key each element is read under")
    const stepsEntry = need("steps", "the steps to run for each element")
    const collectEntry = need("collect", "the key of each element's result to gather")
    const intoEntry = fields.get("into")
    const concurrencyEntry = fields.get("concurrency")
    const concurrency = concurrencyEntry === undefined ? 1 : this.concurrency(concurrencyEntry.value, "concurrency")
    const as = asEntry === undefined ? undefined : this.key(asEntry.value, "as")
    const into = intoEntry === undefined ? info.id : this.key(intoEntry.value, "into")
    const collect = collectEntry === undefined ? undefined : this.key(collectEntry.value, "collect")

    let over: string | undefined
    let element: AST | undefined
    if (overEntry !== undefined) {
      const resolved = this.overKey(overEntry.value, walk, info)
      if (resolved !== undefined) {
        over = resolved.key
        const e = elementType(resolved.type)
        if (e === undefined || mayBeUndefined(resolved.type)) {
          this.error(overEntry.value, `forEach "${info.id}" goes over "${over}", but it is ${describe(resolved.type)} here, not a list`)
        } else element = e
      }
    }
    if (stepsEntry === undefined || as === undefined) return { nodes: [], walk }
    if (over !== undefined && over === as) this.error(asEntry!.value, `"over" and "as" must be different keys, both are "${as}"`)
    const inner = write(walk.env, { [as]: { type: element ?? SchemaAST.anyKeyword, optional: false } }, info.id)
    const tracker = new Set<string>()
    this.trackers.push(tracker)
    const compiled = this.list(stepsEntry.value, { env: inner, visible: walk.visible }, `forEach "${info.id}"`)
    this.trackers.pop()
    if (!tracker.has(as) && !this.unresolved) {
      this.error(asEntry!.value, `the steps of forEach "${info.id}" never read "${as}": each element is given under this key`)
    }
    const writes = new Map<string, Entry>()
    for (const [key, entry] of compiled.walk.env) if (inner.get(key) !== entry) writes.set(key, entry)
    let collected: Entry | undefined
    if (collect !== undefined) {
      collected = writes.get(collect)
      if (collected === undefined) {
        this.error(
          collectEntry!.value,
          `the steps of forEach "${info.id}" do not write "${collect}"${didYouMean(collect, Array.from(writes.keys()))}; they write ${listOf(Array.from(writes.keys()))}`
        )
      }
    }
    const bodyTemplate = this.diagnostics.count === 0 ? this.sub(`${info.id}.body`, compiled.nodes) : undefined
    if (into === undefined || collected === undefined) return { nodes: [], walk }
    const itemType = collected.optional ? union([collected.type, SchemaAST.undefinedKeyword]) : collected.type
    const env = write(walk.env, { [into]: { type: arrayOf(itemType), optional: false } }, info.id)
    const nodes = over === undefined || concurrency === undefined || bodyTemplate === undefined ? [] : this.build(overEntry!.value, () =>
      Flow.forEach({
        name: info.id,
        over: over!,
        as: as as never,
        body: bodyTemplate,
        collect: collect as never,
        into,
        concurrency
      }) as unknown as Node)
    return { nodes, walk: { env, visible: walk.visible } }
  }

  /** The state key `over:` names (a whole key: `items`, `${steps.fetch.items}`, `${inputs.items}`). */
  private overKey(node: YNode, walk: Walk, info: StepInfo): { readonly key: string; readonly type: AST } | undefined {
    if (node.kind !== "scalar" || typeof node.value !== "string") {
      return this.error(node, `"over" names a list in the state, e.g. \${steps.fetch.items} or items`)
    }
    const toSource: SourceMap = (span) => ({
      start: this.offsetOf(node, span.start),
      end: this.offsetOf(node, span.end)
    })
    const parsed = Expr.parse(node.value)
    if ("problem" in parsed) return this.error(toSource(parsed.problem), `over: ${parsed.problem.message}`)
    const names: Array<{ readonly name: string; readonly start: number; readonly end: number }> = []
    let current: Expr.Expr = parsed.expr
    while (current.tag === "member") {
      names.unshift({ name: current.name, start: current.nameStart, end: current.end })
      current = current.object
    }
    if (current.tag !== "name") return this.error(node, `"over" names a list in the state, e.g. \${steps.fetch.items} or items`)
    names.unshift({ name: current.name, start: current.start, end: current.end })
    const reads = new Map<string, Entry>()
    const resolved = this.resolve(names, parsed.expr, walk, reads, info, toSource)
    if (resolved === undefined) return undefined
    if (resolved.key === undefined || resolved.consumed !== names.length) {
      return this.error(node, `"over" must name a whole state key (a list), not a field inside one or a var`)
    }
    return { key: resolved.key, type: resolved.type }
  }

  // ---- parallel ------------------------------------------------------------

  private parallel(item: YMap, info: StepInfo, walk: Walk): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const outer = this.fields(item, formatFields.parallel, `parallel "${info.id}"`)
    const body = outer?.get("parallel")?.value ?? item.entries.find((e) => e.key === "parallel")!.value
    const fields = this.fields(body, formatFields.parallelBody, `parallel "${info.id}"`)
    if (fields === undefined) return { nodes: [], walk }
    const branchesEntry = fields.get("branches")
    if (branchesEntry === undefined || branchesEntry.value.kind !== "map" || branchesEntry.value.entries.length === 0) {
      this.error(branchesEntry?.value ?? body, `parallel "${info.id}" needs "branches:", a mapping from each branch's name to its steps`)
      return { nodes: [], walk }
    }
    const modeEntry = fields.get("mode")
    let mode: "all" | "first" = "all"
    if (modeEntry !== undefined) {
      const v = modeEntry.value
      if (v.kind === "scalar" && (v.value === "all" || v.value === "first")) mode = v.value
      else this.error(v, `mode is "all" (wait for every branch) or "first" (keep the first to succeed)`)
    }
    const concurrencyEntry = fields.get("concurrency")
    const concurrency = concurrencyEntry === undefined ? "unbounded" : this.concurrency(concurrencyEntry.value, "concurrency")
    const branches: Array<{ readonly label: string; readonly at: YEntry; readonly nodes: ReadonlyArray<Node>; readonly walk: Walk }> = []
    for (const entry of branchesEntry.value.entries) {
      if (!labelPattern.test(entry.key)) {
        this.error(entry.keyNode, `branch name "${entry.key}" must use only letters, digits, "_", "-", "." and ":"`)
        continue
      }
      branches.push({ label: entry.key, at: entry, ...this.list(entry.value, walk, `branch "${entry.key}" of parallel "${info.id}"`) })
    }
    const writes = new Map<string, Array<{ readonly label: string; readonly entry: Entry }>>()
    for (const branch of branches) {
      for (const [key, entry] of branch.walk.env) {
        if (walk.env.get(key) === entry) continue
        writes.set(key, [...(writes.get(key) ?? []), { label: branch.label, entry }])
      }
    }
    const mergeEntry = fields.get("merge")
    const merge: Record<string, (values: ReadonlyArray<unknown>) => unknown> = {}
    const mergedTypes = new Map<string, AST>()
    if (mergeEntry !== undefined && mode === "first") {
      this.error(mergeEntry.keyNode, `mode: first keeps one branch's values: there is nothing to merge`)
    } else if (mergeEntry !== undefined) {
      if (mergeEntry.value.kind !== "map") {
        this.error(mergeEntry.value, `merge maps each key several branches write to a merge function (${mergeFunctions.join(", ")})`)
      } else {
        for (const e of mergeEntry.value.entries) {
          const writers = writes.get(e.key) ?? []
          if (writers.length < 2) {
            this.error(e.keyNode, `"${e.key}" is written by ${writers.length === 0 ? "no branch" : `branch "${writers[0]!.label}" only`}: a merge is only for a key several branches write`)
            continue
          }
          const fn = e.value.kind === "scalar" ? String(e.value.value) : ""
          const type = union(writers.map((w) => w.entry.type))
          const result = this.mergeFunction(fn, type, e.value, e.key)
          if (result !== undefined) {
            merge[e.key] = result.fn
            mergedTypes.set(e.key, result.type)
          }
        }
      }
    }
    if (mode === "all") {
      for (const [key, writers] of writes) {
        if (writers.length < 2 || own(merge, key) || mergeEntry?.value.kind === "map" && mergeEntry.value.entries.some((e) => e.key === key)) continue
        this.error(
          branchesEntry.keyNode,
          `branches ${listOf(writers.map((w) => w.label))} of parallel "${info.id}" all write "${key}": give it a merge function (merge: { ${key}: ${mergeFunctions.join(" | ")} })`
        )
      }
    }
    let env: Env
    if (mode === "first") {
      env = join(branches.map((b) => b.walk.env))
    } else {
      const next = new Map(walk.env)
      for (const [key, writers] of writes) {
        next.set(key, {
          type: mergedTypes.get(key) ?? union(writers.map((w) => w.entry.type)),
          optional: writers.every((w) => w.entry.optional),
          writers: new Set(writers.flatMap((w) => Array.from(w.entry.writers)))
        })
      }
      env = next
    }
    const visible = new Set([...walk.visible, ...branches.flatMap((b) => Array.from(b.walk.visible))])
    const nodes = concurrency === undefined ? [] : this.build(branchesEntry.value, () =>
      Flow.parallel({
        name: info.id,
        branches: Object.fromEntries(branches.map((b) => [b.label, this.sub(`${info.id}.${b.label}`, b.nodes)])) as never,
        concurrency,
        mode,
        merge: merge as never
      }) as unknown as Node)
    return { nodes, walk: { env, visible } }
  }

  private mergeFunction(
    fn: string,
    type: AST,
    node: YNode,
    key: string
  ): { readonly fn: (values: ReadonlyArray<unknown>) => unknown; readonly type: AST } | undefined {
    const numbers = !isOpaque(type) && members(type).every((m) => isAssignable(m, numberType))
    const booleans = !isOpaque(type) && members(type).every((m) => isAssignable(m, booleanType))
    const needs = (ok: boolean, what: string) =>
      ok ? true : this.error(node, `merge "${fn}" needs ${what}, but the branches write "${key}" as ${describe(type)}`) ?? false
    switch (fn) {
      case "first":
        return { fn: (values) => values[0], type }
      case "last":
        return { fn: (values) => values[values.length - 1], type }
      case "max":
        return needs(numbers, "numbers") ? { fn: (values) => Math.max(...(values as ReadonlyArray<number>)), type: numberType } : undefined
      case "min":
        return needs(numbers, "numbers") ? { fn: (values) => Math.min(...(values as ReadonlyArray<number>)), type: numberType } : undefined
      case "sum":
        return needs(numbers, "numbers")
          ? { fn: (values) => (values as ReadonlyArray<number>).reduce((a, b) => a + b, 0), type: numberType }
          : undefined
      case "any":
        return needs(booleans, "booleans") ? { fn: (values) => values.some((v) => v === true), type: booleanType } : undefined
      case "all":
        return needs(booleans, "booleans") ? { fn: (values) => values.every((v) => v === true), type: booleanType } : undefined
      case "concat": {
        const element = elementType(type)
        if (!needs(element !== undefined, "lists")) return undefined
        return { fn: (values) => values.flatMap((v) => Array.isArray(v) ? v : []), type: arrayOf(element!) }
      }
      default:
        return this.error(node, `unknown merge function "${fn}"${didYouMean(fn, mergeFunctions)}: use ${mergeFunctions.join(", ")}`)
    }
  }

  // ---- durable -------------------------------------------------------------

  private sleep(item: YMap, info: StepInfo, walk: Walk): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const fields = this.fields(item, formatFields.sleep, `sleep "${info.id}"`)
    const entry = fields?.get("sleep") ?? item.entries.find((e) => e.key === "sleep")!
    const duration = this.duration(entry.value, `sleep "${info.id}"`)
    const nodes = duration === undefined ? [] : this.build(entry.value, () => Durable.sleep(info.id, duration) as unknown as Node)
    return { nodes, walk }
  }

  private waitForSignal(item: YMap, info: StepInfo, walk: Walk): { readonly nodes: ReadonlyArray<Node>; readonly walk: Walk } {
    const outer = this.fields(item, formatFields.waitForSignal, `waitForSignal "${info.id}"`)
    const body = outer?.get("waitForSignal")?.value ?? item.entries.find((e) => e.key === "waitForSignal")!.value
    const fields = this.fields(body, formatFields.waitForSignalBody, `waitForSignal "${info.id}"`)
    if (fields === undefined) return { nodes: [], walk }
    const nameEntry = fields.get("name")
    const signal = nameEntry === undefined
      ? info.id
      : this.name(nameEntry.value, "a signal's name", labelPattern, "must use only letters, digits, \"_\", \"-\", \".\" and \":\"")
    const keyEntry = fields.get("key")
    const key = keyEntry === undefined ? signal : this.key(keyEntry.value, "key")
    const payloadEntry = fields.get("payload")
    if (payloadEntry === undefined) {
      this.error(body, `waitForSignal "${info.id}" needs "payload:", the type of the signal's payload`)
      return { nodes: [], walk }
    }
    const schema = this.type(payloadEntry.value)
    const timeoutEntry = fields.get("timeout")
    const timeout = timeoutEntry === undefined ? undefined : this.duration(timeoutEntry.value, "timeout")
    const defaultEntry = fields.get("default")
    let fallback: { readonly value: unknown } | undefined
    if (defaultEntry !== undefined) {
      if (timeoutEntry === undefined) this.error(defaultEntry.keyNode, `"default" is the value written when the timeout passes: give a "timeout"`)
      const value = this.constant(defaultEntry.value)
      if (schema !== undefined) {
        const valid = Schema.validateEither(schema)(value, { errors: "first" })
        if (Either.isLeft(valid)) {
          this.error(
            defaultEntry.value,
            `the default is not a valid payload (${describe(SchemaAST.typeAST(schema.ast))}): ${valid.left.message.split("\n").slice(-1)[0]?.trim() ?? ""}`
          )
        } else fallback = { value }
      }
    }
    if (schema === undefined || key === undefined || signal === undefined) return { nodes: [], walk }
    const env = write(walk.env, { [key]: { type: SchemaAST.typeAST(schema.ast), optional: false } }, info.id)
    const options = {
      name: info.id,
      key,
      ...(timeout === undefined ? {} : { timeout }),
      ...(fallback === undefined ? {} : { default: fallback.value })
    }
    const make = Durable.waitForSignal as unknown as (name: string, schema: AnySchema, options: object) => Node
    const nodes = this.build(payloadEntry.value, () => make(signal, schema, options))
    return { nodes, walk: { env, visible: walk.visible } }
  }
}

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

/** Finds the `}` that closes a `${` whose inside starts at `from` (skipping texts and nested braces). */
const closingBrace = (text: string, from: number): number | undefined => {
  let depth = 0
  let quote: string | undefined
  for (let i = from; i < text.length; i++) {
    const c = text[i]!
    if (quote !== undefined) {
      if (c === "\\") i++
      else if (c === quote) quote = undefined
      continue
    }
    if (c === "\"" || c === "'") quote = c
    else if (c === "{") depth++
    else if (c === "}") {
      if (depth === 0) return i
      depth--
    }
  }
  return undefined
}

/** A value inside a text. */
const stringify = (value: unknown): string => {
  if (value === undefined) return ""
  if (typeof value === "string") return value
  if (typeof value === "number" || typeof value === "boolean" || value === null) return String(value)
  try {
    return JSON.stringify(value) ?? ""
  } catch {
    return String(value)
  }
}

const providedFields = (fields: Schema.Struct.Fields, skip: boolean): Record<string, Requirement> =>
  Object.fromEntries(Object.entries(fields).map(([key, field]) => {
    const info = fieldInfo(field)
    return [key, { type: info.type, optional: skip || info.optional }]
  }))

/** Builds a registered step's input from the wrapper's: unmapped keys as they are, mapped ones computed. */
const inputMapper = (
  implicit: ReadonlyArray<string>,
  values: ReadonlyArray<readonly [string, Value]>
) =>
(input: Expr.StateView, step: Step.Step.Any): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const key of implicit) if (own(step.requires, key) && own(input, key)) out[key] = input[key]
  for (const [key, value] of values) {
    if (!own(step.requires, key)) continue
    const v = value.run(input)
    if (v !== undefined) out[key] = v
  }
  return out
}

const noPolicy: Policy = { retry: undefined, timeout: undefined, onError: undefined, fallback: undefined }

/** A registered step under a YAML step's id, reading the wrapper's keys and calling the step with its input mapped. */
const wrap = (
  step: Step.Step.Any,
  name: string,
  requires: Readonly<Record<string, Field>>,
  mapInput: (input: Expr.StateView, step: Step.Step.Any) => Record<string, unknown>,
  policy: Policy
): Step.Step.Any => {
  const run = (step as unknown as Runnable).run
  return Step.make({
    name,
    requires: requires as Schema.Struct.Fields,
    provides: step.provides,
    run: (input, context) => run(mapInput(input as Expr.StateView, step), context) as never,
    retry: (policy.retry ?? step.retry) as never,
    timeout: policy.timeout ?? step.timeout,
    ttl: step.ttl,
    onError: policy.onError ?? (step.fallback === undefined ? step.onError : "fail")
  }) as unknown as Step.Step.Any
}

const orElse = (primary: Step.Step.Any, fallback: Step.Step.Any): Step.Step.Any =>
  (Step.orElse as unknown as (a: Step.Step.Any, b: Step.Step.Any) => Step.Step.Any)(primary, fallback)
