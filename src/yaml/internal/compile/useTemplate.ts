/**
 * `use: <template>` and `subflow: <template>`: the template itself (renamed
 * after the id; a subflow runs it as a `Durable.subflow`); when `with:` maps
 * keys, a small step `<id>:with` before it writes them under the names the
 * template reads.
 *
 * @internal
 */
import { Effect } from "effect"
import { Durable, Step, Template } from "../../../index.js"
import { apply, type Field, fieldOfKey, write } from "../env.js"
import type * as Expr from "../expr.js"
import type { YEntry, YMap } from "../source.js"
import { type Compilation, type Compiled, isTemplate, type Node, type StepInfo, type Walk } from "./context.js"
import { formatFields } from "./format.js"
import { reportProblem } from "./references.js"
import { providedFields, recoverUnknown, targetOf } from "./registry.js"
import { mappedWith } from "./with.js"

export const useTemplate = (
  cx: Compilation,
  item: YMap,
  info: StepInfo,
  walk: Walk,
  target: Template.Template.Any,
  kind: "use" | "subflow"
): Compiled => {
  const fields = cx.fields(item, kind === "use" ? formatFields.template : formatFields.subflow, `${kind === "use" ? "template" : "subflow"} step "${info.id}"`) ??
    new Map<string, YEntry>()
  const at = fields.get(kind)?.value ?? item
  cx.used.add(`${target.name}@${target.version}`)
  const byKey: Record<string, ReadonlyArray<Field>> = {}
  for (const [key, schema] of target.requirements) byKey[key] = [...(byKey[key] ?? []), fieldOfKey(schema, key)]
  const by = `${kind === "use" ? "template" : "subflow"} "${info.id}" (${target.name})`
  const mapped = mappedWith(cx, fields.get("with"), byKey, info, walk, by, "reads")
  for (const key of target.requiredState) if (!mapped.keys.has(key)) cx.track(key)
  let env = walk.env
  let adapter: Node | undefined
  if (mapped.keys.size > 0) {
    const provides: Record<string, Field> = {}
    for (const key of mapped.keys) provides[key] = byKey[key]![0]!
    env = write(env, providedFields(provides, false), info.id)
    const values = mapped.values
    if (values.length === mapped.keys.size && cx.diagnostics.count === 0) {
      adapter = Step.make({
        name: `${info.id}:with`,
        requires: cx.readFields(mapped.reads),
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
    report: (problem) => reportProblem(cx, at, problem, env)
  })
  return { nodes: [...(adapter === undefined ? [] : [adapter]), ...cx.build(at, () => wrapped)], walk: { env: after, visible: walk.visible } }
}

export const subflowStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled => {
  const entry = item.entries.find((e) => e.key === "subflow")!
  const target = targetOf(cx, entry.value, "subflow")
  if (target === undefined) {
    cx.fields(item, formatFields.subflow, "a step")
    return { nodes: [], walk: { env: recoverUnknown(cx, entry.value, walk.env, info), visible: walk.visible } }
  }
  if (!isTemplate(target)) {
    cx.error(entry.value, `a subflow runs a template; "${target.name}" is a step (write use: ${target.name})`)
    return { nodes: [], walk }
  }
  return useTemplate(cx, item, info, walk, target, "subflow")
}
