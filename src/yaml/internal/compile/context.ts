/**
 * One compilation of a flow: what it has learnt so far (ids, inputs, vars,
 * types, what each step wrote), its diagnostics, and the reading of YAML
 * nodes every part of the compiler shares (fields, names, keys, settings,
 * durations). The compilers of each kind of step are given to it, so that a
 * nested step list reaches them without an import cycle.
 *
 * @internal
 */
import type { Duration, Schema, SchemaAST } from "effect"
import { type Flow, Step, Template } from "../../../index.js"
import { parseDuration } from "../duration.js"
import { type Entry, type Env, type Field, fieldOfEntry } from "../env.js"
import type * as Expr from "../expr.js"
import type { PSet } from "../persistent.js"
import type { Registry } from "../../Yaml.js"
import type { Diagnostics, Positions, YEntry, YMap, YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import { keyPattern, type StepKind } from "./format.js"

export type AST = SchemaAST.AST
export type Node = Template.Node
export type AnySchema = Schema.Schema.AnyNoContext

/** The state along one path of the flow, and the steps that have run on it. */
export interface Walk {
  readonly env: Env
  /** The ids of the steps that have run on this path. */
  readonly visible: PSet
}

/** Offsets in the file (or in an expression's text). */
export interface Span {
  readonly start: number
  readonly end: number
}

/** From offsets in an expression's text to offsets in the file. */
export type SourceMap = (span: Span) => Span

/** The scope of the expressions of one value, given where each expression sits in the file. */
export type ScopeAt = (toSource: SourceMap) => Expr.Scope

/** A YAML step's id and document order. */
export interface StepInfo {
  readonly id: string
  readonly order: number
}

/** A checked `with:` value (or constant): its type, how to compute it, and its value when it is constant. */
export interface Value {
  readonly type: AST
  readonly run: (state: Expr.StateView) => unknown
  readonly constant: { readonly value: unknown } | undefined
}

/** What compiling some steps gives: their nodes, and the path after them. */
export interface Compiled {
  readonly nodes: ReadonlyArray<Node>
  readonly walk: Walk
}

/** The compiler of one kind of YAML step. */
export type KindCompiler = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk) => Compiled

/** The input of a compilation. */
export interface Input {
  readonly root: YNode
  readonly text: string
  readonly registry: Registry
  readonly vars: Readonly<Record<string, string>>
  readonly diagnostics: Diagnostics
  readonly positions: Positions
}

/** Why `__proto__` cannot be a state key (assigning it to an object sets the object's prototype). */
export const unsafeKey = (what: string): string =>
  `${what} "__proto__" cannot be a state key (it would set an object's prototype): give it another name`

export const isTemplate = (u: unknown): u is Template.Template.Any => Template.isTemplate(u)

/** Whether `key` is an own property of `o` (never one of `Object.prototype`'s, such as "constructor"). */
export const own = (o: object, key: string): boolean => Object.prototype.hasOwnProperty.call(o, key)
export const isStep = (u: unknown): u is Step.Step.Any => Step.isStep(u)

/** One compilation of a flow: what is known so far, and the reading of YAML nodes. */
export class Compilation {
  readonly diagnostics: Diagnostics
  readonly registry: Registry
  readonly positions: Positions
  readonly text: string
  readonly optionVars: Readonly<Record<string, string>>
  readonly root: YNode
  /** The compiler of each kind of step. */
  readonly kinds: Readonly<Record<StepKind, KindCompiler>>
  /** Every YAML step's id and document order, by its mapping. */
  readonly info = new Map<YMap, StepInfo>()
  /** Every id, with where it is declared. */
  readonly ids = new Map<string, { readonly order: number; readonly at: YNode }>()
  /** The keys each step provides, once it has been compiled. */
  readonly providedBy = new Map<string, ReadonlySet<string>>()
  readonly inputs = new Map<string, { readonly schema: AnySchema; readonly optional: boolean }>()
  readonly vars = new Map<string, string | number | boolean>()
  readonly types = new Map<string, YNode>()
  readonly resolvedTypes = new Map<string, AnySchema | undefined>()
  readonly resolving = new Set<string>()
  /** The templates the flow uses (`name@version`), for its hash. */
  readonly used = new Set<string>()
  version = "0"
  /** Set after a step that could not be resolved: keys nothing provides are no longer reported. */
  unresolved = false
  /** The state keys read while each tracker is open (a forEach's steps must read their element). */
  readonly trackers: Array<Set<string>> = []

  constructor(input: Input, kinds: Readonly<Record<StepKind, KindCompiler>>) {
    this.diagnostics = input.diagnostics
    this.registry = input.registry
    this.positions = input.positions
    this.text = input.text
    this.optionVars = input.vars
    this.root = input.root
    this.kinds = kinds
  }

  /** Records that a key is read (for the forEach whose steps must read their element). */
  track(key: string): void {
    for (const tracker of this.trackers) tracker.add(key)
  }

  // -------------------------------------------------------------------------
  // reporting and reading
  // -------------------------------------------------------------------------

  error(at: Span, message: string): undefined {
    this.diagnostics.add(at.start, at.end, message)
    return undefined
  }

  line(node: { readonly start: number }): number {
    return this.positions.at(node.start).line
  }

  /** The offset in the source of character `index` of a scalar's value. */
  offsetOf = (node: YNode, index: number): number =>
    node.kind === "scalar" && node.verbatim ? node.valueStart + index : node.start

  /** A mapping's entries by key, reporting keys that are not `allowed`. */
  fields(node: YNode, allowed: ReadonlyArray<string>, what: string): Map<string, YEntry> | undefined {
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
  mapping(node: YNode, what: string): YMap | undefined {
    if (node.kind === "map") return node
    if (node.kind === "scalar" && node.value === null) return { kind: "map", start: node.start, end: node.end, entries: [] }
    return this.error(node, `${what} must be a mapping (name: value)`)
  }

  string(node: YNode, what: string): string | undefined {
    if (node.kind !== "scalar" || node.value === null || typeof node.value === "boolean") {
      return this.error(node, `${what} must be a text`)
    }
    const text = typeof node.value === "number" ? node.source : node.value
    if (text.trim().length === 0) return this.error(node, `${what} must not be empty`)
    return text
  }

  name(node: YNode, what: string, pattern: RegExp, rule: string): string | undefined {
    const text = this.string(node, what)
    if (text === undefined) return undefined
    if (!pattern.test(text)) return this.error(node, `${what} "${text}" ${rule}`)
    return text
  }

  key(node: YNode, what: string): string | undefined {
    const key = this.name(node, what, keyPattern, "is not a state key (letters, digits, \"_\", \"-\", \"$\")")
    return key === "__proto__" ? this.error(node, unsafeKey(what)) : key
  }

  /**
   * A setting's scalar: its value, or the value of the var it names when it
   * is exactly `${vars.name}` (durations, counts and limits may come from vars).
   */
  setting(node: YNode): { readonly value: string | number | boolean | null; readonly text: string } | undefined {
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

  integer(node: YNode, what: string, min: number): number | undefined {
    const found = this.setting(node)
    if (found === undefined && node.kind === "scalar") return undefined
    const value = found?.value
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      return this.error(node, `${what} must be a whole number from ${min}, got ${node.kind === "scalar" ? JSON.stringify(value) : `a ${node.kind === "map" ? "mapping" : "list"}`}`)
    }
    return value
  }

  duration(node: YNode, what: string): Duration.Duration | undefined {
    const found = this.setting(node)
    if (found === undefined && node.kind === "scalar") return undefined
    if (found === undefined || found.value === null || typeof found.value === "boolean") {
      return this.error(node, `${what} must be a duration such as "10 seconds" or "2h"`)
    }
    const parsed = parseDuration(found.text)
    if (parsed._tag === "Left") return this.error(node, `${what}: ${parsed.message}`)
    return parsed.duration
  }

  concurrency(node: YNode, what: string): Flow.Concurrency | undefined {
    const found = this.setting(node)
    if (found === undefined && node.kind === "scalar") return undefined
    if (found?.value === "unbounded") return "unbounded"
    if (typeof found?.value === "number" && Number.isInteger(found.value) && found.value >= 1) return found.value
    return this.error(node, `${what} must be a whole number from 1, or "unbounded"`)
  }

  /** A YAML value as a plain value (for `default:` of a signal). */
  constant(node: YNode): unknown {
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
  // building
  // -------------------------------------------------------------------------

  /** The Schema fields of the keys an expression reads. */
  readFields(reads: ReadonlyMap<string, Entry>): Record<string, Field> {
    const fields: Record<string, Field> = {}
    for (const [key, entry] of reads) fields[key] = fieldOfEntry(entry)
    return fields
  }

  /** A step list as a template (an arm, a body, a branch). */
  sub(name: string, nodes: ReadonlyArray<Node>): Template.Template.Any {
    return Template.make({ name, version: this.version, steps: nodes as never }) as unknown as Template.Template.Any
  }

  /** Builds a node, turning a constructor's refusal into a positioned error. */
  build(at: YNode, make: () => Node): ReadonlyArray<Node> {
    if (this.diagnostics.count > 0) return []
    try {
      return [make()]
    } catch (error) {
      this.error(at, error instanceof Error ? error.message : String(error))
      return []
    }
  }
}
