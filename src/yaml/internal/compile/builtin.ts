/**
 * What the built-in steps (`command:`, `http:`, `read:`, `write:`,
 * `transform:`, `validate:`) share: their body's fields, the key they write
 * (`output:`, else the id) and its type, their policy (`retry:`,
 * `timeout:`, `onError: fail | skip`), and the values of their settings
 * compiled against the state at their point (`${...}` anywhere), with the
 * keys they read.
 *
 * @internal
 */
import { Effect, type Schema, SchemaAST } from "effect"
import { Step } from "../../../index.js"
import { booleanType, isAssignable, isOpaque, mayBeUndefined, members, numberType, stringType } from "../assignable.js"
import { type Entry, write } from "../env.js"
import type * as Expr from "../expr.js"
import { describe } from "../printType.js"
import type { YEntry, YMap, YNode } from "../source.js"
import type { AnySchema, Compilation, Compiled, Node, StepInfo, Value, Walk } from "./context.js"
import { type BuiltinKind, formatFields } from "./format.js"
import { builtinOutput, checkCollision } from "./outputs.js"
import { type Policy, policyOf } from "./policy.js"
import { scopeAt } from "./references.js"
import { compileValue } from "./values.js"

/** A built-in step being compiled: its fields, the keys its values read, and how to compile them. */
export interface Builtin {
  readonly cx: Compilation
  readonly info: StepInfo
  readonly walk: Walk
  /** The step's own fields (id, output, retry, ...). */
  readonly fields: ReadonlyMap<string, YEntry>
  /** The body under the kind's key (a mapping, or a scalar for some kinds). */
  readonly body: YNode
  readonly policy: Policy
  /** The keys its values read. */
  readonly reads: Map<string, Entry>
  /** A value (any YAML value, `${...}` in texts). */
  readonly value: (node: YNode) => Value | undefined
  /** A value that must be a text (numbers and booleans become texts). */
  readonly text: (node: YNode, what: string) => ((state: Expr.StateView) => string) | undefined
}

/** What a kind's compiler gives back: the Schema of the value it writes, and how to build its step. */
export interface Made {
  readonly schema: AnySchema
  readonly make: (common: Common) => Step.Step.Any
}

/** What every built-in step is built with. */
export interface Common {
  readonly name: string
  readonly requires: Schema.Struct.Fields
  readonly output: string
  readonly retry: Step.Step.Any["retry"]
  readonly onError: "fail" | "skip" | undefined
}

const scalarTypes = [stringType, numberType, booleanType]

/** Compiles a built-in step: `body` gives its value's Schema and step, or `undefined` after reporting. */
export const compileBuiltin = (
  cx: Compilation,
  item: YMap,
  info: StepInfo,
  walk: Walk,
  kind: BuiltinKind,
  body: (b: Builtin, bodyFields: (allowed: ReadonlyArray<string>) => Map<string, YEntry> | undefined) => Made | undefined
): Compiled => {
  const fields = cx.fields(item, formatFields[kind], `${kind} step "${info.id}"`) ?? new Map<string, YEntry>()
  const bodyNode = item.entries.find((e) => e.key === kind)!.value
  const policy = policyOf(cx, fields, info)
  if (policy.fallback !== undefined) {
    cx.error(policy.fallback.keyNode, `a ${kind} step's onError is "fail" or "skip" (a fallback is for use: steps)`)
  }
  const reads = new Map<string, Entry>()
  const scope = (toSource: Parameters<typeof scopeAt>[4]) => scopeAt(cx, walk, reads, info, toSource)
  const value = (node: YNode) => compileValue(cx, node, scope)
  const text = (node: YNode, what: string) => {
    const v = value(node)
    if (v === undefined) return undefined
    if (v.constant === undefined && mayBeUndefined(v.type) && !isOpaque(v.type)) {
      return cx.error(node, `${what} of step "${info.id}" may be missing here (${describe(v.type)}): give a default with ??`)
    }
    if (!isOpaque(v.type) && !members(v.type).every((m) => m._tag === "UndefinedKeyword" || scalarTypes.some((t) => isAssignable(m, t)))) {
      return cx.error(node, `${what} of step "${info.id}" must be a text, but it is ${describe(v.type)}`)
    }
    return (state: Expr.StateView) => {
      const x = v.run(state)
      return typeof x === "string" ? x : x === undefined || x === null ? "" : typeof x === "object" ? JSON.stringify(x) : String(x)
    }
  }
  const b: Builtin = { cx, info, walk, fields, body: bodyNode, policy, reads, value, text }
  const made = body(b, (allowed) => cx.fields(bodyNode, allowed, `the ${kind} of step "${info.id}"`))
  const output = builtinOutput(cx, fields, info)
  if (output === undefined) return { nodes: [], walk }
  if (made === undefined) {
    // reported: what it writes is of any type, so that its readers are not reported too
    return { nodes: [], walk: { env: write(walk.env, { [output.key]: { type: SchemaAST.anyKeyword, optional: false } }, info.id), visible: walk.visible } }
  }
  const type = SchemaAST.typeAST(made.schema.ast)
  if (output.at !== undefined) checkCollision(cx, output.at, walk.env, output.key, type, `step "${info.id}"`)
  const skip = policy.onError === "skip"
  const env = write(walk.env, { [output.key]: { type, optional: skip } }, info.id)
  const common: Common = {
    name: info.id,
    requires: cx.readFields(reads),
    output: output.key,
    retry: policy.retry as Step.Step.Any["retry"],
    onError: policy.onError
  }
  const at = fields.get(kind)?.value ?? item
  return { nodes: cx.build(at, () => made.make(common) as unknown as Node), walk: { env, visible: walk.visible } }
}

/** A step of a built-in kind from its common settings and a run producing its value. */
export const builtinStep = (
  common: Common,
  schema: AnySchema,
  run: (input: Expr.StateView, context: Step.Context) => Effect.Effect<unknown, unknown>
): Step.Step.Any =>
  Step.make({
    name: common.name,
    requires: common.requires,
    provides: { [common.output]: schema },
    run: (input, context) => Effect.map(run(input as Expr.StateView, context), (v) => ({ [common.output]: v })) as never,
    retry: common.retry as never,
    onError: common.onError
  }) as unknown as Step.Step.Any

/** A constant text setting (reported when it is not one). */
export const constantText = (b: Builtin, node: YNode, what: string): string | undefined => {
  if (node.kind !== "scalar" || typeof node.value !== "string" || node.value.includes("${")) {
    return b.cx.error(node, `${what} of step "${b.info.id}" must be a text written out (no \${...})`)
  }
  return node.value
}

/** A list of texts (e.g. names of variables), each written out. */
export const constantTexts = (b: Builtin, node: YNode, what: string): ReadonlyArray<string> | undefined => {
  if (node.kind !== "seq") return b.cx.error(node, `${what} of step "${b.info.id}" is a list of names`)
  const out: Array<string> = []
  for (const item of node.items) {
    const text = constantText(b, item, what)
    if (text !== undefined) out.push(text)
  }
  return out.length === node.items.length ? out : undefined
}
