/** `weftjs/cli`: a project file in TypeScript (loaded by the `weft` bin through tsx). */
import { Layer } from "effect"
import { defineConfig } from "weftjs/cli"
import { hello } from "./shared.js"

export default defineConfig({
  templates: [hello],
  layer: Layer.empty
})

/** Never called: the compiler must refuse these (the entry's types are not `any`). */
export const wrongUses = () => [
  // @ts-expect-error templates is a list of templates
  defineConfig({ templates: "hello", layer: Layer.empty })
]
