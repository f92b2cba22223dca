/**
 * What the web view reads from the API, as the browser sees it (JSON): the
 * shapes of `Api.ts`, written again here because the browser code is
 * checked apart from the server's (`lib: ["dom"]`, no Node, no Effect).
 *
 * @internal
 */

/** A run's status. */
export type Status = "queued" | "running" | "suspended" | "paused" | "completed" | "failed" | "cancelled"

/** An error as the API summarises it in runs and traces. */
export interface ErrorSummary {
  readonly tag: string
  readonly message: string
}

/** A run's record. */
export interface Run {
  readonly runId: string
  readonly templateName: string
  readonly templateVersion: string
  readonly status: Status
  readonly createdAt: number
  readonly updatedAt: number
  readonly expiresAt: number | null
  readonly error: ErrorSummary | null
  readonly parentId: string | null
  readonly queue: string
  readonly waitingFor: { readonly runId: string; readonly step: string; readonly signal: string | null } | null
  /** What a paused run returns to; on a running run, `running`: a pause asked of its engine. */
  readonly pausedFrom?: "queued" | "running" | "suspended" | null
  readonly priority?: number
  readonly triggeredBy?:
    | { readonly _tag: "Schedule"; readonly schedule: string; readonly tick: number }
    | { readonly _tag: "Webhook"; readonly hook: string; readonly delivery: string }
    | { readonly _tag: "Run"; readonly trigger: string; readonly runId: string; readonly status: string }
  /** A fork: the run it was forked from, and the step after which it starts. */
  readonly forkedFrom?: string
  readonly forkedAfter?: string
  /** The version (`name@version`) it was migrated (or forked) from. */
  readonly migratedFrom?: string
}

/** A run as it stands. */
export interface RunDetail {
  readonly run: Run
  readonly state: unknown
  readonly waitingFor: {
    readonly runId: string
    readonly step: string
    readonly signal: string | null
    readonly deadline: number | null
  } | null
}

/** One step of a trace (or one the page draws: in flight, or a wait). */
export interface TraceEntry {
  readonly step: string
  readonly name: string
  readonly status: string
  readonly attempts: number
  readonly startedAt: number
  readonly endedAt: number
  readonly durationMs: number
  readonly error: ErrorSummary | null
  readonly delta: { readonly set: unknown; readonly unset: ReadonlyArray<string> } | null
}

/** A page of runs. */
export interface RunPage {
  readonly runs: ReadonlyArray<Run>
  readonly nextCursor: string | null
}

/** A JSON Schema, as far as the forms read it. */
export interface JsonSchema {
  readonly $ref?: string
  readonly $defs?: Readonly<Record<string, JsonSchema>>
  readonly type?: string
  readonly enum?: ReadonlyArray<unknown>
  readonly const?: unknown
  readonly anyOf?: ReadonlyArray<JsonSchema>
  readonly oneOf?: ReadonlyArray<JsonSchema>
  readonly allOf?: ReadonlyArray<JsonSchema>
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: ReadonlyArray<string>
  readonly description?: string
  readonly [key: string]: unknown
}

/** A wait of a template: its signal and the Schema of its payload. */
export interface Wait {
  readonly signal: string
  readonly name: string
  readonly key?: string
  readonly schema: JsonSchema
  readonly timeoutMs?: number | null
}

/** A template as the list gives it. */
export interface TemplateSummary {
  readonly name: string
  readonly version: string
  readonly requires: ReadonlyArray<string>
  readonly provides: ReadonlyArray<string>
  readonly signals: ReadonlyArray<string>
}

/** A template with its Schemas. */
export interface TemplateDetail extends TemplateSummary {
  readonly input: JsonSchema
  readonly output: JsonSchema
  readonly waits: ReadonlyArray<Wait>
  /** Its whole state: a property per key (the fork form's fields). */
  readonly state?: JsonSchema
  /** The versions (`name@version`) the server can migrate or fork its runs onto. */
  readonly migrations?: ReadonlyArray<string>
}

/** What `POST /api/migrations` answers: how each run fared. */
export interface MigrationReport {
  readonly dryRun: boolean
  readonly runs: ReadonlyArray<{
    readonly runId: string
    readonly result: string
    readonly from: string | null
    readonly to: string | null
    readonly detail: string
  }>
}

/** An event of a run's stream, as far as the pages read it. */
export interface EventData {
  readonly runId?: string
  readonly step?: string
  readonly at?: number
  readonly attempt?: number
  readonly error?: ErrorSummary
}

/** A stored schedule, as the API sends it. */
export interface Schedule {
  readonly name: string
  readonly templateName: string
  readonly templateVersion: string
  readonly cron: string
  readonly timeZone: string | null
  readonly paused: boolean
  readonly lastTick: number | null
  readonly lastRunId: string | null
  readonly nextTicks: ReadonlyArray<number>
}

/** A declared trigger, as the API sends it. */
export interface TriggerInfo {
  readonly name: string
  readonly kind: "cron" | "webhook" | "on-end"
  readonly template: string
  readonly from?: string
  readonly on?: ReadonlyArray<string>
  readonly cron?: string
  readonly timeZone?: string
  readonly signed?: boolean
}
