/**
 * Reading the rows of the run tables back as records, and writing values
 * into their JSON columns: shared by the SQL stores. A row that does not
 * read back (a corrupt or foreign value) throws a {@link RowDecodeError},
 * which a store turns into a `PersistenceError` of reason `"decode"`.
 *
 * @internal
 */
import type {
  ErrorSummary,
  RunRecord,
  ScheduleRecord,
  SignalRecord,
  StateDelta,
  StepRecord,
  StepStatus,
  StoredEntry,
  StoredState,
  TriggeredBy,
  WaitingFor
} from "../../SnapshotStore.js"
import * as RunStatus from "../../RunStatus.js"

/** The tables' names, as the row readers name them in errors. */
const tables = {
  runs: "weft_runs",
  steps: "weft_steps",
  snapshots: "weft_snapshots",
  signals: "weft_signals",
  schedules: "weft_schedules"
} as const

/** A stored value that does not read back as a record (a corrupt or foreign row). */
export class RowDecodeError extends Error {
  constructor(readonly table: string, readonly column: string, detail: string) {
    super(`${table}.${column}: ${detail}`)
    this.name = "RowDecodeError"
  }
}

/** A row as a driver returns it. */
export type Row = Readonly<Record<string, unknown>>

export const integer = (table: string, column: string, value: unknown): number => {
  const n = typeof value === "number"
    ? value
    : typeof value === "bigint"
    ? Number(value)
    : typeof value === "string" && value !== ""
    ? Number(value)
    : Number.NaN
  if (!Number.isFinite(n)) throw new RowDecodeError(table, column, `expected a number, got ${JSON.stringify(value)}`)
  return n
}

export const nullableInteger = (table: string, column: string, value: unknown): number | null =>
  value === null || value === undefined ? null : integer(table, column, value)

export const text = (table: string, column: string, value: unknown): string => {
  if (typeof value !== "string") throw new RowDecodeError(table, column, `expected text, got ${typeof value}`)
  return value
}

export const nullableText = (table: string, column: string, value: unknown): string | null =>
  value === null || value === undefined ? null : text(table, column, value)

const json = (table: string, column: string, value: unknown): unknown => {
  const source = text(table, column, value)
  try {
    return JSON.parse(source)
  } catch (cause) {
    throw new RowDecodeError(table, column, `not JSON: ${cause instanceof Error ? cause.message : String(cause)}`)
  }
}

const isObject = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const stepStatuses: ReadonlyArray<string> = ["completed", "skipped", "fallback", "failed"]

const errorSummary = (table: string, value: unknown): ErrorSummary | null => {
  if (value === null || value === undefined) return null
  const parsed = json(table, "error", value)
  if (!isObject(parsed) || typeof parsed.tag !== "string" || typeof parsed.message !== "string") {
    throw new RowDecodeError(table, "error", "expected { tag, message }")
  }
  if (parsed.data !== undefined && !isObject(parsed.data)) throw new RowDecodeError(table, "error", "data is not an object")
  return parsed.data === undefined
    ? { tag: parsed.tag, message: parsed.message }
    : { tag: parsed.tag, message: parsed.message, data: parsed.data }
}

const waitingFor = (value: unknown): WaitingFor | null => {
  if (value === null || value === undefined) return null
  const parsed = json(tables.runs, "waiting_for", value)
  if (
    !isObject(parsed) || typeof parsed.runId !== "string" || typeof parsed.step !== "string" ||
    !(parsed.signal === null || typeof parsed.signal === "string")
  ) {
    throw new RowDecodeError(tables.runs, "waiting_for", "expected { runId, step, signal }")
  }
  return { runId: parsed.runId, step: parsed.step, signal: parsed.signal }
}

const entries = (table: string, column: string, value: unknown): Readonly<Record<string, StoredEntry>> => {
  if (!isObject(value)) throw new RowDecodeError(table, column, "entries is not an object")
  for (const key in value) {
    const entry = value[key]
    if (
      !isObject(entry) || !("value" in entry) || typeof entry.writtenAt !== "number" ||
      !(entry.expiresAt === null || typeof entry.expiresAt === "number")
    ) {
      throw new RowDecodeError(table, column, `entry ${JSON.stringify(key)} is not { value, writtenAt, expiresAt }`)
    }
  }
  return value as Readonly<Record<string, StoredEntry>>
}

/** Reads a `weft_runs` row (selected as {@link runColumns}). */
export const toRunRecord = (row: Row): RunRecord => {
  const t = tables.runs
  const status = text(t, "status", row.status)
  if (!RunStatus.is(status)) throw new RowDecodeError(t, "status", `unknown status ${JSON.stringify(status)}`)
  return {
    runId: text(t, "run_id", row.run_id),
    templateName: text(t, "template_name", row.template_name),
    templateVersion: text(t, "template_version", row.template_version),
    status,
    seq: integer(t, "seq", row.seq),
    createdAt: integer(t, "created_at", row.created_at),
    updatedAt: integer(t, "updated_at", row.updated_at),
    expiresAt: nullableInteger(t, "expires_at", row.expires_at),
    error: errorSummary(t, row.error),
    timeoutMillis: integer(t, "timeout_ms", row.timeout_ms),
    elapsedMillis: integer(t, "elapsed_ms", row.elapsed_ms),
    wakeAt: nullableInteger(t, "wake_at", row.wake_at),
    waitingFor: waitingFor(row.waiting_for),
    parentId: nullableText(t, "parent_id", row.parent_id),
    rootId: text(t, "root_id", row.root_id),
    queue: text(t, "queue", row.queue),
    owner: nullableText(t, "owner", row.owner),
    leaseUntil: nullableInteger(t, "lease_until", row.lease_until),
    generation: integer(t, "generation", row.generation),
    traceContext: nullableText(t, "trace_context", row.trace_context),
    templateFingerprint: nullableText(t, "template_fingerprint", row.template_fingerprint ?? null),
    priority: integer(t, "priority", row.priority ?? 0),
    recoveryAttempts: integer(t, "recovery_attempts", row.recovery_attempts ?? 0),
    pausedFrom: pausedFrom(row.paused_from),
    triggeredBy: triggeredBy(row.triggered_by),
    forkedFrom: nullableText(t, "forked_from", row.forked_from ?? null),
    forkedAfter: nullableText(t, "forked_after", row.forked_after ?? null),
    migratedFrom: nullableText(t, "migrated_from", row.migrated_from ?? null)
  }
}

const endStatuses: ReadonlyArray<unknown> = ["completed", "failed", "cancelled"]

/** Reads `weft_runs.triggered_by`. */
const triggeredBy = (value: unknown): TriggeredBy | null => {
  if (value === null || value === undefined) return null
  const parsed = json(tables.runs, "triggered_by", value)
  if (isObject(parsed)) {
    if (parsed._tag === "Schedule" && typeof parsed.schedule === "string" && typeof parsed.tick === "number") {
      return { _tag: "Schedule", schedule: parsed.schedule, tick: parsed.tick }
    }
    if (parsed._tag === "Webhook" && typeof parsed.hook === "string" && typeof parsed.delivery === "string") {
      return { _tag: "Webhook", hook: parsed.hook, delivery: parsed.delivery }
    }
    if (
      parsed._tag === "Run" && typeof parsed.trigger === "string" && typeof parsed.runId === "string" &&
      endStatuses.includes(parsed.status)
    ) {
      return {
        _tag: "Run",
        trigger: parsed.trigger,
        runId: parsed.runId,
        status: parsed.status as "completed" | "failed" | "cancelled"
      }
    }
  }
  throw new RowDecodeError(tables.runs, "triggered_by", "expected a Schedule, Webhook or Run origin")
}

/** A `triggered_by` value as its column's JSON text (`null` for none). */
export const triggeredByJson = (origin: TriggeredBy | null | undefined): string | null =>
  origin === null || origin === undefined ? null : toJson(origin)

/** Reads a `weft_schedules` row (selected as `scheduleColumns`). */
export const toScheduleRecord = (row: Row): ScheduleRecord => {
  const t = tables.schedules
  const overlap = text(t, "overlap", row.overlap)
  const catchUp = text(t, "catch_up", row.catch_up)
  if (overlap !== "skip" && overlap !== "allow" && overlap !== "bufferOne") {
    throw new RowDecodeError(t, "overlap", `unknown policy ${JSON.stringify(overlap)}`)
  }
  if (catchUp !== "none" && catchUp !== "last" && catchUp !== "all") {
    throw new RowDecodeError(t, "catch_up", `unknown policy ${JSON.stringify(catchUp)}`)
  }
  return {
    name: text(t, "name", row.name),
    templateName: text(t, "template_name", row.template_name),
    templateVersion: text(t, "template_version", row.template_version),
    cron: text(t, "cron", row.cron),
    timeZone: nullableText(t, "time_zone", row.time_zone),
    input: row.input === null || row.input === undefined ? null : json(t, "input", row.input),
    overlap,
    catchUp,
    catchUpMax: integer(t, "catch_up_max", row.catch_up_max),
    queue: text(t, "queue", row.queue),
    paused: integer(t, "paused", row.paused) !== 0,
    createdAt: integer(t, "created_at", row.created_at),
    updatedAt: integer(t, "updated_at", row.updated_at),
    lastTick: nullableInteger(t, "last_tick", row.last_tick),
    lastRunId: nullableText(t, "last_run_id", row.last_run_id),
    bufferedTick: nullableInteger(t, "buffered_tick", row.buffered_tick)
  }
}

const pausedStatuses: ReadonlyArray<string> = ["queued", "running", "suspended"]

const pausedFrom = (value: unknown): "queued" | "running" | "suspended" | null => {
  const from = nullableText(tables.runs, "paused_from", value ?? null)
  if (from !== null && !pausedStatuses.includes(from)) {
    throw new RowDecodeError(tables.runs, "paused_from", `unknown status ${JSON.stringify(from)}`)
  }
  return from as "queued" | "running" | "suspended" | null
}

/** Reads a `weft_steps` row (selected as {@link stepColumns}). */
export const toStepRecord = (row: Row): StepRecord => {
  const t = tables.steps
  const status = text(t, "status", row.status)
  if (!stepStatuses.includes(status)) throw new RowDecodeError(t, "status", `unknown status ${JSON.stringify(status)}`)
  const delta = json(t, "delta", row.delta)
  if (!isObject(delta) || !Array.isArray(delta.unset) || !delta.unset.every((k) => typeof k === "string")) {
    throw new RowDecodeError(t, "delta", "expected { set, unset }")
  }
  return {
    runId: text(t, "run_id", row.run_id),
    seq: integer(t, "seq", row.seq),
    stepKey: text(t, "step_key", row.step_key),
    stepName: text(t, "step_name", row.step_name),
    status: status as StepStatus,
    attempts: integer(t, "attempts", row.attempts),
    startedAt: integer(t, "started_at", row.started_at),
    endedAt: integer(t, "ended_at", row.ended_at),
    delta: { set: entries(t, "delta", delta.set), unset: delta.unset as ReadonlyArray<string> } satisfies StateDelta,
    error: errorSummary(t, row.error),
    idempotencyKey: text(t, "idempotency_key", row.idempotency_key)
  }
}

/** Reads a `weft_snapshots.state` value. */
export const toStoredState = (value: unknown): StoredState => {
  const t = tables.snapshots
  const state = json(t, "state", value)
  if (!isObject(state) || typeof state.createdAt !== "number" || typeof state.updatedAt !== "number") {
    throw new RowDecodeError(t, "state", "expected { entries, createdAt, updatedAt }")
  }
  return { entries: entries(t, "state", state.entries), createdAt: state.createdAt, updatedAt: state.updatedAt }
}

/** Reads a `weft_signals` row (selected as {@link signalColumns}). */
export const toSignalRecord = (row: Row): SignalRecord => {
  const t = tables.signals
  return {
    runId: text(t, "run_id", row.run_id),
    name: text(t, "name", row.name),
    payload: json(t, "payload", row.payload),
    receivedAt: integer(t, "received_at", row.received_at),
    consumedBy: nullableText(t, "consumed_by", row.consumed_by)
  }
}

/**
 * A value as JSON text for a JSON column. Values reaching a store were
 * checked by the engine (plain JSON); a value `JSON.stringify` cannot write
 * at all (a cycle, a BigInt) throws here.
 */
export const toJson = (value: unknown): string => {
  const text = JSON.stringify(value)
  if (typeof text !== "string") throw new TypeError("the value is not JSON-serialisable")
  return text
}

/** An error summary as its column's JSON text (`null` for none). */
export const errorJson = (error: ErrorSummary | null): string | null => error === null ? null : toJson(error)
