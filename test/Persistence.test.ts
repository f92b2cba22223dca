/**
 * The default engine follows the settings: SQLite at `WEFT_DATABASE`, or
 * memory when `WEFT_STATE_PERSISTENCE=false`.
 */
import { existsSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect } from "effect"
import { Engine } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { flow, goodInput } from "./fixtures.js"
import { tempDir } from "./support.js"

const env = (vars: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars)), { pathDelim: "_" }))

/** Runs `f` on a fresh default engine (a new layer: a new process, as far as the store is concerned). */
const withDefaultEngine = <A, E>(vars: Record<string, string>, f: (engine: Engine.Engine["Type"]) => Effect.Effect<A, E>) =>
  Effect.flatMap(Engine.Engine, f).pipe(Effect.provide(Sqlite.layerDefault), env(vars))

describe("persistence settings", () => {
  it.scoped("on (the default): runs are written to the SQLite file and outlive the engine", () =>
    Effect.gen(function*() {
      const database = join(yield* tempDir, "runs.db")
      const vars = { WEFT_DATABASE: database }
      const result = yield* withDefaultEngine(vars, (engine) => engine.run(flow, goodInput, { runId: "kept" }))
      expect(result.state.report).toBe("status: ok")
      expect(existsSync(database)).toBe(true)
      // a second engine on the same file sees the run and its trace
      const [record, trace] = yield* withDefaultEngine(vars, (engine) =>
        Effect.all([engine.status("kept"), engine.trace("kept")]))
      expect(record.status).toBe("completed")
      expect(trace.map((entry) => entry.step)).toEqual([
        "process_control/validate_inputs",
        "process_control/check_equipment_status",
        "report/write_report"
      ])
    }))

  it.scoped("off: runs live in memory, no file is created, and a new engine does not see them", () =>
    Effect.gen(function*() {
      const database = join(yield* tempDir, "never.db")
      const vars = { WEFT_STATE_PERSISTENCE: "false", WEFT_DATABASE: database }
      const result = yield* withDefaultEngine(vars, (engine) =>
        Effect.zipLeft(engine.run(flow, goodInput, { runId: "fleeting" }), engine.status("fleeting")))
      expect(result.state.report).toBe("status: ok")
      expect(existsSync(database)).toBe(false)
      const error = yield* Effect.flip(withDefaultEngine(vars, (engine) => engine.status("fleeting")))
      expect(error._tag).toBe("RunNotFound")
    }))

  it.effect("a database path that cannot be opened is a typed PersistenceError naming the file", () =>
    Effect.gen(function*() {
      const database = join(tmpdir(), "weft-no-such-dir", "deeper", "runs.db")
      const error = yield* Effect.flip(withDefaultEngine({ WEFT_DATABASE: database }, (engine) => engine.list()))
      expect(error._tag).toBe("PersistenceError")
      expect(error.message).toContain(database)
    }))
})
