/**
 * References in expressions (`inputs.x`, `vars.x`, `state.x`, `steps.<id>.x`,
 * a bare key): each resolved against what the flow has written at that
 * point, and recorded as a key the step reads; the messages that name who
 * wrote a key.
 *
 * @internal
 */
import { booleanType, numberType, stringType } from "../assignable.js"
import { type Entry, type Env, type Problem, problemMessage, readType } from "../env.js"
import type * as Expr from "../expr.js"
import type { YNode } from "../source.js"
import { didYouMean, listOf } from "../suggest.js"
import { type Compilation, own, type SourceMap, type Span, type StepInfo, type Walk } from "./context.js"

/**
 * The expression scope at a point of the flow: resolves references and
 * records the keys read; `toSource` maps the expression's offsets to the
 * file's.
 */
export const scopeAt = (
  cx: Compilation,
  walk: Walk,
  reads: Map<string, Entry>,
  info: StepInfo,
  toSource: SourceMap
): Expr.Scope => {
  return {
    report: (span, message) => cx.error(toSource(span), message),
    resolve: (names, span) => resolveReference(cx, names, span, walk, reads, info, toSource)
  }
}

export const resolveReference = (
  cx: Compilation,
  names: ReadonlyArray<{ readonly name: string } & Span>,
  span: Span,
  walk: Walk,
  reads: Map<string, Entry>,
  info: StepInfo,
  at: SourceMap
): Expr.Resolved | undefined => {
  const [first, second, third] = names
  const err = (s: Span, message: string) => cx.error(at(s), message)
  const stateRead = (key: string, entry: Entry, consumed: number): Expr.Resolved => {
    reads.set(key, entry)
    cx.track(key)
    return { consumed, key, type: readType(entry), read: (state) => own(state, key) ? state[key] : undefined }
  }
  switch (first!.name) {
    case "inputs": {
      if (second === undefined) return err(span, `write inputs.<name> (declared inputs: ${listOf(Array.from(cx.inputs.keys()))})`)
      const key = second.name
      if (!cx.inputs.has(key)) {
        return err(second, `no input "${key}"${didYouMean(key, Array.from(cx.inputs.keys()))}: declare it under "inputs:"`)
      }
      const entry = walk.env.get(key)
      if (entry === undefined || !entry.writers.has("inputs")) {
        return err(span, `inputs.${key} is no longer the input here: ${writersText(cx, entry)} wrote "${key}" since; read state.${key}`)
      }
      return stateRead(key, entry, 2)
    }
    case "vars": {
      if (second === undefined) return err(span, "write vars.<name>")
      const value = cx.vars.get(second.name)
      if (value === undefined) {
        return err(second, `no var "${second.name}"${didYouMean(second.name, Array.from(cx.vars.keys()))}: declare it under "vars:" or give it when loading`)
      }
      const type = typeof value === "number" ? numberType : typeof value === "boolean" ? booleanType : stringType
      return { consumed: 2, key: undefined, type, read: () => value }
    }
    case "state": {
      if (second === undefined) return err(span, "write state.<key>")
      const entry = walk.env.get(second.name)
      if (entry === undefined) return err(second, nobodyProvides(cx, second.name, walk))
      return stateRead(second.name, entry, 2)
    }
    case "steps": {
      if (second === undefined || third === undefined) return err(span, "write steps.<id>.<key>")
      const id = second.name
      const declared = cx.ids.get(id)
      if (declared === undefined) {
        return err(second, `no step has the id "${id}"${didYouMean(id, Array.from(cx.ids.keys()))}`)
      }
      if (id === info.id) return err(second, `step "${id}" cannot read what it writes itself`)
      if (!walk.visible.has(id)) {
        if (declared.order > info.order) {
          return err(second, `step "${id}" comes later (line ${cx.line(declared.at)}): a step reads only what earlier steps wrote`)
        }
        return err(
          second,
          `step "${id}" (line ${cx.line(declared.at)}) has not run here: it is in another arm or branch, or in a forEach body whose values are not kept`
        )
      }
      const provided = cx.providedBy.get(id) ?? new Set<string>()
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
        return err(span, `steps.${id}.${key} is no longer step "${id}"'s value here: ${writersText(cx, entry)} wrote "${key}" since; read steps.<that id>.${key} or state.${key}`)
      }
      return stateRead(key, entry, 3)
    }
    default: {
      const key = first!.name
      const entry = walk.env.get(key)
      if (entry === undefined) {
        if (cx.ids.has(key)) return err(first!, `"${key}" is a step id: write steps.${key}.<key>`)
        return err(first!, nobodyProvides(cx, key, walk))
      }
      return stateRead(key, entry, 1)
    }
  }
}

const nobodyProvides = (cx: Compilation, key: string, walk: Walk): string => {
  if (cx.unresolved) return ""
  return `nothing provides "${key}" here${didYouMean(key, Array.from(walk.env.keys()))}: declare it under inputs, or write it in an earlier step`
}

const writersText = (cx: Compilation, entry: Entry | undefined): string => {
  if (entry === undefined) return "another step"
  const names = Array.from(entry.writers).map((w) =>
    w === "inputs" ? "the input" : `step "${w}"${cx.ids.has(w) ? ` (line ${cx.line(cx.ids.get(w)!.at)})` : ""}`
  )
  return names.join(" or ")
}

/** Reports a key a node reads that does not fit. */
export const reportProblem = (cx: Compilation, at: YNode, problem: Problem, env: Env): void => {
  if (problem._tag === "Missing" && cx.unresolved) return
  cx.error(at, problemMessage(problem, (entry) => writersText(cx, entry), Array.from(env.keys())))
}
