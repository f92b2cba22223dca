/**
 * Forms built from JSON Schema (starting a run, sending a signal), with
 * their checks; the server's complaints are shown on the fields they name.
 *
 * @internal
 */
import { ApiError } from "./api"
import { type Child, h } from "./dom"
import { choices, resolve } from "./schemas"
import type { JsonSchema } from "./types"

/** A value a field refuses, before anything is sent. */
class FieldError {
  constructor(readonly message: string) {}
}

/** The issues of every field that refused its value. */
interface FieldErrors {
  readonly errors: ReadonlyArray<{ readonly path: string; readonly message: string }>
}

const isFieldErrors = (e: unknown): e is FieldErrors =>
  typeof e === "object" && e !== null && Array.isArray((e as FieldErrors).errors)

/** What a control read: nothing (the key is left out), or a value. */
type Read = { readonly present: false } | { readonly present: true; readonly value: unknown }

/** A control for one value: its element, and `read` (which may throw a `FieldError`). */
interface Control {
  readonly el: HTMLElement
  readonly read: () => Read
}

function control(schema: JsonSchema | undefined, root: JsonSchema, path: string, required: boolean): Control {
  const s = resolve(schema, root)
  const options = choices(s, root)
  const id = "f-" + (path || "value").replace(/[^A-Za-z0-9_-]/g, "_")
  if (options) {
    const select = h("select", { id, name: path },
      required ? null : h("option", { value: "" }, ""),
      options.map((v) => h("option", { value: JSON.stringify(v) }, v === null ? "null" : String(v))))
    return {
      el: select,
      read: () => select.value === "" ? { present: false } : { present: true, value: JSON.parse(select.value) as unknown }
    }
  }
  if (s.type === "boolean") {
    if (required) {
      const box = h("input", { type: "checkbox", id, name: path })
      return { el: box, read: () => ({ present: true, value: box.checked }) }
    }
    const tri = h("select", { id, name: path }, h("option", { value: "" }, ""), h("option", { value: "true" }, "true"),
      h("option", { value: "false" }, "false"))
    return { el: tri, read: () => tri.value === "" ? { present: false } : { present: true, value: tri.value === "true" } }
  }
  if (s.type === "string") {
    const text = h("input", { type: "text", id, name: path, placeholder: s.description || "" })
    // left empty, a text is not sent (not as ""): a required one is then missing, as the Schema says
    return { el: text, read: () => text.value === "" ? { present: false } : { present: true, value: text.value } }
  }
  if (s.type === "number" || s.type === "integer") {
    const number = h("input", { type: "number", id, name: path, step: s.type === "integer" ? "1" : "any" })
    return {
      el: number,
      read: () => {
        if (number.value === "") {
          if (required) throw new FieldError("a number is required")
          return { present: false }
        }
        const n = Number(number.value)
        if (!isFinite(n)) throw new FieldError("not a number")
        return { present: true, value: n }
      }
    }
  }
  if (s.type === "object" && s.properties && Object.keys(s.properties).length > 0) {
    const group = objectFields(s, root, path)
    const fieldset = h("fieldset", { "data-path": path }, h("legend", null, path.split(".").pop()), group.el)
    return {
      el: fieldset,
      read: () => {
        const value = group.read()
        return Object.keys(value).length === 0 && !required ? { present: false } : { present: true, value }
      }
    }
  }
  const area = h("textarea", { id, name: path, placeholder: "JSON", rows: 3 })
  return {
    el: area,
    read: () => {
      if (area.value.trim() === "") {
        if (required) throw new FieldError("a JSON value is required")
        return { present: false }
      }
      try {
        return { present: true, value: JSON.parse(area.value) as unknown }
      } catch {
        throw new FieldError("not valid JSON")
      }
    }
  }
}

interface Fields {
  readonly el: ReadonlyArray<HTMLElement>
  readonly read: () => Record<string, unknown>
}

function objectFields(s: JsonSchema, root: JsonSchema, prefix: string): Fields {
  const required = Array.isArray(s.required) ? s.required : []
  const fields = Object.keys(s.properties || {}).map((key) => {
    const path = prefix ? prefix + "." + key : key
    const isRequired = required.indexOf(key) !== -1
    const c = control((s.properties || {})[key], root, path, isRequired)
    const hint = h("div", { class: "hint" })
    const wrapper = h("div", { class: "field", "data-path": path },
      h("label", { for: c.el.id || null }, key, isRequired ? h("span", { class: "req" }, "*") : null), c.el, hint)
    return { key, path, control: c, wrapper, hint }
  })
  return {
    el: fields.map((f) => f.wrapper),
    read: () => {
      const value: Record<string, unknown> = {}
      let errors: Array<{ readonly path: string; readonly message: string }> = []
      fields.forEach((f) => {
        try {
          const r = f.control.read()
          if (r.present) value[f.key] = r.value
        } catch (e) {
          if (e instanceof FieldError) errors.push({ path: f.path, message: e.message })
          else if (isFieldErrors(e)) errors = errors.concat(e.errors)
          else throw e
        }
      })
      if (errors.length > 0) throw { errors } satisfies FieldErrors
      return value
    }
  }
}

/** What a form does: its id, its button's label, what it sends (its answer's text is shown). */
export interface FormOptions {
  readonly id?: string
  readonly submitLabel: string
  readonly submit: (value: unknown) => Promise<string | undefined>
  readonly extra?: Child
}

/**
 * A form for a value described by a JSON Schema, with a raw JSON editor
 * as an alternative; submit(value) returns a promise; its failure's
 * issues are shown on the fields they name.
 */
export function schemaForm(schema: JsonSchema | undefined, options: FormOptions): HTMLFormElement {
  const root: JsonSchema = schema || {}
  const s = resolve(root, root)
  const structured = s.type === "object" && !!s.properties && Object.keys(s.properties).length > 0
  const fields = structured ? objectFields(s, root, "") : null
  const raw = h("textarea", { class: "raw-json", rows: 4, placeholder: structured ? "or the whole value as JSON" : "JSON" })
  const message = h("div", { class: "form-error", role: "status" })
  const button = h("button", { class: "primary", type: "submit" }, options.submitLabel)
  const form = h("form", { class: "schema", id: options.id || null, onsubmit: submit },
    fields ? fields.el : null,
    structured ? h("details", null, h("summary", { class: "muted" }, "Edit as JSON"), raw) : raw,
    h("div", { class: "actions" }, button, options.extra || null),
    message)

  function clearMarks() {
    form.querySelectorAll(".field.invalid").forEach((el) => {
      el.classList.remove("invalid")
    })
    form.querySelectorAll(".field .hint").forEach((el) => {
      el.textContent = ""
    })
    message.textContent = ""
  }

  function mark(path: string, text: string): boolean {
    let target: Element | null = null
    if (fields) {
      const parts = path.split(".")
      while (parts.length > 0 && !target) {
        target = form.querySelector('.field[data-path="' + parts.join(".").replace(/"/g, "") + '"]')
        parts.pop()
      }
    }
    if (target) {
      target.classList.add("invalid")
      const hint = target.querySelector(".hint")
      if (hint) hint.textContent = text
      return true
    }
    return false
  }

  function submit(e: Event) {
    e.preventDefault()
    clearMarks()
    let value: unknown
    try {
      if (raw.value.trim() !== "") {
        try {
          value = JSON.parse(raw.value)
        } catch (err) {
          message.textContent = "The JSON is not valid: " + (err instanceof Error ? err.message : String(err))
          return
        }
      } else if (fields) {
        value = fields.read()
      } else {
        value = null
      }
    } catch (err) {
      ;(isFieldErrors(err) ? err.errors : []).forEach((issue) => {
        mark(issue.path, issue.message)
      })
      message.textContent = "Some values are missing or invalid."
      return
    }
    button.disabled = true
    options.submit(value).then((text) => {
      button.disabled = false
      message.textContent = text || ""
    }, (error: unknown) => {
      button.disabled = false
      const issues = error instanceof ApiError ? error.body.issues || [] : []
      issues.forEach((issue) => {
        mark((issue.path || []).join("."), issue.message)
      })
      const known = error instanceof ApiError ? error : undefined
      message.textContent = known ? known.tag + ": " + known.message : error instanceof Error ? error.message : String(error)
    })
  }

  return form
}
