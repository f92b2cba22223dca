/**
 * History is data: the state `engine.stateAt` reconstructs after each step
 * (from the stored deltas) equals the state the run had then, as the next
 * step saw it while the run executed — for any sequence of writes, large
 * ones included (which make the store take full snapshots that replace the
 * first state), on the in-memory store, on SQLite and on PostgreSQL.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema } from "effect"
import * as fc from "fast-check"
import { Engine, Settings, SnapshotStore, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { Pg } from "weftjs/pg"
import { describePg, unique } from "./pg/support.js"
import { tempFile } from "./support.js"

const keys = ["a", "b", "c", "d"] as const
type Write = { readonly key: (typeof keys)[number]; readonly value: string }

const writes: fc.Arbitrary<ReadonlyArray<Write>> = fc.array(
  fc.record({
    key: fc.constantFrom(...keys),
    value: fc.oneof(
      { weight: 4, arbitrary: fc.string({ maxLength: 12 }) },
      // large values: the store takes full snapshots, replacing the run's first state
      { weight: 1, arbitrary: fc.nat(99).map((n) => "x".repeat(30_000 + n)) }
    )
  }),
  { minLength: 1, maxLength: 7 }
)

/** A template writing `writes` in order; each step reads every key written before it, and reports what it saw. */
const templateOf = (ws: ReadonlyArray<Write>, seen: Array<Record<string, unknown>>) => {
  const written = new Set<string>()
  const steps = ws.map((w, i) => {
    const requires: Record<string, typeof Schema.String> = { seed: Schema.String }
    for (const key of written) requires[key] = Schema.String
    written.add(w.key)
    return Step.make({
      name: `s${i}`,
      requires,
      provides: { [w.key]: Schema.String },
      run: (input) => Effect.sync(() => (seen[i] = { ...input }, { [w.key]: w.value }))
    })
  })
  return Template.make({ name: "history", version: "1", steps: steps as never }) as unknown as Template.Template<
    { readonly seed: string },
    Readonly<Record<string, string>>
  >
}

const settings = Settings.layerWith({ workflowTimeout: Duration.infinity, maxRetries: 0, stateTtl: Duration.infinity })

const property = (store: Effect.Effect<Layer.Layer<SnapshotStore.SnapshotStore, unknown>>, numRuns: number) =>
  Effect.promise(() =>
    fc.assert(
      fc.asyncProperty(writes, fc.string({ maxLength: 8 }), async (ws, seed) => {
        const seen: Array<Record<string, unknown>> = []
        const template = templateOf(ws, seen)
        const program = Effect.gen(function*() {
          const engine = yield* Engine.Engine
          const result = yield* engine.run(template, { seed }, { runId: "h" })
          for (let i = 0; i < ws.length; i++) {
            const expected = i + 1 < ws.length ? seen[i + 1] : result.state
            expect(yield* engine.stateAt("h", `s${i}`, template)).toEqual(expected)
          }
        })
        await Effect.runPromise(
          Effect.scoped(Effect.flatMap(store, (layer) => Effect.provide(program, Engine.layer.pipe(Layer.provide(Layer.merge(layer, settings)), Layer.orDie))))
        )
      }),
      { numRuns }
    ))

describe("stateAt equals the state the run had after each step (property)", () => {
  it.effect("memory", () => property(Effect.succeed(SnapshotStore.layerMemory), 60), { timeout: 60_000 })
  it.scoped("sqlite", () =>
    Effect.flatMap(tempFile, (dir) => {
      let n = 0
      return property(Effect.sync(() => Sqlite.layerStore({ filename: `${dir}.${n++}` })), 25)
    }), { timeout: 120_000 })
})

describePg("stateAt on PostgreSQL (property)", (scratch) => {
  it.effect("postgresql", () =>
    property(Effect.sync(() => Pg.layerStore({ url: scratch.url, schema: `t_${unique()}` })), 15), { timeout: 120_000 })
})
