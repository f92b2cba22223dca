/**
 * Step ids: every YAML step's id and document order, collected before any
 * step is compiled (so that a reference to a later step says so), with
 * duplicates and reserved names refused.
 *
 * @internal
 */
import type { YMap, YNode } from "../source.js"
import { type Compilation, unsafeKey } from "./context.js"
import { idPattern, reserved, type StepKind, stepKinds } from "./format.js"
import { lookup } from "./registry.js"

const kindOf = (map: YMap): StepKind | undefined => {
  return stepKinds.find((kind) => map.entries.some((e) => e.key === kind))
}

/** Records every step's id and order, in document order; reports duplicates. */
export const collectIds = (cx: Compilation, list: YNode, counter: { next: number }): void => {
  if (list.kind !== "seq") return
  for (const item of list.items) {
    if (item.kind !== "map") continue
    const kind = kindOf(item)
    if (kind === undefined) continue
    const idEntry = item.entries.find((e) => e.key === "id")
    const kindEntry = item.entries.find((e) => e.key === kind)!
    const order = counter.next++
    let id: string | undefined
    if (idEntry !== undefined) {
      id = cx.name(idEntry.value, "a step id", idPattern, "must start with a letter or \"_\" and use only letters, digits, \"_\" and \"-\"")
    } else if ((kind === "use" || kind === "subflow") && kindEntry.value.kind === "scalar" && typeof kindEntry.value.value === "string") {
      id = kindEntry.value.value
      if (!idPattern.test(id)) {
        if (lookup(cx, id) === undefined) {
          // not registered either (a look-alike such as a Cyrillic "о"): the step is compiled under
          // this name, not referable, so that its unknown-step error (with its did-you-mean) is the one reported
          cx.info.set(item, { id, order })
        } else {
          cx.error(kindEntry.value, `"${id}" cannot be a step id: give this step an "id:" (letters, digits, "_" and "-")`)
        }
        id = undefined
      }
    } else if (kind !== "use" && kind !== "subflow") {
      id = kind
    } else {
      cx.error(kindEntry.value, `${kind} names a registered ${kind === "use" ? "step or template" : "template"}`)
    }
    if (id !== undefined) {
      const at = idEntry?.value ?? kindEntry.keyNode
      if (reserved.has(id)) {
        cx.error(at, `"${id}" is a reserved name: give this step another id`)
      } else if (id === "__proto__") {
        cx.error(at, unsafeKey("the id")) // an id names keys (a signal's, a forEach's) and is a key of steps.<id>
      } else {
        const previous = cx.ids.get(id)
        if (previous !== undefined) {
          cx.error(
            at,
            `two steps have the id "${id}" (the other at line ${cx.line(previous.at)}): give ${idEntry === undefined ? "this one" : "one of them"} another "id:"`
          )
        } else {
          cx.ids.set(id, { order, at })
        }
        cx.info.set(item, { id, order })
      }
    }
    for (const nested of nestedLists(item, kind)) collectIds(cx, nested, counter)
  }
}

/** The step lists inside a control-flow step. */
const nestedLists = (item: YMap, kind: string): ReadonlyArray<YNode> => {
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
