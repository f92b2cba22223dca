/**
 * The web view's script: routes on the path (`/`, `/runs/<id>`,
 * `/templates`, `/templates/<name>`), keeps links inside the page, and
 * draws the first page. Bundled with the other modules of this folder into
 * one script by `scripts/build-web.ts` (see `../script.ts`).
 *
 * @internal
 */
import { errorBox } from "./api"
import { dashboardPage } from "./dashboard"
import { app, fill, page } from "./dom"
import { runPage } from "./run"
import { runsPage } from "./runs"
import { schedulesPage } from "./schedules"
import { templatePage, templatesPage } from "./templates"

function setNav(path: string): void {
  document.querySelectorAll("[data-nav]").forEach((a) => {
    const section = a.getAttribute("data-nav")
    const active = section === "templates" || section === "schedules"
      ? path.indexOf("/" + section) === 0
      : section === "dashboard"
      ? path === "/dashboard"
      : path.indexOf("/templates") !== 0 && path.indexOf("/schedules") !== 0 && path !== "/dashboard"
    a.className = active ? "active" : ""
  })
}

function route(): void {
  page.current.dispose()
  page.current = { dispose: () => {} }
  page.generation += 1
  const path = location.pathname
  const params = new URLSearchParams(location.search)
  setNav(path)
  if (path === "/" || path === "/runs" || path === "/runs/") return runsPage(params)
  if (path.indexOf("/runs/") === 0) return runPage(decodeURIComponent(path.slice(6)))
  if (path === "/schedules" || path === "/schedules/") return schedulesPage()
  if (path === "/templates" || path === "/templates/") return templatesPage()
  if (path === "/dashboard") return dashboardPage()
  if (path.indexOf("/templates/") === 0) return templatePage(decodeURIComponent(path.slice(11)), params.get("version"))
  fill(app, errorBox({ tag: "NotFound", message: "No page at " + path }))
}

function navigate(href: string): void {
  history.pushState(null, "", href)
  route()
}

page.route = route
page.navigate = navigate

document.addEventListener("click", (e) => {
  const target = e.target as Element | null
  const a = target && target.closest ? target.closest("a[data-link]") : null
  if (!a || e.defaultPrevented || e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return
  e.preventDefault()
  navigate(a.getAttribute("href") || "/")
})
window.addEventListener("popstate", route)

route()
