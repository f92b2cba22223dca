/**
 * Where a run came from, on its page: its parent run, the run it was
 * forked from (and after which step), the version it was migrated from,
 * and what triggered it.
 *
 * @internal
 */
import { h, link, runHref, time } from "./dom"
import type { Run } from "./types"

/** A run's parent (a sub-flow's child run), its fork and migration, and what started it by itself, as description items. */
export function lineage(run: Run): ReadonlyArray<HTMLElement> {
  const items: Array<HTMLElement> = []
  if (run.parentId) items.push(h("dt", null, "Parent"), h("dd", null, link(runHref(run.parentId), h("code", null, run.parentId))))
  if (run.forkedFrom) {
    items.push(h("dt", null, "Forked from"), h("dd", { id: "forked-from" },
      link(runHref(run.forkedFrom), h("code", null, run.forkedFrom)), " after ", h("code", null, run.forkedAfter || "?")))
  }
  if (run.migratedFrom) items.push(h("dt", null, "Migrated from"), h("dd", { id: "migrated-from" }, h("code", null, run.migratedFrom)))
  const origin = run.triggeredBy
  if (origin) {
    items.push(h("dt", null, "Triggered by"), h("dd", { "data-triggered-by": origin._tag },
      origin._tag === "Schedule"
        ? ["schedule ", h("code", null, origin.schedule), ", tick " + time(origin.tick)]
        : origin._tag === "Webhook"
        ? ["webhook ", h("code", null, origin.hook), ", delivery ", h("code", null, origin.delivery)]
        : ["trigger ", h("code", null, origin.trigger), " after ", link(runHref(origin.runId), h("code", null, origin.runId)), " " + origin.status]))
  }
  return items
}
