/**
 * Retry and timeout policies at work, with short real delays:
 *
 * 1. a flaky quote service fails twice, and its step's retry policy gets
 *    the quote on the third attempt;
 * 2. a live rates service answers in 400 ms, more than its step's 100 ms
 *    per-attempt timeout: after its retry it falls back to cached rates;
 * 3. an inventory service that stays down fails its step after its retries,
 *    and so the run, with the service's typed error;
 * 4. a run slower than its workflow timeout fails with `WorkflowTimeout`.
 *
 *   npm run example -- retry
 */
import { Data, Effect, Schedule, Schema, Stream } from "effect"
import { Engine, Errors, Event, Step, Template, Trace, Workflow } from "weftjs"

class QuoteServiceBusy extends Data.TaggedError("QuoteServiceBusy")<{}> {
  override get message() {
    return "the quote service is busy"
  }
}

class InventoryDown extends Data.TaggedError("InventoryDown")<{}> {
  override get message() {
    return "the inventory service is down"
  }
}

/** Lets the event printer catch up before the next heading. */
const settle = Effect.sleep("20 millis")

let quoteCalls = 0

const fetchQuote = Step.make({
  name: "fetch_quote",
  requires: { sku: Schema.String },
  provides: { unitPrice: Schema.Number },
  // 3 retries, 100 ms apart, and only for the error that may heal
  retry: Schedule.spaced("100 millis").pipe(
    Schedule.intersect(Schedule.recurs(3)),
    Schedule.whileInput((error: QuoteServiceBusy | Errors.StepTimeout) => error._tag === "QuoteServiceBusy")
  ),
  run: ({ sku }) =>
    ++quoteCalls <= 2
      ? Effect.fail(new QuoteServiceBusy())
      : Effect.succeed({ unitPrice: sku.length * 2.5 })
})

const liveRates = Step.make({
  name: "live_rates",
  requires: { currency: Schema.String },
  provides: { rate: Schema.Number },
  timeout: "100 millis", // per attempt
  retry: Schedule.recurs(1),
  run: () => Effect.as(Effect.sleep("400 millis"), { rate: 1.09 })
})

const cachedRates = Step.make({
  name: "cached_rates",
  requires: { currency: Schema.String },
  provides: { rate: Schema.Number },
  run: () => Effect.succeed({ rate: 1.1 })
})

const pricing = Template.make({
  name: "pricing",
  version: "1.0",
  steps: [
    fetchQuote,
    liveRates.pipe(Step.orElse(cachedRates)),
    Step.make({
      name: "total",
      requires: { unitPrice: Schema.Number, rate: Schema.Number, quantity: Schema.Number },
      provides: { total: Schema.Number },
      run: ({ quantity, rate, unitPrice }) => Effect.succeed({ total: Math.round(unitPrice * rate * quantity * 100) / 100 })
    })
  ]
})

const reserve = Template.make({
  name: "reserve",
  version: "1.0",
  steps: [Step.make({
    name: "reserve_stock",
    requires: { sku: Schema.String },
    provides: { reservationId: Schema.String },
    retry: Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(2))),
    run: () => Effect.fail(new InventoryDown())
  })]
})

const slow = Template.make({
  name: "slow",
  version: "1.0",
  steps: [Step.make({
    name: "crunch",
    requires: { sku: Schema.String },
    provides: { crunched: Schema.Boolean },
    run: () => Effect.as(Effect.sleep("1 second"), { crunched: true })
  })]
})

export const main = (_args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const engine = yield* Engine.Engine
    // subscribe before the runs start, so that no event is missed
    const events = yield* engine.subscribe
    yield* events.pipe(
      Stream.runForEach((event) => Effect.sync(() => console.log(Event.format(event)))),
      Effect.forkScoped
    )

    console.log("1-2. a flaky service retried, a slow one timed out and replaced by its fallback\n")
    const priced = yield* Workflow.run(pricing, { sku: "ABC-123", currency: "EUR", quantity: 4 })
    yield* settle
    console.log(`\ntotal ${priced.state.total} (rate ${priced.state.rate}, from the cache)\n`)
    console.log(Trace.format(priced.trace))

    console.log("\n3. a service that stays down fails the run after its retries\n")
    const down = yield* Effect.flip(Workflow.run(reserve, { sku: "ABC-123" }))
    yield* settle
    console.log(`\nthe run failed with ${down._tag} after 3 attempts`)

    console.log("\n4. a run slower than its workflow timeout\n")
    const timedOut = yield* Effect.flip(Workflow.run(slow, { sku: "ABC-123" }, { timeout: "200 millis" }))
    yield* settle
    console.log(`\nthe run failed with ${timedOut._tag}: ${timedOut.message}`)
  }).pipe(Effect.scoped, Effect.provide(Engine.layerMemory))
