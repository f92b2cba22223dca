/**
 * Durable waits inside control flow: a branch of a `parallel` that waits for
 * a signal suspends the whole run; the signal resumes it, and what the other
 * branch did before the suspension is not done again.
 */
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema } from "effect"
import { Durable, Engine, Flow, Settings, SnapshotStore, Step, Template } from "weftjs"
import { awaitStatusIn } from "./support.js"

const settings = Settings.layerWith({ workflowTimeout: Duration.infinity, maxRetries: 0, stateTtl: Duration.infinity })
const engineWithStore = Layer.provideMerge(Engine.layer, Layer.merge(SnapshotStore.layerMemory, settings))

let quickRuns = 0
const quick = Template.make({ name: "quick", version: "1", steps: [Step.make({
  name: "quick", requires: { n: Schema.Number }, provides: { q: Schema.Number },
  run: ({ n }) => Effect.sync(() => { quickRuns++; return { q: n + 1 } })
})] })
const gated = Template.make({ name: "gated", version: "1", steps: [
  Durable.waitForSignal("go", Schema.Boolean),
  Step.make({ name: "after", requires: { go: Schema.Boolean }, provides: { g: Schema.Boolean }, run: ({ go }) => Effect.succeed({ g: go }) })
] })
const flow = Template.make({ name: "par_wait", version: "1", steps: [Flow.parallel({ name: "par", branches: { quick, gated } })] })

describe("durable waits inside control flow", () => {
  it.scoped("a wait inside a parallel branch suspends the run; the signal resumes it; the other branch is not redone", () =>
    Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const handle = yield* engine.start(flow, { n: 1 }, { runId: "pw" })
      yield* awaitStatusIn(engine, "pw", "suspended")
      yield* engine.signal("pw", "go", true)
      const result = yield* handle.await
      expect(result.state).toMatchObject({ q: 2, g: true })
      expect(quickRuns).toBe(1)
      const trace = (yield* engine.trace("pw")).map((entry) => `${entry.step}:${entry.status}`)
      expect(trace).toContain("par/quick/quick:completed")
      expect(trace).toContain("par/gated/after:completed")
      expect(trace.filter((entry) => entry.startsWith("par/quick/quick"))).toHaveLength(1)
    }).pipe(Effect.provide(engineWithStore)))
})
