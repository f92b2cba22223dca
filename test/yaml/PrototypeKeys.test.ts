/**
 * A YAML flow whose state keys are named as `Object.prototype`'s members
 * (`constructor`, `toString`, ...) loads and runs end to end, in memory and
 * on SQLite across a suspension and a resume; `__proto__`, which cannot be
 * a key (assigning it to an object sets its prototype), is refused at load
 * time, at its position, naming it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { SnapshotStore, Testing } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { tempFile } from "../support.js"
import { registry, runOn, settings, source } from "./prototypeKeysFlow.js"
import { errorsOf, expectErrors, flow, load } from "./support.js"

describe("a YAML flow with keys named as Object.prototype's members", () => {
  it.effect("loads and runs", () =>
    Effect.gen(function*() {
      const withDefault = source.replace("payload: boolean }", "payload: boolean, timeout: 1ms, default: true }")
      const result = yield* Testing.runTemplate(load(withDefault, registry), { constructor: 1, isPrototypeOf: { valueOf: 2 } })
      expect(result.state).toMatchObject({ constructor: 1, toString: 2, propertyIsEnumerable: true, hasOwnProperty: "2+5" })
    }).pipe(Effect.provide(Testing.layer(settings))))

  it.scoped("in memory, across a suspension and a resume by another engine", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      yield* runOn(Layer.succeed(SnapshotStore.SnapshotStore, store))
    }))

  it.scoped("on a SQLite file, the same", () =>
    Effect.gen(function*() {
      yield* runOn(Sqlite.layerStore({ filename: yield* tempFile }))
    }))

  it("__proto__ cannot be a key: refused at its position, named", () => {
    expectErrors(
      errorsOf(
        flow(
          "name: x",
          "version: 1",
          "inputs: { constructor: number }",
          "steps:",
          "  - use: bump",
          "  - id: wait",
          "    waitForSignal: { key: __proto__, payload: boolean }"
        ),
        registry
      ),
      [["7:27", `key "__proto__" cannot be a state key (it would set an object's prototype)`]]
    )
    expectErrors(errorsOf(flow("name: x", "version: 1", "steps:", "  - id: __proto__", "    sleep: 1ms"), registry), [
      ["4:9", `the id "__proto__" cannot be a state key`]
    ])
    expectErrors(errorsOf(flow("name: x", "version: 1", "inputs:", "  __proto__: number", "steps:", "  - use: bump"), registry), [
      ["4:3", `"__proto__" is not allowed as a key`]
    ])
  })
})
