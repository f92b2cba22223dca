/**
 * The JSON shapes of runs in the HTTP API: a run's record and status, pages
 * of runs and their query, a run's detail, trace and result, and what
 * starting a run takes and gives. Re-exported by `Api.ts`.
 *
 * @internal
 */
import { Either, ParseResult, Schema } from "effect"
import { formatWhere, parseWheres } from "../../../internal/fleet/where.js"
import { RunStatus as RunStatusSchema } from "../../../RunStatus.js"
import { TriggeredBy } from "./triggers.js"

/**
 * A run's status (the core's `RunStatus` Schema).
 *
 * @since 0.2.0
 * @category models
 */
export const RunStatus = RunStatusSchema

/**
 * @since 0.2.0
 * @category models
 */
export type RunStatus = typeof RunStatus.Type

/**
 * A JSON-safe summary of an error.
 *
 * @since 0.2.0
 * @category models
 */
export const ErrorSummary = Schema.Struct({ tag: Schema.String, message: Schema.String })

/**
 * What a suspended run waits for.
 *
 * @since 0.2.0
 * @category models
 */
export const WaitingFor = Schema.Struct({
  /** The run that waits: the run itself or a child run of one of its sub-flows (signal that one). */
  runId: Schema.String,
  step: Schema.String,
  /** `null` for a durable sleep of a child run. */
  signal: Schema.NullOr(Schema.String),
  /** When the wait times out (epoch ms), `null` for never or unknown. */
  deadline: Schema.NullOr(Schema.Number)
})

/**
 * A run's record.
 *
 * @since 0.2.0
 * @category models
 */
export const Run = Schema.Struct({
  runId: Schema.String,
  templateName: Schema.String,
  templateVersion: Schema.String,
  status: RunStatus,
  /** How many checkpoints the run has recorded. */
  seq: Schema.Number,
  createdAt: Schema.Number,
  updatedAt: Schema.Number,
  /** When a finished run may be collected, `null` for never. */
  expiresAt: Schema.NullOr(Schema.Number),
  /** Why the run failed, `null` unless it did. */
  error: Schema.NullOr(ErrorSummary),
  /** The run whose sub-flow this run is, `null` for a top-level run. */
  parentId: Schema.NullOr(Schema.String),
  rootId: Schema.String,
  queue: Schema.String,
  waitingFor: Schema.NullOr(WaitingFor),
  /** Its priority within its queue (higher is claimed first). */
  priority: Schema.optional(Schema.Number),
  /** What a paused run returns to when unpaused; on a running run, `running`: a pause asked of its engine. */
  pausedFrom: Schema.optional(Schema.NullOr(Schema.Literal("queued", "running", "suspended"))),
  /** What started the run by itself (a schedule, a webhook, another run's end); absent for a run somebody started. */
  triggeredBy: Schema.optional(TriggeredBy),
  /** A fork: the run it was forked from (list its forks with `GET /api/runs?forkedFrom=`); absent otherwise. */
  forkedFrom: Schema.optional(Schema.String),
  /** A fork: the step of the original after which it starts. */
  forkedAfter: Schema.optional(Schema.String),
  /** The version (`name@version`) it was migrated from, or forked from onto another version; absent otherwise. */
  migratedFrom: Schema.optional(Schema.String)
}).annotations({ identifier: "Run" })

/**
 * @since 0.2.0
 * @category models
 */
export type Run = typeof Run.Type

/**
 * One page of runs, newest first; `nextCursor` fetches the next one.
 *
 * @since 0.2.0
 * @category models
 */
export const RunPage = Schema.Struct({
  runs: Schema.Array(Run),
  nextCursor: Schema.NullOr(Schema.String)
})

/**
 * What one step changed in the state: encoded values written, keys removed.
 *
 * @since 0.2.0
 * @category models
 */
export const Delta = Schema.Struct({
  set: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  unset: Schema.Array(Schema.String)
})

/**
 * One step of a run's trace.
 *
 * @since 0.2.0
 * @category models
 */
export const TraceEntry = Schema.Struct({
  /** The step's path in the run, e.g. `process_control/validate_inputs`. */
  step: Schema.String,
  name: Schema.String,
  status: Schema.Literal("completed", "skipped", "fallback", "failed"),
  attempts: Schema.Number,
  startedAt: Schema.Number,
  endedAt: Schema.Number,
  durationMs: Schema.Number,
  error: Schema.NullOr(ErrorSummary),
  /** What the step wrote (encoded with the template's Schemas as JSON); `null` when the engine does not tell. */
  delta: Schema.NullOr(Delta)
}).annotations({ identifier: "TraceEntry" })

/**
 * @since 0.2.0
 * @category models
 */
export type TraceEntry = typeof TraceEntry.Type

/**
 * A run as it stands: its record, its state now (values as JSON, encoded
 * with the template's Schemas), how far it got and what it waits for.
 *
 * @since 0.2.0
 * @category models
 */
export const RunDetail = Schema.Struct({
  run: Run,
  state: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  position: Schema.Struct({
    lastStep: Schema.NullOr(Schema.String),
    completedSteps: Schema.Number
  }),
  waitingFor: Schema.NullOr(WaitingFor)
})

/**
 * @since 0.2.0
 * @category models
 */
export type RunDetail = typeof RunDetail.Type

/**
 * A completed run's final state (encoded values).
 *
 * @since 0.2.0
 * @category models
 */
export const RunResult = Schema.Struct({
  runId: Schema.String,
  state: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
  createdAt: Schema.Number,
  updatedAt: Schema.Number
})

/**
 * What `POST /api/runs` takes: the template (by name, and version when the
 * server has several) and its input as JSON, decoded with the template's
 * Schemas.
 *
 * @since 0.2.0
 * @category models
 */
export const StartRun = Schema.Struct({
  template: Schema.String,
  version: Schema.optional(Schema.String),
  input: Schema.Unknown,
  /** The run's id (default: a random UUID). */
  runId: Schema.optional(Schema.String.pipe(Schema.minLength(1), Schema.maxLength(200))),
  /** The run's priority within its queue (default 0): higher is claimed first. */
  priority: Schema.optional(Schema.Int.pipe(Schema.between(-(2 ** 31 - 1), 2 ** 31 - 1)))
})

/**
 * @since 0.2.0
 * @category models
 */
export const RunStarted = Schema.Struct({ runId: Schema.String })

/**
 * An epoch-milliseconds time given as digits or as an ISO 8601 date.
 *
 * @since 0.2.0
 * @category models
 */
export const TimeParam = Schema.transformOrFail(Schema.String, Schema.Number, {
  strict: true,
  decode: (s, _, ast) => {
    const millis = /^\d{1,15}$/.test(s) ? Number(s) : /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : Number.NaN
    return Number.isFinite(millis)
      ? ParseResult.succeed(millis)
      : ParseResult.fail(new ParseResult.Type(ast, s, "expected a time: epoch milliseconds or an ISO 8601 date"))
  },
  encode: (n) => ParseResult.succeed(String(n))
}).annotations({ description: "epoch milliseconds, or an ISO 8601 date" })

/**
 * A search condition `key<op>value` (`orderId=4711`, `amount>100`; op one of
 * `=`, `!=`, `<`, `<=`, `>`, `>=`), decoded to a condition on a search attribute.
 *
 * @since 0.4.0
 * @category models
 */
export const WhereParam = Schema.transformOrFail(
  Schema.Union(Schema.String, Schema.Array(Schema.String)),
  Schema.Array(Schema.Struct({
    key: Schema.String,
    op: Schema.Literal("=", "!=", "<", "<=", ">", ">="),
    value: Schema.Union(Schema.String, Schema.Number)
  })),
  {
    strict: true,
    decode: (input, _, ast) =>
      Either.match(parseWheres(typeof input === "string" ? [input] : input), {
        onLeft: (message) => ParseResult.fail(new ParseResult.Type(ast, input, message)),
        onRight: (conditions) => ParseResult.succeed(conditions)
      }),
    encode: (conditions) => ParseResult.succeed(conditions.map(formatWhere))
  }
).annotations({ description: "key<op>value, e.g. orderId=4711 or amount>100 (repeat it: all must hold)" })

/**
 * The query of `GET /api/runs`.
 *
 * @since 0.2.0
 * @category models
 */
export const RunQuery = Schema.Struct({
  status: Schema.optional(RunStatus),
  template: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  /** Runs created at or after this time. */
  since: Schema.optional(TimeParam),
  /** Runs created before this time. */
  until: Schema.optional(TimeParam),
  /** Page size: 1 to 500 (default 50). */
  limit: Schema.optional(Schema.NumberFromString.pipe(Schema.int(), Schema.between(1, 500))),
  /** The `nextCursor` of the previous page. */
  cursor: Schema.optional(Schema.String.pipe(Schema.pattern(/^[A-Za-z0-9_-]{1,400}$/))),
  /** Conditions on search attributes (`where=orderId%3D4711`), all of which must hold. */
  where: Schema.optional(WhereParam),
  /** Runs whose id starts with this. */
  prefix: Schema.optional(Schema.String.pipe(Schema.minLength(1))),
  /** The forks of this run (runs forked from it; not the forks of its forks). */
  forkedFrom: Schema.optional(Schema.String.pipe(Schema.minLength(1)))
})

/**
 * @since 0.2.0
 * @category models
 */
export type RunQuery = typeof RunQuery.Type

/**
 * The query of `GET /api/runs/:runId/state`: the step after which to read
 * the run's state.
 *
 * @since 0.4.0
 * @category models
 */
export const StateQuery = Schema.Struct({ at: Schema.String.pipe(Schema.minLength(1)) })

/**
 * A run's state right after one of its steps (each key as its Schema encodes it).
 *
 * @since 0.4.0
 * @category models
 */
export const StateAt = Schema.Struct({
  runId: Schema.String,
  step: Schema.String,
  state: Schema.Record({ key: Schema.String, value: Schema.Unknown })
})

/**
 * The body of `POST /api/runs/:runId/fork`: the step after which the fork
 * starts, keys to set (JSON, decoded with their Schemas), the fork's id, and
 * the version to fork onto.
 *
 * @since 0.4.0
 * @category models
 */
export const ForkRun = Schema.Struct({
  after: Schema.String.pipe(Schema.minLength(1)),
  patch: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  runId: Schema.optional(Schema.String),
  /**
   * Fork onto this template version (`name@version`), through the migration
   * the server declares to it from the run's version (see
   * `TemplateDetail.migrations`); default: the run's own version.
   */
  to: Schema.optional(Schema.String.pipe(Schema.minLength(1)))
})

/**
 * The body of `POST /api/migrations`: the versions (`name@version`), and
 * which runs (a status; default every run that has not ended).
 *
 * @since 0.4.0
 * @category models
 */
export const MigrateRuns = Schema.Struct({
  from: Schema.String,
  to: Schema.String,
  status: Schema.optional(Schema.Literal("queued", "running", "suspended")),
  dryRun: Schema.optional(Schema.Boolean)
})

/**
 * How each run fared in a migration (see `Engine.MigrationOutcome`).
 *
 * @since 0.4.0
 * @category models
 */
export const Migrated = Schema.Struct({
  dryRun: Schema.Boolean,
  runs: Schema.Array(Schema.Struct({
    runId: Schema.String,
    result: Schema.Literal("migrated", "unmapped", "held", "subflow", "mismatch", "finished"),
    from: Schema.NullOr(Schema.String),
    to: Schema.NullOr(Schema.String),
    detail: Schema.String
  }))
})
