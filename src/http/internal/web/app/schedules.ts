/**
 * The schedules page: every stored schedule with its template, expression
 * and time zone, next ticks, last run and whether it is paused (with a
 * button to pause or resume it), and the triggers declared with the engine.
 *
 * @internal
 */
import { api, errorBox } from "./api"
import { app, fill, h, link, page, runHref, setLive, templateHref, time } from "./dom"
import type { Schedule, TriggerInfo } from "./types"

/** The stored schedules and the declared triggers. */
export function schedulesPage(): void {
  const gen = page.generation
  const body = h("tbody")
  const triggers = h("tbody")
  fill(
    app,
    h("h1", null, "Schedules"),
    h("div", { class: "card" }, h("table", { id: "schedules" },
      h("thead", null, h("tr", null, h("th", null, "Schedule"), h("th", null, "Template"), h("th", null, "Cron"),
        h("th", null, "Next ticks"), h("th", null, "Last run"), h("th", null, "Paused"), h("th", null, ""))), body)),
    h("h2", null, "Triggers"),
    h("div", { class: "card" }, h("table", { id: "triggers" },
      h("thead", null, h("tr", null, h("th", null, "Trigger"), h("th", null, "Kind"), h("th", null, "Starts"),
        h("th", null, "When"))), triggers))
  )
  page.current.dispose = () => {}
  setLive("idle")
  const load = () =>
    api<ReadonlyArray<Schedule>>("GET", "/schedules").then((schedules) => {
      if (gen !== page.generation) return
      fill(body)
      schedules.forEach((s) => {
        const toggle = h("button", { type: "button", "data-toggle": s.name }, s.paused ? "Resume" : "Pause")
        toggle.addEventListener("click", () => {
          api("POST", "/schedules/" + encodeURIComponent(s.name) + (s.paused ? "/resume" : "/pause")).then(load, (error) => {
            if (gen === page.generation) fill(app, errorBox(error))
          })
        })
        body.appendChild(h("tr", { "data-schedule": s.name, class: s.paused ? "paused" : "" },
          h("td", null, h("code", null, s.name)),
          h("td", null, link(templateHref(s.templateName, s.templateVersion), s.templateName + "@" + s.templateVersion)),
          h("td", null, h("code", null, s.cron), " ", h("span", { class: "faint" }, s.timeZone || "UTC")),
          h("td", null, s.nextTicks.length === 0 ? h("span", { class: "faint" }, "none") : s.nextTicks.map((t) => h("div", null, time(t)))),
          h("td", null, s.lastRunId ? link(runHref(s.lastRunId), s.lastRunId) : h("span", { class: "faint" }, "none")),
          h("td", null, s.paused ? "yes" : "no"),
          h("td", null, toggle)))
      })
      if (schedules.length === 0) body.appendChild(h("tr", null, h("td", { colspan: 7, class: "empty" }, "No schedule is stored")))
    }, (error) => {
      if (gen === page.generation) fill(app, errorBox(error))
    })
  load()
  api<ReadonlyArray<TriggerInfo>>("GET", "/triggers").then((list) => {
    if (gen !== page.generation) return
    list.forEach((t) => {
      const when = t.kind === "cron"
        ? (t.cron || "") + (t.timeZone ? " (" + t.timeZone + ")" : "")
        : t.kind === "webhook"
        ? "POST /hooks/" + t.name + (t.signed ? " (signed)" : "")
        : (t.from || "") + " " + (t.on || []).join("/")
      triggers.appendChild(h("tr", { "data-trigger": t.name },
        h("td", null, h("code", null, t.name)), h("td", null, t.kind), h("td", null, t.template), h("td", null, when)))
    })
    if (list.length === 0) triggers.appendChild(h("tr", null, h("td", { colspan: 4, class: "empty" }, "No trigger is declared")))
  }, () => undefined)
}
