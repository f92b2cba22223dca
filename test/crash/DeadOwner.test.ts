/**
 * A dead process's runs are taken up at once by the recovery poller of
 * another process on the same machine (issue 18, item 4): its owner id
 * names its pid, which no longer exists, so its runs are orphaned then and
 * there, not when its lease (30 s by default) passes. A child process runs
 * the crash flow on a SQLite file and is SIGKILLed in its second step; an
 * engine in this process, polling every 250 ms with the default lease,
 * takes the run up; the time from the kill to the run executing here is
 * printed (the README's figure).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { Duration, Effect, Fiber, Layer, Stream } from "effect"
import { Engine, Settings } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { expectedState, makeFlow } from "./flow.js"
import { runChild } from "./harness.js"

const dir = mkdtempSync(join(tmpdir(), "weft-dead-owner-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const child = resolve(__dirname, "child.ts")

describe("a dead process's run (issue 18.4)", () => {
  it("is taken up by another process's recovery within a poll interval, not when its lease passes", async () => {
    const database = join(dir, "dead.db")
    const log = join(dir, "dead.log")
    writeFileSync(log, "")
    const crashed = await runChild(child, [database, log, "dead-1", "start", "200"], { afterSteps: 2, delayMs: 50 })
    const killedAt = Date.now()
    expect(crashed.signal).toBe("SIGKILL")

    const settings = Settings.layerWith({
      pollInterval: Duration.millis(250),
      retryDelay: Duration.millis(10),
      workflowTimeout: Duration.infinity
    })
    const program = Effect.gen(function*() {
      const engine = yield* Engine.Engine
      const events = yield* engine.subscribe
      const resumed = yield* Effect.fork(
        Stream.runHead(Stream.filter(events, (event) => event._tag === "RunResumed" && event.runId === "dead-1"))
      )
      const flow = makeFlow(log)
      const lease = (yield* engine.status("dead-1")).leaseUntil!
      yield* engine.register(flow)
      yield* Fiber.join(resumed).pipe(
        Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("not taken up within 10 s") })
      )
      const takenAt = Date.now()
      const result = yield* engine.await(flow, "dead-1")
      return { takenAfter: takenAt - killedAt, leaseLeft: lease - killedAt, state: result.state }
    }).pipe(Effect.scoped, Effect.provide(Sqlite.layer({ filename: database }).pipe(Layer.provide(settings))))
    const { leaseLeft, state, takenAfter } = await Effect.runPromise(program)
    console.log(`SIGKILL -> executing in another process (SQLite, poll 250 ms): ${takenAfter} ms; lease left: ${leaseLeft} ms`)
    expect(leaseLeft).toBeGreaterThan(20_000)
    expect(takenAfter).toBeLessThan(5_000)
    expect(state).toEqual(expectedState(1))
  }, 60_000)
})
