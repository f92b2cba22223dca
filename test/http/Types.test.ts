/**
 * What the compiler checks of the HTTP entry (this file is type-checked with
 * the project: `tsc --noEmit`): the server layer asks for the services its
 * templates need, and the typed client refuses requests the API would.
 */
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, type Layer, Schema } from "effect"
import { expectTypeOf } from "vitest"
import { type Engine, Step, Template } from "weftjs"
import { Http } from "weftjs/http"
import type { Client } from "./fixtures.js"

class Mailer extends Context.Tag("test/Mailer")<Mailer, { readonly send: (to: string) => Effect.Effect<void> }>() {}

const notify = Step.make({
  name: "notify",
  requires: { to: Schema.String },
  provides: { sent: Schema.Boolean },
  run: ({ to }) => Effect.as(Effect.flatMap(Mailer, (mailer) => mailer.send(to)), { sent: true })
})

const mailing = Template.make({ name: "mailing", version: "1", steps: [notify] })

const typed = Http.layer({ templates: [mailing] })
const erased = Http.layer({ templates: [mailing as Template.Template.Any] })
const none = Http.layer()

/** Requests the typed client refuses at compile time (never called). */
export const refused = (client: Client) => [
  client.runs.list({ urlParams: { status: "completed", limit: 10 } }),
  // @ts-expect-error a status is one of the run statuses
  client.runs.list({ urlParams: { status: "sleeping" } }),
  client.runs.start({ payload: { template: "hello", input: {} } }),
  // @ts-expect-error a run is started with a template's name
  client.runs.start({ payload: { input: {} } }),
  client.runs.signal({ path: { runId: "r", signal: "approval" }, payload: { approved: true } }),
  // @ts-expect-error a signal names its run
  client.runs.signal({ path: { signal: "approval" }, payload: {} })
]

describe("the types of weftjs/http", () => {
  it("the server layer needs the engine and the services its templates need", () => {
    expectTypeOf<Layer.Layer.Context<typeof typed>>().toEqualTypeOf<Engine.Engine | Mailer>()
    expectTypeOf<Layer.Layer.Context<typeof none>>().toEqualTypeOf<Engine.Engine>()
    // a template whose type was erased tells no services: they are provided all the same
    expectTypeOf<Layer.Layer.Context<typeof erased>>().toEqualTypeOf<Engine.Engine>()
    expectTypeOf<Layer.Layer.Success<typeof typed>>().toEqualTypeOf<Http.Server>()
    expect(typeof refused).toBe("function")
  })
})
