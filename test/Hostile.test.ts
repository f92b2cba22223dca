/**
 * Deep or hostile input — inputs and signal payloads nested 10,000 levels
 * deep, getters that throw, Proxies, malformed run ids, a duplicate run id —
 * always gets a typed error naming what was wrong, never a defect, and
 * nothing is written.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, Schema } from "effect"
import * as fc from "fast-check"
import { Durable, Engine, Errors, Step, Template, Testing } from "weftjs"

const settings = { workflowTimeout: Duration.infinity, maxRetries: 0 }

interface Tree {
  readonly children: ReadonlyArray<Tree>
}
const Tree: Schema.Schema<Tree> = Schema.Struct({ children: Schema.Array(Schema.suspend(() => Tree)) })

const echo = Template.make({
  name: "echo",
  version: "1",
  steps: [
    Step.make({
      name: "echo",
      requires: { v: Schema.Unknown, tree: Schema.optional(Tree) },
      provides: { out: Schema.Unknown },
      run: ({ v }) => Effect.succeed({ out: v })
    }),
    Durable.waitForSignal("go", Schema.Struct({ payload: Schema.Unknown }))
  ]
})

const nested = (depth: number): unknown => {
  let value: unknown = 0
  for (let i = 0; i < depth; i++) value = [value]
  return value
}
const nestedTree = (depth: number): Tree => {
  let tree: Tree = { children: [] }
  for (let i = 0; i < depth; i++) tree = { children: [tree] }
  return tree
}

const throwingGetter = (key = "x") => {
  const o = {}
  Object.defineProperty(o, key, { enumerable: true, get: () => { throw new Error("boom") } })
  return o
}
const hostileProxy = () =>
  new Proxy({}, {
    ownKeys: () => { throw new Error("no keys for you") },
    get: () => { throw new Error("no values either") }
  })

/** Fails with one of the expected tags, never dies. */
const expectTyped = <A>(exit: Exit.Exit<A, unknown>, tags: ReadonlyArray<string>) => {
  if (Exit.isSuccess(exit)) return "succeeded"
  const failure = Cause.failureOption(exit.cause)
  expect(failure._tag, `not a typed failure: ${Cause.pretty(exit.cause)}`).toBe("Some")
  const tag = (failure as { value: { _tag: string } }).value._tag
  expect(tags).toContain(tag)
  return tag
}

describe("hostile input", () => {
  it.effect("inputs nested 10,000 levels, getters that throw and Proxies are InvalidInput; nothing is written", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const cases: ReadonlyArray<readonly [string, unknown]> = [
        ["deep", { v: nested(10_000) }],
        ["deep recursive schema", { v: 1, tree: nestedTree(10_000) }],
        ["throwing getter", { v: throwingGetter() }],
        ["throwing getter at the top", throwingGetter("v")],
        ["proxy", { v: hostileProxy() }],
        ["proxy at the top", hostileProxy()],
        ["not an object", 42],
        ["an array", [1, 2]]
      ]
      for (const [what, input] of cases) {
        const exit = yield* Effect.exit(engine.start(echo, input as never, { runId: what }))
        expect(expectTyped(exit, ["InvalidInput"]), what).toBe("InvalidInput")
        expect((yield* Effect.either(engine.status(what)))._tag, what).toBe("Left")
      }
      expect(yield* engine.list()).toEqual([])
    }).pipe(Effect.provide(Testing.layer(settings))))

  it.effect("signal payloads: deep, throwing or Proxied are InvalidSignalPayload; the run stays suspended", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.start(echo, { v: 1 }, { runId: "s" })
      yield* Testing.awaitStatus("s", "suspended")
      for (const payload of [{ payload: nested(10_000) }, { payload: throwingGetter() }, hostileProxy(), nested(10_000)]) {
        const exit = yield* Effect.exit(engine.signal("s", "go", payload))
        expectTyped(exit, ["InvalidSignalPayload"])
      }
      expect((yield* engine.status("s")).status).toBe("suspended")
      expect(yield* engine.signal("s", "go", { payload: { fine: true } })).toBeUndefined()
      yield* Testing.awaitStatus("s", "completed")
    }).pipe(Effect.provide(Testing.layer(settings))))

  it.effect("run ids are checked: empty, blank, longer than 256, lone surrogates and NUL are InvalidRunId, each naming its reason", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const ids: ReadonlyArray<readonly [string, Errors.InvalidRunId["reason"]]> = [
        ["", "empty"],
        ["x".repeat(257), "too-long"],
        ["a\uD800b", "malformed"],
        ["\uDC00", "malformed"],
        ["nul\u0000", "nul"],
        ["a\u0000\uD800", "nul"],
        [" ", "blank"],
        ["\t\n\u00a0", "blank"]
      ]
      for (const [runId, reason] of ids) {
        const error = yield* Effect.flip(engine.start(echo, { v: 1 }, { runId }))
        expect(error).toBeInstanceOf(Errors.InvalidRunId)
        expect((error as Errors.InvalidRunId).reason).toBe(reason)
      }
      // a well-formed id of 256 characters, with astral characters, is fine
      const fine = "🎉".repeat(128)
      yield* engine.start(echo, { v: 1 }, { runId: fine })
      expect((yield* engine.status(fine)).runId).toBe(fine)
      expect((yield* engine.list()).length).toBe(1)
    }).pipe(Effect.provide(Testing.layer(settings))))

  it.effect("a duplicate run id is a PersistenceError of reason duplicate that says so; the first run is untouched", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      yield* engine.start(echo, { v: 1 }, { runId: "dup" })
      yield* Testing.awaitStatus("dup", "suspended")
      const error = yield* Effect.flip(engine.start(echo, { v: 2 }, { runId: "dup" }))
      expect(error._tag).toBe("PersistenceError")
      expect((error as Errors.PersistenceError).reason).toBe("duplicate")
      expect(error.message).toContain("already exists")
      const view = yield* engine.inspect("dup", echo)
      expect(view.state.v).toBe(1)
    }).pipe(Effect.provide(Testing.layer(settings))))

  it.effect("any input at all: a run, or a typed InvalidInput (property)", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const inputs = fc.sample(
        fc.anything({ withMap: true, withSet: true, withBigInt: true, withDate: true, withNullPrototype: true, withTypedArray: true, maxDepth: 6 }),
        { numRuns: 300, seed: 9 }
      )
      let ran = 0
      for (const [i, input] of inputs.entries()) {
        const exit = yield* Effect.exit(engine.start(echo, { v: input } as never, { runId: `any-${i}` }))
        if (expectTyped(exit, ["InvalidInput"]) === "succeeded") ran++
      }
      expect(ran).toBeGreaterThan(0)
      expect(ran).toBeLessThan(inputs.length)
    }).pipe(Effect.provide(Testing.layer(settings))))
})
