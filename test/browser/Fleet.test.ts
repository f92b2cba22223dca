/**
 * The fleet in the web view, in headless Chromium: the dashboard (counts,
 * an inline SVG chart, templates, steps, queues, workers), search by run-id
 * prefix, selecting runs and cancelling them, cancelling all matching runs
 * after a dry-run count, a run's history and actions (a failed run offers
 * its export and the runs like it), "no such run", and the pages on a
 * 390-px-wide screen with no overlapping text. Screenshots go to
 * `test/browser/__screenshots__/fleet-*.png`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { awaitStatus, memoryStore, setup } from "../http/fixtures.js"
import * as RunStatus from "../../src/RunStatus.js"
import { openPage, overlaps, screenshots, skip, useBrowser } from "./chromium.js"

const browser = useBrowser()
const open = (viewport?: { readonly width: number; readonly height: number }) => openPage(browser, viewport)

describe.skipIf(skip)("the fleet in the web view", () => {
  it.scopedLive("dashboard, search, select and cancel, cancel all matching, history, a failed run's actions, 390 px", () =>
    Effect.gen(function*() {
      const { client, url } = yield* setup(memoryStore)
      for (const id of ["ord-1", "ord-2", "ord-3", "misc-1"]) {
        yield* client.runs.start({ payload: { template: "expense_approval", input: { amount: 5, requester: "ann" }, runId: id } })
      }
      yield* client.runs.start({ payload: { template: "hello", input: { name: "x", times: 1 }, runId: "done-1" } })
      yield* client.runs.start({ payload: { template: "payment", input: { amount: -1 }, runId: "bad-1" } }).pipe(Effect.ignore)
      for (const id of ["ord-1", "ord-2", "ord-3", "misc-1"]) yield* awaitStatus(client, id, "suspended")
      yield* awaitStatus(client, "done-1", "completed")
      const { errors, page } = yield* open()

      // the dashboard
      yield* Effect.promise(() => page.goto(`${url}/dashboard`))
      yield* Effect.promise(() => page.waitForSelector("#total-runs"))
      expect(yield* Effect.promise(() => page.textContent("#dashboard"))).toContain("expense_approval@1")
      expect(yield* Effect.promise(() => page.locator("svg.chart rect").count())).toBe(RunStatus.all.length) // one bar per status
      yield* Effect.promise(() => page.screenshot({ path: `${screenshots}fleet-dashboard.png`, fullPage: true }))

      // search by run-id prefix, select one, cancel it
      yield* Effect.promise(() => page.goto(`${url}/`))
      yield* Effect.promise(() => page.fill("#filter-prefix", "ord-"))
      yield* Effect.promise(() => page.click("#apply-search"))
      yield* Effect.promise(() => page.waitForFunction(`document.querySelectorAll("#runs tr[data-run]").length === 3`))
      yield* Effect.promise(() => page.check("tr[data-run=ord-1] input.select-run"))
      expect(yield* Effect.promise(() => page.textContent("#cancel-selected"))).toBe("Cancel selected (1)")
      yield* Effect.promise(() => page.screenshot({ path: `${screenshots}fleet-search.png`, fullPage: true }))
      yield* Effect.promise(() => page.click("#cancel-selected"))
      yield* awaitStatus(client, "ord-1", "cancelled")
      // cancel all matching: the dry run counts the two still active
      yield* Effect.promise(() => page.click("#cancel-matching"))
      yield* Effect.promise(() => page.waitForSelector("#dry-run"))
      expect(yield* Effect.promise(() => page.textContent("#dry-run"))).toBe("2 active run(s) match.")
      yield* Effect.promise(() => page.screenshot({ path: `${screenshots}fleet-bulk-cancel.png`, fullPage: true }))
      yield* Effect.promise(() => page.click("#confirm-cancel-matching"))
      yield* awaitStatus(client, "ord-3", "cancelled")
      yield* awaitStatus(client, "ord-2", "cancelled")
      expect((yield* client.runs.get({ path: { runId: "misc-1" } })).run.status).toBe("suspended")

      // a run's history
      yield* Effect.promise(() => page.goto(`${url}/runs/misc-1`))
      yield* Effect.promise(() => page.waitForSelector("#history li"))
      const history = yield* Effect.promise(() => page.textContent("#history"))
      expect(history).toContain("created (expense_approval@1")
      expect(history).toContain("suspended: waits for signal approval")
      expect(yield* Effect.promise(() => page.locator("#export").count())).toBe(1)

      // a failed run offers its actions: its export, the failed runs like it
      yield* awaitStatus(client, "bad-1", "failed")
      yield* Effect.promise(() => page.goto(`${url}/runs/bad-1`))
      yield* Effect.promise(() => page.waitForSelector("#similar"))
      expect(yield* Effect.promise(() => page.textContent("#run-actions"))).toContain("Export JSON")
      expect(yield* Effect.promise(() => page.getAttribute("#similar", "href"))).toBe("/?status=failed&template=payment")
      yield* Effect.promise(() => page.waitForSelector("#history li[data-kind=Ended]"))
      yield* Effect.promise(() => page.screenshot({ path: `${screenshots}fleet-failed-run.png`, fullPage: true }))

      // unknown run
      yield* Effect.promise(() => page.goto(`${url}/runs/no-such`))
      yield* Effect.promise(() => page.waitForSelector("#no-run"))

      // 390 px: the runs list, a run, the dashboard, nothing overlapping
      const { page: phone } = yield* open({ width: 390, height: 844 })
      for (const [path, ready, name] of [
        ["/", "#runs tr[data-run]", "runs"],
        ["/runs/misc-1", "#history li", "run"],
        ["/dashboard", "#total-runs", "dashboard"]
      ] as const) {
        yield* Effect.promise(() => phone.goto(`${url}${path}`))
        yield* Effect.promise(() => phone.waitForSelector(ready))
        yield* Effect.sleep("300 millis")
        yield* Effect.promise(() => phone.screenshot({ path: `${screenshots}fleet-390-${name}.png`, fullPage: true }))
        expect(yield* Effect.promise(() => overlaps(phone)), path).toEqual([])
        const wide = yield* Effect.promise(() => phone.evaluate<number>("document.documentElement.scrollWidth"))
        expect(wide, path).toBeLessThanOrEqual(390)
      }
      expect(errors).toEqual([])
    }), 120_000)
})
