/**
 * The YAML flow of `PrototypeKeys.test.ts` (keys named as `Object.prototype`'s
 * members), shared with the PostgreSQL test: `runOn` runs it across a
 * suspension and a resume by another engine.
 */
import { expect } from "@effect/vitest"
import { Duration, Effect, type Layer, Schema } from "effect"
import type { SnapshotStore } from "weftjs"
import type { Yaml } from "weftjs/yaml"
import { awaitStatusIn, engineProcess } from "../support.js"
import { flow, load, step } from "./support.js"

export const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }

export const registry: Yaml.Registry = {
  steps: {
    bump: step("bump", { constructor: Schema.Number }, { toString: Schema.Number }, ({ constructor }) => ({ toString: constructor + 1 })),
    total: step(
      "total",
      { toString: Schema.Number, valueOf: Schema.Number },
      { hasOwnProperty: Schema.String },
      ({ toString, valueOf }) => ({ hasOwnProperty: `${toString}+${valueOf}` })
    )
  }
}

export const source = flow(
  "name: prototype_keys",
  "version: 1",
  "inputs:",
  "  constructor: number",
  "  isPrototypeOf: { valueOf: number }",
  "steps:",
  "  - use: bump",
  "  - id: wait",
  "    waitForSignal: { key: propertyIsEnumerable, payload: boolean }",
  "  - id: check",
  "    branch:",
  "      if: propertyIsEnumerable and toString > constructor and isPrototypeOf.valueOf >= 0",
  "      then:",
  "        - use: total",
  "          with:",
  "            valueOf: ${isPrototypeOf.valueOf + steps.bump.toString + inputs.constructor}",
  "      else:",
  "        - use: total",
  "          id: none",
  "          with: { valueOf: 0 }"
)

export const runOn = (store: Layer.Layer<SnapshotStore.SnapshotStore, unknown>) =>
  Effect.gen(function*() {
    const loaded = load(source, registry)
    expect([...loaded.requiredState].sort()).toEqual(["constructor", "isPrototypeOf"])
    const first = yield* engineProcess(store, settings)
    const second = yield* engineProcess(store, settings)
    yield* second.engine.register(loaded)
    yield* first.engine.start(loaded, { constructor: 4, isPrototypeOf: { valueOf: 10 } }, { runId: "keys" })
    yield* awaitStatusIn(first.engine, "keys", "suspended")
    yield* second.engine.signal("keys", "wait", true)
    yield* awaitStatusIn(second.engine, "keys", "completed")
    const result = yield* second.engine.result(loaded, "keys")
    expect(result.state).toMatchObject({ constructor: 4, toString: 5, propertyIsEnumerable: true, hasOwnProperty: "5+19" })
  })

