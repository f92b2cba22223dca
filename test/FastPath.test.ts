/**
 * The interpreter's fast path: steps whose effect is done at once
 * (`Effect.succeed`) are executed and recorded in one loop, through the
 * store's synchronous `appendStep` (see `internal/store/syncAppend.ts`),
 * with the same records as the effect path, the fencing unchanged (a
 * cancelled run stops at its next checkpoint), and SQLite's synchronous
 * write taken only when no other run could join a batch.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { Context, Duration, Effect, Exit, Layer, Schema } from "effect"
import { Engine, Errors, Settings, SnapshotStore, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { executions, syncOf, withSync } from "../src/internal/store/syncAppend.js"

const settings = Settings.layerWith({ workflowTimeout: Duration.infinity, maxRetries: 0 })

let ran: Array<string> = []
const add = (name: string, then?: () => void) =>
  Step.make({
    name,
    requires: { n: Schema.Number },
    provides: { n: Schema.Number },
    run: ({ n }) => {
      ran.push(name)
      then?.()
      return Effect.succeed({ n: n + 1 })
    }
  })
const chain = Template.make({ name: "fast", version: "1", steps: [add("a"), add("b"), add("c"), add("d")] })

const engineOn = (store: SnapshotStore.Service) =>
  Engine.layer.pipe(Layer.provide(Layer.succeed(SnapshotStore.SnapshotStore, store)), Layer.provide(settings))

/** The records of a run as the trace shows them, without their times. */
const shape = (records: ReadonlyArray<SnapshotStore.StepRecord>) =>
  records.map(({ endedAt: _e, runId: _r, startedAt: _s, ...rest }) => ({
    ...rest,
    delta: { unset: rest.delta.unset, set: Object.fromEntries(Object.entries(rest.delta.set).map(([k, v]) => [k, v.value])) }
  }))

describe("the fast path", () => {
  it.scoped("records each done-at-once step through the store's synchronous form, as the effect path would", () =>
    Effect.gen(function*() {
      // the same store twice: once with a counted synchronous form, once with `appendStep` replaced (no fast path)
      const fast = yield* SnapshotStore.makeMemory
      const sync = syncOf(fast)!
      let synced = 0
      const counted = withSync(
        (...args: Parameters<SnapshotStore.Service["appendStep"]>) => fast.appendStep(...args),
        (...args) => (synced++, sync(...args))
      )
      const slow = yield* SnapshotStore.makeMemory
      const inner = slow.appendStep
      let effects = 0
      const plain: SnapshotStore.Service = { ...slow, appendStep: (...args) => (effects++, inner(...args)) }

      ran = []
      const a = yield* Effect.flatMap(Engine.Engine, (e) => e.run(chain, { n: 0 }, { runId: "r" })).pipe(
        Effect.provide(engineOn({ ...fast, appendStep: counted }))
      )
      expect(ran).toEqual(["a", "b", "c", "d"])
      expect(synced).toBe(4)
      ran = []
      const b = yield* Effect.flatMap(Engine.Engine, (e) => e.run(chain, { n: 0 }, { runId: "r" })).pipe(
        Effect.provide(engineOn(plain))
      )
      expect(ran).toEqual(["a", "b", "c", "d"])
      expect(effects).toBe(4)
      expect(a.state).toEqual({ n: 4 })
      expect(b.state).toEqual({ n: 4 })
      const stored = yield* fast.steps("r")
      expect(stored.map((s) => s.stepKey)).toEqual(["a", "b", "c", "d"])
      expect(shape(stored)).toEqual(shape(yield* slow.steps("r")))
    }))

  it.scoped("a run cancelled during a step stops at that step's checkpoint: nothing after it runs", () =>
    Effect.gen(function*() {
      const store = yield* SnapshotStore.makeMemory
      ran = []
      const cancelling = Template.make({
        name: "cancelled",
        version: "1",
        steps: [add("a"), add("b", () => Effect.runSync(store.cancel("c1", 0, null))), add("c")]
      })
      const exit = yield* Effect.exit(
        Effect.flatMap(Engine.Engine, (e) => e.run(cancelling, { n: 0 }, { runId: "c1" })).pipe(
          Effect.provide(engineOn(store))
        )
      )
      expect(ran).toEqual(["a", "b"])
      expect(Exit.isFailure(exit)).toBe(true)
      const steps = yield* store.steps("c1")
      expect(steps.map((s) => s.stepKey)).toEqual(["a"])
      const run = yield* store.getRun("c1")
      expect(run._tag === "Some" && run.value.status).toBe("cancelled")
    }))
})

describe("SQLite's synchronous checkpoint", () => {
  it.scoped("is written at once only while one run executes, and stays fenced", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "weft-fast-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const store = Context.get(yield* Layer.build(Sqlite.layerStore({ filename: Path.join(dir, "f.db") })), SnapshotStore.SnapshotStore)
      const sync = syncOf(store)!
      expect(sync).toBeDefined()
      const lease = yield* store.createRun({
        runId: "s",
        templateName: "t",
        templateVersion: "1",
        createdAt: 0,
        timeoutMillis: 0,
        parentId: null,
        rootId: "s",
        queue: "default",
        traceContext: null
      }, { entries: {}, createdAt: 0, updatedAt: 0 }, { owner: "me", leaseUntil: Number.MAX_SAFE_INTEGER })
      const step = (seq: number): SnapshotStore.StepRecord => ({
        runId: "s",
        seq,
        stepKey: `k${seq}`,
        stepName: `k${seq}`,
        status: "completed",
        attempts: 1,
        startedAt: 0,
        endedAt: 0,
        delta: { set: {}, unset: [] },
        error: null,
        idempotencyKey: `s:k${seq}`
      })
      const before = executions.count
      try {
        executions.count = 2 // another run executes: its checkpoint could join a batch
        expect(sync(step(1), lease!, undefined, undefined)).toBeUndefined()
        executions.count = 1
        const written = sync(step(1), lease!, undefined, undefined)
        expect(written !== undefined && Exit.isSuccess(written)).toBe(true)
        const stale = sync(step(2), { owner: "me", generation: 7 }, undefined, undefined)
        expect(stale !== undefined && Exit.isFailure(stale)).toBe(true)
        if (stale !== undefined && Exit.isFailure(stale)) {
          expect(stale.cause._tag === "Fail" && stale.cause.error).toBeInstanceOf(Errors.LeaseLost)
        }
      } finally {
        executions.count = before
      }
      expect((yield* store.steps("s")).map((s) => s.seq)).toEqual([1])
    }))
})
