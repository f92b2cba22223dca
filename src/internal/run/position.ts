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
import { beginKey, endKey, iterationKey, join, loopDoneKey, mergeKey } from "./keys.js"
import type { Lineage } from "../../Engine.js"

/** The state key of the position marker. */
export const positionKey = "~position"

/** One crossing in a run's lineage (the engine's public `Lineage`). */
export type Crossing = Lineage

/**
 * The position marker: the completed keys as of `seq`, how the run got
 * there, and the signals its migrations renamed (old name → new name: a
 * wait takes a signal sent under an old name of its signal, before or after
 * the migration).
 */
export interface Position {
  readonly seq: number
  readonly completed: ReadonlyArray<string>
  readonly lineage: ReadonlyArray<Crossing>
  readonly signals?: Readonly<Record<string, string>> | undefined
}

/** The old names of signal `name` (renamed by a migration the marker records). */
export const oldNamesOf = (marker: unknown, name: string): ReadonlyArray<string> =>
  isPosition(marker) && marker.signals !== undefined
    ? Object.keys(marker.signals).filter((old) => marker.signals![old] === name)
    : []

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

// ---------------------------------------------------------------------------
// nested positions
// ---------------------------------------------------------------------------

/** How a run is inside a node that holds a template: the template, its path, and the arm or loop iteration it took. */
interface Entered {
  readonly template: Template.Template.Any
  readonly path: string
  readonly arm?: string | undefined
  readonly iteration?: number | undefined
}

/**
 * The template a run standing at `node` (at `key`) is inside: a nested
 * template, the arm a branch recorded, the loop iteration last started.
 * Not inside a forEach's or parallel's templates (views), a sub-flow's
 * (a child run), or a branch or loop that has not started.
 */
const entered = (node: Template.Node, key: string, completed: ReadonlySet<string>): Entered | undefined => {
  if (node._tag === "Template") return { template: node, path: key }
  if (node._tag !== "Flow") return undefined
  const spec = node.spec
  if (spec.kind === "branch") {
    const arm = spec.labels.find((label) => completed.has(join(key, label)))
    const body = arm === undefined ? undefined : spec.arms[arm]
    return body === undefined ? undefined : { template: body, path: join(key, arm!), arm }
  }
  if (spec.kind === "loop") {
    let n = 0
    while (completed.has(iterationKey(key, n + 1))) n++
    return n === 0 ? undefined : { template: spec.body, path: join(key, String(n)), iteration: n }
  }
  return undefined
}

/** One level of where a run stands: the node (of `template`, at `index`) and, when the run is inside it, how. */
export interface Frame {
  readonly template: Template.Template.Any
  readonly index: number
  readonly node: Template.Node
  readonly key: string
  readonly arm?: string | undefined
  readonly iteration?: number | undefined
}

/**
 * Where a run stands, outermost first: the first unfinished top-level node,
 * then, when the run is inside it (a nested template, a branch's arm, a
 * loop's body), the first unfinished node there, and so on; empty when
 * every top-level node has finished.
 */
export const framesOf = (template: Template.Template.Any, completed: ReadonlySet<string>): ReadonlyArray<Frame> => {
  const frames: Array<Frame> = []
  let at: Entered | undefined = { template, path: "" }
  while (at !== undefined) {
    const keys = childKeys(at.template, at.path)
    const steps = at.template.steps
    const index = keys.findIndex((key, i) => !isFinished(steps[i]!, key, completed))
    if (index < 0) break
    const inner = entered(steps[index]!, keys[index]!, completed)
    frames.push({ template: at.template, index, node: steps[index]!, key: keys[index]!, arm: inner?.arm, iteration: inner?.iteration })
    at = inner
  }
  return frames
}

/** The templates a run may be inside at `node` (as {@link entered} enters them), with how. */
const innerOf = (node: Template.Node): ReadonlyArray<readonly [{ readonly arm?: string; readonly loop?: true }, Template.Template.Any]> => {
  if (node._tag === "Template") return [[{}, node]]
  if (node._tag !== "Flow") return []
  const spec = node.spec
  if (spec.kind === "branch") return spec.labels.flatMap((arm) => spec.arms[arm] === undefined ? [] : [[{ arm }, spec.arms[arm]!] as const])
  return spec.kind === "loop" ? [[{ loop: true }, spec.body]] : []
}

/** A way down to a node: each level's template, the node's index there, and how the next level is inside it. */
export type Route = ReadonlyArray<{
  readonly template: Template.Template.Any
  readonly index: number
  readonly arm?: string | undefined
  readonly loop?: true | undefined
}>

/** Every way down to `target` in a template (not into forEach, parallel or sub-flow templates), depth first. */
export const routesTo = (template: Template.Template.Any, target: Template.Node, prefix: Route = []): ReadonlyArray<Route> =>
  template.steps.flatMap((node, index) => [
    ...(node === target ? [[...prefix, { template, index }]] : []),
    ...innerOf(node).flatMap(([via, inner]) => routesTo(inner, target, [...prefix, { template, index, ...via }]))
  ])

/**
 * The frames a run standing at the end of `route` has, its loops at the
 * given iterations (the `k`-th loop on the way at `iterations[k]`, else 1).
 */
export const framesOfRoute = (route: Route, iterations: ReadonlyArray<number>): ReadonlyArray<Frame> => {
  let path = ""
  let loops = 0
  return route.map((level) => {
    const key = childKeys(level.template, path)[level.index]!
    const node = level.template.steps[level.index]!
    const iteration = level.loop === true ? iterations[loops++] ?? 1 : undefined
    path = level.arm !== undefined ? join(key, level.arm) : iteration !== undefined ? join(key, String(iteration)) : key
    return { template: level.template, index: level.index, node, key, arm: level.arm, iteration }
  })
}

/**
 * The keys that make a run stand at the last of `frames` (a new version's):
 * at every level, the nodes before it done, the nested template begun, the
 * branch's arm taken, the loop's iterations up to the current one started.
 */
export const enteringKeys = (frames: ReadonlyArray<Frame>): ReadonlyArray<string> =>
  frames.flatMap((frame, level) => {
    const keys = childKeys(frame.template, level === 0 ? "" : parentPath(frames[level - 1]!))
    const before = frame.template.steps.slice(0, frame.index).flatMap((node, i) => doneKeys(node, keys[i]!))
    if (level === frames.length - 1) return before
    if (frame.arm !== undefined) return [...before, join(frame.key, frame.arm)]
    if (frame.iteration !== undefined) {
      return [...before, ...Array.from({ length: frame.iteration }, (_, i) => iterationKey(frame.key, i + 1))]
    }
    return [...before, beginKey(frame.key)]
  })

/** The path of the template a frame's node holds the run in. */
const parentPath = (frame: Frame): string =>
  frame.arm !== undefined ? join(frame.key, frame.arm) : frame.iteration !== undefined ? join(frame.key, String(frame.iteration)) : frame.key
