/**
 * The commands of runs that outlive their code: `state` (a run's state after
 * a step), `rerun` (one failed or cancelled run, followed here, or many by
 * filter), `fork` (a new run from a step, with a patch) and `migrate`
 * (a project's migration applied to stored runs).
 *
 * @internal
 */
import { Args, Options } from "@effect/cli"
import { Clock, Effect, Either, Option, Schema } from "effect"
import { Engine, Template } from "../../../index.js"
import type { RunStatus } from "../../../index.js"
import { CliContext, command, CurrentProject, runnable, templateOfRun } from "../context.js"
import { decoded, usage } from "../errors.js"
import { parseDuration, parseJsonObject } from "../decode.js"
import { follow, followed } from "../follow.js"
import { or, runIdArg } from "../options.js"
import { progress } from "../render.js"

export const stateCommand = command("state", {
  runId: runIdArg,
  at: Options.text("at").pipe(Options.withDescription("The step (its key, as weft trace shows it) after which to read the state."))
}, {
  engine: "read",
  description: "Show a run's state as it was right after one of its steps (rebuilt from the stored deltas; nothing runs)."
}, (args) =>
  Effect.gen(function*() {
    const state = yield* (yield* Engine.Engine).stateAt(args.runId, args.at)
    return { _tag: "State", runId: args.runId, step: args.at, state } as const
  }))

/** A project migration from `from` to `to` (each `name@version`). */
const findMigration = (from: string, to: string) =>
  Effect.gen(function*() {
    const project = yield* CurrentProject
    const found = project.migrations.find((m) => Template.label(m.from) === from && Template.label(m.to) === to)
    if (found === undefined) {
      const known = project.migrations.map((m) => `${Template.label(m.from)} → ${Template.label(m.to)}`)
      return yield* usage(
        `the project declares no migration from ${from} to ${to}` +
          (known.length === 0 ? " (it declares none: add migrations: [Template.migration(...)] to its project file)" : ` (it has ${known.join(", ")})`)
      )
    }
    return found
  })

const statuses = ["queued", "running", "suspended"] as const

export const migrateCommand = command("migrate", {
  from: Args.text({ name: "from" }).pipe(Args.withDescription("The old version: name@version.")),
  to: Args.text({ name: "to" }).pipe(Args.withDescription("The new version: name@version.")),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Report what would be migrated; write nothing.")),
  where: Options.text("where").pipe(
    Options.withDescription("Only runs with this status: status=queued, status=running or status=suspended."),
    Options.optional
  )
}, {
  engine: "execute",
  description: "Apply the project's migration from one template version to another to the stored runs of the old one: " +
    "each is moved in one fenced write (a run another process executes is left alone: held); runs at positions the " +
    "migration does not map stay on the old version (unmapped)."
}, (args) =>
  Effect.gen(function*() {
    const migration = yield* findMigration(args.from, args.to)
    const where = or(args.where)
    let status: RunStatus.RunStatus | undefined
    if (where !== undefined) {
      const match = /^status=(\w+)$/.exec(where)
      const wanted = match?.[1]
      if (wanted === undefined || !(statuses as ReadonlyArray<string>).includes(wanted)) {
        return yield* usage(`--where: expected status=queued, status=running or status=suspended, got "${where}"`)
      }
      status = wanted as RunStatus.RunStatus
    }
    const outcomes = yield* (yield* Engine.Engine).migrate(migration, { dryRun: args.dryRun, status })
    return { _tag: "Migrated", dryRun: args.dryRun, outcomes } as const
  }))

export const rerunCommand = command("rerun", {
  runId: Args.text({ name: "run-id" }).pipe(Args.withDescription("The failed or cancelled run."), Args.optional),
  to: Options.text("to").pipe(
    Options.withDescription("Re-run under this newer version (name@version), through the project's migration."),
    Options.optional
  ),
  status: Options.choice("status", ["failed", "cancelled"]).pipe(
    Options.withDescription("Without a run id: re-run every run with this status."),
    Options.optional
  ),
  template: Options.text("template").pipe(Options.withDescription("Without a run id: only runs of this template."), Options.optional),
  since: Options.text("since").pipe(
    Options.withDescription("Without a run id: only runs created this long ago at most (e.g. 1h, 30m, 2d)."),
    Options.optional
  ),
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Without a run id: count the runs; re-run nothing."))
}, {
  engine: "execute",
  description: "Continue a failed or cancelled run from its last checkpoint (completed steps are not run again; the " +
    "failure stays in its trace), followed here; or, with --status/--template/--since, re-run many and print how many."
}, (args) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const runId = Option.getOrUndefined(args.runId)
    if (runId === undefined) {
      const since = or(args.since)
      const now = yield* Clock.currentTimeMillis
      const createdAfter = since === undefined ? undefined : now - (yield* decoded(parseDuration(since, "--since")))
      const runIds = yield* engine.rerunAll({
        status: or(args.status) ?? "failed",
        templateName: or(args.template),
        createdAfter,
        dryRun: args.dryRun
      })
      return { _tag: "Rerun", dryRun: args.dryRun, runIds } as const
    }
    const { record, template } = yield* templateOfRun(runId)
    const to = or(args.to)
    const migration = to === undefined ? undefined : yield* findMigration(`${record.templateName}@${record.templateVersion}`, to)
    const target = migration?.to ?? template
    const outcome = yield* follow({
      engine,
      runId,
      prepare: engine.rerun(runId, { migration }),
      launch: () => engine.await(runnable(target), runId),
      print: progress((yield* CliContext).format),
      startSeq: record.seq
    })
    return yield* followed({ engine, template: target, runId, outcome })
  }).pipe(Effect.scoped))

export const forkCommand = command("fork", {
  runId: runIdArg,
  after: Options.text("after").pipe(Options.withDescription("The step (its key) after which the fork starts.")),
  patch: Options.text("patch").pipe(
    Options.withDescription("Keys to set in the fork's first state: a JSON object, each value checked against its key's Schema."),
    Options.optional
  ),
  to: Options.text("to").pipe(Options.withDescription("Start the fork on this newer version (name@version), through the project's migration."), Options.optional),
  forkId: Options.text("fork-id").pipe(Options.withDescription("The fork's run id (default: a random UUID)."), Options.optional)
}, {
  engine: "execute",
  description: "Start a new run from a stored run's state right after a step (with a patch), and follow it here."
}, (args) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    const { record, template } = yield* templateOfRun(args.runId)
    const patchText = or(args.patch)
    const raw = patchText === undefined ? {} : yield* decoded(parseJsonObject(patchText, "--patch"))
    // JSON values read with each key's Schema (a key the template does not know is the engine's InvalidPatch)
    const patch: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(raw)) {
      // own keys only: "valueOf" or "constructor" is a key like any other
    const schema = (Object.hasOwn(template.provides, key) ? template.provides[key] : undefined) ??
      template.requirements.find(([name]) => name === key)?.[1]
      const read = schema === undefined ? Either.right({ [key]: value }) : Schema.decodeUnknownEither(schema)({ [key]: value })
      if (Either.isLeft(read)) return yield* usage(`--patch: ${key}: ${read.left.message}`)
      patch[key] = (read.right as Record<string, unknown>)[key]
    }
    const to = or(args.to)
    const migration = to === undefined ? undefined : yield* findMigration(`${record.templateName}@${record.templateVersion}`, to)
    const target = migration?.to ?? template
    const forkId = or(args.forkId) ?? crypto.randomUUID()
    const outcome = yield* follow({
      engine,
      runId: forkId,
      prepare: engine.fork(runnable(template), args.runId, { after: args.after, patch, migration, runId: forkId }),
      launch: () => engine.await(runnable(target), forkId),
      print: progress((yield* CliContext).format),
      startSeq: 0
    })
    return yield* followed({ engine, template: target, runId: forkId, outcome })
  }).pipe(Effect.scoped))
