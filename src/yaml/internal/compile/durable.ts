/**
 * The durable steps: `sleep:` (a `Durable.sleep`) and `waitForSignal:` (a
 * `Durable.waitForSignal` writing its typed payload, or a default when its
 * timeout passes).
 *
 * @internal
 */
import { Either, Schema, SchemaAST } from "effect"
import { Durable } from "../../../index.js"
import { write } from "../env.js"
import { describe } from "../printType.js"
import type { YMap } from "../source.js"
import type { AnySchema, Compilation, Compiled, Node, StepInfo, Walk } from "./context.js"
import { declaredType } from "./declaredTypes.js"
import { formatFields, labelPattern } from "./format.js"

export const sleepStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled => {
  const fields = cx.fields(item, formatFields.sleep, `sleep "${info.id}"`)
  const entry = fields?.get("sleep") ?? item.entries.find((e) => e.key === "sleep")!
  const duration = cx.duration(entry.value, `sleep "${info.id}"`)
  const nodes = duration === undefined ? [] : cx.build(entry.value, () => Durable.sleep(info.id, duration) as unknown as Node)
  return { nodes, walk }
}

export const waitForSignalStep = (cx: Compilation, item: YMap, info: StepInfo, walk: Walk): Compiled => {
  const outer = cx.fields(item, formatFields.waitForSignal, `waitForSignal "${info.id}"`)
  const body = outer?.get("waitForSignal")?.value ?? item.entries.find((e) => e.key === "waitForSignal")!.value
  const fields = cx.fields(body, formatFields.waitForSignalBody, `waitForSignal "${info.id}"`)
  if (fields === undefined) return { nodes: [], walk }
  const nameEntry = fields.get("name")
  const signal = nameEntry === undefined
    ? info.id
    : cx.name(nameEntry.value, "a signal's name", labelPattern, "must use only letters, digits, \"_\", \"-\", \".\" and \":\"")
  const keyEntry = fields.get("key")
  const key = keyEntry === undefined ? signal : cx.key(keyEntry.value, "key")
  const payloadEntry = fields.get("payload")
  if (payloadEntry === undefined) {
    cx.error(body, `waitForSignal "${info.id}" needs "payload:", the type of the signal's payload`)
    return { nodes: [], walk }
  }
  const schema = declaredType(cx, payloadEntry.value)
  const timeoutEntry = fields.get("timeout")
  const timeout = timeoutEntry === undefined ? undefined : cx.duration(timeoutEntry.value, "timeout")
  const defaultEntry = fields.get("default")
  let fallback: { readonly value: unknown } | undefined
  if (defaultEntry !== undefined) {
    if (timeoutEntry === undefined) cx.error(defaultEntry.keyNode, `"default" is the value written when the timeout passes: give a "timeout"`)
    const value = cx.constant(defaultEntry.value)
    if (schema !== undefined) {
      const valid = Schema.validateEither(schema)(value, { errors: "first" })
      if (Either.isLeft(valid)) {
        cx.error(
          defaultEntry.value,
          `the default is not a valid payload (${describe(SchemaAST.typeAST(schema.ast))}): ${valid.left.message.split("\n").slice(-1)[0]?.trim() ?? ""}`
        )
      } else fallback = { value }
    }
  }
  if (schema === undefined || key === undefined || signal === undefined) return { nodes: [], walk }
  const env = write(walk.env, { [key]: { type: SchemaAST.typeAST(schema.ast), optional: false } }, info.id)
  const options = {
    name: info.id,
    key,
    ...(timeout === undefined ? {} : { timeout }),
    ...(fallback === undefined ? {} : { default: fallback.value })
  }
  const make = Durable.waitForSignal as unknown as (name: string, schema: AnySchema, options: object) => Node
  const nodes = cx.build(payloadEntry.value, () => make(signal, schema, options))
  return { nodes, walk: { env, visible: walk.visible } }
}
