/**
 * `weftjs/pg`: builds the engine layer; with `WEFT_PACK_PG_URL` set (a
 * reachable server) it also runs a flow on it, in `WEFT_PACK_PG_SCHEMA`.
 */
import { Effect, Layer } from "effect"
import { Workflow } from "weftjs"
import { Pg } from "weftjs/pg"
import { hello, report } from "./shared.js"

const url = process.env["WEFT_PACK_PG_URL"]
const schema = process.env["WEFT_PACK_PG_SCHEMA"] ?? "weft_pack"

// building the layer connects to nothing: it connects when it is provided
const EngineLive = Pg.layer({ url: url ?? "postgres://weft@127.0.0.1:1/none", schema })

if (url === undefined) {
  report({ mode: "constructed", layer: Layer.isLayer(EngineLive) })
} else {
  const { state } = await Effect.runPromise(
    Workflow.run(hello, { who: "pg" }).pipe(Effect.provide(EngineLive))
  )
  report({ mode: "ran", greeting: state.greeting })
}

/** Never called: the compiler must refuse these (the entry's types are not `any`). */
export const wrongUses = () => [
  // @ts-expect-error schema is a string
  Pg.layer({ url: "postgres://weft@127.0.0.1/app", schema: 7 })
]
