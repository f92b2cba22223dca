/**
 * Issue 9, item 1, across real processes: one process starts runs with
 * `engine.start` on a SQLite file (and is SIGKILLed once along the way, then
 * restarted) while a second process runs the README's "on start-up, resume
 * every interrupted run" loop over and over — or, separately, is just an
 * engine with recovery on. Every step logs its executions; afterwards: every
 * run completed, none failed, no completed step ran again, a step re-ran only
 * when its process died mid-step (with the same idempotency key), and no two
 * live processes executed one run at once.
 *
 * `npm run campaign -- --only start-resume,start-recover` runs the same with
 * 3,000 runs. Replay: WEFT_CAMPAIGN_SEED=<seed> npx vitest run test/robustness
 */
import { describe, expect, it } from "vitest"
import { formatReport, type Report } from "../campaign/campaigns.js"
import { runCampaign } from "../campaign/plans.js"

const seed = Number(process.env.WEFT_CAMPAIGN_SEED ?? 20261202)

const expectSound = (report: Report) => {
  console.log(formatReport(report))
  for (const note of report.notes) console.log(`  ${note}`)
  expect(report.violations.slice(0, 10)).toEqual([])
  expect(report.broken).toEqual([])
  expect(report.stalled).toBe(false)
  expect(report.runs).toBe(300)
  expect(report.completed).toBe(300)
  expect(report.failed).toBe(0)
  expect(report.kills).toBe(1)
}

describe(`engine.start in one process, another taking runs up (seed ${seed})`, () => {
  it("the README's resume loop in the other: 300 runs, each executed once", async () => {
    expectSound(await runCampaign("start-resume", { short: true, seed }))
  }, 20 * 60_000)

  it("an engine with recovery on in the other: 300 runs, each executed once", async () => {
    expectSound(await runCampaign("start-recover", { short: true, seed }))
  }, 20 * 60_000)
})
