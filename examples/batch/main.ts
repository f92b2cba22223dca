/**
 * A batch in YAML with built-in steps only (`batch.yaml`): read a file of
 * items, run a program on each (`process-item.mjs`, retried, skipped when it
 * keeps failing), validate its output, write the results — durable on a
 * SQLite file like any run (test/crash/BatchCrash.test.ts kills it mid-way
 * and resumes it).
 *
 *   npm run example -- batch
 *
 * The flow is loaded as a project file would (`yaml: { commands: ["node"],
 * files }`): only `node` may run, and files are read and written under a
 * temporary folder.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { Effect, Layer } from "effect"
import { Engine, Settings } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { Yaml } from "weftjs/yaml"

/** This folder (the flow, its items and its program). */
export const folder = fileURLToPath(new URL(".", import.meta.url))

/** The flow loaded with what its built-in steps may do: run `node`, use files under `files`. */
export const loadBatch = (files: string, vars: Readonly<Record<string, string>> = {}) =>
  Yaml.loadFile(join(folder, "batch.yaml"), {
    registry: { steps: {}, builtins: { commands: ["node"], files, dir: folder } },
    vars
  })

export const main = (_args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const files = mkdtempSync(join(tmpdir(), "weft-batch-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(files, { recursive: true, force: true })))
    copyFileSync(join(folder, "items.json"), join(files, "items.json"))
    const flow = yield* loadBatch(files)
    const run = Effect.flatMap(Engine.Engine, (engine) => engine.run(flow, { source: "items.json", target: "out/results.json" }))
    const result = yield* run.pipe(
      Effect.provide(
        Engine.layer.pipe(
          Layer.provide(Sqlite.layerStore({ filename: join(files, "runs.db") })),
          Layer.provide(Settings.layerWith({ maxRetries: 0 }))
        )
      )
    )
    const outcomes = JSON.parse(readFileSync(join(files, "out/results.json"), "utf8")) as ReadonlyArray<{ id: string; ok: boolean }>
    console.log(`wrote ${result.state["saved"]} in the files folder:`)
    for (const outcome of outcomes) console.log(`  ${outcome.id}: ${outcome.ok ? "ok" : "skipped"}`)
  }).pipe(Effect.scoped)
