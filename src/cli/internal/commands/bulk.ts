/**
 * The commands that act on many runs: `cancel-all` (every active run a
 * filter matches, with `--dry-run` to count them first) and `export` (a
 * run as one JSON document, or every run a filter matches as JSON lines).
 *
 * @internal
 */
import { Args, Options } from "@effect/cli"
import { Clock, Console, Effect, type Option } from "effect"
import { Engine } from "../../../index.js"
import type { SnapshotStore } from "../../../index.js"
import { command } from "../context.js"
import { parseListFilter } from "../decode.js"
import { decoded, usage } from "../errors.js"
import { or } from "../options.js"

/** The filter options `cancel-all` and `export` share with `list`. */
const filterOptions = {
  where: Options.text("where").pipe(
    Options.withAlias("w"),
    Options.withDescription("Only runs whose search attribute satisfies key<op>value (orderId=4711, amount>100); repeat it."),
    Options.repeated
  ),
  prefix: Options.text("prefix").pipe(Options.withDescription("Only runs whose id starts with this."), Options.optional),
  status: Options.text("status").pipe(Options.withAlias("s"), Options.withDescription("Only runs with this status; repeat it."), Options.repeated),
  template: Options.text("template").pipe(Options.withAlias("t"), Options.withDescription("Only runs of this template."), Options.optional),
  since: Options.text("since").pipe(Options.withDescription("Only runs created at or after this time (ISO date or duration ago)."), Options.optional),
  until: Options.text("until").pipe(Options.withDescription("Only runs created before this time."), Options.optional)
}

interface FilterArgs {
  readonly where: ReadonlyArray<string>
  readonly prefix: Option.Option<string>
  readonly status: ReadonlyArray<string>
  readonly template: Option.Option<string>
  readonly since: Option.Option<string>
  readonly until: Option.Option<string>
}

const toFilter = (args: FilterArgs) =>
  Effect.gen(function*() {
    const f = yield* decoded(parseListFilter({
      status: args.status,
      template: or(args.template),
      since: or(args.since),
      until: or(args.until),
      limit: 1,
      cursor: undefined,
      where: args.where,
      prefix: or(args.prefix)
    }, yield* Clock.currentTimeMillis))
    const filter: SnapshotStore.RunFilter = {
      templateName: f.templateName,
      status: f.status.length === 0 ? undefined : f.status,
      createdAfter: f.createdAfter,
      createdBefore: f.createdBefore,
      where: f.where,
      runIdPrefix: f.runIdPrefix
    }
    const empty = Object.values(filter).every((v) => v === undefined)
    return { filter, empty }
  })

export const cancelAllCommand = command("cancel-all", {
  ...filterOptions,
  dryRun: Options.boolean("dry-run").pipe(Options.withDescription("Only count the runs that would be cancelled."))
}, {
  engine: "write",
  description:
    "Cancel every active run (queued, running, suspended) a filter matches, and their sub-flows' runs; --dry-run counts them first. " +
    "At least one filter is needed."
}, (args) =>
  Effect.gen(function*() {
    const { empty, filter } = yield* toFilter(args)
    if (empty) return yield* usage("cancel-all: give at least one filter (--where, --prefix, --status, --template, --since, --until)")
    const done = yield* (yield* Engine.Engine).cancelMatching(filter, { dryRun: args.dryRun })
    return {
      _tag: "Lines",
      json: done,
      lines: [done.dryRun ? `${done.matched} active run(s) match: nothing cancelled (dry run)` : `cancelled ${done.cancelled.length} of ${done.matched} matching run(s)`]
    } as const
  }))

export const exportCommand = command("export", {
  runId: Args.text({ name: "run-id" }).pipe(Args.withDescription("The run to export (else every run the filters match, as JSON lines)."), Args.optional),
  ...filterOptions
}, {
  engine: "read",
  description:
    "Export a run as one JSON document (record, search attributes, history, steps with deltas, state), or every run the " +
    "filters match as one JSON document per line: weft export --where orderId=4711 > runs.jsonl"
}, (args) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    if (args.runId._tag === "Some") {
      const doc = yield* engine.export(args.runId.value)
      return { _tag: "Lines", json: doc, lines: [JSON.stringify(doc, null, 2)] } as const
    }
    const { filter } = yield* toFilter(args)
    // page through the listing (newest first), one document per line as each is read
    let count = 0
    let after: SnapshotStore.Cursor | undefined
    while (true) {
      const page = yield* engine.list({ ...filter, after, limit: 200 })
      for (const run of page) {
        yield* Console.log(JSON.stringify(yield* engine.export(run.runId)))
        count++
      }
      if (page.length < 200) break
      after = { createdAt: page[page.length - 1]!.createdAt, runId: page[page.length - 1]!.runId }
    }
    yield* Console.error(`exported ${count} run(s)`)
    return { _tag: "Printed" } as const
  }))
