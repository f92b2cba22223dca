/** `weftjs/yaml`: a tiny flow over a registered step, loaded and run; a broken one, refused. */
import { Effect } from "effect"
import { Engine, Workflow } from "weftjs"
import { Yaml } from "weftjs/yaml"
import { greet, report } from "./shared.js"

const registry: Yaml.Registry = { steps: { greet } }

const source = `name: hello_yaml
version: "1"
inputs:
  who: string
steps:
  - use: greet
`

const flow = await Effect.runPromise(Yaml.load(source, { file: "hello.yaml", registry }))
const { state } = await Effect.runPromise(
  Workflow.run(flow, { who: "yaml" }).pipe(Effect.provide(Engine.layerMemory))
)

const refused = await Effect.runPromise(
  Effect.flip(Yaml.load(source.replace("use: greet", "use: gret"), { file: "typo.yaml", registry }))
)

report({ name: flow.name, greeting: state["greeting"], errors: refused.errors.map((e) => `${e.file}:${e.line}`) })

/** Never called: the compiler must refuse these (the entry's types are not `any`). */
export const wrongUses = () => [
  // @ts-expect-error file is required
  Yaml.load(source, { registry })
]
