/**
 * `use: <step>`: a new step named after the YAML step's id, reading the keys
 * its `with:` values refer to plus the keys the registered step reads that
 * `with:` does not map, and calling the registered step's `run` with its
 * input mapped (`with:` renames; nothing extra is written to the state). Its
 * policy is the registered step's unless the YAML sets one; its fallbacks
 * are the registered step's, then the YAML's.
 *
 * @internal
 */
import { Effect, Schema } from "effect"
import { Step } from "../../../index.js"
import { isAssignable } from "../assignable.js"
import { checkRead, type Field, fieldInfo, fieldOfEntry, write } from "../env.js"
import type * as Expr from "../expr.js"
import { describe } from "../printType.js"
import type { YEntry, YMap, YNode } from "../source.js"
import { type Compilation, type Compiled, isTemplate, type Node, own, type StepInfo, type Value, type Walk } from "./context.js"
import { formatFields } from "./format.js"
import { checkCollision, renamesOf } from "./outputs.js"
import { noPolicy, type Policy, policyOf } from "./policy.js"
import { reportProblem } from "./references.js"
import { providedFields, recoverUnknown, targetOf } from "./registry.js"
import { useTemplate } from "./useTemplate.js"
import { mappedWith } from "./with.js"

/** A registered step's run, which `Step.Any` does not expose. */
interface Runnable {
  readonly run: (input: unknown, context: Step.Context) => Effect.Effect<unknown, unknown, unknown>
}

export const useStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled => {
  const useEntry = item.entries.find((e) => e.key === "use")!
  const target = targetOf(cx, useEntry.value, "use")
  if (target === undefined) {
    cx.fields(item, formatFields.use, "a step")
    return { nodes: [], walk: { env: recoverUnknown(cx, useEntry.value, walk.env, info), visible: walk.visible } }
  }
  if (isTemplate(target)) return useTemplate(cx, item, info, walk, target, "use")
  const fields = cx.fields(item, formatFields.use, `step "${info.id}"`) ?? new Map<string, YEntry>()
  const policy = policyOf(cx, fields, info)
  const mapped = mappedWith(cx, fields.get("with"), target.requires, info, walk, `step "${info.id}" (${target.name})`, "reads")
  const skip = policy.onError === "skip" || (policy.onError === undefined && target.onError === "skip" && target.fallback === undefined)
  const implicit: Array<string> = []
  for (const [key, field] of Object.entries(target.requires)) {
    if (mapped.keys.has(key)) continue
    const problem = checkRead(walk.env, key, fieldInfo(field), `step "${info.id}"`)
    if (problem !== undefined) reportProblem(cx, useEntry.value, problem, walk.env)
    cx.track(key)
    implicit.push(key)
  }
  const renames = renamesOf(cx, fields, Object.keys(target.provides), info)
  const rename = new Map(Array.from(renames, ([from, to]) => [from, to.key]))
  const provided = providedFields(target.provides, skip)
  const written: typeof provided = {}
  for (const [key, requirement] of Object.entries(provided)) {
    const to = renames.get(key)
    if (to !== undefined) checkCollision(cx, to.at, walk.env, to.key, requirement.type, `step "${info.id}" (${target.name})`)
    written[to?.key ?? key] = requirement
  }
  const env = write(walk.env, written, info.id)
  const requires: Record<string, Field> = {}
  for (const [key, entry] of mapped.reads) requires[key] = fieldOfEntry(entry)
  for (const key of implicit) requires[key] = target.requires[key]!
  const readKeys = new Set(Object.keys(requires))

  let fallback: Step.Step.Any | undefined
  if (policy.fallback !== undefined) {
    fallback = fallbackStep(cx, policy.fallback, target, info, walk, readKeys, rename)
  }
  if (policy.onError === "skip" && target.fallback !== undefined) {
    cx.error(fields.get("onError")!.value, `"${target.name}" has a fallback (Step.orElse): onError: skip would drop it`)
  }
  if (cx.diagnostics.count > 0) return { nodes: [], walk: { env, visible: walk.visible } }

  const mapInput = inputMapper(implicit, mapped.values)
  const primary = wrap(target, info.id, requires, mapInput, policy, rename)
  // the registered step's own fallbacks, then the YAML's, in that order
  const chain: Array<Step.Step.Any> = []
  for (let s = target.fallback; s !== undefined; s = s.fallback) chain.push(wrap(s, s.name, requires, mapInput, noPolicy, rename))
  if (fallback !== undefined) chain.push(fallback)
  let tail: Step.Step.Any | undefined
  for (const s of chain.reverse()) tail = tail === undefined ? s : orElse(s, tail)
  const node = tail === undefined ? primary : orElse(primary, tail)
  return { nodes: [node as unknown as Node], walk: { env, visible: walk.visible } }
}

const fallbackStep = (
  cx: Compilation,
  entry: YEntry,
  primary: Step.Step.Any,
  info: StepInfo,
  walk: Walk,
  primaryReads: ReadonlySet<string>,
  rename: ReadonlyMap<string, string>
): Step.Step.Any | undefined => {
  const node = entry.value
  let useNode: YNode
  let withEntry: YEntry | undefined
  if (node.kind === "map") {
    const fields = cx.fields(node, formatFields.fallback, "a fallback")
    if (fields === undefined) return undefined
    const u = fields.get("use")
    if (u === undefined) return cx.error(node, `a fallback needs "use: <step>"`)
    useNode = u.value
    withEntry = fields.get("with")
  } else {
    useNode = node
  }
  const target = targetOf(cx, useNode, "a fallback")
  if (target === undefined) return undefined
  if (isTemplate(target)) return cx.error(useNode, `a fallback is a step; "${target.name}" is a template`)
  const by = `fallback "${target.name}" of step "${info.id}"`
  const mapped = mappedWith(cx, withEntry, target.requires, info, walk, by, "reads")
  const implicit: Array<string> = []
  const requires: Record<string, Field> = {}
  for (const [key, field] of Object.entries(target.requires)) {
    if (mapped.keys.has(key)) continue
    const problem = checkRead(walk.env, key, fieldInfo(field), by)
    if (problem !== undefined) reportProblem(cx, useNode, problem, walk.env)
    cx.track(key)
    implicit.push(key)
    requires[key] = field
  }
  for (const [key, e] of mapped.reads) if (!own(requires, key)) requires[key] = fieldOfEntry(e)
  // as Step.orElse: the fallback runs on the primary's input, and stands in for what it writes
  for (const key of Object.keys(requires)) {
    if (!primaryReads.has(key)) {
      cx.error(useNode, `the fallback "${target.name}" reads "${key}", which step "${info.id}" does not read: a fallback runs on the primary's input`)
    }
  }
  for (const [key, field] of Object.entries(primary.provides)) {
    const theirs = own(target.provides, key) ? target.provides[key] : undefined
    const mine = fieldInfo(field)
    if (theirs === undefined) {
      cx.error(useNode, `the fallback "${target.name}" does not write "${key}", which step "${info.id}" writes: it cannot stand in for it`)
    } else if (!isAssignable(fieldInfo(theirs).type, mine.type)) {
      cx.error(
        useNode,
        `the fallback "${target.name}" writes "${key}" as ${describe(fieldInfo(theirs).type)}, but step "${info.id}" writes it as ${describe(mine.type)}`
      )
    }
  }
  return wrap(target, target.name, requires, inputMapper(implicit, mapped.values), noPolicy, rename)
}

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

/** A registered step under a YAML step's id, reading the wrapper's keys and calling the step with its input mapped. */
const wrap = (
  step: Step.Step.Any,
  name: string,
  requires: Readonly<Record<string, Field>>,
  mapInput: (input: Expr.StateView, step: Step.Step.Any) => Record<string, unknown>,
  policy: Policy,
  rename: ReadonlyMap<string, string>
): Step.Step.Any => {
  const run = (step as unknown as Runnable).run
  const renamed = (out: unknown): unknown => {
    if (typeof out !== "object" || out === null) return out
    const next: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(out)) next[rename.get(key) ?? key] = value
    return next
  }
  return Step.make({
    name,
    requires: requires as Schema.Struct.Fields,
    provides: rename.size === 0
      ? step.provides
      : Object.fromEntries(Object.entries(step.provides).map(([key, field]) => [rename.get(key) ?? key, field])),
    run: (input, context) =>
      (rename.size === 0
        ? run(mapInput(input as Expr.StateView, step), context)
        : Effect.map(run(mapInput(input as Expr.StateView, step), context), renamed)) as never,
    retry: (policy.retry ?? step.retry) as never,
    timeout: policy.timeout ?? step.timeout,
    ttl: step.ttl,
    onError: policy.onError ?? (step.fallback === undefined ? step.onError : "fail")
  }) as unknown as Step.Step.Any
}

const orElse = (primary: Step.Step.Any, fallback: Step.Step.Any): Step.Step.Any =>
  (Step.orElse as unknown as (a: Step.Step.Any, b: Step.Step.Any) => Step.Step.Any)(primary, fallback)
