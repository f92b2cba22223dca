/**
 * Run (built: `test/build.ts`) by `CoreImport.test.ts` under `node --import ./preload.mjs`:
 *
 * - `core`: imports the `weftjs` entry (its sources) and runs a one-step
 *   flow on the in-memory engine, as a program that never touches a
 *   database would;
 * - `sqlite`: imports `weftjs/sqlite` and opens a store on the file given
 *   (the positive control: the recorder must see the driver).
 */
const [mode, filename] = process.argv.slice(2)

if (mode === "core") {
  const { Effect, Schema } = await import("effect")
  const { Engine, Step, Template, Workflow } = await import("../../../src/index.js")
  const greet = Step.make({
    name: "greet",
    requires: { who: Schema.String },
    provides: { greeting: Schema.String },
    run: ({ who }) => Effect.succeed({ greeting: `hello ${who}` })
  })
  const hello = Template.make({ name: "hello", version: "1", steps: [greet] })
  const { state } = await Effect.runPromise(
    Workflow.run(hello, { who: "memory" }).pipe(Effect.provide(Engine.layerMemory))
  )
  console.log(state.greeting)
} else if (mode === "sqlite" && filename !== undefined) {
  const { Effect, Layer } = await import("effect")
  const { Sqlite } = await import("../../../src/sqlite.js")
  await Effect.runPromise(Effect.scoped(Layer.build(Sqlite.layerStore({ filename }))))
  console.log("opened")
} else {
  throw new Error(`usage: child.ts core | sqlite <file> (got ${process.argv.slice(2).join(" ")})`)
}
