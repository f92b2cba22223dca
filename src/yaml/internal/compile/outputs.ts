/**
 * Where a step's values go: `output:` (or `as:`) names the key a built-in
 * step writes (default: its id), or renames the keys a registered step
 * writes (`output: { price: unit_price }`, or `output: unit_price` for a
 * step that writes one key). A name that is already a key of another type
 * at that point is an error at its position, as is a rename of a key the
 * step does not write or two keys renamed to one.
 *
 * @internal
 */
import type { SchemaAST } from "effect"
import { isAssignable } from "../assignable.js"
import type { Env } from "../env.js"
import { describe } from "../printType.js"
import type { YEntry, YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import type { Compilation, StepInfo } from "./context.js"

/** The `output:` / `as:` entry of a step (both is an error). */
export const outputEntry = (cx: Compilation, fields: ReadonlyMap<string, YEntry>): YEntry | undefined => {
  const output = fields.get("output")
  const as = fields.get("as")
  if (output !== undefined && as !== undefined) {
    cx.error(as.keyNode, `"as" is another name for "output": write one of them`)
  }
  return output ?? as
}

/** Reports a key whose new value would not fit what the state holds there already. */
export const checkCollision = (
  cx: Compilation,
  at: YNode,
  env: Env,
  key: string,
  type: SchemaAST.AST,
  what: string
): void => {
  const existing = env.get(key)
  if (existing === undefined || isAssignable(type, existing.type)) return
  const writers = Array.from(existing.writers).map((w) => w === "inputs" ? "the input" : `step "${w}"`).join(" or ")
  cx.error(
    at,
    `${what} writes "${key}" as ${describe(type)}, but "${key}" is ${describe(existing.type)} here (written by ${writers}): give it another name`
  )
}

/** The one key a built-in step writes: its `output:`, else its id. */
export const builtinOutput = (
  cx: Compilation,
  fields: ReadonlyMap<string, YEntry>,
  info: StepInfo
): { readonly key: string; readonly at: YNode | undefined } | undefined => {
  const entry = outputEntry(cx, fields)
  if (entry === undefined) return { key: info.id, at: undefined }
  if (entry.value.kind !== "scalar") {
    cx.error(entry.value, `the output of step "${info.id}" is the name of the one key it writes`)
    return undefined
  }
  const key = cx.key(entry.value, "output")
  return key === undefined ? undefined : { key, at: entry.value }
}

/**
 * The renames of a registered step's keys (provided key to state key);
 * an empty map when there is no `output:`.
 */
export const renamesOf = (
  cx: Compilation,
  fields: ReadonlyMap<string, YEntry>,
  provided: ReadonlyArray<string>,
  info: StepInfo
): ReadonlyMap<string, { readonly key: string; readonly at: YNode }> => {
  const renames = new Map<string, { readonly key: string; readonly at: YNode }>()
  const entry = outputEntry(cx, fields)
  if (entry === undefined) return renames
  const node = entry.value
  if (node.kind === "scalar") {
    if (provided.length !== 1) {
      cx.error(
        node,
        `step "${info.id}" writes ${provided.length === 0 ? "nothing" : listOf(provided)}: rename its keys one by one (output: { ${provided[0] ?? "key"}: new_name })`
      )
      return renames
    }
    const key = cx.key(node, "output")
    if (key !== undefined) renames.set(provided[0]!, { key, at: node })
    return renames
  }
  if (node.kind !== "map") {
    cx.error(node, `output renames the keys step "${info.id}" writes: a mapping such as { ${provided[0] ?? "key"}: new_name }`)
    return renames
  }
  const targets = new Map<string, string>()
  for (const e of node.entries) {
    if (!provided.includes(e.key)) {
      cx.error(
        e.keyNode,
        `step "${info.id}" does not write "${e.key}"${didYouMean(e.key, provided)}; ${provided.length === 0 ? "it writes nothing" : `it writes ${listOf(provided)}`}`
      )
      continue
    }
    const key = cx.key(e.value, `the new name of "${e.key}"`)
    if (key === undefined) continue
    const other = targets.get(key)
    if (other !== undefined) {
      cx.error(e.value, `"${other}" and "${e.key}" are both renamed to "${key}": a key holds one value`)
      continue
    }
    targets.set(key, e.key)
    renames.set(e.key, { key, at: e.value })
  }
  for (const key of provided) {
    const kept = targets.get(key)
    if (!renames.has(key) && kept !== undefined) {
      cx.error(node, `"${kept}" is renamed to "${key}", which step "${info.id}" writes too: rename "${key}" as well`)
    }
  }
  return renames
}
