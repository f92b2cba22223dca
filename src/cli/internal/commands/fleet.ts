/**
 * The commands that look at the fleet: `history` (a run's full history),
 * `workers`, `queues` and `stats` (metrics over a window).
 *
 * @internal
 */
import { Options } from "@effect/cli"
import { Clock, Effect } from "effect"
import { Engine, History } from "../../../index.js"
import type { Metrics, Worker } from "../../../index.js"
import { command } from "../context.js"
import { parseTime } from "../decode.js"
import { decoded } from "../errors.js"
import { runIdArg } from "../options.js"

export const historyCommand = command("history", { runId: runIdArg }, {
  engine: "read",
  description:
    "Show everything that happened to a run, in order: created, claims (by which engine, generation), steps with " +
    "attempts and outcome, signals with payloads, waits, wake-ups, hand-backs, recoveries, cancellation, its end."
}, (args) =>
  Effect.gen(function*() {
    const history = yield* (yield* Engine.Engine).history(args.runId)
    return {
      _tag: "Lines",
      json: history,
      lines: [`run ${history.runId} (${history.status})`, ...history.entries.map(History.format)]
    } as const
  }))

/** Columns padded to their widest cell. */
const table = (rows: ReadonlyArray<ReadonlyArray<string>>): ReadonlyArray<string> => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd())
}

const ago = (ms: number | null): string =>
  ms === null ? "-" : ms < 1000 ? `${ms}ms` : ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`

const workersLines = (workers: ReadonlyArray<Worker.Status>, now: number): ReadonlyArray<string> =>
  workers.length === 0 ? ["no workers"] : table([
    ["WORKER", "STATE", "HOST", "PID", "QUEUES", "RUNS", "STARTED", "LAST BEAT"],
    ...workers.map((w) => [
      w.workerId,
      w.state,
      w.host,
      String(w.pid),
      Object.entries(w.queues).map(([q, n]) => `${q}:${n}`).join(","),
      String(w.runsInHand),
      new Date(w.startedAt).toISOString(),
      `${ago(now - w.heartbeatAt)} ago`
    ])
  ])

export const workersCommand = command("workers", {}, {
  engine: "read",
  description: "List the workers recorded in the store: host, pid, queues, last beat, runs in hand; dead ones until their runs are taken over."
}, () =>
  Effect.gen(function*() {
    const workers = yield* (yield* Engine.Engine).workers
    return { _tag: "Lines", json: workers, lines: workersLines(workers, yield* Clock.currentTimeMillis) } as const
  }))

const queuesLines = (queues: ReadonlyArray<Worker.Queue>): ReadonlyArray<string> =>
  queues.length === 0 ? ["no queues with active runs or workers"] : table([
    ["QUEUE", "QUEUED", "RUNNING", "SUSPENDED", "OLDEST QUEUED", "WORKERS"],
    ...queues.map((q) => [q.queue, String(q.queued), String(q.running), String(q.suspended), ago(q.oldestQueuedAgeMs), String(q.workers.length)])
  ])

export const queuesCommand = command("queues", {}, {
  engine: "read",
  description: "List the queues: runs queued, running and suspended, the oldest queued run's age, the live workers serving each."
}, () =>
  Effect.gen(function*() {
    const queues = yield* (yield* Engine.Engine).queues
    return { _tag: "Lines", json: queues, lines: queuesLines(queues) } as const
  }))

const ms = (n: number | null) => (n === null ? "-" : `${n}`)
const percent = (r: number) => `${(r * 100).toFixed(1)}%`

/** Metrics as text: totals, per template, per step, queues. */
export const metricsLines = (m: Metrics.Metrics): ReadonlyArray<string> => [
  `runs created ${new Date(m.since).toISOString()} .. ${new Date(m.until).toISOString()}: ${m.total}${
    m.sampled ? " (the newest only)" : ""
  }, failure rate ${percent(m.failureRate)}`,
  `  ${Object.entries(m.byStatus).map(([status, n]) => `${status} ${n}`).join(", ") || "none"}`,
  "",
  ...table([
    ["TEMPLATE", "RUNS", "FAILED", "FAILURE RATE", "P50 MS", "P95 MS", "P99 MS"],
    ...m.templates.map((t) => [
      t.template,
      String(t.total),
      String(t.byStatus.failed ?? 0),
      percent(t.failureRate),
      ms(t.durationMs.p50),
      ms(t.durationMs.p95),
      ms(t.durationMs.p99)
    ])
  ]),
  "",
  ...table([
    ["TEMPLATE", "STEP", "COUNT", "FAILED", "RETRIES", "TIMEOUTS", "P50 MS", "P95 MS", "P99 MS"],
    ...m.steps.map((s) => [
      s.template,
      s.step,
      String(s.count),
      String(s.failed),
      String(s.retries),
      String(s.timeouts),
      ms(s.durationMs.p50),
      ms(s.durationMs.p95),
      ms(s.durationMs.p99)
    ])
  ]),
  "",
  ...queuesLines(m.queues)
]

export const statsCommand = command("stats", {
  since: Options.text("since").pipe(
    Options.withDescription("The window's start: an ISO date, or a duration ago (15m, 1h, 2d); default 1h."),
    Options.withDefault("1h")
  ),
  until: Options.text("until").pipe(
    Options.withDescription("The window's end: an ISO date, or a duration ago; default now."),
    Options.optional
  )
}, {
  engine: "read",
  description:
    "Metrics of the runs created in a window: counts by status and template, failure rate, duration p50/p95/p99 per " +
    "template and per step, retries and timeouts per step, queue depths."
}, (args) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const since = yield* decoded(parseTime(args.since, "--since", now))
    const until = args.until._tag === "Some" ? yield* decoded(parseTime(args.until.value, "--until", now)) : undefined
    const metrics = yield* (yield* Engine.Engine).metrics({ since, until })
    return { _tag: "Lines", json: metrics, lines: metricsLines(metrics) } as const
  }))
