/**
 * What the commands return ({@link View}) and the one renderer that prints
 * it by format: a table or text for people, or JSON (the stable contract,
 * documented in the README).
 *
 * @internal
 */
import { Console, Effect } from "effect"
import { RunStatus } from "../../index.js"
import type { Engine, Trigger } from "../../index.js"
import type * as Graph from "../../Graph.js"
import type { ScheduleJson } from "./commands/triggers.js"
import type { RunJson, StepJson, TemplateJson } from "./output.js"
import { runFields, runsTable, stateTable, table, templatesTable, toJson, traceTable } from "./output.js"

/** `table` (for people) or `json` (the stable contract). */
export type Format = "table" | "json"

/** What a run waits for, when a followed run stopped there. */
export interface WaitingJson {
  readonly runId: string
  readonly step: string
  readonly signal: string | null
}

/**
 * What a command returns: the renderer prints it as a table (or text) or as
 * JSON. `Printed`: the command printed as it went (watch, serve, worker).
 */
export type View =
  | { readonly _tag: "Templates"; readonly templates: ReadonlyArray<TemplateJson> }
  | { readonly _tag: "Graph"; readonly graph: Graph.Graph; readonly mermaid: string }
  | {
    readonly _tag: "Validated"
    readonly files: ReadonlyArray<{
      readonly file: string
      readonly valid: boolean
      readonly template: { readonly name: string; readonly version: string } | null
      readonly errors: ReadonlyArray<string>
      /** The errors, as JSON (`--format json`). */
      readonly json: ReadonlyArray<unknown>
    }>
  }
  | { readonly _tag: "Schema"; readonly schema: unknown; readonly wrote: string | null }
  | { readonly _tag: "Runs"; readonly runs: ReadonlyArray<RunJson>; readonly nextCursor: string | null }
  | {
    readonly _tag: "Status"
    readonly run: RunJson
    readonly position: { readonly lastStep: string | null; readonly completedSteps: number }
  }
  | { readonly _tag: "Trace"; readonly runId: string; readonly status: RunStatus.RunStatus; readonly steps: ReadonlyArray<StepJson> }
  | { readonly _tag: "Result"; readonly run: RunJson; readonly state: Readonly<Record<string, unknown>> }
  | { readonly _tag: "Started"; readonly run: RunJson }
  | { readonly _tag: "Cancelled"; readonly run: RunJson; readonly already: boolean }
  | { readonly _tag: "Paused"; readonly run: RunJson; readonly pausing: boolean }
  | { readonly _tag: "Unpaused"; readonly run: RunJson }
  | { readonly _tag: "SignalRecorded"; readonly run: RunJson; readonly signal: string; readonly runId: string }
  | {
    readonly _tag: "Followed"
    readonly run: RunJson
    readonly trace: ReadonlyArray<StepJson>
    readonly state: Readonly<Record<string, unknown>> | null
    readonly waitingFor: WaitingJson | null
  }
  | { readonly _tag: "Collected"; readonly collected: number }
  | { readonly _tag: "State"; readonly runId: string; readonly step: string; readonly state: Readonly<Record<string, unknown>> }
  | { readonly _tag: "Migrated"; readonly dryRun: boolean; readonly outcomes: ReadonlyArray<Engine.MigrationOutcome> }
  | { readonly _tag: "Rerun"; readonly dryRun: boolean; readonly runIds: ReadonlyArray<string> }
  /** A view built by its command: its JSON and its lines of text (history, workers, stats, ...). */
  | { readonly _tag: "Lines"; readonly json: unknown; readonly lines: ReadonlyArray<string> }
  | { readonly _tag: "Printed" }
  | { readonly _tag: "Schedules"; readonly schedules: ReadonlyArray<ScheduleJson> }
  | { readonly _tag: "Schedule"; readonly action: "created"; readonly schedule: ScheduleJson }
  | { readonly _tag: "ScheduleChanged"; readonly name: string; readonly action: "pause" | "resume" | "delete" }
  | { readonly _tag: "Triggers"; readonly triggers: ReadonlyArray<Trigger.Info> }

/** Prints a line on stdout. */
export const out = (text: string): Effect.Effect<void> => Console.log(text)

/** Prints a line on stderr. */
export const err = (text: string): Effect.Effect<void> => Console.error(text)

/** Where progress goes: stdout for tables, stderr when stdout holds JSON. */
export const progress = (format: Format) => (text: string): Effect.Effect<void> =>
  format === "json" ? err(text) : out(text)

/** A view as JSON: the stable contract. */
export const viewJson = (view: View): unknown => {
  switch (view._tag) {
    case "Templates":
      return view.templates
    case "Graph":
      return { graph: view.graph, mermaid: view.mermaid }
    case "Validated":
      return {
        valid: view.files.every((f) => f.valid),
        files: view.files.map(({ errors: _, json, ...file }) => ({ ...file, errors: json }))
      }
    case "Schema":
      return view.schema
    case "Runs":
      return { runs: view.runs, nextCursor: view.nextCursor }
    case "Status":
      return { ...view.run, position: view.position }
    case "Trace":
      return { runId: view.runId, status: view.status, steps: view.steps }
    case "Result":
      return { ...view.run, state: view.state }
    case "Started":
    case "Cancelled":
    case "SignalRecorded":
    case "Paused":
    case "Unpaused":
      return view.run
    case "Followed":
      return { run: view.run, trace: view.trace, state: view.state, waitingFor: view.waitingFor }
    case "Collected":
      return { collected: view.collected }
    case "State":
      return { runId: view.runId, step: view.step, state: view.state }
    case "Migrated": {
      const count = (result: string) => view.outcomes.filter((o) => o.result === result).length
      return { dryRun: view.dryRun, migrated: count("migrated"), unmapped: count("unmapped"), held: count("held"), runs: view.outcomes }
    }
    case "Rerun":
      return { dryRun: view.dryRun, count: view.runIds.length, runIds: view.runIds }
    case "Lines":
      return view.json
    case "Printed":
      return undefined
    case "Schedules":
      return view.schedules
    case "Schedule":
      return view.schedule
    case "ScheduleChanged":
      return { name: view.name, action: view.action }
    case "Triggers":
      return view.triggers
  }
}

/** A view for people: the lines for stdout (and, for some, stderr). */
export const viewText = (view: View): { readonly stdout: ReadonlyArray<string>; readonly stderr: ReadonlyArray<string> } => {
  const lines = (...stdout: ReadonlyArray<string>) => ({ stdout, stderr: [] })
  switch (view._tag) {
    case "Templates":
      return lines(templatesTable(view.templates))
    case "Graph":
      return lines(view.mermaid)
    case "Validated":
      return {
        stdout: view.files.filter((f) => f.valid).map((f) => `ok  ${f.file}  (${f.template?.name}@${f.template?.version})`),
        stderr: view.files.flatMap((f) => f.errors)
      }
    case "Schema":
      return lines(toJson(view.schema))
    case "Runs":
      return lines(
        runsTable(view.runs),
        ...(view.nextCursor === null ? [] : [`\nmore: weft list --cursor ${view.nextCursor} (with the same filters)`])
      )
    case "Status":
      return lines(runFields(view.run, view.position.lastStep === null ? [] : [["last step", view.position.lastStep]]))
    case "Trace":
      return lines(traceTable(view.steps))
    case "Result":
      return lines(stateTable(view.state))
    case "Started":
      return lines(view.run.runId)
    case "Cancelled":
      return lines(
        !view.already
          ? `run ${view.run.runId} cancelled`
          : view.run.status === "cancelled"
          ? `run ${view.run.runId} was already cancelled`
          : `run ${view.run.runId} has already ended (${view.run.status}): there is nothing to cancel`
      )
    case "SignalRecorded":
      return lines(`signal "${view.signal}" recorded for run ${view.runId}`)
    case "Paused":
      return lines(
        view.pausing
          ? `run ${view.run.runId} is pausing: it stops at its next checkpoint (its step in flight finishes first)`
          : `run ${view.run.runId} paused`
      )
    case "Unpaused":
      return lines(`run ${view.run.runId} unpaused (${view.run.status})`)
    case "Followed":
      return lines("", traceTable(view.trace), "", ...followedText(view))
    case "Collected":
      return lines(`collected ${view.collected} expired run(s)`)
    case "State":
      return lines(stateTable(view.state))
    case "Migrated": {
      const migrated = view.outcomes.filter((o) => o.result === "migrated").length
      return lines(
        table(["RUN", "RESULT", "FROM", "TO", "DETAIL"], view.outcomes.map((o) => [o.runId, o.result, o.from ?? "", o.to ?? "", o.detail])),
        "",
        `${view.dryRun ? "would migrate" : "migrated"} ${migrated} of ${view.outcomes.length} run(s)` +
          (view.outcomes.length > migrated ? `; ${view.outcomes.length - migrated} stay on the old version` : "")
      )
    }
    case "Rerun":
      return lines(
        ...view.runIds,
        `${view.dryRun ? "would re-run" : "re-running"} ${view.runIds.length} run(s)` +
          (view.dryRun || view.runIds.length === 0 ? "" : " (each goes on from its last checkpoint)")
      )
    case "Lines":
      return lines(...view.lines)
    case "Printed":
      return lines()
    case "Schedules":
      return lines(schedulesTable(view.schedules))
    case "Schedule":
      return lines(`schedule ${view.schedule.name} created; next ticks: ${view.schedule.nextTicks.join(", ")}`)
    case "ScheduleChanged":
      return lines(`schedule ${view.name}: ${view.action === "delete" ? "deleted" : view.action === "pause" ? "paused" : "resumed"}`)
    case "Triggers":
      return lines(triggersTable(view.triggers))
  }
}

const schedulesTable = (schedules: ReadonlyArray<ScheduleJson>): string =>
  table(
    ["name", "template", "cron", "zone", "paused", "next tick", "last run"],
    schedules.map((s) => [s.name, s.template, s.cron, s.timeZone ?? "UTC", s.paused ? "yes" : "no", s.nextTicks[0] ?? "-", s.lastRunId ?? "-"])
  )

const triggersTable = (triggers: ReadonlyArray<Trigger.Info>): string =>
  table(
    ["name", "kind", "starts", "when"],
    triggers.map((t) => [
      t.name,
      t.kind,
      t.template,
      t.kind === "cron"
        ? `${t.cron}${t.timeZone === undefined ? "" : ` (${t.timeZone})`}`
        : t.kind === "webhook"
        ? `POST /hooks/${t.name}${t.signed === true ? " (signed)" : ""}`
        : `${t.from} ${(t.on ?? []).join("/")}`
    ])
  )

const followedText = (view: Extract<View, { readonly _tag: "Followed" }>): ReadonlyArray<string> => {
  const { run, waitingFor } = view
  const runId = run.runId
  const text: Array<string> = []
  if (run.status === "completed") text.push(`run ${runId} completed`)
  if (waitingFor !== null) {
    text.push(
      waitingFor.signal === null
        ? `run ${runId} is suspended at ${waitingFor.step}`
        : `run ${runId} is suspended at ${waitingFor.step}, waiting for signal "${waitingFor.signal}"; send it with:\n` +
          `  weft signal ${waitingFor.runId} ${waitingFor.signal} '<json payload>'`
    )
  } else if (run.status === "paused") {
    text.push(`run ${runId} is paused; let it go on with: weft unpause ${runId}`)
  } else if (!RunStatus.isFinal(run.status)) {
    text.push(`run ${runId} is ${run.status}; follow it with: weft watch ${runId}`)
  }
  return text
}

/**
 * Why a view ends the command with an exit code other than 0 once printed:
 * a followed run that failed or was cancelled (1), a flow with errors (2).
 */
export const viewFailure = (view: View): { readonly text: string | null; readonly exitCode: 1 | 2 } | undefined => {
  if (view._tag === "Validated") return view.files.every((f) => f.valid) ? undefined : { text: null, exitCode: 2 }
  if (view._tag !== "Followed") return undefined
  const { error, runId, status } = view.run
  if (status === "failed") return { text: `run ${runId} failed${error === null ? "" : `: ${error.tag}: ${error.message}`}`, exitCode: 1 }
  if (status === "cancelled") return { text: `run ${runId} was cancelled`, exitCode: 1 }
  return undefined
}

/** Prints a view by format: the one renderer of the command line. */
export const print = (view: View, format: Format): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (view._tag === "Printed") return
    if (view._tag === "Schema") {
      // the schema is JSON either way; written to a file, only a note on stderr
      return yield* view.wrote === null ? out(toJson(view.schema)) : err(`wrote ${view.wrote}`)
    }
    if (format === "json") return yield* out(toJson(viewJson(view)))
    const text = viewText(view)
    for (const line of text.stdout) yield* out(line)
    for (const line of text.stderr) yield* err(line)
  })
