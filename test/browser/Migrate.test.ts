/**
 * Migrating runs from the web view in headless Chromium: a template page
 * whose server declares a migration from its version has a "Migrate runs"
 * card; a dry run lists what would happen to each run and moves nothing;
 * applying it moves the runs, which then go on under the new version. At
 * 390 px too. A version with no declared migration has no card.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { Step, Template } from "weftjs"
import type { NodesOf } from "../../src/internal/types/positions.js"
import { approval, awaitStatus, Decision, memoryStore, requestApproval, setup } from "../http/fixtures.js"
import { openPage, skip, useBrowser } from "./chromium.js"

const browser = useBrowser()

// the fixture's wait, typed as the node it is in its template; v2 needs a currency the migration gives
const wait = approval.steps[1] as NodesOf<typeof approval>[1]
const settleIn = Step.make({
  name: "settle",
  requires: { approval: Decision, currency: Schema.String },
  provides: { outcome: Schema.Literal("paid", "rejected"), decidedBy: Schema.String, paidIn: Schema.String },
  run: ({ approval: decision, currency }) =>
    Effect.succeed({ outcome: decision.approved ? "paid" as const : "rejected" as const, decidedBy: decision.by, paidIn: currency })
})
const approval2 = Template.make({ name: "expense_approval", version: "2", steps: [requestApproval, wait, settleIn] })
const toV2 = Template.migration(approval, approval2, (at) => [at(wait, wait, () => ({ currency: "EUR" }))])

describe.skipIf(skip)("web view: migrate runs", () => {
  it.scopedLive("a dry run lists each run and moves none; applying moves them onto the new version, where they go on", () =>
    Effect.gen(function*() {
      const { client, url } = yield* setup(memoryStore, { migrations: [toV2] })
      for (const runId of ["m1", "m2"]) {
        yield* client.runs.start({ payload: { template: "expense_approval", input: { amount: 5, requester: "ada" }, runId } })
        yield* awaitStatus(client, runId, "suspended")
      }
      const { errors, page } = yield* openPage(browser)
      const dry = yield* Effect.promise(async () => {
        await page.goto(`${url}/templates/expense_approval?version=1`)
        const card = page.locator("#migrate")
        await card.waitFor()
        expect(await card.locator("#migrate-to option").allTextContents()).toEqual(["expense_approval@2"])
        await card.locator("#migrate-status").selectOption("suspended")
        await card.locator("#migrate-dry").click()
        await card.locator(".migrate-summary").waitFor()
        return {
          summary: await card.locator(".migrate-summary").textContent(),
          rows: await card.locator("tr[data-run]").evaluateAll((rows) => rows.map((r) => [r.getAttribute("data-run"), r.getAttribute("data-result")]))
        }
      })
      expect(dry.summary).toBe("Dry run: 2 migrated")
      expect([...dry.rows].sort()).toEqual([["m1", "migrated"], ["m2", "migrated"]])
      // a dry run moves nothing
      expect((yield* client.runs.get({ path: { runId: "m1" } })).run.templateVersion).toBe("1")
      const applied = yield* Effect.promise(async () => {
        const card = page.locator("#migrate")
        await card.locator("#migrate-apply").click()
        await page.locator(".migrate-summary:not(:has-text('Dry run'))").waitFor()
        return card.locator(".migrate-summary").textContent()
      })
      expect(applied).toBe("2 migrated")
      for (const runId of ["m1", "m2"]) {
        expect((yield* client.runs.get({ path: { runId } })).run).toMatchObject({ templateVersion: "2", migratedFrom: "expense_approval@1" })
        yield* client.runs.signal({ path: { runId, signal: "approval" }, payload: { approved: true, by: "bob" } })
        yield* awaitStatus(client, runId, "completed")
        expect((yield* client.runs.result({ path: { runId } })).state).toMatchObject({ outcome: "paid", paidIn: "EUR" })
      }
      // again: nothing left on version 1
      const again = yield* Effect.promise(async () => {
        await page.locator("#migrate-dry").click()
        await page.locator(".migrate-summary:has-text('no run')").waitFor()
        return page.locator(".migrate-summary").textContent()
      })
      expect(again).toBe("Dry run: no run to migrate")
      expect(errors).toEqual([])

      // 390 px: the card fits; a version with no declared migration has no card
      const { errors: phoneErrors, page: phone } = yield* openPage(browser, { width: 390, height: 844 })
      yield* Effect.promise(async () => {
        await phone.goto(`${url}/templates/expense_approval?version=1`)
        await phone.locator("#migrate").waitFor()
        expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390)
        const box = await phone.locator("#migrate").boundingBox()
        expect(box!.x).toBeGreaterThanOrEqual(0)
        expect(box!.x + box!.width).toBeLessThanOrEqual(390)
        await phone.goto(`${url}/templates/hello?version=1`)
        await phone.locator("#start-form").waitFor()
        expect(await phone.locator("#migrate").count()).toBe(0)
      })
      expect(phoneErrors).toEqual([])
    }), 90_000)
})
