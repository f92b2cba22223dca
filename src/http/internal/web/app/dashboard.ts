/**
 * The dashboard: metrics of the last hour (counts by status as a small
 * inline SVG bar chart, per template and per step: runs, failure rate,
 * duration percentiles, retries, timeouts), the queues and the workers;
 * refreshed every 5 s.
 *
 * @internal
 */
import { api, errorBox } from "./api"
import { app, badge, fill, h, page, STATUSES } from "./dom"

interface Percentiles {
  readonly count: number
  readonly p50: number | null
  readonly p95: number | null
  readonly p99: number | null
}
interface Queue {
  readonly queue: string
  readonly queued: number
  readonly running: number
  readonly suspended: number
  readonly oldestQueuedAgeMs: number | null
  readonly workers: ReadonlyArray<string>
}
interface Metrics {
  readonly total: number
  readonly sampled: boolean
  readonly byStatus: Readonly<Record<string, number>>
  readonly failureRate: number
  readonly templates: ReadonlyArray<{
    readonly template: string
    readonly total: number
    readonly byStatus: Readonly<Record<string, number>>
    readonly failureRate: number
    readonly durationMs: Percentiles
  }>
  readonly steps: ReadonlyArray<{
    readonly template: string
    readonly step: string
    readonly count: number
    readonly failed: number
    readonly retries: number
    readonly timeouts: number
    readonly durationMs: Percentiles
  }>
  readonly queues: ReadonlyArray<Queue>
}
interface WorkerView {
  readonly workerId: string
  readonly host: string
  readonly pid: number
  readonly queues: Readonly<Record<string, number>>
  readonly heartbeatAt: number
  readonly runsInHand: number
  readonly state: string
}

const SVG = "http://www.w3.org/2000/svg"

function svg(tag: string, attrs: Readonly<Record<string, string | number>>, text?: string): SVGElement {
  const el = document.createElementNS(SVG, tag)
  for (const key of Object.keys(attrs)) el.setAttribute(key, String(attrs[key]))
  if (text !== undefined) el.textContent = text
  return el
}

/** Counts by status as horizontal bars: one row per status, its label, its bar, its count. */
function statusChart(byStatus: Readonly<Record<string, number>>): SVGElement {
  const max = Math.max(1, ...STATUSES.map((s) => byStatus[s] || 0))
  const row = 22
  const chart = svg("svg", { viewBox: "0 0 320 " + row * STATUSES.length, class: "chart", role: "img", "aria-label": "runs by status" })
  STATUSES.forEach((status, i) => {
    const n = byStatus[status] || 0
    const y = i * row
    chart.appendChild(svg("text", { x: 0, y: y + 15, class: "chart-label" }, status))
    chart.appendChild(svg("rect", { x: 84, y: y + 4, width: Math.max(n > 0 ? 2 : 0, (n / max) * 190), height: 14, class: "bar bar-" + status }))
    chart.appendChild(svg("text", { x: 84 + (n / max) * 190 + 6, y: y + 15, class: "chart-count" }, String(n)))
  })
  return chart
}

const ms = (n: number | null) => (n === null ? "-" : n < 1000 ? n + " ms" : (n / 1000).toFixed(1) + " s")
const pct = (r: number) => (r * 100).toFixed(1) + "%"

function table(head: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | Node>>, empty: string): HTMLElement {
  return h("div", { class: "scroll" }, h("table", null,
    h("thead", null, h("tr", null, head.map((c) => h("th", null, c)))),
    h("tbody", null, rows.length === 0
      ? h("tr", null, h("td", { colspan: head.length, class: "empty" }, empty))
      : rows.map((r) => h("tr", null, r.map((c) => h("td", null, c)))))))
}

/** The dashboard page. */
export function dashboardPage(): void {
  const gen = page.generation
  const body = h("div", { id: "dashboard" })
  fill(app, h("h1", null, "Dashboard"), body)
  function load(): void {
    Promise.all([api<Metrics>("GET", "/metrics"), api<ReadonlyArray<WorkerView>>("GET", "/workers")]).then((r) => {
      if (gen !== page.generation) return
      const m = r[0]
      const workers = r[1]
      fill(body,
        h("div", { class: "row" },
          h("div", { class: "card grow" }, h("h2", null, "Last hour"),
            h("p", { class: "big", id: "total-runs" }, String(m.total), h("span", { class: "muted" }, m.sampled ? " runs (newest sampled)" : " runs")),
            h("p", null, "Failure rate ", h("strong", { id: "failure-rate" }, pct(m.failureRate)))),
          h("div", { class: "card grow" }, h("h2", null, "By status"), statusChart(m.byStatus))),
        h("div", { class: "card" }, h("h2", null, "Templates"), table(
          ["Template", "Runs", "Failed", "Failure rate", "p50", "p95", "p99"],
          m.templates.map((t) => [t.template, String(t.total), String(t.byStatus.failed || 0), pct(t.failureRate),
            ms(t.durationMs.p50), ms(t.durationMs.p95), ms(t.durationMs.p99)]),
          "No runs in the last hour")),
        h("div", { class: "card" }, h("h2", null, "Steps"), table(
          ["Template", "Step", "Count", "Failed", "Retries", "Timeouts", "p50", "p95", "p99"],
          m.steps.map((s) => [s.template, s.step, String(s.count), String(s.failed), String(s.retries), String(s.timeouts),
            ms(s.durationMs.p50), ms(s.durationMs.p95), ms(s.durationMs.p99)]),
          "No steps in the last hour")),
        h("div", { class: "row" },
          h("div", { class: "card grow" }, h("h2", null, "Queues"), table(
            ["Queue", "Queued", "Running", "Suspended", "Oldest queued", "Workers"],
            m.queues.map((q) => [q.queue, String(q.queued), String(q.running), String(q.suspended), ms(q.oldestQueuedAgeMs), String(q.workers.length)]),
            "No active runs")),
          h("div", { class: "card grow" }, h("h2", null, "Workers"), table(
            ["Worker", "State", "Queues", "Runs"],
            workers.map((w) => [w.workerId, badge(w.state), Object.keys(w.queues).join(", "), String(w.runsInHand)]),
            "No workers"))))
    }, (error) => {
      if (gen === page.generation) fill(body, errorBox(error))
    })
  }
  const timer = setInterval(load, 5000)
  page.current.dispose = () => clearInterval(timer)
  load()
}
