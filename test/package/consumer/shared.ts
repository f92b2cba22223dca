/**
 * What the consumer programs share: one small template, and how they report
 * (one line of JSON on stdout, which the test reads).
 */
import { Effect, Schema } from "effect"
import { Step, Template } from "weftjs"

export const greet = Step.make({
  name: "greet",
  requires: { who: Schema.String },
  provides: { greeting: Schema.String },
  run: ({ who }) => Effect.succeed({ greeting: `hello ${who}` })
})

export const hello = Template.make({ name: "hello", version: "1", steps: [greet] })

export const report = (value: unknown): void => {
  console.log(JSON.stringify(value))
}
