/**
 * Bad input and faults, through the engine on a real SQLite file: nothing is
 * written for a rejected run, a value that cannot be encoded fails its step
 * (not the process), and a database that cannot be written is a typed
 * `PersistenceError` naming the file.
 */
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import Database from "better-sqlite3"
import { Duration, Effect, Layer, Schema } from "effect"
import { Engine, Errors, Settings, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { flow, goodInput } from "./fixtures.js"
import { tempDir } from "./support.js"

const engineOn = (filename: string, options: { readonly readonly?: boolean } = {}) =>
  Sqlite.layer({ filename, ...options }).pipe(
    Layer.provide(Settings.layerWith({ maxRetries: 0, workflowTimeout: Duration.infinity }))
  )

const countRows = (filename: string) => {
  const db = new Database(filename, { readonly: true })
  try {
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
    return { runs: count("weft_runs"), steps: count("weft_steps"), snapshots: count("weft_snapshots") }
  } finally {
    db.close()
  }
}

/** A step that writes a bigint: valid for its Schema, but its encoded form is not JSON. */
const unencodable = Template.make({
  name: "unencodable",
  version: "1",
  steps: [Step.make({
    name: "count_atoms",
    requires: { sample: Schema.String },
    provides: { atoms: Schema.BigIntFromSelf },
    run: () => Effect.succeed({ atoms: 10n ** 23n })
  })]
})

describe("engine faults on SQLite", () => {
  it.scoped("a rejected input writes nothing: no run, no step, no snapshot", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "runs.db")
      const error = yield* Effect.flip(
        Effect.flatMap(Engine.Engine, (engine) =>
          engine.run(flow, { equipmentId: 7, processParams: {} } as never, { runId: "rejected" })).pipe(
            Effect.provide(engineOn(filename))
          )
      )
      expect(error).toBeInstanceOf(Errors.InvalidInput)
      expect((error as Errors.InvalidInput).keys).toEqual(["equipmentId", "processParams.temperature"])
      expect(countRows(filename)).toEqual({ runs: 0, steps: 0, snapshots: 0 })
    }))

  it.scoped("a value that cannot be encoded fails its step with StateEncodeError; the engine goes on", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "runs.db")
      yield* Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const error = yield* Effect.flip(engine.run(unencodable, { sample: "water" }, { runId: "bad" }))
        expect(error).toBeInstanceOf(Errors.StateEncodeError)
        expect((error as Errors.StateEncodeError).key).toBe("atoms")
        expect(error.message).toContain("\"count_atoms\"")
        const record = yield* engine.status("bad")
        expect(record.status).toBe("failed")
        expect(record.error?.tag).toBe("StateEncodeError")
        // the same engine, in the same process, still runs other workflows
        const ok = yield* engine.run(flow, goodInput, { runId: "good" })
        expect(ok.state.report).toBe("status: ok")
      }).pipe(Effect.provide(engineOn(filename)))
      const db = new Database(filename, { readonly: true })
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok")
      db.close()
    }))

  it.scoped("a database opened read-only: run fails with a read-only PersistenceError naming the file", () =>
    Effect.gen(function*() {
      const filename = join(yield* tempDir, "runs.db")
      // create the schema and one run first
      yield* Effect.flatMap(Engine.Engine, (engine) => engine.run(flow, goodInput, { runId: "first" })).pipe(
        Effect.provide(engineOn(filename))
      )
      const error = yield* Effect.flip(
        Effect.flatMap(Engine.Engine, (engine) => engine.run(flow, goodInput, { runId: "second" })).pipe(
          Effect.provide(engineOn(filename, { readonly: true }))
        )
      )
      expect(error).toBeInstanceOf(Errors.PersistenceError)
      const e = error as Errors.PersistenceError
      expect(e.reason).toBe("read-only")
      expect(e.path).toBe(filename)
      expect(e.message).toContain(filename)
      // what was stored before is intact
      expect(countRows(filename).runs).toBe(1)
    }))
})
