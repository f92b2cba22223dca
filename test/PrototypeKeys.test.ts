/**
 * State keys named as `Object.prototype`'s members (`constructor`,
 * `toString`, `hasOwnProperty`, ...) are keys like any other: every lookup
 * of a key is an own-property lookup, so that a step reads them, writes
 * them, and they cross a suspension and a resume by another engine, in
 * memory, on SQLite and on PostgreSQL (test/pg/PrototypeKeys; property, over such names and values). `__proto__`
 * is not among them (assigning it to an object sets its prototype).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema } from "effect"
import { SnapshotStore, Step, Template, Testing } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { prototypeNames, property, settings } from "./prototypeKeys.js"
import { tempFile } from "./support.js"

describe("state keys named as Object.prototype's members are keys like any other (property)", () => {
  it.scoped("in memory: read, written, across a suspension and a resume by another engine", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      yield* property(Layer.succeed(SnapshotStore.SnapshotStore, store), 25)
    }))

  it.scoped("on a SQLite file: the same", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      yield* property(Sqlite.layerStore({ filename }), 8)
    }))

  it.effect("a run's input and its result: Testing.runTemplate", () =>
    Effect.gen(function*() {
      for (const name of prototypeNames) {
        const flow = Template.make({
          name: "one",
          version: "1",
          steps: [Step.make({
            name: "inputs",
            requires: { [name]: Schema.String },
            provides: { out: Schema.String },
            run: (input: Readonly<Record<string, string>>) => Effect.succeed({ out: `read ${input[name]}` })
          })]
        }) as unknown as Template.Template<Record<string, unknown>, Record<string, unknown>>
        const result = yield* Testing.runTemplate(flow, { [name]: "it" })
        expect(result.state["out"]).toBe("read it")
      }
    }).pipe(Effect.provide(Testing.layer(settings))))
})
