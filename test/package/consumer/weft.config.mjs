// `weftjs/cli`: a project file in plain JavaScript (imported as it is).
import { Effect, Layer, Schema } from "effect"
import { Step, Template } from "weftjs"
import { defineConfig } from "weftjs/cli"

const shout = Step.make({
  name: "shout",
  requires: { who: Schema.String },
  provides: { shouted: Schema.String },
  run: ({ who }) => Effect.succeed({ shouted: who.toUpperCase() })
})

export default defineConfig({
  templates: [Template.make({ name: "shouting", version: "1", steps: [shout] })],
  layer: Layer.empty
})
