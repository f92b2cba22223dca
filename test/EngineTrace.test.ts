/**
 * `engine.trace`: per step, what it changed in the state — decoded with the
 * template's Schemas when the engine knows the template (registered, or
 * given), else as stored; weft's bookkeeping left out.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { Engine, Errors, Settings, SnapshotStore, Step, Template } from "weftjs"

const schedule = Step.make({
  name: "schedule",
  requires: { due: Schema.Date },
  provides: { reminder: Schema.Date },
  run: ({ due }) => Effect.succeed({ reminder: new Date(due.getTime() - 86_400_000) })
})

const reminder = Template.make({ name: "reminder", version: "1", steps: [schedule] })
const other = Template.make({ name: "other", version: "1", steps: [schedule] })

const engineOver = (store: Context.Context<SnapshotStore.SnapshotStore>) =>
  Effect.map(
    Layer.build(Engine.layer.pipe(Layer.provide(Layer.succeedContext(store)), Layer.provide(Settings.layerWith({})))),
    (context) => Context.get(context, Engine.Engine)
  )

describe("engine.trace", () => {
  it.scoped("gives each step's delta, decoded where the template is known, as stored elsewhere", () =>
    Effect.gen(function*() {
      const store = yield* Layer.build(SnapshotStore.layerMemory)
      const engine = yield* engineOver(store)
      yield* engine.run(reminder, { due: new Date("2031-01-02T00:00:00.000Z") }, { runId: "r" })
      const [entry] = yield* engine.trace("r")
      expect(entry).toMatchObject({ step: "schedule", status: "completed", delta: { unset: [] } })
      expect(entry!.delta!.set).toEqual({ reminder: new Date("2031-01-01T00:00:00.000Z") })
      expect(entry!.delta!.set.reminder).toBeInstanceOf(Date)
      // an engine that does not know the template: the values as stored (JSON)
      const elsewhere = yield* engineOver(store)
      expect((yield* elsewhere.trace("r"))[0]!.delta).toEqual({ set: { reminder: "2031-01-01T00:00:00.000Z" }, unset: [] })
      // given the template, it decodes with it; given another, it refuses
      expect((yield* elsewhere.trace("r", reminder))[0]!.delta!.set.reminder).toBeInstanceOf(Date)
      expect(yield* Effect.flip(elsewhere.trace("r", other))).toBeInstanceOf(Errors.TemplateMismatch)
      expect(yield* Effect.flip(elsewhere.trace("nope"))).toBeInstanceOf(Errors.RunNotFound)
    }))
})
