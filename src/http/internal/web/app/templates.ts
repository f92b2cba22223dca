/**
 * The templates: the list, and the page of one template with its Schemas,
 * its diagram and a form to start a run.
 *
 * @internal
 */
import { api, apiText, errorBox } from "./api"
import { app, duration, enc, fill, h, link, page, pretty, runHref, setLive, templateHref } from "./dom"
import { schemaForm } from "./forms"
import { migrateCard } from "./migrate"
import type { TemplateDetail, TemplateSummary } from "./types"

function keys(list: ReadonlyArray<string>): HTMLSpanElement {
  return h("span", { class: "kv" }, list.length === 0 ? h("span", { class: "faint" }, "none") : list.map((k) => h("code", null, k)))
}

/** The templates this server serves. */
export function templatesPage(): void {
  const gen = page.generation
  const body = h("tbody")
  fill(app, h("h1", null, "Templates"), h("div", { class: "card" }, h("table", null,
    h("thead", null, h("tr", null, h("th", null, "Template"), h("th", null, "Version"), h("th", null, "Requires"),
      h("th", null, "Provides"), h("th", null, "Signals"))), body)))
  page.current.dispose = () => {}
  setLive("idle")
  api<ReadonlyArray<TemplateSummary>>("GET", "/templates").then((templates) => {
    if (gen !== page.generation) return
    templates.forEach((t) => {
      body.appendChild(h("tr", { "data-template": t.name },
        h("td", null, link(templateHref(t.name, t.version), t.name)), h("td", null, t.version),
        h("td", null, keys(t.requires)), h("td", null, keys(t.provides)), h("td", null, keys(t.signals))))
    })
    if (templates.length === 0) body.appendChild(h("tr", null, h("td", { colspan: 5, class: "empty" }, "This server serves no template")))
  }, (error) => {
    if (gen === page.generation) fill(app, errorBox(error))
  })
}

/** One template: its diagram, shape, Schemas, a form to start a run, and one to migrate its runs. */
export function templatePage(name: string, version: string | null): void {
  const gen = page.generation
  setLive("idle")
  fill(app, h("h1", null, "Template ", h("code", null, name)), h("p", { class: "muted" }, "Loading..."))
  const query = version ? "?version=" + enc(version) : ""
  api<TemplateDetail>("GET", "/templates/" + enc(name) + query).then((t) => {
    if (gen !== page.generation) return
    const diagram = h("div", { class: "diagram", id: "diagram" }, h("span", { class: "muted" }, "Drawing..."))
    fill(app,
      h("h1", null, "Template ", h("code", null, t.name + "@" + t.version)),
      h("div", { class: "row" },
        h("div", { class: "grow" },
          h("div", { class: "card" }, h("h2", null, "Diagram"), diagram)),
        h("div", { class: "grow" },
          h("div", { class: "card" }, h("h2", null, "Shape"), h("dl", { class: "meta" },
            h("dt", null, "Requires"), h("dd", null, keys(t.requires)),
            h("dt", null, "Provides"), h("dd", null, keys(t.provides)),
            h("dt", null, "Signals"), h("dd", null, keys(t.signals)))),
          h("div", { class: "card" }, h("h2", null, "Start a run"),
            schemaForm(t.input, {
              id: "start-form",
              submitLabel: "Start run",
              submit: (input) =>
                api<{ readonly runId: string }>("POST", "/runs", { template: t.name, version: t.version, input }).then((started) => {
                  page.navigate(runHref(started.runId))
                  return ""
                })
            })),
          migrateCard(t),
          h("div", { class: "card" }, h("h2", null, "Schemas"),
            h("details", null, h("summary", null, "Input (JSON Schema)"), h("pre", { class: "json" }, pretty(t.input))),
            h("details", null, h("summary", null, "Output (JSON Schema)"), h("pre", { class: "json" }, pretty(t.output))),
            t.waits.map((w) =>
              h("details", null, h("summary", null, "Signal ", h("code", null, w.signal), " (writes ", h("code", null, w.key), ")",
                w.timeoutMs !== null && w.timeoutMs !== undefined ? ", times out after " + duration(w.timeoutMs) : ""),
                h("pre", { class: "json" }, pretty(w.schema))))))))
    apiText("/templates/" + enc(t.name) + "/diagram.svg?version=" + enc(t.version)).then((svgText) => {
      if (gen !== page.generation) return
      const doc = new DOMParser().parseFromString(svgText, "image/svg+xml")
      const svg = doc.documentElement
      if (svg && svg.nodeName.toLowerCase() === "svg") fill(diagram, document.importNode(svg, true))
      else fill(diagram, errorBox({ tag: "Diagram", message: "could not be drawn" }))
    }, (error) => {
      if (gen === page.generation) fill(diagram, errorBox(error))
    })
  }, (error) => {
    if (gen === page.generation) fill(app, errorBox(error))
  })
}
