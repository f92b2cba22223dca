/** `weftjs/http`: the API on a free port, over an in-memory engine; GET /api/templates. */
import { Effect } from "effect"
import { Engine } from "weftjs"
import { Http } from "weftjs/http"
import { hello, report } from "./shared.js"

const program = Effect.gen(function*() {
  const { url } = yield* Http.Server
  const response = yield* Effect.promise(() => fetch(`${url}/api/templates`))
  const body: unknown = yield* Effect.promise(() => response.json())
  return { status: response.status, body }
}).pipe(
  Effect.provide(Http.layer({ templates: [hello], port: 0 })),
  Effect.provide(Engine.layerMemory)
)

report(await Effect.runPromise(program))

/** Never called: the compiler must refuse these (the entry's types are not `any`). */
export const wrongUses = () => [
  // @ts-expect-error port is a number
  Http.layer({ templates: [hello], port: "7070" })
]
