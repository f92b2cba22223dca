/**
 * A template page's "Migrate runs" card: the runs of this version that have
 * not ended moved onto a version the server declares a migration to
 * (`POST /api/migrations`), by status; a dry run first says what would
 * happen to each run, then the same selection is applied.
 *
 * @internal
 */
import { api, errorBox } from "./api"
import { fill, h, link, runHref } from "./dom"
import type { MigrationReport, TemplateDetail } from "./types"

/** How many runs of a report had each result, in one sentence (`2 migrated, 1 unmapped`). */
export function summarize(report: MigrationReport): string {
  const counts: Record<string, number> = {}
  report.runs.forEach((r) => {
    counts[r.result] = (counts[r.result] || 0) + 1
  })
  const parts = Object.keys(counts).sort().map((result) => counts[result] + " " + result)
  return (report.dryRun ? "Dry run: " : "") + (parts.length === 0 ? "no run to migrate" : parts.join(", "))
}

/** The card, or `null` when the server declares no migration from this version. */
export function migrateCard(t: TemplateDetail): HTMLElement | null {
  const targets = t.migrations || []
  if (targets.length === 0) return null
  const from = t.name + "@" + t.version
  const to = h("select", { id: "migrate-to", name: "to" }, targets.map((label) => h("option", { value: label }, label)))
  const status = h("select", { id: "migrate-status", name: "status" },
    h("option", { value: "" }, "every run not ended"),
    ["queued", "running", "suspended"].map((s) => h("option", { value: s }, s)))
  const result = h("div", { id: "migrate-result" })
  const send = (dryRun: boolean) => {
    const body: Record<string, unknown> = { from, to: to.value, dryRun }
    if (status.value) body.status = status.value
    fill(result, h("p", { class: "muted" }, dryRun ? "Checking..." : "Migrating..."))
    api<MigrationReport>("POST", "/migrations", body).then((report) =>
      fill(result,
        h("p", { class: "migrate-summary" }, summarize(report)),
        report.runs.length === 0 ? null : h("table", { class: "migrate-runs" },
          h("thead", null, h("tr", null, h("th", null, "Run"), h("th", null, "Result"), h("th", null, "Detail"))),
          h("tbody", null, report.runs.map((r) =>
            h("tr", { "data-run": r.runId, "data-result": r.result },
              h("td", null, link(runHref(r.runId), r.runId)), h("td", null, r.result), h("td", null, r.detail)))))),
      (error) => fill(result, errorBox(error)))
  }
  return h("div", { class: "card", id: "migrate" }, h("h2", null, "Migrate runs"),
    h("p", { class: "muted" }, "Move the runs of ", h("code", null, from), " that have not ended onto another version."),
    h("div", { class: "field" }, h("label", { for: "migrate-to" }, "Onto"), to),
    h("div", { class: "field" }, h("label", { for: "migrate-status" }, "Runs"), status),
    h("div", { class: "actions" },
      h("button", { type: "button", id: "migrate-dry", onclick: () => send(true) }, "Dry run"),
      h("button", { type: "button", id: "migrate-apply", class: "danger", onclick: () => send(false) }, "Migrate")),
    result)
}
