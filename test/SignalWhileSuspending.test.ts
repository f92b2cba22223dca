/**
 * A signal that arrives while its run is suspending (after the wait found
 * no signal, before the suspension is recorded) wakes the run at once: the
 * engine claims it again as its execution ends, and the new execution must
 * start although the ending one is still winding down (regression: the run
 * stayed `running`, claimed and leased, with nothing executing it). The
 * store here is the in-memory one, where recording a suspension first
 * records the signal, as another process would in that window.
 */
import { expect, it } from "@effect/vitest"
import { Duration, Effect, Layer, Schema } from "effect"
import { Durable, SnapshotStore, Step, Template } from "weftjs"
import { engineProcess } from "./support.js"

const Go = Schema.Struct({ n: Schema.Number })

const flow = Template.make({
  name: "signal_while_suspending",
  version: "1",
  steps: [
    Durable.waitForSignal("go", Go),
    Step.make({
      name: "after",
      requires: { go: Go },
      provides: { total: Schema.Number },
      run: ({ go }) => Effect.succeed({ total: go.n + 1 })
    })
  ]
})

/** The memory store, where the first suspension of a run records its signal just before it is recorded itself. */
const racingStore = Effect.gen(function*() {
  const inner = yield* SnapshotStore.makeMemory
  let raced = 0
  const store: SnapshotStore.Service = {
    ...inner,
    pause: (runId, lease, pause, at) =>
      pause._tag === "Suspend" && raced++ === 0
        ? Effect.zipRight(
          inner.recordSignal({ runId, name: "go", payload: { n: 41 }, receivedAt: at.updatedAt }),
          inner.pause(runId, lease, pause, at)
        )
        : inner.pause(runId, lease, pause, at)
  }
  return { store, raced: () => raced }
})

it.scopedLive("a signal recorded while its run suspends wakes the run, which completes", () =>
  Effect.gen(function*() {
    const { raced, store } = yield* racingStore
    const { engine } = yield* engineProcess(Layer.succeed(SnapshotStore.SnapshotStore, store), {
      workflowTimeout: Duration.infinity
    })
    const handle = yield* engine.start(flow, {}, { runId: "raced" })
    const outcome = yield* handle.await.pipe(Effect.timeout("5 seconds"))
    expect(outcome.state.total).toBe(42)
    expect(raced()).toBe(1)
    const record = yield* engine.status("raced")
    expect([record.status, record.owner]).toEqual(["completed", null])
  }))
