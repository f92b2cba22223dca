/**
 * Templates and servers shared by the HTTP and browser tests: a quick
 * template, a slow one (to watch live), a human approval (a durable wait), a
 * failing one (a typed error after a retry), one with a date input, and a
 * parent whose sub-flow waits (a child run id with a `/`).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { FetchHttpClient, HttpApiClient, HttpClient, HttpClientRequest } from "@effect/platform"
import { Context, Data, Duration, Effect, Layer, Schedule, Schema, Scope } from "effect"
import { Durable, Engine, Settings, SnapshotStore, Step, Template } from "weftjs"
import { Sqlite } from "weftjs/sqlite"
import { Http } from "weftjs/http"

// ---------------------------------------------------------------------------
// templates
// ---------------------------------------------------------------------------

export const greet = Step.make({
  name: "greet",
  requires: { name: Schema.String, times: Schema.Int.pipe(Schema.between(1, 5)) },
  provides: { greeting: Schema.String },
  run: ({ name, times }) => Effect.succeed({ greeting: Array.from({ length: times }, () => `hello ${name}`).join(", ") })
})

export const shout = Step.make({
  name: "shout",
  requires: { greeting: Schema.String },
  provides: { loud: Schema.String },
  run: ({ greeting }) => Effect.succeed({ loud: greeting.toUpperCase() })
})

export const hello = Template.make({ name: "hello", version: "1", steps: [greet, shout] })

export const fetchItem = Step.make({
  name: "fetch_item",
  requires: { item: Schema.String },
  provides: { fetched: Schema.String },
  run: ({ item }) => Effect.as(Effect.sleep("1200 millis"), { fetched: `fetched ${item}` })
})

/**
 * Holds `check_item` after its sleep until opened (open unless a test closes it): a test that
 * watches a run in flight closes it first, so that the run cannot end before the test has looked,
 * however slow the machine.
 */
export const slowGate = Effect.runSync(Effect.makeLatch(true))

export const checkItem = Step.make({
  name: "check_item",
  requires: { fetched: Schema.String },
  provides: { checked: Schema.Boolean },
  run: () => Effect.sleep("1200 millis").pipe(Effect.zipRight(slowGate.await), Effect.as({ checked: true }))
})

export const storeItem = Step.make({
  name: "store_item",
  requires: { fetched: Schema.String, checked: Schema.Boolean },
  provides: { stored: Schema.String },
  run: ({ fetched }) => Effect.as(Effect.sleep("1200 millis"), { stored: `stored ${fetched}` })
})

/** Three steps of 1.2 s each: long enough to watch it run. */
export const slow = Template.make({ name: "slow_pipeline", version: "1", steps: [fetchItem, checkItem, storeItem] })

export const Decision = Schema.Struct({
  approved: Schema.Boolean,
  by: Schema.String.pipe(Schema.minLength(1)),
  comment: Schema.optional(Schema.String)
})

export const requestApproval = Step.make({
  name: "request_approval",
  requires: { amount: Schema.Number, requester: Schema.String },
  provides: { approvalRequest: Schema.String },
  run: ({ amount, requester }) => Effect.succeed({ approvalRequest: `${requester} asks to spend ${amount}` })
})

export const settle = Step.make({
  name: "settle",
  requires: { approval: Decision },
  provides: { outcome: Schema.Literal("paid", "rejected"), decidedBy: Schema.String },
  run: ({ approval }) =>
    Effect.succeed({ outcome: approval.approved ? "paid" as const : "rejected" as const, decidedBy: approval.by })
})

export const approval = Template.make({
  name: "expense_approval",
  version: "1",
  steps: [requestApproval, Durable.waitForSignal("approval", Decision), settle]
})

export class PaymentDeclined extends Data.TaggedError("PaymentDeclined")<{ readonly reason: string }> {
  override get message(): string {
    return `the payment was declined: ${this.reason}`
  }
}

export const charge = Step.make({
  name: "charge",
  requires: { amount: Schema.Number },
  provides: { receipt: Schema.String },
  retry: Schedule.recurs(1),
  run: () => Effect.fail(new PaymentDeclined({ reason: "card expired" }))
})

export const validateOrder = Step.make({
  name: "validate_order",
  requires: { amount: Schema.Number },
  provides: { valid: Schema.Boolean },
  run: ({ amount }) => Effect.succeed({ valid: amount > 0 })
})

/** Fails at its second step with `PaymentDeclined`, after two attempts. */
export const failing = Template.make({ name: "payment", version: "1", steps: [validateOrder, charge] })

export const schedule = Step.make({
  name: "schedule",
  requires: { due: Schema.Date },
  provides: { reminder: Schema.Date },
  run: ({ due }) => Effect.succeed({ reminder: new Date(due.getTime() - 86_400_000) })
})

/** Its input holds a date, given in JSON as an ISO string. */
export const reminder = Template.make({ name: "reminder", version: "2", steps: [schedule] })

export const childApproval = Template.make({
  name: "child_approval",
  version: "1",
  steps: [Durable.waitForSignal("approval", Decision), settle]
})

export const prepare = Step.make({
  name: "prepare",
  requires: { amount: Schema.Number },
  provides: { prepared: Schema.Boolean },
  run: () => Effect.succeed({ prepared: true })
})

/** Its sub-flow waits for a signal: the child run's id holds a `/`. */
export const parent = Template.make({
  name: "parent_flow",
  version: "1",
  steps: [prepare, Durable.subflow(childApproval, { name: "ask" })]
})

export const allTemplates = [hello, slow, approval, failing, reminder, parent] as const

// ---------------------------------------------------------------------------
// engines and servers
// ---------------------------------------------------------------------------

const settings = Settings.layerWith({ retryDelay: Duration.millis(10), maxRetries: 0 })

/** A store: the in-memory one, or SQLite in a temporary folder. */
export type StoreLayer = Layer.Layer<SnapshotStore.SnapshotStore>

export const memoryStore: StoreLayer = SnapshotStore.layerMemory

export const sqliteStore: StoreLayer = Layer.unwrapScoped(
  Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "weft-http-"))),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ),
    (dir) => Layer.orDie(Sqlite.layerStore({ filename: join(dir, "runs.db") }))
  )
)

/** An engine over the store in `store` (with the store beside it, for step outputs and state). */
export const engineOver = (store: Context.Context<SnapshotStore.SnapshotStore>) =>
  Engine.layer.pipe(
    Layer.provideMerge(Layer.succeedContext(store)),
    Layer.provide(settings),
    Layer.orDie
  )

/** An engine over an in-memory store, with the store beside it. */
export const memoryEngine: Layer.Layer<Engine.Engine | SnapshotStore.SnapshotStore> = Engine.layer.pipe(
  Layer.provideMerge(SnapshotStore.layerMemory),
  Layer.provide(settings),
  Layer.orDie
)

/** Another process over the same store: an engine of its own, stopped when the scope closes. */
export const otherEngine = (store: Context.Context<SnapshotStore.SnapshotStore>) =>
  Effect.map(Layer.build(engineOver(store)), (context) => Context.get(context, Engine.Engine))

/** The API's typed client for the server at `baseUrl` (sending `token`, when given). */
export const makeClient = (baseUrl: string, token?: string) =>
  HttpApiClient.make(Http.Api, {
    baseUrl,
    transformClient: (client) =>
      token === undefined ? client : HttpClient.mapRequest(client, HttpClientRequest.bearerToken(token))
  }).pipe(Effect.provide(FetchHttpClient.layer))

/** The API's typed client. */
export type Client = Effect.Effect.Success<ReturnType<typeof makeClient>>

/** A running server: its URL, and the engine under it. */
export interface Running {
  readonly url: string
  readonly engine: Engine.Service
}

/** A server on a free port over `engine`, serving every fixture template, until the scope closes. */
export const serve = (
  engine: Layer.Layer<Engine.Engine | SnapshotStore.SnapshotStore>,
  options: Omit<Http.Options<typeof allTemplates>, "templates" | "port"> = {}
): Effect.Effect<Running, never, Scope.Scope> =>
  Effect.gen(function*() {
    const context = yield* Layer.build(
      Http.layer({ templates: allTemplates, port: 0, pollInterval: "200 millis", ...options }).pipe(
        Layer.provideMerge(engine),
        Layer.orDie
      )
    )
    const { url } = Context.get(context, Http.Server)
    return { url, engine: Context.get(context, Engine.Engine) }
  })

/** A store, a server over it, and its typed client. */
export const setup = (storeLayer: StoreLayer, options: Omit<Http.Options<typeof allTemplates>, "templates" | "port"> = {}) =>
  Effect.gen(function*() {
    const store = yield* Layer.build(storeLayer)
    const server = yield* serve(engineOver(store), options)
    const client = yield* makeClient(server.url)
    return { ...server, store, client }
  })

/** Waits (up to 10 s) until the run has `status`, looking every 20 ms; its record then. */
export const awaitStatus = (client: Client, runId: string, status: Http.RunStatus) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500; i++) {
      const detail = yield* client.runs.get({ path: { runId } })
      if (detail.run.status === status) return detail
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.dieMessage(`run ${runId} never reached status ${status}`)
  })

/** One Server-Sent Event as read by a test. */
export interface SseEvent {
  readonly event: string
  readonly data: unknown
}

/**
 * Reads an event stream until `done` holds for the events read (or the
 * stream ends, or 10 s pass); the events read.
 */
export const readEvents = (
  url: string,
  done: (events: ReadonlyArray<SseEvent>) => boolean,
  headers: Record<string, string> = {}
): Effect.Effect<ReadonlyArray<SseEvent>> =>
  Effect.promise(async () => {
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(), 10_000)
    const events: Array<SseEvent> = []
    try {
      const response = await fetch(url, { headers, signal: controller.signal })
      const reader = response.body!.getReader()
      const decoder = new TextDecoder()
      let buffer = ""
      for (;;) {
        const chunk = await reader.read()
        if (chunk.done) break
        buffer += decoder.decode(chunk.value, { stream: true })
        let index = buffer.indexOf("\n\n")
        while (index !== -1) {
          const block = buffer.slice(0, index)
          buffer = buffer.slice(index + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) })
          index = buffer.indexOf("\n\n")
        }
        if (done(events)) break
      }
    } catch {
      // aborted: the events read so far
    } finally {
      clearTimeout(timer)
      controller.abort()
    }
    return events
  })
