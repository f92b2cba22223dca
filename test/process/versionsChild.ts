/**
 * One process of the versions tests (issue 21), on a SQLite file:
 *
 *   fail <db> <id>      runs `order@1`, whose bill step is declined, to its failure
 *   rerun <db> <id>     re-runs the failed run here (the bill now goes through), to its end
 *   hold <db> <id>      starts `slow@1`, prints "started" once its first step runs, and never ends
 *   migrate <db>        applies the migration slow@1 → slow@2 to the stored runs
 *   finish <db> <id>    an engine that knows slow@2 takes the run up and waits for its end
 *
 * Prints one JSON line: what it saw. Settings come from the environment.
 */
import { Data, Effect, Schedule, Schema } from "effect"
import { Engine, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"

const [command, database, runId] = process.argv.slice(2) as [string, string, string | undefined]

class Declined extends Data.TaggedError("Declined")<{ readonly reason: string }> {}

const quote = Step.make({
  name: "quote",
  requires: { sku: Schema.String },
  provides: { price: Schema.Number },
  run: ({ sku }) => Effect.succeed({ price: sku.length * 10 })
})
const bill = Step.make({
  name: "bill",
  requires: { price: Schema.Number },
  provides: { invoice: Schema.String },
  retry: Schedule.recurs(0),
  run: ({ price }) => command === "fail" ? Effect.fail(new Declined({ reason: "card" })) : Effect.succeed({ invoice: `INV-${price}` })
})
export const order = Template.make({ name: "order", version: "1", steps: [quote, bill] })

const slowQuote = Step.make({
  name: "quote",
  requires: { sku: Schema.String },
  provides: { price: Schema.Number },
  run: ({ sku }) =>
    command === "hold"
      ? Effect.zipRight(Effect.sync(() => console.log("started")), Effect.never)
      : Effect.succeed({ price: sku.length * 10 })
})
const billIn = Step.make({
  name: "bill",
  requires: { price: Schema.Number, currency: Schema.String },
  provides: { invoice: Schema.String },
  run: ({ currency, price }) => Effect.succeed({ invoice: `INV-${price}-${currency}` })
})
export const slow1 = Template.make({ name: "slow", version: "1", steps: [slowQuote, bill] })
export const slow2 = Template.make({ name: "slow", version: "2", steps: [slowQuote, billIn] })
export const toV2 = Template.migration(slow1, slow2, (at) => [at(slowQuote, slowQuote, () => ({ currency: "EUR" }))])

const program = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  switch (command) {
    case "fail": {
      const failed = yield* Effect.flip(engine.run(order, { sku: "abcd" }, { runId: runId! }))
      return { error: failed._tag, status: (yield* engine.status(runId!)).status }
    }
    case "rerun": {
      yield* engine.register(order)
      yield* engine.rerun(runId!)
      const done = yield* engine.await(order, runId!)
      const trace = yield* engine.trace(runId!)
      return { state: done.state, trace: trace.map((e) => `${e.step}:${e.status}`) }
    }
    case "hold": {
      yield* engine.start(slow1, { sku: "abc" }, { runId: runId! })
      return yield* Effect.never
    }
    case "migrate": {
      const outcomes = yield* engine.migrate(toV2)
      return { outcomes: outcomes.map((o) => [o.runId, o.result, o.from, o.to]) }
    }
    default: {
      yield* engine.register(slow2)
      yield* engine.resumeDue
      const done = yield* engine.await(slow2, runId!)
      const run = yield* engine.status(runId!)
      return { state: done.state, version: run.templateVersion }
    }
  }
})

Effect.runPromise(program.pipe(Effect.provide(Sqlite.layer({ filename: database })))).then(
  (outcome) => console.log(JSON.stringify(outcome)),
  (error) => {
    console.log(JSON.stringify({ error: String(error) }))
    process.exitCode = 1
  }
)
