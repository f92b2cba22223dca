/**
 * What the command line prints: the JSON shapes of `--format json` (the
 * stable contract, documented in the README) and their tables.
 *
 * @internal
 */
import { JSONSchema, Schema, SchemaAST } from "effect"
import { Template } from "../../index.js"
import type { RunStatus, SnapshotStore, Trace } from "../../index.js"
import * as Graph from "../../Graph.js"

// ---------------------------------------------------------------------------
// JSON shapes
// ---------------------------------------------------------------------------

/** An error as printed: its tag and message. */
export interface ErrorJson {
  readonly tag: string
  readonly message: string
}

/** A run's record, as `weft status` / `weft list` print it. */
export interface RunJson {
  readonly runId: string
  readonly template: string
  readonly version: string
  readonly status: RunStatus.RunStatus
  readonly createdAt: string
  readonly updatedAt: string
  readonly error: ErrorJson | null
  readonly parentId: string | null
  readonly rootId: string
  readonly queue: string
  readonly waitingFor: { readonly runId: string; readonly step: string; readonly signal: string | null } | null
  readonly wakeAt: string | null
  readonly expiresAt: string | null
  /** Its priority within its queue. */
  readonly priority: number
  /** What a paused run returns to when unpaused (on a running run: a pause asked of its engine). */
  readonly pausedFrom: SnapshotStore.PausedFrom | null
  /** What started the run by itself (a schedule's tick, a webhook delivery, another run's end); absent otherwise. */
  readonly triggeredBy?: SnapshotStore.TriggeredBy | undefined
  /** A fork: the run it was forked from, and the step after which it starts; absent otherwise. */
  readonly forkedFrom?: { readonly runId: string; readonly after: string } | undefined
  /** The version (`name@version`) it was migrated from (or forked from onto another version); absent otherwise. */
  readonly migratedFrom?: string | undefined
}

/** One step of a trace. */
export interface StepJson {
  readonly step: string
  readonly name: string
  readonly status: SnapshotStore.StepStatus
  readonly attempts: number
  readonly startedAt: string
  readonly endedAt: string
  readonly durationMs: number
  readonly error: ErrorJson | null
}

/** A state key a template requires or provides. */
export interface KeyJson {
  readonly key: string
  /** Its type as JSON must give it (the Schema's encoded side). */
  readonly type: string
  readonly optional: boolean
  /** The JSON Schema of the key's value; `null` when it has none. */
  readonly schema: unknown
}

/** A signal a template waits for. */
export interface SignalJson {
  readonly signal: string
  readonly step: string
  readonly type: string
  readonly schema: unknown
}

/** A template, as `weft templates` prints it. */
export interface TemplateJson {
  readonly name: string
  readonly version: string
  readonly requires: ReadonlyArray<KeyJson>
  readonly provides: ReadonlyArray<KeyJson>
  readonly signals: ReadonlyArray<SignalJson>
}

const iso = (ms: number | null | undefined): string | null =>
  ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString()

const errorJson = (error: SnapshotStore.ErrorSummary | null | undefined): ErrorJson | null =>
  error === null || error === undefined ? null : { tag: error.tag, message: error.message }

export const runJson = (record: SnapshotStore.RunRecord): RunJson => ({
  runId: record.runId,
  template: record.templateName,
  version: record.templateVersion,
  status: record.status,
  createdAt: iso(record.createdAt) ?? "",
  updatedAt: iso(record.updatedAt) ?? "",
  error: errorJson(record.error),
  parentId: record.parentId,
  rootId: record.rootId,
  queue: record.queue,
  waitingFor: record.waitingFor === null
    ? null
    : { runId: record.waitingFor.runId, step: record.waitingFor.step, signal: record.waitingFor.signal },
  wakeAt: iso(record.wakeAt),
  expiresAt: iso(record.expiresAt),
  priority: record.priority ?? 0,
  pausedFrom: record.pausedFrom ?? null,
  ...(record.triggeredBy === null || record.triggeredBy === undefined ? {} : { triggeredBy: record.triggeredBy }),
  ...(typeof record.forkedFrom === "string" ? { forkedFrom: { runId: record.forkedFrom, after: record.forkedAfter ?? "" } } : {}),
  ...(typeof record.migratedFrom === "string" ? { migratedFrom: record.migratedFrom } : {})
})

/** What started a run, in words. */
const originText = (origin: SnapshotStore.TriggeredBy): string =>
  origin._tag === "Schedule"
    ? `schedule ${origin.schedule}, tick ${new Date(origin.tick).toISOString()}`
    : origin._tag === "Webhook"
    ? `webhook ${origin.hook}, delivery ${origin.delivery}`
    : `trigger ${origin.trigger}, after run ${origin.runId} ${origin.status}`

export const stepJson = (entry: Trace.Entry): StepJson => ({
  step: entry.step,
  name: entry.name,
  status: entry.status,
  attempts: entry.attempts,
  startedAt: entry.startedAt.toISOString(),
  endedAt: entry.endedAt.toISOString(),
  durationMs: entry.durationMs,
  error: errorJson(entry.error)
})

/** The JSON Schema of a Schema, `null` when it has none (a declaration without one). */
const jsonSchemaOf = (schema: Schema.Schema.AnyNoContext): unknown => {
  try {
    return JSONSchema.make(schema)
  } catch {
    return null
  }
}

/** The type JSON must give a key of a one-key Struct, and whether it is optional. */
export const keyType = (
  key: string,
  schema: Schema.Schema.AnyNoContext
): { readonly type: string; readonly optional: boolean; readonly schema: unknown } => {
  const encoded = SchemaAST.encodedAST(schema.ast)
  const struct = encoded._tag === "TypeLiteral" ? encoded : undefined
  const property = struct?.propertySignatures.find((ps) => ps.name === key)
  if (property === undefined) return { type: String(encoded), optional: false, schema: jsonSchemaOf(schema) }
  const full = jsonSchemaOf(schema) as { readonly properties?: Record<string, unknown> } | null
  return {
    type: String(property.type),
    optional: property.isOptional,
    schema: full?.properties?.[key] ?? null
  }
}

export const templateJson = (template: Template.Template.Any): TemplateJson => {
  const requires: Array<KeyJson> = []
  for (const [key, schema] of template.requirements) {
    const type = keyType(key, schema)
    // a key several steps read with the same type is listed once
    if (requires.some((r) => r.key === key && r.type === type.type)) continue
    requires.push({ key, ...type })
  }
  const provides = Object.entries(template.provides).map(([key, schema]): KeyJson => ({ key, ...keyType(key, schema) }))
  const signals = signalsOf(template).map(({ schema, signal, step }): SignalJson => ({
    signal,
    step,
    type: String(SchemaAST.encodedAST(schema.ast)),
    schema: jsonSchemaOf(schema)
  }))
  return { name: template.name, version: template.version, requires, provides, signals }
}

/** The waits of a template (not of its sub-flows), with their step keys and payload Schemas. */
export const signalsOf = (
  template: Template.Template.Any
): ReadonlyArray<{ readonly signal: string; readonly step: string; readonly schema: Schema.Schema.AnyNoContext }> => {
  const keys = Graph.waits(Graph.make(template)).map((wait) => wait.key)
  const schemas = Template.nodes(template, { intoSubflows: false }).flatMap((node) =>
    node._tag === "WaitForSignal" ? [{ signal: node.signal, schema: node.schema }] : []
  )
  // Graph.waits walks the same nodes in the same order (arms and branches in label order)
  return schemas.map((s, i) => ({ ...s, step: keys[i] ?? s.signal }))
}

/**
 * A final state as JSON: each key encoded with the template's Schema for it
 * (what a run's input would give), other keys as they are.
 */
export const stateJson = (
  template: Template.Template.Any,
  state: Readonly<Record<string, unknown>>
): Record<string, unknown> => {
  const schemas = new Map<string, Schema.Schema.AnyNoContext>(template.requirements.map(([k, s]) => [k, s]))
  for (const [key, schema] of Object.entries(template.provides)) schemas.set(key, schema)
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(state)) {
    const schema = schemas.get(key)
    if (schema === undefined) {
      out[key] = value
      continue
    }
    const encoded = Schema.encodeUnknownEither(schema)({ [key]: value })
    out[key] = encoded._tag === "Right" ? (encoded.right as Record<string, unknown>)[key] : value
  }
  return out
}

/** `JSON.stringify` that does not throw (bigints as strings, cycles marked). */
export const toJson = (value: unknown, indent: number | undefined = 2): string => {
  const seen = new WeakSet<object>()
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return v.toString()
    if (typeof v === "object" && v !== null) {
      if (seen.has(v)) return "[Circular]"
      seen.add(v)
    }
    return v
  }, indent) ?? "null"
}

// ---------------------------------------------------------------------------
// tables
// ---------------------------------------------------------------------------

/** A plain-text table: a header row, then rows; columns padded, the last one not. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells.map((cell, i) => i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)).join("  ").trimEnd()
  return [line(header), ...rows.map(line)].join("\n")
}

/** Key / value lines, keys aligned. */
export const fields = (rows: ReadonlyArray<readonly [string, string]>): string => {
  const width = Math.max(...rows.map(([key]) => key.length))
  return rows.map(([key, value]) => `${`${key}:`.padEnd(width + 1)}  ${value}`).join("\n")
}

/** A duration for people: `850 ms`, `1.2 s`, `3 min 4 s`, `2 h 5 min`. */
export const formatDuration = (ms: number): string => {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.floor((ms % 60_000) / 1_000)} s`
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`
  return `${Math.floor(ms / 86_400_000)} d ${Math.floor((ms % 86_400_000) / 3_600_000)} h`
}

const shorten = (text: string, max: number) => text.length <= max ? text : `${text.slice(0, max - 1)}…`

const errorText = (error: ErrorJson | null) => error === null ? "" : `${error.tag}: ${error.message}`

export const runsTable = (runs: ReadonlyArray<RunJson>): string =>
  runs.length === 0
    ? "no runs"
    : table(
      ["RUN ID", "TEMPLATE", "STATUS", "CREATED", "UPDATED", "ERROR"],
      runs.map((run) => [
        run.runId,
        `${run.template}@${run.version}`,
        run.status,
        run.createdAt,
        run.updatedAt,
        shorten(errorText(run.error), 80)
      ])
    )

export const runFields = (run: RunJson, extra: ReadonlyArray<readonly [string, string]> = []): string =>
  fields([
    ["run", run.runId],
    ["template", `${run.template}@${run.version}`],
    ["status", run.status],
    ["created", run.createdAt],
    ["updated", run.updatedAt],
    ...(run.parentId === null ? [] : [["parent", run.parentId] as const]),
    ...(run.rootId === run.runId ? [] : [["root", run.rootId] as const]),
    ["queue", run.queue],
    ...(run.waitingFor === null
      ? []
      : [[
        "waiting for",
        run.waitingFor.signal === null
          ? `a timer at ${run.waitingFor.step}`
          : `signal "${run.waitingFor.signal}" at ${run.waitingFor.step}${
            run.waitingFor.runId === run.runId ? "" : ` (run ${run.waitingFor.runId})`
          }`
      ] as const]),
    ...(run.wakeAt === null ? [] : [["wakes at", run.wakeAt] as const]),
    ...(run.error === null ? [] : [["error", errorText(run.error)] as const]),
    ...(run.expiresAt === null ? [] : [["expires", run.expiresAt] as const]),
    ...(run.triggeredBy === undefined ? [] : [["triggered by", originText(run.triggeredBy)] as const]),
    ...(run.forkedFrom === undefined ? [] : [["forked from", `${run.forkedFrom.runId} after ${run.forkedFrom.after}`] as const]),
    ...(run.migratedFrom === undefined ? [] : [["migrated from", run.migratedFrom] as const]),
    ...extra
  ])

/** A tree node of a trace: a path segment, the step recorded there (if any), its children. */
interface TreeNode {
  readonly segment: string
  entry: StepJson | undefined
  readonly children: Array<TreeNode>
  start: number
  end: number
}

/** The steps of a trace as a tree of their keys (`a/b/c`): children in the order they first ended. */
export const traceTree = (steps: ReadonlyArray<StepJson>): ReadonlyArray<TreeNode> => {
  const roots: Array<TreeNode> = []
  for (const step of steps) {
    const start = Date.parse(step.startedAt)
    const end = Date.parse(step.endedAt)
    let level = roots
    const segments = step.step.split("/")
    segments.forEach((segment, i) => {
      let node = level.find((n) => n.segment === segment)
      if (node === undefined) {
        node = { segment, entry: undefined, children: [], start, end }
        level.push(node)
      }
      node.start = Math.min(node.start, start)
      node.end = Math.max(node.end, end)
      if (i === segments.length - 1) node.entry = step
      level = node.children
    })
  }
  return roots
}

/** A trace as a tree table: durations, attempts, errors; groups show the time they spanned. */
export const traceTable = (steps: ReadonlyArray<StepJson>): string => {
  if (steps.length === 0) return "no steps recorded yet"
  const rows: Array<ReadonlyArray<string>> = []
  const walk = (nodes: ReadonlyArray<TreeNode>, prefix: string, top: boolean) => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1
      const branch = top ? "" : last ? "└─ " : "├─ "
      const entry = node.entry
      rows.push([
        `${prefix}${branch}${node.segment}`,
        entry?.status ?? "",
        entry === undefined ? "" : String(entry.attempts),
        formatDuration(entry?.durationMs ?? node.end - node.start),
        shorten(errorText(entry?.error ?? null), 100)
      ])
      walk(node.children, top ? prefix : `${prefix}${last ? "   " : "│  "}`, false)
    })
  }
  walk(traceTree(steps), "", true)
  return table(["STEP", "STATUS", "ATTEMPTS", "DURATION", "ERROR"], rows)
}

export const templatesTable = (templates: ReadonlyArray<TemplateJson>): string => {
  if (templates.length === 0) return "no templates in this project"
  const keys = (list: ReadonlyArray<KeyJson>) =>
    list.length === 0 ? "-" : list.map((k) => `${k.key}${k.optional ? "?" : ""}: ${shorten(k.type, 60)}`).join("\n")
  // one row per key: a template's first row carries its name
  const rows: Array<ReadonlyArray<string>> = []
  for (const t of templates) {
    const requires = keys(t.requires).split("\n")
    const provides = keys(t.provides).split("\n")
    const signals = t.signals.map((s) => `${s.signal}: ${shorten(s.type, 60)}`)
    const height = Math.max(requires.length, provides.length, signals.length, 1)
    for (let i = 0; i < height; i++) {
      rows.push([
        i === 0 ? t.name : "",
        i === 0 ? t.version : "",
        requires[i] ?? "",
        provides[i] ?? "",
        signals[i] ?? ""
      ])
    }
  }
  return table(["NAME", "VERSION", "REQUIRES", "PROVIDES", "SIGNALS"], rows)
}

export const stateTable = (state: Readonly<Record<string, unknown>>): string =>
  Object.keys(state).length === 0
    ? "empty state"
    : table(["KEY", "VALUE"], Object.entries(state).map(([key, value]) => [key, toJson(value, 0)]))
