/**
 * Types in a flow: its `types:` section (named types, resolved once, a type
 * that refers to itself refused), and `<step>.<key>` (the type a registered
 * step or template reads or writes under a key).
 *
 * @internal
 */
import { Schema } from "effect"
import { fieldInfo, fieldOfKey } from "../env.js"
import type { YNode } from "../source.js"
import { didYouMean } from "../suggest.js"
import { typeOf, unknownTypeMessage } from "../types.js"
import { type AnySchema, type Compilation, isStep, own } from "./context.js"
import { lookup, registeredNames } from "./registry.js"

export const declaredType = (cx: Compilation, node: YNode): AnySchema | undefined => {
  return typeOf(node, {
    named: (name, at) => namedType(cx, name, at),
    report: (at, message) => cx.error(at, message)
  }, cx.offsetOf)
}

export const resolveNamedType = (cx: Compilation, name: string, node: YNode): AnySchema | undefined => {
  if (cx.resolvedTypes.has(name)) return cx.resolvedTypes.get(name)
  if (cx.resolving.has(name)) return cx.error(node, `type "${name}" refers to itself`)
  cx.resolving.add(name)
  const schema = declaredType(cx, node)
  cx.resolving.delete(name)
  cx.resolvedTypes.set(name, schema)
  return schema
}

const namedType = (
  cx: Compilation,
  name: string,
  at: { readonly start: number; readonly end: number }
): AnySchema | undefined => {
  const declared = cx.types.get(name)
  if (declared !== undefined) {
    if (cx.resolving.has(name)) return cx.error(at, `type "${name}" refers to itself`)
    const schema = resolveNamedType(cx, name, declared)
    // a type that failed reported its own problem
    return schema === undefined ? undefined : schema
  }
  const dot = name.indexOf(".")
  if (dot > 0) {
    const owner = name.slice(0, dot)
    const key = name.slice(dot + 1)
    const target = lookup(cx, owner)
    if (target === undefined) {
      return cx.error(at, `unknown step "${owner}" in type "${name}"${didYouMean(owner, registeredNames(cx))}`)
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
      return cx.error(at, `"${owner}" neither reads nor writes "${key}"${didYouMean(key, keys)}`)
    }
    return Schema.isSchema(field) ? field as AnySchema : Schema.make(fieldInfo(field).type)
  }
  return cx.error(at, unknownTypeMessage(name, Array.from(cx.types.keys())))
}
