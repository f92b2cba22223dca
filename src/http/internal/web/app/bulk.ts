/**
 * The runs page's search and bulk actions: the search boxes (conditions on
 * search attributes, a run-id prefix), and the bar that cancels the selected
 * runs, or every active run the filters match after a dry run counts them.
 *
 * @internal
 */
import { api, errorBox } from "./api"
import { fill, h } from "./dom"

/** The filters of the runs page. */
export interface Filters {
  status: string
  template: string
  where: string
  prefix: string
}

/** Search conditions typed in one box: split on spaces outside double quotes (`customer="ada l" amount>100`). */
export function splitWhere(text: string): ReadonlyArray<string> {
  const out: Array<string> = []
  let current = ""
  let quoted = false
  for (const ch of text) {
    if (ch === "\"") quoted = !quoted
    if (!quoted && /\s/.test(ch)) {
      if (current) out.push(current)
      current = ""
    } else current += ch
  }
  if (current) out.push(current)
  return out
}


/** The filters in the page's address. */
export function filtersOf(params: URLSearchParams): Filters {
  return {
    status: params.get("status") || "",
    template: params.get("template") || "",
    where: params.getAll("where").join(" "),
    prefix: params.get("prefix") || ""
  }
}

/** The search boxes: conditions and run-id prefix; Enter applies them. */
export function searchInputs(filters: Filters, apply: () => void): readonly [HTMLInputElement, HTMLInputElement] {
  const onkeydown = (e: KeyboardEvent) => {
    if (e.key === "Enter") apply()
  }
  return [
    h("input", { type: "text", id: "filter-where", placeholder: "orderId=4711 amount>100", value: filters.where, onkeydown }),
    h("input", { type: "text", id: "filter-prefix", placeholder: "run id prefix", value: filters.prefix, onkeydown })
  ]
}

/** The bar of bulk actions in `selection`; returns the function that draws it (with an optional note). */
export function selectionBar(
  selection: HTMLElement,
  selected: Record<string, boolean>,
  filters: Filters,
  problem: HTMLElement,
  load: () => void
): (note?: string) => void {
  function drawSelection(note?: string) {
    const ids = Object.keys(selected)
    const cancelSelected = h("button", {
      class: "danger",
      id: "cancel-selected",
      disabled: ids.length === 0,
      onclick: () => {
        api<{ cancelled: ReadonlyArray<string> }>("POST", "/runs/cancel-matching", { runIds: ids }).then((done) => {
          ids.forEach((id) => delete selected[id])
          drawSelection("Cancelled " + done.cancelled.length + " run(s).")
          load()
        }, (error) => fill(problem, errorBox(error)))
      }
    }, "Cancel selected (" + ids.length + ")")
    const filtered = filters.where || filters.prefix || filters.status || filters.template
    const cancelMatching = h("button", {
      class: "danger",
      id: "cancel-matching",
      disabled: !filtered,
      onclick: () => {
        const body = matchingBody()
        api<{ matched: number }>("POST", "/runs/cancel-matching", { ...body, dryRun: true }).then((dry) => {
          const confirm = h("button", {
            class: "danger",
            id: "confirm-cancel-matching",
            onclick: () => {
              api<{ cancelled: ReadonlyArray<string> }>("POST", "/runs/cancel-matching", body).then((done) => {
                drawSelection("Cancelled " + done.cancelled.length + " run(s).")
                load()
              }, (error) => fill(problem, errorBox(error)))
            }
          }, "Confirm: cancel " + dry.matched)
          fill(selection, cancelSelected, h("span", { id: "dry-run" }, dry.matched + " active run(s) match."), confirm)
        }, (error) => fill(problem, errorBox(error)))
      }
    }, "Cancel all matching\u2026")
    fill(selection, cancelSelected, cancelMatching, note ? h("span", { class: "muted", id: "selection-note" }, note) : null)
  }

  function matchingBody(): Record<string, unknown> {
    const body: Record<string, unknown> = {}
    const where = splitWhere(filters.where)
    if (where.length > 0) body.where = where
    if (filters.prefix) body.prefix = filters.prefix
    if (filters.status) body.status = [filters.status]
    if (filters.template) body.template = filters.template
    return body
  }

  return drawSelection
}
