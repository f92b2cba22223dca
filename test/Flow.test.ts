import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Layer, Option, Ref, Schedule, Schema, TestClock } from "effect"
import {
  composeWorkflow,
  Engine,
  Errors,
  Flow,
  Settings,
  SnapshotStore,
  Step,
  Template,
  Testing,
  Workflow
} from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { tempFile } from "./support.js"

/** An engine and the in-memory store under it, both reachable from the test. */
const engineWithStore = Layer.provideMerge(Engine.layer, Layer.merge(SnapshotStore.layerMemory, Settings.layerWith({})))

/** A one-step template writing `{ [key]: value }`. */
const writes = <const K extends string>(name: string, key: K, value: string) =>
  Template.make({
    name,
    version: "1",
    steps: [Step.make({
      name: "write",
      requires: {},
      provides: { [key]: Schema.String } as { readonly [P in K]: typeof Schema.String },
      run: () => Effect.succeed({ [key]: value } as never)
    })]
  })

const report = Template.make({
  name: "report",
  version: "1",
  steps: [Step.make({
    name: "report",
    requires: { action: Schema.String },
    provides: { report: Schema.String },
    run: ({ action }) => Effect.succeed({ report: `did ${action}` })
  })]
})

describe("Flow.branch", () => {
  const route = Flow.branch({
    name: "route",
    requires: { healthy: Schema.Boolean },
    when: ({ healthy }) => !healthy,
    then: writes("fix", "action", "restart"),
    else: writes("keep", "action", "nothing")
  })
  const flow = Template.make({ name: "flow", version: "1", steps: [route, report] })

  it.effect("runs the arm the predicate picks; later steps read what both arms provide; the trace shows the arm", () =>
    Effect.gen(function*() {
      const sick = yield* Testing.runTemplate(flow, { healthy: false })
      expect(sick.state).toEqual({ healthy: false, action: "restart", report: "did restart" })
      expect(sick.trace.map((e) => [e.step, e.name])).toEqual([
        ["route/then", "route"],
        ["route/then/write", "write"],
        ["report/report", "report"]
      ])
      const well = yield* Testing.runTemplate(flow, { healthy: true })
      expect(well.state.report).toBe("did nothing")
      expect(well.trace.map((e) => e.step)).toEqual(["route/else", "route/else/write", "report/report"])
    }))

  it.effect("without an else arm, nothing runs when the predicate fails, and the choice is recorded", () =>
    Effect.gen(function*() {
      const maybe = Template.make({
        name: "maybe",
        version: "1",
        steps: [Flow.branch({
          name: "maybe",
          requires: { n: Schema.Number },
          when: ({ n }) => n > 10,
          then: writes("big", "size", "big")
        })]
      })
      const small = yield* Testing.runTemplate(maybe, { n: 1 })
      expect(small.state).toEqual({ n: 1 })
      expect(small.trace.map((e) => e.step)).toEqual(["maybe/else"])
      const big = yield* Testing.runTemplate(maybe, { n: 11 })
      expect(big.state).toEqual({ n: 11, size: "big" })
    }))

  it.effect("the predicate's keys are outside requirements: input without them is rejected before anything runs", () =>
    Effect.gen(function*() {
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [writes("w", "other", "x"), route]
      })
      expect(t.requiredState).toEqual(["healthy"])
      const error = yield* Effect.flip(Testing.runTemplate(t, {} as never))
      expect(error._tag).toBe("InvalidInput")
      expect((error as Errors.InvalidInput).keys).toEqual(["healthy"])
    }))

  it.effect("a resumed run takes the recorded arm, without asking the predicate again", () =>
    Effect.gen(function*() {
      const asked = yield* Ref.make(0)
      const reached = yield* Deferred.make<void>()
      const first = yield* Ref.make(true)
      const arm = (name: string) =>
        Template.make({
          name,
          version: "1",
          steps: [Step.make({
            name: "work",
            requires: {},
            provides: { arm: Schema.String },
            run: () =>
              Effect.gen(function*() {
                if (yield* Ref.getAndSet(first, false)) {
                  yield* Deferred.succeed(reached, undefined)
                  yield* Effect.never
                }
                return { arm: name }
              })
          })]
        })
      const t = Template.make({
        name: "fickle",
        version: "1",
        steps: [Flow.branch({
          name: "pick",
          requires: {},
          // answers differently each time it is asked
          when: () => Effect.runSync(Ref.getAndUpdate(asked, (n) => n + 1)) % 2 === 0,
          then: arm("first"),
          else: arm("second")
        })]
      })
      const fiber = yield* Effect.fork(Workflow.run(t, {}, { runId: "b" }))
      yield* Deferred.await(reached)
      yield* Fiber.interrupt(fiber)
      const result = yield* Workflow.resume(t, "b")
      expect(result.state).toEqual({ arm: "first" })
      expect(yield* Ref.get(asked)).toBe(1)
      expect(result.trace.map((e) => e.step)).toEqual(["pick/then", "pick/then/work"])
    }).pipe(Effect.provide(engineWithStore)))
})

describe("Flow.match", () => {
  it.effect("runs the arm whose label the selector returns", () =>
    Effect.gen(function*() {
      const triage = Flow.match({
        name: "triage",
        requires: { severity: Schema.Literal("low", "high", "critical") },
        select: ({ severity }) => severity === "low" ? "queue" : severity === "high" ? "page" : "escalate",
        arms: {
          queue: writes("queue", "action", "queued"),
          page: writes("page", "action", "paged"),
          escalate: writes("escalate", "action", "escalated")
        }
      })
      const t = Template.make({ name: "t", version: "1", steps: [triage, report] })
      const result = yield* Testing.runTemplate(t, { severity: "critical" })
      expect(result.state.report).toBe("did escalated")
      expect(result.trace[0]).toMatchObject({ step: "triage/escalate", name: "triage", status: "completed" })
    }))
})

// ---------------------------------------------------------------------------
// loop
// ---------------------------------------------------------------------------

/** Steps that increment `count` and record each run. */
const countingSteps = (log: Ref.Ref<ReadonlyArray<string>>) =>
  [
    Step.make({
        name: "read",
        requires: { count: Schema.Number },
        provides: { seen: Schema.Number },
        run: ({ count }, ctx) => Effect.as(Ref.update(log, (l) => [...l, ctx.stepKey]), { seen: count })
      }),
      Step.make({
        name: "bump",
        requires: { seen: Schema.Number },
        provides: { count: Schema.Number },
        run: ({ seen }, ctx) => Effect.as(Ref.update(log, (l) => [...l, ctx.stepKey]), { count: seen + 1 })
      })
  ] as const

/** A body that increments `count` and records each run of its steps. */
const counting = (log: Ref.Ref<ReadonlyArray<string>>) =>
  Template.make({ name: "count", version: "1", steps: [...countingSteps(log)] })

describe("Flow.loop", () => {
  it.effect("repeats the body while the predicate holds, each iteration under its own keys", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.loop({
          name: "up",
          requires: { count: Schema.Number },
          while: ({ count }) => count < 3,
          body: counting(log),
          maxIterations: 5
        })]
      })
      const result = yield* Testing.runTemplate(t, { count: 0 })
      expect(result.state.count).toBe(3)
      expect(yield* Ref.get(log)).toEqual(["up/1/read", "up/1/bump", "up/2/read", "up/2/bump", "up/3/read", "up/3/bump"])
      expect(result.trace.map((e) => e.step)).toEqual(yield* Ref.get(log))
      // the predicate is checked first: no iteration at all when it does not hold
      yield* Ref.set(log, [])
      const none = yield* Testing.runTemplate(t, { count: 7 })
      expect(none.state).toEqual({ count: 7 })
      expect(yield* Ref.get(log)).toEqual([])
    }))

  it.effect("check: \"after\" runs the body once before testing the predicate on what it wrote", () =>
    Effect.gen(function*() {
      const polls = yield* Ref.make(0)
      const probe = Template.make({
        name: "probe",
        version: "1",
        steps: [Step.make({
          name: "probe",
          requires: { deviceId: Schema.String },
          provides: { ready: Schema.Boolean },
          run: () => Effect.map(Ref.updateAndGet(polls, (n) => n + 1), (n) => ({ ready: n >= 4 }))
        })]
      })
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.loop({
          name: "wait",
          requires: { ready: Schema.Boolean },
          while: ({ ready }) => !ready,
          check: "after",
          body: probe,
          maxIterations: 10
        })]
      })
      const result = yield* Testing.runTemplate(t, { deviceId: "d" })
      expect(result.state).toEqual({ deviceId: "d", ready: true })
      expect(yield* Ref.get(polls)).toBe(4)
    }))

  it.effect("going past maxIterations is a typed LoopLimitExceeded naming the loop and the limit", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const outer = Template.make({
        name: "outer",
        version: "1",
        steps: [Flow.loop({
          name: "forever",
          requires: {},
          while: () => true,
          body: counting(log),
          maxIterations: 2
        })]
      })
      const t = composeWorkflow(outer)
      const error = yield* Effect.flip(Testing.runTemplate(t, { count: 0 }))
      expect(error).toBeInstanceOf(Errors.LoopLimitExceeded)
      expect(error).toMatchObject({ loop: "outer/forever", maxIterations: 2 })
      expect(error.message).toBe("Loop \"outer/forever\" still had to go on after its maximum of 2 iteration(s)")
      expect((yield* Ref.get(log)).length).toBe(4)
    }))

  it.effect("a run interrupted mid-loop resumes in the iteration it was in, without re-running completed steps", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const reached = yield* Deferred.make<void>()
      const crashed = yield* Ref.make(false)
      const body = Template.make({
        name: "body",
        version: "1",
        steps: [
          ...countingSteps(log),
          Step.make({
            name: "slow",
            requires: { count: Schema.Number },
            provides: { last: Schema.Number },
            run: ({ count }, ctx) =>
              Effect.gen(function*() {
                yield* Ref.update(log, (l) => [...l, ctx.stepKey])
                if (count === 2 && !(yield* Ref.getAndSet(crashed, true))) {
                  yield* Deferred.succeed(reached, undefined)
                  yield* Effect.never
                }
                return { last: count }
              })
          })
        ]
      })
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.loop({
          name: "up",
          requires: { count: Schema.Number },
          while: ({ count }) => count < 3,
          body,
          maxIterations: 5
        })]
      })
      const fiber = yield* Effect.fork(Workflow.run(t, { count: 0 }, { runId: "l" }))
      yield* Deferred.await(reached)
      yield* Fiber.interrupt(fiber)
      expect(yield* Ref.get(log)).toEqual([
        "up/1/read",
        "up/1/bump",
        "up/1/slow",
        "up/2/read",
        "up/2/bump",
        "up/2/slow"
      ])
      yield* Ref.set(log, [])
      const result = yield* Workflow.resume(t, "l")
      expect(result.state).toEqual({ count: 3, seen: 2, last: 3 })
      // iteration 2 goes on at its in-flight step; iteration 1 is not touched
      expect(yield* Ref.get(log)).toEqual(["up/2/slow", "up/3/read", "up/3/bump", "up/3/slow"])
      const store = yield* SnapshotStore.SnapshotStore
      const records = yield* store.steps("l")
      expect(records.filter((r) => r.stepName === "~iter").map((r) => r.stepKey)).toEqual([
        "up/~iter/1",
        "up/~iter/2",
        "up/~iter/3"
      ])
    }).pipe(Effect.provide(engineWithStore)))
})

// ---------------------------------------------------------------------------
// forEach
// ---------------------------------------------------------------------------

/**
 * A body that writes the element to `scratch`, sleeps (longer for earlier
 * elements), then reads `scratch` back: if elements shared one state, a
 * later element's write would show up in an earlier one's result.
 */
const isolatedBody = (active: Ref.Ref<number>, peak: Ref.Ref<number>, log: Ref.Ref<ReadonlyArray<string>>) =>
  Template.make({
    name: "body",
    version: "1",
    steps: [
      Step.make({
        name: "stash",
        requires: { word: Schema.String },
        provides: { scratch: Schema.String },
        run: ({ word }, ctx) => Effect.as(Ref.update(log, (l) => [...l, ctx.stepKey]), { scratch: word })
      }),
      Step.make({
        name: "shout",
        requires: { scratch: Schema.String, word: Schema.String },
        provides: { loud: Schema.String },
        run: ({ scratch, word }, ctx) =>
          Effect.gen(function*() {
            yield* Ref.update(log, (l) => [...l, ctx.stepKey])
            const now = yield* Ref.updateAndGet(active, (n) => n + 1)
            yield* Ref.update(peak, (p) => Math.max(p, now))
            yield* Effect.sleep(`${10 - word.length} seconds`)
            yield* Ref.update(active, (n) => n - 1)
            return { loud: `${scratch.toUpperCase()}!` }
          })
      })
    ]
  })

describe("Flow.forEach", () => {
  it.effect("runs the body per element with a concurrency limit, on isolated views, collecting results in input order", () =>
    Effect.gen(function*() {
      const active = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.forEach({
          name: "each",
          over: "words",
          as: "word",
          body: isolatedBody(active, peak, log),
          collect: "loud",
          into: "shouts",
          concurrency: 2
        })]
      })
      const words = ["a", "bb", "ccc", "dddd", "eeeee"]
      const result = yield* Testing.runTemplate(t, { words })
      expect(result.state).toEqual({ words, shouts: ["A!", "BB!", "CCC!", "DDDD!", "EEEEE!"] })
      expect(yield* Ref.get(peak)).toBe(2)
      expect(result.trace.map((e) => e.step)).toContain("each/4/shout")
      // nothing the body wrote besides the collected key is left in the state
      expect(Object.keys(result.state).sort()).toEqual(["shouts", "words"])
    }))

  it.effect("an empty list gives an empty result", () =>
    Effect.gen(function*() {
      const active = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.forEach({
          name: "each",
          over: "words",
          as: "word",
          body: isolatedBody(active, peak, log),
          collect: "loud",
          into: "shouts"
        })]
      })
      const result = yield* Testing.runTemplate(t, { words: [] })
      expect(result.state.shouts).toEqual([])
    }))

  const forEachResume = <E = never, R = never>(padding: number, beforeResume: Effect.Effect<void, E, R> = Effect.void) =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const threeDone = yield* Deferred.make<void>()
      const crashed = yield* Ref.make(false)
      const body = Template.make({
        name: "body",
        version: "1",
        steps: [
          Step.make({
            name: "parse",
            requires: { doc: Schema.Struct({ id: Schema.Number, text: Schema.String }) },
            provides: { words: Schema.Number, blob: Schema.String },
            run: ({ doc }, ctx) =>
              Effect.as(Ref.update(log, (l) => [...l, ctx.stepKey]), {
                words: doc.text.split(" ").length,
                blob: "x".repeat(padding)
              })
          }),
          Step.make({
            name: "score",
            requires: { words: Schema.Number, doc: Schema.Struct({ id: Schema.Number, text: Schema.String }) },
            provides: { score: Schema.Number },
            run: ({ doc, words }, ctx) =>
              Effect.gen(function*() {
                yield* Ref.update(log, (l) => [...l, ctx.stepKey])
                // element 3 hangs the first time, once elements 0-2 are done
                if (doc.id === 3 && !(yield* Ref.getAndSet(crashed, true))) {
                  yield* Deferred.succeed(threeDone, undefined)
                  yield* Effect.never
                }
                return { score: doc.id * 100 + words }
              })
          })
        ]
      })
      const t = Template.make({
        name: "docs",
        version: "1",
        steps: [Flow.forEach({
          name: "each",
          over: "docs",
          as: "doc",
          body,
          collect: "score",
          into: "scores",
          concurrency: 1
        })]
      })
      const docs = [0, 1, 2, 3, 4].map((id) => ({ id, text: "w ".repeat(id + 1).trim() }))
      const fiber = yield* Effect.fork(Workflow.run(t, { docs }, { runId: "fe" }))
      yield* Deferred.await(threeDone)
      yield* Fiber.interrupt(fiber)
      yield* beforeResume
      yield* Ref.set(log, [])
      const result = yield* Workflow.resume(t, "fe")
      expect(result.state).toEqual({ docs, scores: [1, 102, 203, 304, 405] })
      // elements 0-2 are not redone; element 3 goes on at its in-flight step
      expect(yield* Ref.get(log)).toEqual(["each/3/score", "each/4/parse", "each/4/score"])
      const engine = yield* Engine.Engine
      const trace = yield* engine.trace("fe")
      expect(trace.filter((e) => e.step.startsWith("each/0/")).map((e) => e.step)).toEqual(["each/0/parse", "each/0/score"])
      return result
    })

  it.effect("a resumed run does not redo completed elements (in-memory store)", () =>
    Effect.asVoid(forEachResume(10).pipe(Effect.provide(engineWithStore))))

  const onSqlite = <A, E>(effect: Effect.Effect<A, E, Engine.Engine | SnapshotStore.SnapshotStore>) =>
    Effect.scoped(Effect.flatMap(tempFile, (filename) =>
      effect.pipe(
        Effect.provide(
          Layer.provideMerge(Engine.layer, Layer.merge(Sqlite.layerStore({ filename }), Settings.layerWith({})))
            .pipe(Layer.orDie)
        )
      )))

  it.effect("a resumed run does not redo completed elements (SQLite store)", () =>
    Effect.asVoid(onSqlite(forEachResume(10))))

  it.effect("elements' pending writes survive in full snapshots taken mid-forEach (SQLite store)", () =>
    onSqlite(Effect.gen(function*() {
      const store = yield* SnapshotStore.SnapshotStore
      // ~30 KB per element: a full snapshot is written while elements are in flight
      const snapshotMidForEach = Effect.gen(function*() {
        const loaded = Option.getOrThrow(yield* store.load("fe"))
        expect(loaded.snapshotSeq).toBeGreaterThan(0)
        const viewKeys = Object.keys(loaded.snapshot.entries).filter((k) => k.startsWith("~view/each/"))
        expect(viewKeys).toContain("~view/each/0//score")
        expect(viewKeys).toContain("~view/each/0//blob")
      })
      yield* forEachResume(30_000, snapshotMidForEach)
      const records = yield* store.steps("fe")
      // the view keys were dropped when the forEach ended
      const last = records[records.length - 1]!
      expect(last.stepKey).toBe("each/~merge")
      // 5 elements, 3 keys each (words, blob, score)
      expect(last.delta.unset.filter((k) => k.startsWith("~view/each/")).length).toBe(15)
    })))
})

// ---------------------------------------------------------------------------
// parallel
// ---------------------------------------------------------------------------

const lookup = <const K extends string>(name: string, key: K, value: number, delay: number) =>
  Template.make({
    name,
    version: "1",
    steps: [Step.make({
      name: "lookup",
      requires: { customerId: Schema.String },
      provides: { [key]: Schema.Number } as { readonly [P in K]: typeof Schema.Number },
      run: () => Effect.as(Effect.sleep(`${delay} seconds`), { [key]: value } as never)
    })]
  })

describe("Flow.parallel", () => {
  it.effect("runs every branch and provides every key they write", () =>
    Effect.gen(function*() {
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.parallel({
          name: "enrich",
          branches: { credit: lookup("credit", "creditScore", 700, 3), fraud: lookup("fraud", "fraudScore", 2, 1) }
        })]
      })
      const result = yield* Testing.runTemplate(t, { customerId: "c" })
      expect(result.state).toEqual({ customerId: "c", creditScore: 700, fraudScore: 2 })
      expect(result.trace.map((e) => e.step)).toEqual(["enrich/fraud/lookup", "enrich/credit/lookup"])
    }))

  it.effect("runs at most `concurrency` branches at once", () =>
    Effect.gen(function*() {
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.parallel({
          name: "enrich",
          concurrency: 1,
          branches: { credit: lookup("credit", "creditScore", 700, 3), fraud: lookup("fraud", "fraudScore", 2, 1) }
        })]
      })
      const start = yield* TestClock.currentTimeMillis
      const result = yield* Testing.runTemplate(t, { customerId: "c" })
      // one after the other: 3 s then 1 s
      expect(result.updatedAt.getTime() - start).toBe(4000)
      expect(result.trace.map((e) => e.step)).toEqual(["enrich/credit/lookup", "enrich/fraud/lookup"])
    }))

  it.effect("a key two branches write is merged by its merge function, values in declaration order", () =>
    Effect.gen(function*() {
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.parallel({
          name: "vote",
          branches: {
            a: lookup("a", "score", 1, 2),
            b: lookup("b", "score", 20, 1),
            c: lookup("c", "score", 300, 3)
          },
          merge: { score: (values) => values.reduce((x, y) => x * 1000 + y, 0) }
        })]
      })
      const result = yield* Testing.runTemplate(t, { customerId: "c" })
      expect(result.state.score).toBe(1_020_300)
    }))

  it.effect("mode \"first\" keeps the first branch to succeed and interrupts the others", () =>
    Effect.gen(function*() {
      const interrupted = yield* Ref.make<ReadonlyArray<string>>([])
      const racer = (name: string, delay: number, fail: boolean) =>
        Template.make({
          name,
          version: "1",
          steps: [Step.make({
            name: "answer",
            requires: {},
            provides: { answer: Schema.String },
            retry: Schedule.stop,
            run: () =>
              Effect.sleep(`${delay} seconds`).pipe(
                Effect.zipRight(fail ? Effect.fail("down" as const) : Effect.succeed({ answer: name })),
                Effect.onInterrupt(() => Ref.update(interrupted, (l) => [...l, name]))
              )
          })]
        })
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.parallel({
          name: "race",
          mode: "first",
          branches: { broken: racer("broken", 1, true), slow: racer("slow", 50, false), fast: racer("fast", 30, false) }
        })]
      })
      const result = yield* Testing.runTemplate(t, {})
      expect(result.state).toEqual({ answer: "fast" })
      expect(yield* Ref.get(interrupted)).toEqual(["slow"])
      expect(result.trace.map((e) => [e.step, e.status])).toEqual([
        ["race/broken/answer", "failed"],
        ["race/fast/answer", "completed"],
        ["race/fast", "completed"]
      ])
    }))

  it.effect("branches do not see each other's writes", () =>
    Effect.gen(function*() {
      const writer = Template.make({
        name: "writer",
        version: "1",
        steps: [Step.make({
          name: "write",
          requires: {},
          provides: { note: Schema.String },
          run: () => Effect.succeed({ note: "from writer" })
        })]
      })
      const reader = Template.make({
        name: "reader",
        version: "1",
        steps: [Step.make({
          name: "read",
          requires: { note: Schema.String },
          provides: { heard: Schema.String },
          run: ({ note }) => Effect.as(Effect.sleep("1 second"), { heard: note })
        })]
      })
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.parallel({
          name: "p",
          branches: { writer, reader },
          merge: {}
        })]
      })
      const result = yield* Testing.runTemplate(t, { note: "from input" })
      expect(result.state).toEqual({ note: "from writer", heard: "from input" })
    }))
})

describe("resuming parallel and nested control flow", () => {
  it.effect("a resumed parallel run does not redo the branches (or steps) that completed", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const reached = yield* Deferred.make<void>()
      const crashed = yield* Ref.make(false)
      const logged = (ctx: Step.Context) => Ref.update(log, (l) => [...l, ctx.stepKey])
      const fast = Template.make({
        name: "fast",
        version: "1",
        steps: [Step.make({
          name: "go",
          requires: { n: Schema.Number },
          provides: { a: Schema.Number },
          run: ({ n }, ctx) => Effect.as(logged(ctx), { a: n + 1 })
        })]
      })
      const slow = Template.make({
        name: "slow",
        version: "1",
        steps: [
          Step.make({
            name: "first",
            requires: { n: Schema.Number },
            provides: { half: Schema.Number },
            run: ({ n }, ctx) => Effect.as(logged(ctx), { half: n / 2 })
          }),
          Step.make({
            name: "second",
            requires: { half: Schema.Number },
            provides: { b: Schema.Number },
            run: ({ half }, ctx) =>
              Effect.gen(function*() {
                yield* logged(ctx)
                if (!(yield* Ref.getAndSet(crashed, true))) {
                  yield* Deferred.succeed(reached, undefined)
                  yield* Effect.never
                }
                return { b: half * 10 }
              })
          })
        ]
      })
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.parallel({ name: "par", branches: { fast, slow } })]
      })
      const fiber = yield* Effect.fork(Workflow.run(t, { n: 4 }, { runId: "p" }))
      yield* Deferred.await(reached)
      yield* Fiber.interrupt(fiber)
      yield* Ref.set(log, [])
      const result = yield* Workflow.resume(t, "p")
      // every key a branch provides is merged (`half` too: the slow template does not declare it local)
      expect(result.state).toEqual({ n: 4, a: 5, half: 2, b: 20 })
      expect(yield* Ref.get(log)).toEqual(["par/slow/second"])
    }).pipe(Effect.provide(engineWithStore)))

  it.effect("a forEach whose body loops and branches, inside a parallel branch, resumes where it was", () =>
    Effect.gen(function*() {
      const log = yield* Ref.make<ReadonlyArray<string>>([])
      const reached = yield* Deferred.make<void>()
      const crashed = yield* Ref.make(false)
      // per element: halve `k` until it is below 2 (a loop), then label it by parity (a branch)
      const halve = Template.make({
        name: "halve",
        version: "1",
        steps: [Step.make({
          name: "halve",
          requires: { k: Schema.Number },
          provides: { k: Schema.Number },
          run: ({ k }, ctx) =>
            Effect.gen(function*() {
              yield* Ref.update(log, (l) => [...l, ctx.stepKey])
              if (ctx.stepKey === "work/items/each/2/down/2/halve" && !(yield* Ref.getAndSet(crashed, true))) {
                yield* Deferred.succeed(reached, undefined)
                yield* Effect.never
              }
              return { k: Math.floor(k / 2) }
            })
        })]
      })
      const label = (name: string) =>
        Template.make({
          name,
          version: "1",
          steps: [Step.make({
            name: "label",
            requires: { k: Schema.Number },
            provides: { label: Schema.String },
            run: ({ k }) => Effect.succeed({ label: `${name}:${k}` })
          })]
        })
      const perItem = Template.make({
        name: "per_item",
        version: "1",
        steps: [
          Flow.loop({
            name: "down",
            requires: { k: Schema.Number },
            while: ({ k }) => k >= 2,
            body: halve,
            maxIterations: 10
          }),
          Flow.branch({
            name: "parity",
            requires: { k: Schema.Number },
            when: ({ k }) => k === 0,
            then: label("zero"),
            else: label("one")
          })
        ]
      })
      const items = Template.make({
        name: "items",
        version: "1",
        steps: [Flow.forEach({ name: "each", over: "ks", as: "k", body: perItem, collect: "label", into: "labels", concurrency: 2 })]
      })
      const other = writes("other", "note", "side")
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.parallel({ name: "work", branches: { items, other } })]
      })
      const fiber = yield* Effect.fork(Workflow.run(t, { ks: [1, 9, 16, 0] }, { runId: "n" }))
      yield* Deferred.await(reached)
      yield* Fiber.interrupt(fiber)
      const before = yield* Ref.get(log)
      yield* Ref.set(log, [])
      const result = yield* Workflow.resume(t, "n")
      expect(result.state).toEqual({ ks: [1, 9, 16, 0], labels: ["one:1", "one:1", "one:1", "zero:0"], note: "side" })
      const after = yield* Ref.get(log)
      // element 2 (16) goes on at its second halving; nothing that completed runs again
      expect(after[0]).toBe("work/items/each/2/down/2/halve")
      for (const key of after.slice(1)) expect(before).not.toContain(key)
      // and no bookkeeping key of a view is left in the state
      expect(Object.keys(result.state).filter((k) => k.startsWith("~"))).toEqual([])
    }).pipe(Effect.provide(engineWithStore)))
})

describe("checks the types cannot make", () => {
  it("constructors reject a bad name, a non-positive limit or concurrency", () => {
    const body = writes("body", "x", "1")
    expect(() => Flow.loop({ name: "l", requires: {}, while: () => false, body, maxIterations: 0 })).toThrow(
      "Flow.loop \"l\": maxIterations must be a positive integer, got 0"
    )
    expect(() =>
      Flow.forEach({
        name: "e",
        over: "xs",
        as: "x" as never,
        body,
        collect: "x",
        into: "ys",
        concurrency: 0
      })
    ).toThrow("concurrency must be a positive integer")
    expect(() => Flow.parallel({ name: "has space", branches: { body } })).toThrow("Flow.parallel name \"has space\"")
  })

  it.effect("the templates inside control-flow nodes are validated before a run starts", () =>
    Effect.gen(function*() {
      const empty = Template.make({ name: "empty", version: "1", steps: [] as [] })
      const t = Template.make({
        name: "t",
        version: "1",
        steps: [Flow.branch({ name: "b", requires: {}, when: () => true, then: writes("w", "x", "1"), else: empty })]
      })
      const error = yield* Effect.flip(Testing.runTemplate(t, {}))
      expect(error).toBeInstanceOf(Errors.InvalidTemplate)
      expect(error).toMatchObject({ template: "empty", reason: "empty" })
    }))
})

describe("control flow in composeWorkflow", () => {
  it.effect("flow nodes compose like templates and keep their paths", () =>
    Effect.gen(function*() {
      const decide = Template.make({
        name: "decide",
        version: "1",
        steps: [Flow.branch({
          name: "route",
          requires: { healthy: Schema.Boolean },
          when: ({ healthy }) => healthy,
          then: writes("keep", "action", "nothing"),
          else: writes("fix", "action", "restart")
        })]
      })
      const flow = composeWorkflow(decide, report)
      expect(flow.requiredState).toEqual(["healthy"])
      expect(flow.providedState).toEqual(["action", "report"])
      const result = yield* Testing.runTemplate(flow, { healthy: false })
      expect(result.state.report).toBe("did restart")
      expect(result.trace.map((e) => e.step)).toEqual(["decide/route/else", "decide/route/else/write", "report/report"])
    }))
})
