/**
 * Where a run stands, as data: the position marker that a fork's first
 * state and a migration's checkpoint carry (a bookkeeping state key), and
 * the keys a template's top-level nodes have in a run.
 *
 * A run's completed steps are the keys of its non-failed step records. A
 * fork starts with the original's completed keys up to the fork step, and
 * a migration replaces the old version's completed keys with the new
 * version's: neither can rewrite records, so both record the set in the
 * marker, and a restored run's completed keys are the marker's and those of
 * the records after it (see {@link completedOf}).
 *
 * @internal
 */
import type { StepRecord } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import { beginKey, endKey, join, loopDoneKey, mergeKey } from "./keys.js"
import type { Lineage } from "../../Engine.js"

/** The state key of the position marker. */
export const positionKey = "~position"

/** One crossing in a run's lineage (the engine's public `Lineage`). */
export type Crossing = Lineage

/** The position marker: the completed keys as of `seq`, and how the run got there. */
export interface Position {
  readonly seq: number
  readonly completed: ReadonlyArray<string>
  readonly lineage: ReadonlyArray<Crossing>
}

/** Whether a stored value is a position marker. */
export const isPosition = (u: unknown): u is Position =>
  typeof u === "object" && u !== null && typeof (u as Position).seq === "number" &&
  Array.isArray((u as Position).completed) && Array.isArray((u as Position).lineage)

/** A run's completed keys: the marker's (if any) and those of the non-failed records after it. */
export const completedOf = (
  marker: Position | undefined,
  records: ReadonlyArray<StepRecord>
): Set<string> => {
  const done = new Set(marker?.completed ?? [])
  const after = marker?.seq ?? 0
  for (const record of records) if (record.seq > after && record.status !== "failed") done.add(record.stepKey)
  return done
}

/**
 * A restored run's completed keys: the store's (`completedStepKeys`), or,
 * when its state holds a position marker, the marker's and those of the
 * records after it.
 */
export const restoredCompleted = (
  marker: unknown,
  completedStepKeys: ReadonlyArray<string>,
  records: ReadonlyArray<StepRecord>
): Set<string> => isPosition(marker) ? completedOf(marker, records) : new Set(completedStepKeys)

/** The path segments of a template's nodes: their names, with `#2`, `#3`... for repeats (as the interpreter names them). */
export const childKeys = (template: Template.Template.Any, path = ""): ReadonlyArray<string> => {
  const counts = new Map<string, number>()
  return template.steps.map((node) => {
    const n = (counts.get(node.name) ?? 0) + 1
    counts.set(node.name, n)
    return join(path, n === 1 ? node.name : `${node.name}#${n}`)
  })
}

/** The keys that mark a node at `path` done, so that a run standing after it does not run it. */
export const doneKeys = (node: Template.Node, path: string): ReadonlyArray<string> => {
  switch (node._tag) {
    case "Template": {
      const keys = childKeys(node, path)
      return [beginKey(path), endKey(path), ...node.steps.flatMap((child, i) => doneKeys(child, keys[i]!))]
    }
    case "Flow": {
      const spec = node.spec
      if (spec.kind === "loop") return [loopDoneKey(path)]
      if (spec.kind === "forEach" || (spec.kind === "parallel" && spec.mode === "all")) return [mergeKey(path)]
      // a branch or a race: its first arm, recorded as taken, with its nodes done
      const label = spec.labels[0]!
      const arm = spec.kind === "branch" ? spec.arms[label] : spec.branches[label]
      const at = join(path, label)
      return arm === undefined ? [at] : [at, ...doneKeys(arm, at).filter((key) => key !== at)]
    }
    default:
      return [path]
  }
}

/** Whether `key` is `path` or under it. */
export const isUnder = (key: string, path: string): boolean => key === path || key.startsWith(`${path}/`)

/** Whether the node at `path` has finished, given the completed keys. */
const isFinished = (node: Template.Node, path: string, completed: ReadonlySet<string>): boolean => {
  switch (node._tag) {
    case "Template": {
      const keys = childKeys(node, path)
      return isFinished(node.steps[keys.length - 1]!, keys[keys.length - 1]!, completed)
    }
    case "Flow": {
      const spec = node.spec
      if (spec.kind === "loop") return completed.has(loopDoneKey(path))
      if (spec.kind === "forEach" || (spec.kind === "parallel" && spec.mode === "all")) return completed.has(mergeKey(path))
      const label = spec.labels.find((candidate) => completed.has(join(path, candidate)))
      if (label === undefined) return false
      if (spec.kind === "parallel") return true
      const arm = spec.arms[label]
      return arm === undefined || isFinished(arm, join(path, label), completed)
    }
    default:
      return completed.has(path)
  }
}

/**
 * The index of the top-level node a run stands at (the first not finished),
 * or `undefined` when every one has finished.
 */
export const standsAt = (template: Template.Template.Any, completed: ReadonlySet<string>): number | undefined => {
  const keys = childKeys(template)
  for (let i = 0; i < keys.length; i++) if (!isFinished(template.steps[i]!, keys[i]!, completed)) return i
  return undefined
}

/** The templates a control-flow node runs, each with the path segment its runs take (`*`: any one segment). */
const bodiesOf = (node: Template.Node): ReadonlyArray<readonly [string, Template.Template.Any]> => {
  if (node._tag !== "Flow") return node._tag === "Template" ? [["", node]] : []
  const spec = node.spec
  switch (spec.kind) {
    case "branch":
      return spec.labels.flatMap((label) => spec.arms[label] === undefined ? [] : [[label, spec.arms[label]!] as const])
    case "parallel":
      return spec.labels.map((label) => [label, spec.branches[label]!] as const)
    default:
      return [["*", spec.body]]
  }
}

/** The step whose key in a run of `template` is `key` (a path of nested templates, arms, iterations), if any. */
export const findStep = (template: Template.Template.Any, key: string, path = ""): Template.Node | undefined => {
  const keys = childKeys(template, path)
  for (let i = 0; i < keys.length; i++) {
    const node = template.steps[i]!
    const at = keys[i]!
    if (at === key) return node._tag === "Template" || node._tag === "Flow" ? undefined : node
    if (!key.startsWith(`${at}/`)) continue
    for (const [segment, body] of bodiesOf(node)) {
      const rest = key.slice(at.length + 1)
      const next = segment === "" ? at : segment === "*" ? join(at, rest.split("/")[0]!) : join(at, segment)
      const found = findStep(body, key, next)
      if (found !== undefined) return found
    }
  }
  return undefined
}
