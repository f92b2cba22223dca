/**
 * A run's history on its page: every entry of `GET /api/runs/:id/history`
 * as a line (time, what happened), and the actions every run has (its JSON
 * export; for a failed run, the runs like it).
 *
 * @internal
 */
import { api } from "./api"
import { enc, fill, h, link, time } from "./dom"

interface Entry {
  readonly _tag: string
  readonly at: number
  readonly [key: string]: unknown
}

const str = (u: unknown): string => (typeof u === "string" ? u : u === null || u === undefined ? "?" : JSON.stringify(u))

/** What happened, in words. */
export function describeEntry(e: Entry): string {
  switch (e._tag) {
    case "Created":
      return "created (" + str(e.template) + ", queue " + str(e.queue) + ")"
    case "Claimed":
      return (e.reason === "started" ? "started" : e.reason === "woken" ? "woken up and claimed"
        : e.reason === "recovered" ? "recovered from " + str(e.previousOwner) + " and claimed"
        : e.reason === "handed-back" ? "taken up after a hand-back" : "claimed") +
        " by " + str(e.owner) + ", generation " + str(e.generation)
    case "Step": {
      const error = e.error as { tag?: string; message?: string } | null
      return "step " + str(e.step) + " " + (e.timedOut ? "timed out" : str(e.status)) + " (" + str(e.attempts) + " attempt" +
        (e.attempts === 1 ? "" : "s") + ", " + str(e.durationMs) + " ms)" + (error ? ": " + error.tag + ": " + error.message : "")
    }
    case "Signal":
      return "signal " + str(e.name) + " received " + JSON.stringify(e.payload) + (e.consumedBy ? " (consumed by " + str(e.consumedBy) + ")" : " (pending)")
    case "Suspended": {
      const w = e.waitingFor as { signal?: string | null; step?: string } | null
      return "suspended: " + (w && w.signal ? "waits for signal " + w.signal : "waits") + (w && w.step ? " at " + w.step : "") +
        (typeof e.wakeAt === "number" ? " (until " + time(e.wakeAt) + ")" : "")
    }
    case "Released":
      return "handed back by " + str(e.owner)
    case "Cancelled":
      return "cancelled"
    case "Ended": {
      const error = e.error as { tag?: string; message?: string } | null
      return e.status === "completed" ? "completed" : "failed" + (e.timedOut ? " (timed out)" : "") + (error ? ": " + error.tag + ": " + error.message : "")
    }
    default:
      return str(e.kind || e._tag) + ": " + str(e.from) + " \u2192 " + str(e.to)
  }
}

/** The history card of the run page shown now (one page at a time). */
let shown: { readonly runId: string; readonly card: HTMLElement } | undefined

/** A new history card for the page of `runId`; filled by {@link commonActions}, each time the run is drawn. */
export function historyCard(runId: string): HTMLElement {
  const card = h("div", { class: "card", id: "history-card" })
  shown = { runId, card }
  return card
}

/** Fills the card with the run's history (read now). */
function drawHistory(card: HTMLElement, runId: string): void {
  api<{ readonly entries: ReadonlyArray<Entry> }>("GET", "/runs/" + enc(runId) + "/history").then((history) => {
    if (shown === undefined || shown.card !== card) return
    fill(card, h("h2", null, "History"),
      h("ol", { class: "history", id: "history" }, history.entries.map((e) =>
        h("li", { "data-kind": e._tag }, h("span", { class: "faint mono" }, time(e.at)), " ", describeEntry(e)))))
  }, () => {})
}

/**
 * The actions every run has: its export; for a failed run, the failed runs
 * of its template. (Called each time the run is drawn: its history card is
 * read again then.)
 */
export function commonActions(runId: string, status: string, template: string): ReadonlyArray<HTMLElement> {
  if (shown !== undefined && shown.runId === runId) drawHistory(shown.card, runId)
  const out: Array<HTMLElement> = [
    h("a", { class: "button", id: "export", href: "/api/runs/" + enc(runId) + "/export", download: runId + ".json" }, "Export JSON")
  ]
  if (status === "failed") {
    out.push(link("/?status=failed&template=" + enc(template), "Failed runs of " + template, { class: "button", id: "similar" }))
  }
  return out
}
