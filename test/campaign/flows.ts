/**
 * The flows the campaigns run, and what their runs must end with.
 *
 * Every step logs its executions (see `log.ts`), takes a few milliseconds
 * (an asynchronous wait, so that a process executes many runs at once and a
 * kill lands inside steps as well as between them), and writes its
 * execution's mark (`x_<step>`) next to its output, so that the store's
 * checkpoint names the execution it recorded.
 *
 * - `campaign` (the SQLite and PostgreSQL campaigns): a step, a `forEach`
 *   (2 at a time), a `parallel` of two branches, a `loop`, a durable sleep, a
 *   wait for the signal `go` (sent by a signaller process), a step that fails
 *   its first attempts on purpose (retried), and a last step that combines
 *   everything into `total`, which the checker compares with
 *   {@link expectedTotal}.
 * - `start_resume` (the start/resume campaign): four steps in sequence.
 */
import { Data, Effect, Either, Schedule, Schema } from "effect"
import { Durable, Flow, Step, Template } from "weftjs"
import { append, monotonicMillis, newExecId } from "./log.js"

/** Where a process's steps report: the log file, and a hook called when a step starts (progress for the killer). */
export interface Probe {
  readonly log: string
  readonly onStart: (stepKey: string) => void
}

const modulus = 1_000_003

/** A small deterministic hash of a string. */
const hash = (text: string): number => {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}

/**
 * Executes one attempt of a step: logs it, waits a few milliseconds, runs
 * `body` with the execution's mark, logs how it ended.
 */
const execute = <A, E>(probe: Probe, ctx: Step.Context, body: (mark: string) => Effect.Effect<A, E>) =>
  Effect.suspend(() => {
    const exec = newExecId()
    const line = {
      run: ctx.runId,
      step: ctx.stepKey,
      key: ctx.idempotencyKey,
      pid: process.pid,
      attempt: ctx.attempt,
      exec
    }
    append(probe.log, { k: "S", ...line, t: monotonicMillis() })
    probe.onStart(ctx.stepKey)
    return Effect.sleep(2 + (hash(`${ctx.runId}/${ctx.stepKey}/${ctx.attempt}`) % 18)).pipe(
      Effect.zipRight(Effect.either(body(exec))),
      Effect.flatMap((result) => {
        append(probe.log, { k: Either.isLeft(result) ? "F" : "E", ...line, t: monotonicMillis() })
        return result
      })
    )
  })

/** The input of a `campaign` run. */
export interface CampaignInput {
  readonly runNo: number
  readonly items: ReadonlyArray<number>
  readonly loops: number
  /** How many attempts of `flaky` fail before one succeeds. */
  readonly fails: number
  readonly i: number
}

/** The run id of run number `runNo`. */
export const runIdOf = (prefix: string, runNo: number): string => `${prefix}-${runNo}`

/** The number of a run, from its id. */
export const runNoOf = (runId: string): number => Number(runId.slice(runId.lastIndexOf("-") + 1))

/** The input of run `runNo` of a campaign seeded `seed`. */
export const inputFor = (seed: number, runNo: number): CampaignInput => {
  const h = hash(`${seed}:${runNo}`)
  const count = 1 + (h % 4)
  return {
    runNo,
    items: Array.from({ length: count }, (_, j) => (h >>> (j + 3)) % 100),
    loops: 1 + ((h >>> 8) % 3),
    fails: (h >>> 12) % 3,
    i: 0
  }
}

/** The payload of the signal `go` for a run. */
export const Go = Schema.Struct({ by: Schema.String, n: Schema.Number })

/** What the signaller sends to run `runId`. */
export const goFor = (runId: string): typeof Go.Type => ({ by: "signaller", n: runNoOf(runId) })

const turn = (acc: number, i: number) => (acc * 31 + i + 1) % modulus

/** The `total` a `campaign` run ends with. */
export const expectedTotal = (input: CampaignInput): number => {
  const acc0 = (input.runNo * 7919) % modulus
  const outs = input.items.map((v) => v * 3 + 1)
  let acc = acc0
  for (let i = 0; i < input.loops; i++) acc = turn(acc, i)
  const l = acc0 + 1
  const r = (acc0 * 2) % modulus
  const f = input.fails + 100
  return (outs.reduce((a, b) => a + b, 0) + l + r + acc + f + input.runNo * 3) % modulus
}

/** A failure on purpose, which `flaky`'s retry policy repeats. */
export class Flaky extends Data.TaggedError("Flaky")<{ readonly attempt: number }> {}

/** The campaign flow; `napMillis` is its durable sleep. */
export const makeCampaignFlow = (probe: Probe, napMillis: number) => {
  const item = Template.make({
    name: "item",
    version: "1",
    steps: [Step.make({
      name: "work",
      requires: { item: Schema.Number },
      provides: { out: Schema.Number, x_work: Schema.String },
      run: ({ item }, ctx) => execute(probe, ctx, (mark) => Effect.succeed({ out: item * 3 + 1, x_work: mark }))
    })]
  })
  const left = Template.make({
    name: "left",
    version: "1",
    steps: [Step.make({
      name: "left",
      requires: { acc: Schema.Number },
      provides: { l: Schema.Number, x_left: Schema.String },
      run: ({ acc }, ctx) => execute(probe, ctx, (mark) => Effect.succeed({ l: acc + 1, x_left: mark }))
    })]
  })
  const right = Template.make({
    name: "right",
    version: "1",
    steps: [Step.make({
      name: "right",
      requires: { acc: Schema.Number },
      provides: { r: Schema.Number, x_right: Schema.String },
      run: ({ acc }, ctx) => execute(probe, ctx, (mark) => Effect.succeed({ r: (acc * 2) % modulus, x_right: mark }))
    })]
  })
  const body = Template.make({
    name: "turn",
    version: "1",
    steps: [Step.make({
      name: "turn",
      requires: { i: Schema.Number, acc: Schema.Number },
      provides: { i: Schema.Number, acc: Schema.Number, x_turn: Schema.String },
      run: ({ acc, i }, ctx) => execute(probe, ctx, (mark) => Effect.succeed({ i: i + 1, acc: turn(acc, i), x_turn: mark }))
    })]
  })
  return Template.make({
    name: "campaign",
    version: "1",
    steps: [
      Step.make({
        name: "prepare",
        requires: { runNo: Schema.Number },
        provides: { acc: Schema.Number, x_prepare: Schema.String },
        run: ({ runNo }, ctx) =>
          execute(probe, ctx, (mark) => Effect.succeed({ acc: (runNo * 7919) % modulus, x_prepare: mark }))
      }),
      Flow.forEach({ name: "each", over: "items", as: "item", body: item, collect: "out", into: "outs", concurrency: 2 }),
      Flow.parallel({ name: "par", branches: { left, right } }),
      Flow.loop({
        name: "spin",
        requires: { i: Schema.Number, loops: Schema.Number },
        while: ({ i, loops }) => i < loops,
        body,
        maxIterations: 10
      }),
      Durable.sleep("nap", napMillis),
      Durable.waitForSignal("go", Go),
      Step.make({
        name: "flaky",
        requires: { fails: Schema.Number },
        provides: { f: Schema.Number, x_flaky: Schema.String },
        retry: Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(4))),
        run: ({ fails }, ctx) =>
          execute(probe, ctx, (mark) =>
            ctx.attempt <= fails
              ? Effect.fail(new Flaky({ attempt: ctx.attempt }))
              : Effect.succeed({ f: fails + 100, x_flaky: mark }))
      }),
      Step.make({
        name: "finish",
        requires: {
          outs: Schema.Array(Schema.Number),
          l: Schema.Number,
          r: Schema.Number,
          acc: Schema.Number,
          f: Schema.Number,
          go: Go
        },
        provides: { total: Schema.Number, x_finish: Schema.String },
        run: ({ acc, f, go, l, outs, r }, ctx) =>
          execute(probe, ctx, (mark) =>
            Effect.succeed({
              total: (outs.reduce((a, b) => a + b, 0) + l + r + acc + f + go.n * 3) % modulus,
              x_finish: mark
            }))
      })
    ]
  })
}

/**
 * The start/resume flow: four steps in sequence; `s4` ends equal to
 * {@link expectedS4}. Each step takes `stepMillis` more (the checker's proof
 * lengthens them so that a process stealing runs always finds some mid-step).
 */
export const makeStartResumeFlow = (probe: Probe, stepMillis = 0) =>
  Template.make({
    name: "start_resume",
    version: "1",
    steps: [
      Step.make({
        name: "s1",
        requires: { n: Schema.Number },
        provides: { s1: Schema.Number, x_s1: Schema.String },
        run: ({ n }, ctx) => execute(probe, ctx, (mark) => Effect.as(Effect.sleep(stepMillis), { s1: turn(n, 1), x_s1: mark }))
      }),
      Step.make({
        name: "s2",
        requires: { s1: Schema.Number },
        provides: { s2: Schema.Number, x_s2: Schema.String },
        run: ({ s1 }, ctx) => execute(probe, ctx, (mark) => Effect.as(Effect.sleep(stepMillis), { s2: turn(s1, 2), x_s2: mark }))
      }),
      Step.make({
        name: "s3",
        requires: { s2: Schema.Number },
        provides: { s3: Schema.Number, x_s3: Schema.String },
        run: ({ s2 }, ctx) => execute(probe, ctx, (mark) => Effect.as(Effect.sleep(stepMillis), { s3: turn(s2, 3), x_s3: mark }))
      }),
      Step.make({
        name: "s4",
        requires: { s3: Schema.Number },
        provides: { s4: Schema.Number, x_s4: Schema.String },
        run: ({ s3 }, ctx) => execute(probe, ctx, (mark) => Effect.as(Effect.sleep(stepMillis), { s4: turn(s3, 4), x_s4: mark }))
      })
    ]
  })

/** The `s4` a `start_resume` run from `{ n }` ends with. */
export const expectedS4 = (n: number): number => turn(turn(turn(turn(n, 1), 2), 3), 4)
