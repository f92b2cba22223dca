/**
 * The registered steps and templates a flow names (`use:`, `subflow:`,
 * fallbacks, `<step>.<key>` types), and how compiling goes on after a name
 * that is not registered.
 *
 * @internal
 */
import type { Schema } from "effect"
import type { Step, Template } from "../../../index.js"
import { apply, type Env, fieldInfo, type Requirement, write } from "../env.js"
import type { YNode } from "../source.js"
import { closest, didYouMean, listOf, notAscii } from "../suggest.js"
import { type Compilation, isStep, isTemplate, type StepInfo } from "./context.js"

export const lookup = (cx: Compilation, name: string): Step.Step.Any | Template.Template.Any | undefined => {
  const found = Object.prototype.hasOwnProperty.call(cx.registry.steps, name) ? cx.registry.steps[name] : undefined
  if (found !== undefined && (isStep(found) || isTemplate(found))) return found
  return cx.registry.templates?.find((t) => t.name === name)
}

export const registeredNames = (cx: Compilation): ReadonlyArray<string> => {
  return [...Object.keys(cx.registry.steps), ...(cx.registry.templates ?? []).map((t) => t.name)]
}

/** The registered step or template a `use:`/`subflow:` names, or the error. */
export const targetOf = (cx: Compilation, node: YNode, what: string): Step.Step.Any | Template.Template.Any | undefined => {
  const name = cx.string(node, what)
  if (name === undefined) return undefined
  const found = lookup(cx, name)
  if (found === undefined) {
    const names = registeredNames(cx)
    return cx.error(
      node,
      `unknown step "${name}"${didYouMean(name, names)}${notAscii(name)}: ${names.length === 0 ? "nothing is registered" : `registered are ${listOf([...names].sort())}`}`
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
export const recoverUnknown = (cx: Compilation, node: YNode, env: Env, info: StepInfo): Env => {
  const name = node.kind === "scalar" ? String(node.value) : ""
  const guess = closest(name, registeredNames(cx))
  const target = guess === undefined ? undefined : lookup(cx, guess)
  if (target === undefined) {
    cx.unresolved = true
    return env
  }
  for (const key of isStep(target) ? Object.keys(target.requires) : target.requiredState) cx.track(key)
  if (isStep(target)) return write(env, providedFields(target.provides, false), info.id)
  return apply(target, env, { writer: info.id, report: () => undefined, missing: () => true })
}

/** What a step writes, as requirements of the state (optional when the step may be skipped). */
export const providedFields = (fields: Schema.Struct.Fields, skip: boolean): Record<string, Requirement> =>
  Object.fromEntries(Object.entries(fields).map(([key, field]) => {
    const info = fieldInfo(field)
    return [key, { type: info.type, optional: skip || info.optional }]
  }))
