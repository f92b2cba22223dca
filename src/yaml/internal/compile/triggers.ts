/**
 * A flow's `triggers:`: runs of the flow that start themselves, checked at
 * load time with positions, and kept with the loaded flow (`Yaml.triggersOf`).
 *
 *   triggers:
 *     - cron: "0 6 * * *"          # a schedule (name required)
 *       name: every-morning
 *       timeZone: Europe/Paris
 *       input: { day: monday }      # the flow's input, checked against its Schemas
 *       overlap: skip               # skip | allow | bufferOne
 *       catchUp: none               # none | last | all
 *     - webhook: orders             # POST /hooks/orders: the body is the flow's input
 *       secret: ORDERS_SECRET       # an environment variable holding the HMAC secret
 *     - after: order_processing     # when a run of this registered template ends
 *       name: then-ship
 *       on: [completed]
 *       input: { orderId: orderId } # this flow's key: the ended run's key
 *
 * @internal
 */
import { Config, Cron, Either, Schema } from "effect"
import type * as Template from "../../../Template.js"
import type * as Trigger from "../../../Trigger.js"
import type { YNode } from "../source.js"
import type { Compilation } from "./context.js"

const entryFields = ["cron", "webhook", "after", "name", "timeZone", "input", "overlap", "catchUp", "catchUpMax", "queue", "secret", "on"]

/** The flow's triggers, by the loaded template. */
const byFlow = new WeakMap<Template.Template.Any, ReadonlyArray<Trigger.Trigger<unknown>>>()

/** The triggers a loaded flow declares (none for another template). */
export const triggersOf = (template: Template.Template.Any): ReadonlyArray<Trigger.Trigger<unknown>> => byFlow.get(template) ?? []

/** A plain JSON value of a YAML node (scalars, mappings, sequences). */
const plain = (node: YNode): unknown =>
  node.kind === "scalar"
    ? node.value
    : node.kind === "seq"
    ? node.items.map(plain)
    : Object.fromEntries(node.entries.map((e) => [e.key, plain(e.value)]))

type Builder = (flow: Template.Template.Any) => Trigger.Trigger<unknown> | undefined

/** Checks one entry; gives how to build its trigger once the flow exists. */
const readEntry = (cx: Compilation, item: YNode): Builder | undefined => {
  const fields = cx.fields(item, entryFields, "a trigger")
  if (fields === undefined) return undefined
  const kinds = ["cron", "webhook", "after"].filter((k) => fields.has(k))
  if (kinds.length !== 1) return cx.error(item, `a trigger has one of "cron", "webhook" or "after"`)
  const text = (key: string) => {
    const entry = fields.get(key)
    return entry === undefined ? undefined : cx.string(entry.value, key)
  }
  const choice = <A extends string>(key: string, allowed: ReadonlyArray<A>, fallback: A): A => {
    const value = text(key)
    if (value === undefined) return fallback
    if (!(allowed as ReadonlyArray<string>).includes(value)) {
      cx.error(fields.get(key)!.value, `${key} must be one of ${allowed.join(", ")}, got "${value}"`)
      return fallback
    }
    return value as A
  }
  const queue = text("queue")
  const kind = kinds[0]!
  if (kind === "webhook") {
    const name = text("webhook")
    const secret = text("secret")
    if (name === undefined) return undefined
    return (flow) => ({
      _tag: "Webhook",
      name,
      template: flow,
      body: Schema.Unknown,
      input: (body) => body,
      secret: secret === undefined ? undefined : Config.redacted(secret),
      tolerance: "5 minutes",
      queue
    })
  }
  const name = text("name")
  if (name === undefined) return cx.error(item, `a "${kind}" trigger needs a "name"`)
  const inputEntry = fields.get("input")
  const input = inputEntry === undefined ? {} : plain(inputEntry.value)
  if (inputEntry !== undefined && inputEntry.value.kind !== "map") return cx.error(inputEntry.value, `input must be a mapping`)
  if (kind === "cron") {
    const expression = text("cron")
    const timeZone = text("timeZone")
    if (expression === undefined) return undefined
    let parsed: Either.Either<Cron.Cron, Cron.ParseError>
    try {
      parsed = Cron.parse(expression, timeZone ?? "UTC")
    } catch (e) {
      return cx.error(fields.get("timeZone")!.value, `time zone "${timeZone}": ${e instanceof Error ? e.message : String(e)}`)
    }
    if (Either.isLeft(parsed)) {
      const at = parsed.left.message.includes("time zone") ? fields.get("timeZone")!.value : fields.get("cron")!.value
      return cx.error(at, `cron "${expression}": ${parsed.left.message}`)
    }
    const overlap = choice("overlap", ["skip", "allow", "bufferOne"] as const, "skip")
    const catchUp = choice("catchUp", ["none", "last", "all"] as const, "none")
    const max = fields.get("catchUpMax")
    return (flow) => ({
      _tag: "Cron",
      name,
      template: flow,
      cron: expression,
      timeZone,
      input: { _tag: "Fixed", value: input },
      overlap,
      catchUp,
      catchUpMax: max === undefined ? 10 : Number(plain(max.value)) || 10,
      queue
    })
  }
  // after: a registered template whose runs' ends start this flow
  const fromName = text("after")
  if (fromName === undefined) return undefined
  const from = (cx.registry.templates ?? []).filter((t) => t.name === fromName).at(-1)
  if (from === undefined) {
    const known = (cx.registry.templates ?? []).map((t) => t.name)
    return cx.error(fields.get("after")!.value, `"${fromName}" is not a registered template${known.length === 0 ? "" : ` (known: ${known.join(", ")})`}`)
  }
  const readable = new Set([...from.requiredState, ...from.providedState])
  const mapping = inputEntry !== undefined && inputEntry.value.kind === "map" ? inputEntry.value.entries : []
  for (const entry of mapping) {
    const source = entry.value.kind === "scalar" ? entry.value.value : undefined
    if (typeof source !== "string") cx.error(entry.value, `input.${entry.key} must name a key of "${fromName}"`)
    else if (!readable.has(source)) {
      cx.error(entry.value, `input.${entry.key} reads "${source}", which "${fromName}" does not provide (it has ${[...readable].join(", ")})`)
    }
  }
  const on = fields.get("on") === undefined ? ["completed"] : plain(fields.get("on")!.value)
  if (!Array.isArray(on) || on.some((s) => !["completed", "failed", "cancelled"].includes(String(s)))) {
    return cx.error(fields.get("on")!.value, `on must be a list of completed, failed, cancelled`)
  }
  return (flow) => ({
    _tag: "OnEnd",
    name,
    from,
    to: flow,
    on: on as ReadonlyArray<Trigger.EndStatus>,
    input: (state) => Object.fromEntries(mapping.map((e) => [e.key, state[String(plain(e.value))]])),
    queue
  })
}

/** Reads `triggers:`; gives how to attach them to the flow once it is made. */
export const readTriggers = (cx: Compilation, node: YNode | undefined): (flow: Template.Template.Any) => void => {
  if (node === undefined) return () => undefined
  if (node.kind !== "seq") {
    cx.error(node, `triggers must be a list`)
    return () => undefined
  }
  const builders = node.items.map((item) => readEntry(cx, item)).filter((b): b is Builder => b !== undefined)
  return (flow) => {
    const triggers = builders.map((build) => build(flow)).filter((t): t is Trigger.Trigger<unknown> => t !== undefined)
    if (triggers.length > 0) byFlow.set(flow, triggers)
  }
}
