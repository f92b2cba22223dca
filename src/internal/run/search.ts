/**
 * Search attributes on the run path: which stored keys of a run are
 * promoted to the store's search index (its template's and its nested
 * templates' `searchAttributes`, not its sub-flows'), and what a checkpoint
 * changes in them. Costs nothing for a template that declares none.
 *
 * @internal
 */
import type { SearchUpdate, SearchValue, StateDelta, StoredEntry } from "../../SnapshotStore.js"
import type * as Template from "../../Template.js"
import type { RunContext } from "./context.js"

const cache = new WeakMap<Template.Template.Any, ReadonlySet<string>>()
const none: ReadonlySet<string> = new Set()

/** The keys of a template's state promoted to the search index (cached). */
export const searchKeys = (template: Template.Template.Any): ReadonlySet<string> => {
  let keys = cache.get(template)
  if (keys === undefined) {
    const found = new Set<string>()
    const visit = (t: Template.Template.Any) => {
      for (const key of t.searchAttributes ?? []) found.add(key)
      for (const node of t.steps) if (node._tag === "Template") visit(node as Template.Template.Any)
    }
    visit(template)
    keys = found.size === 0 ? none : found
    cache.set(template, keys)
  }
  return keys
}

/** An encoded state value as a search value: numbers and strings as they are, anything else as JSON text. */
export const toSearchValue = (encoded: unknown): SearchValue =>
  typeof encoded === "number" || typeof encoded === "string" ? encoded : JSON.stringify(encoded) ?? "null"

/** The search attributes of a new run (among its input). */
export const initialSearch = (ctx: RunContext): Readonly<Record<string, SearchValue>> | undefined => {
  const keys = searchKeys(ctx.template)
  if (keys.size === 0) return undefined
  const entries: Readonly<Record<string, StoredEntry>> = ctx.storedState().entries
  let found: Record<string, SearchValue> | undefined
  for (const key of keys) {
    if (Object.hasOwn(entries, key)) (found ??= {})[key] = toSearchValue(entries[key]!.value)
  }
  return found
}

/** What a checkpoint's delta changes in the search attributes; `undefined` when nothing. */
export const searchUpdate = (keys: ReadonlySet<string>, delta: StateDelta): SearchUpdate | undefined => {
  if (keys.size === 0) return undefined
  let update: Record<string, SearchValue | null> | undefined
  for (const key in delta.set) {
    if (keys.has(key)) (update ??= {})[key] = toSearchValue(delta.set[key]!.value)
  }
  for (const key of delta.unset) if (keys.has(key)) (update ??= {})[key] = null
  return update
}
