/**
 * `npm run campaign`: the crash and contention campaigns, with real
 * processes and SIGKILLs, printing their figures; exits 1 when any found a
 * violation.
 *
 *   npm run campaign                       the long campaigns
 *   npm run campaign -- --short            the short ones (what the test suite runs)
 *   npm run campaign -- --only sqlite,pg   some of them: start-resume, start-recover, sqlite, pg
 *   WEFT_CAMPAIGN_SEED=1234 npm run campaign   replay a seed (printed by every campaign)
 *
 * PostgreSQL: `WEFT_CAMPAIGN_PG_URL` (else `WEFT_TEST_PG_URL`, else
 * postgres://root@127.0.0.1:5432/postgres); the campaign creates a scratch
 * database there and drops it.
 */
import { buildForTests } from "../build.js"
import { formatReport, passed, type Report } from "./campaigns.js"
import { campaignNames, runCampaign } from "./plans.js"

const args = process.argv.slice(2)
const short = args.includes("--short")
const onlyAt = args.indexOf("--only")
const only = onlyAt >= 0 ? (args[onlyAt + 1] ?? "").split(",").filter((n) => n !== "") : campaignNames
const unknown = only.filter((name) => !campaignNames.includes(name))
if (unknown.length > 0) {
  console.error(`unknown campaign(s) ${unknown.join(", ")}: choose among ${campaignNames.join(", ")}`)
  process.exit(2)
}
const seed = Number(process.env.WEFT_CAMPAIGN_SEED ?? Math.floor(Math.random() * 2 ** 31))
// the processes start from the built JavaScript (test/build.ts)
await buildForTests()

const reports: Array<Report> = []
for (const name of only) {
  console.log(`--- ${name} (${short ? "short" : "long"}, seed ${seed})`)
  const report = await runCampaign(name, { short, seed, say: (line) => console.log(`  ${line}`) })
  reports.push(report)
  console.log(formatReport(report))
  for (const note of report.notes) console.log(`  note: ${note}`)
  if (report.stalled) console.log("  STALLED: stopped before every run ended")
  for (const b of report.broken) console.log(`  BROKEN PROCESS ${b}`)
  for (const v of report.violations.slice(0, 20)) {
    console.log(`  VIOLATION ${v.kind} ${v.runId}${v.stepKey === undefined ? "" : ` ${v.stepKey}`}: ${v.detail}`)
  }
  if (report.violations.length > 20) console.log(`  ... and ${report.violations.length - 20} more`)
}

const violations = reports.reduce((n, r) => n + r.violations.length, 0)
console.log("")
console.log(`campaigns (seed ${seed}): ${reports.reduce((n, r) => n + r.kills, 0)} SIGKILLs, ` +
  `${reports.reduce((n, r) => n + r.runs, 0)} runs, ${violations} violations; ` +
  `${(reports.reduce((n, r) => n + r.durationMs, 0) / 1000).toFixed(0)} s`)
console.log(`replay: WEFT_CAMPAIGN_SEED=${seed} npm run campaign --${short ? " --short" : ""} --only ${only.join(",")}`)
process.exit(reports.every(passed) ? 0 : 1)
