/**
 * On a run's page: each step's state right after it (read from the
 * state-at endpoint when opened, as the template's Schemas encode it), a
 * "fork from here" form built from the template's Schemas (one field per
 * state key, filled with that state; only the keys changed are sent, as the
 * fork's patch), and the run's forks.
 *
 * @internal
 */
import { api, ApiError, errorBox } from "./api"
import { badge, enc, fill, h, link, page, pretty, runHref, time } from "./dom"
import { type FieldKind, fieldKind, fieldText, patchOf } from "./schemas"
import type { RunPage, TemplateDetail, TraceEntry } from "./types"

/** The answer of `GET /runs/:id/state?at=`. */
interface StateAt {
  readonly state: Readonly<Record<string, unknown>>
}

/** The template as the run page holds it: `undefined` before it is asked for, `null` while it loads, `false` when unknown. */
type KnownTemplate = TemplateDetail | null | false | undefined

/** What a step's section adds to the timeline. */
export interface StepTools {
  /** The state-after section of a finished step (the same element at each redraw, so that it stays as it was); `null` for others. */
  readonly section: (entry: TraceEntry) => HTMLElement | null
}

let forms = 0

/** The state-after sections of a run's steps. */
export function stepTools(runId: string, template: () => KnownTemplate): StepTools {
  const sections = new Map<string, HTMLElement>()
  return {
    section: (entry) => {
      if (entry.status !== "completed" && entry.status !== "skipped" && entry.status !== "fallback") return null
      let el = sections.get(entry.step)
      if (!el) {
        el = stateSection(runId, entry.step, template)
        sections.set(entry.step, el)
      }
      return el
    }
  }
}

function stateSection(runId: string, step: string, template: () => KnownTemplate): HTMLElement {
  const body = h("div", { class: "state-after-body" })
  let loaded = false
  const details: HTMLDetailsElement = h("details", {
    class: "state-after",
    "data-state-after": step,
    ontoggle: () => {
      if (details.open && !loaded) load()
    }
  }, h("summary", null, "State after this step"), body)
  function load() {
    loaded = true
    fill(body, h("div", { class: "faint" }, "loading..."))
    api<StateAt>("GET", "/runs/" + enc(runId) + "/state?at=" + enc(step)).then((answer) => {
      const open: HTMLButtonElement = h("button", {
        type: "button",
        class: "fork-open",
        onclick: () => {
          open.remove()
          body.appendChild(forkForm(runId, step, answer.state, template()))
        }
      }, "Fork from here")
      fill(body, h("pre", { class: "json state-at" }, pretty(answer.state)), open)
    }, (error: ApiError) => {
      loaded = false
      fill(body, errorBox(error))
    })
  }
  return details
}

/** An input for one state key, filled with its text; `text` reads what it holds now. */
function inputFor(kind: FieldKind, id: string, key: string, initial: string): { readonly el: HTMLElement; readonly text: () => string } {
  switch (kind.kind) {
    case "checkbox": {
      const box = h("input", { type: "checkbox", id, name: key, checked: initial === "true" })
      return { el: box, text: () => box.checked ? "true" : "" }
    }
    case "select": {
      const select = h("select", { id, name: key },
        initial === "" ? h("option", { value: "", selected: true }, "") : null,
        kind.options.map((option, i) =>
          h("option", { value: String(i), selected: String(i) === initial }, option === null ? "null" : String(option))))
      return { el: select, text: () => select.value }
    }
    case "json": {
      const area = h("textarea", { id, name: key, rows: 3, placeholder: "JSON", value: initial })
      return { el: area, text: () => area.value }
    }
    default: {
      const input = h("input", { type: kind.kind === "number" ? "number" : "text", id, name: key, value: initial, step: kind.kind === "number" ? "any" : null })
      return { el: input, text: () => input.value }
    }
  }
}

/**
 * The fork form of a step: a field per key of the template's state (its
 * kind from the key's JSON Schema), filled with the state after the step,
 * and the versions the server can fork onto. A value the server refuses is
 * shown with its typed error (naming the key) on the key's field; a fork
 * made goes to the new run's page.
 */
function forkForm(runId: string, step: string, state: Readonly<Record<string, unknown>>, template: KnownTemplate): HTMLElement {
  if (!template || !template.state) {
    return h("div", { class: "muted" }, "This server does not describe the run's template: it cannot be forked here.")
  }
  const root = template.state
  const properties = root.properties || {}
  const n = ++forms
  const fields = Object.keys(properties).map((key, i) => {
    const kind = fieldKind(properties[key], root)
    const initial = fieldText(kind, state[key], Object.prototype.hasOwnProperty.call(state, key))
    const input = inputFor(kind, "fork-" + n + "-" + i, key, initial)
    const hint = h("div", { class: "hint" })
    const wrapper = h("div", { class: "field", "data-path": key }, h("label", { for: input.el.id }, key), input.el, hint)
    return { key, kind, initial, input, wrapper, hint }
  })
  const migrations = template.migrations || []
  const target = migrations.length === 0 ? null : h("select", { id: "fork-" + n + "-to", name: "to" },
    h("option", { value: "" }, template.name + "@" + template.version + " (this version)"),
    migrations.map((label) => h("option", { value: label }, label)))
  const message = h("div", { class: "form-error", role: "status" })
  const button = h("button", { class: "primary", type: "submit" }, "Fork")
  const mark = (key: string, text: string) => {
    const field = fields.find((f) => f.key === key)
    if (!field) return
    field.wrapper.classList.add("invalid")
    field.hint.textContent = text
  }
  const submit = (e: Event) => {
    e.preventDefault()
    fields.forEach((f) => {
      f.wrapper.classList.remove("invalid")
      f.hint.textContent = ""
    })
    fill(message)
    const read = patchOf(fields.map((f) => ({ key: f.key, kind: f.kind, initial: f.initial, text: f.input.text() })))
    if (!read.ok) {
      read.errors.forEach((error) => mark(error.key, error.message))
      message.textContent = "Some values cannot be read."
      return
    }
    button.disabled = true
    const body = { after: step, patch: read.patch, ...(target && target.value ? { to: target.value } : {}) }
    api<{ readonly runId: string }>("POST", "/runs/" + enc(runId) + "/fork", body).then((made) => {
      page.navigate(runHref(made.runId))
    }, (error: unknown) => {
      button.disabled = false
      const issues = error instanceof ApiError ? error.body.issues || [] : []
      issues.forEach((issue) => mark(String((issue.path || [])[0] ?? ""), issue.message))
      fill(message, errorBox(error instanceof ApiError ? error : { message: String(error) }))
    })
  }
  return h("form", { class: "schema fork-form", "data-fork-after": step, onsubmit: submit },
    h("h3", null, "Fork after ", h("code", null, step)),
    h("p", { class: "muted" }, "A new run starts from this state; only the keys you change are sent, as its patch."),
    fields.map((f) => f.wrapper),
    target ? h("div", { class: "field" }, h("label", { for: target.id }, "Version"), target) : null,
    h("div", { class: "actions" }, button),
    message)
}

/** The card of a run's forks (shown when it has any), newest first. */
export function forksCard(runId: string): HTMLElement {
  const list = h("ul", { class: "forks", id: "forks" })
  const card = h("div", { class: "card", id: "forks-card", hidden: true }, h("h2", null, "Forks"), list)
  api<RunPage>("GET", "/runs?forkedFrom=" + enc(runId) + "&limit=50").then((found) => {
    if (found.runs.length === 0) return
    card.hidden = false
    fill(list, found.runs.map((run) =>
      h("li", { "data-fork": run.runId }, link(runHref(run.runId), h("code", null, run.runId)), " after ",
        h("code", null, run.forkedAfter || "?"), " ", badge(run.status), " ", h("span", { class: "muted" }, time(run.createdAt)))))
  }, () => {
    // the forks are extra: the page stands without them
  })
  return card
}
