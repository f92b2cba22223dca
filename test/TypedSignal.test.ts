/**
 * Typed signals: `Durable.waitForSignal(name, Schema).send(runId, payload)`
 * encodes the payload with the Schema and calls the untyped
 * `engine.signal(runId, name, encoded)`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Ref, Schema } from "effect"
import { Durable, Engine, Errors, Step, Template, Testing } from "weftjs"

const Decision = Schema.Struct({ approved: Schema.Boolean, by: Schema.String, at: Schema.Date })

/** An Engine whose only working operation is `signal`, recording its arguments. */
const recordingEngine = (calls: Ref.Ref<ReadonlyArray<readonly [string, string, unknown]>>) =>
  Layer.succeed(
    Engine.Engine,
    {
      signal: (runId: string, name: string, payload: unknown) =>
        Ref.update(calls, (all) => [...all, [runId, name, payload] as const])
    } as unknown as Engine.Service
  )

describe("WaitForSignal.send", () => {
  it.effect("encodes the payload with the Schema and sends it under the signal's name", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make<ReadonlyArray<readonly [string, string, unknown]>>([])
      const approval = Durable.waitForSignal("approval", Decision, { key: "decision" })
      yield* approval.send("run-1", { approved: true, by: "dana", at: new Date(0) }).pipe(
        Effect.provide(recordingEngine(calls))
      )
      expect(yield* Ref.get(calls)).toEqual([
        ["run-1", "approval", { approved: true, by: "dana", at: "1970-01-01T00:00:00.000Z" }]
      ])
    }))

  it.effect("a payload the Schema cannot encode is InvalidSignalPayload naming the path; nothing is sent", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make<ReadonlyArray<readonly [string, string, unknown]>>([])
      const amount = Durable.waitForSignal("amount", Schema.Struct({ value: Schema.Number.pipe(Schema.positive()) }))
      const error = yield* Effect.flip(amount.send("run-2", { value: -1 }).pipe(Effect.provide(recordingEngine(calls))))
      expect(error).toBeInstanceOf(Errors.InvalidSignalPayload)
      expect(error._tag === "InvalidSignalPayload" && error.signal).toBe("amount")
      expect(error._tag === "InvalidSignalPayload" && error.runId).toBe("run-2")
      expect(error._tag === "InvalidSignalPayload" && error.issues.map((issue) => issue.path)).toEqual([["value"]])
      expect(yield* Ref.get(calls)).toEqual([])
    }))

  it.effect("resumes a suspended run through the engine, the payload landing typed in the state", () =>
    Effect.gen(function*() {
      const approval = Durable.waitForSignal("approval", Decision)
      const template = Template.make({
        name: "typed_signal",
        version: "1",
        steps: [
          approval,
          Step.make({
            name: "act",
            requires: { approval: Decision },
            provides: { done: Schema.String },
            run: ({ approval }) => Effect.succeed({ done: `${approval.by} at ${approval.at.toISOString()}` })
          })
        ]
      })
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(template, {}, { runId: "typed" })
      yield* Testing.awaitStatus("typed", "suspended")
      yield* approval.send("typed", { approved: true, by: "dana", at: new Date(86_400_000) })
      const result = yield* handle.await
      expect(result.state.done).toBe("dana at 1970-01-02T00:00:00.000Z")
      expect(result.state.approval.at).toEqual(new Date(86_400_000))
    }).pipe(Effect.provide(Testing.layer())))

  it.effect("sending to an unknown run fails with the engine's typed error", () =>
    Effect.gen(function*() {
      const approval = Durable.waitForSignal("approval", Decision)
      const error = yield* Effect.flip(approval.send("nobody", { approved: false, by: "x", at: new Date(0) }))
      expect(error._tag).toBe("RunNotFound")
    }).pipe(Effect.provide(Testing.layer())))
})
