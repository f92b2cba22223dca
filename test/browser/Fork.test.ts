/**
 * Forking from the web view in headless Chromium: a run's page shows the
 * state after a step (from the state-at endpoint) and a "fork from here"
 * form built from the template's Schemas; a value the Schema refuses is
 * refused by the server with its typed error naming the key (and nothing
 * is created); a good patch lands on the new run's page, which shows its
 * lineage, and the original lists it among its forks. At 390 px too.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { Template } from "weftjs"
import { awaitStatus, greet, hello, memoryStore, setup, shout } from "../http/fixtures.js"
import { openPage, overlaps, screenshots, skip, useBrowser } from "./chromium.js"

const browser = useBrowser()

const hello2 = Template.make({ name: "hello", version: "2", steps: [greet, shout] })
const toV2 = Template.migration(hello, hello2, (at) => [at(greet, greet), at(shout, shout)])

describe.skipIf(skip)("web view: fork from a step", () => {
  it.scopedLive("shows the state after a step, refuses a bad patch naming the key, forks, and shows the lineage", () =>
    Effect.gen(function*() {
      const { client, url } = yield* setup(memoryStore, { migrations: [toV2] })
      const { runId } = yield* client.runs.start({ payload: { template: "hello", input: { name: "ada", times: 1 }, runId: "orig" } })
      yield* awaitStatus(client, runId, "completed")
      const { errors, page } = yield* openPage(browser)
      yield* Effect.promise(async () => {
        await page.goto(`${url}/runs/orig`)
        // the step's detail, then the state after it
        await page.locator(".timeline .label[data-step=greet]").click()
        await page.locator("details[data-state-after=greet] > summary").click()
        const state = page.locator("details[data-state-after=greet] pre.state-at")
        await state.waitFor()
        expect(JSON.parse((await state.textContent())!)).toEqual({ name: "ada", times: 1, greeting: "hello ada" })
        // the form: one field per key, its input from the key's Schema, filled with that state
        await page.locator("details[data-state-after=greet] button.fork-open").click()
        const form = page.locator("form[data-fork-after=greet]")
        await form.waitFor()
        expect(await form.locator(".field[data-path=times] input").getAttribute("type")).toBe("number")
        expect(await form.locator(".field[data-path=name] input").inputValue()).toBe("ada")
        expect(await form.locator(".field[data-path=times] input").inputValue()).toBe("1")
        expect(await form.locator(".field[data-path=loud] input").inputValue()).toBe("")
        expect(await form.locator("select[name=to] option").allTextContents()).toEqual(["hello@1 (this version)", "hello@2"])
        // a value the Schema refuses: the server's typed error names the key, nothing is created
        await form.locator(".field[data-path=times] input").fill("9")
        await form.locator("button[type=submit]").click()
        await form.locator(".error-box").waitFor()
        expect(await form.locator(".error-box").textContent()).toMatch(/InvalidPatch.*times/)
        expect(await form.locator(".field[data-path=times]").getAttribute("class")).toContain("invalid")
      })
      expect((yield* client.runs.list({ urlParams: { forkedFrom: "orig" } })).runs).toEqual([])
      const landed = yield* Effect.promise(async () => {
        const form = page.locator("form[data-fork-after=greet]")
        await form.locator(".field[data-path=times] input").fill("2")
        await form.locator(".field[data-path=greeting] input").fill("hi there")
        await form.locator("button[type=submit]").click()
        await page.waitForURL((u) => u.pathname !== "/runs/orig")
        await page.locator("#forked-from").waitFor()
        return { path: new URL(page.url()).pathname, lineage: await page.locator("#forked-from").textContent() }
      })
      expect(landed.lineage).toBe("orig after greet")
      const forkId = decodeURIComponent(landed.path.replace(/^\/runs\//, ""))
      const done = yield* awaitStatus(client, forkId, "completed")
      expect(done.run).toMatchObject({ forkedFrom: "orig", forkedAfter: "greet" })
      // only the changed keys were sent: the fork's state is the original's with them
      expect((yield* client.runs.result({ path: { runId: forkId } })).state).toEqual({ name: "ada", times: 2, greeting: "hi there", loud: "HI THERE" })
      yield* Effect.promise(async () => {
        expect(await page.locator("#forked-from a").getAttribute("href")).toBe("/runs/orig")
        await page.locator("#forked-from a").click()
        await page.locator(`#forks li[data-fork="${forkId}"]`).waitFor()
        expect(await page.locator("#forks li").count()).toBe(1)
      })
      expect(errors).toEqual([])

      // 390 px: the state after a step and the form fit, nothing drawn over anything
      const { errors: phoneErrors, page: phone } = yield* openPage(browser, { width: 390, height: 844 })
      yield* Effect.promise(async () => {
        await phone.goto(`${url}/runs/orig`)
        await phone.locator(".timeline .label[data-step=greet]").click()
        await phone.locator("details[data-state-after=greet] > summary").click()
        await phone.locator("details[data-state-after=greet] button.fork-open").click()
        await phone.locator("form[data-fork-after=greet]").waitFor()
        await phone.locator("#forks li").first().waitFor()
        await phone.screenshot({ path: `${screenshots}fork-390.png`, fullPage: true })
        expect(await phone.evaluate("document.documentElement.scrollWidth")).toBeLessThanOrEqual(390)
        expect(await overlaps(phone)).toEqual([])
      })
      expect(phoneErrors).toEqual([])
    }), 90_000)
})
