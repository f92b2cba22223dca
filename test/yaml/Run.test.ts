/**
 * A loaded flow is an ordinary template: durable, resumable, pinned to its
 * content — an edited file under an unchanged version is a
 * `TemplateMismatch` for the runs in flight, not a silent misrun.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer, Schema } from "effect"
import { Engine, Errors, Graph, Settings, SnapshotStore, Template, Testing } from "weftjs"
import { Yaml } from "weftjs/yaml"
import { Sqlite } from "weftjs/sqlite"
import { tempFile } from "../support.js"
import { flow, load, step } from "./support.js"

const registry: Yaml.Registry = {
  steps: {
    double: step("double", { n: Schema.Number }, { doubled: Schema.Number }, ({ n }) => ({ doubled: n * 2 })),
    greet: step("greet", { who: Schema.String }, { greeting: Schema.String }, ({ who }) => ({ greeting: `hello ${who}` }))
  }
}

const source = flow(
  "name: approve",
  "version: 1.0",
  "inputs: { n: number }",
  "steps:",
  "  - use: double",
  "  - id: ok",
  "    waitForSignal:",
  "      payload: { by: string }",
  "  - use: greet",
  "    with: { who: '${ok.by}' }"
)

describe("a loaded flow is pinned to its content", () => {
  it("the same content gives the same version; another content, vars or used template, another", () => {
    const version = load(source, registry).version
    expect(load(source, registry).version).toBe(version)
    expect(load(source.replace("hello", "hi").replace("greet\n", "greet\n"), registry).version).toBe(version)
    expect(load(source.replace("payload: { by: string }", "payload: { by: string, at?: number }"), registry).version).not.toBe(version)
    const withVars = flow("name: v", "version: 1", "vars: { x: 1 }", "steps:", "  - use: double", "    with: { n: '${vars.x}' }")
    expect(load(withVars, registry).version).not.toBe(load(withVars, registry, { x: "2" }).version)
    const usesTemplate = flow("name: u", "version: 1", "inputs: { n: number }", "steps:", "  - use: t")
    const t = (version: string) =>
      Template.make({ name: "t", version, steps: [registry.steps["double"]!] as never }) as unknown as Template.Template.Any
    expect(load(usesTemplate, { steps: { t: t("1") } }).version).not.toBe(load(usesTemplate, { steps: { t: t("2") } }).version)
  })

  it.scoped("a run suspended under one content: another process resumes it under that content; under an edited file it is a TemplateMismatch", () =>
    Effect.gen(function*() {
      // two engines (two processes) sharing one store
      const store = yield* Layer.build(SnapshotStore.layerMemory)
      const anEngine = Layer.build(Engine.layer.pipe(Layer.provide(Settings.layerWith({})), Layer.orDie)).pipe(
        Effect.provide(store),
        Effect.map((context) => Context.get(context, Engine.Engine))
      )
      const first = yield* anEngine
      const second = yield* anEngine
      const original = load(source, registry)
      const edited = load(source.replace("use: greet", "use: greet\n    id: greeting"), registry)
      expect(edited.version).not.toBe(original.version)
      expect(edited.version.startsWith("1.0+sha256:")).toBe(true)

      yield* first.start(original, { n: 21 }, { runId: "in-flight" })
      yield* Effect.provideService(Testing.awaitStatus("in-flight", "suspended"), Engine.Engine, first)
      const mismatch = yield* Effect.flip(second.resume(edited, "in-flight"))
      expect(mismatch).toBeInstanceOf(Errors.TemplateMismatch)
      expect((mismatch as Errors.TemplateMismatch).message).toBe(
        `Run "in-flight" was started with template approve@${original.version} and cannot be resumed with approve@${edited.version}`
      )

      // the file as it was: the second engine takes the run up from the store
      yield* second.register(original)
      yield* second.signal("in-flight", "ok", { by: "ada" })
      yield* Effect.provideService(Testing.awaitStatus("in-flight", "completed"), Engine.Engine, second)
      const result = yield* second.result(original, "in-flight")
      expect(result.state).toEqual({ n: 21, doubled: 42, ok: { by: "ada" }, greeting: "hello ada" })
      expect((yield* second.trace("in-flight")).map((e) => e.step)).toEqual(["inputs", "double", "ok", "greet"])
    }))

  it.effect("a signal payload is decoded with the flow's payload type: a bad one is refused and the run waits", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const template = load(source, registry)
      const handle = yield* engine.start(template, { n: 1 }, { runId: "typed" })
      yield* Testing.awaitStatus("typed", "suspended")
      const refused = yield* Effect.flip(engine.signal("typed", "ok", { by: 7 }))
      expect(refused._tag).toBe("InvalidSignalPayload")
      expect((yield* engine.status("typed")).status).toBe("suspended")
      yield* engine.signal("typed", "ok", { by: "bob" })
      expect((yield* handle.await).state["greeting"]).toBe("hello bob")
    }).pipe(Effect.provide(Testing.layer())))

  it("a loaded flow is a Template.Any for any API that takes one, and draws as one (weft graph flow.yaml)", () => {
    const template: Template.Template.Any = load(source, registry)
    const mermaid = Graph.toMermaid(Graph.make(template))
    expect(mermaid.startsWith("flowchart")).toBe(true)
    for (const step of ["inputs", "double", "ok", "greet"]) expect(mermaid).toContain(step)
  })

  it.scoped("on SQLite: suspended in one process, resumed from the file by another that loads the same flow", () =>
    Effect.gen(function*() {
      const filename = yield* tempFile
      /** An engine over the file, as one process: its scope ends with the program. */
      const inProcess = <A, E>(program: Effect.Effect<A, E, Engine.Engine>) =>
        program.pipe(Effect.provide(Sqlite.layer({ filename })), Effect.scoped)
      // the first process starts the run and ends while it waits
      yield* inProcess(Effect.gen(function*() {
        const engine = yield* Engine.Engine
        yield* engine.start(load(source, registry), { n: 4 }, { runId: "durable" })
        yield* Testing.awaitStatus("durable", "suspended")
      }))
      // a second process with an edited file refuses it; one with the same file finishes it
      const edited = load(source.replace("payload: { by: string }", "payload: { by: string, note?: string }"), registry)
      const mismatch = yield* inProcess(Effect.flatMap(Engine.Engine, (engine) => Effect.flip(engine.resume(edited, "durable"))))
      expect(mismatch).toBeInstanceOf(Errors.TemplateMismatch)
      const result = yield* inProcess(Effect.gen(function*() {
        const engine = yield* Engine.Engine
        const template = load(source, registry)
        yield* engine.register(template)
        yield* engine.signal("durable", "ok", { by: "carol" })
        yield* Testing.awaitStatus("durable", "completed")
        return yield* engine.result(template, "durable")
      }))
      expect(result.state).toEqual({ n: 4, doubled: 8, ok: { by: "carol" }, greeting: "hello carol" })
    }))
})
