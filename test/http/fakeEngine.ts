/**
 * A hand-made `Engine`: a few runs held in memory, no store, no executor.
 * The HTTP API and the web view are served over it alone, which proves that
 * they go through the `Engine` service and nothing else (no `SnapshotStore`
 * is in their context).
 */
import { Effect, Layer, PubSub, Stream } from "effect"
import { Engine, Errors, Event, History, Metrics, Settings, type SnapshotStore, type Trace } from "weftjs"

const t0 = Date.parse("2030-01-01T10:00:00.000Z")

const record = (
  fields: Pick<SnapshotStore.RunRecord, "runId" | "templateName" | "templateVersion" | "status"> &
    Partial<SnapshotStore.RunRecord>
): SnapshotStore.RunRecord => ({
  seq: 2,
  createdAt: t0,
  updatedAt: t0 + 1_000,
  expiresAt: null,
  error: null,
  timeoutMillis: 0,
  elapsedMillis: 0,
  wakeAt: null,
  waitingFor: null,
  parentId: null,
  rootId: fields.runId,
  queue: "default",
  owner: null,
  leaseUntil: null,
  generation: 1,
  traceContext: null,
  templateFingerprint: null,
  ...fields
})

/** What the fake holds: runs, their states, traces, and the signals and cancels it was sent. */
export interface FakeRuns {
  readonly runs: Map<string, SnapshotStore.RunRecord>
  readonly states: Map<string, Readonly<Record<string, unknown>>>
  readonly traces: Map<string, Trace.Trace>
  readonly signals: Array<{ readonly runId: string; readonly name: string; readonly payload: unknown }>
  readonly cancelled: Array<string>
}

const entry = (step: string, at: number, set: Readonly<Record<string, unknown>>): Trace.Entry => ({
  step,
  name: step,
  status: "completed",
  attempts: 1,
  startedAt: new Date(at),
  endedAt: new Date(at + 200),
  durationMs: 200,
  error: null,
  delta: { set, unset: [] }
})

/** Two runs: `fake-done` (hello@1, completed) and `fake-waiting` (expense_approval@1, suspended). */
export const fakeRuns = (): FakeRuns => ({
  runs: new Map([
    ["fake-done", record({ runId: "fake-done", templateName: "hello", templateVersion: "1", status: "completed" })],
    ["fake-waiting", record({
      runId: "fake-waiting",
      templateName: "expense_approval",
      templateVersion: "1",
      status: "suspended",
      seq: 1,
      createdAt: t0 + 5_000,
      updatedAt: t0 + 6_000,
      waitingFor: { runId: "fake-waiting", step: "approval", signal: "approval" }
    })]
  ]),
  states: new Map<string, Readonly<Record<string, unknown>>>([
    ["fake-done", { name: "fay", times: 1, greeting: "hello fay", loud: "HELLO FAY" }],
    ["fake-waiting", { amount: 7, requester: "fay", approvalRequest: "fay asks to spend 7" }]
  ]),
  traces: new Map([
    ["fake-done", [entry("greet", t0, { greeting: "hello fay" }), entry("shout", t0 + 300, { loud: "HELLO FAY" })]],
    ["fake-waiting", [entry("request_approval", t0, { approvalRequest: "fay asks to spend 7" })]]
  ]),
  signals: [],
  cancelled: []
})

const notInThisFake = (what: string) => Effect.dieMessage(`the fake engine does not ${what}`)

/** An `Engine` over `held`, built by hand: reads, signals and cancels; it executes nothing. */
export const fakeEngine = (held: FakeRuns): Layer.Layer<Engine.Engine> =>
  Layer.scoped(
    Engine.Engine,
    Effect.gen(function*() {
      const hub = yield* PubSub.unbounded<Event.Event>()
      const find = (runId: string) =>
        Effect.suspend(() => {
          const run = held.runs.get(runId)
          return run === undefined ? Effect.fail(new Errors.RunNotFound({ runId })) : Effect.succeed(run)
        })
      const service: Engine.Service = {
        settings: Settings.defaults,
        run: () => notInThisFake("run templates"),
        start: () => notInThisFake("start runs"),
        await: () => notInThisFake("await runs"),
        resume: () => notInThisFake("resume runs"),
        result: () => notInThisFake("read results"),
        register: () => Effect.void,
        templates: Effect.succeed([]),
        stateAt: () => notInThisFake("read past states"),
        fork: () => notInThisFake("fork runs"),
        rerun: () => notInThisFake("re-run runs"),
        rerunAll: () => notInThisFake("re-run runs"),
        migrate: () => notInThisFake("migrate runs"),
        status: find,
        inspect: ((runId: string) =>
          Effect.map(find(runId), (run) => ({
            run,
            state: held.states.get(runId) ?? {},
            position: { lastStep: held.traces.get(runId)?.at(-1)?.step ?? null, completedSteps: held.traces.get(runId)?.length ?? 0 },
            lineage: [],
            waitingFor: run.waitingFor === null ? null : { ...run.waitingFor, deadline: null }
          }))) as Engine.Service["inspect"],
        trace: ((runId: string) => Effect.map(find(runId), () => held.traces.get(runId) ?? [])) as Engine.Service["trace"],
        workers: Effect.succeed([]),
        cancelMatching: (_, options) => Effect.succeed({ dryRun: options?.dryRun === true, matched: 0, cancelled: [] }),
        export: (runId) => notInThisFake(`export ${runId}`),
        metrics: () => Effect.succeed(Metrics.summarize({ since: 0, until: 1, sampled: false, runs: [], steps: [], queues: [] })),
        queues: Effect.succeed([]),
        history: (runId) => Effect.map(find(runId), (run) => History.fromRecords(run, [], [], [])),
        list: () => Effect.succeed(Array.from(held.runs.values()).sort((a, b) => b.createdAt - a.createdAt)),
        signal: (runId, name, payload) =>
          Effect.flatMap(find(runId), (run) => {
            if (run.status !== "suspended" || run.waitingFor?.signal !== name) {
              return Effect.fail(new Errors.SignalRejected({ runId, signal: name, reason: "not-awaited", detail: "the fake waits for no such signal" }))
            }
            held.signals.push({ runId, name, payload })
            return Effect.void
          }),
        pause: (runId) =>
          Effect.flatMap(find(runId), (run) => {
            if (run.status === "completed" || run.status === "failed" || run.status === "cancelled") {
              return Effect.fail(new Errors.RunNotPausable({ runId, reason: "finished", status: run.status, rootId: run.rootId }))
            }
            const from = run.status === "paused" ? run.pausedFrom ?? "queued" : run.status
            held.runs.set(runId, { ...run, status: "paused", pausedFrom: from, updatedAt: run.updatedAt + 1 })
            return Effect.succeed("paused" as const)
          }),
        unpause: (runId) =>
          Effect.flatMap(find(runId), (run) => {
            if (run.status !== "paused") return Effect.fail(new Errors.RunNotPaused({ runId, status: run.status }))
            const back = run.pausedFrom ?? "queued"
            held.runs.set(runId, { ...run, status: back, pausedFrom: null, updatedAt: run.updatedAt + 1 })
            return Effect.succeed(back)
          }),
        cancel: (runId) =>
          Effect.flatMap(find(runId), (run) => {
            if (run.status === "completed" || run.status === "failed" || run.status === "cancelled") {
              return Effect.fail(new Errors.RunNotResumable({ runId, status: run.status }))
            }
            held.cancelled.push(runId)
            held.runs.set(runId, { ...run, status: "cancelled", waitingFor: null, updatedAt: run.updatedAt + 1 })
            return Effect.void
          }),
        collectExpired: Effect.succeed(0),
        resumeDue: Effect.succeed(0),
        serve: () => Effect.void,
        events: Stream.fromPubSub(hub),
        subscribe: Effect.map(PubSub.subscribe(hub), Stream.fromQueue),
        trigger: () => notInThisFake("declare triggers"),
        triggers: Effect.succeed([]),
        schedules: {
          list: Effect.succeed([]),
          create: () => notInThisFake("create schedules"),
          pause: () => notInThisFake("pause schedules"),
          resume: () => notInThisFake("resume schedules"),
          delete: () => notInThisFake("delete schedules")
        },
        deliver: () => notInThisFake("take webhook deliveries")
      }
      return service
    })
  )
