/**
 * The `with:` of a step, template or fallback: each key checked against what
 * the target reads, each value compiled and checked against the key's type.
 *
 * @internal
 */
import { Either, Schema } from "effect"
import { defined, isAssignable, isOpaque, mayBeUndefined } from "../assignable.js"
import { type Entry, type Field, fieldInfo } from "../env.js"
import { describe } from "../printType.js"
import type { YEntry, YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import type { AnySchema, Compilation, StepInfo, Value, Walk } from "./context.js"
import { scopeAt } from "./references.js"
import { compileValue } from "./values.js"

/**
 * The `with:` of a step or template: each key checked against what the
 * target reads (`fieldsOf`), each value compiled and checked against the
 * key's type.
 */
export const mappedWith = (
  cx: Compilation,
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
} => {
  const keys = new Set<string>()
  const values: Array<readonly [string, Value]> = []
  const reads = new Map<string, Entry>()
  if (entry === undefined) return { keys, values, reads }
  if (entry.value.kind !== "map") {
    cx.error(entry.value, `with: maps the keys ${by} ${verb} to values: it must be a mapping`)
    return { keys, values, reads }
  }
  const known = Object.keys(fieldsOf)
  for (const e of entry.value.entries) {
    const target = fieldsOf[e.key]
    if (target === undefined || !Object.prototype.hasOwnProperty.call(fieldsOf, e.key)) {
      cx.error(
        e.keyNode,
        `${by} does not read "${e.key}"${didYouMean(e.key, known)}; ${known.length === 0 ? "it reads nothing" : `it reads ${listOf(known)}`}`
      )
      continue
    }
    keys.add(e.key)
    const value = compileValue(cx, e.value, (toSource) => scopeAt(cx, walk, reads, info, toSource))
    if (value === undefined) continue
    const targets = Array.isArray(target) ? target as ReadonlyArray<Field> : [target as Field]
    if (targets.every((field) => checkValue(cx, value, field, e.key, e.value, by))) values.push([e.key, value])
  }
  return { keys, values, reads }
}

/** Whether a `with:` value fits the field it is mapped to (reported when not). */
const checkValue = (cx: Compilation, value: Value, field: Field, key: string, node: YNode, by: string): boolean => {
  const required = fieldInfo(field)
  if (value.constant !== undefined) {
    const result = Schema.validateEither(Schema.Struct({ [key]: field }) as unknown as AnySchema)(
      { [key]: value.constant.value },
      { errors: "first" }
    )
    if (Either.isLeft(result)) {
      const message = result.left.message.split("\n").slice(-1)[0]?.trim() ?? ""
      cx.error(
        node,
        `"${key}" of ${by} is ${describe(required.type)}; ${JSON.stringify(value.constant.value)?.slice(0, 80)} is not one (${message})`
      )
      return false
    }
    return true
  }
  if (mayBeUndefined(value.type) && !required.optional && !isOpaque(value.type)) {
    cx.error(node, `"${key}" of ${by} is required, but this value may be missing (${describe(value.type)})`)
    return false
  }
  const type = required.optional ? value.type : defined(value.type)
  if (!isAssignable(type, required.type)) {
    cx.error(node, `"${key}" of ${by} is ${describe(required.type)}, but this value is ${describe(value.type)}`)
    return false
  }
  return true
}
