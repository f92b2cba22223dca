/**
 * The list of runs: filters, pages, live updates.
 *
 * @internal
 */
import { api, errorBox, stream } from "./api"
import {
  app,
  badge,
  clear,
  duration,
  fill,
  h,
  isFinal,
  link,
  page,
  runHref,
  STATUSES,
  templateHref,
  throttle,
  time
} from "./dom"
import { filtersOf, searchInputs, selectionBar, splitWhere } from "./bulk"
import type { Run, RunPage, TemplateSummary } from "./types"

function runRow(run: Run, selected: Record<string, boolean>, onSelect: () => void): HTMLTableRowElement {
  const note = run.error ? run.error.tag + ": " + run.error.message
    : run.status === "suspended" && run.waitingFor && run.waitingFor.signal ? "waiting for signal " + run.waitingFor.signal
    : run.status === "paused" ? "paused (was " + (run.pausedFrom || "queued") + ")"
    : ""
  const box = h("input", {
    type: "checkbox",
    class: "select-run",
    "aria-label": "select " + run.runId,
    checked: selected[run.runId] === true,
    disabled: isFinal(run.status),
    onchange: () => {
      if (box.checked) selected[run.runId] = true
      else delete selected[run.runId]
      onSelect()
    }
  })
  return h("tr", { "data-run": run.runId, "data-status": run.status },
    h("td", null, box),
    h("td", null, link(runHref(run.runId), h("code", null, run.runId))),
    h("td", null, link(templateHref(run.templateName, run.templateVersion), run.templateName),
      h("span", { class: "faint" }, "@" + run.templateVersion)),
    h("td", null, badge(run.status)),
    h("td", null, time(run.createdAt)),
    h("td", null, isFinal(run.status) ? duration(run.updatedAt - run.createdAt) : "-"),
    h("td", { class: run.error ? "error-cell" : "muted", title: note }, note))
}

/** The runs page: filtered by status and template (kept in the URL), updated live. */
export function runsPage(params: URLSearchParams): void {
  const gen = page.generation
  const filters = filtersOf(params)
  const selected: Record<string, boolean> = {}
  let shown = 50
  let nextCursor: string | null = null
  const statusSelect = h("select", { id: "filter-status", onchange: apply },
    [""].concat(STATUSES).map((s) => h("option", { value: s, selected: s === filters.status }, s || "any status")))
  const templateSelect = h("select", { id: "filter-template", onchange: apply }, h("option", { value: "" }, "any template"))
  if (filters.template) templateSelect.appendChild(h("option", { value: filters.template, selected: true }, filters.template))
  const [whereInput, prefixInput] = searchInputs(filters, () => apply())
  const selection = h("div", { class: "selection", id: "selection" })
  const body = h("tbody", { id: "runs" })
  const more = h("div", { class: "more" })
  const problem = h("div")
  const drawSelection = selectionBar(selection, selected, filters, problem, () => load())
  fill(app,
    h("h1", null, "Runs"),
    problem,
    h("div", { class: "toolbar" },
      h("label", { class: "inline" }, "Status", statusSelect),
      h("label", { class: "inline" }, "Template", templateSelect),
      h("label", { class: "inline" }, "Search", whereInput),
      h("label", { class: "inline" }, "Id", prefixInput),
      h("button", { id: "apply-search", onclick: apply }, "Search")),
    selection,
    h("div", { class: "card" },
      h("div", { class: "scroll" }, h("table", null,
        h("thead", null, h("tr", null,
          h("th", null, ""), h("th", null, "Run"), h("th", null, "Template"), h("th", null, "Status"),
          h("th", null, "Created"), h("th", null, "Duration"), h("th", null, "Error / waiting"))),
        body)),
      more))

  api<ReadonlyArray<TemplateSummary>>("GET", "/templates").then((templates) => {
    if (gen !== page.generation) return
    const names: Array<string> = []
    templates.forEach((t) => {
      if (names.indexOf(t.name) === -1) names.push(t.name)
    })
    clear(templateSelect)
    templateSelect.appendChild(h("option", { value: "" }, "any template"))
    if (filters.template && names.indexOf(filters.template) === -1) names.push(filters.template)
    names.forEach((name) => {
      templateSelect.appendChild(h("option", { value: name, selected: name === filters.template }, name))
    })
  }, () => {})

  function query(cursor: string | null, limit: number): string {
    const q = new URLSearchParams()
    if (filters.status) q.set("status", filters.status)
    if (filters.template) q.set("template", filters.template)
    splitWhere(filters.where).forEach((w) => q.append("where", w))
    if (filters.prefix) q.set("prefix", filters.prefix)
    q.set("limit", String(limit))
    if (cursor) q.set("cursor", cursor)
    return "/runs?" + q.toString()
  }

  function drawMore() {
    fill(more, nextCursor ? h("button", { id: "load-more", onclick: loadMore }, "Load more") : null)
  }

  function load() {
    return api<RunPage>("GET", query(null, Math.min(shown, 500))).then((found) => {
      if (gen !== page.generation) return
      clear(problem)
      clear(body)
      found.runs.forEach((run) => {
        body.appendChild(runRow(run, selected, () => drawSelection()))
      })
      if (found.runs.length === 0) body.appendChild(h("tr", null, h("td", { colspan: 7, class: "empty" }, "No runs")))
      nextCursor = found.nextCursor
      drawMore()
    }, (error) => {
      if (gen === page.generation) fill(problem, errorBox(error))
    })
  }

  function loadMore() {
    api<RunPage>("GET", query(nextCursor, 50)).then((found) => {
      if (gen !== page.generation) return
      found.runs.forEach((run) => {
        body.appendChild(runRow(run, selected, () => drawSelection()))
      })
      shown += found.runs.length
      nextCursor = found.nextCursor
      drawMore()
    }, (error) => {
      fill(problem, errorBox(error))
    })
  }

  function apply() {
    filters.status = statusSelect.value
    filters.template = templateSelect.value
    filters.where = whereInput.value.trim()
    filters.prefix = prefixInput.value.trim()
    const q = new URLSearchParams()
    if (filters.status) q.set("status", filters.status)
    if (filters.template) q.set("template", filters.template)
    splitWhere(filters.where).forEach((w) => q.append("where", w))
    if (filters.prefix) q.set("prefix", filters.prefix)
    const search = q.toString()
    history.replaceState(null, "", "/" + (search ? "?" + search : ""))
    shown = 50
    drawSelection()
    load()
  }

  const refresh = throttle(load, 400)
  page.current.dispose = stream("/events", () => {
    refresh()
  })
  drawSelection()
  load()
}
