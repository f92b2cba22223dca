/**
 * The short campaigns (`npm run campaign -- --short`), in the test suite:
 * worker processes on one SQLite file and on a scratch PostgreSQL database,
 * SIGKILLed at seeded points of their progress and restarted; 0 violations.
 * And the checker's proof that it can fail: the same kind of campaign with a
 * process whose claims ignore leases (a broken engine) is caught.
 *
 * Replay a failure with the seed it prints: WEFT_CAMPAIGN_SEED=<seed> npx vitest run test/campaign
 * (or `npm run campaign -- --short --only sqlite`, which prints more).
 */
import { describe, expect, it } from "vitest"
import { formatReport, type Report, startResumeCampaign } from "./campaigns.js"
import { runCampaign } from "./plans.js"
import { pgServerUrl, pgUnreachable } from "./stores.js"

const seed = Number(process.env.WEFT_CAMPAIGN_SEED ?? 20261201)

const unreachable = await pgUnreachable()
if (unreachable !== undefined && process.env.CI !== undefined) {
  throw new Error(`PostgreSQL is not reachable at ${pgServerUrl} (${unreachable}); the campaigns must run in CI`)
}
if (unreachable !== undefined) console.warn(`weft: the PostgreSQL campaign is skipped: ${pgServerUrl} (${unreachable})`)

const expectSound = (report: Report, minKills: number) => {
  console.log(formatReport(report))
  for (const note of report.notes) console.log(`  note: ${note}`)
  expect(report.stalled).toBe(false)
  expect(report.violations.slice(0, 10)).toEqual([])
  expect(report.broken).toEqual([])
  expect(report.completed).toBe(report.runs)
  expect(report.failed).toBe(0)
  expect(report.kills).toBeGreaterThanOrEqual(minKills)
  // kills that cut steps short, and steps that ran again after them: the campaign tested something
  expect(report.killsMidStep).toBeGreaterThan(0)
  expect(report.reExecutions).toBeGreaterThan(0)
  expect(report.retried).toBeGreaterThan(0)
}

// a campaign ends when its runs end, or when nothing progresses for 2 minutes: these bounds are far above both
const timeout = 20 * 60_000

describe(`campaigns, short (seed ${seed})`, () => {
  it("several processes on one SQLite file: workers, a producer, a signaller, a killer", async () => {
    expectSound(await runCampaign("sqlite", { short: true, seed }), 15)
  }, timeout)

  it.skipIf(unreachable !== undefined)("4 workers on PostgreSQL: a producer, a signaller, a killer", async () => {
    expectSound(await runCampaign("pg", { short: true, seed }), 10)
  }, timeout)

  it("the checker catches an engine that executes runs another live process holds", async () => {
    // the second process's store claims every run it sees whatever its lease, and each step takes
    // 400 ms: the starter executes all 10 runs at once (its concurrency), for 1.6 s each, and the
    // resume loop, already passing every 50 ms, takes them over mid-step, so both execute a step.
    // Which record the checker sees depends on who got there first: the starter's unrecorded execution started before
    // the recorded one (rerun-without-death), after it (ran-again), or the two ran at once (overlap).
    // Each is a step executed twice by live processes, and nothing else may be reported.
    const report = await startResumeCampaign({
      name: "sabotaged",
      second: "resumer",
      sabotage: true,
      seed,
      runs: 10,
      starterKills: 0,
      leaseMillis: 3000,
      stepMillis: 400,
      stallMillis: 30_000
    })
    console.log(formatReport(report))
    for (const note of report.notes) console.log(`  note: ${note}`)
    for (const v of report.violations) console.log(`  ${v.kind} ${v.runId} ${v.stepKey ?? ""}: ${v.detail}`)
    const doubleExecution = new Set(["ran-again", "rerun-without-death", "overlap"])
    expect(report.violations.length).toBeGreaterThan(0)
    expect(report.violations.filter((v) => !doubleExecution.has(v.kind))).toEqual([])
  }, timeout)
})
