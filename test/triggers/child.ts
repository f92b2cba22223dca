/**
 * A process for the trigger tests:
 *
 *   node .build/test/triggers/child.js '<options as JSON>'
 *
 * It opens a SQLite file (`sqlite`) or a PostgreSQL schema (`url`,
 * `schema`), and, by `mode`:
 * - `cron`: declares the schedule `every-second` (`* * * * * *`, overlap
 *   `allow`) of `tick`, whose one step appends its run id to `log`;
 * - `chain-first`: declares the event trigger `chain` (`first` → `second`)
 *   and starts `first` (run `f1`), over a store whose `finish` SIGKILLs this
 *   process right after recording an end that has follow-up runs: the
 *   process dies between the end and the start of the triggered run;
 * - `chain-recover`: declares the trigger and takes up what needs an engine.
 *
 * It prints, each line prefixed with the time in ms since the epoch:
 *   <at> ready | event <tag> <run id>
 */
import { appendFileSync } from "node:fs"
import { NodeRuntime } from "@effect/platform-node"
import { Duration, Effect, Layer, Schema, Stream } from "effect"
import { Engine, type Errors, Settings, SnapshotStore, Step, Template, Trigger } from "weftjs"
import { Pg } from "weftjs/pg"
import { Sqlite } from "weftjs/sqlite"

/** What a child is started with. */
export interface ChildOptions {
  readonly mode: "cron" | "chain-first" | "chain-recover"
  readonly sqlite?: string | undefined
  readonly url?: string | undefined
  readonly schema?: string | undefined
  readonly log: string
  readonly pollMs: number
  readonly leaseMs: number
}

const options = JSON.parse(process.argv[2] ?? "null") as ChildOptions | null
if (options === null) {
  console.error("usage: child.ts '<options as JSON>'")
  process.exit(2)
}

const print = (line: string) => process.stdout.write(`${Date.now()} ${line}\n`)
process.stdout.on("error", () => undefined)

export const tick = Template.make({
  name: "tick",
  version: "1",
  steps: [Step.make({
    name: "log",
    requires: { at: Schema.String },
    provides: { logged: Schema.Boolean },
    run: (_, ctx) => Effect.sync(() => (appendFileSync(options.log, `${ctx.runId}\n`), { logged: true }))
  })]
})

export const first = Template.make({
  name: "first",
  version: "1",
  steps: [Step.make({ name: "one", requires: { n: Schema.Number }, provides: { m: Schema.Number }, run: ({ n }) => Effect.succeed({ m: n + 1 }) })]
})

export const second = Template.make({
  name: "second",
  version: "1",
  steps: [Step.make({
    name: "two",
    requires: { k: Schema.Number },
    provides: { done: Schema.Boolean },
    run: (_, ctx) => Effect.sync(() => (appendFileSync(options.log, `${ctx.runId}\n`), { done: true }))
  })]
})

const chain = Trigger.onEnd("chain", first, second, { input: (state) => ({ k: state.m * 10 }) })

const baseStore: Layer.Layer<SnapshotStore.SnapshotStore, Errors.PersistenceError> = options.sqlite !== undefined
  ? Sqlite.layerStore({ filename: options.sqlite })
  : Pg.layerStore({ url: options.url!, schema: options.schema })

/** The store, whose `finish` kills the process once an end with follow-ups is recorded (mode `chain-first`). */
const StoreLive = options.mode !== "chain-first" ? baseStore : Layer.effect(
  SnapshotStore.SnapshotStore,
  Effect.map(SnapshotStore.SnapshotStore, (store): SnapshotStore.Service => ({
    ...store,
    finish: (runId, lease, ending, at) =>
      Effect.tap(store.finish(runId, lease, ending, at), () =>
        Effect.sync(() => {
          if ((ending.followUps ?? []).length > 0) {
            print(`recorded ${runId}`)
            process.kill(process.pid, "SIGKILL")
          }
        }))
  }))
).pipe(Layer.provide(baseStore))

const EngineLive = Engine.layer.pipe(
  Layer.provide(StoreLive),
  Layer.provide(Settings.layerWith({
    leaseDuration: Duration.millis(options.leaseMs),
    pollInterval: Duration.millis(options.pollMs),
    shutdownGrace: Duration.zero,
    maxRetries: 0,
    stateTtl: Duration.infinity
  }))
)

const program = Effect.gen(function*() {
  const engine = yield* Engine.Engine
  const events = yield* engine.subscribe
  yield* Effect.forkScoped(Stream.runForEach(events, (event) =>
    Effect.sync(() => print(`event ${event._tag} ${"runId" in event ? event.runId : "-"}`))))
  if (options.mode === "cron") {
    yield* engine.trigger(Trigger.cron("every-second", tick, {
      cron: "* * * * * *",
      overlap: "allow",
      input: (at) => ({ at: at.toISOString() })
    }))
  } else {
    yield* engine.trigger(chain)
  }
  print("ready")
  if (options.mode === "chain-first") yield* engine.start(first, { n: 1 }, { runId: "f1" })
  return yield* Effect.never
})

NodeRuntime.runMain(program.pipe(Effect.scoped, Effect.provide(EngineLive)))
