/**
 * The web view's schedules page in headless Chromium: the stored schedules
 * with their next ticks, paused or not (paused and resumed from the page),
 * the declared triggers, and a triggered run's page showing what started it.
 * Skipped when Chromium is missing, unless `CI` is set.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Step, Template, Trigger } from "weftjs"
import { memoryEngine, serve } from "../http/fixtures.js"
import { skip, useBrowser } from "./chromium.js"

const browser = useBrowser()

const ping = Template.make({
  name: "ping",
  version: "1",
  steps: [Step.make({ name: "pong", requires: { who: Schema.String }, provides: { ok: Schema.Boolean }, run: () => Effect.succeed({ ok: true }) })]
})

describe.skipIf(skip)("web view: schedules", () => {
  it.scopedLive("lists schedules and triggers, pauses and resumes one, shows what started a run", () =>
    Effect.gen(function*() {
      const { engine, url } = yield* serve(memoryEngine)
      yield* engine.trigger(Trigger.webhook("pings", ping, { body: Schema.Struct({ who: Schema.String }), input: (b) => ({ who: b.who }) }))
      yield* engine.schedules.create({ name: "hourly", template: "ping", cron: "0 * * * *", timeZone: "Europe/Paris", input: { who: "h" } })
      yield* engine.deliver("pings", { who: "w" }, "d1")
      yield* engine.await(ping, "hook:pings:d1")
      const context = yield* Effect.promise(() => browser().newContext())
      yield* Effect.addFinalizer(() => Effect.promise(() => context.close()))
      const page = yield* Effect.promise(() => context.newPage())
      const errors: Array<string> = []
      page.on("pageerror", (error) => errors.push(error.message))
      yield* Effect.promise(async () => {
        await page.goto(`${url}/schedules`)
        const row = page.locator("tr[data-schedule=hourly]")
        await row.waitFor()
        expect(await row.textContent()).toContain("Europe/Paris")
        expect(await row.locator("td").nth(5).textContent()).toBe("no")
        await page.locator("button[data-toggle=hourly]").click()
        await page.locator("tr[data-schedule=hourly] td:nth-child(6)", { hasText: "yes" }).waitFor()
        await page.locator("button[data-toggle=hourly]").click()
        await page.locator("tr[data-schedule=hourly] td:nth-child(6)", { hasText: "no" }).waitFor()
        await page.locator("tr[data-trigger=pings]").waitFor()
        expect(await page.locator("tr[data-trigger=pings]").textContent()).toContain("POST /hooks/pings")
        await page.goto(`${url}/runs/${encodeURIComponent("hook:pings:d1")}`)
        await page.locator("[data-triggered-by=Webhook]").waitFor()
        expect(await page.locator("[data-triggered-by=Webhook]").textContent()).toContain("delivery d1")
      })
      expect(errors).toEqual([])
    }), 60_000)
})
