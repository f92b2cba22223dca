/**
 * The web view as a person uses it, in headless Chromium (Debian's
 * `chromium`, driven by playwright-core): a run started from the API
 * completes live on the page, a suspended run is approved through the
 * signal form, a failed run shows its error, a template page draws its
 * diagram and starts a run, the API reference page works, a server with a
 * token asks for it. No page loads anything from another host.
 *
 * Screenshots go to `test/browser/__screenshots__/` (ignored by git, but
 * for `web-view.png`, the one the README shows, which is rewritten only with
 * `WEFT_UPDATE_SCREENSHOT=1`). The tests are skipped when Chromium is
 * missing, unless `CI` is set (CI installs it).
 */
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Context, Data, Effect, Layer, Schedule, Schema } from "effect"
import type { Page } from "playwright-core"
import { Durable, Engine, Step, Template } from "weftjs"
import { Http } from "weftjs/http"
import { fakeEngine, fakeRuns } from "../http/fakeEngine.js"
import { allTemplates, awaitStatus, engineOver, makeClient, memoryStore, setup, slowGate } from "../http/fixtures.js"
import { screenshots, skip, useBrowser } from "./chromium.js"

const browser = useBrowser()

/** A page on `url`'s server; every request it makes to another host is collected in `foreign`. */
const open = (url: string, viewport = { width: 1280, height: 860 }) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const context = await browser().newContext({ viewport })
      const page = await context.newPage()
      const foreign: Array<string> = []
      const errors: Array<string> = []
      page.on("request", (request) => {
        const target = request.url()
        if (!target.startsWith(url) && !target.startsWith("data:") && !target.startsWith("blob:")) foreign.push(target)
      })
      page.on("pageerror", (error) => errors.push(error.message))
      return { page, foreign, errors, close: () => context.close() }
    }),
    ({ close }) => Effect.promise(close)
  )

const shoot = (page: Page, name: string) =>
  Effect.promise(() => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true }))

const step = <A>(f: () => Promise<A>) => Effect.promise(f)

describe.skipIf(skip)("the web view, in headless Chromium", () => {
  it.scopedLive("shows a run started from the API on the runs page, then completing live on its page", () =>
    Effect.gen(function*() {
      const { url, client } = yield* setup(memoryStore)
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/`))
      yield* step(() => page.locator("#live.on").waitFor())
      // a marker that a reload would lose: everything below arrives live
      yield* step(() => page.evaluate(() => Object.assign(globalThis, { marker: "still here" })))
      // the run's second step is held until the page has shown it in flight
      yield* slowGate.close
      yield* Effect.addFinalizer(() => slowGate.open)
      const { runId } = yield* client.runs.start({ payload: { template: "slow_pipeline", input: { item: "gear" } } })
      const row = page.locator(`tr[data-run="${runId}"]`)
      yield* step(() => row.waitFor())
      yield* step(() => row.locator(`[data-status="running"]`).waitFor())
      yield* step(() => row.locator("a").first().click())
      yield* step(() => page.locator(`h1 [data-status="running"]`).waitFor())
      // while it runs, the step in flight is drawn as it goes (from the run's events)
      yield* step(() => page.locator(`.track[data-status="active"]`).waitFor({ timeout: 20_000 }))
      const completedMidway = yield* step(() => page.locator(`.track[data-status="completed"]`).count())
      yield* shoot(page, "run-running")
      yield* slowGate.open
      yield* step(() => page.locator(`h1 [data-status="completed"]`).waitFor({ timeout: 20_000 }))
      yield* step(() => page.locator(`.track[data-step="store_item"][data-status="completed"]`).waitFor())
      expect(completedMidway).toBeLessThan(3)
      expect(yield* step(() => page.locator(`.track[data-status="completed"]`).count())).toBe(3)
      expect(yield* step(() => page.locator(`.track[data-status="active"]`).count())).toBe(0)
      expect(yield* step(() => page.locator("#state").textContent())).toContain(`"stored": "stored fetched gear"`)
      expect(yield* step(() => page.evaluate(() => (globalThis as { marker?: string }).marker))).toBe("still here")
      // a step's output, unfolded
      yield* step(() => page.locator(`.label[data-step="check_item"]`).click())
      expect(yield* step(() => page.locator(`.detail[data-step="check_item"]`).textContent())).toContain(`"checked": true`)
      yield* shoot(page, "run-completed")
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("approves a suspended run through the form built from its wait's Schema", () =>
    Effect.gen(function*() {
      const { url, client } = yield* setup(memoryStore)
      const { runId } = yield* client.runs.start({
        payload: { template: "expense_approval", input: { amount: 120, requester: "bob" } }
      })
      yield* awaitStatus(client, runId, "suspended")
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/runs/${encodeURIComponent(runId)}`))
      const form = page.locator("form#signal-approval")
      yield* step(() => form.waitFor())
      // the form follows the Schema: a checkbox for the boolean, text fields for the strings
      expect(yield* step(() => form.locator(`input[type="checkbox"][name="approved"]`).count())).toBe(1)
      expect(yield* step(() => form.locator(`input[type="text"][name="by"]`).count())).toBe(1)
      expect(yield* step(() => form.locator(`input[type="text"][name="comment"]`).count())).toBe(1)
      // an empty approver is refused by the server; the form marks the field
      yield* step(() => form.locator(`input[name="approved"]`).check())
      yield* step(() => form.locator("button[type=submit]").click())
      yield* step(() => form.locator(`.field.invalid[data-path="by"]`).waitFor())
      expect(yield* step(() => form.locator(".form-error").textContent())).toContain("InvalidSignalPayload")
      yield* shoot(page, "signal-refused")
      expect((yield* client.runs.get({ path: { runId } })).run.status).toBe("suspended")
      yield* step(() => form.locator(`input[name="by"]`).fill("carol"))
      yield* step(() => form.locator(`input[name="comment"]`).fill("within budget"))
      yield* step(() => form.locator("button[type=submit]").click())
      yield* step(() => page.locator(`h1 [data-status="completed"]`).waitFor({ timeout: 10_000 }))
      const state = yield* step(() => page.locator("#state").textContent())
      expect(state).toContain(`"outcome": "paid"`)
      expect(state).toContain(`"decidedBy": "carol"`)
      expect(yield* step(() => page.locator("#signals form").count())).toBe(0)
      yield* shoot(page, "signal-approved")
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("shows a failed run's error, and the step that failed after its retry", () =>
    Effect.gen(function*() {
      const { url, client } = yield* setup(memoryStore)
      const { runId } = yield* client.runs.start({ payload: { template: "payment", input: { amount: 30 } } })
      yield* awaitStatus(client, runId, "failed")
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/?status=failed`))
      const row = page.locator(`tr[data-run="${runId}"]`)
      yield* step(() => row.waitFor())
      expect(yield* step(() => row.locator(".error-cell").textContent())).toBe(
        "PaymentDeclined: the payment was declined: card expired"
      )
      yield* step(() => row.locator("a").first().click())
      const failure = page.locator("#run-error")
      yield* step(() => failure.locator(".error-box").waitFor())
      expect(yield* step(() => failure.textContent())).toBe("PaymentDeclinedthe payment was declined: card expired")
      const charge = page.locator(`.track[data-step="charge"]`)
      expect(yield* step(() => charge.getAttribute("data-status"))).toBe("failed")
      expect(yield* step(() => charge.locator(".retry").textContent())).toContain("2 attempts")
      expect(yield* step(() => charge.locator(".err-line").textContent())).toContain("card expired")
      expect(yield* step(() => page.locator("#cancel").count())).toBe(0)
      yield* shoot(page, "run-failed")
      // re-run from its failed step: the card is declined again; validate_order is not run again
      yield* step(() => page.locator("#rerun").click())
      let trace = yield* client.runs.trace({ path: { runId } })
      for (let i = 0; i < 500 && trace.length < 3; i++) {
        yield* Effect.sleep("20 millis")
        trace = yield* client.runs.trace({ path: { runId } })
      }
      yield* awaitStatus(client, runId, "failed")
      expect(trace.map((e) => `${e.step}:${e.status}`)).toEqual(["validate_order:completed", "charge:failed", "charge:failed"])
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("filters the runs by status and template, and cancels a suspended run", () =>
    Effect.gen(function*() {
      const { url, client } = yield* setup(memoryStore)
      const done = yield* client.runs.start({ payload: { template: "hello", input: { name: "a", times: 1 } } })
      const waiting = yield* client.runs.start({
        payload: { template: "expense_approval", input: { amount: 5, requester: "z" } }
      })
      yield* awaitStatus(client, done.runId, "completed")
      yield* awaitStatus(client, waiting.runId, "suspended")
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/`))
      yield* step(() => page.locator(`tr[data-run="${done.runId}"]`).waitFor())
      yield* step(() => page.locator("#filter-status").selectOption("suspended"))
      yield* step(() => page.locator(`tr[data-run="${done.runId}"]`).waitFor({ state: "detached" }))
      expect(yield* step(() => page.locator("tbody#runs tr").count())).toBe(1)
      expect(new URL(page.url()).search).toBe("?status=suspended")
      yield* step(() => page.locator("#filter-status").selectOption(""))
      yield* step(() => page.locator("#filter-template").selectOption("hello"))
      yield* step(() => page.locator(`tr[data-run="${waiting.runId}"]`).waitFor({ state: "detached" }))
      expect(yield* step(() => page.locator("tbody#runs tr").count())).toBe(1)
      yield* step(() => page.goto(`${url}/runs/${encodeURIComponent(waiting.runId)}`))
      yield* step(() => page.locator("#cancel").click())
      yield* step(() => page.locator("#cancel", { hasText: "Confirm cancel" }).click())
      yield* step(() => page.locator(`h1 [data-status="cancelled"]`).waitFor())
      expect((yield* client.runs.get({ path: { runId: waiting.runId } })).run.status).toBe("cancelled")
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("pauses a suspended run from its page, and unpauses it", () =>
    Effect.gen(function*() {
      const { url, client } = yield* setup(memoryStore)
      const waiting = yield* client.runs.start({
        payload: { template: "expense_approval", input: { amount: 5, requester: "z" } }
      })
      yield* awaitStatus(client, waiting.runId, "suspended")
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/runs/${encodeURIComponent(waiting.runId)}`))
      yield* step(() => page.locator("#pause").click())
      yield* step(() => page.locator(`h1 [data-status="paused"]`).waitFor())
      expect((yield* client.runs.get({ path: { runId: waiting.runId } })).run.status).toBe("paused")
      yield* step(() => page.locator("#unpause").click())
      yield* step(() => page.locator(`h1 [data-status="suspended"]`).waitFor())
      expect((yield* client.runs.get({ path: { runId: waiting.runId } })).run.status).toBe("suspended")
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("draws a template's diagram without network, and starts a run from its form", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/templates`))
      yield* step(() => page.locator(`tr[data-template="parent_flow"] a`).click())
      yield* step(() => page.locator(`#diagram svg g[data-kind="subflow"][data-name="ask"]`).waitFor())
      expect(yield* step(() => page.locator(`#diagram svg g[data-kind="wait"]`).count())).toBe(1)
      yield* shoot(page, "template")
      yield* step(() => page.locator(`#start-form input[name="amount"]`).fill("7"))
      yield* step(() => page.locator("#start-form button[type=submit]").click())
      yield* step(() => page.waitForURL(/\/runs\/[0-9a-f-]{36}$/))
      yield* step(() => page.locator(`h1 [data-status="suspended"]`).waitFor({ timeout: 10_000 }))
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("serves an API reference page that works without network", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      const { page, foreign } = yield* open(url)
      yield* step(() => page.goto(`${url}/docs`))
      yield* step(() => page.getByText("The templates this server serves").first().waitFor({ timeout: 15_000 }))
      yield* step(() => page.waitForTimeout(500))
      yield* shoot(page, "api-reference")
      expect(foreign).toEqual([])
      // it may not reach another host, whatever it tries (its Content-Security-Policy)
      const response = yield* step(() => page.request.get(`${url}/docs`))
      expect(response.headers()["content-security-policy"]).toContain("connect-src 'self'")
    }))

  it.scopedLive("asks for the token when the server has one, then works with it", () =>
    Effect.gen(function*() {
      const token = "browser-token-0123456789abcdef"
      const { url } = yield* setup(memoryStore, { token })
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/`))
      yield* step(() => page.locator("#token-form").waitFor())
      yield* step(() => page.locator("#token-input").fill(token))
      yield* step(() => page.locator("#token-form button").click())
      yield* step(() => page.locator("tbody#runs td.empty").waitFor())
      yield* step(() => page.locator("#live.on").waitFor())
      expect(yield* step(() => page.locator("#token-form").count())).toBe(0)
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("a key read by two steps gets one number field; a required text left empty is not sent as \"\"", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(
        Http.layer({ templates: [twiceRead], port: 0 }).pipe(Layer.provide(Engine.layerMemory), Layer.orDie)
      )
      const { url } = Context.get(context, Http.Server)
      const client = yield* makeClient(url)
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/templates/twice_read`))
      const start = page.locator("#start-form")
      yield* step(() => start.waitFor())
      // equal requirements merged by the server, unequal ones (a number, and a positive one) by the form
      expect(yield* step(() => start.locator(`input[type="number"][name="count"]`).count())).toBe(1)
      expect(yield* step(() => start.locator(`input[type="number"][name="limit"]`).count())).toBe(1)
      yield* step(() => start.locator(`input[name="count"]`).fill("2"))
      yield* step(() => start.locator(`input[name="limit"]`).fill("3"))
      yield* step(() => start.locator("button[type=submit]").click())
      yield* step(() => page.waitForURL(/\/runs\/[0-9a-f-]{36}$/))
      const runId = decodeURIComponent(new URL(page.url()).pathname.slice(6))
      yield* step(() => page.locator(`h1 [data-status="suspended"]`).waitFor({ timeout: 10_000 }))
      const form = page.locator("form#signal-review")
      yield* step(() => form.waitFor())
      // "by" is a plain required string: left empty, it is missing (the Schema says so), never ""
      yield* step(() => form.locator(`input[name="approved"]`).check())
      yield* step(() => form.locator("button[type=submit]").click())
      yield* step(() => form.locator(`.field.invalid[data-path="by"]`).waitFor())
      expect(yield* step(() => form.locator(`.field[data-path="by"] .hint`).textContent())).toBe("is missing")
      expect((yield* client.runs.get({ path: { runId } })).run.status).toBe("suspended")
      yield* step(() => form.locator(`input[name="by"]`).fill("kim"))
      yield* step(() => form.locator("button[type=submit]").click())
      yield* step(() => page.locator(`h1 [data-status="completed"]`).waitFor({ timeout: 10_000 }))
      expect(yield* step(() => page.locator("#state").textContent())).toContain(`"reviewedBy": "kim"`)
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("runs over a hand-made Engine (no store): the runs, a run's timeline with its outputs", () =>
    Effect.gen(function*() {
      const context = yield* Layer.build(
        Http.layer({ templates: allTemplates, port: 0 }).pipe(Layer.provide(fakeEngine(fakeRuns())), Layer.orDie)
      )
      const { url } = Context.get(context, Http.Server)
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/`))
      yield* step(() => page.locator(`tr[data-run="fake-waiting"] [data-status="suspended"]`).waitFor())
      yield* step(() => page.locator(`tr[data-run="fake-done"] a`).first().click())
      yield* step(() => page.locator(`h1 [data-status="completed"]`).waitFor())
      expect(yield* step(() => page.locator(`.track[data-status="completed"]`).count())).toBe(2)
      yield* step(() => page.locator(`.label[data-step="greet"]`).click())
      expect(yield* step(() => page.locator(`.detail[data-step="greet"]`).textContent())).toContain(`"greeting": "hello fay"`)
      expect(yield* step(() => page.locator("#state").textContent())).toContain(`"loud": "HELLO FAY"`)
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("the page of an unknown run says there is no such run, and follows nothing", () =>
    Effect.gen(function*() {
      const { url } = yield* setup(memoryStore)
      const { page, foreign, errors } = yield* open(url)
      yield* step(() => page.goto(`${url}/runs/${encodeURIComponent("no-such-run")}`))
      yield* step(() => page.locator("#no-run").waitFor())
      expect(yield* step(() => page.locator("#no-run").textContent())).toContain("There is no run with id no-such-run")
      expect(yield* step(() => page.locator("#timeline").count())).toBe(0)
      expect(yield* step(() => page.locator("#state").count())).toBe(0)
      yield* step(() => page.waitForTimeout(2500))
      expect(yield* step(() => page.locator("#live").textContent())).toBe("off")
      expect(yield* step(() => page.locator("#no-run").count())).toBe(1)
      expect(foreign).toEqual([])
      expect(errors).toEqual([])
    }))

  it.scopedLive("takes the README's screenshot: an order's run, with a retried step and an approval", () =>
    Effect.gen(function*() {
      const store = yield* Layer.build(memoryStore)
      const context = yield* Layer.build(
        Http.layer({ templates: [orderProcessing], port: 0 }).pipe(Layer.provide(engineOver(store)))
      )
      const { url } = Context.get(context, Http.Server)
      const client = yield* makeClient(url)
      for (const [amount, customer] of [[40, "ada"], [1200, "grace"]] as const) {
        const { runId } = yield* client.runs.start({
          payload: { template: "order_processing", input: { orderId: `A-${amount}`, customer, amount } }
        })
        yield* awaitStatus(client, runId, "suspended")
        yield* client.runs.signal({ path: { runId, signal: "approval" }, payload: { approved: true, by: "lin" } })
        yield* awaitStatus(client, runId, "completed")
      }
      const shown = yield* client.runs.start({
        payload: { template: "order_processing", input: { orderId: "A-3107", customer: "alan", amount: 860 } }
      })
      yield* awaitStatus(client, shown.runId, "suspended")
      yield* client.runs.signal({
        path: { runId: shown.runId, signal: "approval" },
        payload: { approved: true, by: "lin", comment: "regular customer" }
      })
      yield* awaitStatus(client, shown.runId, "completed")
      const { page, foreign } = yield* open(url, { width: 1280, height: 900 })
      yield* step(() => page.goto(`${url}/runs/${encodeURIComponent(shown.runId)}`))
      yield* step(() => page.locator(`h1 [data-status="completed"]`).waitFor())
      yield* step(() => page.locator(`.label[data-step="charge_card"]`).click())
      yield* step(() => page.locator(`.detail[data-step="charge_card"]`).waitFor())
      // the README shows web-view.png: it changes only when asked (WEFT_UPDATE_SCREENSHOT=1)
      const name = process.env.WEFT_UPDATE_SCREENSHOT === "1" ? "web-view.png" : "web-view.latest.png"
      yield* step(() => page.screenshot({ path: join(screenshots, name) }))
      expect(foreign).toEqual([])
    }))
})

// --- the README's scene ------------------------------------------------------

class CardDeclined extends Data.TaggedError("CardDeclined")<{ readonly attempt: number }> {
  override get message(): string {
    return `the card issuer timed out (attempt ${this.attempt})`
  }
}

const checkOrder = Step.make({
  name: "check_order",
  requires: { orderId: Schema.String, amount: Schema.Number },
  provides: { valid: Schema.Boolean },
  run: ({ amount }) => Effect.as(Effect.sleep("120 millis"), { valid: amount > 0 })
})

const reserveStock = Step.make({
  name: "reserve_stock",
  requires: { orderId: Schema.String },
  provides: { reservation: Schema.String },
  run: ({ orderId }) => Effect.as(Effect.sleep("260 millis"), { reservation: `R-${orderId}` })
})

const chargeCard = Step.make({
  name: "charge_card",
  requires: { amount: Schema.Number, customer: Schema.String },
  provides: { receipt: Schema.String },
  retry: Schedule.spaced("200 millis").pipe(Schedule.intersect(Schedule.recurs(3))),
  run: ({ amount, customer }, { attempt }) =>
    attempt < 3
      ? Effect.zipRight(Effect.sleep("150 millis"), Effect.fail(new CardDeclined({ attempt })))
      : Effect.as(Effect.sleep("180 millis"), { receipt: `charged ${customer} ${amount} EUR` })
})

const Approval = Schema.Struct({ approved: Schema.Boolean, by: Schema.String, comment: Schema.optional(Schema.String) })

const ship = Step.make({
  name: "ship",
  requires: { reservation: Schema.String, approval: Approval },
  provides: { trackingNumber: Schema.String },
  run: ({ reservation }) => Effect.as(Effect.sleep("220 millis"), { trackingNumber: `TRK-${reservation.slice(2)}` })
})

const orderProcessing = Template.make({
  name: "order_processing",
  version: "2",
  steps: [checkOrder, reserveStock, chargeCard, Durable.waitForSignal("approval", Approval), ship]
})


// --- a key read twice, and a plain required text -------------------------------

const countUp = Step.make({
  name: "count_up",
  requires: { count: Schema.Number, limit: Schema.Number },
  provides: { counted: Schema.Number },
  run: ({ count, limit }) => Effect.succeed({ counted: Math.min(count + 1, limit) })
})

const countAgain = Step.make({
  name: "count_again",
  requires: { count: Schema.Number, limit: Schema.Number.pipe(Schema.positive()), counted: Schema.Number },
  provides: { total: Schema.Number },
  run: ({ count, counted }) => Effect.succeed({ total: count + counted })
})

const Review = Schema.Struct({ approved: Schema.Boolean, by: Schema.String })

const record = Step.make({
  name: "record",
  requires: { review: Review },
  provides: { reviewedBy: Schema.String },
  run: ({ review }) => Effect.succeed({ reviewedBy: review.by })
})

const twiceRead = Template.make({
  name: "twice_read",
  version: "1",
  steps: [countUp, countAgain, Durable.waitForSignal("review", Review), record]
})
